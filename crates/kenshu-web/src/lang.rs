//! The language of a request, first found first:
//!
//! 1. the signed-in person's own choice, stored with their account (`users.language`, set on
//!    `/settings` or with the switch in the header while signed in), so that a person who chose
//!    English gets English on any browser once signed in;
//! 2. the switch's cookie, for whoever uses this browser (before sign-in, and for people who
//!    have not chosen);
//! 3. the first of Japanese and English the browser asks for (`Accept-Language`);
//! 4. Japanese.
//!
//! The page middleware sets 2–4 before anything else runs (see [`scope`]); the session layer
//! then puts 1 in its place once it has read the session ([`set`]), which comes with the
//! session's one query. The language is held in a task-local for the whole request, so that
//! every string the request answers with — the page, an error page, a refusal's message made
//! deep in a conversion — comes from the same catalogue through [`t`].

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_core::i18n::{Catalogue, JA, Lang};
use serde::Deserialize;

use crate::session::{Conn, Viewer};
use crate::{AppError, AppState};

/// The cookie the language switch sets.
pub const COOKIE: &str = "kenshu_lang";

/// How long the choice is kept: a year.
const KEEP_SECS: i64 = 365 * 86_400;

tokio::task_local! {
    static CURRENT: std::cell::Cell<Lang>;
}

/// The catalogue of a language.
pub fn catalogue(lang: Lang) -> &'static Catalogue {
    lang.catalogue()
}

/// The catalogue of the request being answered (Japanese outside a request).
pub fn t() -> &'static Catalogue {
    CURRENT.try_with(|l| catalogue(l.get())).unwrap_or(&JA)
}

/// The language of the request being answered (Japanese outside a request).
pub fn current() -> Lang {
    t().lang
}

/// Answers the rest of the request in `lang`: the signed-in person's own choice, which wins over
/// the browser's (see the module's order). Outside a request it does nothing.
pub fn set(lang: Lang) {
    let _ = CURRENT.try_with(|l| l.set(lang));
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
    CURRENT.scope(std::cell::Cell::new(lang), answer).await
}

#[derive(Deserialize, Default)]
pub struct SwitchQuery {
    next: Option<String>,
}

/// `GET /language/{code}`: the switch in the header. Keeps the choice in a cookie and returns
/// to the page it was pressed on; for a signed-in person it is also kept with their account, so
/// that it follows them to any browser. A link, not a form, so only when it was pressed on a
/// page of this portal (`Sec-Fetch-Site`, else the `Referer`): a link on another site may
/// change how this browser is spoken to, never a person's account.
pub async fn switch(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<SwitchQuery>,
    mut parts: Parts,
) -> Result<Response, AppError> {
    let headers = &parts.headers;
    let back = q
        .next
        .or_else(|| same_origin_path(headers))
        .filter(|n| crate::auth::is_local_path(n))
        .unwrap_or_else(|| "/".into());
    let Some(lang) = parse(&code) else {
        return Ok(Redirect::to(&back).into_response());
    };
    let cookie = crate::session::set_cookie(
        COOKIE,
        lang.code(),
        KEEP_SECS,
        crate::session::is_secure(&state, headers),
        "Lax",
    );
    let from_here = pressed_here(headers);
    let viewer = parts.extensions.get::<Viewer>().and_then(|v| v.0.clone());
    if let Some(session) = viewer
        && from_here
        && session.language() != Some(lang)
    {
        let Conn(mut conn) = Conn::from_request_parts(&mut parts, &state).await?;
        kenshu_db::person::set_language(
            &mut conn,
            session.institution_id,
            session.user_id,
            Some(lang),
        )
        .await?;
        state.sessions.forget_person(session.user_id);
    }
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response())
}

/// Whether the request came from a page of this portal: the browser says so
/// (`Sec-Fetch-Site: same-origin`), or, from a browser that does not say, the `Referer` is ours
/// (the portal's `Referrer-Policy: same-origin` sends it only to itself).
fn pressed_here(headers: &HeaderMap) -> bool {
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin",
        None => same_origin_path(headers).is_some(),
    }
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
