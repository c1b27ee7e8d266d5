//! The embedded default database: a private PostgreSQL cluster under the portal's data
//! directory, made and run with the PostgreSQL binaries installed on the machine.
//!
//! The cluster listens only on a unix socket inside its own 0700 data directory, so trust
//! authentication there reaches nobody but its owner (and root).

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL server binaries (initdb, postgres) were not found via `pg_config --bindir` or in /usr/lib/postgresql/*/bin. \
         Install the server package (Debian/Ubuntu: `apt-get install postgresql`), or set DATABASE_URL to use an existing server."
    )]
    NoBinaries,
    #[error(
        "PostgreSQL refuses to run as root and there is no `postgres` system user to run the embedded cluster as. \
         Run kenshu as an ordinary user, create the `postgres` user (installing the postgresql package does), or set DATABASE_URL."
    )]
    RootWithoutPostgresUser,
    #[error(
        "PostgreSQL runs as the `postgres` user, which cannot enter {0} (its permissions shut others out). \
         Choose a --data-dir it can reach (for example under /var/lib or /srv), or set DATABASE_URL."
    )]
    Unreachable(PathBuf),
    #[error("embedded PostgreSQL: {context}: {source}")]
    Io { context: String, source: io::Error },
    #[error("embedded PostgreSQL: `{command}` failed: {output}")]
    Command { command: String, output: String },
    #[error("embedded PostgreSQL did not accept connections within {0:?}; see {1}")]
    NotReady(Duration, PathBuf),
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> EmbeddedError {
    let context = context.into();
    move |source| EmbeddedError::Io { context, source }
}

/// Finds the directory holding `initdb` and `postgres`.
pub fn find_bindir() -> Result<PathBuf, EmbeddedError> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_server(&dir) {
            return Ok(dir);
        }
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has_server(&bin).then_some((version, bin))
        })
        .collect();
    candidates.sort();
    candidates
        .pop()
        .map(|(_, dir)| dir)
        .ok_or(EmbeddedError::NoBinaries)
}

/// The uid and gid to run PostgreSQL as: ourselves, or the `postgres` user when we are root.
fn run_as() -> Result<Option<(u32, u32)>, EmbeddedError> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(io_err("reading /etc/passwd"))?;
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 3 && f[0] == "postgres")
        .and_then(|f| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
        .map(Some)
        .ok_or(EmbeddedError::RootWithoutPostgresUser)
}

/// A running private cluster. Dropping it stops PostgreSQL (fast shutdown) and waits for it.
#[derive(Debug)]
pub struct EmbeddedCluster {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    child: Option<Child>,
    /// False when attached to a cluster another process started: then it is not stopped.
    owned: bool,
}

impl EmbeddedCluster {
    /// Creates the cluster under `dir/pg` if needed, starts it and waits until it answers.
    /// PostgreSQL is put in its own process group, so that a Ctrl-C in the terminal reaches
    /// the portal first and the portal stops the database after itself; if the portal dies,
    /// the kernel stops PostgreSQL (parent-death signal), as long as the calling thread lives
    /// as long as the process.
    pub fn start(dir: &Path) -> Result<Self, EmbeddedError> {
        let bindir = find_bindir()?;
        let owner = run_as()?;
        std::fs::create_dir_all(dir).map_err(io_err(format!("creating {}", dir.display())))?;
        let dir = dir
            .canonicalize()
            .map_err(io_err(format!("resolving {}", dir.display())))?;
        if owner.is_some() {
            reachable_by_others(&dir)?;
        }
        let data_dir = dir.join("pg");
        let log = dir.join("postgresql.log");
        if let Some(running) = Self::attach(&data_dir) {
            return Ok(running);
        }
        if !data_dir.join("PG_VERSION").is_file() {
            std::fs::create_dir_all(&data_dir)
                .map_err(io_err(format!("creating {}", data_dir.display())))?;
            std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o700))
                .map_err(io_err("setting permissions of the data directory"))?;
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::chown(&data_dir, Some(uid), Some(gid))
                    .map_err(io_err("handing the data directory to the postgres user"))?;
            }
            let mut initdb = Command::new(bindir.join("initdb"));
            initdb.arg("-D").arg(&data_dir).args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]);
            run_checked(as_owner(&mut initdb, owner))?;
        }
        // The socket must fit in sun_path (108 bytes); a deep data directory uses a short
        // private directory under /tmp instead.
        let socket_dir = if data_dir.as_os_str().len() + 20 < 100 {
            data_dir.clone()
        } else {
            let short = std::env::temp_dir().join(format!("kenshu-pg-{}", std::process::id()));
            std::fs::create_dir_all(&short).map_err(io_err("creating the socket directory"))?;
            std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o700))
                .map_err(io_err("setting permissions of the socket directory"))?;
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::chown(&short, Some(uid), Some(gid))
                    .map_err(io_err("handing the socket directory to the postgres user"))?;
            }
            short
        };
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(io_err(format!("opening {}", log.display())))?;
        if let Some((uid, gid)) = owner {
            let _ = std::os::unix::fs::chown(&log, Some(uid), Some(gid));
        }
        let log_err = log_file.try_clone().map_err(io_err("opening the log"))?;
        let mut postgres = Command::new(bindir.join("postgres"));
        postgres
            .arg("-D")
            .arg(&data_dir)
            .arg("-k")
            .arg(&socket_dir)
            .args([
                "-c",
                "listen_addresses=",
                "-c",
                "fsync=on",
                "-c",
                "max_connections=200",
            ])
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err)
            .process_group(0);
        as_owner(&mut postgres, owner);
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to signal the child if
        // the thread that forked it exits.
        unsafe {
            postgres.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT);
                Ok(())
            });
        }
        let child = postgres.spawn().map_err(io_err("starting postgres"))?;
        let mut cluster = EmbeddedCluster {
            data_dir,
            socket_dir,
            child: Some(child),
            owned: true,
        };
        cluster.wait_ready(Duration::from_secs(30), &log)?;
        Ok(cluster)
    }

    /// A cluster already running on this data directory (say, a `kenshu demo` in another
    /// terminal) is used as it is, and left running.
    fn attach(data_dir: &Path) -> Option<Self> {
        let pid_file = std::fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
        let lines: Vec<&str> = pid_file.lines().collect();
        let pid: i32 = lines.first()?.trim().parse().ok()?;
        // SAFETY: signal 0 only checks that the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        let socket_dir = PathBuf::from(lines.get(4)?.trim());
        let ready = lines.get(7).is_some_and(|l| l.trim() == "ready");
        (alive && ready && socket_dir.join(".s.PGSQL.5432").exists()).then(|| EmbeddedCluster {
            data_dir: data_dir.to_path_buf(),
            socket_dir,
            child: None,
            owned: false,
        })
    }

    fn wait_ready(&mut self, limit: Duration, log: &Path) -> Result<(), EmbeddedError> {
        let socket = self.socket_dir.join(".s.PGSQL.5432");
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                let tail = std::fs::read_to_string(log).unwrap_or_default();
                let tail: String = tail.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
                return Err(EmbeddedError::Command {
                    command: format!("postgres -D {}", self.data_dir.display()),
                    output: format!("exited with {status}: {tail}"),
                });
            }
            // postmaster.pid's last lines say "ready" once it accepts connections.
            let ready = std::fs::read_to_string(self.data_dir.join("postmaster.pid"))
                .map(|pid| pid.lines().any(|l| l.trim() == "ready"))
                .unwrap_or(false);
            if ready && socket.exists() {
                return Ok(());
            }
            if started.elapsed() > limit {
                return Err(EmbeddedError::NotReady(limit, log.to_path_buf()));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Connection options for a database in this cluster, over its unix socket.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .username("postgres")
            .database(database)
    }

    /// Whether this process started the cluster (and so stops it).
    pub fn owned(&self) -> bool {
        self.owned
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Fast shutdown: active connections are closed, the cluster stops cleanly.
    pub fn stop(&mut self) {
        if !self.owned {
            return;
        }
        if let Some(mut child) = self.child.take() {
            if let Ok(pid) = i32::try_from(child.id()) {
                // SAFETY: kill only sends a signal to the process we started.
                unsafe { libc::kill(pid, libc::SIGINT) };
            }
            let _ = child.wait();
        }
        if self.socket_dir != self.data_dir {
            let _ = std::fs::remove_dir_all(&self.socket_dir);
        }
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// When root hands the cluster to the `postgres` user, that user must be able to pass through
/// every folder above the data directory.
fn reachable_by_others(dir: &Path) -> Result<(), EmbeddedError> {
    for ancestor in dir.ancestors() {
        let mode = std::fs::metadata(ancestor)
            .map_err(io_err(format!("reading {}", ancestor.display())))?
            .permissions()
            .mode();
        if mode & 0o001 == 0 {
            return Err(EmbeddedError::Unreachable(ancestor.to_path_buf()));
        }
    }
    Ok(())
}

fn as_owner(cmd: &mut Command, owner: Option<(u32, u32)>) -> &mut Command {
    if let Some((uid, gid)) = owner {
        cmd.uid(uid).gid(gid);
        // PostgreSQL's tools chdir-check the current directory; root's may be closed to them.
        cmd.current_dir("/");
    }
    cmd
}

fn run_checked(cmd: &mut Command) -> Result<(), EmbeddedError> {
    let out = cmd
        .output()
        .map_err(io_err(format!("running {:?}", cmd.get_program())))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(EmbeddedError::Command {
            command: format!("{:?}", cmd.get_program()),
            output: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}
