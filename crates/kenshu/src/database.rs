//! Which database a command uses: `DATABASE_URL` when it is set, otherwise the embedded
//! default cluster under the data directory.

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use kenshu_db::PgPool;
use kenshu_db::embedded::EmbeddedCluster;
use sqlx::postgres::PgConnectOptions;

pub struct Database {
    pub pool: PgPool,
    cluster: Option<EmbeddedCluster>,
}

const EMBEDDED_DB: &str = "kenshu";

pub async fn open(data_dir: &Path, max_connections: u32) -> anyhow::Result<Database> {
    if let Ok(url) = std::env::var("DATABASE_URL")
        && !url.is_empty()
    {
        let options = PgConnectOptions::from_str(&url)
            .context("DATABASE_URL is not a valid PostgreSQL URL")?;
        let pool = kenshu_db::connect(options, max_connections)
            .await
            .context("cannot connect to the database at DATABASE_URL")?;
        return Ok(Database {
            pool,
            cluster: None,
        });
    }
    let cluster = EmbeddedCluster::start(data_dir)?;
    if cluster.owned() {
        tracing::info!(data_dir = %cluster.data_dir().display(), "started the embedded PostgreSQL");
    }
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
    admin.close().await;
    let pool = kenshu_db::connect(cluster.connect_options(EMBEDDED_DB), max_connections).await?;
    Ok(Database {
        pool,
        cluster: Some(cluster),
    })
}

pub async fn migrate(db: &Database) -> anyhow::Result<()> {
    kenshu_db::migrate(&db.pool)
        .await
        .context("applying migrations")
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
