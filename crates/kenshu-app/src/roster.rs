//! 職員名簿の取込: a roster file checked against the portal's roster and, when asked and
//! possible, applied all or nothing with its audit entry. The web previews an upload and applies
//! it later; the command line does both at once.

use kenshu_core::audit::AuditAction;
use kenshu_core::roster::PlanOptions;
pub use kenshu_db::roster::ImportReport;
use uuid::Uuid;

use crate::audit::Actor;

/// Checks `content` against the institution's roster and applies it when `apply` is set and
/// the file has no errors and changes something; an applied import is recorded as the actor's,
/// with `file` as its subject. In the caller's transaction: nothing is written until it commits.
#[tracing::instrument(skip_all, fields(institution = %institution_id, apply))]
pub async fn import(
    tx: &mut sqlx::PgTransaction<'_>,
    actor: &Actor<'_>,
    institution_id: Uuid,
    file: &str,
    content: Vec<u8>,
    options: PlanOptions,
    apply: bool,
) -> Result<ImportReport, sqlx::Error> {
    let report = kenshu_db::roster::import(tx, institution_id, content, options, apply).await?;
    if report.applied {
        actor
            .record(tx, AuditAction::RosterImported, file, &report.summary)
            .await?;
        tracing::info!(summary = %report.summary, "roster imported");
    }
    Ok(report)
}
