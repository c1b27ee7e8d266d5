//! Test support: a real PostgreSQL for every test, and the real portal on port 0.
//!
//! Tests use `DATABASE_URL` when it is set (a server on which the role may CREATE DATABASE and
//! CREATE ROLE); otherwise the first test of a test binary starts a private throwaway cluster
//! from the PostgreSQL binaries on the machine. Either way each test gets a database of its
//! own, copied from a template that already holds the migrations and the course content.
//! Tests set up data through a superuser pool, as a [`Scenario`] (what time passing and
//! changes behind the portal's back need: [`simulate`]); the portal serves through the
//! application role [`APP_ROLE`] with only the grants of migration 0023, as in production.

pub mod exam;
pub mod http;
pub mod mta;
pub mod oidc;
pub mod process;
pub mod reports;
pub mod scenario;
pub mod simulate;
pub mod skip;
pub mod slapd;
pub mod smtp;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use kenshu_core::person::Role;
use kenshu_db::PgPool;
use sqlx::postgres::PgConnectOptions;
use tokio::sync::OnceCell;
use uuid::Uuid;

pub use http::{Browser, TestApp, csrf_of};
pub use scenario::{Built, Scenario};

/// The role the portal serves as in the tests: no superuser, owns nothing.
pub const APP_ROLE: &str = "kenshu_test_app";

/// The audit key of the tests' portals and commands (given to `kenshu` as KENSHU_AUDIT_KEY).
pub const AUDIT_KEY_HEX: &str = "6b656e7368752d746573742d61756469742d6b65792d3332627974657321212e";

pub fn audit_key() -> kenshu_core::audit::AuditKey {
    kenshu_core::audit::AuditKey::parse_hex(AUDIT_KEY_HEX).expect("test key")
}

/// Makes the application role on the test server, once per test process.
pub async fn app_role() -> &'static str {
    static MADE: OnceCell<()> = OnceCell::const_new();
    MADE.get_or_init(|| async {
        let admin = kenshu_db::connect(server().clone().database("postgres"), 1)
            .await
            .expect("connect to the test server");
        let mut conn = admin.acquire().await.expect("conn");
        kenshu_db::roles::ensure_login_role(&mut conn, APP_ROLE)
            .await
            .expect("create the application role (the test server's role needs CREATEROLE)");
        drop(conn);
        admin.close().await;
    })
    .await;
    APP_ROLE
}

/// The data directory (`KENSHU_DATA_DIR`) of the commands run against a database: where the
/// audit log's checkpoints of that database's institutions go.
pub fn data_dir_of(database: &str) -> PathBuf {
    std::env::temp_dir().join(format!("kenshu-data-{database}"))
}

/// The database name in a URL made by [`TestDb::url`].
fn database_of(url: &str) -> &str {
    let path = url.splitn(4, '/').nth(3).unwrap_or_default();
    path.split('?').next().unwrap_or_default()
}

/// The repository root (where `content/` and `Cargo.toml` are).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Connection options of the server the tests use, and whether it is a private one.
fn server() -> &'static PgConnectOptions {
    static SERVER: OnceLock<PgConnectOptions> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            PgConnectOptions::from_str(&url).expect("DATABASE_URL is not a PostgreSQL URL")
        }
        _ => private_cluster(),
    })
}

/// Starts a private cluster in a thread that lives as long as the test process, so that the
/// kernel stops PostgreSQL when the process ends (parent-death signal).
fn private_cluster() -> PgConnectOptions {
    clean_stale_clusters();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("kenshu-test-postgres".into())
        .spawn(move || {
            let dir = std::env::temp_dir().join(format!("kenshu-test-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            match kenshu_db::embedded::EmbeddedCluster::start(&dir) {
                Ok(cluster) => {
                    let _ = tx.send(Ok(cluster.connect_options("postgres")));
                    // Keep the cluster (and this thread) alive until the process exits.
                    let _keep = cluster;
                    loop {
                        std::thread::park();
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                }
            }
        })
        .expect("spawn the PostgreSQL thread");
    match rx.recv().expect("PostgreSQL thread ended") {
        Ok(options) => options,
        Err(e) => panic!("cannot start a private PostgreSQL cluster for the tests: {e}"),
    }
}

/// Removes the folders of private clusters whose test process has ended.
fn clean_stale_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_prefix("kenshu-test-")
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// A database of its own for one test. Dropping it drops the database.
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
}

impl TestDb {
    pub fn options(&self) -> PgConnectOptions {
        server().clone().database(&self.name)
    }

    /// Connection options as the application role (see [`app_role`]).
    pub fn app_options(&self) -> PgConnectOptions {
        self.options().username(APP_ROLE)
    }

    /// A pool of the application role with `max` connections and this acquire time-out, for
    /// [`TestApp::spawn_with`].
    pub async fn app_pool(&self, max: u32, acquire_timeout: std::time::Duration) -> PgPool {
        app_role().await;
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(acquire_timeout)
            .test_before_acquire(false)
            .connect_with(self.app_options())
            .await
            .expect("connect as the application role")
    }

    /// The data directory of commands run against this database (see [`data_dir_of`]).
    pub fn data_dir(&self) -> PathBuf {
        data_dir_of(&self.name)
    }

    /// A URL for child processes (the `kenshu` binary) to reach this database.
    pub fn url(&self) -> String {
        let o = self.options();
        let host = o
            .get_socket()
            .map(|s| s.display().to_string())
            .unwrap_or_else(|| o.get_host().to_string());
        if host.starts_with('/') {
            format!(
                "postgres://{}@localhost:{}/{}?host={}",
                o.get_username(),
                o.get_port(),
                self.name,
                host
            )
        } else {
            format!(
                "postgres://{}@{}:{}/{}",
                o.get_username(),
                host,
                o.get_port(),
                self.name
            )
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.data_dir());
        let name = self.name.clone();
        // Drop may run on the test's runtime thread, which must not wait on its own pool: a
        // short-lived runtime on another thread drops the database, forcing connections off.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(admin) =
                    kenshu_db::connect(server().clone().database("postgres"), 1).await
                {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "drop database if exists \"{name}\" with (force)"
                    )))
                    .execute(&admin)
                    .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Creates a database on the test server, as a copy of `template` when given.
async fn create_database(name: &str, template: Option<&str>) {
    let admin = kenshu_db::connect(server().clone().database("postgres"), 1)
        .await
        .expect("connect to the test server");
    let sql = match template {
        Some(t) => format!("create database \"{name}\" template \"{t}\""),
        None => format!("create database \"{name}\""),
    };
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&admin)
        .await
        .unwrap_or_else(|e| panic!("create database {name}: {e}"));
    admin.close().await;
}

