//! The audit log's chain (監査ログ): each entry's hash covers the hash of the entry before it
//! and every field of its own, so altering an entry, or deleting one, breaks the chain from
//! there on. Verification names the first entry where it breaks.

use sha2::{Digest, Sha256};

/// The hash the first entry of an institution's log follows.
pub const GENESIS: [u8; 32] = [0; 32];

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
}

/// The hash of an entry with these fields after `prev`. Every field is length-prefixed, so
/// no two different entries hash the same bytes.
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
    h.update((prev.len() as u64).to_be_bytes());
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(at_micros.to_be_bytes());
    for field in [actor, action, subject, detail] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().into()
}

/// Where and why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The first entry that does not verify.
    pub seq: i64,
    pub reason: BrokenReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokenReason {
    /// Its fields do not give its hash: it was altered.
    Altered,
    /// It does not follow the entry before it: the one before was altered or replaced.
    ChainMismatch,
    /// Entries before it are missing: deleted.
    Missing { expected: i64 },
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.reason {
            BrokenReason::Altered => write!(
                f,
                "entry {} was altered: its contents do not match its hash",
                self.seq
            ),
            BrokenReason::ChainMismatch => write!(
                f,
                "entry {} does not follow entry {}: the earlier entry was altered or replaced",
                self.seq,
                self.seq - 1
            ),
            BrokenReason::Missing { expected } if expected == self.seq - 1 => {
                write!(f, "entry {expected} is missing: deleted")
            }
            BrokenReason::Missing { expected } => write!(
                f,
                "entries {expected} to {} are missing: deleted",
                self.seq - 1
            ),
        }
    }
}

/// Checks entries in order of `seq`, one at a time, so a log of any length verifies in
/// constant memory.
#[derive(Debug, Clone)]
pub struct Verifier {
    next_seq: i64,
    prev: Vec<u8>,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            next_seq: 1,
            prev: GENESIS.to_vec(),
        }
    }
}

impl Verifier {
    pub fn check(&mut self, e: &Entry) -> Result<(), Broken> {
        let broken = |reason| Broken { seq: e.seq, reason };
        if e.seq != self.next_seq {
            return Err(broken(BrokenReason::Missing {
                expected: self.next_seq,
            }));
        }
        let own = entry_hash(
            &e.prev_hash,
            e.seq,
            e.at_micros,
            &e.actor,
            &e.action,
            &e.subject,
            &e.detail,
        );
        if own.as_slice() != e.hash.as_slice() {
            return Err(broken(BrokenReason::Altered));
        }
        if e.prev_hash != self.prev {
            return Err(broken(BrokenReason::ChainMismatch));
        }
        self.prev = e.hash.clone();
        self.next_seq += 1;
        Ok(())
    }

    /// How many entries verified so far.
    pub fn count(&self) -> i64 {
        self.next_seq - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_vec();
        (1..=n)
            .map(|seq| {
                let hash = entry_hash(&prev, seq, seq * 1000, "chief", "sign_in", "", "");
                let e = Entry {
                    seq,
                    at_micros: seq * 1000,
                    actor: "chief".into(),
                    action: "sign_in".into(),
                    subject: String::new(),
                    detail: String::new(),
                    prev_hash: prev.clone(),
                    hash: hash.to_vec(),
                };
                prev = hash.to_vec();
                e
            })
            .collect()
    }

    fn verify(entries: &[Entry]) -> Result<i64, Broken> {
        let mut v = Verifier::default();
        for e in entries {
            v.check(e)?;
        }
        Ok(v.count())
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn an_altered_entry_is_named() {
        let mut c = chain(5);
        c[2].detail = "changed".into();
        assert_eq!(
            verify(&c),
            Err(Broken {
                seq: 3,
                reason: BrokenReason::Altered
            })
        );
    }

    #[test]
    fn an_altered_entry_with_its_hash_recomputed_breaks_the_next_link() {
        let mut c = chain(5);
        c[2].actor = "someone".into();
        c[2].hash = entry_hash(&c[2].prev_hash, 3, 3000, "someone", "sign_in", "", "").to_vec();
        assert_eq!(
            verify(&c),
            Err(Broken {
                seq: 4,
                reason: BrokenReason::ChainMismatch
            })
        );
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let mut c = chain(5);
        c.remove(1);
        let err = verify(&c).unwrap_err();
        assert_eq!(
            err,
            Broken {
                seq: 3,
                reason: BrokenReason::Missing { expected: 2 }
            }
        );
        assert_eq!(err.to_string(), "entry 2 is missing: deleted");
    }

    #[test]
    fn fields_cannot_be_shifted_between_each_other() {
        assert_ne!(
            entry_hash(&GENESIS, 1, 0, "ab", "c", "", ""),
            entry_hash(&GENESIS, 1, 0, "a", "bc", "", "")
        );
    }
}
