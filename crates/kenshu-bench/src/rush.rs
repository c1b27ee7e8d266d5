//! `kenshu-bench rush`: the deadline rush. One mixed load over a generated institution
//! (`sql/institution.sql`, 20,000 staff by default): staff reading sections, marking them read,
//! answering the chapter test, submitting the final test and looking at /my; protection officers
//! refreshing their division's dashboard and person pages; the chief officer on the overview;
//! and one annual report export started during the run. Prints, per page kind, requests, req/s,
//! p50/p99 and errors (which must be 0), and where the CPU went.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use hyper::StatusCode;
use uuid::Uuid;

use crate::client::{Conn, Session};
use crate::dashboard::{OVERVIEW_PATH, bench_password_hash, generate_institution};
use crate::load::{self, CHAPTER_QUESTIONS, Kind, Outcome, PhaseResult};
use crate::report::line;
use crate::server::mb;
use crate::{Args, Parts, client, cpu, db};

/// The annual report, as the chief officer downloads it (this fiscal year by default).
pub const EXPORT_PATH: &str = "/reports/annual?format=xlsx";

/// The sections of the course the staff read (`content/clerk`).
const SECTIONS: [&str; 7] = [
    "system-overview",
    "safety-measures-1",
    "safety-measures-2",
    "cases-1",
    "cases-2",
    "guideline-measures-1",
    "guideline-measures-2",
];

#[derive(clap::Args, Clone)]
pub struct RushArgs {
    /// Staff of the generated institution.
    #[arg(long, default_value_t = 20_000)]
    pub staff: u32,
    /// Divisions.
    #[arg(long, default_value_t = 40)]
    pub divisions: u32,
    /// Length of the rush, seconds.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Keep-alive connections: one for the chief officer, one in 16 (at least one) for the
    /// protection officers, the rest for the staff.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Staff members signed in (a reproducible sample of the active staff); at least as many
    /// as the staff connections, so that no account is used on two connections at once.
    #[arg(long, default_value_t = 300)]
    pub sample: u32,
    /// Divisions whose protection officers take part (d001, d002, …).
    #[arg(long, default_value_t = 4)]
    pub officer_divisions: u32,
    /// When the chief officer starts the annual report export, seconds into the rush.
    #[arg(long, default_value_t = 10)]
    pub export_at: u64,
    /// Portal instances on the one database (1 or 2); the connections alternate between them.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub instances: u8,
    /// Every instance runs the reminder schedule each minute during the rush (the generated
    /// data has tens of thousands of reminders due) and sends its mail (log transport); at the
    /// end the bench checks that the work was done once: each schedule step taken once, no
    /// person reminded twice, every mail sent once.
    #[arg(long)]
    pub background: bool,
}

/// A protection officer taking part: the division's code and the people of the division whose
/// pages the officer opens.
struct Officer {
    login: String,
    division: String,
    people: Vec<String>,
}

struct Accounts {
    chief: String,
    officers: Vec<Officer>,
    staff: Vec<String>,
}

/// Generates the institution and gives the bench password to the chief officer, the protection
/// officers of the first `officer_divisions` divisions and a sample of the active staff.
async fn generate(bench: &db::BenchDb, r: &RushArgs) -> anyhow::Result<Accounts> {
    generate_institution(bench, r.staff, r.divisions).await?;
    let hash = bench_password_hash().await?;
    let mut conn = bench.pool.acquire().await?;
    let division_codes: Vec<String> = (1..=r.officer_divisions.min(r.divisions))
        .map(|n| format!("d{n:03}"))
        .collect();
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "update users u set password_hash = $1 from divisions d
         where d.institution_id = u.institution_id and d.id = u.division_id
           and (u.role = 'chief_officer'
                or (u.role = 'protection_officer' and d.code = any($2))
                or u.id in (select x.id from users x
                            where x.role = 'staff' and x.status = 'active'
                            order by hashtext(x.login_id) limit $3))
         returning u.role, u.login_id, d.code",
    )
    .bind(&hash)
    .bind(&division_codes)
    .bind(i64::from(r.sample))
    .fetch_all(&mut *conn)
    .await?;
    let chief = rows
        .iter()
        .find(|(role, ..)| role == "chief_officer")
        .map(|(_, l, _)| l.clone())
        .context("no chief officer generated")?;
    let mut staff: Vec<String> = rows
        .iter()
        .filter(|(role, ..)| role == "staff")
        .map(|(_, l, _)| l.clone())
        .collect();
    staff.sort();
    let mut officers = Vec::new();
    for (_, login, division) in rows
        .iter()
        .filter(|(role, ..)| role == "protection_officer")
    {
        let people: Vec<String> = sqlx::query_scalar(
            "select u.login_id from users u join divisions d on d.id = u.division_id
             where d.code = $1 and u.role = 'staff' and u.status = 'active'
             order by u.login_id limit 100",
        )
        .bind(division)
        .fetch_all(&mut *conn)
        .await?;
        anyhow::ensure!(
            !people.is_empty(),
            "division {division} has no active staff"
        );
        officers.push(Officer {
            login: login.clone(),
            division: division.clone(),
            people,
        });
    }
    officers.sort_by(|a, b| a.division.cmp(&b.division));
    anyhow::ensure!(!officers.is_empty(), "no protection officer generated");
    anyhow::ensure!(!staff.is_empty(), "no staff in the sample");
    Ok(Accounts {
        chief,
        officers,
        staff,
    })
}

