//! One step of the many-institutions run: institutions generated, then the background work
//! that runs over every institution timed.

use std::time::{Duration, Instant};

use anyhow::Context;
use kenshu_core::FiscalYear;
use time::Date;

use super::{ManyArgs, Step};
use crate::db;

/// What the reminder mails link to (they are queued, not sent).
const PORTAL_URL: &str = "http://127.0.0.1";
/// The portal's default idle time, minutes (`kenshu serve --idle-minutes`).
const IDLE_MINUTES: i32 = 30;

/// Runs `f` `runs` times and returns each run's milliseconds.
async fn timed(runs: usize, f: impl AsyncFn() -> anyhow::Result<()>) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        out.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(out)
}

/// Generates institutions `from` ..= `to` of `m.institutions`.
pub(super) async fn generate(
    bench: &db::BenchDb,
    m: &ManyArgs,
    from: u32,
    to: u32,
    today: Date,
) -> anyhow::Result<()> {
    let mut conn = bench.pool.acquire().await?;
    sqlx::query(
        "select set_config('many.from', $1, false), set_config('many.to', $2, false),
                set_config('many.n', $3, false), set_config('many.scale', $4, false),
                set_config('many.fy', $5, false), set_config('many.today', $6, false)",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(m.institutions.to_string())
    .bind(m.scale.to_string())
    .bind(FiscalYear::of(today).year().to_string())
    .bind(today.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::raw_sql(include_str!("../../sql/many.sql"))
        .execute(&mut *conn)
        .await
        .with_context(|| format!("generating institutions {from}–{to}"))?;
    sqlx::raw_sql("vacuum analyze")
        .execute(&mut *conn)
        .await
        .context("vacuum analyze")?;
    Ok(())
}

pub(super) async fn measure_step(
    bench: &db::BenchDb,
    m: &ManyArgs,
    institutions: u32,
    today: Date,
) -> anyhow::Result<Step> {
    let pool = &bench.pool;
    let people: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(pool)
        .await?;
    // The first pass counts the new institutions whole (their first count of the year).
    let t = Instant::now();
    kenshu_app::keeper::run(pool).await?;
    let first_keep_ms = t.elapsed().as_secs_f64() * 1000.0;
    let housekeeping = timed(m.runs, async || {
        kenshu_app::housekeeping::run(pool, IDLE_MINUTES).await?;
        Ok(())
    })
    .await?;
    let schedule = timed(m.runs, async || {
        let sent =
            kenshu_app::reminder::schedule::run(pool, crate::db::ten_oclock(today), PORTAL_URL)
                .await?;
        anyhow::ensure!(
            sent == 0,
            "the schedule sent {sent} reminders with nothing due"
        );
        Ok(())
    })
    .await?;
    let keeper = timed(m.runs, async || {
        kenshu_app::keeper::run(pool).await?;
        Ok(())
    })
    .await?;
    // Reminders due in one institution: the smallest of the newest, its cybersecurity deadline
    // moved to three days from today (the plan's "3 days before" step).
    let (due_id, due_institution, due_people): (uuid::Uuid, String, i64) = sqlx::query_as(
        "select i.id, i.code, (select count(*) from users u where u.institution_id = i.id)
         from institutions i order by i.created_at desc,
             (select count(*) from users u where u.institution_id = i.id), i.code limit 1",
    )
    .fetch_one(pool)
    .await?;
    sqlx::query(
        "update plan_courses set deadline = $2
         where institution_id = $1 and course_code = 'cybersecurity'",
    )
    .bind(due_id)
    .bind(today + time::Duration::days(3))
    .execute(pool)
    .await?;
    let t = Instant::now();
    let due_sent =
        kenshu_app::reminder::schedule::run(pool, crate::db::ten_oclock(today), PORTAL_URL).await?;
    let due_ms = t.elapsed().as_secs_f64() * 1000.0;
    Ok(Step {
        institutions,
        people,
        generated: Duration::ZERO,
        first_keep_ms,
        housekeeping,
        schedule,
        keeper,
        due_institution,
        due_people,
        due_sent,
        due_ms,
    })
}
