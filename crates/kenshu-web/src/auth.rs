//! Sign-in, sign-out and choosing a new password.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_app::audit::Actor;
use kenshu_core::audit::AuditAction;
use kenshu_core::people::check_new_password;
use kenshu_db::throttle::{Key, Rule, Taken};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::page::{Chrome, render, render_with_cookie};
use crate::session::{self, Conn, CurrentUser, PRE_SESSION_COOKIE, SESSION_COOKIE, Viewer};
use crate::{AppError, AppState};
use kenshu_core::i18n::Catalogue;

/// Throttling rules (README, Security). An account, from browsers it has not signed in with:
/// five free failures, then 1, 2, 4 … seconds between attempts, at most 15 minutes.
pub const ACCOUNT_RULE: Rule = Rule {
    free: 5,
    max_delay_secs: 900,
};
/// A browser the person signed in with before: its own count, so a stranger's failures on the
/// account never hold the person up there.
pub const DEVICE_RULE: Rule = Rule {
    free: 10,
    max_delay_secs: 900,
};
/// One client address across all accounts (password spraying). Generous: a whole office often
/// shares one address behind its proxy, and a short delay is all it earns.
pub const CLIENT_RULE: Rule = Rule {
    free: 50,
    max_delay_secs: 60,
};
/// The current password on the password page.
pub const PASSWORD_RULE: Rule = Rule {
    free: 5,
    max_delay_secs: 900,
};
/// Longest accepted sign-in fields: an e-mail address is at most 254 characters.
const MAX_LOGIN: usize = 254;
const MAX_INSTITUTION: usize = 64;
/// Longer than any password the policy accepts (128 characters of up to 4 bytes).
const MAX_PASSWORD_BYTES: usize = 1024;
/// Remembered browsers (device cookies) last as long as browsers keep a cookie: 400 days.
const DEVICE_DAYS: i64 = 400;

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    chrome: Chrome,
    t: &'static Catalogue,
    ask_institution: bool,
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

