//! Proving who is asking: signing in with a password, choosing a new password (one's own, or
//! through a one-time sign-in link), and the throttle rules both follow.
//!
//! The password checks run without holding a database connection: each use case takes the
//! connection the request already holds, gives it back before hashing, and takes one from the
//! [`RequestPool`] afterwards. Cookies, the flood gate of one instance and the wording of a
//! refusal belong to the caller (the web crate); what was decided comes back as an enum.

pub mod federated;
pub mod password;
pub mod second_factor;
pub mod sign_in;

use kenshu_db::requests::{Lease, RequestPool};
use kenshu_db::throttle::Rule;

/// An account, from browsers it has not signed in with: five free failures, then 1, 2, 4 …
/// seconds between attempts, at most 15 minutes (README, Security).
pub const ACCOUNT_RULE: Rule = Rule {
    free: 5,
    max_delay_secs: 900,
};
/// A browser the person signed in with before: its own count, so a stranger's failures on the
/// account never hold the person up there.
pub const DEVICE_RULE: Rule = Rule {
    free: 10,
    max_delay_secs: 900,
};
/// One client address across all accounts (password spraying). Generous: a whole office often
/// shares one address behind its proxy, and a short delay is all it earns.
pub const CLIENT_RULE: Rule = Rule {
    free: 50,
    max_delay_secs: 60,
};
/// The current password on the password page.
pub const PASSWORD_RULE: Rule = Rule {
    free: 5,
    max_delay_secs: 900,
};
/// Longest accepted sign-in name: an e-mail address is at most 254 characters.
pub const MAX_LOGIN: usize = 254;
/// Longest accepted institution code on the sign-in form.
pub const MAX_INSTITUTION: usize = 64;
/// Longer than any password the policy accepts (128 characters of up to 4 bytes).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// What stops a use case of this module short of an answer.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Every password check is taken and the queue is full: try again in a moment.
    #[error("too many password checks waiting")]
    Busy,
    #[error("password hashing failed")]
    Hashing(#[source] kenshu_db::password::HashError),
    #[error("database error")]
    Database(#[from] sqlx::Error),
}

impl From<kenshu_db::password::Refused> for AuthError {
    fn from(e: kenshu_db::password::Refused) -> Self {
        match e {
            kenshu_db::password::Refused::Busy => AuthError::Busy,
            kenshu_db::password::Refused::Failed(e) => AuthError::Hashing(e),
        }
    }
}

/// Either what was asked for, or a refusal the person can act on.
#[derive(Debug)]
pub enum Outcome<T, R> {
    Done(T),
    Refused(R),
}

/// Runs a password job with no connection held, then takes one back from the pool.
async fn without_connection<T: Send + 'static>(
    conn: Lease,
    pool: &RequestPool,
    line: kenshu_db::password::Line,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<(T, Lease), AuthError> {
    drop(conn);
    let value = kenshu_db::password::run_in(line, job).await?;
    Ok((value, pool.acquire().await?))
}
