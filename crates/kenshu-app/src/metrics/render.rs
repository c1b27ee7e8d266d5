//! The text exposition format 0.0.4: `# HELP` and `# TYPE` before each family, one sample a
//! line. The gauges are read at scrape time ([`gather`]); everything else is in the statics.

use std::fmt::{Display, Write};
use std::time::Duration;

use kenshu_db::PgPool;
use kenshu_db::requests::RequestPool;

use super::histogram::Snapshot;
use super::{
    HOUSEKEEPING_REMOVED, KEEPER_REFRESHES, MAIL_FAILED, MAIL_GIVEN_UP, MAIL_SENT,
    OFFICER_REMINDERS, REFUSALS, Refusal, SCHEDULED_REMINDERS, SIGN_IN_FAILURES, WORKERS, requests,
};

/// A connection pool as it stands.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolGauges {
    pub max: u32,
    pub in_use: u32,
    pub idle: u32,
    /// Callers waiting for a connection, when the pool can tell.
    pub waiting: Option<u32>,
}

/// The mail outbox: mails neither sent nor given up, and the age of the oldest of them.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutboxGauges {
    pub depth: i64,
    pub oldest_age_seconds: f64,
}

/// What is read at scrape time.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    /// The requests' pool (`kenshu_db::requests`).
    pub requests: PoolGauges,
    /// sqlx's pool, used by the background work.
    pub background: PoolGauges,
    /// None when the database did not answer in time (the series are then left out).
    pub outbox: Option<OutboxGauges>,
    /// Whether the database answers, as the instance's probe last found.
    pub database_available: bool,
}

/// How long a scrape waits for the outbox's figures.
const OUTBOX_WAIT: Duration = Duration::from_secs(2);

/// Reads the gauges: the pools from memory, the outbox with one query (skipped while the
/// database is known to be down).
pub async fn gather(pool: &PgPool, requests: &RequestPool, database_available: bool) -> Gauges {
    let r = requests.stats();
    let open = pool.size();
    let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
    let outbox = if database_available {
        let read = async {
            let mut conn = pool.acquire().await?;
            kenshu_db::reminder::outbox_state(&mut conn).await
        };
        match tokio::time::timeout(OUTBOX_WAIT, read).await {
            Ok(Ok((depth, oldest_age_seconds))) => Some(OutboxGauges {
                depth,
                oldest_age_seconds,
            }),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "metrics: the outbox could not be read");
                None
            }
            Err(_) => None,
        }
    } else {
        None
    };
    Gauges {
        requests: PoolGauges {
            max: r.size,
            in_use: r.in_use,
            idle: r.idle,
            waiting: Some(r.waiting),
        },
        background: PoolGauges {
            max: pool.options().get_max_connections(),
            in_use: open.saturating_sub(idle),
            idle,
            waiting: None,
        },
        outbox,
        database_available,
    }
}

/// The labels of one request series: method, matched route and status.
fn request_labels<'a>(s: &'a requests::Series, status: &'a str) -> [(&'static str, &'a str); 3] {
    [("method", s.method), ("route", s.route), ("status", status)]
}

/// Every metric of the process, with the gauges given, as the text format.
pub fn render(g: &Gauges) -> String {
    let mut o = Out(String::with_capacity(16 * 1024));
    let http = requests::snapshot();
    o.family(
        "kenshu_http_requests_total",
        "counter",
        "Requests answered, by method, matched route (the router's template) and status.",
    );
    for s in &http {
        let status = s.status.to_string();
        o.sample(
            "kenshu_http_requests_total",
            &request_labels(s, &status),
            s.histogram.count,
        );
    }
    o.family(
        "kenshu_http_request_duration_seconds",
        "histogram",
        "Time to the response's head, by method, matched route and status.",
    );
    for s in &http {
        let status = s.status.to_string();
        o.histogram(
            "kenshu_http_request_duration_seconds",
            &request_labels(s, &status),
            &s.histogram,
        );
    }
    workers(&mut o);
    counters(&mut o);
    gauges(&mut o, g);
    o.0
}

