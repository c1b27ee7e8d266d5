//! `kenshu serve` (and the demo's serving): refuses a role that could switch off the audit
//! log's protection, then runs the portal with its workers until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use kenshu_core::audit::AuditKey;

use crate::ServeArgs;
use crate::database::Database;

/// Refuses to serve as a superuser, a role with BYPASSRLS or CREATEROLE, or one that owns the
/// database or any table or function, unless `allow` (`--allow-superuser`): then it warns.
pub async fn check_role(db: &Database, allow: bool) -> anyhow::Result<()> {
    let mut conn = db.pool.acquire().await?;
    let Some(problem) = kenshu_db::roles::serving_problem(&mut conn).await? else {
        return Ok(());
    };
    if !allow {
        bail!(
            "refusing to serve: {problem}, so it could switch off the audit log's protection. Serve as a role that owns nothing (DATABASE_URL) and migrate as the owner (KENSHU_MIGRATE_URL), see the README's 'Database roles and the audit log'; or pass --allow-superuser for a trial"
        );
    }
    tracing::warn!(
        "SERVING WITH --allow-superuser: {problem}. Whoever controls this role can rewrite the audit log (switch its triggers off, re-hash it) — use this for a trial only"
    );
    Ok(())
}

/// Who may read `/metrics` (README, "Watching the portal").
#[derive(clap::Args, Clone, Debug)]
pub struct MetricsArgs {
    /// A scraper that sends `Authorization: Bearer TOKEN` may read /metrics from anywhere
    /// (prefer the environment variable: a command line shows in `ps`).
    #[arg(long, env = "KENSHU_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Networks that may read /metrics without the token: comma-separated CIDRs or addresses
    /// (behind --trust-proxy, the address the proxy forwarded is checked).
    #[arg(
        long,
        env = "KENSHU_METRICS_ALLOW",
        default_value = "127.0.0.0/8,::1",
        value_parser = parse_networks
    )]
    metrics_allow: Networks,
}

/// The networks of `--metrics-allow`.
#[derive(Clone, Debug)]
pub struct Networks(Vec<kenshu_web::IpNet>);

fn parse_networks(s: &str) -> Result<Networks, String> {
    kenshu_web::parse_networks(s).map(Networks)
}

/// What the audit log needs while serving: its key and where checkpoints go.
pub struct Audit {
    pub key: AuditKey,
    pub checkpoint_dir: PathBuf,
}

pub async fn serve(db: Database, args: &ServeArgs, audit: Audit) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.bind))?;
    // Mail goes out by SMTP when KENSHU_SMTP_URL is set, else to the log.
    let mailer = kenshu_app::mail::Mailer::from_env().map_err(|e| anyhow::anyhow!(e))?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.bind));
    let settings = kenshu_web::Settings {
        secure_cookies: args.secure_cookies,
        public_url: public_url.clone(),
        mail_transport: mailer.describe(),
        audit_key: audit.key.clone(),
        checkpoint_dir: Some(audit.checkpoint_dir.clone()),
        idle_minutes: args.idle_minutes,
        session_hours: args.session_hours,
        trust_proxy: args.trust_proxy,
        session_cache: !args.no_session_cache,
        metrics_token: (args.metrics.metrics_token.clone()).filter(|t| !t.trim().is_empty()),
        metrics_allow: args.metrics.metrics_allow.0.clone(),
        ..Default::default()
    };
    tracing::info!(
        token = settings.metrics_token.is_some(),
        networks = ?settings.metrics_allow,
        "metrics at /metrics"
    );
    kenshu_app::housekeeping::spawn(db.pool.clone(), args.idle_minutes);
    tracing::info!(mail = mailer.describe(), "mail transport");
    tracing::info!(
        key = audit.key.fingerprint(),
        checkpoints = %audit.checkpoint_dir.display(),
        "audit log keyed"
    );
    kenshu_app::mail::spawn(db.pool.clone(), std::sync::Arc::new(mailer));
    if args.reminder_minutes > 0 {
        kenshu_app::reminder::schedule::spawn(
            db.pool.clone(),
            public_url,
            Duration::from_secs(args.reminder_minutes * 60),
        );
    }
    if args.overview_seconds > 0 {
        kenshu_app::keeper::spawn(db.pool.clone(), Duration::from_secs(args.overview_seconds));
    }
    if args.checkpoint_minutes > 0 {
        spawn_checkpoints(
            db.pool.clone(),
            audit,
            Duration::from_secs(args.checkpoint_minutes * 60),
        );
    }
    let state = kenshu_web::AppState::new(db.pool.clone(), settings);
    tracing::info!(address = %listener.local_addr()?, "serving");
    kenshu_web::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("stopped serving; closing the database");
    db.close().await;
    Ok(())
}

/// Writes every institution's head to its checkpoint file at start and then every `every`
/// (a line only when the head moved).
fn spawn_checkpoints(pool: kenshu_db::PgPool, audit: Audit, every: Duration) {
    tokio::spawn(async move {
        loop {
            let round = async {
                let mut conn = pool.acquire().await?;
                kenshu_db::audit_anchor::checkpoint_all(
                    &mut conn,
                    &audit.key,
                    &audit.checkpoint_dir,
                )
                .await
            };
            if let Err(e) = round.await {
                tracing::warn!(error = %e, "writing audit log checkpoints");
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = ctrl_c.await;
            return;
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
}
