//! The second step of a sign-in (a code from the person's authenticator app, or setting one up
//! where the institution requires it) and the account page where anyone sets up, renews or
//! turns off their second factor. The rules are `kenshu_app::auth::second_factor`'s.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_app::auth::Outcome;
use kenshu_app::auth::second_factor::{self as factor, Answer, CodeRefusal};
use kenshu_core::i18n::Catalogue;
use kenshu_core::totp::TotpSecret;
use kenshu_db::second_factor::ChallengeKind;
use serde::Deserialize;

use super::{DEVICE_DAYS, pre_session_token};
use crate::in_person::qr::qr_svg_labelled;
use crate::page::{Chrome, jtime, render, render_with_cookie};
use crate::session::{self, Conn, CurrentUser, PRE_SESSION_COOKIE, SESSION_COOKIE};
use crate::{AppError, AppState};

/// The cookie that holds a half-done sign-in's challenge token. `Lax`: the second step may
/// follow a redirect from an OpenID Connect provider.
pub const CHALLENGE_COOKIE: &str = "kenshu_second_step";

/// A factor being set up: its QR code and its key as text.
pub struct Setup {
    svg: String,
    key: String,
}

impl Setup {
    fn of(secret: &TotpSecret, institution: &str, login: &str) -> Result<Setup, AppError> {
        let uri = secret.otpauth_uri(&format!("{institution}:{login}"));
        Ok(Setup {
            svg: qr_svg_labelled(&uri, crate::lang::t().sf_qr_label)?,
            key: secret.base32(),
        })
    }
}

