//! The load phases: N keep-alive connections, each a task sending requests back to back for a
//! fixed time, each request with the session of one of the connection's accounts.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use hyper::{Method, StatusCode};
use uuid::Uuid;

use crate::client::{Conn, Session};

pub const SECTION_PATH: &str = "/courses/clerk/sections/system-overview";
/// What Chromium and Firefox send.
pub const BROWSER_ENCODINGS: &str = "gzip, deflate, br";
/// The ceiling's static file.
pub const CEILING_PATH: &str = "/static/favicon.svg";
pub const SUBMIT_PATH: &str = "/courses/final-test/test/submit";
/// The final test's answers, all correct.
pub const ANSWERS: &str = "q1=x&q2=o&q3=o&q4=x&q5=x&q6=o&q7=x&q8=x&q9=x&q10=o";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SectionPage,
    /// The section page as a browser asks for it (`Accept-Encoding: gzip, deflate, br`); only
    /// a compressed answer counts.
    SectionPageCompressed,
    FinalSubmit,
    /// A page read with GET, as the signed-in account (`kenshu-bench dashboard`).
    Get(&'static str),
    /// A GET without a session: a static file through the whole portal (every layer, no
    /// database), the ceiling the pages are compared with.
    Anonymous(&'static str),
    /// "Mark as read" of a section: POST to the given `…/sections/{slug}/read` path.
    MarkRead(&'static str),
    /// Starts an attempt with this id at the chapter test of [`CHAPTER_COURSE`].
    ChapterStart(Uuid),
    /// Answers one question of an open chapter-test attempt of [`CHAPTER_COURSE`].
    ChapterAnswer {
        attempt: Uuid,
        question: u32,
    },
}

/// The course whose chapter test the rush answers, and its number of questions.
pub const CHAPTER_COURSE: &str = "clerk";
pub const CHAPTER_QUESTIONS: u32 = 4;

/// One request of the given kind as `session`; whether it succeeded.
pub async fn request(conn: &mut Conn, kind: Kind, session: &Session) -> anyhow::Result<Outcome> {
    let res = match kind {
        Kind::SectionPage => conn.get(SECTION_PATH, Some(&session.cookie)).await?,
        Kind::SectionPageCompressed => {
            let browser = [("accept-encoding", BROWSER_ENCODINGS.to_string())];
            conn.send_with(
                Method::GET,
                SECTION_PATH,
                Some(&session.cookie),
                None,
                &browser,
            )
            .await?
        }
        Kind::Get(path) => conn.get(path, Some(&session.cookie)).await?,
        Kind::Anonymous(path) => conn.get(path, None).await?,
        Kind::FinalSubmit => {
            let body = format!("csrf={}&attempt={}&{ANSWERS}", session.csrf, Uuid::new_v4());
            conn.send(Method::POST, SUBMIT_PATH, Some(&session.cookie), Some(body))
                .await?
        }
        Kind::MarkRead(path) => {
            let body = format!("csrf={}", session.csrf);
            conn.send(Method::POST, path, Some(&session.cookie), Some(body))
                .await?
        }
        Kind::ChapterStart(attempt) => {
            let body = format!("csrf={}&attempt={attempt}", session.csrf);
            let path = format!("/courses/{CHAPTER_COURSE}/test/start");
            conn.send(Method::POST, &path, Some(&session.cookie), Some(body))
                .await?
        }
        Kind::ChapterAnswer { attempt, question } => {
            let body = format!(
                "csrf={}&attempt={attempt}&question={question}&answer=o",
                session.csrf
            );
            let path = format!("/courses/{CHAPTER_COURSE}/test/answer");
            conn.send(Method::POST, &path, Some(&session.cookie), Some(body))
                .await?
        }
    };
    let ok = match kind {
        Kind::SectionPageCompressed => {
            res.status == StatusCode::OK
                && res.headers.contains_key(hyper::header::CONTENT_ENCODING)
                && !res.body.is_empty()
        }
        Kind::SectionPage | Kind::Get(_) | Kind::Anonymous(_) => {
            res.status == StatusCode::OK && !res.body.is_empty()
        }
        Kind::FinalSubmit
        | Kind::MarkRead(_)
        | Kind::ChapterStart(_)
        | Kind::ChapterAnswer { .. } => res.status == StatusCode::SEE_OTHER,
    };
    Ok(if ok {
        Outcome::Ok
    } else {
        Outcome::Status(res.status.as_u16())
    })
}

pub enum Outcome {
    Ok,
    Status(u16),
}

/// What one phase measured.
pub struct PhaseResult {
    pub connections: usize,
    pub elapsed: Duration,
    pub ok: u64,
    /// Latencies of the successful requests, microseconds, sorted.
    pub latencies_us: Vec<u32>,
    /// Failed requests by status (0 = connection or protocol error).
    pub errors: BTreeMap<u16, u64>,
    pub first_error: Option<String>,
    /// Highest server RSS seen while the phase ran, bytes.
    pub peak_rss: u64,
}

impl PhaseResult {
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    pub fn errors(&self) -> u64 {
        self.errors.values().sum()
    }

    /// The q-quantile latency in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies_us.len() as f64 * q).ceil() as usize)
            .clamp(1, self.latencies_us.len())
            - 1;
        f64::from(self.latencies_us[i]) / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.latencies_us
            .last()
            .map_or(f64::NAN, |&v| f64::from(v) / 1000.0)
    }
}

struct Lane {
    ok: u64,
    latencies_us: Vec<u32>,
    errors: BTreeMap<u16, u64>,
    first_error: Option<String>,
}

/// The accounts (or officers) a connection uses: those whose index is the connection's number
/// modulo the number of connections, so that no account is used on two connections at once
/// (when there are at least as many accounts as connections); else one shared with another.
pub fn accounts_of<T: Clone>(lane: usize, lanes: usize, all: &[T]) -> Vec<T> {
    let mine: Vec<T> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| i % lanes == lane)
        .map(|(_, s)| s.clone())
        .collect();
    if mine.is_empty() {
        vec![all[lane % all.len()].clone()]
    } else {
        mine
    }
}

