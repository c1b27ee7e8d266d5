//! `kenshu-bench field`: what a busy morning and a hostile client do to one instance
//! (issue 10): officers opening the dashboard all at once, the chief's overview at 100 at once,
//! and a flood of wrong sign-ins, from one address and from many, while signed-in people read
//! their page and others sign in. Run with `crates/kenshu-bench/field.sh`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hyper::Method;

use crate::client::{self, Conn};
use crate::load::{self, Kind, PhaseResult};
use crate::report::line;
use crate::{Args, Parts, db};

#[derive(clap::Args, Clone)]
pub struct FieldArgs {
    /// Length of each phase, seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Parallel clients of the sign-in flood.
    #[arg(long, default_value_t = 300)]
    pub flood: usize,
}

/// What the flood's clients and the people signing in meanwhile got.
#[derive(Default)]
struct Tally {
    statuses: BTreeMap<u16, u64>,
    latencies_ms: Vec<f64>,
}

impl Tally {
    fn add(&mut self, status: u16, took: Duration) {
        *self.statuses.entry(status).or_default() += 1;
        self.latencies_ms.push(took.as_secs_f64() * 1000.0);
    }

    fn merge(&mut self, other: Tally) {
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        self.latencies_ms.extend(other.latencies_ms);
    }

    fn describe(&mut self, seconds: f64) -> String {
        self.latencies_ms.sort_by(f64::total_cmp);
        let q = |q: f64| {
            let n = self.latencies_ms.len();
            if n == 0 {
                return f64::NAN;
            }
            self.latencies_ms[((n as f64 * q).ceil() as usize).clamp(1, n) - 1]
        };
        let total: u64 = self.statuses.values().sum();
        format!(
            "{total} requests ({:.1}/s), statuses {:?}, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            total as f64 / seconds,
            self.statuses,
            q(0.5),
            q(0.99),
            q(1.0)
        )
    }
}

pub async fn run(args: &Args, f: &FieldArgs, parts: &Parts<'_>) -> anyhow::Result<()> {
    let bench = parts.bench;
    let logins = db::seed(bench, 40).await?;
    sqlx::query("update users set role = 'protection_officer' where login_id = 'user0001'")
        .execute(&bench.pool)
        .await?;
    sqlx::query("update users set role = 'chief_officer' where login_id = 'user0002'")
        .execute(&bench.pool)
        .await?;
    let mut env = args.server_env.clone();
    env.push(("KENSHU_TRUST_PROXY".into(), "true".into()));
    let mut kenshu = parts.start_server(args, &env, "server.log").await?;
    let sessions = client::sign_in_all(kenshu.addr, &logins[..3], db::PASSWORD, 1).await?;
    let (officer, chief, staff) = (&sessions[0..1], &sessions[1..2], &sessions[2..3]);
    let seconds = Duration::from_secs(f.seconds);
    println!(
        "kenshu-bench field: pool {} connections, {} s per phase",
        args.db_pool, f.seconds
    );
    for (name, path, who, connections) in [
        ("/officer, one officer", "/officer", officer, 32),
        ("/overview, the chief", "/overview", chief, 100),
    ] {
        let r = load::run(
            kenshu.addr,
            Kind::Get(path),
            connections,
            seconds,
            who,
            kenshu.pid,
        )
        .await?;
        println!("{}", line(&format!("{name}, {connections} at once"), &r));
    }
    for distributed in [false, true] {
        let what = if distributed {
            "from many addresses"
        } else {
            "from one address"
        };
        let stop = Arc::new(AtomicBool::new(false));
        let mut flood = tokio::task::JoinSet::new();
        for lane in 0..f.flood {
            let stop = stop.clone();
            let addr = kenshu.addr;
            flood.spawn(async move { wrong_sign_ins(addr, lane, distributed, stop).await });
        }
        let stop_people = stop.clone();
        let addr = kenshu.addr;
        let people_logins: Vec<String> = logins[3..].to_vec();
        let people = tokio::spawn(async move { sign_ins(addr, people_logins, stop_people).await });
        let reading = load::run(kenshu.addr, Kind::Get("/my"), 4, seconds, staff, kenshu.pid).await;
        stop.store(true, Ordering::Release);
        let mut wrong = Tally::default();
        while let Some(t) = flood.join_next().await {
            wrong.merge(t??);
        }
        let mut people = people.await??;
        let reading: PhaseResult = reading?;
        println!(
            "flood of wrong sign-ins {what}, {} clients: {}",
            f.flood,
            wrong.describe(seconds.as_secs_f64())
        );
        println!(
            "  meanwhile {}",
            line("/my, signed in, 4 at once", &reading)
        );
        println!(
            "  meanwhile people signing in (new browser, own address): {}",
            people.describe(seconds.as_secs_f64())
        );
    }
    if let Some((_, peak)) = kenshu.memory() {
        println!("server peak RSS {:.0} MB", crate::server::mb(peak));
    }
    for p in kenshu.log_problems(5) {
        println!("server log: {p}");
    }
    kenshu.stop()?;
    Ok(())
}

/// One flood client: wrong passwords for names nobody has, back to back.
async fn wrong_sign_ins(
    addr: std::net::SocketAddr,
    lane: usize,
    distributed: bool,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let mut conn = Conn::open(addr).await?;
    let form = conn.get("/login", None).await?;
    let pre = form.set_cookie("kenshu_csrf").unwrap_or_default();
    let token = client::csrf_of(&form.text()).unwrap_or_default();
    let cookie = format!("kenshu_csrf={pre}");
    let mut n = 0u64;
    while !stop.load(Ordering::Acquire) {
        n += 1;
        let body = format!("csrf={token}&login=nobody{lane}x{n}&password=wrong-guess-{n}");
        let headers = if distributed {
            vec![(
                "x-forwarded-for",
                format!("10.{}.{}.{}", lane / 250, lane % 250, n % 250),
            )]
        } else {
            Vec::new()
        };
        let started = Instant::now();
        match conn
            .send_with(Method::POST, "/login", Some(&cookie), Some(body), &headers)
            .await
        {
            Ok(r) => tally.add(r.status.as_u16(), started.elapsed()),
            Err(_) => {
                tally.add(0, started.elapsed());
                conn.reopen().await?;
            }
        }
    }
    Ok(tally)
}

/// People signing in meanwhile, one after another, each from a new browser and an address of
/// their own.
async fn sign_ins(
    addr: std::net::SocketAddr,
    logins: Vec<String>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let mut i = 0usize;
    while !stop.load(Ordering::Acquire) {
        let login = &logins[i % logins.len()];
        i += 1;
        let mut conn = Conn::open(addr).await?;
        let form = conn.get("/login", None).await?;
        let pre = form.set_cookie("kenshu_csrf").unwrap_or_default();
        let token = client::csrf_of(&form.text()).unwrap_or_default();
        let body = format!(
            "csrf={token}&login={login}&password={}&next=%2Fmy",
            db::PASSWORD
        );
        let headers = vec![("x-forwarded-for", format!("192.0.2.{}", i % 250))];
        let started = Instant::now();
        let r = conn
            .send_with(
                Method::POST,
                "/login",
                Some(&format!("kenshu_csrf={pre}")),
                Some(body),
                &headers,
            )
            .await?;
        tally.add(r.status.as_u16(), started.elapsed());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(tally)
}
