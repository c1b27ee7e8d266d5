//! `kenshu-bench rush`: the deadline rush. One mixed load over a generated institution
//! (`sql/institution.sql`, 20,000 staff by default): staff reading sections, marking them read,
//! answering the chapter test, submitting the final test and looking at /my; protection officers
//! refreshing their division's dashboard and person pages; the chief officer on the overview;
//! and one annual report export started during the run. Prints, per page kind, requests, req/s,
//! p50/p99 and errors (which must be 0), and where the CPU went.
//!
//! `accounts` generates the institution and the accounts that take part, `lane` is what each
//! connection does, and `background` checks the instances' background work after the rush.

mod accounts;
mod background;
mod lane;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::client::{Conn, Session};
use crate::load::{self, Kind, PhaseResult};
use crate::report::line;
use crate::server::mb;
use crate::{Args, Parts, client, cpu, db};
use accounts::generate;
use background::background_work;
use lane::{Role, Tally, export, lane, path};

/// The annual report, as the chief officer downloads it (this fiscal year by default).
pub const EXPORT_PATH: &str = "/reports/annual?format=xlsx";

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

/// A loud mark after a figure with errors (there must be none).
fn loud(errors: u64) -> &'static str {
    if errors == 0 {
        ""
    } else {
        "   <<<<<<<<<< ERRORS: must be 0"
    }
}
