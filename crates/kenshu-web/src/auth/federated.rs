//! Signing in through the institution's OpenID Connect provider: the button on the sign-in
//! page (`POST /login/oidc`) sends the browser to the provider; the provider sends it back to
//! `/login/oidc/callback`. The decisions are `kenshu_app::auth::federated`'s.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kenshu_app::auth::Outcome;
use kenshu_app::auth::federated::{self, Addresses, FederatedRefusal, Return};
use kenshu_core::i18n::Catalogue;
use serde::Deserialize;

use super::{Client, admit, let_in, login_page, safe_next};
use crate::page::{Chrome, render};
use crate::session::{self, Conn};
use crate::{AppError, AppState};

/// The cookie that keeps the started sign-in's `state` in the browser that started it. `Lax`:
/// it must come back on the provider's (cross-site) redirect to the callback.
const STATE_COOKIE: &str = "kenshu_oidc_state";

/// The page that sends the browser on to the provider. Not a redirect: the sign-in page's
/// Content-Security-Policy (`form-action 'self'`) stops a form's redirect to another site, so
/// this page moves on by itself (`Refresh`), with a link for a browser that does not.
#[derive(Template)]
#[template(path = "auth/oidc_redirect.html")]
struct MovingOn {
    chrome: Chrome,
    t: &'static Catalogue,
    message: &'static str,
    url: String,
}

/// A page that sends the browser on to `url` at the provider by itself (see [`MovingOn`]).
pub(crate) fn moving_on(
    title: &str,
    message: &'static str,
    url: &str,
) -> Result<Response, AppError> {
    let t = crate::lang::t();
    let mut res = render(&MovingOn {
        chrome: Chrome::anonymous(title, String::new()),
        t,
        message,
        url: url.to_string(),
    })?;
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("0; url={url}")) {
        h.insert("refresh", v);
    }
    Ok(res)
}

fn state_cookie(state: &AppState, headers: &HeaderMap, value: &str) -> String {
    let age = if value.is_empty() {
        0
    } else {
        i64::try_from(federated::PENDING_MINUTES * 60).unwrap_or(600)
    };
    session::set_cookie(
        STATE_COOKIE,
        value,
        age,
        session::is_secure(state, headers),
        "Lax",
    )
}

fn with_cookie(mut res: Response, cookie: String) -> Response {
    if let Ok(v) = cookie.parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub use kenshu_app::auth::federated::CALLBACK;

/// The portal's own addresses as the provider must know them: from the configured public
/// address, never the request's Host header.
fn addresses(state: &AppState) -> (String, String) {
    let base = state.settings.public_url.trim_end_matches('/');
    (format!("{base}{CALLBACK}"), format!("{base}/login"))
}

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    institution: String,
    next: Option<String>,
}

/// What a refusal says and the status it answers with.
fn refusal(why: &FederatedRefusal) -> (String, StatusCode) {
    let t = crate::lang::t();
    match why {
        FederatedRefusal::NotOffered => (
            t.sign_in_oidc_not_offered.to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        FederatedRefusal::Expired => (t.sign_in_oidc_expired.to_string(), StatusCode::BAD_REQUEST),
        FederatedRefusal::Failed => (t.sign_in_oidc_failed.to_string(), StatusCode::FORBIDDEN),
        FederatedRefusal::NotOnRoster => {
            (t.sign_in_not_on_roster.to_string(), StatusCode::FORBIDDEN)
        }
        FederatedRefusal::ProviderDown => (
            t.sign_in_oidc_down.to_string(),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
    }
}

async fn refused(
    state: &AppState,
    headers: &HeaderMap,
    why: &FederatedRefusal,
    next: &str,
) -> Result<Response, AppError> {
    let (error, status) = refusal(why);
    let mut conn = state.requests.acquire().await?;
    let page = login_page(state, headers, &mut conn, next, Some(error)).await?;
    Ok((status, page).into_response())
}

/// Sends the browser to the institution's provider, a pending sign-in kept for its return.
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Conn(conn): Conn,
    Form(form): Form<StartForm>,
) -> Result<Response, AppError> {
    admit(&state, &client)?;
    let next = safe_next(form.next.as_deref());
    let (redirect_uri, after_sign_out) = addresses(&state);
    let at = Addresses {
        redirect_uri: &redirect_uri,
        after_sign_out: &after_sign_out,
    };
    match federated::start(
        &state.requests,
        conn,
        &state.settings.audit_key,
        &form.institution,
        &next,
        &at,
    )
    .await?
    {
        // Only a web address is followed (the provider's discovery names it).
        Outcome::Done(started)
            if !(started.url.starts_with("https://") || started.url.starts_with("http://")) =>
        {
            tracing::error!("the provider's authorization endpoint is not a web address");
            refused(&state, &headers, &FederatedRefusal::ProviderDown, &next).await
        }
        Outcome::Done(started) => {
            let t = crate::lang::t();
            let res = moving_on(t.sign_in_oidc, t.sign_in_oidc_moving, &started.url)?;
            Ok(with_cookie(
                res,
                state_cookie(&state, &headers, &started.state),
            ))
        }
        Outcome::Refused(why) => refused(&state, &headers, &why, &next).await,
    }
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    error: Option<String>,
}

/// The provider's answer: the session begins (or the second step is asked for), or the sign-in
/// page says why not.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Conn(conn): Conn,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, AppError> {
    admit(&state, &client)?;
    let device_token = session::device_token(&state, &headers);
    let (redirect_uri, after_sign_out) = addresses(&state);
    let at = Addresses {
        redirect_uri: &redirect_uri,
        after_sign_out: &after_sign_out,
    };
    let browser_state = session::read_cookie(&state, &headers, STATE_COOKIE).map(str::to_string);
    let back = Return {
        code: &q.code,
        state: &q.state,
        browser_state: browser_state.as_deref(),
        error: q.error.as_deref(),
        device_token,
        session_hours: state.settings.session_hours,
        audit_key: &state.settings.audit_key,
    };
    // Whatever the answer, the started sign-in is over in this browser.
    let forget = state_cookie(&state, &headers, "");
    let res = match federated::finish(&state.requests, conn, back, &at).await? {
        Outcome::Done(signed_in) => {
            state.sign_in_gate.refund(&client.0);
            let_in(&state, &headers, &signed_in)
        }
        Outcome::Refused(why) => refused(&state, &headers, &why, "/my").await?,
    };
    Ok(with_cookie(res, forget))
}
