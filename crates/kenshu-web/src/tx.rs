//! The request's transaction: the `Tx` extractor begins one on the connection the request
//! already holds (the one the session layer used, see `session::Conn`), so a command handler
//! reads extract → authorize → call the use case → `commit` → render. A transaction that is
//! not committed is rolled back: the `ROLLBACK` is queued when `Tx` is dropped and sent by the
//! request pool before the connection is lent again (`kenshu_db::requests`), as for a dropped
//! `sqlx::Transaction`.

use std::ops::{Deref, DerefMut};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use kenshu_db::PgConnection;
use kenshu_db::requests::Lease;
use sqlx::postgres::PgTransactionManager;
use sqlx_core::transaction::TransactionManager;

use crate::session::Conn;
use crate::{AppError, AppState};

/// An open transaction on the request's connection; derefs to the connection, so use cases
/// take it as `&mut PgConnection`.
pub struct Tx {
    /// Taken out only by `commit`.
    lease: Option<Lease>,
}

impl Tx {
    /// Begins a transaction on `conn` (one statement, `BEGIN`).
    pub async fn begin(Conn(lease): Conn) -> Result<Tx, AppError> {
        let mut tx = Tx { lease: Some(lease) };
        // Begun through sqlx's own transaction manager, so the connection knows it is in a
        // transaction (the audit log's append checks it) and a failed BEGIN is rolled back.
        PgTransactionManager::begin(&mut tx, None).await?;
        Ok(tx)
    }

    /// Commits, and hands the connection back for rendering the answer.
    pub async fn commit(mut self) -> Result<Conn, AppError> {
        let Some(mut lease) = self.lease.take() else {
            return Err(AppError::Internal("the transaction has ended".into()));
        };
        PgTransactionManager::commit(&mut lease).await?;
        Ok(Conn(lease))
    }

    /// Rolls back (the `ROLLBACK` goes with the connection's next statement), and hands the
    /// connection back for rendering the answer.
    pub fn rollback(mut self) -> Result<Conn, AppError> {
        let Some(mut lease) = self.lease.take() else {
            return Err(AppError::Internal("the transaction has ended".into()));
        };
        PgTransactionManager::start_rollback(&mut lease);
        Ok(Conn(lease))
    }
}

impl Deref for Tx {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        // Only `commit`, which consumes the `Tx`, takes the connection out.
        self.lease.as_deref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.lease.as_deref_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if let Some(lease) = self.lease.as_deref_mut() {
            PgTransactionManager::start_rollback(lease);
        }
    }
}

impl FromRequestParts<AppState> for Tx {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Tx::begin(Conn::from_request_parts(parts, state).await?).await
    }
}
