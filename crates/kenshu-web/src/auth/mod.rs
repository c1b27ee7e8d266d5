//! Sign-in and sign-out; the password pages are in `password` and `welcome`. The decisions
//! (throttle, password check, session, audit) are `kenshu_app::auth`'s; here are the form, the
//! cookies and this instance's flood gate.

mod client;
pub mod federated;
mod password;
pub mod second_factor;
mod welcome;

pub use client::Client;
pub use password::{change_password, password_form};
pub use welcome::{welcome, welcome_form};

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_app::auth::sign_in::{self, Attempt, Then, Why};
use kenshu_app::auth::{MAX_INSTITUTION, MAX_LOGIN, Outcome};
use kenshu_core::i18n::Catalogue;
use serde::Deserialize;

use crate::page::{Chrome, render, render_with_cookie};
use crate::session::{self, Conn, CurrentUser, PRE_SESSION_COOKIE, SESSION_COOKIE, Viewer};
use crate::{AppError, AppState};

/// Remembered browsers (device cookies) last as long as browsers keep a cookie: 400 days.
pub(crate) const DEVICE_DAYS: i64 = 400;

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    chrome: Chrome,
    t: &'static Catalogue,
    ask_institution: bool,
    /// The one institution's people sign in with their directory name and password.
    directory: bool,
    /// The button that signs in through the institution's OpenID Connect provider.
    oidc: bool,
    institution: String,
    login: String,
    next: String,
    error: Option<String>,
    welcome: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    welcome: Option<String>,
    /// Back from a second step that took too long.
    expired: Option<String>,
}

fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_string(),
        _ => "/my".to_string(),
    }
}

/// Whether `next` is a plain absolute path on this portal: `/`, then no second `/` or `\`,
/// and only visible ASCII without `\` (browsers drop tabs and newlines, so `/\t/evil.example`
/// becomes `//evil.example`, another host). Anything else is not followed.
pub fn is_local_path(next: &str) -> bool {
    let b = next.as_bytes();
    b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/' | b'\\'))
        && b.len() <= 2048
        && b.iter().all(|&c| (0x21..=0x7e).contains(&c) && c != b'\\')
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    viewer: axum::Extension<Viewer>,
    Query(q): Query<NextQuery>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    if viewer.0.0.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    let error = q
        .expired
        .is_some()
        .then(|| crate::lang::t().sf_expired.to_string());
    let next = safe_next(q.next.as_deref());
    render_login(
        &state,
        &headers,
        &mut conn,
        &next,
        error,
        q.welcome.is_some(),
    )
    .await
}

/// The sign-in page as it first shows, with `error` said at the top (the form's refusals are
/// rendered by `login`).
pub(crate) async fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    conn: &mut kenshu_db::PgConnection,
    next: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    render_login(state, headers, conn, next, error, false).await
}

async fn render_login(
    state: &AppState,
    headers: &HeaderMap,
    conn: &mut kenshu_db::PgConnection,
    next: &str,
    error: Option<String>,
    welcome: bool,
) -> Result<Response, AppError> {
    let (token, cookie) = pre_session_token(state, headers);
    let (ask_institution, methods) = kenshu_db::institution::sign_in_page(conn).await?;
    let oidc = match methods {
        Some(m) => m.oidc,
        None => kenshu_db::institution::oidc_anywhere(conn).await?,
    };
    let page = LoginPage {
        chrome: Chrome::anonymous(crate::lang::t().sign_in, token),
        t: crate::lang::t(),
        ask_institution,
        directory: methods.is_some_and(|m| m.directory),
        oidc,
        institution: String::new(),
        login: String::new(),
        next: next.to_string(),
        error,
        welcome,
    };
    render_with_cookie(&page, cookie)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    institution: String,
    login: String,
    password: String,
    next: Option<String>,
    csrf: String,
}

