//! Sign-in, sign-out and choosing a new password.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_core::people::check_new_password;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::i18n::{Catalogue, JA};
use crate::page::{Chrome, render, render_with_cookie};
use crate::session::{self, CurrentUser, PRE_SESSION_COOKIE, SESSION_COOKIE, Viewer};
use crate::{AppError, AppState};

/// Failures within the window that lock an account.
pub const LOCKOUT_FAILURES: i64 = 10;
pub const LOCKOUT_WINDOW_MINUTES: i32 = 15;

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
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => {
            n.to_string()
        }
        _ => "/my".to_string(),
    }
}

async fn many_institutions(state: &AppState) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar("select count(*) from institutions")
        .fetch_one(&state.pool)
        .await?;
    Ok(n != 1)
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    viewer: axum::Extension<Viewer>,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    if viewer.0.0.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    let (token, cookie) = pre_session_token(&state, &headers);
    let page = LoginPage {
        chrome: Chrome::anonymous(JA.sign_in, token),
        t: &JA,
        ask_institution: many_institutions(&state).await?,
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

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let ask_institution = many_institutions(&state).await?;
    let fail = |msg: String| LoginPage {
        chrome: Chrome::anonymous(JA.sign_in, form.csrf.clone()),
        t: &JA,
        ask_institution,
        institution: form.institution.clone(),
        login: form.login.clone(),
        next: safe_next(form.next.as_deref()),
        error: Some(msg),
        welcome: false,
    };
    let mut conn = state.pool.acquire().await?;
    let institution = if form.institution.trim().is_empty() && !ask_institution {
        kenshu_db::institutions::list(&mut conn)
            .await?
            .into_iter()
            .next()
    } else {
        kenshu_db::institutions::find_by_code(&mut conn, form.institution.trim()).await?
    };
    let login_key = form.login.trim().to_lowercase();
    let Some(institution) = institution else {
        return render(&fail(JA.sign_in_failed.to_string()));
    };
    if kenshu_db::users::recent_failures(
        &mut conn,
        institution.id,
        &login_key,
        LOCKOUT_WINDOW_MINUTES,
    )
    .await?
        >= LOCKOUT_FAILURES
    {
        tracing::warn!(institution = %institution.code, "sign-in refused: account locked");
        return render(&fail(JA.sign_in_locked.to_string()));
    }
    let credentials =
        kenshu_db::users::credentials(&mut conn, institution.id, form.login.trim()).await?;
    let password = form.password.clone();
    let hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
    let verified = kenshu_db::password::run_limited(move || match hash {
        Some(h) => kenshu_db::password::verify(&h, &password),
        None => {
            kenshu_db::password::verify_dummy(&password);
            false
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let user = match credentials {
        Some(c) if verified && c.active => c,
        _ => {
            kenshu_db::users::record_failure(&mut conn, institution.id, &login_key).await?;
            let failures = kenshu_db::users::recent_failures(
                &mut conn,
                institution.id,
                &login_key,
                LOCKOUT_WINDOW_MINUTES,
            )
            .await?;
            tracing::info!(institution = %institution.code, failures, "sign-in failed");
            let attempted: String = login_key.chars().take(100).collect();
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            kenshu_db::audit::append(
                &mut tx,
                &state.settings.audit_key,
                institution.id,
                &kenshu_db::audit::NewEntry {
                    actor_id: None,
                    actor: &attempted,
                    action: "sign_in_failed",
                    subject: "",
                    detail: &format!("failures in {LOCKOUT_WINDOW_MINUTES} min: {failures}"),
                },
            )
            .await?;
            tx.commit().await?;
            let msg = if failures >= LOCKOUT_FAILURES {
                JA.sign_in_locked
            } else {
                JA.sign_in_failed
            };
            return render(&fail(msg.to_string()));
        }
    };
    kenshu_db::users::clear_failures(&mut conn, institution.id, &login_key).await?;
    let token = session::new_token();
    let hours = state.settings.session_hours;
    kenshu_db::sessions::create(
        &mut conn,
        &session::token_hash(&token),
        institution.id,
        user.id,
        &session::new_token(),
        OffsetDateTime::now_utc() + Duration::hours(hours),
    )
    .await?;
    tracing::info!(institution = %institution.code, user = %user.id, "signed in");
    let login: String = login_key.chars().take(100).collect();
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    kenshu_db::audit::append(
        &mut tx,
        &state.settings.audit_key,
        institution.id,
        &kenshu_db::audit::NewEntry {
            actor_id: Some(user.id),
            actor: &login,
            action: "sign_in",
            subject: "",
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    let secure = session::is_secure(&state, &headers);
    let mut res = Redirect::to(&safe_next(form.next.as_deref())).into_response();
    let cookies = [
        session::set_cookie(SESSION_COOKIE, &token, hours * 3600, secure, "Lax"),
        session::set_cookie(PRE_SESSION_COOKIE, "", 0, secure, "Strict"),
    ];
    for c in cookies {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    kenshu_db::sessions::delete(&mut tx, &user.token_hash).await?;
    crate::audit::record(&mut tx, &user, "sign_out", "", "").await?;
    tx.commit().await?;
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
        chrome: Chrome::for_user(&user, JA.password_title),
        t: &JA,
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

pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let fail = |msg: String| {
        render(&PasswordPage {
            chrome: Chrome::for_user(&user, JA.password_title),
            t: &JA,
            forced: user.session.must_change_password,
            error: Some(msg),
        })
    };
    if form.new != form.confirm {
        return fail(JA.password_mismatch.to_string());
    }
    if form.new == form.current {
        return fail(kenshu_core::people::WeakPassword::Unchanged.to_string());
    }
    if let Err(weak) = check_new_password(&user.session.login_id, &form.new) {
        return fail(weak.to_string());
    }
    let mut conn = state.pool.acquire().await?;
    let stored = kenshu_db::users::password_hash(
        &mut conn,
        user.session.institution_id,
        user.session.user_id,
    )
    .await?;
    let (current, new) = (form.current.clone(), form.new.clone());
    let hashed = kenshu_db::password::run_limited(move || {
        if stored.is_some_and(|stored| kenshu_db::password::verify(&stored, &current)) {
            kenshu_db::password::hash(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let Some(hashed) = hashed else {
        return fail(JA.password_current_wrong.to_string());
    };
    let mut tx = state.pool.begin().await?;
    kenshu_db::users::set_password(
        &mut tx,
        user.session.institution_id,
        user.session.user_id,
        &hashed,
    )
    .await?;
    kenshu_db::sessions::delete_others(
        &mut tx,
        user.session.institution_id,
        user.session.user_id,
        &user.token_hash,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/my?password=changed").into_response())
}

/// The pre-session CSRF token from its cookie, or a new one with the cookie that sets it.
fn pre_session_token(state: &AppState, headers: &HeaderMap) -> (String, Option<String>) {
    match session::cookie(headers, PRE_SESSION_COOKIE) {
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
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let owner = kenshu_db::users::link_owner(&mut conn, &session::token_hash(&token)).await?;
    let Some((_, _, login, name)) = owner else {
        return Err(AppError::BadRequest(JA.link_invalid.into()));
    };
    let (csrf, cookie) = pre_session_token(&state, &headers);
    let page = WelcomePage {
        chrome: Chrome::anonymous(JA.welcome_title, csrf),
        t: &JA,
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

pub async fn welcome(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
    Form(form): Form<WelcomeForm>,
) -> Result<Response, AppError> {
    let hash = session::token_hash(&token);
    let mut tx = state.pool.begin().await?;
    let Some((institution_id, user_id, login, name)) =
        kenshu_db::users::link_owner(&mut tx, &hash).await?
    else {
        return Err(AppError::BadRequest(JA.link_invalid.into()));
    };
    let problem = if form.new != form.confirm {
        Some(JA.password_mismatch.to_string())
    } else {
        check_new_password(&login, &form.new)
            .err()
            .map(|e| e.to_string())
    };
    if let Some(error) = problem {
        let chrome = Chrome::anonymous(JA.welcome_title, form.csrf.clone());
        return render(&WelcomePage {
            chrome,
            t: &JA,
            name,
            login,
            token,
            error: Some(error),
        });
    }
    let new = form.new.clone();
    let hashed = kenshu_db::password::run_limited(move || kenshu_db::password::hash(&new))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if !kenshu_db::users::use_link(&mut tx, &hash).await? {
        return Err(AppError::BadRequest(JA.link_invalid.into()));
    }
    kenshu_db::users::set_password(&mut tx, institution_id, user_id, &hashed).await?;
    tx.commit().await?;
    tracing::info!(user = %user_id, "password set through a sign-in link");
    Ok(Redirect::to("/login?welcome=1").into_response())
}
