//! The HTTP interface and pages of Kenshu. `app(state)` is the whole portal as a router;
//! `serve(listener, state, shutdown)` runs it, so tests start the real server on port 0.

mod admin;
mod assets;
pub mod audit;
mod auth;
mod authoring;
pub mod db_health;
mod deputy;
mod designation;
mod digest;
mod drill;
mod editor;
mod error;
mod exam;
mod flash;
mod gate;
mod health;
mod in_person;
mod insights;
pub mod lang;
mod learning;
pub mod metrics;
mod officer;
pub mod overview;
mod page;
mod person;
mod picks;
mod plan;
pub mod policy;
mod refused;
pub mod reminder;
pub mod report;
mod roster;
mod routes;
mod rules;
mod security;
mod session;
pub mod session_cache;
mod settings;
mod tx;
mod year;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use kenshu_core::audit::AuditKey;
use kenshu_db::PgPool;
use kenshu_db::content::Catalog;
use tokio::net::TcpListener;

pub use error::AppError;
/// Signs a check-in link (集合研修の QR コード); public for the black-box tests.
pub use in_person::checkin::sign as sign_checkin;
/// A network (CIDR) that may read `/metrics`.
pub use ipnet::IpNet;
pub use metrics::parse_networks;
pub use routes::app;

/// Settings of the web layer. `Debug` shows no secret: the audit key shows as its
/// fingerprint, the metrics token as whether there is one.
#[derive(Clone)]
pub struct Settings {
    /// Mark cookies `Secure`. Set when the portal is served over https (directly or behind a
    /// TLS-terminating proxy); requests that arrive with `X-Forwarded-Proto: https` get
    /// Secure cookies regardless.
    pub secure_cookies: bool,
    /// How long a session lasts after sign-in, at most.
    pub session_hours: i64,
    /// A session ends after this many minutes without a request.
    pub idle_minutes: i32,
    /// Serve sessions from the instance's memory while it hears their changes
    /// (`session_cache`); off, every request reads its session from the database.
    pub session_cache: bool,
    /// A reverse proxy in front appends the client's address to `X-Forwarded-For`: use it for
    /// the per-client sign-in throttle. Only when every request comes through that proxy.
    pub trust_proxy: bool,
    /// How long a client may take to send a request's headers ([`HEADER_TIMEOUT`]).
    pub header_timeout: std::time::Duration,
    /// The portal's address as people reach it (`KENSHU_PUBLIC_URL`), for links in mail and
    /// in check-in QR codes; never taken from a request.
    pub public_url: String,
    /// How mail leaves the portal, as the admin's mail page says it.
    pub mail_transport: &'static str,
    /// The key the audit log's entries are keyed with (kept outside the database).
    pub audit_key: AuditKey,
    /// Where checkpoints of the audit log's head are written (on each annual-report export)
    /// and read (by the chain check); none: not written, not read.
    pub checkpoint_dir: Option<PathBuf>,
    /// A scraper that sends `Authorization: Bearer TOKEN` may read `/metrics` from anywhere.
    pub metrics_token: Option<String>,
    /// Networks whose clients may read `/metrics` without the token (default: loopback).
    /// Behind a proxy (`trust_proxy`) the address the proxy forwarded is what is checked.
    pub metrics_allow: Vec<IpNet>,
    /// The address staff forward suspicious mail to (`KENSHU_REPORT_ADDRESS`), shown on the
    /// report page and the drill link's page.
    pub report_address: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("secure_cookies", &self.secure_cookies)
            .field("session_hours", &self.session_hours)
            .field("idle_minutes", &self.idle_minutes)
            .field("session_cache", &self.session_cache)
            .field("trust_proxy", &self.trust_proxy)
            .field("header_timeout", &self.header_timeout)
            .field("public_url", &self.public_url)
            .field("mail_transport", &self.mail_transport)
            .field("audit_key", &self.audit_key)
            .field("checkpoint_dir", &self.checkpoint_dir)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "(hidden)"),
            )
            .field("metrics_allow", &self.metrics_allow)
            .field("report_address", &self.report_address)
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            secure_cookies: false,
            session_hours: 10,
            idle_minutes: 30,
            session_cache: true,
            trust_proxy: false,
            header_timeout: HEADER_TIMEOUT,
            public_url: "http://127.0.0.1:8080".into(),
            mail_transport: "log",
            // A random key: the binary always gives the installation's; tests set their own.
            audit_key: AuditKey::from_bytes(rand::random()),
            checkpoint_dir: None,
            metrics_token: None,
            metrics_allow: metrics::loopback(),
            report_address: None,
        }
    }
}

/// Everything a handler needs, cheap to clone: one reference count, however many parts (the
/// state is cloned for every extractor and layer of every request; ten counts per clone showed
/// in the section page's profile).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    pub pool: PgPool,
    pub catalog: Arc<Catalog>,
    pub settings: Arc<Settings>,
    /// The installation's check-in signing key, read (or made) once from the database.
    pub checkin_key: Arc<tokio::sync::OnceCell<Vec<u8>>>,
    /// Whether the database answers, as the probe last found (started by `serve`).
    pub db_health: Arc<db_health::DbHealth>,
    /// Sign-in attempts per client address, in memory (a flood's first line).
    pub sign_in_gate: Arc<gate::SignInGate>,
    /// The connections requests use: the size of `pool`, given back without a round trip.
    pub requests: kenshu_db::requests::RequestPool,
    /// Sessions this instance may serve without asking the database (`serve` listens for
    /// their changes).
    pub sessions: Arc<session_cache::SessionCache>,
}

impl AppState {
    pub fn new(pool: PgPool, settings: Settings) -> Self {
        let requests = kenshu_db::requests::RequestPool::new(
            &pool.connect_options(),
            pool.options().get_max_connections(),
        );
        AppState(Arc::new(Shared {
            requests,
            sessions: Arc::default(),
            pool,
            catalog: Arc::new(Catalog::new()),
            settings: Arc::new(settings),
            checkin_key: Arc::default(),
            db_health: Arc::default(),
            sign_in_gate: Arc::default(),
        }))
    }
}

/// How long a client may take to send a request's headers. Connections that trickle headers
/// (or sit idle between requests) are closed after it, so they cannot pile up.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long requests in flight may take to finish after shutdown begins.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(30);

/// Serves the portal on `listener` until `shutdown` resolves, then finishes the requests in
/// flight (at most 30 seconds). Each request knows the peer's address (`ConnectInfo`), and a
/// client must send its headers within the settings' `header_timeout`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;

    db_health::spawn_probe(&state.db_health, (*state.pool.connect_options()).clone());
    if state.settings.session_cache {
        session_cache::spawn_listener(&state.sessions, (*state.pool.connect_options()).clone());
    }
    let header_timeout = state.settings.header_timeout;
    let app = app(state);
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let svc = tower::ServiceBuilder::new()
            .map_request(
                move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    req
                },
            )
            .service(app.clone());
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(svc))
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {DRAIN:?}: stopping anyway");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_debug_hides_the_audit_key_and_the_metrics_token() {
        let key = AuditKey::from_bytes([0xab; 32]);
        let settings = Settings {
            audit_key: key.clone(),
            metrics_token: Some("scrape-me-7f3a9c".into()),
            ..Default::default()
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("abab"), "{shown}");
        assert!(shown.contains(&key.fingerprint()), "{shown}");
        assert!(!shown.contains("scrape-me"), "{shown}");
        assert!(
            shown.contains("metrics_token: Some(\"(hidden)\")"),
            "{shown}"
        );
        assert!(shown.contains("127.0.0.0/8"), "{shown}");
    }
}