pub async fn run(
    addr: SocketAddr,
    kind: Kind,
    connections: usize,
    duration: Duration,
    sessions: &[Session],
    server_pid: u32,
) -> anyhow::Result<PhaseResult> {
    anyhow::ensure!(!sessions.is_empty(), "no signed-in accounts");
    // Open every connection first, so that the clock starts with all of them ready.
    let mut conns = Vec::with_capacity(connections);
    for _ in 0..connections {
        conns.push(Conn::open(addr).await?);
    }
    let peak = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                if let Some((rss, _)) = crate::server::memory_of(server_pid) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for (lane, mut conn) in conns.into_iter().enumerate() {
        let mine = accounts_of(lane, connections, sessions);
        tasks.spawn(async move {
            let mut out = Lane {
                ok: 0,
                latencies_us: Vec::with_capacity(1 << 14),
                errors: BTreeMap::new(),
                first_error: None,
            };
            let mut i = 0usize;
            while Instant::now() < deadline {
                let session = &mine[i % mine.len()];
                i += 1;
                let t0 = Instant::now();
                match request(&mut conn, kind, session).await {
                    Ok(Outcome::Ok) => {
                        out.ok += 1;
                        let us = t0.elapsed().as_micros();
                        out.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
                    }
                    Ok(Outcome::Status(s)) => {
                        *out.errors.entry(s).or_default() += 1;
                        out.first_error.get_or_insert_with(|| format!("HTTP {s}"));
                    }
                    Err(e) => {
                        *out.errors.entry(0).or_default() += 1;
                        out.first_error.get_or_insert_with(|| format!("{e:#}"));
                        if conn.reopen().await.is_err() {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
            }
            out
        });
    }
    let mut result = PhaseResult {
        connections,
        elapsed: Duration::ZERO,
        ok: 0,
        latencies_us: Vec::new(),
        errors: BTreeMap::new(),
        first_error: None,
        peak_rss: 0,
    };
    while let Some(lane) = tasks.join_next().await {
        let lane = lane.context("load task")?;
        result.ok += lane.ok;
        result.latencies_us.extend(lane.latencies_us);
        for (s, n) in lane.errors {
            *result.errors.entry(s).or_default() += n;
        }
        if result.first_error.is_none() {
            result.first_error = lane.first_error;
        }
    }
    result.elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    result.peak_rss = peak.load(Ordering::Relaxed);
    result.latencies_us.sort_unstable();
    Ok(result)
}
