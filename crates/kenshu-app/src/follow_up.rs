//! What an officer does about one person's training: 再受講の機会 (a new deadline for a course
//! they have not finished or failed, one person from their page or everyone picked on the
//! dashboard), an exemption (免除) from a course with its reason, a follow-up (対応記録), and
//! the audit entry of opening someone's page.

use kenshu_core::FiscalYear;
use kenshu_core::audit::AuditAction;
use kenshu_db::PgConnection;
use time::Date;
use uuid::Uuid;

use crate::audit::Actor;

/// Why a re-attendance deadline was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    #[error("the deadline is in the past")]
    Past,
    #[error("the deadline is not a date")]
    NotADate,
}

/// A re-attendance deadline: a date from `today` on.
pub fn retake_deadline(s: &str, today: Date) -> Result<Date, DeadlineError> {
    match kenshu_core::roster::parse_date(s) {
        Some(d) if d >= today => Ok(d),
        Some(_) => Err(DeadlineError::Past),
        None => Err(DeadlineError::NotADate),
    }
}

/// Who gets a new deadline, as the audit log names them.
pub enum Whom<'a> {
    /// One person (by login) for one course.
    Person {
        login: &'a str,
        id: Uuid,
        course: &'a str,
    },
    /// People of a division (by code), each for a course.
    Division {
        code: &'a str,
        people: &'a [(Uuid, String)],
    },
}

/// Grants the re-attendance deadline of `fy` and records it, in the caller's transaction.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, fiscal_year = fy.year()))]
pub async fn grant_retakes(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    fy: FiscalYear,
    whom: Whom<'_>,
    deadline: Date,
) -> Result<(), sqlx::Error> {
    let granted_by = actor.person_id("re-attendance is granted")?;
    let (people, subject, detail) = match whom {
        Whom::Person { login, id, course } => (
            vec![(id, course.to_string())],
            login,
            format!("{course} {deadline}"),
        ),
        Whom::Division { code, people } => (
            people.to_vec(),
            code,
            format!("{} people, {deadline}", people.len()),
        ),
    };
    kenshu_db::follow_up::grant_retakes(
        &mut *tx,
        actor.institution_id,
        &people,
        fy,
        deadline,
        granted_by,
    )
    .await?;
    actor
        .record(tx, AuditAction::RetakeGranted, subject, &detail)
        .await?;
    tracing::info!(people = people.len(), "re-attendance granted");
    Ok(())
}

/// Why a change to one person's training was refused.
#[derive(Debug, thiserror::Error)]
pub enum FollowUpError {
    /// The course is not one the plan assigns the person this year.
    #[error("the course is not assigned to the person")]
    NotAssigned,
    #[error("database")]
    Database(#[from] sqlx::Error),
}

/// One person of the institution, as the audit log (`login`) and the database (`id`) name them.
#[derive(Clone, Copy)]
pub struct Person<'a> {
    pub login: &'a str,
    pub id: Uuid,
}

/// Refused unless the plan of `fy` assigns `course` to the person.
async fn require_assigned(
    conn: &mut PgConnection,
    institution_id: Uuid,
    person: Person<'_>,
    fy: FiscalYear,
    course: &str,
) -> Result<(), FollowUpError> {
    let (_, assigned) =
        crate::learning::assignments_of(conn, institution_id, person.id, fy).await?;
    if assigned.iter().any(|a| a.code == course) {
        Ok(())
    } else {
        Err(FollowUpError::NotAssigned)
    }
}

/// Gives one person a new deadline for an assigned course of `fy`, in the caller's transaction.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, fiscal_year = fy.year()))]
pub async fn grant_retake(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    fy: FiscalYear,
    person: Person<'_>,
    course: &str,
    deadline: Date,
) -> Result<(), FollowUpError> {
    require_assigned(&mut *tx, actor.institution_id, person, fy, course).await?;
    let whom = Whom::Person {
        login: person.login,
        id: person.id,
        course,
    };
    grant_retakes(tx, actor, fy, whom, deadline).await?;
    Ok(())
}

/// Exempts a person from an assigned course of `fy` for `reason` (checked by the caller), in
/// the caller's transaction; who decided is kept.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, fiscal_year = fy.year()))]
pub async fn exempt(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    fy: FiscalYear,
    person: Person<'_>,
    course: &str,
    reason: &str,
) -> Result<(), FollowUpError> {
    let decided_by = actor.person_id("an exemption is decided")?;
    require_assigned(&mut *tx, actor.institution_id, person, fy, course).await?;
    kenshu_db::plan::exempt(
        &mut *tx,
        actor.institution_id,
        person.id,
        course,
        fy,
        reason,
        decided_by,
    )
    .await?;
    actor
        .record(tx, AuditAction::ExemptionRecorded, person.login, course)
        .await?;
    tracing::info!(person = %person.id, course, "exemption recorded");
    Ok(())
}

/// A follow-up (対応記録) as recorded: when, how (`oral`, `phone`, `email`, `document`) and a
/// note (checked by the caller: never a My Number).
pub struct FollowUp<'a> {
    pub on: Date,
    pub method: &'a str,
    pub note: &'a str,
}

/// Records a follow-up with a person, in the caller's transaction.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, method = f.method))]
pub async fn record_follow_up(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    person: Uuid,
    f: &FollowUp<'_>,
) -> Result<(), FollowUpError> {
    let recorded_by = actor.person_id("a follow-up is recorded")?;
    kenshu_db::follow_up::add(
        tx,
        actor.institution_id,
        person,
        f.on,
        f.method,
        f.note,
        recorded_by,
    )
    .await?;
    Ok(())
}

/// Records that the actor opened another person's page, in the caller's transaction.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id))]
pub async fn viewed(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    login: &str,
) -> Result<(), sqlx::Error> {
    actor.record(tx, AuditAction::PersonViewed, login, "").await
}
