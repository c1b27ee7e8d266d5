//! The overview keeper: keeps the current fiscal year's counts of every institution with an
//! approved plan up to date, so that a request to `/overview` rarely has more than a few
//! people to recount. The first count of a year (seconds for 100,000 staff), a recount after
//! the plan changed, and the day's rollover happen here. Requests refresh anyway
//! (`kenshu_db::overview::refresh`), so this only moves work off them.

use kenshu_core::FiscalYear;

use crate::metrics;

/// Runs the keeper every `every`, in the background; it ends with the process.
pub fn spawn(pool: kenshu_db::PgPool, every: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = run(&pool).await {
                tracing::warn!(error = %e, "keeping the overview counts");
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// One round of the keeper (counted in the metrics as the worker `overview_keeper`).
#[tracing::instrument(name = "overview_keeper", skip_all)]
pub async fn run(pool: &kenshu_db::PgPool) -> Result<(), sqlx::Error> {
    let started = std::time::Instant::now();
    let result = keep(pool).await;
    metrics::OVERVIEW_KEEPER.record(started, &result);
    result
}

async fn keep(pool: &kenshu_db::PgPool) -> Result<(), sqlx::Error> {
    let today = kenshu_core::japan_today();
    let fy = FiscalYear::of(today);
    let mut conn = pool.acquire().await?;
    for inst in kenshu_db::overview::not_current(&mut conn, fy, today).await? {
        let started = std::time::Instant::now();
        let r = kenshu_db::overview::refresh(&mut conn, inst, fy, today).await?;
        metrics::KEEPER_REFRESHES.inc();
        if r.whole {
            tracing::info!(institution = %inst, people = r.people, ms = started.elapsed().as_millis(),
                "overview counted whole");
        }
    }
    Ok(())
}
