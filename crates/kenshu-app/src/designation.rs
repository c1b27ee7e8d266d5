//! Designations (指定): a protection officer designates a person of their divisions (a clerk, a
//! file handler, a system administrator) for a period, ends a designation, and the chief
//! officer makes a protection officer responsible for another division too (兼務). Who may do
//! which to whom is the caller's policy; these record the change and its audit entry.

use kenshu_core::audit::AuditAction;
use kenshu_core::plan::DesignationKind;
use kenshu_db::PgConnection;
use kenshu_db::designation::NewDesignation;
use kenshu_db::institution::Division;
use time::Date;
use uuid::Uuid;

use crate::audit::Actor;

/// Why a designation change was refused.
#[derive(Debug, thiserror::Error)]
pub enum DesignationError {
    /// The person to make responsible for the division is not a protection officer of
    /// another division.
    #[error("not a protection officer of another division")]
    NotACandidate,
    /// No such division.
    #[error("no such division")]
    UnknownDivision,
    /// The person already holds this designation (kind, division) for part of the period.
    #[error("overlaps a designation the person holds")]
    Overlap,
    #[error("database")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for DesignationError {
    fn from(e: sqlx::Error) -> Self {
        // Checked by the database, so that two officers at once cannot both add it.
        if kenshu_db::is_exclusion_violation(&e, kenshu_db::designation::NO_OVERLAP) {
            DesignationError::Overlap
        } else {
            DesignationError::Database(e)
        }
    }
}

/// A designation as asked for: whom (by login, as the audit log names them, and id), of what
/// kind, in which division, for which period.
pub struct Designate<'a> {
    pub login: &'a str,
    pub user_id: Uuid,
    pub division_id: Uuid,
    pub kind: DesignationKind,
    pub from: Date,
    pub to: Option<Date>,
    pub note: Option<&'a str>,
}

/// Designates a person, in the caller's transaction.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, kind = d.kind.as_str()))]
pub async fn add(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    d: &Designate<'_>,
) -> Result<Uuid, DesignationError> {
    let id = kenshu_db::designation::add(
        &mut *tx,
        actor.institution_id,
        &NewDesignation {
            user_id: d.user_id,
            kind: d.kind,
            division_id: Some(d.division_id),
            valid_from: d.from,
            valid_to: d.to,
            note: d.note,
            created_by: actor.user_id,
        },
    )
    .await?;
    let detail = format!(
        "{} {}〜{}",
        d.kind.as_str(),
        d.from,
        d.to.map(|t| t.to_string()).unwrap_or_default()
    );
    actor
        .record(tx, AuditAction::DesignationAdded, d.login, &detail)
        .await?;
    tracing::info!(designated = %d.user_id, "designation added");
    Ok(id)
}

/// Ends designation `id` (of `kind`, as read by the caller) on `on`, in the caller's transaction.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, designation = %id))]
pub async fn end(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    id: Uuid,
    kind: &str,
    on: Date,
) -> Result<(), DesignationError> {
    kenshu_db::designation::end(&mut *tx, actor.institution_id, id, on, actor.user_id).await?;
    actor
        .record(
            tx,
            AuditAction::DesignationEnded,
            &id.to_string(),
            &format!("{kind} until {on}"),
        )
        .await?;
    tracing::info!("designation ended");
    Ok(())
}

/// 兼務: makes the protection officer `login` (of another division) responsible for the
/// division `division` too, from `from` (until `to`), in the caller's transaction. Returns the
/// division.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id))]
pub async fn assign_officer(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    division: &str,
    login: &str,
    from: Date,
    to: Option<Date>,
) -> Result<Division, DesignationError> {
    let inst = actor.institution_id;
    let division = kenshu_db::institution::find_division(&mut *tx, inst, division)
        .await?
        .ok_or(DesignationError::UnknownDivision)?;
    let user_id = kenshu_db::designation::officers_outside(&mut *tx, inst, division.id)
        .await?
        .into_iter()
        .find(|(candidate, ..)| candidate == login)
        .map(|(.., id)| id)
        .ok_or(DesignationError::NotACandidate)?;
    kenshu_db::designation::add(
        &mut *tx,
        inst,
        &NewDesignation {
            user_id,
            kind: DesignationKind::ProtectionOfficer,
            division_id: Some(division.id),
            valid_from: from,
            valid_to: to,
            note: None,
            created_by: actor.user_id,
        },
    )
    .await?;
    actor
        .record(
            tx,
            AuditAction::OfficerAssigned,
            login,
            &format!("division {} from {from}", division.code),
        )
        .await?;
    tracing::info!(officer = %user_id, division = %division.code, "protection officer assigned to another division");
    Ok(division)
}
