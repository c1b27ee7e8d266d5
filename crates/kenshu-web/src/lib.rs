//! The HTTP interface and pages of Kenshu. `app(state)` is the whole portal as a router;
//! `serve(listener, state, shutdown)` runs it, so tests start the real server on port 0.

mod admin;
mod assets;
pub mod audit;
mod auth;
mod designation;
mod error;
mod exam;
mod health;
pub mod i18n;
mod in_person;
pub mod mail;
mod officer;
pub mod overview;
mod page;
mod person;
mod plan;
pub mod policy;
pub mod reminders;
pub mod report;
mod roster;
mod routes;
mod security;
mod session;
mod staff;
pub mod standing;

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
pub use routes::app;

/// Settings of the web layer. `Debug` is derived: the only secret, the audit key, shows as
/// its fingerprint.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Mark cookies `Secure`. Set when the portal is served over https (directly or behind a
    /// TLS-terminating proxy); requests that arrive with `X-Forwarded-Proto: https` get
    /// Secure cookies regardless.
    pub secure_cookies: bool,
    /// How long a session lasts after sign-in.
    pub session_hours: i64,
    /// The portal's address as people reach it, for links in mail.
    pub public_url: String,
    /// How mail leaves the portal, as the admin's mail page says it.
    pub mail_transport: &'static str,
    /// The key the audit log's entries are keyed with (kept outside the database).
    pub audit_key: AuditKey,
    /// Where checkpoints of the audit log's head are written (on each annual-report export)
    /// and read (by the chain check); none: not written, not read.
    pub checkpoint_dir: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            secure_cookies: false,
            session_hours: 10,
            public_url: "http://127.0.0.1:8080".into(),
            mail_transport: "log",
            // A random key: the binary always gives the installation's; tests set their own.
            audit_key: AuditKey::from_bytes(rand::random()),
            checkpoint_dir: None,
        }
    }
}

/// Everything a handler needs, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub catalog: Arc<Catalog>,
    pub settings: Arc<Settings>,
    /// The installation's check-in signing key, read (or made) once from the database.
    pub checkin_key: Arc<tokio::sync::OnceCell<Vec<u8>>>,
}

impl AppState {
    pub fn new(pool: PgPool, settings: Settings) -> Self {
        AppState {
            pool,
            catalog: Arc::new(Catalog::new()),
            settings: Arc::new(settings),
            checkin_key: Arc::default(),
        }
    }
}

/// Serves the portal on `listener` until `shutdown` resolves, then finishes the requests in
/// flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_debug_hides_the_audit_key() {
        let key = AuditKey::from_bytes([0xab; 32]);
        let settings = Settings {
            audit_key: key.clone(),
            ..Default::default()
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("abab"), "{shown}");
        assert!(shown.contains(&key.fingerprint()), "{shown}");
    }
}
