//! The connections that serve requests: a small pool that takes a connection back without a
//! round trip.
//!
//! sqlx's pool pings every connection when it goes back (`PoolConnection`'s return path), to
//! flush a rollback left by a dropped transaction. On the section page that ping was one of three
//! round trips and a third of PostgreSQL's work. Here a connection goes back as it is when it is
//! clean: nothing waits in its write buffer (a dropped transaction's `ROLLBACK` would) and no
//! transaction is open. Otherwise it is flushed (sqlx's `ping`) in a task of its own before it
//! goes back, holding its place in the pool meanwhile, so an abandoned transaction never sits idle
//! with its locks. A statement whose future was dropped half-way needs nothing: the next query
//! on the connection first reads what is left of the answer (sqlx's `wait_until_ready`).
//!
//! A broken connection (the server restarted, the network cut) cannot be seen from outside;
//! [`suspect`] is told of every connection-level error (the web layer's error conversion does
//! it), and then every connection handed out before is pinged before it is used or kept again.
//! Connections idle for longer than [`IDLE_CHECK`] are pinged before they are handed out.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Error};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

/// The `application_name` of request connections (what `pg_stat_activity` shows).
pub const APPLICATION_NAME: &str = "kenshu-requests";
/// A connection idle for longer than this is pinged before it is handed out again.
pub const IDLE_CHECK: Duration = Duration::from_secs(30);
/// How long a request waits for a connection before it fails (as sqlx's `PoolTimedOut`).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Bumped by [`suspect`]: connections from before it are pinged before they are trusted again.
static SUSPICION: AtomicU64 = AtomicU64::new(0);

/// Tells the pools that a connection failed at the connection level (I/O, protocol, TLS): the
/// one that did cannot be named, so every connection out or idle is pinged once before its next
/// use (a pool of dead connections then heals by itself after a database restart).
pub fn suspect(error: &Error) {
    let lost = match error {
        Error::Io(_) | Error::Protocol(_) | Error::Tls(_) => true,
        // 08*: connection exception; 57P01–57P03: the server shut down or is starting.
        Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
        _ => false,
    };
    if lost {
        SUSPICION.fetch_add(1, Ordering::AcqRel);
    }
}

struct Idle {
    conn: PgConnection,
    since: Instant,
    suspicion: u64,
}

struct Inner {
    options: PgConnectOptions,
    idle: Mutex<Vec<Idle>>,
    permits: Arc<Semaphore>,
    size: u32,
    /// Requests waiting for a permit (for the metrics).
    waiting: AtomicU32,
}

/// How the pool stands at one moment (for the metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// The most connections it opens.
    pub size: u32,
    /// Connections lent out (or being opened, or being flushed before they go back).
    pub in_use: u32,
    /// Connections waiting for a request.
    pub idle: u32,
    /// Requests waiting for a connection.
    pub waiting: u32,
}

/// The pool of request connections; cheap to clone.
#[derive(Clone)]
pub struct RequestPool {
    inner: Arc<Inner>,
}

impl RequestPool {
    /// A pool of at most `size` connections made with `options` (named [`APPLICATION_NAME`]);
    /// connections are made when first needed.
    pub fn new(options: &PgConnectOptions, size: u32) -> RequestPool {
        let size = size.max(1);
        RequestPool {
            inner: Arc::new(Inner {
                options: options.clone().application_name(APPLICATION_NAME),
                idle: Mutex::new(Vec::with_capacity(size as usize)),
                permits: Arc::new(Semaphore::new(size as usize)),
                size,
                waiting: AtomicU32::new(0),
            }),
        }
    }

    /// How the pool stands now.
    pub fn stats(&self) -> PoolStats {
        let free = u32::try_from(self.inner.permits.available_permits()).unwrap_or(u32::MAX);
        let idle = self.inner.idle.lock().map_or(0, |idle| idle.len());
        PoolStats {
            size: self.inner.size,
            in_use: self.inner.size.saturating_sub(free),
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            waiting: self.inner.waiting.load(Ordering::Relaxed),
        }
    }

    /// A connection, waiting at most ten seconds for one to be free.
    pub async fn acquire(&self) -> Result<Lease, Error> {
        let permit = match self.inner.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(TryAcquireError::Closed) => return Err(Error::PoolClosed),
            Err(TryAcquireError::NoPermits) => {
                // Counted only when it has to wait: the usual case costs nothing more. The
                // guard uncounts it also when the request is dropped while it waits.
                let _waiting = Waiting::new(&self.inner.waiting);
                let waited = tokio::time::timeout(
                    ACQUIRE_TIMEOUT,
                    self.inner.permits.clone().acquire_owned(),
                )
                .await;
                match waited {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_)) => return Err(Error::PoolClosed),
                    Err(_) => return Err(Error::PoolTimedOut),
                }
            }
        };
        self.lease(permit).await
    }

    /// A connection if one is free right now (never waits for another request's).
    pub async fn try_acquire(&self) -> Result<Option<Lease>, Error> {
        match self.inner.permits.clone().try_acquire_owned() {
            Ok(permit) => self.lease(permit).await.map(Some),
            Err(_) => Ok(None),
        }
    }

    async fn lease(&self, permit: OwnedSemaphorePermit) -> Result<Lease, Error> {
        let suspicion = SUSPICION.load(Ordering::Acquire);
        loop {
            let idle = self.inner.idle.lock().ok().and_then(|mut idle| idle.pop());
            let Some(mut idle) = idle else {
                let conn = PgConnection::connect_with(&self.inner.options).await?;
                return Ok(self.leased(conn, permit, suspicion));
            };
            let doubtful = idle.suspicion != suspicion || idle.since.elapsed() > IDLE_CHECK;
            if !doubtful || idle.conn.ping().await.is_ok() {
                return Ok(self.leased(idle.conn, permit, suspicion));
            }
            // Dead: drop it and take the next one (or make a new one).
        }
    }

    fn leased(&self, conn: PgConnection, permit: OwnedSemaphorePermit, suspicion: u64) -> Lease {
        Lease {
            conn: Some(conn),
            inner: self.inner.clone(),
            permit: Some(permit),
            suspicion,
        }
    }
}

/// One request waiting for a permit, for as long as it lives.
struct Waiting<'a>(&'a AtomicU32);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicU32) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A connection of the [`RequestPool`], lent to one request; it goes back when dropped.
pub struct Lease {
    conn: Option<PgConnection>,
    inner: Arc<Inner>,
    permit: Option<OwnedSemaphorePermit>,
    suspicion: u64,
}

impl Deref for Lease {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        // Only `Drop` takes the connection out.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Inner {
    fn keep(&self, conn: PgConnection, suspicion: u64) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(Idle {
                conn,
                since: Instant::now(),
                suspicion,
            });
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let (Some(mut conn), permit) = (self.conn.take(), self.permit.take()) else {
            return;
        };
        let now = SUSPICION.load(Ordering::Acquire);
        let clean = !conn.should_flush() && !conn.is_in_transaction() && self.suspicion == now;
        if clean {
            // Kept before the permit is released (the field drops after this), so the next
            // request finds it.
            self.inner.keep(conn, now);
            drop(permit);
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let inner = self.inner.clone();
        runtime.spawn(async move {
            // Sends the queued rollback (if any) and waits for the answer; the permit is held
            // until then, so the pool never opens more than its size.
            if matches!(
                tokio::time::timeout(ACQUIRE_TIMEOUT, conn.ping()).await,
                Ok(Ok(()))
            ) && !conn.is_in_transaction()
            {
                inner.keep(conn, now);
            }
            drop(permit);
        });
    }
}
