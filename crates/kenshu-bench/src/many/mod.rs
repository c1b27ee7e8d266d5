//! `kenshu-bench many`: many institutions in one database (issue 12, item 4). Generates
//! institutions sized like Japan's municipalities (`sql/many.sql`) in three steps — 10, 100 and
//! `--institutions` — and after each step times the background work that runs over every
//! institution: the housekeeping, the reminder schedule (with nothing due, then with reminders
//! due in one small institution) and the overview keeper's pass. With the big database it starts
//! the release portal and measures sign-in and the section page for people of the largest and
//! of a small institution, then prints the database's size, its largest tables and how the
//! sessions, answers and audit tables grow.
//!
//! `steps` generates the institutions and times the background work of each step; `portal`
//! gives accounts the bench password and times their sign-in.

mod portal;
mod steps;

use std::time::{Duration, Instant};

use kenshu_core::FiscalYear;

use crate::dashboard::bench_password_hash;
use crate::load::{self, Kind};
use crate::report::line;
use crate::{Args, Parts};
use portal::{accounts, sign_in_timed};
use steps::{generate, measure_step};

#[derive(clap::Args, Clone)]
pub struct ManyArgs {
    /// Institutions at the end (measured at 10, 100 and this many).
    #[arg(long, default_value_t = 1800)]
    pub institutions: u32,
    /// People per institution times this (1.0: about 2.8 million for 1,800 institutions).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Runs of each background job per step (median and max are printed).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Accounts signed in per institution for the section page.
    #[arg(long, default_value_t = 32)]
    pub accounts: u32,
    /// Sign-ins in parallel.
    #[arg(long, default_value_t = 4)]
    pub signin_parallel: usize,
    /// Connections of the section-page load.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Length of each section-page load, seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
}

/// Median and max of some timings, milliseconds.
fn median_max(ms: &[f64]) -> (f64, f64) {
    let mut v = ms.to_vec();
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[v.len() - 1])
}

/// The figures of one step.
struct Step {
    institutions: u32,
    people: i64,
    generated: Duration,
    first_keep_ms: f64,
    housekeeping: Vec<f64>,
    schedule: Vec<f64>,
    keeper: Vec<f64>,
    due_institution: String,
    due_people: i64,
    due_sent: usize,
    due_ms: f64,
}

