//! Deputies (代理): naming who receives an absent officer's digest, ending or removing one,
//! audited like a designation (`designation_added` and `designation_ended`, with `deputy` and
//! the officer in the detail). The command line and the deputies page both come here.

use kenshu_core::audit::AuditAction;
use kenshu_db::PgConnection;
use kenshu_db::digest::NewDeputy;
use time::Date;
use uuid::Uuid;

use crate::audit::Actor;

#[derive(Debug, thiserror::Error)]
pub enum DeputyError {
    #[error("nobody has the login ID {0}")]
    Unknown(String),
    #[error("{0} is neither a protection officer nor a chief officer")]
    NotAnOfficer(String),
    #[error("an officer cannot be their own deputy")]
    Themselves,
    #[error("the period ends before it starts")]
    Period,
    #[error("the officer already has a deputy on some of these days")]
    Overlap,
    #[error("no such deputy")]
    NotFound,
    #[error("the period has started: end it instead of removing it")]
    Started,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Names `deputy` to receive `officer`'s digests from `from` to `to` (inclusive; open-ended
/// without it), in the caller's transaction.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id))]
pub async fn name(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    officer: &str,
    deputy: &str,
    from: Date,
    to: Option<Date>,
    note: Option<&str>,
) -> Result<Uuid, DeputyError> {
    let inst = actor.institution_id;
    let find = async |tx: &mut PgConnection, login: &str| {
        kenshu_db::person::by_login(tx, inst, login)
            .await?
            .map(|(id, _, _)| id)
            .ok_or_else(|| DeputyError::Unknown(login.to_string()))
    };
    let officer_id = find(&mut *tx, officer).await?;
    // Only an officer has a digest to stand in for.
    if !kenshu_db::digest::officer_choices(&mut *tx, inst)
        .await?
        .iter()
        .any(|(login, _)| login == officer)
    {
        return Err(DeputyError::NotAnOfficer(officer.to_string()));
    }
    let deputy_id = find(&mut *tx, deputy).await?;
    if officer_id == deputy_id {
        return Err(DeputyError::Themselves);
    }
    if to.is_some_and(|to| to < from) {
        return Err(DeputyError::Period);
    }
    let id = kenshu_db::digest::add_deputy(
        &mut *tx,
        inst,
        &NewDeputy {
            officer_id,
            deputy_id,
            valid_from: from,
            valid_to: to,
            note,
            created_by: actor.user_id,
        },
    )
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d)
            if d.constraint() == Some(kenshu_db::digest::ONE_DEPUTY_AT_A_TIME) =>
        {
            DeputyError::Overlap
        }
        _ => DeputyError::Database(e),
    })?;
    let detail = format!(
        "deputy {officer} {from}〜{}",
        to.map(|t| t.to_string()).unwrap_or_default()
    );
    actor
        .record(tx, AuditAction::DesignationAdded, deputy, &detail)
        .await?;
    tracing::info!("deputy named");
    Ok(id)
}

/// Ends a deputy's period on `on`, the last day they stand in: not before it starts, and never
/// later than it ended already (ending shortens a period, so it cannot overlap another).
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id))]
pub async fn end(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    id: Uuid,
    on: Date,
) -> Result<(), DeputyError> {
    let inst = actor.institution_id;
    let (officer, from, to) = kenshu_db::digest::deputy(&mut *tx, inst, id)
        .await?
        .ok_or(DeputyError::NotFound)?;
    if on < from {
        return Err(DeputyError::Period);
    }
    let on = to.map_or(on, |to| on.min(to));
    kenshu_db::digest::end_deputy(&mut *tx, inst, id, on).await?;
    actor
        .record(
            tx,
            AuditAction::DesignationEnded,
            &id.to_string(),
            &format!("deputy {officer} until {on}"),
        )
        .await?;
    tracing::info!("deputy ended");
    Ok(())
}

/// Removes a deputy named by mistake, only before their period starts (`today`): one that has
/// started decided who received digests, and is ended instead, so the record stays.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id))]
pub async fn remove(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    id: Uuid,
    today: Date,
) -> Result<(), DeputyError> {
    let inst = actor.institution_id;
    let (officer, from, to) = kenshu_db::digest::deputy(&mut *tx, inst, id)
        .await?
        .ok_or(DeputyError::NotFound)?;
    if !kenshu_db::digest::remove_deputy(&mut *tx, inst, id, today).await? {
        return Err(DeputyError::Started);
    }
    let detail = format!(
        "deputy {officer} removed {from}〜{}",
        to.map(|t| t.to_string()).unwrap_or_default()
    );
    actor
        .record(tx, AuditAction::DesignationEnded, &id.to_string(), &detail)
        .await?;
    tracing::info!("deputy removed");
    Ok(())
}
