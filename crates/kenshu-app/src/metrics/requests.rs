//! Requests by method, matched route and status: one histogram per combination, made the
//! first time it is seen and kept for the life of the process.
//!
//! A request finds its histogram under a read lock (shared: readers never wait for each other,
//! and the write lock is taken only the first time a combination appears), then records with
//! atomics. The labels are bounded: the route is a template of the router (or `unmatched`),
//! never the path a client sent, the method one of the standard ones (or `other`), the status
//! a number below 1000; past [`MAX_SERIES`] combinations new ones are counted under the route
//! `other`, so that nothing a client does can grow the table without limit.

use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};
use std::time::Duration;

use super::histogram::{Histogram, REQUEST_BOUNDS, Snapshot};

/// Combinations of method, route and status kept apart at most.
const MAX_SERIES: usize = 2_000;

const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other",
];

/// The histograms of one route, by method (index in [`METHODS`]) and status.
type Slots = Vec<(u8, u16, &'static Histogram)>;

#[derive(Default)]
struct Table {
    routes: HashMap<&'static str, Slots>,
    series: usize,
}

static TABLE: LazyLock<RwLock<Table>> = LazyLock::new(Default::default);

fn method_index(method: &str) -> u8 {
    let i = METHODS[..METHODS.len() - 1]
        .iter()
        .position(|m| *m == method)
        .unwrap_or(METHODS.len() - 1);
    i as u8
}

/// Records one answered request: its method, the route template that matched (or
/// `unmatched`), its status and how long it took.
pub fn observe(method: &str, route: &str, status: u16, took: Duration) {
    let m = method_index(method);
    let status = status.min(999);
    let found = TABLE.read().ok().and_then(|t| {
        t.routes
            .get(route)?
            .iter()
            .find(|(sm, ss, _)| *sm == m && *ss == status)
            .map(|(_, _, h)| *h)
    });
    match found {
        Some(h) => h.observe(took),
        None => {
            if let Some(h) = slot(m, route, status) {
                h.observe(took);
            }
        }
    }
}

/// The histogram of a combination not seen before, made under the write lock. Both the route
/// string and the histogram live as long as the process (their number is bounded).
fn slot(m: u8, route: &str, status: u16) -> Option<&'static Histogram> {
    let mut t = TABLE.write().ok()?;
    let route = if t.series >= MAX_SERIES && !t.routes.contains_key(route) {
        "other"
    } else {
        route
    };
    if let Some((_, _, h)) = t
        .routes
        .get(route)
        .and_then(|s| s.iter().find(|(sm, ss, _)| *sm == m && *ss == status))
    {
        return Some(*h);
    }
    let h: &'static Histogram = Box::leak(Box::new(Histogram::new(REQUEST_BOUNDS)));
    match t.routes.get_mut(route) {
        Some(slots) => slots.push((m, status, h)),
        None => {
            let key: &'static str = Box::leak(route.to_owned().into_boxed_str());
            t.routes.insert(key, vec![(m, status, h)]);
        }
    }
    t.series += 1;
    Some(h)
}

/// One combination as read at one moment.
pub struct Series {
    pub method: &'static str,
    pub route: &'static str,
    pub status: u16,
    pub histogram: Snapshot,
}

/// Every combination seen so far, ordered by route, method and status.
pub fn snapshot() -> Vec<Series> {
    let Ok(t) = TABLE.read() else {
        return Vec::new();
    };
    let mut out: Vec<Series> = t
        .routes
        .iter()
        .flat_map(|(route, slots)| {
            slots.iter().map(|(m, status, h)| Series {
                method: METHODS[usize::from(*m)],
                route,
                status: *status,
                histogram: h.snapshot(),
            })
        })
        .collect();
    drop(t);
    out.sort_by(|a, b| (a.route, a.method, a.status).cmp(&(b.route, b.method, b.status)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_kept_apart_by_method_route_and_status() {
        let route = "/test/requests/{id}";
        observe("GET", route, 200, Duration::from_millis(2));
        observe("GET", route, 200, Duration::from_millis(3));
        observe("GET", route, 404, Duration::from_millis(1));
        observe("BREW", route, 200, Duration::from_millis(1));
        let mine: Vec<Series> = snapshot()
            .into_iter()
            .filter(|s| s.route == route)
            .collect();
        let counts: Vec<(&str, u16, u64)> = mine
            .iter()
            .map(|s| (s.method, s.status, s.histogram.count))
            .collect();
        assert_eq!(
            counts,
            [("GET", 200, 2), ("GET", 404, 1), ("other", 200, 1)]
        );
    }
}
