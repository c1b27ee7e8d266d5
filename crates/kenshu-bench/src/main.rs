//! `kenshu-bench`: the signed-in section page and the final-test submission under concurrent
//! load against the release `kenshu` binary, with the server's peak memory and the database
//! round trips per page. Build and run with `crates/kenshu-bench/run.sh`.
//!
//! It is a measurement, not a test: it exits 0 when a target is missed and marks it MISSED.

mod client;
mod cpu;
mod dashboard;
mod db;
mod field;
mod load;
mod many;
mod probe;
mod report;
mod rush;
mod server;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use crate::load::Kind;
use crate::report::{Figures, line};
use crate::server::ServerProcess;

#[derive(Parser, Clone)]
#[command(
    name = "kenshu-bench",
    about = "Load benchmark of the kenshu release binary"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Keep-alive HTTP/1.1 connections of the load phases.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Length of each load phase, seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Signed-in accounts, spread over the connections.
    #[arg(long, default_value_t = 200)]
    pub users: usize,
    /// Warm-up before each phase, seconds (not counted).
    #[arg(long, default_value_t = 1)]
    pub warmup: u64,
    /// The server's database pool (`kenshu serve --db-pool`).
    #[arg(long, default_value_t = 24)]
    pub db_pool: u32,
    /// Sign-ins in parallel (each costs the server one argon2 verification).
    #[arg(long, default_value_t = 2)]
    pub signin_parallel: usize,
    /// After phase 1, load the section page with `wrk` too (one account), as a cross-check of
    /// this load generator.
    #[arg(long)]
    pub wrk: bool,
    /// The portal binary to measure (default: `kenshu` next to this binary).
    #[arg(long, value_name = "PATH")]
    pub kenshu_bin: Option<PathBuf>,
    /// Extra environment for the server, e.g. `--server-env MALLOC_ARENA_MAX=2` (repeatable).
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_env)]
    pub server_env: Vec<(String, String)>,
}

