//! PostgreSQL access for Kenshu. One module per aggregate; every query that reads tenant data
//! takes the institution id. Functions take `&mut PgConnection` so that a caller can compose
//! several in one transaction.

pub mod audit;
pub mod audit_anchor;
pub mod content;
pub mod designation;
pub mod digest;
pub mod directory;
pub mod drill;
pub mod embedded;
pub mod exam;
pub mod follow_up;
pub mod in_person;
pub mod insights;
pub mod institution;
pub mod learning;
pub mod oidc;
pub mod overview;
pub mod password;
pub mod person;
pub mod plan;
pub mod reminder;
pub mod report;
pub mod requests;
pub mod roles;
pub mod roster;
pub mod rules;
pub mod second_factor;
pub mod session;
pub mod throttle;
pub mod token;

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
pub use sqlx::{PgConnection, PgPool, Postgres, Transaction};

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// Opens a pool of at most `max` connections.
pub async fn connect(options: PgConnectOptions, max: u32) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        // A ping on every checkout doubled the round trips of a page; a broken connection
        // surfaces as an error on its first query instead, and the pool replaces it.
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        // JIT compiling costs a report query (the institution overview) more than it saves.
        .connect_with(options.options([("jit", "off")]))
        .await
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// Whether a database error is a violation of the named exclusion constraint (SQLSTATE 23P01):
/// two rows that may not both hold, such as overlapping periods.
pub fn is_exclusion_violation(err: &sqlx::Error, constraint: &str) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.code().as_deref() == Some("23P01") && e.constraint() == Some(constraint))
}

/// Whether a database error is a unique violation of the named constraint.
pub fn is_unique_violation(err: &sqlx::Error, constraint: &str) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation() && e.constraint() == Some(constraint))
}
