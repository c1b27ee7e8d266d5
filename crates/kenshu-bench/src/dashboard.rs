//! `kenshu-bench dashboard`: the officers' pages against a generated institution of 100,000
//! staff in 200 divisions (`sql/institution.sql`): one division's dashboard as its protection
//! officer (target p99 < 20 ms), the institution overview as the chief officer (< 200 ms), and
//! 設問別の正答率 of the final test for the division (< 200 ms) and the institution (< 1 s: it
//! counts every first attempt's answers of two years, about 690,000).
//!
//! With `--rules` the approved plan also requires a rule (規程) of everyone, acknowledged by
//! about half the staff (`sql/rules.sql`), whose reminder step is due today: the overview then
//! counts the rules per request, and the reminder schedule is timed (its first run, which sends
//! the reminders due today, and runs with nothing new to do), as it is with `--schedule`
//! without the rule.

use std::time::{Duration, Instant};

use anyhow::Context;
use kenshu_core::FiscalYear;

use crate::load::{self, Kind};
use crate::report::line;
use crate::{Args, Parts, client, cpu, db};

pub const OFFICER_PATH: &str = "/officer?division=d001";
pub const OVERVIEW_PATH: &str = "/overview";
pub const INSIGHTS_PATH: &str = "/insights?course=final-test";

#[derive(clap::Args, Clone)]
pub struct DashboardArgs {
    /// Staff of the generated institution.
    #[arg(long, default_value_t = 100_000)]
    pub staff: u32,
    /// Divisions; division d001 gets staff / divisions people.
    #[arg(long, default_value_t = 200)]
    pub divisions: u32,
    /// Length of each load phase, seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Connections of the second (concurrent) phase of each page.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// The approved plan also requires a rule (規程) of everyone, due in 10 days (its "14 days
    /// before" reminder step due today), acknowledged by about half the staff
    /// (`sql/rules.sql`); times the rule counts and the reminder schedule too.
    #[arg(long)]
    pub rules: bool,
    /// After the pages, time the reminder schedule (`--rules` does too): its first run, which
    /// sends the reminders due today, then `--schedule-runs` runs with nothing new to do.
    #[arg(long)]
    pub schedule: bool,
    /// Runs of the reminder schedule with nothing new to do.
    #[arg(long, default_value_t = 5)]
    pub schedule_runs: usize,
}

/// The required rule's deadline, days from today: the plan's "14 days before" reminder step
/// is due today, its "3 days before" not yet.
pub const RULE_DUE_IN_DAYS: i64 = 10;

/// What the reminder mails link to (they are queued, not sent).
const PORTAL_URL: &str = "http://127.0.0.1";

