//! The release `kenshu serve` as a child process: started on a free port, watched for memory,
//! stopped with SIGTERM.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hyper::StatusCode;

use crate::client::Conn;

pub struct ServerProcess {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub pid: u32,
    log: PathBuf,
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

impl ServerProcess {
    /// Starts `bin serve` against `database_url` and waits until GET /readyz answers 200.
    pub async fn start(
        bin: &Path,
        database_url: &str,
        db_pool: u32,
        extra_env: &[(String, String)],
        log: PathBuf,
        cwd: &Path,
    ) -> anyhow::Result<ServerProcess> {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        let log_file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut cmd = Command::new(bin);
        // The bench's database URL is the server's superuser (it creates the bench database):
        // told so, the portal serves with it anyway.
        cmd.args([
            "serve",
            "--allow-superuser",
            "--bind",
            &addr.to_string(),
            "--db-pool",
        ])
        .arg(db_pool.to_string())
        .env("DATABASE_URL", database_url)
        .env("KENSHU_LOG", "warn")
        // The reminder schedule's first run over generated data (tens of thousands of
        // reminders due at once, then their mail) would overlap the measurement.
        .env("KENSHU_REMINDER_MINUTES", "0")
        .env_remove("KENSHU_BIND")
        .env_remove("KENSHU_DB_POOL")
        .envs(extra_env.iter().map(|(k, v)| (k, v)))
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file);
        // SAFETY: prctl is async-signal-safe; it asks the kernel to stop the server if the
        // bench (the thread that started it, the main thread) dies.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut server = ServerProcess {
            pid: child.id(),
            child: Some(child),
            addr,
            log,
        };
        server.wait_ready(Duration::from_secs(30)).await?;
        Ok(server)
    }

    async fn wait_ready(&mut self, limit: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                bail!("the server exited with {status}: {}", self.log_tail());
            }
            if let Ok(mut conn) = Conn::open(self.addr).await
                && let Ok(res) = conn.get("/readyz", None).await
                && res.status == StatusCode::OK
            {
                return Ok(());
            }
            if started.elapsed() > limit {
                bail!(
                    "the server was not ready within {limit:?}: {}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    }

    /// The server's log lines that are warnings or errors (KENSHU_LOG=warn), at most `n`.
    pub fn log_problems(&self, n: usize) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .take(n)
            .map(str::to_string)
            .collect()
    }

    /// (VmRSS, VmHWM) in bytes.
    pub fn memory(&self) -> Option<(u64, u64)> {
        memory_of(self.pid)
    }

    /// SIGTERM, then up to 10 s for a clean stop, then SIGKILL.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if let Ok(pid) = i32::try_from(child.id()) {
            // SAFETY: kill only sends a signal to the process we started.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                if !status.success() {
                    eprintln!("note: the server exited with {status}");
                }
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the server did not stop within 10 s of SIGTERM; killed it");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// (VmRSS, VmHWM) of a process in bytes, from /proc.
pub fn memory_of(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