/// What a connection does, by its role.
#[derive(Clone)]
enum Role {
    Chief(Session),
    /// The officer's session, dashboard path and person-page paths.
    Officer(Vec<(Session, &'static str, Vec<&'static str>)>),
    Staff(Vec<Session>),
}

/// A small reproducible pseudo-random generator (xorshift64*), one per connection.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }
}

/// The figures of one page kind, as one connection measured them.
#[derive(Default)]
struct Tally {
    ok: u64,
    latencies_us: Vec<u32>,
    errors: BTreeMap<u16, u64>,
    first_error: Option<String>,
}

impl Tally {
    fn record(&mut self, t0: Instant, outcome: anyhow::Result<Outcome>) -> bool {
        match outcome {
            Ok(Outcome::Ok) => {
                self.ok += 1;
                let us = t0.elapsed().as_micros();
                self.latencies_us
                    .push(u32::try_from(us).unwrap_or(u32::MAX));
                true
            }
            Ok(Outcome::Status(s)) => {
                *self.errors.entry(s).or_default() += 1;
                self.first_error.get_or_insert_with(|| format!("HTTP {s}"));
                false
            }
            Err(e) => {
                *self.errors.entry(0).or_default() += 1;
                self.first_error.get_or_insert_with(|| format!("{e:#}"));
                false
            }
        }
    }
}

/// Leaks a path built once at start-up, so that it can be a [`Kind::Get`] (a few hundred
/// short strings for the whole run).
fn path(s: String) -> &'static str {
    s.leak()
}

/// One connection's loop until `deadline`: what its role does, by weight.
async fn lane(
    mut conn: Conn,
    role: Role,
    seed: u64,
    deadline: Instant,
) -> BTreeMap<&'static str, Tally> {
    let mut out: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let sections: Vec<&'static str> = SECTIONS
        .iter()
        .map(|s| path(format!("/courses/{}/sections/{s}", load::CHAPTER_COURSE)))
        .collect();
    let reads: Vec<&'static str> = sections.iter().map(|s| path(format!("{s}/read"))).collect();
    // The open chapter-test attempt of each staff account of this connection, and the next
    // question to answer.
    let mut chapter: Vec<Option<(Uuid, u32)>> = match &role {
        Role::Staff(s) => vec![None; s.len()],
        _ => Vec::new(),
    };
    let mut turn = 0usize;
    while Instant::now() < deadline {
        turn += 1;
        let (label, kind, session, account) = match &role {
            Role::Chief(s) => ("overview", Kind::Get(OVERVIEW_PATH), s, 0),
            Role::Officer(mine) => {
                let (s, dashboard, people) = &mine[turn % mine.len()];
                if rng.below(2) == 0 {
                    ("officer dashboard", Kind::Get(dashboard), s, 0)
                } else {
                    let p = people[rng.below(people.len())];
                    ("person page", Kind::Get(p), s, 0)
                }
            }
            Role::Staff(mine) => {
                let a = turn % mine.len();
                let s = &mine[a];
                let roll = rng.below(100);
                let (label, kind) = if roll < 60 {
                    (
                        "section page",
                        Kind::Get(sections[rng.below(sections.len())]),
                    )
                } else if roll < 75 {
                    ("my training", Kind::Get("/my"))
                } else if roll < 85 {
                    ("mark read", Kind::MarkRead(reads[rng.below(reads.len())]))
                } else if roll < 95 {
                    match chapter[a] {
                        None => ("chapter start", Kind::ChapterStart(Uuid::new_v4())),
                        Some((attempt, question)) => {
                            ("chapter answer", Kind::ChapterAnswer { attempt, question })
                        }
                    }
                } else {
                    ("final submit", Kind::FinalSubmit)
                };
                (label, kind, s, a)
            }
        };
        let t0 = Instant::now();
        let outcome = load::request(&mut conn, kind, session).await;
        let failed_io = outcome.is_err();
        let ok = out.entry(label).or_default().record(t0, outcome);
        match kind {
            Kind::ChapterStart(attempt) if ok => chapter[account] = Some((attempt, 1)),
            Kind::ChapterAnswer { attempt, question } if ok => {
                chapter[account] =
                    (question < CHAPTER_QUESTIONS).then_some((attempt, question + 1));
            }
            Kind::ChapterStart(_) | Kind::ChapterAnswer { .. } => chapter[account] = None,
            _ => {}
        }
        if failed_io && conn.reopen().await.is_err() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    out
}

