//! Where the CPU went during a phase: the server, PostgreSQL (the private cluster's postmaster
//! and backends), the load generator (this process) and everything else on the machine, from /proc.

use std::time::Instant;

/// CPU time so far, in clock ticks.
#[derive(Clone, Copy)]
pub struct Snapshot {
    at: Instant,
    server: u64,
    postgres: Option<u64>,
    bench: u64,
    machine_busy: u64,
}

/// The cores each part kept busy between two snapshots.
pub struct Usage {
    pub server: f64,
    pub postgres: Option<f64>,
    pub bench: f64,
    pub other: f64,
}

/// utime + stime of a process (all its threads), and its parent.
fn stat_of(path: &str) -> Option<(u64, i64)> {
    let text = std::fs::read_to_string(path).ok()?;
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ppid: i64 = f.get(1)?.parse().ok()?;
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some((utime + stime, ppid))
}

/// Total CPU of the postmaster `pid` and its children (the backends: each is the leader of a
/// session of its own, so the process group does not find them).
fn postgres_ticks(pid: i64) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| {
            let own: i64 = e.file_name().to_string_lossy().parse().ok()?;
            let (ticks, parent) = stat_of(&format!("/proc/{own}/stat"))?;
            (own == pid || parent == pid).then_some(ticks)
        })
        .sum()
}

/// Busy ticks of the whole machine (all but idle and iowait), from /proc/stat.
fn machine_busy() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/stat") else {
        return 0;
    };
    let Some(line) = text.lines().next() else {
        return 0;
    };
    line.split_whitespace()
        .skip(1)
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .filter_map(|(_, v)| v.parse::<u64>().ok())
        .sum()
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// `postgres_pid`: the private cluster's postmaster, if any.
pub fn snapshot(server_pid: u32, postgres_pid: Option<i64>) -> Snapshot {
    Snapshot {
        at: Instant::now(),
        server: stat_of(&format!("/proc/{server_pid}/stat")).map_or(0, |s| s.0),
        postgres: postgres_pid.map(postgres_ticks),
        bench: stat_of("/proc/self/stat").map_or(0, |s| s.0),
        machine_busy: machine_busy(),
    }
}

pub fn usage(from: &Snapshot, to: &Snapshot) -> Usage {
    let secs = to.at.duration_since(from.at).as_secs_f64().max(1e-3) * ticks_per_second();
    let d = |a: u64, b: u64| b.saturating_sub(a);
    let server = d(from.server, to.server);
    let bench = d(from.bench, to.bench);
    let postgres = match (from.postgres, to.postgres) {
        (Some(a), Some(b)) => Some(d(a, b)),
        _ => None,
    };
    let machine = d(from.machine_busy, to.machine_busy);
    let other = machine.saturating_sub(server + bench + postgres.unwrap_or(0));
    Usage {
        server: server as f64 / secs,
        postgres: postgres.map(|p| p as f64 / secs),
        bench: bench as f64 / secs,
        other: other as f64 / secs,
    }
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CPU in cores: server {:.2}", self.server)?;
        match self.postgres {
            Some(p) => write!(f, ", postgres {p:.2}")?,
            None => write!(f, ", postgres (shared server, not measured)")?,
        }
        write!(
            f,
            ", load generator {:.2}, other {:.2}",
            self.bench, self.other
        )
    }
}