async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("kenshu_tmpl_{}", Uuid::new_v4().simple());
            create_database(&name, None).await;
            let pool = kenshu_db::connect(server().clone().database(&name), 2)
                .await
                .expect("connect template");
            kenshu_db::migrate(&pool).await.expect("migrate template");
            kenshu_db::content::load_dir(&pool, &repo_root().join("content"))
                .await
                .expect("load content");
            pool.close().await;
            name
        })
        .await
}

async fn open(name: String, connections: u32) -> TestDb {
    let pool = kenshu_db::connect(server().clone().database(&name), connections)
        .await
        .expect("connect test database");
    TestDb { pool, name }
}

/// A fresh database with the migrations and the repository's course content.
pub async fn test_db() -> TestDb {
    let name = format!("kenshu_t_{}", Uuid::new_v4().simple());
    create_database(&name, Some(template().await)).await;
    open(name, 8).await
}

/// An empty database with no migrations applied, for the CLI tests that migrate themselves.
pub async fn empty_db() -> TestDb {
    let name = format!("kenshu_e_{}", Uuid::new_v4().simple());
    create_database(&name, None).await;
    open(name, 2).await
}

/// Institution `test` (テスト市) with divisions `a` (A課) and `b` (B課), made on demand with
/// this year's standard plan approved (see [`Scenario::new`]): (institution, a, b).
pub async fn institution(pool: &PgPool) -> (Uuid, Uuid, Uuid) {
    let s = Scenario::new(pool).build().await;
    (s.institution(), s.division("a"), s.division("b"))
}

/// A cheap password hash, computed once: argon2 in debug builds is slow.
pub fn hash_of(password: &str) -> String {
    static CACHE: OnceLock<std::sync::Mutex<std::collections::HashMap<String, String>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().expect("lock");
    map.entry(password.to_string())
        .or_insert_with(|| kenshu_db::password::hash(password).expect("hash"))
        .clone()
}

pub const PASSWORD: &str = "correct horse battery";

/// An account `login` in division A of the test institution with the password [`PASSWORD`]
/// (see [`Scenario::person`]); anything more: a [`Scenario`].
pub async fn user(pool: &PgPool, login: &str, role: Role) -> Uuid {
    Scenario::new(pool)
        .person(login, role)
        .build()
        .await
        .id(login)
}

/// The `kenshu` binary built by cargo for this test run.
pub fn kenshu_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join("kenshu");
    assert!(
        bin.is_file(),
        "{} is missing: run the tests with `cargo test --workspace` so that cargo builds the binary",
        bin.display()
    );
    bin
}

/// Runs `kenshu ARGS` against the database at `db_url`, feeding `stdin`.
pub fn kenshu(db_url: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(kenshu_bin())
        .args(args)
        .env("DATABASE_URL", db_url)
        .env("KENSHU_DATA_DIR", data_dir_of(database_of(db_url)))
        .env("KENSHU_AUDIT_KEY", AUDIT_KEY_HEX)
        .env("KENSHU_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kenshu");
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.unwrap_or_default().as_bytes());
    }
    child.wait_with_output().expect("wait for kenshu")
}

/// Standard output and error of a command, as text.
pub fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The files of a course folder (its `course.toml` and each section's `file = "…"`), as a
/// package holds them.
pub fn package_files(dir: &std::path::Path) -> Vec<(String, String)> {
    let toml = std::fs::read_to_string(dir.join("course.toml")).expect("course.toml");
    let mut files = vec![("course.toml".to_string(), toml.clone())];
    for line in toml.lines() {
        if let Some(file) = line
            .strip_prefix("file = \"")
            .and_then(|rest| rest.split('"').next())
        {
            let text = std::fs::read_to_string(dir.join(file)).expect("section file");
            files.push((file.to_string(), text));
        }
    }
    files
}
