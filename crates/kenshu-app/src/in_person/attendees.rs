//! A person and the sessions open to them: signing up within capacity, withdrawing, and
//! checking in with the session's QR code (a walk-in is signed up on the spot while there is a
//! seat). A session is open to a person of its institution when it is for their division or
//! for the whole institution; any other is "not found", so nothing about other divisions leaks.

use kenshu_db::PgConnection;
use kenshu_db::content::Catalog;
use kenshu_db::in_person::{Added, Session};
use uuid::Uuid;

use super::{InPersonError, record_attendance};
use crate::audit::Actor;

/// The session, if it is open to a person of `division`.
async fn joinable(
    conn: &mut PgConnection,
    institution_id: Uuid,
    division: Uuid,
    id: Uuid,
) -> Result<Session, InPersonError> {
    kenshu_db::in_person::get(conn, institution_id, id)
        .await?
        .filter(|s| s.division_id.is_none_or(|d| d == division))
        .ok_or(InPersonError::NotFound)
}

/// Signs the actor (of `division`) up for session `id`, in the caller's transaction. A full or
/// cancelled session records nothing and says so.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, session = %id))]
pub async fn sign_up(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    division: Uuid,
    id: Uuid,
) -> Result<Added, InPersonError> {
    let me = actor.person_id("a session is joined")?;
    joinable(&mut *tx, actor.institution_id, division, id).await?;
    Ok(kenshu_db::in_person::add(tx, actor.institution_id, id, me, None).await?)
}

/// Withdraws the actor's sign-up (not once their attendance is recorded).
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, session = %id))]
pub async fn withdraw(
    conn: &mut PgConnection,
    actor: &Actor<'_>,
    division: Uuid,
    id: Uuid,
) -> Result<(), InPersonError> {
    let me = actor.person_id("a session is joined")?;
    joinable(&mut *conn, actor.institution_id, division, id).await?;
    kenshu_db::in_person::remove(conn, actor.institution_id, id, me).await?;
    Ok(())
}

/// Records the actor's attendance by QR code at `session` (checked by the caller: the link,
/// the time window), signing them up first if they are not in it yet, in the caller's
/// transaction. Returns whether attendance was recorded now (false: it was before).
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, session = %session.id))]
pub async fn check_in(
    tx: &mut PgConnection,
    catalog: &Catalog,
    actor: &Actor<'_>,
    session: &Session,
) -> Result<bool, InPersonError> {
    let me = actor.person_id("a session is joined")?;
    let inst = actor.institution_id;
    if kenshu_db::in_person::add(&mut *tx, inst, session.id, me, None).await? == Added::Full {
        return Err(InPersonError::Full);
    }
    let now = record_attendance(catalog, tx, session, inst, me, me, "qr").await?;
    tracing::info!("attendance recorded by QR");
    Ok(now)
}