fn workers(o: &mut Out) {
    o.family(
        "kenshu_worker_runs_total",
        "counter",
        "Runs of the background workers, by outcome (ok or error).",
    );
    for w in WORKERS {
        let (ok, failed) = w.runs();
        o.sample(
            "kenshu_worker_runs_total",
            &[("worker", w.name), ("outcome", "ok")],
            ok,
        );
        o.sample(
            "kenshu_worker_runs_total",
            &[("worker", w.name), ("outcome", "error")],
            failed,
        );
    }
    o.family(
        "kenshu_worker_run_duration_seconds",
        "histogram",
        "How long the background workers' runs took.",
    );
    for w in WORKERS {
        o.histogram(
            "kenshu_worker_run_duration_seconds",
            &[("worker", w.name)],
            &w.duration.snapshot(),
        );
    }
    o.family(
        "kenshu_worker_last_success_timestamp_seconds",
        "gauge",
        "When a run of the worker last ended well (Unix time; 0: not since the start).",
    );
    for w in WORKERS {
        let ms = w.last_success_ms.load(std::sync::atomic::Ordering::Relaxed);
        o.sample(
            "kenshu_worker_last_success_timestamp_seconds",
            &[("worker", w.name)],
            ms as f64 / 1e3,
        );
    }
}

fn counters(o: &mut Out) {
    o.family(
        "kenshu_reminders_sent_total",
        "counter",
        "Reminders sent, one per person: by the plans' schedule or by officers.",
    );
    let sent = [
        ("schedule", &SCHEDULED_REMINDERS),
        ("officer", &OFFICER_REMINDERS),
    ];
    for (by, c) in sent {
        o.sample("kenshu_reminders_sent_total", &[("by", by)], c.get());
    }
    o.family(
        "kenshu_digests_sent_total",
        "counter",
        "Weekly digests queued as mail: to protection officers (or whoever stands in) and to chief officers.",
    );
    for (kind, c) in [
        ("officer", &crate::metrics::DIGESTS_MAILED_OFFICER),
        ("chief", &crate::metrics::DIGESTS_MAILED_CHIEF),
    ] {
        o.sample("kenshu_digests_sent_total", &[("kind", kind)], c.get());
    }
    o.family(
        "kenshu_digests_skipped_total",
        "counter",
        "Weekly digests not mailed: the recipient has no mail address, or the officer is on leave and nobody can take it.",
    );
    for (reason, c) in [
        ("no_mail", &crate::metrics::DIGESTS_NO_MAIL),
        ("absent", &crate::metrics::DIGESTS_UNSENT),
    ] {
        o.sample(
            "kenshu_digests_skipped_total",
            &[("reason", reason)],
            c.get(),
        );
    }
    o.family(
        "kenshu_drill_reports_total",
        "counter",
        "Mail drills: reports counted, by mail to the report address and by the portal's report button.",
    );
    for (via, c) in [
        ("mail", &crate::metrics::DRILL_REPORTS_MAIL),
        ("portal", &crate::metrics::DRILL_REPORTS_PORTAL),
    ] {
        o.sample("kenshu_drill_reports_total", &[("via", via)], c.get());
    }
    let plain = [
        (
            "kenshu_drill_clicks_total",
            "Mail drills: first presses of a drill link's button (people who opened the link).",
            &crate::metrics::DRILL_CLICKS,
        ),
        (
            "kenshu_drill_report_mails_unmatched_total",
            "Mails to the report address that counted for no drill mail (perhaps a real suspicious mail).",
            &crate::metrics::DRILL_REPORT_MAILS_UNMATCHED,
        ),
        (
            "kenshu_mail_sent_total",
            "Mails the transport accepted (SMTP, or the log without SMTP).",
            &MAIL_SENT,
        ),
        (
            "kenshu_mail_failed_total",
            "Mail attempts that failed (retried later, or given up).",
            &MAIL_FAILED,
        ),
        (
            "kenshu_mail_given_up_total",
            "Mails given up: a permanent refusal, or too many attempts.",
            &MAIL_GIVEN_UP,
        ),
        (
            "kenshu_overview_refreshes_total",
            "Institutions whose overview counts the keeper brought up to date.",
            &KEEPER_REFRESHES,
        ),
        (
            "kenshu_housekeeping_removed_total",
            "Rows the housekeeping removed: ended sessions, old sign-in failures, throttle keys.",
            &HOUSEKEEPING_REMOVED,
        ),
        (
            "kenshu_sign_in_failures_total",
            "Sign-ins refused for a wrong password, an unknown name or an inactive account.",
            &SIGN_IN_FAILURES,
        ),
    ];
    for (name, help, c) in plain {
        o.family(name, "counter", help);
        o.sample(name, &[], c.get());
    }
    o.family(
        "kenshu_sign_in_refusals_total",
        "counter",
        "Sign-ins refused without checking the password: throttled, a flood from one address, or the password checks busy.",
    );
    for r in Refusal::ALL {
        o.sample(
            "kenshu_sign_in_refusals_total",
            &[("reason", r.as_str())],
            REFUSALS[r as usize].get(),
        );
    }
}

