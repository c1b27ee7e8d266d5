//! `kenshu institution second-factor …` and `kenshu user reset-second-factor …`: whether an
//! institution requires a second factor of those who see others' records, and a person's
//! factor removed when their phone is lost.

use anyhow::bail;
use kenshu_app::audit::Actor;
use kenshu_core::audit::{AuditAction, AuditKey};
use kenshu_db::PgPool;
use kenshu_db::second_factor::Policy;

/// Prints the institution's rule, or changes what is given and records the change.
pub async fn policy(
    pool: &PgPool,
    key: &AuditKey,
    code: &str,
    required: Option<bool>,
    trust_amr: Option<bool>,
) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    let inst = crate::admin::institution_id(&mut conn, code).await?;
    let before = kenshu_db::second_factor::policy(&mut conn, inst).await?;
    let after = Policy {
        required: required.unwrap_or(before.required),
        trust_amr: trust_amr.unwrap_or(before.trust_amr),
    };
    if after != before {
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        kenshu_db::second_factor::set_policy(&mut tx, inst, after).await?;
        Actor::command_line(key, inst)
            .record(
                &mut tx,
                AuditAction::SecondFactorPolicyChanged,
                code,
                &after.describe(),
            )
            .await?;
        tx.commit().await?;
    }
    println!("{code}: second factor {}", after.describe());
    Ok(())
}

/// Removes a person's second factor; where it is required they set up a new one at their next
/// sign-in.
pub async fn reset(pool: &PgPool, key: &AuditKey, code: &str, login: &str) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    let inst = crate::admin::institution_id(&mut conn, code).await?;
    let Some((user, _, name)) = kenshu_db::person::by_login(&mut conn, inst, login).await? else {
        bail!("{code} has nobody with the login ID '{login}'");
    };
    let actor = Actor::command_line(key, inst);
    if kenshu_app::auth::second_factor::reset(&mut conn, &actor, user, login).await? {
        println!(
            "removed the second factor of {login} ({name}); they set up a new one at their next sign-in where it is required"
        );
    } else {
        println!("{login} ({name}) has no second factor");
    }
    Ok(())
}
