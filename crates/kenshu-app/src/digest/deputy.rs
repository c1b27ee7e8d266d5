//! Deputies (代理): naming who receives an absent officer's digest, audited like a
//! designation (`designation_added`, with `deputy` and the officer in its detail).

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
    #[error("an officer cannot be their own deputy")]
    Themselves,
    #[error("the period ends before it starts")]
    Period,
    #[error("the officer already has a deputy on some of these days")]
    Overlap,
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
