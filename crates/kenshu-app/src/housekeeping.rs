//! Housekeeping every instance does now and then: roster changes whose day has come
//! (transfers and leavings imported ahead of their day), ended sessions, old sign-in failures
//! and throttle keys, browsers unused for 400 days. Each step is idempotent, so several
//! instances doing it at once is harmless. It runs at start, every ten minutes, and just after
//! midnight in Japan, so that a change dated 1 April holds from the first minute of 1 April.

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
            tokio::time::sleep(EVERY.min(until_midnight_in_japan())).await;
        }
    });
}

/// One round: the number of rows removed (counted in the metrics as the worker
/// `housekeeping`).
#[tracing::instrument(name = "housekeeping", skip_all)]
pub async fn run(pool: &kenshu_db::PgPool, idle_minutes: i32) -> Result<u64, sqlx::Error> {
    let started = std::time::Instant::now();
    let result = keep_house(pool, idle_minutes).await;
    crate::metrics::HOUSEKEEPING.record(started, &result);
    if let Ok(n) = result {
        crate::metrics::HOUSEKEEPING_REMOVED.add(n);
    }
    result
}

async fn keep_house(pool: &kenshu_db::PgPool, idle_minutes: i32) -> Result<u64, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let took = kenshu_db::roster::take_effect(&mut conn, kenshu_core::japan_today()).await?;
    if took != Default::default() {
        tracing::info!(
            transfers = took.transfers,
            leavers = took.leavers,
            "scheduled roster changes took effect"
        );
    }
    let sessions = kenshu_db::session::purge_expired(&mut conn, idle_minutes).await?;
    let failures = kenshu_db::person::purge_old_failures(&mut conn).await?;
    let throttle = kenshu_db::throttle::purge(&mut conn).await?;
    let challenges = kenshu_db::second_factor::purge_expired(&mut conn).await?;
    let pending = kenshu_db::oidc::purge_expired(&mut conn).await?;
    Ok(sessions + failures + throttle + challenges + pending)
}

/// The time until just after the next midnight in Japan (a second past, so that the date has
/// turned wherever the clock is read).
fn until_midnight_in_japan() -> Duration {
    let now = time::OffsetDateTime::now_utc().to_offset(kenshu_core::fiscal_year::JST);
    let seconds =
        i64::from(now.hour()) * 3600 + i64::from(now.minute()) * 60 + i64::from(now.second());
    Duration::from_secs(u64::try_from(86_400 - seconds + 1).unwrap_or(1))
}
