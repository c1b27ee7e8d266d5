//! 再受講の機会: an officer gives people a new deadline for a course they have not finished
//! (or failed), one person from their page or everyone picked on the dashboard.

use kenshu_core::FiscalYear;
use kenshu_core::audit::AuditAction;
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
    tx: &mut sqlx::PgTransaction<'_>,
    actor: &Actor<'_>,
    fy: FiscalYear,
    whom: Whom<'_>,
    deadline: Date,
) -> Result<(), sqlx::Error> {
    let Some(granted_by) = actor.user_id else {
        return Err(sqlx::Error::InvalidArgument(
            "re-attendance is granted by a person, not a command".into(),
        ));
    };
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
    kenshu_db::follow_ups::grant_retakes(
        tx,
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