/// Signs a person in (`kenshu_app::auth::sign_in`), after this instance's first lines against
/// a flood: an address sending attempts faster than anyone types is held back before any
/// database work.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Conn(conn): Conn,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    admit(&state, &client)?;
    let device_token = session::device_token(&state, &headers);
    let next = safe_next(form.next.as_deref());
    let attempt = Attempt {
        next: &next,
        institution: &form.institution,
        login: &form.login,
        password: &form.password,
        device_token,
        client: &client.0,
        session_hours: state.settings.session_hours,
        audit_key: &state.settings.audit_key,
    };
    let signed_in = match sign_in::sign_in(&state.requests, conn, attempt).await? {
        Outcome::Done(signed_in) => signed_in,
        Outcome::Refused(refusal) => {
            let t = crate::lang::t();
            let (error, status) = match refusal.why {
                Why::TooLong => (
                    t.sign_in_too_long.to_string(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                Why::Failed => (t.sign_in_failed.to_string(), StatusCode::OK),
                Why::Wait { secs } => (t.sign_in_wait(secs), StatusCode::TOO_MANY_REQUESTS),
                Why::NotOnRoster => (t.sign_in_not_on_roster.to_string(), StatusCode::OK),
                Why::DirectoryDown => (
                    t.sign_in_directory_down.to_string(),
                    StatusCode::SERVICE_UNAVAILABLE,
                ),
            };
            let page = LoginPage {
                chrome: Chrome::anonymous(t.sign_in, form.csrf.clone()),
                t,
                ask_institution: refusal.ask_institution,
                directory: refusal.directory,
                oidc: refusal.oidc,
                institution: bounded(&form.institution, MAX_INSTITUTION),
                login: bounded(&form.login, MAX_LOGIN),
                next: safe_next(form.next.as_deref()),
                error: Some(error),
                welcome: false,
            };
            return render(&page).map(|r| (status, r).into_response());
        }
    };
    state.sign_in_gate.refund(&client.0);
    Ok(let_in(&state, &headers, &signed_in))
}

/// The answer to a first step that succeeded (a password, the directory, the provider): the
/// session's cookies and where the person was going, or the second step's cookie and page.
pub(crate) fn let_in(
    state: &AppState,
    headers: &HeaderMap,
    signed_in: &sign_in::SignedIn,
) -> Response {
    let secure = session::is_secure(state, headers);
    let hours = state.settings.session_hours;
    let device = session::set_cookie(
        session::DEVICE_COOKIE,
        &signed_in.device_token,
        DEVICE_DAYS * 86400,
        secure,
        "Strict",
    );
    let (mut res, cookies) = match &signed_in.then {
        Then::Session(token) => (
            Redirect::to(&signed_in.next).into_response(),
            vec![
                session::set_cookie(SESSION_COOKIE, token, hours * 3600, secure, "Lax"),
                session::set_cookie(PRE_SESSION_COOKIE, "", 0, secure, "Strict"),
                device,
            ],
        ),
        // No session yet: the second step's page asks for a code (or sets the factor up).
        Then::SecondStep {
            challenge_token, ..
        } => (
            Redirect::to("/login/second-factor").into_response(),
            vec![
                second_factor::challenge_cookie(challenge_token, secure),
                device,
            ],
        ),
    };
    for c in cookies {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// This instance's first line against a flood of sign-ins (any method): an address sending
/// attempts faster than anyone types is held back before any database work.
pub(crate) fn admit(state: &AppState, client: &Client) -> Result<(), AppError> {
    if state.sign_in_gate.admit(&client.0) {
        Ok(())
    } else {
        tracing::warn!(client = %client.0, "sign-in flood from one address held back");
        Err(AppError::TooManyAttempts)
    }
}

/// At most `max` characters of a field, to show back in the form.
fn bounded(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let at_provider = sign_in::sign_out(&mut conn, &user.actor(), &user.token_hash).await?;
    state.sessions.forget_session(&user.token_hash);
    // A session begun at the institution's OpenID Connect provider ends there too; the
    // provider sends the browser back to the sign-in page. Not a redirect: the page's CSP
    // (`form-action 'self'`) stops a form's redirect to another site.
    let t = crate::lang::t();
    let mut res = match at_provider.as_deref() {
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
            federated::moving_on(t.sign_out, t.sign_out_oidc_moving, url)?
        }
        _ => Redirect::to("/login").into_response(),
    };
    if let Ok(v) = session::set_cookie(
        SESSION_COOKIE,
        "",
        0,
        session::is_secure(&state, &headers),
        "Lax",
    )
    .parse()
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// The pre-session CSRF token from its cookie, or a new one with the cookie that sets it.
pub(crate) fn pre_session_token(state: &AppState, headers: &HeaderMap) -> (String, Option<String>) {
    match session::read_cookie(state, headers, PRE_SESSION_COOKIE) {
        Some(t) if t.len() == 64 => (t.to_string(), None),
        _ => {
            let t = session::new_token();
            let c = session::set_cookie(
                PRE_SESSION_COOKIE,
                &t,
                3600 * 12,
                session::is_secure(state, headers),
                "Strict",
            );
            (t, Some(c))
        }
    }
}
