//! 督促 from the web: an officer reminds one person or everyone picked on the dashboard
//! (`kenshu_app::reminder` sends them), the person acknowledges what was shown to them, and
//! the pages list a person's reminders.

use crate::lang::t;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_app::reminder::{Picked, SentBy, checked_message, remind};
use kenshu_db::PgConnection;
use uuid::Uuid;

use crate::picks::{picked_people, picks};
use crate::policy::Action;
use crate::refused::Refused;
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use crate::year::ThisYear;
use crate::{AppError, AppState};

/// Sends reminders to the picked people, each within the sender's divisions, in the request's
/// transaction. Returns how many were sent.
async fn send(
    state: &AppState,
    user: &CurrentUser,
    mut tx: Tx,
    picks: &[(String, Option<String>)],
    message: &str,
) -> Result<usize, AppError> {
    let picked: Vec<Picked> = picked_people(&mut tx, user, picks).await?;
    let from = SentBy {
        institution_id: user.session.institution_id,
        institution_name: &user.session.institution_name,
        user_id: user.session.user_id,
        portal_url: &state.settings.public_url,
    };
    let today = kenshu_core::japan_today();
    let fy = kenshu_core::FiscalYear::of(today);
    let n = remind(&mut tx, &from, fy, today, &picked, message).await?;
    tx.commit().await?;
    Ok(n)
}

#[derive(serde::Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    message: String,
    /// The dashboard's division, to return to.
    #[serde(default)]
    division: String,
    #[serde(default)]
    show: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    pick: Vec<String>,
}

#[derive(serde::Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    message: String,
}

/// 督促: one person, all their unfinished courses and the rules they are still to acknowledge.
pub async fn person(
    State(state): State<AppState>,
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    Path(login): Path<String>,
    tx: Tx,
    Form(f): Form<PersonForm>,
) -> Result<Response, AppError> {
    user.require(Action::ManageDesignations)?;
    let message = match checked_message(&f.message) {
        Ok(m) => m,
        Err(e) => {
            let typed = vec![("rm-message", f.message.clone())];
            let refused = Refused::of(e.into(), "rm-message", typed)?;
            return crate::person::refuse(&user, tx, login, fy, refused).await;
        }
    };
    send(&state, &user, tx, &[(login.clone(), None)], &message).await?;
    Ok(crate::flash::redirect(
        &format!(
            "/people/{}?reminded=1#reminders",
            crate::error::url_escape(&login)
        ),
        crate::flash::Done::Reminded,
    ))
}

/// 督促: everyone selected on the dashboard. A My Number in the message or nobody picked shows
/// the dashboard again as it was, with the reason (422).
pub async fn group(
    State(state): State<AppState>,
    user: CurrentUser,
    tx: Tx,
    axum_extra::extract::Form(f): axum_extra::extract::Form<GroupForm>,
) -> Result<Response, AppError> {
    user.require(Action::ManageDesignations)?;
    let view = crate::officer::DashboardQuery::view(&f.division, &f.show, &f.sort);
    let typed = || {
        let mut typed = vec![("group-message", f.message.clone())];
        typed.extend(f.pick.iter().map(|p| ("remind-pick", p.clone())));
        typed
    };
    let message = match checked_message(&f.message) {
        Ok(m) => m,
        Err(e) => {
            let refused = Refused::of(e.into(), "group-message", typed())?;
            return crate::officer::refuse(&state, &user, tx, view, refused).await;
        }
    };
    let picks = picks(&f.pick);
    if picks.is_empty() {
        let refused = Refused::new("remind-picks", t().reminder_nobody.into(), typed());
        return crate::officer::refuse(&state, &user, tx, view, refused).await;
    }
    let n = send(&state, &user, tx, &picks, &message).await?;
    let back = crate::officer::DashboardQuery {
        reminded: Some(n),
        ..view
    };
    Ok(Redirect::to(&back.url()).into_response())
}

/// The person has read the reminders shown to them.
pub async fn seen(user: CurrentUser, Conn(mut conn): Conn) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    kenshu_app::reminder::seen(&mut conn, user.session.institution_id, user.session.user_id)
        .await?;
    Ok(Redirect::to("/my").into_response())
}

/// A reminder as pages show it.
pub struct ReminderRow {
    pub at: String,
    pub courses: String,
    pub message: String,
    pub by: String,
    pub mail: &'static str,
    pub seen: bool,
}

pub fn mail_label(state: kenshu_db::reminder::MailState) -> &'static str {
    use kenshu_db::reminder::MailState;
    match state {
        MailState::NoAddress => t().mail_no_address,
        MailState::Waiting => t().mail_waiting,
        MailState::Retrying => t().mail_retrying,
        MailState::Sent => t().mail_sent,
        MailState::Logged => t().mail_logged,
        MailState::GaveUp => t().mail_gave_up,
    }
}

/// What a list of reminders leaves out, and the rules' titles.
pub struct Shown<'a> {
    /// Courses completed since: left out of each reminder.
    pub finished: &'a [&'a str],
    /// The required rules' titles, by code.
    pub rule_titles: &'a [(&'a str, &'a str)],
    /// Only the rules in `rule_titles` are named (the person's list: those still to
    /// acknowledge); otherwise every rule, by its code when it has no title here (no longer
    /// required).
    pub pending_rules_only: bool,
}

/// A person's reminders, newest first (with `unseen_only`, the ones to show them), without
/// what `shown` leaves out; a reminder left naming nothing is left out.
pub async fn rows(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    unseen_only: bool,
    shown: &Shown<'_>,
) -> Result<Vec<ReminderRow>, sqlx::Error> {
    let mut list =
        kenshu_db::reminder::for_person(conn, institution_id, user_id, unseen_only).await?;
    let title = |code: &str| {
        shown
            .rule_titles
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, title)| *title)
    };
    for r in &mut list {
        r.courses.retain(|c| !shown.finished.contains(&c.as_str()));
        if shown.pending_rules_only {
            r.rules.retain(|c| title(c).is_some());
        }
    }
    list.retain(|r| !r.courses.is_empty() || !r.rules.is_empty());
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let titles = kenshu_db::content::course_titles(conn).await?;
    Ok(list
        .into_iter()
        .map(|r| {
            let courses = r
                .courses
                .iter()
                .map(|c| titles.get(c).cloned().unwrap_or_else(|| c.clone()));
            let rules = r.rules.iter().map(|c| {
                t().digest_rule_item
                    .replace("{title}", title(c).unwrap_or(c))
            });
            ReminderRow {
                at: crate::page::jtime(r.created_at),
                courses: courses
                    .chain(rules)
                    .collect::<Vec<_>>()
                    .join(crate::lang::t().list_sep),
                message: r.message,
                by: r
                    .sent_by
                    .unwrap_or_else(|| t().reminder_by_schedule.to_string()),
                mail: mail_label(r.mail),
                seen: r.seen,
            }
        })
        .collect())
}
