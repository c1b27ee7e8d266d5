//! QR check-in: the officer shows a QR code in the room; it encodes
//! `/checkin/{session}?exp=UNIX&sig=HEX`, where `sig` is HMAC-SHA256 over the session id and
//! the expiry with a secret of the installation (kept in the database, so every portal
//! instance signs and checks alike). A code is valid for [`VALIDITY_SECS`]; the QR page
//! reloads itself well before that, so a photo of an old code sent to someone outside the room
//! soon stops working. The attendee opens the link on their phone, signs in if needed (the
//! link survives the sign-in redirect), confirms with one button, and is marked present.
//!
//! Check-in is accepted only in the session's window (`kenshu_core::in_person`): from 30
//! minutes before the start to 60 minutes after the end. Outside it the link, however freshly
//! signed, shows when check-in opens or that it has closed, and records nothing; the QR page
//! shows no code before the window opens.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use hmac::{KeyInit, Mac};
use kenshu_core::in_person::{Window, checkin_window};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::lang::t;
use crate::page::{Chrome, jtime, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use crate::{AppError, AppState};
use kenshu_core::i18n::Catalogue;

use super::SessionView;
use kenshu_app::in_person;

/// How long one QR code is accepted.
pub const VALIDITY_SECS: i64 = 600;
const SECRET_NAME: &str = "checkin_hmac";

type HmacSha256 = hmac::Hmac<sha2_hmac::Sha256>;

/// The MAC of a check-in link for (session, exp).
fn mac(secret: &[u8], session: Uuid, exp: i64) -> Option<HmacSha256> {
    // HMAC takes keys of any length, so this is always Some.
    let mut mac = HmacSha256::new_from_slice(secret).ok()?;
    mac.update(format!("checkin:{session}:{exp}").as_bytes());
    Some(mac)
}

/// The signature of a check-in link, as lowercase hex.
pub fn sign(secret: &[u8], session: Uuid, exp: i64) -> String {
    mac(secret, session, exp)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Whether `sig` is the signature of (session, exp), compared in constant time.
fn signature_ok(secret: &[u8], session: Uuid, exp: i64, sig: &str) -> bool {
    let (Ok(given), Some(mac)) = (hex::decode(sig), mac(secret, session, exp)) else {
        return false;
    };
    mac.verify_slice(&given).is_ok()
}

/// The installation's signing key: made on first use and shared by every instance through
/// the database, read once per instance.
pub async fn secret(
    state: &AppState,
    conn: &mut kenshu_db::PgConnection,
) -> Result<Vec<u8>, AppError> {
    let key = state
        .checkin_key
        .get_or_try_init(|| async {
            let fresh: [u8; 32] = rand::random();
            kenshu_db::in_person::secret(conn, SECRET_NAME, &fresh).await
        })
        .await?;
    Ok(key.clone())
}

/// The path a QR code encodes, valid until `exp`.
pub fn link(secret: &[u8], session: Uuid, exp: i64) -> String {
    format!(
        "/checkin/{session}?exp={exp}&sig={}",
        sign(secret, session, exp)
    )
}

#[derive(Deserialize)]
pub struct Signed {
    exp: Option<String>,
    sig: Option<String>,
}

/// Why a check-in was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Invalid,
    Expired,
}

/// Checks the link's signature, then its expiry.
async fn verify(
    state: &AppState,
    conn: &mut kenshu_db::PgConnection,
    session: Uuid,
    q: &Signed,
) -> Result<Result<(), Refusal>, AppError> {
    let (Some(exp), Some(sig)) = (
        q.exp.as_deref().and_then(|e| e.parse::<i64>().ok()),
        q.sig.as_deref(),
    ) else {
        return Ok(Err(Refusal::Invalid));
    };
    let key = secret(state, conn).await?;
    if !signature_ok(&key, session, exp, sig) {
        return Ok(Err(Refusal::Invalid));
    }
    if OffsetDateTime::now_utc().unix_timestamp() > exp {
        return Ok(Err(Refusal::Expired));
    }
    Ok(Ok(()))
}

#[derive(Template)]
#[template(path = "in_person/checkin.html")]
struct CheckinPage {
    chrome: Chrome,
    t: &'static Catalogue,
    session: Option<SessionView>,
    exp: String,
    sig: String,
    message: &'static str,
    /// When check-in opens or closed, as "label: time", for a refusal outside the window.
    when: Option<String>,
    refused: bool,
    done: bool,
}

fn refused(
    user: &CurrentUser,
    status: StatusCode,
    message: &'static str,
) -> Result<Response, AppError> {
    let mut res = render(&CheckinPage {
        chrome: Chrome::for_user(user, t().ip_refused_title),
        t: t(),
        session: None,
        exp: String::new(),
        sig: String::new(),
        message,
        when: None,
        refused: true,
        done: false,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

/// The session's check-in window at this moment; outside it, the refusal to show: 409 before
/// it opens (try again later), 410 once it has closed (as for an expired code).
fn outside_window(
    user: &CurrentUser,
    session: &kenshu_db::in_person::Session,
) -> Result<Option<Response>, AppError> {
    let (status, message, label, at) = match checkin_window(
        session.starts_at,
        session.ends_at,
        OffsetDateTime::now_utc(),
    ) {
        Window::Open => return Ok(None),
        Window::NotYet(at) => (
            StatusCode::CONFLICT,
            t().ip_checkin_not_yet,
            t().ip_checkin_opens_at,
            at,
        ),
        Window::Closed(at) => (
            StatusCode::GONE,
            t().ip_checkin_closed,
            t().ip_checkin_closed_at,
            at,
        ),
    };
    let mut res = render(&CheckinPage {
        chrome: Chrome::for_user(user, t().ip_refused_title),
        t: t(),
        session: Some(SessionView::of(session)),
        exp: String::new(),
        sig: String::new(),
        message,
        when: Some(format!("{label}: {}", jtime(at))),
        refused: true,
        done: false,
    })?;
    *res.status_mut() = status;
    Ok(Some(res))
}

fn refusal(user: &CurrentUser, r: Refusal) -> Result<Response, AppError> {
    match r {
        Refusal::Invalid => refused(user, StatusCode::FORBIDDEN, t().ip_checkin_invalid),
        Refusal::Expired => refused(user, StatusCode::GONE, t().ip_checkin_expired),
    }
}

/// The session behind a check-in link, if the person may attend it: in their institution,
/// not cancelled, and for their division or the whole institution.
async fn attendable(
    conn: &mut kenshu_db::PgConnection,
    user: &CurrentUser,
    id: Uuid,
) -> Result<Result<kenshu_db::in_person::Session, &'static str>, AppError> {
    let session = kenshu_db::in_person::get(conn, user.session.institution_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if session.cancelled {
        return Ok(Err(t().ip_closed));
    }
    if session
        .division_id
        .is_some_and(|d| d != user.session.division_id)
    {
        return Ok(Err(t().ip_checkin_not_for_you));
    }
    Ok(Ok(session))
}

/// The page the QR code opens: what the session is, and one button to confirm.
pub async fn form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Query(q): Query<Signed>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    if let Err(r) = verify(&state, &mut conn, id, &q).await? {
        return refusal(&user, r);
    }
    let session = match attendable(&mut conn, &user, id).await? {
        Ok(s) => s,
        Err(msg) => return refused(&user, StatusCode::FORBIDDEN, msg),
    };
    if let Some(res) = outside_window(&user, &session)? {
        return Ok(res);
    }
    render(&CheckinPage {
        chrome: Chrome::for_user(&user, t().ip_checkin_title),
        t: t(),
        session: Some(SessionView::of(&session)),
        exp: q.exp.clone().unwrap_or_default(),
        sig: q.sig.clone().unwrap_or_default(),
        message: t().ip_checkin_lead,
        when: None,
        refused: false,
        done: false,
    })
}

/// Records the attendance. A person not yet in the session is signed up on the spot (a
/// walk-in) while there is a seat; the expiry and the window are checked again, so a form left
/// open past either records nothing.
pub async fn confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    mut tx: Tx,
    Form(q): Form<Signed>,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    if let Err(r) = verify(&state, &mut tx, id, &q).await? {
        return refusal(&user, r);
    }
    let session = match attendable(&mut tx, &user, id).await? {
        Ok(s) => s,
        Err(msg) => return refused(&user, StatusCode::FORBIDDEN, msg),
    };
    if let Some(res) = outside_window(&user, &session)? {
        return Ok(res);
    }
    let now = match in_person::check_in(&mut tx, &state.catalog, &user.actor(), &session).await {
        Ok(now) => now,
        Err(in_person::InPersonError::Full) => {
            return refused(&user, StatusCode::CONFLICT, t().ip_full);
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    render(&CheckinPage {
        chrome: Chrome::for_user(&user, t().ip_checkin_title),
        t: t(),
        session: Some(SessionView::of(&session)),
        exp: String::new(),
        sig: String::new(),
        message: if now {
            t().ip_checkin_done
        } else {
            t().ip_checkin_already
        },
        when: None,
        refused: false,
        done: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_only_for_its_session_and_expiry() {
        let key = [7u8; 32];
        let s = Uuid::new_v4();
        let sig = sign(&key, s, 1_900_000_000);
        assert_eq!(sig.len(), 64);
        assert!(signature_ok(&key, s, 1_900_000_000, &sig));
        assert!(
            !signature_ok(&key, s, 1_900_000_001, &sig),
            "another expiry"
        );
        assert!(!signature_ok(&key, Uuid::new_v4(), 1_900_000_000, &sig));
        assert!(
            !signature_ok(&[8u8; 32], s, 1_900_000_000, &sig),
            "another key"
        );
        assert!(!signature_ok(&key, s, 1_900_000_000, "zz"));
        assert!(!signature_ok(&key, s, 1_900_000_000, &sig[..62]));
    }
}
