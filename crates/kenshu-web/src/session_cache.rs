//! Sessions remembered by this instance for a minute, so a signed-in page costs no session
//! query; PostgreSQL stays the one place sessions live.
//!
//! A session is served from here only while all of this holds, and read from the database
//! otherwise:
//! - the database found it alive less than a minute ago (`seen_at` moves on at most once a
//!   minute, so the idle timeout counts as it did without the cache), it has not reached its
//!   end, and the day in Japan is the one it was read on (a protection officer's designations
//!   start and end with the day);
//! - this instance is listening on the channel `kenshu_sessions` (migration 0043), on which
//!   every change to what the session query reads is announced at commit: a sign-out anywhere,
//!   every session of a person ended, an account deactivated or its role or division changed, a
//!   designation added or ended, an institution or division renamed. The entry goes at once.
//!   While the listening connection is down nothing is served from here, and everything cached
//!   is forgotten when it goes down (what was announced meanwhile is lost).
//!
//! A read that started before a change and finishes after its announcement must not put the
//! old session back: every announcement (and every loss of the listener) moves the epoch on,
//! and a session read from the database is kept only if the epoch did not move while it was
//! read ([`SessionCache::ticket`], [`SessionCache::keep`]).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use kenshu_db::session::SessionUser;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use time::Date;
use uuid::Uuid;

/// The channel of migration 0043.
pub const CHANNEL: &str = "kenshu_sessions";
/// The `application_name` of the listening connection.
pub const APPLICATION_NAME: &str = "kenshu-session-listener";
/// The longest a session is served from memory after the database last vouched for it.
pub const FRESH_FOR: Duration = Duration::from_secs(60);
/// More sessions than this are not all kept: the stale ones go first, then everything.
const CAPACITY: usize = 100_000;

struct Entry {
    user: Arc<SessionUser>,
    until: Instant,
    day: Date,
}

/// See the module documentation.
#[derive(Default)]
pub struct SessionCache {
    listening: AtomicBool,
    epoch: AtomicU64,
    entries: Mutex<HashMap<Vec<u8>, Entry>>,
    /// Dropped with the cache: the listener then stops.
    alive: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

/// Taken before a session is read from the database; see [`SessionCache::keep`].
#[derive(Clone, Copy)]
pub struct Ticket(u64);

impl SessionCache {
    /// The session behind `token_hash`, if it may be served from memory.
    pub fn get(&self, token_hash: &[u8]) -> Option<Arc<SessionUser>> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        let e = entries.get(token_hash)?;
        (Instant::now() < e.until && e.day == kenshu_core::japan_today()).then(|| e.user.clone())
    }

    /// How many sessions are kept now (some may be past serving).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether sessions are served from memory now (the listener is up).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// How many announcements (and losses of the listener) there have been.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// A ticket to keep what is about to be read; none while the listener is down.
    pub fn ticket(&self) -> Option<Ticket> {
        let epoch = self.epoch.load(Ordering::Acquire);
        self.listening
            .load(Ordering::Acquire)
            .then_some(Ticket(epoch))
    }