async fn many_institutions(conn: &mut sqlx::PgConnection) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar("select count(*) from institutions")
        .fetch_one(conn)
        .await?;
    Ok(n != 1)
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
    let (token, cookie) = pre_session_token(&state, &headers);
    let page = LoginPage {
        chrome: Chrome::anonymous(crate::lang::t().sign_in, token),
        t: crate::lang::t(),
        ask_institution: many_institutions(&mut conn).await?,
        institution: String::new(),
        login: String::new(),
        next: safe_next(q.next.as_deref()),
        error: None,
        welcome: q.welcome.is_some(),
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

/// Signs a person in. The attempt is taken from the throttle before the password is checked
/// (atomically: parallel guesses cannot slip through), the password is checked without holding
/// a database connection, and a held-back attempt is refused without checking it at all.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Client,
    Conn(conn): Conn,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    // A flood's first lines, before any database work: an address sending attempts faster
    // than anyone types, and a queue of password checks already full.
    if !state.sign_in_gate.admit(&client.0) {
        tracing::warn!(client = %client.0, "sign-in flood from one address held back");
        return Err(AppError::TooManyAttempts);
    }
    // The browser's device token, if it is one of ours (64 hex digits).
    let device_token = session::read_cookie(&state, &headers, session::DEVICE_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string);
    if device_token.is_none() && kenshu_db::password::is_full(kenshu_db::password::Line::General) {
        return Err(AppError::Busy);
    }
    let mut conn = conn;
    let too_long = form.login.chars().count() > MAX_LOGIN
        || form.institution.chars().count() > MAX_INSTITUTION
        || form.password.len() > MAX_PASSWORD_BYTES;
    let (ask_institution, institution) = if too_long {
        (many_institutions(&mut conn).await?, None)
    } else {
        kenshu_db::institutions::for_sign_in(&mut conn, form.institution.trim()).await?
    };
    let fail = |msg: String, status: StatusCode| {
        let page = LoginPage {
            chrome: Chrome::anonymous(crate::lang::t().sign_in, form.csrf.clone()),
            t: crate::lang::t(),
            ask_institution,
            institution: bounded(&form.institution, MAX_INSTITUTION),
            login: bounded(&form.login, MAX_LOGIN),
            next: safe_next(form.next.as_deref()),
            error: Some(msg),
            welcome: false,
        };
        render(&page).map(|r| (status, r).into_response())
    };
    if too_long {
        return fail(
            crate::lang::t().sign_in_too_long.to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let login_key = form.login.trim().to_lowercase();
    let Some(institution) = institution else {
        return fail(crate::lang::t().sign_in_failed.to_string(), StatusCode::OK);
    };
    let credentials =
        kenshu_db::users::credentials(&mut conn, institution.id, form.login.trim()).await?;
    let device = device_token.as_deref().map(session::token_hash);
    let trusted = match (&credentials, &device) {
        (Some(c), Some(d)) => {
            kenshu_db::throttle::is_trusted_device(&mut conn, institution.id, c.id, d).await?
        }
        _ => false,
    };
    // An account is one key whatever name it is signed in with (login ID or e-mail); a name
    // nobody has is throttled the same way, so the replies tell nothing about who exists.
    let account_key = match &credentials {
        Some(c) => format!("u:{}", c.id),
        None => format!(
            "n:{}",
            login_key.chars().take(MAX_LOGIN).collect::<String>()
        ),
    };
    let keys = match (&device, trusted) {
        (Some(d), true) => vec![Key {
            key: format!("d:{}", hex::encode(&d[..16])),
            rule: DEVICE_RULE,
        }],
        _ => vec![
            Key {
                key: account_key.clone(),
                rule: ACCOUNT_RULE,
            },
            Key {
                key: format!("c:{}", client.0),
                rule: CLIENT_RULE,
            },
        ],
    };
    let failures = match kenshu_db::throttle::take(&mut conn, institution.id, &keys).await? {
        Taken::Allowed { failures } => failures,
        Taken::HeldBack { wait_secs } => {
            kenshu_app::metrics::sign_in_refused(kenshu_app::metrics::Refusal::Throttled);
            tracing::warn!(institution = %institution.code, wait_secs, "sign-in held back by the throttle");
            return fail(
                crate::lang::t().sign_in_wait(wait_secs),
                StatusCode::TOO_MANY_REQUESTS,
            );
        }
    };
    // Nothing below waits on the database while the password is checked.
    drop(conn);
    let password = form.password.clone();
    let hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
    let line = if trusted {
        kenshu_db::password::Line::Trusted
    } else {
        kenshu_db::password::Line::General
    };
    let verified = match kenshu_db::password::run_in(line, move || match hash {
        Some(h) => kenshu_db::password::verify(&h, &password),
        None => {
            kenshu_db::password::verify_dummy(&password);
            false
        }
    })
    .await
    {
        Ok(v) => v,
        Err(kenshu_db::password::Refused::Busy) => return Err(AppError::Busy),
        Err(e) => return Err(AppError::Internal(e.to_string())),
    };
    let Conn(mut conn) = Conn::after_body(&state).await?;
    let user = match credentials {
        Some(c) if verified && c.active => c,
        _ => {
            tracing::info!(institution = %institution.code, failures, "sign-in failed");
            let attempted: String = login_key.chars().take(100).collect();
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            Actor::attempt(&state.settings.audit_key, institution.id, &attempted)
                .record(
                    &mut tx,
                    AuditAction::SignInFailed,
                    "",
                    &format!("failures in a row: {failures}"),
                )
                .await?;
            tx.commit().await?;
            return fail(crate::lang::t().sign_in_failed.to_string(), StatusCode::OK);
        }
    };
    let token = session::new_token();
    let device_token = device_token.unwrap_or_else(session::new_token);
    let hours = state.settings.session_hours;
    let login: String = login_key.chars().take(100).collect();
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let cleared = [account_key, keys[0].key.clone()];
    kenshu_db::throttle::clear(&mut tx, institution.id, &cleared).await?;
    let refunded: Vec<String> = keys.iter().skip(1).map(|k| k.key.clone()).collect();
    kenshu_db::throttle::refund(&mut tx, institution.id, &refunded).await?;
    kenshu_db::throttle::trust_device(
        &mut tx,
        institution.id,
        user.id,
        &session::token_hash(&device_token),
    )
    .await?;
    kenshu_db::sessions::create(
        &mut tx,
        &session::token_hash(&token),
        institution.id,
        user.id,
        &session::new_token(),
        OffsetDateTime::now_utc() + Duration::hours(hours),
    )
    .await?;
    Actor::person(&state.settings.audit_key, institution.id, user.id, &login)
        .record(&mut tx, AuditAction::SignIn, "", "")
        .await?;
    tx.commit().await?;
    state.sign_in_gate.refund(&client.0);
    tracing::info!(institution = %institution.code, user = %user.id, "signed in");
    let secure = session::is_secure(&state, &headers);
    let mut res = Redirect::to(&safe_next(form.next.as_deref())).into_response();
    let cookies = [
        session::set_cookie(SESSION_COOKIE, &token, hours * 3600, secure, "Lax"),
        session::set_cookie(PRE_SESSION_COOKIE, "", 0, secure, "Strict"),
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

/// At most `max` characters of a field, to show back in the form.
fn bounded(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Who is asking, for the per-client throttle: the peer's address, or with a trusted proxy in
/// front (`--trust-proxy`) the address it appended to `X-Forwarded-For`.
pub struct Client(pub String);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let forwarded = state
            .settings
            .trust_proxy
            .then(|| {
                parts
                    .headers
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .map(str::trim)
                    .rfind(|v| !v.is_empty())
                    .and_then(|v| v.parse::<std::net::IpAddr>().ok())
            })
            .flatten();
        let peer = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Client(forwarded.or(peer).map_or_else(
            || "unknown".to_string(),
            |ip| ip.to_string(),
        )))
    }
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    kenshu_db::sessions::delete(&mut tx, &user.token_hash).await?;
    user.actor()
        .record(&mut tx, AuditAction::SignOut, "", "")
        .await?;
    tx.commit().await?;
    state.sessions.forget_session(&user.token_hash);
    let mut res = Redirect::to("/login").into_response();
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

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    chrome: Chrome,
    t: &'static Catalogue,
    forced: bool,
    error: Option<String>,
}

pub async fn password_form(user: CurrentUser) -> Result<Response, AppError> {
    render(&PasswordPage {
        chrome: Chrome::for_user(&user, crate::lang::t().password_title),
        t: crate::lang::t(),
        forced: user.session.must_change_password,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

/// Changes one's own password. The current password is checked like a sign-in (throttled,
/// without holding a connection while hashing); the change ends every other session and is
/// written to the audit log.
pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(conn): Conn,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let mut conn = conn;
    let fail = |msg: String, status: StatusCode| {
        render(&PasswordPage {
            chrome: Chrome::for_user(&user, crate::lang::t().password_title),
            t: crate::lang::t(),
            forced: user.session.must_change_password,
            error: Some(msg),
        })
        .map(|r| (status, r).into_response())
    };
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    if form.current.len() > MAX_PASSWORD_BYTES || form.new.len() > MAX_PASSWORD_BYTES {
        return fail(
            kenshu_core::people::WeakPassword::TooLong.to_string(),
            refused,
        );
    }
    if form.new != form.confirm {
        return fail(crate::lang::t().password_mismatch.to_string(), refused);
    }
    if form.new == form.current {
        return fail(
            kenshu_core::people::WeakPassword::Unchanged.to_string(),
            refused,
        );
    }
    if let Err(weak) = check_new_password(&user.session.login_id, &form.new) {
        return fail(weak.to_string(), refused);
    }
    let inst = user.session.institution_id;
    let key = Key {
        key: format!("p:{}", user.session.user_id),
        rule: PASSWORD_RULE,
    };
    if let Taken::HeldBack { wait_secs } =
        kenshu_db::throttle::take(&mut conn, inst, std::slice::from_ref(&key)).await?
    {
        return fail(
            crate::lang::t().sign_in_wait(wait_secs),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let stored = kenshu_db::users::password_hash(&mut conn, inst, user.session.user_id).await?;
    drop(conn);
    let (current, new) = (form.current.clone(), form.new.clone());
    let hashed = kenshu_db::password::run_limited(move || {
        if stored.is_some_and(|stored| kenshu_db::password::verify(&stored, &current)) {
            kenshu_db::password::hash(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(AppError::from)?
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let Conn(mut conn) = Conn::after_body(&state).await?;
    let Some(hashed) = hashed else {
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        user.actor()
            .record(
                &mut tx,
                AuditAction::PasswordChangeFailed,
                "",
                "current password wrong",
            )
            .await?;
        tx.commit().await?;
        return fail(crate::lang::t().password_current_wrong.to_string(), refused);
    };
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    kenshu_db::users::set_password(&mut tx, inst, user.session.user_id, &hashed).await?;
    let ended =
        kenshu_db::sessions::delete_others(&mut tx, inst, user.session.user_id, &user.token_hash)
            .await?;
    kenshu_db::throttle::clear(&mut tx, inst, &[key.key]).await?;
    user.actor()
        .record(
            &mut tx,
            AuditAction::PasswordChanged,
            "",
            &format!("other sessions ended: {ended}"),
        )
        .await?;
    tx.commit().await?;
    state.sessions.forget_person(user.session.user_id);
    Ok(Redirect::to("/my?password=changed").into_response())
}

/// The pre-session CSRF token from its cookie, or a new one with the cookie that sets it.
fn pre_session_token(state: &AppState, headers: &HeaderMap) -> (String, Option<String>) {
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

#[derive(Template)]
#[template(path = "auth/welcome.html")]
struct WelcomePage {
    chrome: Chrome,
    t: &'static Catalogue,
    name: String,
    login: String,
    token: String,
    error: Option<String>,
}

/// A one-time sign-in link: the person chooses their password.
pub async fn welcome_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(token): axum::extract::Path<String>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let owner = kenshu_db::users::link_owner(&mut conn, &session::token_hash(&token)).await?;
    let Some((_, _, login, name)) = owner else {
        return Err(AppError::BadRequest(crate::lang::t().link_invalid.into()));
    };
    let (csrf, cookie) = pre_session_token(&state, &headers);
    let page = WelcomePage {
        chrome: Chrome::anonymous(crate::lang::t().welcome_title, csrf),
        t: crate::lang::t(),
        name,
        login,
        token,
        error: None,
    };
    render_with_cookie(&page, cookie)
}

#[derive(Deserialize)]
pub struct WelcomeForm {
    new: String,
    confirm: String,
    csrf: String,
}

/// Sets a password through a one-time link (first sign-in, or recovery): the link is used
/// up, every session of the person ends and their remembered browsers are forgotten, so a
/// recovery shuts out whoever held the account; written to the audit log.
pub async fn welcome(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
    Conn(conn): Conn,
    Form(form): Form<WelcomeForm>,
) -> Result<Response, AppError> {
    let mut conn = conn;
    let hash = session::token_hash(&token);
    let Some((institution_id, user_id, login, name)) =
        kenshu_db::users::link_owner(&mut conn, &hash).await?
    else {
        return Err(AppError::BadRequest(crate::lang::t().link_invalid.into()));
    };
    let problem = if form.new.len() > MAX_PASSWORD_BYTES {
        Some(kenshu_core::people::WeakPassword::TooLong.to_string())
    } else if form.new != form.confirm {
        Some(crate::lang::t().password_mismatch.to_string())
    } else {
        check_new_password(&login, &form.new)
            .err()
            .map(|e| e.to_string())
    };
    if let Some(error) = problem {
        let chrome = Chrome::anonymous(crate::lang::t().welcome_title, form.csrf.clone());
        return render(&WelcomePage {
            chrome,
            t: crate::lang::t(),
            name,
            login,
            token,
            error: Some(error),
        })
        .map(|r| (StatusCode::UNPROCESSABLE_ENTITY, r).into_response());
    }
    drop(conn);
    let new = form.new.clone();
    let hashed = kenshu_db::password::run_limited(move || kenshu_db::password::hash(&new))
        .await
        .map_err(AppError::from)?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let Conn(mut conn) = Conn::after_body(&state).await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    if !kenshu_db::users::use_link(&mut tx, &hash).await? {
        return Err(AppError::BadRequest(crate::lang::t().link_invalid.into()));
    }
    kenshu_db::users::set_password(&mut tx, institution_id, user_id, &hashed).await?;
    let ended = kenshu_db::sessions::delete_all(&mut tx, institution_id, user_id).await?;
    kenshu_db::throttle::forget_devices(&mut tx, institution_id, user_id).await?;
    kenshu_db::throttle::clear(&mut tx, institution_id, &[format!("u:{user_id}")]).await?;
    Actor::person(&state.settings.audit_key, institution_id, user_id, &login)
        .record(
            &mut tx,
            AuditAction::PasswordSetByLink,
            "",
            &format!("sessions ended: {ended}"),
        )
        .await?;
    tx.commit().await?;
    state.sessions.forget_person(user_id);
    tracing::info!(user = %user_id, "password set through a sign-in link");
    Ok(Redirect::to("/login?welcome=1").into_response())
}
