//! `/settings` (個人設定): what a person chooses for themselves, kept with their account. For
//! now, the language the portal speaks to them in (see `lang` for where it stands among the
//! others).

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_core::i18n::{Catalogue, Lang};
use serde::Deserialize;

use crate::lang::t;
use crate::page::{Chrome, render};
use crate::session::{Conn, CurrentUser};
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    t: &'static Catalogue,
    /// The stored choice: `ja`, `en`, or empty when the browser decides.
    language: &'static str,
    saved: bool,
}

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    saved: Option<String>,
}

/// `GET /settings`.
pub async fn form(user: CurrentUser, Query(q): Query<SettingsQuery>) -> Result<Response, AppError> {
    render(&SettingsPage {
        chrome: Chrome::for_user(&user, t().settings_title),
        t: t(),
        language: user.session.language().map_or("", Lang::code),
        saved: q.saved.is_some(),
    })
}

#[derive(Deserialize)]
pub struct SettingsForm {
    /// `ja`, `en`, or empty: follow the browser.
    language: String,
}

/// `POST /settings`: stores the choice and shows the page again, in the language chosen.
pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let language = match form.language.as_str() {
        "" => None,
        code => Some(Lang::from_code(code).ok_or_else(|| {
            AppError::BadRequest(format!(
                "{}: {}",
                t().settings_language,
                t().settings_language_fix
            ))
        })?),
    };
    kenshu_db::person::set_language(
        &mut conn,
        user.session.institution_id,
        user.session.user_id,
        language,
    )
    .await?;
    // This instance forgets the session now; the others hear of it from the account trigger.
    state.sessions.forget_person(user.session.user_id);
    Ok(Redirect::to("/settings?saved=1").into_response())
}