fn gauges(o: &mut Out, g: &Gauges) {
    let pools = [("requests", &g.requests), ("background", &g.background)];
    o.family(
        "kenshu_db_pool_max_connections",
        "gauge",
        "The most connections the pool opens.",
    );
    for (pool, p) in pools {
        o.sample("kenshu_db_pool_max_connections", &[("pool", pool)], p.max);
    }
    o.family(
        "kenshu_db_pool_connections",
        "gauge",
        "Connections of the pool, by state: in use (lent out) or idle.",
    );
    for (pool, p) in pools {
        let name = "kenshu_db_pool_connections";
        o.sample(name, &[("pool", pool), ("state", "in_use")], p.in_use);
        o.sample(name, &[("pool", pool), ("state", "idle")], p.idle);
    }
    o.family(
        "kenshu_db_pool_waiting",
        "gauge",
        "Requests waiting for a connection of the pool.",
    );
    for (pool, p) in pools {
        if let Some(w) = p.waiting {
            o.sample("kenshu_db_pool_waiting", &[("pool", pool)], w);
        }
    }
    o.family(
        "kenshu_db_available",
        "gauge",
        "1 while the database answers the instance's probe, 0 while pages answer 503.",
    );
    o.sample("kenshu_db_available", &[], u8::from(g.database_available));
    if let Some(m) = g.outbox {
        o.family(
            "kenshu_mail_outbox_depth",
            "gauge",
            "Mails in the outbox neither sent nor given up.",
        );
        o.sample("kenshu_mail_outbox_depth", &[], m.depth);
        o.family(
            "kenshu_mail_outbox_oldest_age_seconds",
            "gauge",
            "Age of the oldest mail neither sent nor given up (0: none).",
        );
        o.sample(
            "kenshu_mail_outbox_oldest_age_seconds",
            &[],
            m.oldest_age_seconds,
        );
    }
}

struct Out(String);

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.0.push_str(name);
        self.labels(labels, None);
        let _ = writeln!(self.0, " {value}");
    }

    fn histogram(&mut self, name: &str, labels: &[(&str, &str)], h: &Snapshot) {
        for (bound, n) in &h.buckets {
            let le = bound.map_or_else(|| "+Inf".to_string(), |b| b.to_string());
            let _ = write!(self.0, "{name}_bucket");
            self.labels(labels, Some(&le));
            let _ = writeln!(self.0, " {n}");
        }
        let _ = write!(self.0, "{name}_sum");
        self.labels(labels, None);
        let _ = writeln!(self.0, " {}", h.sum_seconds);
        let _ = write!(self.0, "{name}_count");
        self.labels(labels, None);
        let _ = writeln!(self.0, " {}", h.count);
    }

    fn labels(&mut self, labels: &[(&str, &str)], le: Option<&str>) {
        if labels.is_empty() && le.is_none() {
            return;
        }
        self.0.push('{');
        let all = labels.iter().copied().chain(le.map(|le| ("le", le)));
        for (i, (k, v)) in all.enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            let _ = write!(self.0, "{k}=\"");
            for c in v.chars() {
                match c {
                    '\\' => self.0.push_str("\\\\"),
                    '"' => self.0.push_str("\\\""),
                    '\n' => self.0.push_str("\\n"),
                    c => self.0.push(c),
                }
            }
            self.0.push('"');
        }
        self.0.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_belongs_to_a_family_with_help_and_type() {
        requests::observe("GET", "/render/\"quoted\"", 200, Duration::from_millis(3));
        let text = render(&Gauges {
            outbox: Some(OutboxGauges {
                depth: 3,
                oldest_age_seconds: 61.5,
            }),
            ..Default::default()
        });
        let mut typed = std::collections::HashMap::new();
        let mut helped = std::collections::HashSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("a kind");
                typed.insert(name.to_string(), kind.to_string());
            } else if let Some(rest) = line.strip_prefix("# HELP ") {
                helped.insert(rest.split_once(' ').expect("help text").0.to_string());
            } else {
                let name = line.split(['{', ' ']).next().expect("a name");
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .filter_map(|s| name.strip_suffix(s))
                    .find(|f| typed.get(*f).is_some_and(|k| k == "histogram"))
                    .unwrap_or(name);
                assert!(typed.contains_key(family), "no TYPE for {line}");
                assert!(helped.contains(family), "no HELP for {line}");
            }
        }
        assert!(text.contains("route=\"/render/\\\"quoted\\\"\""), "{text}");
        assert!(
            text.contains("kenshu_mail_outbox_oldest_age_seconds 61.5\n"),
            "{text}"
        );
        assert!(text.contains("le=\"0.0025\""), "{text}");
    }
}
