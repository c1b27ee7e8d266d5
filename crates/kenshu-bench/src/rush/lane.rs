//! What one connection does during the rush, by its role, and the chief officer's one export.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hyper::StatusCode;
use uuid::Uuid;

use super::EXPORT_PATH;
use crate::client::{Conn, Session};
use crate::dashboard::OVERVIEW_PATH;
use crate::load::{self, CHAPTER_QUESTIONS, Kind, Outcome};

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

/// What a connection does, by its role.
#[derive(Clone)]
pub(super) enum Role {
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
pub(super) struct Tally {
    pub(super) ok: u64,
    pub(super) latencies_us: Vec<u32>,
    pub(super) errors: BTreeMap<u16, u64>,
    pub(super) first_error: Option<String>,
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
pub(super) fn path(s: String) -> &'static str {
    s.leak()
}

/// One connection's loop until `deadline`: what its role does, by weight.
pub(super) async fn lane(
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
pub(super) async fn export(
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
