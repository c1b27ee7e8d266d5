//! 集合研修: attendance at an in-person session, recorded from the officer's checklist or the
//! attendee's QR check-in, completes the course for the person (method `in_person`) unless the
//! plan asks for the course's test on top: then the course completes when they pass it.
//! Officers schedule, cancel and fill sessions and take the checklist (`sessions`); people sign
//! up, withdraw and check in (`attendees`); a wrong attendance is withdrawn with a reason
//! (`correction`).

mod attendees;
mod correction;
mod sessions;

pub use attendees::{check_in, sign_up, withdraw};
pub use correction::{Correction, withdraw_attendance};
pub use sessions::{Nominated, Schedule, cancel, checklist, nominate, schedule};

use kenshu_core::FiscalYear;
use kenshu_db::PgConnection;
use kenshu_db::content::Catalog;
use kenshu_db::in_person::Session;
use kenshu_db::learning::{self, Learner};
use uuid::Uuid;

/// Why a change to an in-person session was refused.
#[derive(Debug, thiserror::Error)]
pub enum InPersonError {
    /// No such session for this person (another institution, another division's session).
    #[error("not found")]
    NotFound,
    /// The course to schedule a session of is not in the catalogue.
    #[error("no such course")]
    UnknownCourse,
    /// The checklist opens when the session starts.
    #[error("the session has not started")]
    NotStarted,
    /// Every seat is taken.
    #[error("the session is full")]
    Full,
    /// The person's attendance is not recorded in the session: nothing to withdraw.
    #[error("no attendance recorded")]
    NotAttended,
    /// Another session that is not cancelled is at the same place at an overlapping time.
    #[error("the place is taken at that time")]
    PlaceTaken,
    #[error("database")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for InPersonError {
    fn from(e: sqlx::Error) -> Self {
        // Checked by the database, so that two officers at once cannot both book the room.
        if kenshu_db::is_exclusion_violation(&e, kenshu_db::in_person::NO_DOUBLE_BOOKING) {
            InPersonError::PlaceTaken
        } else {
            InPersonError::Database(e)
        }
    }
}

/// Records a participant's attendance and, where attendance completes the course, the
/// completion, in the caller's transaction. Returns whether attendance was recorded now.
#[tracing::instrument(skip_all)]
pub async fn record_attendance(
    catalog: &Catalog,
    conn: &mut PgConnection,
    session: &Session,
    institution_id: Uuid,
    user_id: Uuid,
    recorded_by: Uuid,
    via: &str,
) -> Result<bool, sqlx::Error> {
    let now = kenshu_db::in_person::record_attendance(
        conn,
        institution_id,
        session.id,
        user_id,
        recorded_by,
        via,
    )
    .await?;
    if !now {
        return Ok(false);
    }
    let who = Learner {
        institution_id,
        user_id,
        fiscal_year: FiscalYear::stored(session.fiscal_year),
    };
    let Some(version_id) =
        kenshu_db::content::current_version(&mut *conn, &session.course_code).await?
    else {
        return Ok(true);
    };
    if session.test_required {
        let package = catalog.package(&mut *conn, version_id).await?;
        if package.test.is_some() {
            // Completes now only if the test was passed already; otherwise on passing it.
            learning::settle_course(conn, who, &package, version_id).await?;
            return Ok(true);
        }
    }
    // Attended: the completion's method is `in_person`.
    learning::complete(
        conn,
        who,
        &session.course_code,
        version_id,
        true,
        None,
        None,
    )
    .await?;
    Ok(true)
}