/// The chief officer's one annual report export, `after` into the rush.
async fn export(
    addr: std::net::SocketAddr,
    chief: Session,
    after: Duration,
) -> (Tally, usize, Duration) {
    tokio::time::sleep(after).await;
    let mut tally = Tally::default();
    let t0 = Instant::now();
    let mut size = 0;
    let outcome = async {
        let mut conn = Conn::open(addr).await?;
        let res = conn.get(EXPORT_PATH, Some(&chief.cookie)).await?;
        size = res.body.len();
        anyhow::Ok(if res.status == StatusCode::OK && size > 0 {
            Outcome::Ok
        } else {
            Outcome::Status(res.status.as_u16())
        })
    }
    .await;
    tally.record(t0, outcome);
    (tally, size, t0.elapsed())
}

pub async fn run(args: &Args, r: &RushArgs, parts: &Parts<'_>) -> anyhow::Result<()> {
    anyhow::ensure!(
        r.connections >= 3,
        "the rush needs at least 3 connections (chief, officers, staff)"
    );
    let bench = parts.bench;
    let started = Instant::now();
    let accounts = generate(bench, r).await?;
    eprintln!(
        "generated {} staff in {} divisions in {:.1} s; signing in the chief, {} officers and {} staff",
        r.staff,
        r.divisions,
        started.elapsed().as_secs_f64(),
        accounts.officers.len(),
        accounts.staff.len()
    );
    let mut server_env = args.server_env.clone();
    if r.background {
        server_env.push(("KENSHU_REMINDER_MINUTES".into(), "1".into()));
    }
    let since: String = sqlx::query_scalar("select now()::text")
        .fetch_one(&bench.pool)
        .await?;
    let mut kenshu = parts.start_server(args, &server_env, "server.log").await?;
    eprintln!(
        "server pid {} on {} (db pool {}), database {}",
        kenshu.pid, kenshu.addr, args.db_pool, bench.name
    );
    // A second instance on the same database: sessions live in the database, so every account
    // signed in on the first works on the second.
    let mut second = if r.instances > 1 {
        let s = parts
            .start_server(args, &server_env, "server-2.log")
            .await?;
        eprintln!("second instance pid {} on {}", s.pid, s.addr);
        Some(s)
    } else {
        None
    };
    let addrs: Vec<std::net::SocketAddr> = std::iter::once(kenshu.addr)
        .chain(second.as_ref().map(|s| s.addr))
        .collect();
    let mut logins = vec![accounts.chief.clone()];
    logins.extend(accounts.officers.iter().map(|o| o.login.clone()));
    logins.extend(accounts.staff.iter().cloned());
    let sessions =
        client::sign_in_all(kenshu.addr, &logins, db::PASSWORD, args.signin_parallel).await?;
    let chief = sessions[0].clone();
    let officer_sessions = &sessions[1..=accounts.officers.len()];
    let staff_sessions = &sessions[1 + accounts.officers.len()..];

    // The connections: one for the chief, one in 16 for the officers, the rest for the staff.
    let officer_lanes = (r.connections / 16).max(1);
    let staff_lanes = r.connections - 1 - officer_lanes;
    if staff_sessions.len() < staff_lanes {
        eprintln!(
            "warning: {} staff accounts for {staff_lanes} staff connections: some accounts are used on two connections at once",
            staff_sessions.len()
        );
    }
    let officers: Vec<(Session, &'static str, Vec<&'static str>)> = accounts
        .officers
        .iter()
        .zip(officer_sessions)
        .map(|(o, s)| {
            (
                s.clone(),
                path(format!("/officer?division={}", o.division)),
                o.people
                    .iter()
                    .map(|p| path(format!("/people/{p}")))
                    .collect(),
            )
        })
        .collect();
    let mut roles = vec![Role::Chief(chief.clone())];
    for i in 0..officer_lanes {
        roles.push(Role::Officer(load::accounts_of(
            i,
            officer_lanes,
            &officers,
        )));
    }
    for i in 0..staff_lanes {
        roles.push(Role::Staff(load::accounts_of(
            i,
            staff_lanes,
            staff_sessions,
        )));
    }

    if args.warmup > 0 {
        load::run(
            kenshu.addr,
            Kind::SectionPage,
            staff_lanes,
            Duration::from_secs(args.warmup),
            staff_sessions,
            kenshu.pid,
        )
        .await?;
    }
    let mut conns = Vec::with_capacity(roles.len());
    for i in 0..roles.len() {
        conns.push(Conn::open(addrs[i % addrs.len()]).await?);
    }
    eprintln!(
        "rush: {} s over {} connections (1 chief, {officer_lanes} officers, {staff_lanes} staff), annual report export at {} s…",
        r.seconds, r.connections, r.export_at
    );
    let cpu_start = cpu::snapshot(kenshu.pid, parts.postgres_pid);
    let cpu_start_2 = second
        .as_ref()
        .map(|s| cpu::snapshot(s.pid, parts.postgres_pid));
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(r.seconds);
    let exporting = tokio::spawn(export(
        kenshu.addr,
        chief,
        Duration::from_secs(r.export_at.min(r.seconds)),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (conn, role)) in conns.into_iter().zip(roles).enumerate() {
        tasks.spawn(lane(conn, role, i as u64 + 1, deadline));
    }
    let mut kinds: BTreeMap<&'static str, Tally> = BTreeMap::new();
    while let Some(done) = tasks.join_next().await {
        for (label, t) in done.context("rush connection")? {
            let k = kinds.entry(label).or_default();
            k.ok += t.ok;
            k.latencies_us.extend(t.latencies_us);
            for (s, n) in t.errors {
                *k.errors.entry(s).or_default() += n;
            }
            if k.first_error.is_none() {
                k.first_error = t.first_error;
            }
        }
    }
    let elapsed = t0.elapsed();
    let usage = cpu::usage(&cpu_start, &cpu::snapshot(kenshu.pid, parts.postgres_pid));
    let usage_2 = match (&second, &cpu_start_2) {
        (Some(s), Some(start)) => {
            Some(cpu::usage(start, &cpu::snapshot(s.pid, parts.postgres_pid)))
        }
        _ => None,
    };
    let (hwm_2, problems_2) = match &second {
        Some(s) => (s.memory().unwrap_or_default().1, s.log_problems(5)),
        None => (0, Vec::new()),
    };
    if let Some(s) = second.as_mut() {
        s.stop()?;
    }
    let (export_tally, export_bytes, export_took) = exporting.await.context("the export task")?;
    let (_, hwm) = kenshu.memory().unwrap_or_default();
    let problems = kenshu.log_problems(5);
    kenshu.stop()?;

    let result = |t: Tally, elapsed: Duration| {
        let mut latencies_us = t.latencies_us;
        latencies_us.sort_unstable();
        PhaseResult {
            connections: r.connections,
            elapsed,
            ok: t.ok,
            latencies_us,
            errors: t.errors,
            first_error: t.first_error,
            peak_rss: 0,
        }
    };
    println!();
    println!(
        "rush benchmark: {} staff in {} divisions, {} connections (1 chief, {officer_lanes} officers, {staff_lanes} staff) over {} instance(s), {} s, {} staff and {} officers signed in, db pool {}",
        r.staff,
        r.divisions,
        r.connections,
        r.instances,
        r.seconds,
        staff_sessions.len(),
        officer_sessions.len(),
        args.db_pool
    );
    let mut all_ok = 0;
    let mut all_errors = 0;
    let order = [
        "section page",
        "my training",
        "mark read",
        "chapter start",
        "chapter answer",
        "final submit",
        "officer dashboard",
        "person page",
        "overview",
    ];
    for label in order {
        let Some(t) = kinds.remove(label) else {
            println!("{label}: no requests");
            continue;
        };
        let p = result(t, elapsed);
        all_ok += p.ok;
        all_errors += p.errors();
        println!("{}, {} requests{}", line(label, &p), p.ok, loud(p.errors()));
    }
    let e = result(export_tally, export_took);
    all_errors += e.errors();
    println!(
        "annual report export GET {EXPORT_PATH}: {:.0} ms, {:.1} KB, errors {}{}",
        export_took.as_secs_f64() * 1000.0,
        export_bytes as f64 / 1024.0,
        e.errors(),
        match &e.first_error {
            Some(err) => format!(" ({err}){}", loud(e.errors())),
            None => String::new(),
        }
    );
    println!(
        "all pages: {all_ok} requests, {:.0} req/s, errors {all_errors}{}",
        all_ok as f64 / elapsed.as_secs_f64(),
        loud(all_errors)
    );
    println!("  {usage}");
    if let Some(u) = usage_2 {
        println!(
            "  second instance: server {:.2} cores (the line above: first instance, PostgreSQL, all)",
            u.server
        );
        println!("second instance peak RSS: {:.1} MB (VmHWM)", mb(hwm_2));
    }
    println!("server peak RSS: {:.1} MB (VmHWM)", mb(hwm));
    for l in problems.into_iter().chain(problems_2) {
        println!("server log: {l}");
    }
    if r.background {
        background_work(bench, &since, r.instances).await?;
    }
    Ok(())
}

/// What the instances' reminder schedules and mail workers did during the rush, and whether
/// each piece of work was done once.
async fn background_work(
    bench: &crate::db::BenchDb,
    since: &str,
    instances: u8,
) -> anyhow::Result<()> {
    let (reminders, orphans, twice, mails, distinct_mails): (i64, i64, i64, i64, i64) =
        sqlx::query_as(
            "with r as (select * from reminders where sent_by is null and created_at >= $1::timestamptz)
             select (select count(*) from r),
                    (select count(*) from r where not exists
                        (select 1 from reminder_steps s where s.institution_id = r.institution_id
                           and s.reminder_id = r.id)),
                    (select count(*) from (select 1 from r group by institution_id, user_id
                                           having count(*) > 1) t),
                    (select count(mail_id) from r),
                    (select count(distinct mail_id) from r)",
        )
        .bind(since)
        .fetch_one(&bench.pool)
        .await?;
    let (sent, waiting, retried): (i64, i64, i64) = sqlx::query_as(
        "select count(*) filter (where sent_at is not null),
                count(*) filter (where sent_at is null and gave_up_at is null),
                count(*) filter (where attempts > 1)
         from mail_outbox where created_at >= $1::timestamptz",
    )
    .bind(since)
    .fetch_one(&bench.pool)
    .await?;
    let wrong = orphans + twice + (mails - distinct_mails);
    println!(
        "background work on {instances} instance(s): {reminders} scheduled reminders ({orphans} without their step, {twice} people reminded twice, {} mails shared), mail: {sent} sent, {waiting} still queued, {retried} retried{}",
        mails - distinct_mails,
        if wrong == 0 {
            ""
        } else {
            "   <<<<<<<<<< DONE TWICE: must be 0"
        }
    );
    Ok(())
}

/// A loud mark after a figure with errors (there must be none).
fn loud(errors: u64) -> &'static str {
    if errors == 0 {
        ""
    } else {
        "   <<<<<<<<<< ERRORS: must be 0"
    }
}
