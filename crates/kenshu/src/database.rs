//! Which database a command uses, and as which roles: `DATABASE_URL` (the role the portal
//! works as) with `KENSHU_MIGRATE_URL` (the owner role that migrates) when they are set,
//! otherwise the embedded default cluster under the data directory, in which the owner
//! (`kenshu_owner`) and the application role (`kenshu_app`) are made on first start.

use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, bail};
use kenshu_db::PgPool;
use kenshu_db::embedded::EmbeddedCluster;
use kenshu_db::roles::{EMBEDDED_APP, EMBEDDED_OWNER};
use sqlx::postgres::PgConnectOptions;

pub struct Database {
    /// The connections commands and the portal work with (the application role).
    pub pool: PgPool,
    /// Where migrations run, when that is another role than the pool's.
    owner: Option<PgConnectOptions>,
    /// The role granted the portal's privileges after migrating.
    app_role: Option<String>,
    cluster: Option<EmbeddedCluster>,
}

/// The command line's say in the choice.
pub struct Target<'a> {
    pub data_dir: &'a Path,
    /// `KENSHU_MIGRATE_URL`: the owner role, for migrations (external databases).
    pub migrate_url: Option<&'a str>,
    /// `KENSHU_APP_ROLE`: the role to grant to after migrating; by default the role of
    /// `DATABASE_URL` when a migration URL is given (or `kenshu_app` in the embedded cluster).
    pub app_role: Option<&'a str>,
}

const EMBEDDED_DB: &str = "kenshu";

fn parse_url(url: &str, name: &str) -> anyhow::Result<PgConnectOptions> {
    PgConnectOptions::from_str(url).with_context(|| format!("{name} is not a valid PostgreSQL URL"))
}

pub async fn open(t: &Target<'_>, max_connections: u32) -> anyhow::Result<Database> {
    if let Ok(url) = std::env::var("DATABASE_URL")
        && !url.is_empty()
    {
        let options = parse_url(&url, "DATABASE_URL")?;
        let owner = match t.migrate_url.filter(|u| !u.is_empty()) {
            Some(u) => Some(parse_url(u, "KENSHU_MIGRATE_URL")?),
            None => None,
        };
        let app_role = t.app_role.map(str::to_string).or_else(|| {
            owner
                .as_ref()
                .filter(|o| o.get_username() != options.get_username())
                .map(|_| options.get_username().to_string())
        });
        let pool = kenshu_db::connect(options, max_connections)
            .await
            .context("cannot connect to the database at DATABASE_URL")?;
        return Ok(Database {
            pool,
            owner,
            app_role,
            cluster: None,
        });
    }
    if t.migrate_url.is_some_and(|u| !u.is_empty()) {
        bail!(
            "KENSHU_MIGRATE_URL is set but DATABASE_URL is not: set both for an external database, or neither for the embedded one"
        );
    }
    let cluster = EmbeddedCluster::start(t.data_dir)?;
    if cluster.owned() {
        tracing::info!(data_dir = %cluster.data_dir().display(), "started the embedded PostgreSQL");
    }
    prepare_embedded(&cluster)
        .await
        .context("setting up the embedded PostgreSQL's database and roles")?;
    let options = cluster.connect_options(EMBEDDED_DB);
    let pool = kenshu_db::connect(options.clone().username(EMBEDDED_APP), max_connections).await?;
    Ok(Database {
        pool,
        owner: Some(options.username(EMBEDDED_OWNER)),
        app_role: Some(EMBEDDED_APP.into()),
        cluster: Some(cluster),
    })
}

/// As the cluster's superuser: the database, the owner and application roles, and the
/// database handed to the owner (a data directory from before the roles has everything owned
/// by `postgres`). Idempotent, so it runs on every start.
async fn prepare_embedded(cluster: &EmbeddedCluster) -> anyhow::Result<()> {
    let admin = kenshu_db::connect(cluster.connect_options("postgres"), 1)
        .await
        .context("cannot connect to the embedded PostgreSQL")?;
    let exists: bool =
        sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
            .bind(EMBEDDED_DB)
            .fetch_one(&admin)
            .await?;
    if !exists {
        sqlx::query("create database kenshu")
            .execute(&admin)
            .await?;
    }
    let mut conn = admin.acquire().await?;
    for role in [EMBEDDED_OWNER, EMBEDDED_APP] {
        kenshu_db::roles::ensure_login_role(&mut conn, role).await?;
    }
    drop(conn);
    admin.close().await;
    let admin = kenshu_db::connect(cluster.connect_options(EMBEDDED_DB), 1).await?;
    let mut conn = admin.acquire().await?;
    kenshu_db::roles::hand_over(&mut conn, EMBEDDED_OWNER).await?;
    drop(conn);
    admin.close().await;
    Ok(())
}

/// Opens the database and brings it up to date: what every command that works on it does first.
pub async fn ready(t: &Target<'_>, max_connections: u32) -> anyhow::Result<Database> {
    let db = open(t, max_connections).await?;
    migrate(&db).await?;
    Ok(db)
}

/// Applies the migrations as the owner and grants the application role its privileges. With
/// only `DATABASE_URL`, its role migrates when it may (it owns the schema's tables, or is a
/// superuser); otherwise the database must already be up to date. Whether migrations ran.
pub async fn migrate(db: &Database) -> anyhow::Result<bool> {
    let app = db.app_role.as_deref();
    if let Some(owner) = &db.owner {
        let pool = kenshu_db::connect(owner.clone(), 1)
            .await
            .context("cannot connect as the owner role (KENSHU_MIGRATE_URL)")?;
        let done = kenshu_db::roles::migrate(&pool, app).await;
        pool.close().await;
        return done.context("applying migrations").map(|()| true);
    }
    let mut conn = db.pool.acquire().await?;
    if kenshu_db::roles::may_migrate(&mut conn).await? {
        drop(conn);
        return kenshu_db::roles::migrate(&db.pool, app)
            .await
            .context("applying migrations")
            .map(|()| true);
    }
    let pending = kenshu_db::roles::pending(&mut conn)
        .await
        .context("reading which migrations the database has")?;
    if !pending.is_empty() {
        let list: Vec<String> = pending.iter().map(|v| format!("{v:04}")).collect();
        bail!(
            "the database lacks migrations {} and the role of DATABASE_URL may not apply them: run `kenshu migrate` with KENSHU_MIGRATE_URL set to the owner role's URL",
            list.join(", ")
        );
    }
    Ok(false)
}

/// Makes the roster changes whose day has come (what the server's housekeeping does at
/// midnight), before a command reads who is in which division.
pub async fn catch_up(db: &Database) -> anyhow::Result<()> {
    let mut conn = db.pool.acquire().await?;
    kenshu_db::roster::take_effect(&mut conn, kenshu_core::japan_today()).await?;
    Ok(())
}

impl Database {
    /// Closes the pool, then stops the embedded cluster if this process started it.
    pub async fn close(mut self) {
        self.pool.close().await;
        if let Some(mut cluster) = self.cluster.take() {
            cluster.stop();
            tracing::info!("embedded PostgreSQL stopped");
        }
    }
}
