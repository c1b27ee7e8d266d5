//! A one-time sign-in link: the person chooses their password (first sign-in, or recovery).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_app::auth::Outcome;
use kenshu_app::auth::password::{PasswordRefusal, link_owner, set_password_by_link};
use kenshu_core::i18n::Catalogue;
use serde::Deserialize;

use super::pre_session_token;
use crate::page::{Chrome, render, render_with_cookie};
use crate::session::Conn;
use crate::{AppError, AppState};

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

fn link_invalid() -> AppError {
    AppError::BadRequest(crate::lang::t().link_invalid.into())
}

pub async fn welcome_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let Some(owner) = link_owner(&mut conn, &token).await? else {
        return Err(link_invalid());
    };
    let (csrf, cookie) = pre_session_token(&state, &headers);
    let page = WelcomePage {
        chrome: Chrome::anonymous(crate::lang::t().welcome_title, csrf),
        t: crate::lang::t(),
        name: owner.name,
        login: owner.login_id,
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

/// Sets the password through the link (`kenshu_app::auth::password::set_password_by_link`);
/// the person's sessions end, on this instance at once, and they are sent to sign in.
pub async fn welcome(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Conn(mut conn): Conn,
    Form(form): Form<WelcomeForm>,
) -> Result<Response, AppError> {
    let Some(owner) = link_owner(&mut conn, &token).await? else {
        return Err(link_invalid());
    };
    let key = &state.settings.audit_key;
    let (new, confirm) = (&form.new, &form.confirm);
    match set_password_by_link(&state.requests, conn, key, &token, &owner, new, confirm).await? {
        Outcome::Done(_) => {
            state.sessions.forget_person(owner.user_id);
            Ok(Redirect::to("/login?welcome=1").into_response())
        }
        Outcome::Refused(PasswordRefusal::LinkInvalid) => Err(link_invalid()),
        Outcome::Refused(r) => {
            let (error, status) = super::password::refusal(r);
            render(&WelcomePage {
                chrome: Chrome::anonymous(crate::lang::t().welcome_title, form.csrf.clone()),
                t: crate::lang::t(),
                name: owner.name,
                login: owner.login_id,
                token,
                error: Some(error),
            })
            .map(|r| (status, r).into_response())
        }
    }
}