#[derive(clap::Subcommand, Clone)]
pub enum Command {
    /// The officer dashboard of a 500-staff division and the chief officer's institution
    /// overview, against a generated institution of 100,000 staff (`dashboard.sh`).
    Dashboard(dashboard::DashboardArgs),
    /// A busy morning and a hostile client: 32 officers' dashboards and 100 overviews at once,
    /// a flood of wrong sign-ins from one address and from many, signed-in pages and people
    /// signing in meanwhile (`field.sh`).
    Field(field::FieldArgs),
    /// The deadline rush: one mixed load of staff, protection officers, the chief officer and
    /// one annual report export over a generated institution of 20,000 staff (`rush.sh`).
    Rush(rush::RushArgs),
    /// Many institutions in one database: 1,800 sized like Japan's municipalities (2.8 million
    /// people); the housekeeping, reminder schedule and overview keeper at 10, 100 and 1,800,
    /// sign-in and the section page, the database's size and growth (`many.sh`).
    Many(many::ManyArgs),
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    clean_stale_work_dirs();
    let work = std::env::temp_dir().join(format!("kenshu-bench-{}", std::process::id()));
    let result = setup_and_run(&args, &work);
    let _ = std::fs::remove_dir_all(&work);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Removes the work folders (and private clusters) of earlier runs that were interrupted.
fn clean_stale_work_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_prefix("kenshu-bench-")
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Finds the PostgreSQL server (starting a private cluster on this, the main, thread when
/// DATABASE_URL is not set), then runs the bench on a single-threaded runtime so that the load
/// generator takes one core at most.
fn setup_and_run(args: &Args, work: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(work).with_context(|| format!("creating {}", work.display()))?;
    let repo_root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .context("finding the repository root")?;
    let bin = match &args.kenshu_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("no directory for the bench binary")?
            .join("kenshu"),
    };
    anyhow::ensure!(
        bin.is_file(),
        "{} is missing: build it with `cargo build --release -p kenshu -p kenshu-bench`",
        bin.display()
    );
    let mut cluster = None;
    let mut postgres_pid = None;
    let server = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => db::Server::shared(&url)?,
        _ => {
            let c = kenshu_db::embedded::EmbeddedCluster::start(&work.join("cluster"))
                .context("starting a private PostgreSQL cluster")?;
            let s = db::Server::private(c.connect_options("postgres"));
            // The postmaster's pid, whose children are the backends.
            postgres_pid = std::fs::read_to_string(c.data_dir().join("postmaster.pid"))
                .ok()
                .and_then(|p| p.lines().next()?.trim().parse::<i64>().ok());
            cluster = Some(c);
            s
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(async {
        let bench = db::create(&server, &repo_root).await?;
        let parts = Parts {
            server: &server,
            bench: &bench,
            bin: &bin,
            repo_root: &repo_root,
            work,
            postgres_pid,
        };
        let result = match &args.command {
            Some(Command::Dashboard(d)) => dashboard::run(args, d, &parts).await,
            Some(Command::Field(f)) => field::run(args, f, &parts).await,
            Some(Command::Rush(r)) => rush::run(args, r, &parts).await,
            Some(Command::Many(m)) => many::run(args, m, &parts).await,
            None => run(args, &parts).await,
        };
        let finished = db::finish(&server, bench).await;
        result.and(finished)
    });
    drop(runtime);
    drop(cluster);
    result
}

/// What the bench runs against.
struct Parts<'a> {
    server: &'a db::Server,
    bench: &'a db::BenchDb,
    bin: &'a Path,
    repo_root: &'a Path,
    work: &'a Path,
    postgres_pid: Option<i64>,
}

impl Parts<'_> {
    /// The release portal on the bench database with the bench's pool size and `env` (the
    /// `--server-env` pairs, with any of the mode's own), logging to `log` in the work folder.
    async fn start_server(
        &self,
        args: &Args,
        env: &[(String, String)],
        log: &str,
    ) -> anyhow::Result<ServerProcess> {
        ServerProcess::start(
            self.bin,
            &self.bench.url,
            args.db_pool,
            env,
            self.work.join(log),
            self.repo_root,
        )
        .await
    }
}

