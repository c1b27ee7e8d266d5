//! The QR code an officer shows in the room: a check-in link (`checkin`) signed for
//! [`VALIDITY_SECS`], drawn as an inline SVG, and the page reloads itself every
//! [`REFRESH_SECS`] for a fresh one. Outside the session's check-in window the page shows no
//! code, but when it opens (reloading itself then) or that it has closed.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kenshu_core::in_person::{Window, checkin_window};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::lang::t;
use crate::page::{Chrome, jtime, render};
use crate::session::{Conn, CurrentUser};
use crate::{AppError, AppState};
use kenshu_core::i18n::Catalogue;

use super::SessionView;
use super::checkin::{VALIDITY_SECS, link, secret};

/// How often the officer's QR page reloads to show a fresh code.
pub const REFRESH_SECS: i64 = 300;

/// The QR code of `text` as an inline SVG element (no XML prolog), scaled by CSS.
pub fn qr_svg(text: &str) -> Result<String, AppError> {
    qr_svg_labelled(text, t().ip_qr_show)
}

/// [`qr_svg`] with what screen readers call it (one of the catalogue's texts: no markup).
pub fn qr_svg_labelled(text: &str, label: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .map_err(|e| AppError::internal(format!("qr code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(320, 320)
        .build();
    Ok(match svg.find("<svg") {
        Some(i) => svg[i..].replacen(
            "<svg ",
            &format!("<svg role=\"img\" class=\"qr\" aria-label=\"{}\" ", label),
            1,
        ),
        None => svg,
    })
}

/// A fresh code for the room: the SVG, the link it encodes and until when it is accepted.
struct Code {
    svg: String,
    url: String,
    valid_until: String,
}

/// The QR code to show in the room, fresh for [`VALIDITY_SECS`]; outside the session's
/// check-in window, no code but when it opens or that it has closed.
#[derive(Template)]
#[template(path = "in_person/qr.html")]
struct QrPage {
    chrome: Chrome,
    t: &'static Catalogue,
    session: SessionView,
    code: Option<Code>,
    /// Outside the window: why there is no code, and "label: time".
    waiting: Option<(&'static str, String)>,
}

pub async fn qr(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let session = kenshu_db::in_person::get(&mut conn, user.session.institution_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    user.require_session(session.division_id)?;
    if session.cancelled {
        return Err(AppError::BadRequest(t().ip_closed.into()));
    }
    let now = OffsetDateTime::now_utc();
    let (code, waiting, refresh) = match checkin_window(session.starts_at, session.ends_at, now) {
        Window::Open => {
            let key = secret(&state, &mut conn).await?;
            let exp = now.unix_timestamp() + VALIDITY_SECS;
            // The configured address, never the request's Host header: whoever can reach the
            // portal under another name must not change where the room's code sends people.
            let url = format!(
                "{}{}",
                state.settings.public_url.trim_end_matches('/'),
                link(&key, id, exp)
            );
            let code = Code {
                svg: qr_svg(&url)?,
                valid_until: OffsetDateTime::from_unix_timestamp(exp)
                    .map(jtime)
                    .unwrap_or_default(),
                url,
            };
            (Some(code), None, Some(REFRESH_SECS))
        }
        // Reloads when the window opens (or every few minutes until then) to show the code.
        Window::NotYet(at) => (
            None,
            Some((
                t().ip_qr_not_yet,
                format!("{}: {}", t().ip_checkin_opens_at, jtime(at)),
            )),
            Some(((at - now).whole_seconds() + 1).clamp(1, REFRESH_SECS)),
        ),
        Window::Closed(at) => (
            None,
            Some((
                t().ip_qr_closed,
                format!("{}: {}", t().ip_checkin_closed_at, jtime(at)),
            )),
            None,
        ),
    };
    let mut res = render(&QrPage {
        chrome: Chrome::for_user(&user, t().ip_qr_show),
        t: t(),
        session: SessionView::of(&session),
        code,
        waiting,
    })?;
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    // Reload for a fresh code well before this one expires (works without JavaScript).
    if let Some(Ok(v)) = refresh.map(|r| header::HeaderValue::from_str(&r.to_string())) {
        res.headers_mut().insert("refresh", v);
    }
    Ok(res.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pages_name_the_window_the_rule_applies() {
        let before = kenshu_core::in_person::CHECKIN_OPENS_BEFORE.whole_minutes();
        let after = kenshu_core::in_person::CHECKIN_CLOSES_AFTER.whole_minutes();
        assert!(
            t().ip_checkin_not_yet
                .contains(&format!("開始の{before}分前"))
        );
        assert!(t().ip_qr_not_yet.contains(&format!("開始の{before}分前")));
        assert!(
            t().ip_checkin_closed
                .contains(&format!("終了の{after}分後"))
        );
    }

    #[test]
    fn the_qr_code_is_an_inline_svg() {
        let svg = qr_svg("https://kenshu.example.lg.jp/checkin/x?exp=1&sig=ab").unwrap();
        assert!(svg.starts_with("<svg role=\"img\" class=\"qr\" "), "{svg}");
        assert!(!svg.contains("<?xml"));
    }
}
