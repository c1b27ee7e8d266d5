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

/// Where links point when no public URL is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// `kenshu serve`: refuse when mail goes out; otherwise the bind address, with a warning.
    None,
    /// `kenshu demo`: the address it listens on, which it prints.
    Bind,
}

/// The portal's address as people reach it, for links in mail and the check-in QR code.
pub struct PublicUrl {
    /// Without a trailing slash.
    pub url: String,
    /// The bind address, for want of a public URL in `kenshu serve`: serving warns.
    pub guessed: bool,
}

/// The [`PublicUrl`] of `--public-url` (`KENSHU_PUBLIC_URL`). Refuses to start without one
/// when mail goes out (`smtp`), since every mail's links would point at the bind address, and
/// when the portal listens on every interface (`0.0.0.0`, `::`: an address no one can open, as
/// behind a reverse proxy or in a container); otherwise (a development machine, one address)
/// `kenshu serve` uses the bind address and warns once serving.
pub fn public_url(args: &ServeArgs, smtp: bool, fallback: Fallback) -> anyhow::Result<PublicUrl> {
    let given = args.public_url.as_deref().map(str::trim);
    let bind = format!("http://{}", args.bind);
    let (url, guessed) = match (given, fallback) {
        (Some(url), _) if !url.is_empty() => (url.trim_end_matches('/').to_string(), false),
        (_, Fallback::Bind) => (bind, false),
        (_, Fallback::None) if smtp => bail!(
            "KENSHU_SMTP_URL is set, so the portal sends mail, but KENSHU_PUBLIC_URL is not: \
             set KENSHU_PUBLIC_URL (or --public-url) to the portal's address as people reach \
             it, e.g. KENSHU_PUBLIC_URL=https://kenshu.city.example.lg.jp; the links in mail \
             and the check-in QR codes point there"
        ),
        (_, Fallback::None) if args.bind.ip().is_unspecified() => bail!(
            "the portal listens on every interface ({}) and KENSHU_PUBLIC_URL is not set: \
             set KENSHU_PUBLIC_URL (or --public-url) to the portal's address as people reach \
             it, e.g. KENSHU_PUBLIC_URL=https://kenshu.city.example.lg.jp; the check-in QR \
             codes point there",
            args.bind
        ),
        (_, Fallback::None) => (bind, true),
    };
    kenshu_app::mail::public_host(&url).map_err(|e| anyhow::anyhow!(e))?;
    Ok(PublicUrl { url, guessed })
}

/// Runs the portal; `public_url` from [`public_url`], checked before the database is opened.
pub async fn serve(
    db: Database,
    args: &ServeArgs,
    audit: Audit,
    public_url: PublicUrl,
) -> anyhow::Result<()> {
    if public_url.guessed {
        tracing::warn!(
            public_url = %public_url.url,
            "KENSHU_PUBLIC_URL is not set: check-in QR codes link to the bind address; set it (e.g. https://kenshu.city.example.lg.jp) before in-person sessions"
        );
    }
    let public_url = public_url.url;
    // Mail goes out by SMTP when KENSHU_SMTP_URL is set, else to the log.
    let mailer = kenshu_app::mail::Mailer::from_env(&public_url).map_err(|e| anyhow::anyhow!(e))?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.bind))?;
    let report_address = report_listener(&db, args, &audit, &public_url).await?;
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
        report_address,
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
        // The digests to officers run with the reminders, at the same interval: an hour at
        // most between runs still sends each week's digests within office hours.
        kenshu_app::digest::schedule::spawn(
            db.pool.clone(),
            public_url.clone(),
            Duration::from_secs(args.reminder_minutes * 60),
        );
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

/// The report address (lower-cased) and, when `--report-smtp` is set, its listener.
async fn report_listener(
    db: &Database,
    args: &ServeArgs,
    audit: &Audit,
    public_url: &str,
) -> anyhow::Result<Option<String>> {
    let address = args
        .report_address
        .as_deref()
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| !a.is_empty());
    let bind = args
        .report_smtp
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty());
    match (&address, bind) {
        (Some(a), _)
            if !a.contains('@') || a.chars().any(|c| c.is_whitespace() || c == '<' || c == '>') =>
        {
            anyhow::bail!(
                "KENSHU_REPORT_ADDRESS {a:?} is not a mail address: set it to the address staff forward suspicious mail to, e.g. report@city.example.lg.jp"
            )
        }
        (None, Some(_)) => anyhow::bail!(
            "KENSHU_REPORT_SMTP is set but KENSHU_REPORT_ADDRESS is not: set the address the listener takes mail for, e.g. KENSHU_REPORT_ADDRESS=report@city.example.lg.jp"
        ),
        (Some(a), Some(bind)) => {
            let listener = kenshu_app::drill::report::Listener {
                pool: db.pool.clone(),
                key: audit.key.clone(),
                address: a.clone(),
                host: kenshu_app::mail::public_host(public_url).map_err(|e| anyhow::anyhow!(e))?,
            };
            let at = listener
                .spawn(bind)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen for report mail on {bind}: {e}"))?;
            tracing::info!(address = %at, "report mail listener");
        }
        _ => {}
    }
    Ok(address)
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
