//! Portal administration: course content versions.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::i18n::{Catalogue, JA};
use crate::page::{Chrome, jtime, render};
use crate::policy::Action;
use crate::session::CurrentUser;
use crate::{AppError, AppState};

pub struct VersionRow {
    pub course: String,
    pub title: String,
    pub version: i32,
    pub sha: String,
    pub current: bool,
    pub loaded_at: String,
}

#[derive(Template)]
#[template(path = "admin/content.html")]
struct ContentPage {
    chrome: Chrome,
    t: &'static Catalogue,
    rows: Vec<VersionRow>,
}

pub async fn content(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    user.require(Action::ManageContent)?;
    let mut conn = state.pool.acquire().await?;
    let rows = kenshu_db::content::versions(&mut conn)
        .await?
        .into_iter()
        .map(|v| VersionRow {
            course: v.course_code,
            title: v.title,
            version: v.version,
            sha: v.sha256.chars().take(12).collect(),
            current: v.current,
            loaded_at: jtime(v.loaded_at),
        })
        .collect();
    render(&ContentPage {
        chrome: Chrome::for_user(&user, JA.admin_content),
        t: &JA,
        rows,
    })
}
