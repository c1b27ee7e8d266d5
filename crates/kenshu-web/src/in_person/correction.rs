//! Corrections of attendance (出欠の訂正): an officer who manages a session withdraws an
//! attendance recorded wrongly (a check-in before the session, someone who was not there)
//! with a reason. The completion that attendance made (修了（集合研修）) is withdrawn with it;
//! a completion made otherwise stays, and one the person has earned online is recorded as
//! such. The correction is kept with what was there before, written to the audit log, listed
//! on the session page and shown in the attendance list's remarks.
//!
//! Marking someone present after the fact needs no correction: the checklist records
//! attendance at any time after the start.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kenshu_app::in_person::{self, InPersonError};
use kenshu_core::in_person::{ReasonError, parse_reason};
use kenshu_db::PgConnection;
use kenshu_db::in_person::Session;
use kenshu_db::in_person::corrections::{Correction, Withdrawn};
use serde::Deserialize;
use uuid::Uuid;

use crate::lang::t;
use crate::page::jtime;
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use crate::{AppError, AppState};

use super::detail::{show_page, via_label};
use super::managed_for;

/// One line of a session's correction history.
pub struct CorrectionRow {
    pub at: String,
    pub login: String,
    pub name: String,
    /// Before → after, e.g. "出席（2026-12-10 09:58 QRコード）→ 出席取消・修了（集合研修）も取消".
    pub change: String,
    pub reason: String,
    pub by: String,
}

impl CorrectionRow {
    pub fn of(c: &Correction) -> Self {
        let before = match (c.attended_before, c.previous_attended_at) {
            (true, Some(at)) => format!(
                "{}{}{} {}{}",
                t().ip_attended,
                t().paren_open,
                jtime(at),
                via_label(c.previous_via.as_deref()),
                t().paren_close
            ),
            (true, None) => t().ip_attended.to_string(),
            (false, _) => "—".to_string(),
        };
        let mut after = if c.attended_after {
            t().ip_attended.to_string()
        } else {
            t().ip_withdrawn.to_string()
        };
        if c.withdrawn_completion {
            after.push('・');
            after.push_str(t().ip_completion_withdrawn);
        }
        CorrectionRow {
            at: jtime(c.corrected_at),
            login: c.login_id.clone(),
            name: c.name.clone(),
            change: format!("{before} → {after}"),
            reason: c.reason.clone(),
            by: c.corrected_by.clone(),
        }
    }
}

#[derive(Deserialize)]
pub struct CorrectionForm {
    #[serde(default)]
    person: String,
    #[serde(default)]
    reason: String,
}

/// The session page again with what to fix; nothing was written.
async fn refuse(
    conn: &mut PgConnection,
    user: &CurrentUser,
    session: &Session,
    status: StatusCode,
    notice: String,
) -> Result<Response, AppError> {
    let mut res = show_page(conn, user, session, Some(notice)).await?;
    *res.status_mut() = status;
    Ok(res)
}

/// Withdraws a participant's recorded attendance, with a reason. Allowed on a cancelled
/// session too: a wrong record there must be mendable as well.
pub async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Conn(mut conn): Conn,
    Form(f): Form<CorrectionForm>,
) -> Result<Response, AppError> {
    let session = managed_for(&mut conn, &user, id, Action::CorrectAttendance).await?;
    let reason = match parse_reason(&f.reason) {
        Ok(r) => r,
        Err(e) => {
            let notice = match e {
                ReasonError::Empty | ReasonError::TooLong => t().ip_correct_reason_fix.to_string(),
                ReasonError::MyNumber => {
                    format!("{}: {}", t().ip_correct_reason, t().my_number_refused)
                }
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return refuse(&mut conn, &user, &session, status, notice).await;
        }
    };
    let not_attended = t().ip_correct_not_attended.to_string();
    let Ok(person) = Uuid::parse_str(f.person.trim()) else {
        return refuse(
            &mut conn,
            &user,
            &session,
            StatusCode::CONFLICT,
            not_attended,
        )
        .await;
    };
    let mut tx = Tx::begin(Conn(conn)).await?;
    let actor = user.actor();
    let withdrawn = in_person::withdraw_attendance(
        &mut tx,
        &state.catalog,
        &actor,
        &session,
        person,
        reason,
        |c| audit_detail(&session, &c.previous, c.completion_withdrawn, reason),
    )
    .await;
    match withdrawn {
        Ok(_) => {}
        Err(InPersonError::NotAttended) => {
            let Conn(mut conn) = tx.rollback()?;
            let status = StatusCode::CONFLICT;
            return refuse(&mut conn, &user, &session, status, not_attended).await;
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(crate::flash::redirect(
        &format!("/officer/sessions/{id}#corrections"),
        crate::flash::Done::AttendanceWithdrawn,
    ))
}

/// The audit entry's detail: which session, what was there, what was withdrawn, and why.
fn audit_detail(session: &Session, previous: &Withdrawn, completion: bool, reason: &str) -> String {
    format!(
        "集合研修 {} {} {}: {}（{} {}）→ {}{}; {}: {}",
        session.id,
        session.course_code,
        jtime(session.starts_at),
        t().ip_attended,
        jtime(previous.attended_at),
        via_label(Some(&previous.via)),
        t().ip_withdrawn,
        if completion {
            format!("・{}", t().ip_completion_withdrawn)
        } else {
            String::new()
        },
        t().ip_correct_reason,
        reason
    )
}
