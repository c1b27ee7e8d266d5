//! The bench database: a fresh database on the server named by DATABASE_URL, or on a private
//! cluster started for the run; migrated, loaded with the repository's content and seeded with
//! the `bench` institution and its staff.

use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use kenshu_core::person::Role;
use kenshu_db::PgPool;
use sqlx::postgres::PgConnectOptions;
use uuid::Uuid;

/// The password of every bench account.
pub const PASSWORD: &str = "bench-password-2026";

/// Where the PostgreSQL server is: options for its admin database and, for a shared server,
/// the URL it was given (so that a password or query parameters carry over).
pub struct Server {
    pub admin: PgConnectOptions,
    pub shared_url: Option<String>,
}

impl Server {
    pub fn shared(url: &str) -> anyhow::Result<Server> {
        Ok(Server {
            admin: PgConnectOptions::from_str(url)
                .context("DATABASE_URL is not a PostgreSQL URL")?,
            shared_url: Some(url.to_string()),
        })
    }

    pub fn private(admin: PgConnectOptions) -> Server {
        Server {
            admin,
            shared_url: None,
        }
    }

    /// A URL for a child process to reach database `name` through the TCP proxy at `proxy`.
    pub fn url_via(&self, name: &str, proxy: SocketAddr) -> anyhow::Result<String> {
        let base = match &self.shared_url {
            Some(shared) => shared.clone(),
            None => format!("postgres://{}@localhost/", self.admin.get_username()),
        };
        let mut url = url::Url::parse(&base).context("DATABASE_URL is not a URL")?;
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !matches!(k.as_ref(), "host" | "hostaddr" | "port"))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.set_query(None);
        if !kept.is_empty() {
            url.query_pairs_mut().extend_pairs(kept);
        }
        url.set_host(Some(&proxy.ip().to_string()))
            .context("setting the proxy host")?;
        url.set_port(Some(proxy.port()))
            .map_err(|()| anyhow::anyhow!("cannot set the proxy port"))?;
        url.set_path(&format!("/{name}"));
        Ok(url.to_string())
    }

    /// A URL for a child process to reach database `name` on this server.
    pub fn url_of(&self, name: &str) -> anyhow::Result<String> {
        if let Some(shared) = &self.shared_url {
            let mut url = url::Url::parse(shared).context("DATABASE_URL is not a URL")?;
            url.set_path(&format!("/{name}"));
            return Ok(url.to_string());
        }
        let o = &self.admin;
        Ok(match o.get_socket() {
            Some(dir) => format!(
                "postgres://{}@localhost:{}/{}?host={}",
                o.get_username(),
                o.get_port(),
                name,
                dir.display()
            ),
            None => format!(
                "postgres://{}@{}:{}/{}",
                o.get_username(),
                o.get_host(),
                o.get_port(),
                name
            ),
        })
    }
}

pub struct BenchDb {
    pub name: String,
    pub pool: PgPool,
    pub url: String,
}

/// Creates, migrates and loads a fresh database.
pub async fn create(server: &Server, repo_root: &Path) -> anyhow::Result<BenchDb> {
    let name = format!("kenshu_bench_{}", Uuid::new_v4().simple());
    let admin = kenshu_db::connect(server.admin.clone(), 1)
        .await
        .context("cannot connect to PostgreSQL")?;
    sqlx::query(sqlx::AssertSqlSafe(format!("create database \"{name}\"")))
        .execute(&admin)
        .await
        .with_context(|| format!("cannot create database {name}"))?;
    admin.close().await;
    let pool = kenshu_db::connect(server.admin.clone().database(&name), 4)
        .await
        .with_context(|| format!("cannot connect to {name}"))?;
    kenshu_db::migrate(&pool).await.context("migrations")?;
    let content = repo_root.join("content");
    kenshu_db::content::load_dir(&pool, &content)
        .await
        .with_context(|| format!("loading {}", content.display()))?;
    Ok(BenchDb {
        url: server.url_of(&name)?,
        name,
        pool,
    })
}

/// Institution `bench` with one division and `users` staff accounts `user0001`…, all with
/// [`PASSWORD`]. Returns the login ids.
pub async fn seed(db: &BenchDb, users: usize) -> anyhow::Result<Vec<String>> {
    let hash = tokio::task::spawn_blocking(|| kenshu_db::password::hash(PASSWORD))
        .await
        .context("hashing task")?
        .map_err(|e| anyhow::anyhow!("hashing the bench password: {e}"))?;
    let mut tx = db.pool.begin().await?;
    let institution = kenshu_db::institution::create(&mut tx, "bench", "ベンチ市")
        .await
        .context("creating the institution")?;
    let division =
        kenshu_db::institution::create_division(&mut tx, institution, "load", "負荷試験課", None)
            .await
            .context("creating the division")?;
    let mut logins = Vec::with_capacity(users);
    for i in 1..=users {
        let login = format!("user{i:04}");
        let email = format!("{login}@bench.example.jp");
        kenshu_db::person::create(
            &mut tx,
            &kenshu_db::person::NewUser {
                institution_id: institution,
                login_id: &kenshu_core::person::LoginId::parse(&login)?,
                email: Some(&email),
                name: &format!("負荷 {i}"),
                division_id: division,
                role: Role::Staff,
                password_hash: &hash,
                must_change_password: false,
            },
        )
        .await
        .with_context(|| format!("creating {login}"))?;
        logins.push(login);
    }
    tx.commit().await?;
    Ok(logins)
}

/// Rows stored by the final test: (attempts, submitted attempts, answers, completions).
pub async fn final_test_rows(db: &BenchDb) -> anyhow::Result<(i64, i64, i64, i64)> {
    let row: (i64, i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from test_attempts where course_code = 'final-test'),
                (select count(*) from test_attempts where course_code = 'final-test'
                                                    and submitted_at is not null),
                (select count(*) from test_answers),
                (select count(*) from completions where course_code = 'final-test')",
    )
    .fetch_one(&db.pool)
    .await
    .context("counting stored attempts")?;
    Ok(row)
}

/// Closes the pool and, on a shared server, drops the database (a private cluster is thrown
/// away whole) unless KENSHU_BENCH_KEEP is set, to look into the data afterwards.
pub async fn finish(server: &Server, db: BenchDb) -> anyhow::Result<()> {
    db.pool.close().await;
    if server.shared_url.is_none() {
        return Ok(());
    }
    if std::env::var_os("KENSHU_BENCH_KEEP").is_some() {
        eprintln!("kept database {}", db.name);
        return Ok(());
    }
    let admin = kenshu_db::connect(server.admin.clone(), 1).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "drop database if exists \"{}\" with (force)",
        db.name
    )))
    .execute(&admin)
    .await
    .with_context(|| format!("dropping {}", db.name))?;
    admin.close().await;
    Ok(())
}

/// 10:00 in Japan on `day`: a reminder schedule run at it takes the steps of `day`, within
/// office hours when `day` is a working day.
pub fn ten_oclock(day: time::Date) -> time::OffsetDateTime {
    day.with_hms(10, 0, 0)
        .map(|t| t.assume_offset(kenshu_core::fiscal_year::JST))
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
}
