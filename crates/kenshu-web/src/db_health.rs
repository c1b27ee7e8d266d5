//! Whether the database answers, known without asking it on every request. A probe of each
//! instance asks twice a second on a connection of its own; while the database does not answer,
//! every page that needs it answers at once with 503 and a Japanese page, instead of each
//! request waiting out the pool's acquire time-out. When it answers again the portal goes on
//! by itself: no restart.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

/// How often the probe asks, and how long it waits for an answer.
const EVERY: Duration = Duration::from_millis(500);
const WAIT: Duration = Duration::from_millis(800);

/// The last answer of the probe (starts as "up": the pool connected at start-up).
#[derive(Debug, Default)]
pub struct DbHealth {
    down: AtomicBool,
}

impl DbHealth {
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    fn set_down(&self, down: bool) {
        if self.down.swap(down, Ordering::AcqRel) != down {
            if down {
                tracing::error!("the database does not answer: pages answer 503 until it does");
            } else {
                tracing::info!("the database answers again");
            }
        }
    }
}

/// Probes the database until `health` is dropped (the portal stopped serving).
pub fn spawn_probe(health: &Arc<DbHealth>, options: PgConnectOptions) {
    let weak: Weak<DbHealth> = Arc::downgrade(health);
    tokio::spawn(async move {
        let mut conn: Option<PgConnection> = None;
        loop {
            let Some(health) = weak.upgrade() else {
                return;
            };
            let up = match conn.as_mut() {
                Some(c) => matches!(tokio::time::timeout(WAIT, c.ping()).await, Ok(Ok(()))),
                None => {
                    match tokio::time::timeout(WAIT, PgConnection::connect_with(&options)).await {
                        Ok(Ok(c)) => {
                            conn = Some(c);
                            true
                        }
                        _ => false,
                    }
                }
            };
            if !up {
                conn = None;
            }
            health.set_down(!up);
            drop(health);
            tokio::time::sleep(EVERY).await;
        }
    });
}
