//! Verifying a log: entries are checked in order of `seq`, one at a time, so a log of any
//! length verifies in constant memory; the verdict names the first place it breaks.
//!
//! What each finding rests on:
//! - a gap in the sequence numbers: entries deleted;
//! - an entry that does not carry the hash of the one before it: the one before was altered
//!   or replaced;
//! - an entry whose hash does not match its fields under the key: altered. This depends on
//!   the key, so when no keyed entry at all verifies while the chain is otherwise
//!   consistent, the key is the likelier culprit: wrong key;
//! - an unkeyed entry after a keyed one, or an entry marked keyed whose hash is the unkeyed
//!   SHA-256 of its fields: re-hashed without the key (a downgrade);
//! - a checkpoint (kept outside the database) whose entry now has another hash: rewritten
//!   since the checkpoint; one beyond the log's end: the tail was cut off (truncated);
//! - unkeyed entries that nothing vouches for (no keyed entry after them, no checkpoint at or
//!   after them): they cannot be told from a re-hash.

use uuid::Uuid;

use super::{AuditKey, Checkpoint, Entry, GENESIS, Scheme, own_hash_ok, unkeyed_hash};

/// Where and why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The first entry that does not verify (for a truncated log: the first one missing).
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
    /// It carries an unkeyed hash where a keyed one is due: re-hashed without the key.
    Downgraded,
    /// Its hash is not the one a checkpoint recorded: rewritten since the checkpoint.
    Rewritten,
    /// A checkpoint recorded entry `checkpoint`, but the log ends before it.
    Truncated { checkpoint: i64 },
    /// No keyed entry verifies under this key, though nothing else is wrong.
    WrongKey,
    /// Unkeyed entries from here to `to` that neither a keyed entry nor a checkpoint vouches
    /// for.
    Unanchored { to: i64 },
}

/// The kinds of findings `kenshu audit verify` tells apart, each with its own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    Altered,
    Deleted,
    Truncated,
    WrongKey,
    Unanchored,
}

impl Finding {
    /// The exit code of `kenshu audit verify` (1 is any other error, 2 a usage error).
    pub fn exit_code(self) -> u8 {
        match self {
            Finding::Altered => 3,
            Finding::Deleted => 4,
            Finding::Truncated => 5,
            Finding::WrongKey => 6,
            Finding::Unanchored => 7,
        }
    }
}

impl Broken {
    pub fn finding(&self) -> Finding {
        match self.reason {
            BrokenReason::Altered | BrokenReason::ChainMismatch | BrokenReason::Downgraded => {
                Finding::Altered
            }
            BrokenReason::Missing { .. } => Finding::Deleted,
            BrokenReason::Rewritten | BrokenReason::Truncated { .. } => Finding::Truncated,
            BrokenReason::WrongKey => Finding::WrongKey,
            BrokenReason::Unanchored { .. } => Finding::Unanchored,
        }
    }
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seq = self.seq;
        match self.reason {
            BrokenReason::Altered => write!(
                f,
                "entry {seq} was altered: its contents do not match its hash"
            ),
            BrokenReason::ChainMismatch => write!(
                f,
                "entry {seq} does not follow entry {}: the earlier entry was altered or replaced",
                seq - 1
            ),
            BrokenReason::Missing { expected } if expected == seq - 1 => {
                write!(f, "entry {expected} is missing: deleted")
            }
            BrokenReason::Missing { expected } => {
                write!(f, "entries {expected} to {} are missing: deleted", seq - 1)
            }
            BrokenReason::Downgraded => write!(
                f,
                "entry {seq} was re-hashed without the key: it carries an unkeyed hash where a keyed one is due"
            ),
            BrokenReason::Rewritten => write!(
                f,
                "entry {seq} is not the one the checkpoint recorded: the log was rewritten since the checkpoint"
            ),
            BrokenReason::Truncated { checkpoint } => write!(
                f,
                "the log ends at entry {} but a checkpoint recorded entry {checkpoint}: the tail was deleted (truncated)",
                seq - 1
            ),
            BrokenReason::WrongKey => write!(
                f,
                "no keyed entry verifies under this key, though the chain is otherwise consistent: wrong key (use the key the log was written with)"
            ),
            BrokenReason::Unanchored { to } => write!(
                f,
                "entries {seq} to {to} are unkeyed and neither a keyed entry nor a checkpoint vouches for them: anyone with database access could have re-hashed them"
            ),
        }
    }
}

/// The result of verifying a whole log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        entries: i64,
        /// Of which keyed (the rest were written before the log was keyed).
        keyed: i64,
        /// Checkpoints the log was checked against.
        checkpoints: usize,
    },
    Broken(Broken),
}