async fn run(args: &Args, parts: &Parts<'_>) -> anyhow::Result<()> {
    let Parts {
        server,
        bench,
        bin,
        repo_root,
        work,
        postgres_pid,
    } = *parts;
    let logins = db::seed(bench, args.users).await?;
    let mut kenshu = parts
        .start_server(args, &args.server_env, "server.log")
        .await?;
    eprintln!(
        "server pid {} on {} (db pool {}), database {}",
        kenshu.pid, kenshu.addr, args.db_pool, bench.name
    );
    let rss = |s: &ServerProcess| s.memory().map_or(0, |m| m.0);
    let rss_idle = rss(&kenshu);
    eprintln!("signing in {} accounts…", logins.len());
    let sessions =
        client::sign_in_all(kenshu.addr, &logins, db::PASSWORD, args.signin_parallel).await?;
    let rss_signed_in = rss(&kenshu);
    let duration = Duration::from_secs(args.seconds);
    let warmup = Duration::from_secs(args.warmup);
    let phase = async |kind: Kind, d: Duration| {
        let start = cpu::snapshot(kenshu.pid, postgres_pid);
        let result = load::run(
            kenshu.addr,
            kind,
            args.connections,
            d,
            &sessions,
            kenshu.pid,
        )
        .await?;
        let usage = cpu::usage(&start, &cpu::snapshot(kenshu.pid, postgres_pid));
        anyhow::Ok((result, usage))
    };

    eprintln!(
        "phase 0: the ceiling, {} without a session, {} s…",
        load::CEILING_PATH,
        args.seconds
    );
    let (ceiling, ceiling_cpu) = phase(Kind::Anonymous(load::CEILING_PATH), duration).await?;
    eprintln!("{}\n  {ceiling_cpu}", line("ceiling", &ceiling));
    if !warmup.is_zero() {
        phase(Kind::SectionPage, warmup).await?;
    }
    eprintln!("phase 1: section page, {} s…", args.seconds);
    let (section, section_cpu) = phase(Kind::SectionPage, duration).await?;
    eprintln!("{}\n  {section_cpu}", line("section page", &section));
    if args.wrk {
        wrk_section_page(args, kenshu.addr, &sessions[0]).await;
    }
    eprintln!(
        "phase 1b: section page as browsers ask (Accept-Encoding: {}), {} s…",
        load::BROWSER_ENCODINGS,
        args.seconds
    );
    let (compressed, compressed_cpu) = phase(Kind::SectionPageCompressed, duration).await?;
    eprintln!(
        "{}
  {compressed_cpu}",
        line("section page, compressed", &compressed)
    );

    if !warmup.is_zero() {
        phase(Kind::FinalSubmit, warmup).await?;
    }
    let (before, ..) = db::final_test_rows(bench).await?;
    eprintln!("phase 2: final-test submissions, {} s…", args.seconds);
    let (submit, submit_cpu) = phase(Kind::FinalSubmit, duration).await?;
    eprintln!("{}\n  {submit_cpu}", line("final submit", &submit));
    let (after, submitted, answers, completions) = db::final_test_rows(bench).await?;
    eprintln!(
        "stored since the phase began: {} attempts; in all: {after} attempts ({submitted} submitted), {answers} answers, {completions} completions",
        after - before
    );

    if !warmup.is_zero() {
        phase(Kind::Get("/my"), warmup).await?;
    }
    eprintln!("phase 3: /my, {} s…", args.seconds);
    let (my, my_cpu) = phase(Kind::Get("/my"), duration).await?;
    eprintln!("{}\n  {my_cpu}", line("/my", &my));

    let (rss_end, hwm) = kenshu.memory().unwrap_or_default();
    for l in kenshu.log_problems(5) {
        eprintln!("server log: {l}");
    }
    kenshu.stop()?;

    eprintln!("counting database round trips…");
    let upstream = probe::Upstream::of(&server.admin);
    let trips = probe::run(
        bin,
        upstream,
        |proxy| server.url_via(&bench.name, proxy),
        &sessions[0],
        work.join("probe.log"),
        repo_root,
    )
    .await;
    let trips = match trips {
        Ok(t) => Some(t),
        Err(e) => {
            eprintln!("round-trip probe failed: {e:#}");
            None
        }
    };
    let submitted_ok = submit.ok;
    report::print_summary(
        args,
        &Figures {
            section,
            section_cpu,
            compressed,
            compressed_cpu,
            submit,
            submit_cpu,
            my,
            my_cpu,
            ceiling,
            submitted_ok,
            stored: after - before,
            completions,
            rss_idle,
            rss_signed_in,
            rss_end,
            hwm,
            trips,
        },
    );
    Ok(())
}

/// Runs `wrk` on the section page with one account's session and shows its figures.
async fn wrk_section_page(args: &Args, addr: std::net::SocketAddr, session: &client::Session) {
    let out = tokio::process::Command::new("wrk")
        .arg("-t1")
        .arg(format!("-c{}", args.connections))
        .arg(format!("-d{}s", args.seconds))
        .arg("--latency")
        .arg("-H")
        .arg(format!("Cookie: {}", session.cookie))
        .arg(format!("http://{addr}{}", load::SECTION_PATH))
        .output()
        .await;
    match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let wanted = [
                "Latency ",
                "50%",
                "99%",
                "Requests/sec",
                "Non-2xx",
                "Socket errors",
            ];
            for l in text
                .lines()
                .filter(|l| wanted.iter().any(|w| l.contains(w)))
            {
                eprintln!("  wrk: {}", l.trim());
            }
        }
        Ok(o) => eprintln!(
            "  wrk failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => eprintln!("  wrk could not start: {e}"),
    }
}
