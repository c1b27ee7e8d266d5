//! 職員名簿の取込: a roster file checked against the portal's roster and, when asked and
//! possible, applied all or nothing with its audit entry. The web previews an upload and applies
//! it later; the command line does both at once.

use kenshu_core::audit::AuditAction;
use kenshu_core::i18n::Catalogue;
use kenshu_core::roster::PlanOptions;
use kenshu_db::PgConnection;
pub use kenshu_db::roster::ImportReport;
use uuid::Uuid;

use crate::audit::Actor;

/// Checks `content` against the institution's roster and applies it when `apply` is set and
/// the file has no errors and changes something; an applied import is recorded as the actor's,
/// with `file` as its subject. The report is worded in `t`'s language (the audit entry keeps
/// the machine-readable summary). In the caller's transaction: nothing is written until it
/// commits.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, fields(institution = %institution_id, apply))]
pub async fn import(
    tx: &mut PgConnection,
    t: &Catalogue,
    actor: &Actor<'_>,
    institution_id: Uuid,
    file: &str,
    content: Vec<u8>,
    options: PlanOptions,
    apply: bool,
) -> Result<ImportReport, sqlx::Error> {
    let report =
        kenshu_db::roster::import(&mut *tx, t, institution_id, content, options, apply).await?;
    if report.applied {
        actor
            .record(tx, AuditAction::RosterImported, file, &report.summary)
            .await?;
        tracing::info!(summary = %report.summary, "roster imported");
    }
    Ok(report)
}

/// An uploaded roster file as checked: the report, and the id it is kept under when it can be
/// applied (then the caller commits; an upload that cannot be applied is not kept: roll back).
pub struct Preview {
    pub report: ImportReport,
    pub kept: Option<Uuid>,
}

/// Keeps an uploaded file (`name`, `content`; `complete`: the whole institution) and checks it
/// against the roster without applying it, in the caller's transaction. The check plans as if
/// a mass change were confirmed, so that the page can show what would happen and ask. The
/// report is worded in `t`'s language.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id))]
pub async fn preview(
    tx: &mut PgConnection,
    t: &Catalogue,
    actor: &Actor<'_>,
    name: &str,
    content: &[u8],
    options: PlanOptions,
) -> Result<Preview, sqlx::Error> {
    let by = actor.person_id("a roster is uploaded")?;
    let inst = actor.institution_id;
    let id = kenshu_db::roster::stage(&mut *tx, inst, name, content, options.complete, by).await?;
    let report = kenshu_db::roster::import(tx, t, inst, content.to_vec(), options, false).await?;
    let applicable = report.errors == 0 && !report.noop;
    Ok(Preview {
        report,
        kept: applicable.then_some(id),
    })
}

/// An applied (or refused) upload: its file name and the report.
pub struct Applied {
    pub name: String,
    pub report: ImportReport,
}

/// Applies the kept upload `upload`, all or nothing, in the caller's transaction (commit when
/// `report.applied`; otherwise nothing is to be kept: roll back). `options_for` makes the
/// import's options from the upload's own `complete`; the report is worded in `t`'s language.
/// None: no such upload.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id))]
pub async fn apply_upload(
    tx: &mut PgConnection,
    t: &Catalogue,
    actor: &Actor<'_>,
    upload: Uuid,
    options_for: impl FnOnce(bool) -> PlanOptions,
) -> Result<Option<Applied>, sqlx::Error> {
    let inst = actor.institution_id;
    let Some((name, content, complete)) = kenshu_db::roster::staged(&mut *tx, inst, upload).await?
    else {
        return Ok(None);
    };
    let report = import(
        &mut *tx,
        t,
        actor,
        inst,
        &name,
        content,
        options_for(complete),
        true,
    )
    .await?;
    if report.applied {
        kenshu_db::roster::mark_applied(tx, inst, upload).await?;
    }
    Ok(Some(Applied { name, report }))
}
