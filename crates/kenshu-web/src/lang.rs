//! The language of a request: the one the person chose with the switch in the header (kept in
//! a cookie), else the first of Japanese and English their browser asks for
//! (`Accept-Language`), else Japanese. The layer holds it in a task-local for the whole
//! request (see [`scope`]), so that every string the request answers with — the page, an error page, a
//! refusal's message made deep in a conversion — comes from the same catalogue through
//! [`t`].

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_core::i18n::{Catalogue, EN, JA, Lang};
use serde::Deserialize;

use crate::AppState;

/// The cookie the language switch sets.
pub const COOKIE: &str = "kenshu_lang";

/// How long the choice is kept: a year.
const KEEP_SECS: i64 = 365 * 86_400;

tokio::task_local! {
    static CURRENT: Lang;
}

/// The catalogue of a language.
pub fn catalogue(lang: Lang) -> &'static Catalogue {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}

/// The catalogue of the request being answered (Japanese outside a request).
pub fn t() -> &'static Catalogue {
    CURRENT.try_with(|l| catalogue(*l)).unwrap_or(&JA)
}

fn parse(code: &str) -> Option<Lang> {
    let primary = code.split(['-', '_']).next()?.trim();
    if primary.eq_ignore_ascii_case("ja") {
        Some(Lang::Ja)
    } else if primary.eq_ignore_ascii_case("en") {
        Some(Lang::En)
    } else {
        None
    }
}

/// The language a browser asks for: the supported tag with the highest weight (the first of
/// equals), as RFC 9110 §12.5.4 orders them.
fn accepted(value: &str) -> Option<Lang> {
    let mut best: Option<(u16, Lang)> = None;
    for item in value.split(',').take(32) {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(parse) else {
            continue;
        };
        let weight = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(1000, |q| {
                q.trim()
                    .parse::<f32>()
                    .map_or(0, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16)
            });
        if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
            best = Some((weight, lang));
        }
    }
    best.map(|(_, l)| l)
}

/// The language of a request, from its headers.
pub fn of_request(headers: &HeaderMap) -> Lang {
    let chosen = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .and_then(parse);
    chosen
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(accepted)
        })
        .unwrap_or(Lang::Ja)
}

/// Runs `answer` (a request's handling) in `lang`. Called by the outermost page middleware
/// (`error::japanese_rejections`) rather than from a layer of its own: a separate
/// `middleware::from_fn` layer cost the section page a tenth of its throughput.
pub async fn scope<F: std::future::Future>(lang: Lang, answer: F) -> F::Output {
    CURRENT.scope(lang, answer).await
}

#[derive(Deserialize, Default)]
pub struct SwitchQuery {
    next: Option<String>,
}

/// `GET /language/{code}`: the switch in the header. Keeps the choice in a cookie and returns
/// to the page it was pressed on. A link, not a form: it changes nothing but how this browser
/// is spoken to.
pub async fn switch(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<SwitchQuery>,
    headers: HeaderMap,
) -> Response {
    let back = q
        .next
        .or_else(|| same_origin_path(&headers))
        .filter(|n| crate::auth::is_local_path(n))
        .unwrap_or_else(|| "/".into());
    let Some(lang) = parse(&code) else {
        return Redirect::to(&back).into_response();
    };
    let cookie = crate::session::set_cookie(
        COOKIE,
        lang.code(),
        KEEP_SECS,
        crate::session::is_secure(&state, &headers),
        "Lax",
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response()
}

/// The page the switch was pressed on: the `Referer`'s path when it is this portal's own.
fn same_origin_path(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let rest = referer
        .strip_prefix("https://")
        .or_else(|| referer.strip_prefix("http://"))?;
    let path = rest.strip_prefix(host)?;
    path.starts_with('/').then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().expect("header value"));
        }
        h
    }

    #[test]
    fn the_browser_s_weights_decide_and_japanese_is_the_default() {
        assert_eq!(of_request(&headers(&[])), Lang::Ja);
        let cases = [
            ("en-US,en;q=0.9", Lang::En),
            ("ja,en-US;q=0.9,en;q=0.8", Lang::Ja),
            ("fr-FR,fr;q=0.9,en;q=0.8,ja;q=0.7", Lang::En),
            ("fr,de", Lang::Ja),
            ("en;q=0.5,ja;q=0.6", Lang::Ja),
            ("en;q=0, ja;q=0.1", Lang::Ja),
            ("EN-gb", Lang::En),
            ("ja-JP", Lang::Ja),
        ];
        for (value, want) in cases {
            let got = of_request(&headers(&[("accept-language", value)]));
            assert_eq!(got, want, "{value}");
        }
    }

    #[test]
    fn the_switch_returns_only_to_a_page_of_this_portal() {
        let h = headers(&[
            ("host", "kenshu.example.jp"),
            ("referer", "https://kenshu.example.jp/my?fy=2025"),
        ]);
        assert_eq!(same_origin_path(&h).as_deref(), Some("/my?fy=2025"));
        let h = headers(&[
            ("host", "kenshu.example.jp"),
            ("referer", "https://kenshu.example.jp.evil.example/my"),
        ]);
        assert_eq!(same_origin_path(&h), None);
        let h = headers(&[
            ("host", "kenshu.example.jp"),
            ("referer", "https://evil.example/"),
        ]);
        assert_eq!(same_origin_path(&h), None);
    }

    #[test]
    fn the_switch_s_cookie_wins_over_the_browser() {
        let h = headers(&[
            ("accept-language", "ja"),
            ("cookie", "kenshu_session=x; kenshu_lang=en"),
        ]);
        assert_eq!(of_request(&h), Lang::En);
        let h = headers(&[("accept-language", "en"), ("cookie", "kenshu_lang=ja")]);
        assert_eq!(of_request(&h), Lang::Ja);
        let h = headers(&[("accept-language", "en"), ("cookie", "kenshu_lang=xx")]);
        assert_eq!(of_request(&h), Lang::En, "an unknown choice is ignored");
    }
}
