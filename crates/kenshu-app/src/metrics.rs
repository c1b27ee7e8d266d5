//! The portal's metrics, kept in process-wide atomics and rendered in the Prometheus text
//! exposition format 0.0.4 (`/metrics`, README "Watching the portal"). The web layer records
//! requests and sign-in refusals, the background workers their runs; the gauges (connection
//! pools, mail outbox) are read when scraped. Every name starts with `kenshu_`; no label holds
//! anything a person typed or is called: routes are the router's templates.

mod histogram;
mod render;
mod requests;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use histogram::{Counter, Histogram, REQUEST_BOUNDS, Snapshot, WORK_BOUNDS};
pub use render::{Gauges, OutboxGauges, PoolGauges, gather, render};
pub use requests::observe as observe_request;

/// The runs of one background worker: how many ended well or with an error, how long they
/// took, and when one last ended well.
#[derive(Debug)]
pub struct Worker {
    pub name: &'static str,
    ok: Counter,
    failed: Counter,
    duration: Histogram,
    /// Milliseconds since the Unix epoch; 0: not yet.
    last_success_ms: AtomicU64,
}

impl Worker {
    const fn new(name: &'static str) -> Self {
        Worker {
            name,
            ok: Counter::new(),
            failed: Counter::new(),
            duration: Histogram::new(WORK_BOUNDS),
            last_success_ms: AtomicU64::new(0),
        }
    }

    /// Records a run that started at `started` and ended with `result`.
    pub fn record<T, E>(&self, started: Instant, result: &Result<T, E>) {
        self.duration.observe(started.elapsed());
        if result.is_ok() {
            self.ok.inc();
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO);
            self.last_success_ms
                .store(u64::try_from(now.as_millis()).unwrap_or(0), Relaxed);
        } else {
            self.failed.inc();
        }
    }

    /// Runs that ended well, and with an error.
    pub fn runs(&self) -> (u64, u64) {
        (self.ok.get(), self.failed.get())
    }
}

/// The plans' reminder schedule (`reminder::schedule::run`); a run that finds another
/// instance running it counts as a run that ended well.
pub static REMINDER_SCHEDULE: Worker = Worker::new("reminder_schedule");
/// The overview keeper (`keeper::run`).
pub static OVERVIEW_KEEPER: Worker = Worker::new("overview_keeper");
/// The housekeeping (`housekeeping::run`).
pub static HOUSEKEEPING: Worker = Worker::new("housekeeping");
/// The mail worker's passes over the outbox (`mail::deliver_due`).
pub static MAIL_WORKER: Worker = Worker::new("mail");

/// The digest schedule (`digest::schedule::run`); a run outside office hours, or one that
/// finds another instance running it, counts as a run that ended well.
pub static DIGEST_SCHEDULE: Worker = Worker::new("digest_schedule");

pub(crate) const WORKERS: [&Worker; 5] = [
    &REMINDER_SCHEDULE,
    &DIGEST_SCHEDULE,
    &OVERVIEW_KEEPER,
    &HOUSEKEEPING,
    &MAIL_WORKER,
];

/// Reminders the schedule sent (one per person and run).
pub static SCHEDULED_REMINDERS: Counter = Counter::new();
/// Reminders officers sent (one per person).
pub static OFFICER_REMINDERS: Counter = Counter::new();
/// Digests the schedule queued as mail: protection officers' (to them, a deputy or the chief
/// standing in) and chief officers'.
pub static DIGESTS_MAILED_OFFICER: Counter = Counter::new();
pub static DIGESTS_MAILED_CHIEF: Counter = Counter::new();
/// Digests recorded without a mail: the recipient has no mail address.
pub static DIGESTS_NO_MAIL: Counter = Counter::new();
/// Digests not sent: the officer is on leave and nobody can take their digest.
pub static DIGESTS_UNSENT: Counter = Counter::new();
/// Mail drills: first presses of a link page's button (the ones that count).
pub static DRILL_CLICKS: Counter = Counter::new();
/// Mail drills: reports counted, by mail to the report listener and by the portal's button.
pub static DRILL_REPORTS_MAIL: Counter = Counter::new();
pub static DRILL_REPORTS_PORTAL: Counter = Counter::new();
/// Mails the report listener took that counted for no drill mail (a real suspicious mail, or a
/// drill mail forwarded by someone else).
pub static DRILL_REPORT_MAILS_UNMATCHED: Counter = Counter::new();
/// Mails the transport accepted (SMTP, or the log without SMTP).
pub static MAIL_SENT: Counter = Counter::new();
/// Attempts that failed (the mail stays queued, or is given up).
pub static MAIL_FAILED: Counter = Counter::new();
/// Mails given up (a permanent refusal, or too many attempts).
pub static MAIL_GIVEN_UP: Counter = Counter::new();
/// Overview counts refreshed by the keeper, one per institution.
pub static KEEPER_REFRESHES: Counter = Counter::new();
/// Rows the housekeeping removed (sessions, old sign-in failures, throttle keys).
pub static HOUSEKEEPING_REMOVED: Counter = Counter::new();

/// Sign-ins refused with a wrong password, an unknown name or an inactive account (those
/// recorded in the audit log as `sign_in_failed`).
pub static SIGN_IN_FAILURES: Counter = Counter::new();

/// Why a sign-in (or a password check) was refused without checking the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The database throttle held the attempt back (account, browser or client address).
    Throttled,
    /// The in-memory gate: one address sending attempts faster than anyone types.
    Flood,
    /// The line of password checks was full (503).
    Busy,
}

impl Refusal {
    const ALL: [Refusal; 3] = [Refusal::Throttled, Refusal::Flood, Refusal::Busy];

    fn as_str(self) -> &'static str {
        match self {
            Refusal::Throttled => "throttled",
            Refusal::Flood => "flood",
            Refusal::Busy => "busy",
        }
    }
}

static REFUSALS: [Counter; 3] = [Counter::new(), Counter::new(), Counter::new()];

/// Counts a refused sign-in.
pub fn sign_in_refused(why: Refusal) {
    REFUSALS[why as usize].inc();
}

/// Refused sign-ins so far, for one reason.
pub fn sign_ins_refused(why: Refusal) -> u64 {
    REFUSALS[why as usize].get()
}