/// Checks one institution's entries in order of `seq`, then gives the verdict.
#[derive(Debug)]
pub struct Verifier<'a> {
    key: &'a AuditKey,
    institution: Uuid,
    /// Sorted by seq; `next_checkpoint` is the first not yet reached.
    checkpoints: Vec<(i64, Vec<u8>)>,
    next_checkpoint: usize,
    next_seq: i64,
    prev: Vec<u8>,
    keyed_seen: bool,
    keyed_ok: i64,
    keyed_bad: i64,
    /// The highest seq a verified keyed entry or a matching checkpoint vouches for.
    vouched: i64,
    /// The first finding that does not depend on the key being right.
    certain: Option<Broken>,
    /// The first keyed entry whose hash does not verify under this key.
    mac_failed: Option<Broken>,
}

impl<'a> Verifier<'a> {
    pub fn new(key: &'a AuditKey, institution: Uuid, checkpoints: &[Checkpoint]) -> Self {
        let mut checkpoints: Vec<(i64, Vec<u8>)> = checkpoints
            .iter()
            .filter(|c| c.seq > 0)
            .map(|c| (c.seq, c.hash.clone()))
            .collect();
        checkpoints.sort();
        Verifier {
            key,
            institution,
            checkpoints,
            next_checkpoint: 0,
            next_seq: 1,
            prev: GENESIS.to_vec(),
            keyed_seen: false,
            keyed_ok: 0,
            keyed_bad: 0,
            vouched: 0,
            certain: None,
            mac_failed: None,
        }
    }

    fn certain(&mut self, seq: i64, reason: BrokenReason) {
        self.certain.get_or_insert(Broken { seq, reason });
    }

    pub fn check(&mut self, e: &Entry) {
        if e.seq != self.next_seq {
            self.certain(
                e.seq,
                BrokenReason::Missing {
                    expected: self.next_seq,
                },
            );
        }
        match Scheme::from_id(e.scheme) {
            Some(Scheme::Keyed) => {
                self.keyed_seen = true;
                if own_hash_ok(self.key, self.institution, e) {
                    self.keyed_ok += 1;
                    self.vouched = e.seq;
                } else if unkeyed_hash(e).as_slice() == e.hash.as_slice() {
                    self.certain(e.seq, BrokenReason::Downgraded);
                } else {
                    self.keyed_bad += 1;
                    self.mac_failed.get_or_insert(Broken {
                        seq: e.seq,
                        reason: BrokenReason::Altered,
                    });
                }
            }
            Some(Scheme::Unkeyed) if self.keyed_seen => {
                self.certain(e.seq, BrokenReason::Downgraded);
            }
            Some(Scheme::Unkeyed) if !own_hash_ok(self.key, self.institution, e) => {
                self.certain(e.seq, BrokenReason::Altered);
            }
            Some(Scheme::Unkeyed) => {}
            None => self.certain(e.seq, BrokenReason::Altered),
        }
        if e.prev_hash != self.prev {
            self.certain(e.seq, BrokenReason::ChainMismatch);
        }
        while let Some((seq, hash)) = self.checkpoints.get(self.next_checkpoint) {
            if *seq > e.seq {
                break;
            }
            if *seq == e.seq {
                if *hash == e.hash {
                    self.vouched = self.vouched.max(e.seq);
                } else {
                    self.certain(e.seq, BrokenReason::Rewritten);
                }
            }
            self.next_checkpoint += 1;
        }
        self.prev = e.hash.clone();
        self.next_seq = e.seq + 1;
    }

    /// The verdict once every entry has been checked.
    pub fn finish(self) -> Verdict {
        let head = self.next_seq - 1;
        // A hash that fails under this key means an altered entry only if the key is right,
        // which some other keyed entry verifying shows.
        let altered = (self.keyed_ok > 0)
            .then(|| self.mac_failed.clone())
            .flatten();
        let earliest = [self.certain, altered]
            .into_iter()
            .flatten()
            .min_by_key(|b| b.seq);
        if let Some(broken) = earliest {
            return Verdict::Broken(broken);
        }
        if self.keyed_bad > 0 {
            return Verdict::Broken(Broken {
                seq: self.mac_failed.map_or(1, |b| b.seq),
                reason: BrokenReason::WrongKey,
            });
        }
        if let Some((checkpoint, _)) = self.checkpoints.last()
            && *checkpoint > head
        {
            return Verdict::Broken(Broken {
                seq: head + 1,
                reason: BrokenReason::Truncated {
                    checkpoint: *checkpoint,
                },
            });
        }
        if self.vouched < head && !self.keyed_seen {
            return Verdict::Broken(Broken {
                seq: self.vouched + 1,
                reason: BrokenReason::Unanchored { to: head },
            });
        }
        Verdict::Intact {
            entries: head,
            keyed: self.keyed_ok,
            checkpoints: self.next_checkpoint,
        }
    }
}
