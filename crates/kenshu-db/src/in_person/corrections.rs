//! Corrections of in-person attendance (出欠の訂正): withdrawing a recorded attendance, the
//! completion it made, and the history of corrections (migration 0030), which is appended to
//! and never rewritten.

use kenshu_core::FiscalYear;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::learning::Learner;

/// An attendance as it was before it was withdrawn.
#[derive(Debug, Clone)]
pub struct Withdrawn {
    pub login_id: String,
    pub attended_at: OffsetDateTime,
    pub via: String,
    pub recorded_by: Option<Uuid>,
}

/// Clears a participant's recorded attendance (the row is locked first, so two officers
/// withdrawing at once withdraw once). Returns what it was, or None when no attendance of
/// that person is recorded in the session.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, session = %session_id, user = %user_id))]
pub async fn withdraw_attendance(
    conn: &mut PgConnection,
    institution_id: Uuid,
    session_id: Uuid,
    user_id: Uuid,
) -> Result<Option<Withdrawn>, sqlx::Error> {
    sqlx::query_as!(
        Withdrawn,
        r#"with old as (
               select institution_id, session_id, user_id, attended_at, attendance_via, attendance_recorded_by
               from in_person_participants
               where institution_id = $1 and session_id = $2 and user_id = $3 and attended_at is not null
               for update
           )
           update in_person_participants p
           set attended_at = null, attendance_via = null, attendance_recorded_by = null
           from old
           where p.institution_id = old.institution_id and p.session_id = old.session_id and p.user_id = old.user_id
           returning (select u.login_id from users u where u.institution_id = p.institution_id and u.id = p.user_id) as "login_id!",
                     old.attended_at as "attended_at!", old.attendance_via as "via!",
                     old.attendance_recorded_by as recorded_by"#,
        institution_id,
        session_id,
        user_id
    )
    .fetch_optional(conn)
    .await
}

/// Deletes the learner's completion of the course if attendance made it (method `in_person`)
/// and no other recorded attendance at a session of the course that year still stands behind
/// it; completions made otherwise stay. A plain DELETE, so the overview counts follow.
/// Returns the completion's time when it was deleted.
pub async fn withdraw_in_person_completion(
    conn: &mut PgConnection,
    who: Learner,
    course_code: &str,
) -> Result<Option<OffsetDateTime>, sqlx::Error> {
    sqlx::query_scalar!(
        "delete from completions c
         where c.institution_id = $1 and c.user_id = $2 and c.fiscal_year = $3 and c.course_code = $4
           and c.method = 'in_person'
           and not exists (select 1 from in_person_participants p
                           join in_person_sessions s on s.institution_id = p.institution_id and s.id = p.session_id
                           where p.institution_id = $1 and p.user_id = $2 and s.fiscal_year = $3
                             and s.course_code = $4 and p.attended_at is not null)
         returning c.completed_at",
        who.institution_id,
        who.user_id,
        who.fiscal_year.year(),
        course_code
    )
    .fetch_optional(conn)
    .await
}

/// A correction to keep.
#[derive(Debug, Clone)]
pub struct NewCorrection<'a> {
    pub institution_id: Uuid,
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub previous: &'a Withdrawn,
    /// The completion withdrawn with the attendance: its time (the method is `in_person`).
    pub withdrawn_completion: Option<OffsetDateTime>,
    pub reason: &'a str,
    pub corrected_by: Uuid,
}

/// Keeps a withdrawal (attended → not attended) in the history.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %c.institution_id, session = %c.session_id, user = %c.user_id))]
pub async fn record(conn: &mut PgConnection, c: &NewCorrection<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into in_person_corrections
             (institution_id, session_id, user_id, attended_before, attended_after, previous_attended_at,
              previous_via, previous_recorded_by, withdrawn_completion_method, withdrawn_completed_at,
              reason, corrected_by)
         values ($1, $2, $3, true, false, $4, $5, $6, $7, $8, $9, $10)",
        c.institution_id,
        c.session_id,
        c.user_id,
        c.previous.attended_at,
        c.previous.via,
        c.previous.recorded_by,
        c.withdrawn_completion.map(|_| "in_person"),
        c.withdrawn_completion,
        c.reason,
        c.corrected_by
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One correction as the session page lists it.
#[derive(Debug, Clone)]
pub struct Correction {
    pub user_id: Uuid,
    pub login_id: String,
    pub name: String,
    pub attended_before: bool,
    pub attended_after: bool,
    pub previous_attended_at: Option<OffsetDateTime>,
    pub previous_via: Option<String>,
    pub withdrawn_completion: bool,
    pub reason: String,
    pub corrected_by: String,
    pub corrected_at: OffsetDateTime,
}

/// The corrections of a session, oldest first.
pub async fn of_session(
    conn: &mut PgConnection,
    institution_id: Uuid,
    session_id: Uuid,
) -> Result<Vec<Correction>, sqlx::Error> {
    sqlx::query_as!(
        Correction,
        r#"select c.user_id, u.login_id, u.name, c.attended_before, c.attended_after,
                  c.previous_attended_at, c.previous_via,
                  c.withdrawn_completion_method is not null as "withdrawn_completion!",
                  c.reason, b.login_id as corrected_by, c.corrected_at
           from in_person_corrections c
           join users u on u.institution_id = c.institution_id and u.id = c.user_id
           join users b on b.institution_id = c.institution_id and b.id = c.corrected_by
           where c.institution_id = $1 and c.session_id = $2
           order by c.corrected_at, c.id"#,
        institution_id,
        session_id
    )
    .fetch_all(conn)
    .await
}

/// A withdrawal as the attendance list shows it: whose, the session's start, the reason.
#[derive(Debug, Clone)]
pub struct ListedWithdrawal {
    pub login_id: String,
    pub session_starts_at: OffsetDateTime,
    pub reason: String,
}

/// Every withdrawn attendance at sessions of a course in a fiscal year, by person and time.
pub async fn withdrawals_of_course(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    course_code: &str,
) -> Result<Vec<ListedWithdrawal>, sqlx::Error> {
    sqlx::query_as!(
        ListedWithdrawal,
        "select u.login_id, s.starts_at as session_starts_at, c.reason
         from in_person_corrections c
         join in_person_sessions s on s.institution_id = c.institution_id and s.id = c.session_id
         join users u on u.institution_id = c.institution_id and u.id = c.user_id
         where c.institution_id = $1 and s.fiscal_year = $2 and s.course_code = $3
           and c.attended_before and not c.attended_after
         order by u.login_id, c.corrected_at, c.id",
        institution_id,
        fy.year(),
        course_code
    )
    .fetch_all(conn)
    .await
}
