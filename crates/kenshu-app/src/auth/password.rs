//! Choosing a new password: one's own on the password page, or through a one-time link.

use kenshu_core::audit::{AuditAction, AuditKey};
use kenshu_core::person::{WeakPassword, check_new_password};
use kenshu_db::password::Line;
use kenshu_db::requests::{Lease, RequestPool};
use kenshu_db::throttle::{Key, Taken};
use uuid::Uuid;

use super::{AuthError, MAX_PASSWORD_BYTES, Outcome, PASSWORD_RULE, without_connection};
use crate::audit::Actor;

/// Why a new password is not taken; the form comes back with this said next to it.
#[derive(Debug)]
pub enum PasswordRefusal {
    /// The new password breaks the policy (too short, the login ID, unchanged, too long …).
    Weak(WeakPassword),
    /// The two copies of the new password differ.
    Mismatch,
    /// The current password given is wrong.
    CurrentWrong,
    /// Too many wrong current passwords: wait so many seconds.
    Wait { secs: i64 },
    /// The link is used, expired, unknown or its account is inactive.
    LinkInvalid,
}

/// A password changed: how many other sessions of the person were ended.
#[derive(Debug)]
pub struct Changed {
    pub sessions_ended: u64,
}

/// The person changing their own password.
pub struct Own<'a> {
    pub actor: &'a Actor<'a>,
    pub institution_id: Uuid,
    pub user_id: Uuid,
    pub login_id: &'a str,
    /// The session the change is made in: it stays, every other session ends.
    pub session_hash: &'a [u8],
}

/// The password the person typed twice, checked against the policy before anything is read.
fn check(login: &str, new: &str, confirm: &str, current: Option<&str>) -> Option<PasswordRefusal> {
    if new.len() > MAX_PASSWORD_BYTES || current.is_some_and(|c| c.len() > MAX_PASSWORD_BYTES) {
        return Some(PasswordRefusal::Weak(WeakPassword::TooLong));
    }
    if new != confirm {
        return Some(PasswordRefusal::Mismatch);
    }
    if current == Some(new) {
        return Some(PasswordRefusal::Weak(WeakPassword::Unchanged));
    }
    check_new_password(login, new)
        .err()
        .map(PasswordRefusal::Weak)
}

/// Changes one's own password. The current password is checked like a sign-in (throttled,
/// without holding a connection while hashing); the change ends every other session and is
/// written to the audit log, as is a wrong current password.
#[tracing::instrument(skip_all, fields(user = %who.user_id))]
pub async fn change_password(
    pool: &RequestPool,
    mut conn: Lease,
    who: Own<'_>,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<Outcome<Changed, PasswordRefusal>, AuthError> {
    if let Some(refusal) = check(who.login_id, new, confirm, Some(current)) {
        return Ok(Outcome::Refused(refusal));
    }
    let key = Key {
        key: format!("p:{}", who.user_id),
        rule: PASSWORD_RULE,
    };
    if let Taken::HeldBack { wait_secs } =
        kenshu_db::throttle::take(&mut conn, who.institution_id, std::slice::from_ref(&key)).await?
    {
        return Ok(Outcome::Refused(PasswordRefusal::Wait { secs: wait_secs }));
    }
    let stored =
        kenshu_db::person::password_hash(&mut conn, who.institution_id, who.user_id).await?;
    let (current, new) = (current.to_string(), new.to_string());
    let (hashed, mut conn) = without_connection(conn, pool, Line::General, move || {
        if stored.is_some_and(|stored| kenshu_db::password::verify(&stored, &current)) {
            kenshu_db::password::hash(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await?;
    let hashed = hashed.map_err(AuthError::Hashing)?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let Some(hashed) = hashed else {
        who.actor
            .record(
                &mut tx,
                AuditAction::PasswordChangeFailed,
                "",
                "current password wrong",
            )
            .await?;
        tx.commit().await?;
        return Ok(Outcome::Refused(PasswordRefusal::CurrentWrong));
    };
    kenshu_db::person::set_password(&mut tx, who.institution_id, who.user_id, &hashed).await?;
    let ended = kenshu_db::session::delete_others(
        &mut tx,
        who.institution_id,
        who.user_id,
        who.session_hash,
    )
    .await?;
    kenshu_db::throttle::clear(&mut tx, who.institution_id, &[key.key]).await?;
    who.actor
        .record(
            &mut tx,
            AuditAction::PasswordChanged,
            "",
            &format!("other sessions ended: {ended}"),
        )
        .await?;
    tx.commit().await?;
    Ok(Outcome::Done(Changed {
        sessions_ended: ended,
    }))
}

/// The person a one-time sign-in link belongs to, while it is still good.
pub struct LinkOwner {
    pub institution_id: Uuid,
    pub user_id: Uuid,
    pub login_id: String,
    pub name: String,
}

/// Who a one-time sign-in link is for, or `None` when it is used, expired or unknown.
pub async fn link_owner(
    conn: &mut sqlx::PgConnection,
    token: &str,
) -> Result<Option<LinkOwner>, sqlx::Error> {
    let owner = kenshu_db::person::link_owner(conn, &kenshu_db::token::hash(token)).await?;
    Ok(
        owner.map(|(institution_id, user_id, login_id, name)| LinkOwner {
            institution_id,
            user_id,
            login_id,
            name,
        }),
    )
}

/// Sets a password through a one-time link (first sign-in, or recovery) for its `owner`
/// (read with [`link_owner`]): the link is used up, every session of the person ends and their
/// remembered browsers are forgotten, so a recovery shuts out whoever held the account; written
/// to the audit log.
#[tracing::instrument(skip_all)]
pub async fn set_password_by_link(
    pool: &RequestPool,
    conn: Lease,
    audit_key: &AuditKey,
    token: &str,
    owner: &LinkOwner,
    new: &str,
    confirm: &str,
) -> Result<Outcome<Changed, PasswordRefusal>, AuthError> {
    if let Some(refusal) = check(&owner.login_id, new, confirm, None) {
        return Ok(Outcome::Refused(refusal));
    }
    let new = new.to_string();
    let (hashed, mut conn) = without_connection(conn, pool, Line::General, move || {
        kenshu_db::password::hash(&new)
    })
    .await?;
    let hashed = hashed.map_err(AuthError::Hashing)?;
    let (inst, user) = (owner.institution_id, owner.user_id);
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    if !kenshu_db::person::use_link(&mut tx, &kenshu_db::token::hash(token)).await? {
        return Ok(Outcome::Refused(PasswordRefusal::LinkInvalid));
    }
    kenshu_db::person::set_password(&mut tx, inst, user, &hashed).await?;
    let ended = kenshu_db::session::delete_all(&mut tx, inst, user).await?;
    kenshu_db::throttle::forget_devices(&mut tx, inst, user).await?;
    kenshu_db::throttle::clear(&mut tx, inst, &[format!("u:{user}")]).await?;
    Actor::person(audit_key, inst, user, &owner.login_id)
        .record(
            &mut tx,
            AuditAction::PasswordSetByLink,
            "",
            &format!("sessions ended: {ended}"),
        )
        .await?;
    tx.commit().await?;
    tracing::info!(user = %user, "password set through a sign-in link");
    Ok(Outcome::Done(Changed {
        sessions_ended: ended,
    }))
}
