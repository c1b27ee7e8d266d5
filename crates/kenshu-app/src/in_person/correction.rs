//! 出欠の訂正: an officer withdraws an attendance recorded wrongly, with a reason. The
//! completion that attendance made (method `in_person`) is withdrawn with it; the course is then
//! completed again as e-learning if the person has met the online requirement. The correction
//! keeps what was there before and is written to the audit log.

use kenshu_core::FiscalYear;
use kenshu_core::audit::AuditAction;
use kenshu_db::PgConnection;
use kenshu_db::content::Catalog;
use kenshu_db::in_person::Session;
use kenshu_db::in_person::corrections::{self, NewCorrection, Withdrawn};
use kenshu_db::learning::{self, Learner};
use uuid::Uuid;

use super::InPersonError;
use crate::audit::Actor;

/// A withdrawal as made: what the attendance was, and whether its completion went with it.
pub struct Correction {
    pub previous: Withdrawn,
    pub completion_withdrawn: bool,
}

/// Withdraws `person`'s recorded attendance at `session` for `reason` (checked by the
/// caller), in the caller's transaction. `detail` words the audit entry's detail from the
/// correction (the caller's language and formats).
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, session = %session.id))]
pub async fn withdraw_attendance(
    tx: &mut PgConnection,
    catalog: &Catalog,
    actor: &Actor<'_>,
    session: &Session,
    person: Uuid,
    reason: &str,
    detail: impl FnOnce(&Correction) -> String,
) -> Result<Correction, InPersonError> {
    let corrected_by = actor.person_id("attendance is corrected")?;
    let inst = actor.institution_id;
    let previous = corrections::withdraw_attendance(&mut *tx, inst, session.id, person)
        .await?
        .ok_or(InPersonError::NotAttended)?;
    let who = Learner {
        institution_id: inst,
        user_id: person,
        fiscal_year: FiscalYear::stored(session.fiscal_year),
    };
    let withdrawn_completion =
        corrections::withdraw_in_person_completion(&mut *tx, who, &session.course_code).await?;
    if withdrawn_completion.is_some() {
        resettle(&mut *tx, catalog, who, &session.course_code).await?;
    }
    corrections::record(
        &mut *tx,
        &NewCorrection {
            institution_id: inst,
            session_id: session.id,
            user_id: person,
            previous: &previous,
            withdrawn_completion,
            reason,
            corrected_by,
        },
    )
    .await?;
    let done = Correction {
        previous,
        completion_withdrawn: withdrawn_completion.is_some(),
    };
    actor
        .record(
            tx,
            AuditAction::AttendanceCorrected,
            &done.previous.login_id,
            &detail(&done),
        )
        .await?;
    tracing::info!(
        completion_withdrawn = done.completion_withdrawn,
        "attendance withdrawn"
    );
    Ok(done)
}

/// After an in-person completion is withdrawn, completes the course again if the person has
/// met the online requirement (every section read, the test passed) — then as e-learning.
async fn resettle(
    conn: &mut PgConnection,
    catalog: &Catalog,
    who: Learner,
    code: &str,
) -> Result<(), sqlx::Error> {
    if let Some(version_id) = kenshu_db::content::current_version(&mut *conn, code).await? {
        let package = catalog.package(&mut *conn, version_id).await?;
        learning::settle_course(conn, who, &package, version_id).await?;
    }
    Ok(())
}