pub async fn run(args: &Args, d: &DashboardArgs, parts: &Parts<'_>) -> anyhow::Result<()> {
    let bench = parts.bench;
    let started = Instant::now();
    let (chief, officer) = generate(bench, d).await?;
    eprintln!(
        "generated {} staff in {} divisions in {:.1} s",
        d.staff,
        d.divisions,
        started.elapsed().as_secs_f64()
    );
    let counts = count_times(bench).await?;
    let rule_times = if d.rules {
        Some(rule_times(bench).await?)
    } else {
        None
    };
    let kenshu = parts
        .start_server(args, &args.server_env, "server.log")
        .await?;
    let logins = [chief, officer];
    let sessions = client::sign_in_all(kenshu.addr, &logins, db::PASSWORD, 1).await?;
    let (chief, officer) = (&sessions[0..1], &sessions[1..2]);
    let mut conn = client::Conn::open(kenshu.addr).await?;
    let t0 = Instant::now();
    let first = conn.get(OVERVIEW_PATH, Some(&chief[0].cookie)).await?;
    let first_ms = t0.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(
        first.status == hyper::StatusCode::OK,
        "GET {OVERVIEW_PATH} answered {}",
        first.status
    );
    let seconds = Duration::from_secs(d.seconds);
    let mut results = Vec::new();
    for (name, path, who, target_ms) in [
        ("officer dashboard, 500 staff", OFFICER_PATH, officer, 20.0),
        ("institution overview", OVERVIEW_PATH, chief, 200.0),
        (
            "answers by question, 500 staff",
            INSIGHTS_PATH,
            officer,
            200.0,
        ),
        (
            "answers by question, 100,000 staff",
            INSIGHTS_PATH,
            chief,
            1000.0,
        ),
    ] {
        let kind = Kind::Get(path);
        load::run(
            kenshu.addr,
            kind,
            1,
            Duration::from_secs(1),
            who,
            kenshu.pid,
        )
        .await?;
        for connections in [1, d.connections] {
            let start = cpu::snapshot(kenshu.pid, parts.postgres_pid);
            let r = load::run(kenshu.addr, kind, connections, seconds, who, kenshu.pid).await?;
            let usage = cpu::usage(&start, &cpu::snapshot(kenshu.pid, parts.postgres_pid));
            let label = format!("{name} GET {path}");
            eprintln!("{}\n  {usage}", line(&label, &r));
            results.push((label, r, target_ms));
        }
    }
    for l in kenshu.log_problems(5) {
        eprintln!("server log: {l}");
    }
    // After the pages, so that the reminders it sends leave their figures as they were.
    let schedule = if d.rules || d.schedule {
        Some(schedule_times(bench, d.schedule_runs).await?)
    } else {
        None
    };
    println!();
    println!(
        "dashboard benchmark: {} staff, {} divisions, {} s per phase",
        d.staff, d.divisions, d.seconds
    );
    let median = |v: &[f64]| v[v.len() / 2];
    println!(
        "  overview, everyone recounted (first view of a year, or the plan changed), {} runs: median {:.0} ms, max {:.0} ms",
        counts.whole.len(),
        median(&counts.whole),
        counts.whole[counts.whole.len() - 1]
    );
    for (k, ms) in &counts.changed {
        println!("  overview after {k} people's completions changed: {ms:.1} ms");
    }
    println!(
        "  overview with nothing changed, {} runs: median {:.1} ms, max {:.1} ms",
        counts.unchanged.len(),
        median(&counts.unchanged),
        counts.unchanged[counts.unchanged.len() - 1]
    );
    if let Some(r) = &rule_times {
        println!(
            "  rule (規程) required of everyone, due {}: {} of {} people acknowledged the current version",
            r.deadline, r.acknowledged, r.required
        );
        println!(
            "  rule counts by division (kenshu_app::rules::counts_by_division), {} runs: median {:.1} ms, max {:.1} ms; of which facts_for_institution ({} people): median {:.1} ms, max {:.1} ms",
            r.counts.len(),
            median(&r.counts),
            r.counts[r.counts.len() - 1],
            r.people,
            median(&r.facts),
            r.facts[r.facts.len() - 1]
        );
    }
    println!("  first GET {OVERVIEW_PATH} after the server started: {first_ms:.0} ms");
    for (label, r, target_ms) in &results {
        let met = r.quantile_ms(0.99) < *target_ms && r.errors() == 0;
        println!(
            "  {label}, {} connection(s): p50 {:.1} ms, p99 {:.1} ms, {:.0} req/s (target p99 < {target_ms} ms){}",
            r.connections,
            r.quantile_ms(0.50),
            r.quantile_ms(0.99),
            r.rate(),
            if met { "" } else { "  MISSED" }
        );
    }
    if let Some(s) = &schedule {
        println!(
            "  reminder schedule, first run: {} reminders sent ({} naming the rule, {} naming a course) in {:.0} ms",
            s.first_sent, s.naming_rule, s.naming_course, s.first_ms
        );
        println!(
            "  reminder schedule with nothing new to do, {} runs: median {:.1} ms, max {:.1} ms{}",
            s.idle.len(),
            median(&s.idle),
            s.idle[s.idle.len() - 1],
            if s.idle_sent == 0 {
                String::new()
            } else {
                format!(
                    "  ({} reminders sent: something was still due)",
                    s.idle_sent
                )
            }
        );
    }
    Ok(())
}

/// The reminder schedule (`kenshu_app::reminder::schedule::run`) timed: its first run, which
/// sends what is due today, then runs with nothing new to do.
struct ScheduleTimes {
    first_sent: usize,
    first_ms: f64,
    /// Reminders of the first run naming a rule, and naming a course.
    naming_rule: i64,
    naming_course: i64,
    /// Milliseconds of the further runs, sorted.
    idle: Vec<f64>,
    /// Reminders the further runs sent (none expected).
    idle_sent: usize,
}

