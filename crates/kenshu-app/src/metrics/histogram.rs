//! Counters and histograms in atomics: an observation is two or three relaxed additions, no
//! lock, so the hottest page can record every request.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// A count that only goes up (until the process restarts).
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub const fn new() -> Self {
        Counter(AtomicU64::new(0))
    }

    pub fn inc(&self) {
        self.add(1);
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// The most bucket bounds a histogram can have (the `+Inf` bucket comes on top).
const MAX_BOUNDS: usize = 16;

/// Bounds of request latencies, in microseconds: 1 ms … 10 s. The section page's p99 target
/// is 10 ms, so the buckets are dense below it.
pub const REQUEST_BOUNDS: &[u64] = &[
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

/// Bounds of background runs, in microseconds: 1 ms … 5 min (the overview keeper's first
/// count of a large installation takes a minute).
pub const WORK_BOUNDS: &[u64] = &[
    1_000,
    10_000,
    100_000,
    500_000,
    1_000_000,
    5_000_000,
    10_000_000,
    30_000_000,
    60_000_000,
    300_000_000,
];

/// A histogram of durations with fixed buckets. Each bucket counts only its own observations
/// (one addition per observation); the cumulative counts Prometheus wants are summed when
/// rendered, and the total count is the sum of the buckets, so `_count` always equals the
/// `+Inf` bucket.
#[derive(Debug)]
pub struct Histogram {
    bounds_us: &'static [u64],
    /// `bounds_us.len() + 1` are used: the last is `+Inf`.
    buckets: [AtomicU64; MAX_BOUNDS + 1],
    sum_ns: AtomicU64,
}

impl Histogram {
    /// A histogram with these bucket bounds (microseconds, ascending, at most 16).
    pub const fn new(bounds_us: &'static [u64]) -> Self {
        assert!(bounds_us.len() <= MAX_BOUNDS);
        Histogram {
            bounds_us,
            buckets: [const { AtomicU64::new(0) }; MAX_BOUNDS + 1],
            sum_ns: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let i = self
            .bounds_us
            .iter()
            .position(|&b| us <= b)
            .unwrap_or(self.bounds_us.len());
        self.buckets[i].fetch_add(1, Relaxed);
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_ns.fetch_add(ns, Relaxed);
    }

    /// The upper bounds in seconds with their cumulative counts, `+Inf` (None) last; the
    /// total count; the sum of the observations in seconds.
    pub fn snapshot(&self) -> Snapshot {
        let mut cumulative = 0;
        let mut buckets = Vec::with_capacity(self.bounds_us.len() + 1);
        for (i, bucket) in self.buckets[..=self.bounds_us.len()].iter().enumerate() {
            cumulative += bucket.load(Relaxed);
            let bound = self.bounds_us.get(i).map(|&us| us as f64 / 1e6);
            buckets.push((bound, cumulative));
        }
        Snapshot {
            buckets,
            count: cumulative,
            sum_seconds: self.sum_ns.load(Relaxed) as f64 / 1e9,
        }
    }
}

/// A histogram as read at one moment.
pub struct Snapshot {
    pub buckets: Vec<(Option<f64>, u64)>,
    pub count: u64,
    pub sum_seconds: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_whose_bound_they_do_not_exceed() {
        let h = Histogram::new(REQUEST_BOUNDS);
        h.observe(Duration::from_micros(1_000));
        h.observe(Duration::from_micros(1_001));
        h.observe(Duration::from_millis(7));
        h.observe(Duration::from_secs(60));
        let s = h.snapshot();
        assert_eq!(s.count, 4);
        assert_eq!(s.buckets[0], (Some(0.001), 1));
        assert_eq!(s.buckets[1], (Some(0.0025), 2));
        assert_eq!(s.buckets[3], (Some(0.01), 3));
        assert_eq!(s.buckets[12], (Some(10.0), 3));
        assert_eq!(s.buckets.last(), Some(&(None, 4)));
        assert!(
            (s.sum_seconds - 60.009_001).abs() < 1e-9,
            "{}",
            s.sum_seconds
        );
    }
}
