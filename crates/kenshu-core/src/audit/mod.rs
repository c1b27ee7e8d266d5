//! The audit log's chain (監査ログ): each entry's hash covers the hash of the entry before it
//! and every field of its own, so altering an entry, or deleting one, breaks the chain from
//! there on.
//!
//! Entries are keyed: their hash is an HMAC-SHA256 under a key that is kept outside the
//! database (see [`AuditKey`]), so someone who can only reach the database cannot compute a
//! hash for an entry of their own making. Entries written before keying (scheme 1, a plain
//! SHA-256) still verify, as long as nothing keyed came before them.

pub mod action;
pub mod checkpoint;
pub mod verify;

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use action::AuditAction;
pub use checkpoint::Checkpoint;
pub use verify::{Broken, BrokenReason, Finding, Verdict, Verifier};

/// The hash the first entry of an institution's log follows.
pub const GENESIS: [u8; 32] = [0; 32];

type HmacSha256 = hmac::Hmac<sha2_hmac::Sha256>;

/// How an entry's hash was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// SHA-256 of the fields: entries written before the log was keyed.
    Unkeyed,
    /// HMAC-SHA256 of the fields and the institution under the installation's key.
    Keyed,
}

impl Scheme {
    /// The number stored in `audit_log.scheme`.
    pub fn id(self) -> i16 {
        match self {
            Scheme::Unkeyed => 1,
            Scheme::Keyed => 2,
        }
    }

    pub fn from_id(id: i16) -> Option<Self> {
        match id {
            1 => Some(Scheme::Unkeyed),
            2 => Some(Scheme::Keyed),
            _ => None,
        }
    }
}

/// The secret the chain is keyed with: 32 bytes that never enter the database. Its `Debug`
/// shows only a fingerprint, so settings holding it can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; 32]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an audit key is 64 hexadecimal digits (32 bytes)")]
pub struct BadKey;

impl AuditKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        AuditKey(bytes)
    }

    /// Reads a key written as 64 hexadecimal digits (surrounding white space ignored).
    pub fn parse_hex(s: &str) -> Result<Self, BadKey> {
        let bytes = hex::decode(s.trim()).map_err(|_| BadKey)?;
        Ok(AuditKey(bytes.try_into().map_err(|_| BadKey)?))
    }

    /// The key as 64 hexadecimal digits, as the key file holds it.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A short public name of the key (it reveals nothing of it), to tell keys apart in
    /// messages: the first 8 hex digits of an HMAC of a fixed text.
    pub fn fingerprint(&self) -> String {
        let mut mac = self.mac();
        mac.update(b"kenshu-audit-key-fingerprint");
        hex::encode(&mac.finalize().into_bytes()[..4])
    }

    /// The seed of an attempt's question draw ([`crate::bank::attempt_seed`] under this key):
    /// the page that shows a drawn test and the submission that grades it draw alike.
    pub fn draw_seed(&self, attempt: uuid::Uuid) -> u64 {
        crate::bank::attempt_seed(&self.0, attempt)
    }

    /// A key of its own for another use (`label` names it), derived from this one so that the
    /// portal keeps one secret: e.g. the key that seals a directory's look-up password. It
    /// reveals nothing of this key or of another label's.
    pub fn subkey(&self, label: &str) -> [u8; 32] {
        let mut mac = self.mac();
        mac.update(b"kenshu-subkey:");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC pads a key shorter than the hash's 64-byte block with zeros; padding it here
        // gives the same MAC through the constructor that cannot fail.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.0);
        <HmacSha256 as KeyInit>::new(&block.into())
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({}…, hidden)", self.fingerprint())
    }
}

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: i64,
    /// Microseconds since the Unix epoch (what PostgreSQL's timestamptz keeps).
    pub at_micros: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    /// [`Scheme::id`] as stored; anything else is an altered entry.
    pub scheme: i16,
}

/// The fields every scheme hashes, each length-prefixed, so no two different entries hash
/// the same bytes.
fn feed(mut update: impl FnMut(&[u8]), prev: &[u8], seq: i64, at_micros: i64, fields: [&str; 4]) {
    update(&(prev.len() as u64).to_be_bytes());
    update(prev);
    update(&seq.to_be_bytes());
    update(&at_micros.to_be_bytes());
    for field in fields {
        update(&(field.len() as u64).to_be_bytes());
        update(field.as_bytes());
    }
}

/// The unkeyed hash (scheme 1) of an entry with these fields after `prev`.
pub fn entry_hash(
    prev: &[u8],
    seq: i64,
    at_micros: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"kenshu-audit-v1");
    feed(
        |b| h.update(b),
        prev,
        seq,
        at_micros,
        [actor, action, subject, detail],
    );
    h.finalize().into()
}

/// What a keyed hash covers besides the key: the institution (so an entry cannot be moved to
/// another institution's log) and the fields.
pub struct Fields<'a> {
    pub institution: Uuid,
    pub prev: &'a [u8],
    pub seq: i64,
    pub at_micros: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub detail: &'a str,
}

/// The keyed hash (scheme 2) of an entry.
pub fn entry_mac(key: &AuditKey, f: &Fields<'_>) -> [u8; 32] {
    let mut mac = key.mac();
    mac.update(b"kenshu-audit-v2");
    mac.update(f.institution.as_bytes());
    feed(
        |b| mac.update(b),
        f.prev,
        f.seq,
        f.at_micros,
        [f.actor, f.action, f.subject, f.detail],
    );
    mac.finalize().into_bytes().into()
}

/// Whether an entry's own hash matches its fields under its scheme (the chain's links are
/// the verifier's business).
pub fn own_hash_ok(key: &AuditKey, institution: Uuid, e: &Entry) -> bool {
    let expected = match Scheme::from_id(e.scheme) {
        Some(Scheme::Keyed) => entry_mac(key, &fields(institution, e)),
        Some(Scheme::Unkeyed) => unkeyed_hash(e),
        None => return false,
    };
    constant_time_eq(&expected, &e.hash)
}

fn fields(institution: Uuid, e: &Entry) -> Fields<'_> {
    Fields {
        institution,
        prev: &e.prev_hash,
        seq: e.seq,
        at_micros: e.at_micros,
        actor: &e.actor,
        action: &e.action,
        subject: &e.subject,
        detail: &e.detail,
    }
}

fn unkeyed_hash(e: &Entry) -> [u8; 32] {
    entry_hash(
        &e.prev_hash,
        e.seq,
        e.at_micros,
        &e.actor,
        &e.action,
        &e.subject,
        &e.detail,
    )
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The last entry of a log: what the annual report prints and a checkpoint records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: Vec<u8>,
}

#[cfg(test)]
mod tests;
