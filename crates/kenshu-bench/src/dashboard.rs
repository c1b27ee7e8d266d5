//! `kenshu-bench dashboard`: the officers' pages against a generated institution of 100,000
//! staff in 200 divisions (`sql/institution.sql`): one division's dashboard as its protection
//! officer (target p99 < 20 ms), the institution overview as the chief officer (< 200 ms), and
//! 設問別の正答率 of the final test for the division (< 200 ms) and the institution (< 1 s: it
//! counts every first attempt's answers of two years, about 690,000).

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
}

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
