//! Portal administration: course content versions, and the mail the portal sent (or, without
//! an SMTP server, wrote to the log).

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::lang::t;
use crate::page::{Chrome, jtime, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::{AppError, AppState};
use kenshu_core::i18n::Catalogue;

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

pub async fn content(user: CurrentUser, Conn(mut conn): Conn) -> Result<Response, AppError> {
    user.require(Action::ManageContent)?;
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
        chrome: Chrome::for_user(&user, t().admin_content),
        t: t(),
        rows,
    })
}

pub struct MailRow {
    pub created_at: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub state: &'static str,
    pub state_key: &'static str,
    pub attempts: i32,
    pub error: String,
}

#[derive(Template)]
#[template(path = "admin/mail.html")]
struct MailPage {
    chrome: Chrome,
    t: &'static Catalogue,
    transport: &'static str,
    rows: Vec<MailRow>,
}

/// The institution's latest 200 mails with what became of them.
pub async fn mail(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ManageContent)?;
    let rows = kenshu_db::reminder::outbox(&mut conn, user.session.institution_id, 200)
        .await?
        .into_iter()
        .map(|m| {
            let outcome = kenshu_db::reminder::mail_state(
                true,
                m.sent_via.as_deref(),
                m.attempts,
                m.gave_up_at.is_some(),
            );
            MailRow {
                created_at: jtime(m.created_at),
                to: m.to_address,
                subject: m.subject,
                body: m.body,
                state: crate::reminder::mail_label(outcome),
                state_key: outcome.key(),
                attempts: m.attempts,
                error: m.last_error.unwrap_or_default(),
            }
        })
        .collect();
    render(&MailPage {
        chrome: Chrome::for_user(&user, t().admin_mail),
        t: t(),
        // In words: whether mail leaves the portal at all.
        transport: if state.settings.mail_transport == "smtp" {
            t().mail_transport_smtp
        } else {
            t().mail_transport_log
        },
        rows,
    })
}