async fn schedule_times(bench: &db::BenchDb, runs: usize) -> anyhow::Result<ScheduleTimes> {
    let pool = &bench.pool;
    let today = kenshu_core::japan_today();
    let t0 = Instant::now();
    let first_sent =
        kenshu_app::reminder::schedule::run(pool, db::ten_oclock(today), PORTAL_URL).await?;
    let first_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let (naming_rule, naming_course): (i64, i64) = sqlx::query_as(
        "select count(*) filter (where cardinality(rules) > 0),
                count(*) filter (where cardinality(courses) > 0)
         from reminders where sent_by is null",
    )
    .fetch_one(pool)
    .await?;
    eprintln!(
        "reminder schedule, first run: {first_sent} sent ({naming_rule} naming the rule, {naming_course} a course) in {first_ms:.0} ms"
    );
    let mut idle = Vec::with_capacity(runs.max(1));
    let mut idle_sent = 0;
    for _ in 0..runs.max(1) {
        let t0 = Instant::now();
        idle_sent +=
            kenshu_app::reminder::schedule::run(pool, db::ten_oclock(today), PORTAL_URL).await?;
        idle.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    idle.sort_by(f64::total_cmp);
    Ok(ScheduleTimes {
        first_sent,
        first_ms,
        naming_rule,
        naming_course,
        idle,
        idle_sent,
    })
}

/// The required rule and what counting it per request costs.
struct RuleTimes {
    deadline: time::Date,
    /// People it is required of, and who acknowledged its current version.
    required: u64,
    acknowledged: u64,
    /// People `facts_for_institution` reads.
    people: usize,
    /// Milliseconds of `kenshu_app::rules::counts_by_division`, sorted.
    counts: Vec<f64>,
    /// Milliseconds of `kenshu_db::plan::facts_for_institution` alone, sorted.
    facts: Vec<f64>,
}

async fn rule_times(bench: &db::BenchDb) -> anyhow::Result<RuleTimes> {
    let today = kenshu_core::japan_today();
    let fy = FiscalYear::of(today);
    let on = fy.judged_on(today);
    let mut conn = bench.pool.acquire().await?;
    let inst: uuid::Uuid = sqlx::query_scalar("select id from institutions where code = 'bench'")
        .fetch_one(&mut *conn)
        .await?;
    let mut counts = Vec::new();
    let mut facts = Vec::new();
    let mut whole = Default::default();
    let mut people = 0;
    for _ in 0..5 {
        let t0 = Instant::now();
        whole = kenshu_app::rules::counts_by_division(&mut conn, inst, fy, today).await?;
        counts.push(t0.elapsed().as_secs_f64() * 1000.0);
        let t0 = Instant::now();
        people = kenshu_db::plan::facts_for_institution(&mut conn, inst, on)
            .await?
            .len();
        facts.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    counts.sort_by(f64::total_cmp);
    facts.sort_by(f64::total_cmp);
    let (required, acknowledged) = whole
        .values()
        .fold((0, 0), |(r, a), c| (r + c.required, a + c.acknowledged));
    anyhow::ensure!(required > 0, "the plan requires the rule of nobody");
    Ok(RuleTimes {
        deadline: today + time::Duration::days(RULE_DUE_IN_DAYS),
        required,
        acknowledged,
        people,
        counts,
        facts,
    })
}

/// Publishes the rule and makes the approved plan require it (`sql/rules.sql`).
async fn generate_rules(bench: &db::BenchDb) -> anyhow::Result<()> {
    let today = kenshu_core::japan_today();
    let mut conn = bench.pool.acquire().await?;
    sqlx::query(
        "select set_config('bench.fy', $1, false), set_config('bench.today', $2, false),
                set_config('bench.deadline', $3, false)",
    )
    .bind(FiscalYear::of(today).year().to_string())
    .bind(today.to_string())
    .bind((today + time::Duration::days(RULE_DUE_IN_DAYS)).to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::raw_sql(include_str!("../sql/rules.sql"))
        .execute(&mut *conn)
        .await
        .context("generating the required rule")?;
    sqlx::raw_sql(
        "vacuum analyze rule_documents, rule_versions, rule_readings, rule_acknowledgements, plan_rules",
    )
    .execute(&mut *conn)
    .await
    .context("vacuum analyze")?;
    Ok(())
}

/// How long `kenshu_db::overview::overview` (refresh, then read the kept counts) takes,
/// milliseconds, in the situations a request can meet.
struct CountTimes {
    /// Everyone recounted: the first view of a year, or after its approved plan changed.
    whole: Vec<f64>,
    /// After k people's completions changed, for k in [`CHANGED`].
    changed: Vec<(u32, f64)>,
    /// Nothing changed since the last view.
    unchanged: Vec<f64>,
}

const CHANGED: [u32; 3] = [1, 100, 1000];

async fn count_times(bench: &db::BenchDb) -> anyhow::Result<CountTimes> {
    let today = kenshu_core::japan_today();
    let fy = FiscalYear::of(today);
    let mut conn = bench.pool.acquire().await?;
    let inst: uuid::Uuid = sqlx::query_scalar("select id from institutions where code = 'bench'")
        .fetch_one(&mut *conn)
        .await?;
    let timed = async |conn: &mut sqlx::PgConnection| -> anyhow::Result<f64> {
        let t0 = Instant::now();
        kenshu_db::overview::overview(conn, inst, fy, today).await?;
        Ok(t0.elapsed().as_secs_f64() * 1000.0)
    };
    let mut whole = Vec::new();
    for _ in 0..3 {
        sqlx::query("update overview_state set stale = true")
            .execute(&mut *conn)
            .await?;
        whole.push(timed(&mut conn).await?);
    }
    let mut changed = Vec::new();
    for (round, k) in CHANGED.into_iter().enumerate() {
        // k people who have not completed cybersecurity complete it now, as the e-learning
        // would record it; each round takes other people.
        sqlx::query(
            "insert into completions (institution_id, user_id, course_code, fiscal_year,
                                      content_version_id, method, score, total)
             select u.institution_id, u.id, c.code, $2, c.current_version_id, 'e_learning', 10, 10
             from users u cross join courses c
             where u.institution_id = $1 and c.code = 'cybersecurity' and u.status <> 'left'
               and not exists (select 1 from completions x where x.institution_id = u.institution_id
                               and x.user_id = u.id and x.fiscal_year = $2 and x.course_code = c.code)
             order by hashtext(u.login_id || $4) limit $3",
        )
        .bind(inst)
        .bind(fy.year())
        .bind(i64::from(k))
        .bind(round.to_string())
        .execute(&mut *conn)
        .await?;
        changed.push((k, timed(&mut conn).await?));
    }
    let mut unchanged = Vec::new();
    for _ in 0..20 {
        unchanged.push(timed(&mut conn).await?);
    }
    for v in [&mut whole, &mut unchanged] {
        v.sort_by(f64::total_cmp);
    }
    Ok(CountTimes {
        whole,
        changed,
        unchanged,
    })
}

/// Generates institution `bench` of `staff` people in `divisions` divisions
/// (`sql/institution.sql`), then vacuums and analyzes the database.
pub async fn generate_institution(
    bench: &db::BenchDb,
    staff: u32,
    divisions: u32,
) -> anyhow::Result<()> {
    let today = kenshu_core::japan_today();
    let fy = FiscalYear::of(today);
    let mut conn = bench.pool.acquire().await?;
    kenshu_db::institution::create(&mut conn, "bench", "ベンチ市")
        .await
        .context("creating the institution")?;
    sqlx::query(
        "select set_config('bench.staff', $1, false), set_config('bench.divisions', $2, false),
                set_config('bench.fy', $3, false), set_config('bench.today', $4, false)",
    )
    .bind(staff.to_string())
    .bind(divisions.to_string())
    .bind(fy.year().to_string())
    .bind(today.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::raw_sql(include_str!("../sql/institution.sql"))
        .execute(&mut *conn)
        .await
        .context("generating the institution")?;
    sqlx::raw_sql("vacuum analyze")
        .execute(&mut *conn)
        .await
        .context("vacuum analyze")?;
    Ok(())
}

/// The argon2 hash of the bench password, to give generated accounts.
pub async fn bench_password_hash() -> anyhow::Result<String> {
    tokio::task::spawn_blocking(|| kenshu_db::password::hash(db::PASSWORD))
        .await
        .context("hashing task")?
        .map_err(|e| anyhow::anyhow!("hashing the bench password: {e}"))
}

/// Generates the institution and gives the chief officer and the protection officer of d001
/// the bench password. Returns their login IDs.
async fn generate(bench: &db::BenchDb, d: &DashboardArgs) -> anyhow::Result<(String, String)> {
    generate_institution(bench, d.staff, d.divisions).await?;
    if d.rules {
        generate_rules(bench).await?;
    }
    let mut conn = bench.pool.acquire().await?;
    let hash = bench_password_hash().await?;
    let logins: Vec<(String, String)> = sqlx::query_as(
        "update users u set password_hash = $1 from divisions d
         where d.institution_id = u.institution_id and d.id = u.division_id
           and (u.role = 'chief_officer' or (u.role = 'protection_officer' and d.code = 'd001'))
         returning u.role, u.login_id",
    )
    .bind(&hash)
    .fetch_all(&mut *conn)
    .await?;
    let find = |role: &str| {
        logins
            .iter()
            .find(|(r, _)| r == role)
            .map(|(_, l)| l.clone())
            .with_context(|| format!("no {role} generated"))
    };
    let counts: (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from users u join divisions d on d.id = u.division_id
                  where d.code = 'd001' and u.status <> 'left'),
                (select count(*) from completions), (select count(*) from designations)",
    )
    .fetch_one(&mut *conn)
    .await?;
    eprintln!(
        "d001 has {} current staff; {} completions, {} designations in all",
        counts.0, counts.1, counts.2
    );
    Ok((find("chief_officer")?, find("protection_officer")?))
}