fn mib(bytes: i64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

pub async fn run(args: &Args, m: &ManyArgs, parts: &Parts<'_>) -> anyhow::Result<()> {
    anyhow::ensure!(m.runs > 0, "--runs must be at least 1");
    let bench = parts.bench;
    let today = kenshu_core::japan_today();
    let fy = FiscalYear::of(today);
    let empty_size: i64 = sqlx::query_scalar("select pg_database_size(current_database())")
        .fetch_one(&bench.pool)
        .await?;
    let mut stages: Vec<u32> = [10, 100, m.institutions]
        .into_iter()
        .filter(|&s| s <= m.institutions)
        .collect();
    stages.dedup();
    let mut steps = Vec::new();
    let mut done = 0;
    for &stage in &stages {
        eprintln!("generating institutions {}–{stage}…", done + 1);
        let t = Instant::now();
        generate(bench, m, done + 1, stage, today).await?;
        let generated = t.elapsed();
        eprintln!(
            "  generated in {:.1} s; measuring…",
            generated.as_secs_f64()
        );
        let mut step = measure_step(bench, m, stage, today).await?;
        step.generated = generated;
        eprintln!(
            "  {} institutions, {} people: housekeeping {:.1} ms, schedule {:.1} ms, keeper {:.1} ms (medians)",
            step.institutions,
            step.people,
            median_max(&step.housekeeping).0,
            median_max(&step.schedule).0,
            median_max(&step.keeper).0
        );
        steps.push(step);
        done = stage;
    }

    // The size distribution and the database.
    let sizes: Vec<(String, i64, i64)> = sqlx::query_as(
        "select b.band, count(*), coalesce(sum(b.people), 0)::int8 from (
             select case when n >= 10000 then '10,000–30,000'
                         when n >= 3000 then '3,000–9,999'
                         when n >= 1000 then '1,000–2,999'
                         else 'under 1,000' end as band,
                    case when n >= 10000 then 1 when n >= 3000 then 2
                         when n >= 1000 then 3 else 4 end as k, n as people
             from (select count(*) as n from users group by institution_id) c
         ) b group by b.band, b.k order by b.k",
    )
    .fetch_all(&bench.pool)
    .await?;
    let (large, large_people, small, small_people): (String, i64, String, i64) = sqlx::query_as(
        "with c as (select i.code, count(*) as n from users u
                    join institutions i on i.id = u.institution_id group by i.code)
         select (select code from c order by n desc, code limit 1),
                (select max(n) from c),
                (select code from c order by n, code limit 1),
                (select min(n) from c)",
    )
    .fetch_one(&bench.pool)
    .await?;
    let db_size: i64 = sqlx::query_scalar("select pg_database_size(current_database())")
        .fetch_one(&bench.pool)
        .await?;
    let tables: Vec<(String, i64, i64)> = sqlx::query_as(
        "select c.relname::text, pg_total_relation_size(c.oid), greatest(c.reltuples, 0)::int8
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind = 'r'
         order by 2 desc limit 12",
    )
    .fetch_all(&bench.pool)
    .await?;
    let growth: Vec<(String, i64, i64)> = sqlx::query_as(
        "select t, n, pg_total_relation_size(t::regclass) from (values
             ('sessions', (select count(*) from sessions)),
             ('test_answers', (select count(*) from test_answers)),
             ('audit_log', (select count(*) from audit_log)),
             ('reminders', (select count(*) from reminders)),
             ('mail_outbox', (select count(*) from mail_outbox))) v(t, n)",
    )
    .fetch_all(&bench.pool)
    .await?;

    // The portal under load, on the big database.
    let hash = bench_password_hash().await?;
    let large_logins = accounts(bench, &hash, &large, m.accounts).await?;
    let small_logins = accounts(bench, &hash, &small, m.accounts).await?;
    let kenshu = parts
        .start_server(args, &args.server_env, "server.log")
        .await?;
    eprintln!(
        "server pid {} on {} (db pool {}), database {}",
        kenshu.pid, kenshu.addr, args.db_pool, bench.name
    );
    let mut web = Vec::new();
    for (code, logins) in [(&large, &large_logins), (&small, &small_logins)] {
        let (sessions, ms, took) =
            sign_in_timed(kenshu.addr, code, logins, m.signin_parallel).await?;
        let (p50, max) = median_max(&ms);
        let signin = format!(
            "sign-in, {code}: {} people, {} in parallel: {:.1} /s, p50 {p50:.0} ms, max {max:.0} ms, errors 0",
            sessions.len(),
            m.signin_parallel,
            sessions.len() as f64 / took.as_secs_f64()
        );
        eprintln!("{signin}");
        if args.warmup > 0 {
            load::run(
                kenshu.addr,
                Kind::SectionPage,
                m.connections,
                Duration::from_secs(args.warmup),
                &sessions,
                kenshu.pid,
            )
            .await?;
        }
        let r = load::run(
            kenshu.addr,
            Kind::SectionPage,
            m.connections,
            Duration::from_secs(m.seconds),
            &sessions,
            kenshu.pid,
        )
        .await?;
        let page = line(&format!("section page, {code}"), &r);
        eprintln!("{page}");
        web.push((signin, page));
    }
    let problems = kenshu.log_problems(5);
    drop(kenshu);

    println!();
    println!(
        "many benchmark: {} institutions, scale {}, fiscal year {} on {today}, {} runs per figure",
        m.institutions,
        m.scale,
        fy.year(),
        m.runs
    );
    println!("institutions by size:");
    for (band, n, people) in &sizes {
        println!("  {band}: {n} institutions, {people} people");
    }
    println!("  largest {large} ({large_people} people), smallest {small} ({small_people})");
    println!(
        "background work, milliseconds, median / max of {} runs (nothing to do):",
        m.runs
    );
    for s in &steps {
        let (h50, hmax) = median_max(&s.housekeeping);
        let (s50, smax) = median_max(&s.schedule);
        let (k50, kmax) = median_max(&s.keeper);
        println!(
            "  {} institutions, {} people (generated in {:.1} s): housekeeping {h50:.1} / {hmax:.1}, reminder schedule {s50:.1} / {smax:.1}, overview keeper {k50:.1} / {kmax:.1}; keeper's first pass over the new institutions {:.0}",
            s.institutions,
            s.people,
            s.generated.as_secs_f64(),
            s.first_keep_ms
        );
        println!(
            "    reminders due in one institution ({}, {} people): {} sent, schedule {:.1} ms",
            s.due_institution, s.due_people, s.due_sent, s.due_ms
        );
    }
    for (signin, page) in &web {
        println!("{signin}");
        println!("{page}");
    }
    let people = steps.last().map_or(0, |s| s.people);
    let year_share =
        f64::from(u16::try_from((today - fy.start()).whole_days().clamp(1, 365)).unwrap_or(365))
            / 365.0;
    println!(
        "database: {:.0} MB ({:.0} MB before the institutions), {people} people: {:.0} MB per 100,000 staff for the fiscal year so far ({:.0}% of it)",
        mib(db_size),
        mib(empty_size),
        mib(db_size - empty_size) * 100_000.0 / people.max(1) as f64,
        year_share * 100.0
    );
    println!("largest tables (with indexes):");
    for (t, bytes, rows) in &tables {
        println!("  {t}: {:.1} MB, ~{rows} rows", mib(*bytes));
    }
    println!("growth:");
    for (t, n, bytes) in &growth {
        println!(
            "  {t}: {n} rows, {:.1} MB, {:.1} per person, {:.0} bytes a row",
            mib(*bytes),
            *n as f64 / people.max(1) as f64,
            *bytes as f64 / (*n).max(1) as f64
        );
    }
    for l in problems {
        println!("server log: {l}");
    }
    Ok(())
}
