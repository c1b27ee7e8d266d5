//! Sign-in throttling (migration 0040): growing delays per key instead of lock-outs.
//!
//! An attempt is taken before the password is checked, in one transaction over all its keys:
//! either every key allows it now and each counts it as a failure, or none does and nothing is
//! counted. A successful sign-in then clears its account's and browser's keys.

use sqlx::PgConnection;
use uuid::Uuid;

/// How a kind of key is throttled.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Failures allowed without any delay.
    pub free: i32,
    /// The longest delay between two attempts, in seconds.
    pub max_delay_secs: i32,
}

/// What a key is and how it is throttled.
#[derive(Debug, Clone)]
pub struct Key {
    pub key: String,
    pub rule: Rule,
}

/// What [`take`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// Allowed, and counted: the first key's failures in a row, this attempt included.
    Allowed { failures: i32 },
    /// Held back for about this many seconds more; nothing counted.
    HeldBack { wait_secs: i64 },
}

/// Takes one attempt on every key, all or none.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, keys = keys.len()))]
pub async fn take(
    conn: &mut PgConnection,
    institution_id: Uuid,
    keys: &[Key],
) -> Result<Taken, sqlx::Error> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let mut first = None;
    for k in keys {
        let taken = sqlx::query_scalar!(
            "insert into sign_in_throttle as t (institution_id, key, failures, last_at, next_at)
             values ($1, $2, 1, clock_timestamp(), clock_timestamp() + sign_in_delay(1, $3, $4))
             on conflict (institution_id, key) do update
               set failures = case when t.last_at < clock_timestamp() - interval '1 day' then 1
                                   else t.failures + 1 end,
                   last_at = clock_timestamp(),
                   next_at = clock_timestamp() + sign_in_delay(
                       case when t.last_at < clock_timestamp() - interval '1 day' then 1
                            else t.failures + 1 end, $3, $4)
               -- clock_timestamp(), not now(): a transaction that waited for this row must
               -- compare with the time it gets it, not the time it began.
               where t.next_at <= clock_timestamp()
                  or t.last_at < clock_timestamp() - interval '1 day'
             returning failures",
            institution_id,
            k.key,
            k.rule.free,
            k.rule.max_delay_secs
        )
        .fetch_optional(&mut *tx)
        .await?;
        if taken.is_none() {
            let wait = sqlx::query_scalar!(
                r#"select greatest(1, ceil(extract(epoch from next_at - clock_timestamp())))::bigint as "wait!"
                   from sign_in_throttle where institution_id = $1 and key = $2"#,
                institution_id,
                k.key
            )
            .fetch_one(&mut *tx)
            .await?;
            tx.rollback().await?;
            return Ok(Taken::HeldBack { wait_secs: wait });
        }
        first = first.or(taken);
    }
    tx.commit().await?;
    Ok(Taken::Allowed {
        failures: first.unwrap_or(0),
    })
}

/// Forgets the failures of these keys (after a successful sign-in).
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, keys = keys.len()))]
pub async fn clear(
    conn: &mut PgConnection,
    institution_id: Uuid,
    keys: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "delete from sign_in_throttle where institution_id = $1 and key = any($2)",
        institution_id,
        keys
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes back the attempt counted on these keys (a successful sign-in from a shared client
/// address is no failure of that address).
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, keys = keys.len()))]
pub async fn refund(
    conn: &mut PgConnection,
    institution_id: Uuid,
    keys: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update sign_in_throttle set failures = greatest(0, failures - 1)
         where institution_id = $1 and key = any($2)",
        institution_id,
        keys
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether this browser's device token belongs to a browser the person signed in with.
pub async fn is_trusted_device(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    token_hash: &[u8],
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists(select 1 from trusted_devices
                  where institution_id = $1 and user_id = $2 and token_hash = $3) as "found!""#,
        institution_id,
        user_id,
        token_hash
    )
    .fetch_one(conn)
    .await
}

/// Remembers the browser a person has just signed in with.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, user = %user_id))]
pub async fn trust_device(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    token_hash: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into trusted_devices (institution_id, user_id, token_hash) values ($1, $2, $3)
         on conflict (institution_id, user_id, token_hash) do update set last_used_at = now()",
        institution_id,
        user_id,
        token_hash
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets every browser of a person (their password was set anew: a new start).
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, user = %user_id))]
pub async fn forget_devices(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "delete from trusted_devices where institution_id = $1 and user_id = $2",
        institution_id,
        user_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets keys without failures for a day and browsers unused for 400 days.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn purge(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let a = sqlx::query!("delete from sign_in_throttle where last_at < now() - interval '1 day'")
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let b = sqlx::query!(
        "delete from trusted_devices where last_used_at < now() - interval '400 days'"
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(a + b)
}
