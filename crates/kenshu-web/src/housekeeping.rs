//! Housekeeping every instance does now and then: ended sessions, old sign-in failures and
//! throttle keys, browsers unused for 400 days. Each delete is idempotent, so several
//! instances doing it at once is harmless.

use std::time::Duration;

/// How often the housekeeping runs.
const EVERY: Duration = Duration::from_secs(600);

/// Runs the housekeeping every ten minutes, in the background.
pub fn spawn(pool: kenshu_db::PgPool, idle_minutes: i32) {
    tokio::spawn(async move {
        loop {
            match run(&pool, idle_minutes).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "housekeeping"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "housekeeping"),
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}

/// One round: the number of rows removed.
pub async fn run(pool: &kenshu_db::PgPool, idle_minutes: i32) -> Result<u64, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let sessions = kenshu_db::sessions::purge_expired(&mut conn, idle_minutes).await?;
    let failures = kenshu_db::users::purge_old_failures(&mut conn).await?;
    let throttle = kenshu_db::throttle::purge(&mut conn).await?;
    Ok(sessions + failures + throttle)
}