    /// Keeps a session just read from the database (taken after `ticket`) for `fresh_for`, if
    /// nothing was announced meanwhile.
    pub fn keep(&self, ticket: Ticket, token_hash: &[u8], user: &SessionUser, fresh_for: Duration) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        // Checked under the lock that `forget` takes too: an announcement is either seen here
        // or removes the entry after it is put.
        if !self.listening.load(Ordering::Acquire) || self.epoch.load(Ordering::Acquire) != ticket.0
        {
            return;
        }
        if entries.len() >= CAPACITY {
            let now = Instant::now();
            entries.retain(|_, e| e.until > now);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            token_hash.to_vec(),
            Entry {
                user: Arc::new(user.clone()),
                until: Instant::now() + fresh_for.min(FRESH_FOR),
                day: kenshu_core::japan_today(),
            },
        );
    }

    /// Forgets one session at once (signed out here), before its announcement arrives.
    pub fn forget_session(&self, token_hash: &[u8]) {
        if let Ok(mut entries) = self.entries.lock() {
            self.epoch.fetch_add(1, Ordering::AcqRel);
            entries.remove(token_hash);
        }
    }

    /// Forgets a person's sessions at once (their account changed here), before the
    /// announcement arrives: their next page shows the change, whichever instance serves it.
    pub fn forget_person(&self, user_id: Uuid) {
        self.forget(&[format!("u{user_id}")]);
    }

    /// Forgets an institution's sessions at once (designations or the roster changed here),
    /// before the announcement arrives.
    pub fn forget_institution(&self, institution_id: Uuid) {
        self.forget(&[format!("i{institution_id}")]);
    }

    /// Forgets what the announcements name ("u" + person, "i" + institution), in one pass over
    /// what is kept however many there are; anything else forgets everything.
    fn forget(&self, payloads: &[String]) {
        let mut people = HashSet::new();
        let mut institutions = HashSet::new();
        let mut everything = false;
        for p in payloads {
            match (
                p.get(..1),
                p.get(1..).and_then(|id| id.parse::<Uuid>().ok()),
            ) {
                (Some("u"), Some(id)) => {
                    people.insert(id);
                }
                (Some("i"), Some(id)) => {
                    institutions.insert(id);
                }
                _ => everything = true,
            }
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if everything {
            entries.clear();
        } else if !people.is_empty() || !institutions.is_empty() {
            entries.retain(|_, e| {
                !people.contains(&e.user.user_id) && !institutions.contains(&e.user.institution_id)
            });
        }
    }

    /// Stops serving from memory and forgets everything (the listener is down).
    fn deafen(&self) {
        self.listening.store(false, Ordering::Release);
        if let Ok(mut entries) = self.entries.lock() {
            self.epoch.fetch_add(1, Ordering::AcqRel);
            entries.clear();
        }
    }

    fn hear(&self) {
        if let Ok(entries) = self.entries.lock() {
            self.epoch.fetch_add(1, Ordering::AcqRel);
            drop(entries);
            self.listening.store(true, Ordering::Release);
        }
    }
}

/// Listens on [`CHANNEL`] until `cache` is dropped, reconnecting after a loss.
pub fn spawn_listener(cache: &Arc<SessionCache>, options: PgConnectOptions) {
    let weak: Weak<SessionCache> = Arc::downgrade(cache);
    let options = options.application_name(APPLICATION_NAME);
    let (alive, mut gone) = tokio::sync::oneshot::channel();
    if let Ok(mut slot) = cache.alive.lock() {
        *slot = Some(alive);
    }
    tokio::spawn(async move {
        let mut wait = Duration::from_millis(100);
        loop {
            if weak.strong_count() == 0 {
                return;
            }
            match listen(&weak, &options, &mut gone).await {
                Ok(()) => return,
                Err(e) => {
                    if let Some(cache) = weak.upgrade() {
                        cache.deafen();
                    }
                    tracing::warn!(error = %e, "the session listener lost its connection; sessions are read from the database until it is back");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
            }
        }
    });
}

/// One life of the listening connection: returns `Ok` when the cache is gone, `Err` when the
/// connection is lost.
async fn listen(
    weak: &Weak<SessionCache>,
    options: &PgConnectOptions,
    gone: &mut tokio::sync::oneshot::Receiver<()>,
) -> Result<(), sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_with(options.clone())
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.eager_reconnect(false);
    listener.ignore_pool_close_event(true);
    listener.listen(CHANNEL).await?;
    match weak.upgrade() {
        Some(cache) => cache.hear(),
        None => return Ok(()),
    }
    loop {
        let next = tokio::select! {
            next = listener.try_recv() => next,
            _ = &mut *gone => return Ok(()),
        };
        let Some(cache) = weak.upgrade() else {
            return Ok(());
        };
        match next {
            Ok(Some(first)) => {
                let mut payloads = vec![first.payload().to_string()];
                while let Some(n) = listener.next_buffered() {
                    payloads.push(n.payload().to_string());
                }
                cache.forget(&payloads);
            }
            Ok(None) => {
                cache.deafen();
                return Err(sqlx::Error::PoolClosed);
            }
            Err(e) => {
                cache.deafen();
                return Err(e);
            }
        }
    }
}
