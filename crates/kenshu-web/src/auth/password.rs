//! The password page: a signed-in person chooses a new password.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_app::auth::Outcome;
use kenshu_app::auth::password::{Own, PasswordRefusal, change_password as change};
use kenshu_core::i18n::Catalogue;
use serde::Deserialize;

use crate::page::{Chrome, render};
use crate::session::{Conn, CurrentUser};
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    chrome: Chrome,
    t: &'static Catalogue,
    forced: bool,
    error: Option<String>,
}

pub async fn password_form(user: CurrentUser) -> Result<Response, AppError> {
    page(&user, None)
}

fn page(user: &CurrentUser, error: Option<String>) -> Result<Response, AppError> {
    render(&PasswordPage {
        chrome: Chrome::for_user(user, crate::lang::t().password_title),
        t: crate::lang::t(),
        forced: user.session.must_change_password,
        error,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

/// What a refused password says, in the request's language, and the status it answers with.
pub(super) fn refusal(refusal: PasswordRefusal) -> (String, StatusCode) {
    let t = crate::lang::t();
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    match refusal {
        PasswordRefusal::Weak(weak) => (t.weak_password(&weak), refused),
        PasswordRefusal::Mismatch => (t.password_mismatch.to_string(), refused),
        PasswordRefusal::CurrentWrong => (t.password_current_wrong.to_string(), refused),
        PasswordRefusal::Wait { secs } => (t.sign_in_wait(secs), StatusCode::TOO_MANY_REQUESTS),
        PasswordRefusal::LinkInvalid => (t.link_invalid.to_string(), StatusCode::BAD_REQUEST),
    }
}

/// Changes one's own password (`kenshu_app::auth::password::change_password`); every other
/// session of the person ends, on this instance at once.
pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(conn): Conn,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let actor = user.actor();
    let who = Own {
        actor: &actor,
        institution_id: user.session.institution_id,
        user_id: user.session.user_id,
        login_id: &user.session.login_id,
        session_hash: &user.token_hash,
    };
    match change(
        &state.requests,
        conn,
        who,
        &form.current,
        &form.new,
        &form.confirm,
    )
    .await?
    {
        Outcome::Done(_) => {
            state.sessions.forget_person(user.session.user_id);
            Ok(Redirect::to("/my?password=changed").into_response())
        }
        Outcome::Refused(r) => {
            let (error, status) = refusal(r);
            page(&user, Some(error)).map(|r| (status, r).into_response())
        }
    }
}