#[derive(Template)]
#[template(path = "auth/second_factor.html")]
struct StepPage {
    chrome: Chrome,
    t: &'static Catalogue,
    setup: Option<Setup>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/recovery_codes.html")]
struct CodesPage {
    chrome: Chrome,
    t: &'static Catalogue,
    codes: Vec<String>,
    next: String,
}

/// The `Set-Cookie` value that starts (or, with no token, ends) a half-done sign-in.
pub fn challenge_cookie(token: &str, secure: bool) -> String {
    let age = if token.is_empty() {
        0
    } else {
        factor::CHALLENGE_MINUTES * 60
    };
    session::set_cookie(CHALLENGE_COOKIE, token, age, secure, "Lax")
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// Back to the sign-in page, the half-done sign-in forgotten.
fn start_again(state: &AppState, headers: &HeaderMap) -> Response {
    let mut res = Redirect::to("/login?expired=1").into_response();
    if let Ok(v) = challenge_cookie("", session::is_secure(state, headers)).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The second step's page: the code to type, and first the QR code where the factor must be
/// set up now.
pub async fn step_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let token = session::read_cookie(&state, &headers, CHALLENGE_COOKIE).unwrap_or_default();
    let Some(c) = factor::challenge(&mut conn, token).await? else {
        return Ok(start_again(&state, &headers));
    };
    let setup = match c.kind {
        ChallengeKind::Verify => None,
        ChallengeKind::Enrol => factor::setting_up(
            &mut conn,
            &state.settings.audit_key,
            c.institution_id,
            c.user_id,
        )
        .await?
        .map(|s| Setup::of(&s, &c.institution_code, &c.login_id))
        .transpose()?,
    };
    let (csrf, cookie) = pre_session_token(&state, &headers);
    let t = crate::lang::t();
    let page = StepPage {
        chrome: Chrome::anonymous(t.sf_title, csrf),
        t,
        setup,
        error: None,
    };
    render_with_cookie(&page, cookie).map(no_store)
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
    csrf: String,
}

/// Checks the second step's code; right, the session begins (and a factor set up now shows
/// its recovery codes once); wrong, the page comes back saying so.
pub async fn step(
    State(state): State<AppState>,
    headers: HeaderMap,
    Conn(mut conn): Conn,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let token = session::read_cookie(&state, &headers, CHALLENGE_COOKIE)
        .unwrap_or_default()
        .to_string();
    // The browser's device cookie was set by the first step; one without it gets a new one.
    // A new token, not an empty one: clippy's `unwrap_or_default` would be wrong here.
    let device_token = match session::device_token(&state, &headers) {
        Some(token) => token,
        None => kenshu_db::token::new(),
    };
    let answer = Answer {
        token: &token,
        typed: &form.code,
        device_token: &device_token,
        session_hours: state.settings.session_hours,
        audit_key: &state.settings.audit_key,
    };
    let done = match factor::answer(&mut conn, answer).await? {
        Outcome::Done(done) => done,
        Outcome::Refused(CodeRefusal::Expired | CodeRefusal::Required) => {
            return Ok(start_again(&state, &headers));
        }
        Outcome::Refused(refusal) => {
            let t = crate::lang::t();
            let (error, status) = code_refusal(&refusal);
            // Setting up, the same QR code again (the secret is kept until confirmed).
            let setup = match factor::challenge(&mut conn, &token).await? {
                Some(c) if c.kind == ChallengeKind::Enrol => factor::setting_up(
                    &mut conn,
                    &state.settings.audit_key,
                    c.institution_id,
                    c.user_id,
                )
                .await?
                .map(|s| Setup::of(&s, &c.institution_code, &c.login_id))
                .transpose()?,
                _ => None,
            };
            let page = StepPage {
                chrome: Chrome::anonymous(t.sf_title, form.csrf.clone()),
                t,
                setup,
                error: Some(error),
            };
            return render(&page).map(|r| no_store((status, r).into_response()));
        }
    };
    let secure = session::is_secure(&state, &headers);
    let next = if super::is_local_path(&done.next) {
        done.next.clone()
    } else {
        "/my".to_string()
    };
    let mut res = match &done.recovery_codes {
        Some(codes) => {
            let t = crate::lang::t();
            // Rendered for a person not signed in on this request yet: the page has no menu.
            let page = CodesPage {
                chrome: Chrome::anonymous(t.sf_codes_title, String::new()),
                t,
                codes: codes.clone(),
                next,
            };
            no_store(render(&page)?)
        }
        None => Redirect::to(&next).into_response(),
    };
    let hours = state.settings.session_hours;
    let cookies = [
        session::set_cookie(
            SESSION_COOKIE,
            &done.session_token,
            hours * 3600,
            secure,
            "Lax",
        ),
        session::set_cookie(PRE_SESSION_COOKIE, "", 0, secure, "Strict"),
        challenge_cookie("", secure),
        session::set_cookie(
            session::DEVICE_COOKIE,
            &device_token,
            DEVICE_DAYS * 86400,
            secure,
            "Strict",
        ),
    ];
    for c in cookies {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

/// What a refused code says, in the request's language, and the status it answers with.
fn code_refusal(refusal: &CodeRefusal) -> (String, StatusCode) {
    let t = crate::lang::t();
    match refusal {
        CodeRefusal::Wrong => (t.sf_wrong.to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        CodeRefusal::Wait { secs } => (t.sign_in_wait(*secs), StatusCode::TOO_MANY_REQUESTS),
        CodeRefusal::Expired => (t.sf_expired.to_string(), StatusCode::CONFLICT),
        CodeRefusal::Required => (
            t.sf_required_cannot_off.to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

#[derive(Template)]
#[template(path = "auth/second_factor_account.html")]
struct AccountPage {
    chrome: Chrome,
    t: &'static Catalogue,
    required: bool,
    /// Not set up yet: the QR code and the key.
    setup: Option<Setup>,
    since: String,
    recovery_left: i64,
    done: Option<&'static str>,
    error: Option<String>,
}

async fn account_page(
    state: &AppState,
    user: &CurrentUser,
    conn: &mut kenshu_db::PgConnection,
    done: Option<&'static str>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let s = &user.session;
    let standing = factor::standing(conn, s.institution_id, s.user_id, &s.role).await?;
    let confirmed = standing.factor.as_ref().filter(|f| f.confirmed());
    let setup = match confirmed {
        Some(_) => None,
        None => factor::setting_up(conn, &state.settings.audit_key, s.institution_id, s.user_id)
            .await?
            .map(|secret| Setup::of(&secret, &s.institution_code, &s.login_id))
            .transpose()?,
    };
    let t = crate::lang::t();
    let page = AccountPage {
        chrome: Chrome::for_user(user, t.sf_title),
        t,
        required: standing.required,
        setup,
        since: confirmed
            .and_then(|f| f.confirmed_at)
            .map(jtime)
            .unwrap_or_default(),
        recovery_left: confirmed.map_or(0, |f| f.recovery_left),
        done,
        error,
    };
    render(&page).map(no_store)
}

/// The account page: set the factor up, or see it, renew its recovery codes, turn it off.
pub async fn account(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    account_page(&state, &user, &mut conn, None, None).await
}

#[derive(Deserialize)]
pub struct AccountCodeForm {
    code: String,
}

/// The recovery codes to show once, from the account page.
fn codes_page(user: &CurrentUser, codes: Vec<String>) -> Result<Response, AppError> {
    let t = crate::lang::t();
    render(&CodesPage {
        chrome: Chrome::for_user(user, t.sf_codes_title),
        t,
        codes,
        next: "/second-factor".into(),
    })
    .map(no_store)
}

async fn refused(
    state: &AppState,
    user: &CurrentUser,
    conn: &mut kenshu_db::PgConnection,
    refusal: &CodeRefusal,
) -> Result<Response, AppError> {
    let (error, status) = code_refusal(refusal);
    let page = account_page(state, user, conn, None, Some(error)).await?;
    Ok((status, page).into_response())
}

/// Confirms the factor being set up with its first code.
pub async fn confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
    Form(form): Form<AccountCodeForm>,
) -> Result<Response, AppError> {
    match factor::confirm(&mut conn, &user.actor(), &form.code).await? {
        Outcome::Done(codes) => codes_page(&user, codes),
        Outcome::Refused(r) => refused(&state, &user, &mut conn, &r).await,
    }
}

/// New recovery codes, against a code of the app.
pub async fn renew(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
    Form(form): Form<AccountCodeForm>,
) -> Result<Response, AppError> {
    match factor::renew_recovery_codes(&mut conn, &user.actor(), &form.code).await? {
        Outcome::Done(codes) => codes_page(&user, codes),
        Outcome::Refused(r) => refused(&state, &user, &mut conn, &r).await,
    }
}

/// Turns the factor off, against a code of the app, where the institution allows it.
pub async fn turn_off(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
    Form(form): Form<AccountCodeForm>,
) -> Result<Response, AppError> {
    match factor::turn_off(&mut conn, &user.actor(), &user.session.role, &form.code).await? {
        Outcome::Done(()) => {
            let t = crate::lang::t();
            account_page(&state, &user, &mut conn, Some(t.sf_off_done), None).await
        }
        Outcome::Refused(r) => refused(&state, &user, &mut conn, &r).await,
    }
}
