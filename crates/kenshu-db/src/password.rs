//! Password hashing with argon2id. Hashing is deliberately slow: call these from
//! `spawn_blocking` on request paths.

use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes a password with argon2id and a fresh random salt, in PHC string form.
pub fn hash(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches `phc`. A malformed stored hash never matches.
pub fn verify(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Verifies against a throwaway hash, so that an unknown login takes as long as a known one.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(phc) = DUMMY.get_or_init(|| hash("kenshu-dummy-password").ok()) {
        let _ = verify(phc, password);
    }
}

/// Each argon2 computation takes 19 MiB and a core for tens of milliseconds. One at a time
/// (on a machine with more than two cores, all but one core) keeps a core free for people who
/// are already signed in, whatever a flood of sign-ins does.
static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    tokio::sync::Semaphore::new(cores.saturating_sub(1).clamp(1, 8))
});
/// A line of its own, one at a time, for people signing in on a browser they have used
/// before: a flood of strangers' attempts never queues in front of them.
static TRUSTED: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Jobs waiting for a turn in each line; past [`MAX_WAITING`] a new one is refused at once
/// instead of queueing behind a flood.
static WAITING: AtomicUsize = AtomicUsize::new(0);
static WAITING_TRUSTED: AtomicUsize = AtomicUsize::new(0);
pub const MAX_WAITING: usize = 32;

/// Which line a hashing job waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// Everyone else: new browsers, unknown names, password changes.
    General,
    /// A sign-in from a browser the person signed in with before.
    Trusted,
}

/// Why a hashing job did not run.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("too many password checks waiting")]
    Busy,
    #[error("{0}")]
    Failed(#[from] HashError),
}

/// Runs a hashing job on the blocking pool, a bounded number at a time; refuses it at once
/// when [`MAX_WAITING`] jobs already wait. Callers hold no database connection meanwhile.
pub async fn run_limited<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Refused> {
    run_in(Line::General, job).await
}

/// A line's turns and the count of jobs waiting in it.
fn line_of(line: Line) -> (&'static tokio::sync::Semaphore, &'static AtomicUsize) {
    match line {
        Line::General => (&HASHING, &WAITING),
        Line::Trusted => (&TRUSTED, &WAITING_TRUSTED),
    }
}

/// Whether a line already has [`MAX_WAITING`] jobs waiting (a new one would be refused).
pub fn is_full(line: Line) -> bool {
    line_of(line).1.load(Ordering::Acquire) >= MAX_WAITING
}

/// [`run_limited`] in the given line.
pub async fn run_in<T: Send + 'static>(
    line: Line,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Refused> {
    let (semaphore, waiting) = line_of(line);
    if waiting.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
        waiting.fetch_sub(1, Ordering::AcqRel);
        return Err(Refused::Busy);
    }
    let permit = semaphore.acquire().await;
    waiting.fetch_sub(1, Ordering::AcqRel);
    let _permit = permit.map_err(|e| HashError(e.to_string()))?;
    Ok(tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| HashError(e.to_string()))?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = super::hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(super::verify(&h, "correct horse battery"));
        assert!(!super::verify(&h, "wrong horse battery"));
        assert!(!super::verify("not a hash", "x"));
    }
}
