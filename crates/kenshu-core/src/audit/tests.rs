//! The chain's rules: what verifies, and how each kind of tampering is named.

use super::*;

const INST: Uuid = Uuid::from_u128(7);

fn key() -> AuditKey {
    AuditKey::from_bytes([42; 32])
}

fn entry(prev: &[u8], seq: i64, scheme: Scheme, actor: &str) -> Entry {
    let mut e = Entry {
        seq,
        at_micros: seq * 1000,
        actor: actor.into(),
        action: "sign_in".into(),
        subject: String::new(),
        detail: String::new(),
        prev_hash: prev.to_vec(),
        hash: Vec::new(),
        scheme: scheme.id(),
    };
    rehash(&mut e, &key());
    e
}

/// Recomputes an entry's own hash under its scheme, as someone holding `key` could.
fn rehash(e: &mut Entry, key: &AuditKey) {
    e.hash = match Scheme::from_id(e.scheme) {
        Some(Scheme::Keyed) => entry_mac(key, &fields(INST, e)).to_vec(),
        _ => unkeyed_hash(e).to_vec(),
    };
}

/// `unkeyed` entries written before keying, then `keyed` ones.
fn chain(unkeyed: i64, keyed: i64) -> Vec<Entry> {
    let mut prev = GENESIS.to_vec();
    (1..=unkeyed + keyed)
        .map(|seq| {
            let scheme = if seq <= unkeyed {
                Scheme::Unkeyed
            } else {
                Scheme::Keyed
            };
            let e = entry(&prev, seq, scheme, "chief");
            prev = e.hash.clone();
            e
        })
        .collect()
}

fn verify_with(entries: &[Entry], key: &AuditKey, checkpoints: &[Checkpoint]) -> Verdict {
    let mut v = Verifier::new(key, INST, checkpoints);
    for e in entries {
        v.check(e);
    }
    v.finish()
}

fn verify(entries: &[Entry]) -> Verdict {
    verify_with(entries, &key(), &[])
}

fn broken(seq: i64, reason: BrokenReason) -> Verdict {
    Verdict::Broken(Broken { seq, reason })
}

fn checkpoint(e: &Entry) -> Checkpoint {
    Checkpoint::of(
        &Head {
            seq: e.seq,
            hash: e.hash.clone(),
        },
        "test",
        "2026-01-01T00:00:00Z".into(),
    )
}

/// Someone with only the database re-hashes every entry in the unkeyed form.
fn rehash_all_unkeyed(c: &mut [Entry], mark_unkeyed: bool) {
    let mut prev = GENESIS.to_vec();
    for e in c.iter_mut() {
        if mark_unkeyed {
            e.scheme = Scheme::Unkeyed.id();
        }
        e.prev_hash = prev.clone();
        e.hash = unkeyed_hash(e).to_vec();
        prev = e.hash.clone();
    }
}

#[test]
fn an_intact_chain_verifies_keyed_after_unkeyed() {
    assert_eq!(
        verify(&chain(2, 3)),
        Verdict::Intact {
            entries: 5,
            keyed: 3,
            checkpoints: 0
        }
    );
    assert_eq!(
        verify(&[]),
        Verdict::Intact {
            entries: 0,
            keyed: 0,
            checkpoints: 0
        }
    );
}

#[test]
fn an_altered_entry_is_named() {
    let mut c = chain(0, 5);
    c[2].detail = "changed".into();
    assert_eq!(verify(&c), broken(3, BrokenReason::Altered));
    assert_eq!(
        Broken {
            seq: 3,
            reason: BrokenReason::Altered
        }
        .finding()
        .exit_code(),
        3
    );
}

#[test]
fn an_altered_entry_with_its_hash_recomputed_under_the_key_breaks_the_next_link() {
    let mut c = chain(0, 5);
    c[2].actor = "someone".into();
    rehash(&mut c[2], &key());
    assert_eq!(verify(&c), broken(4, BrokenReason::ChainMismatch));
}

#[test]
fn a_deleted_entry_is_named() {
    let mut c = chain(0, 5);
    c.remove(1);
    let v = verify(&c);
    assert_eq!(v, broken(3, BrokenReason::Missing { expected: 2 }));
    let Verdict::Broken(b) = v else { panic!() };
    assert_eq!(b.to_string(), "entry 2 is missing: deleted");
    assert_eq!(b.finding(), Finding::Deleted);
}

#[test]
fn a_wrong_key_is_told_from_an_altered_entry() {
    let other = AuditKey::from_bytes([1; 32]);
    let v = verify_with(&chain(0, 4), &other, &[]);
    assert_eq!(v, broken(1, BrokenReason::WrongKey));
    let Verdict::Broken(b) = v else { panic!() };
    assert_eq!(b.finding(), Finding::WrongKey);
    assert_ne!(key().fingerprint(), other.fingerprint());
}

#[test]
fn a_full_unkeyed_re_hash_is_refused_however_it_is_marked() {
    let mut c = chain(0, 4);
    c[1].actor = "someone".into();
    rehash_all_unkeyed(&mut c, false);
    assert_eq!(verify(&c), broken(1, BrokenReason::Downgraded));

    let mut c = chain(0, 4);
    c[1].actor = "someone".into();
    rehash_all_unkeyed(&mut c, true);
    assert_eq!(verify(&c), broken(1, BrokenReason::Unanchored { to: 4 }));
    let original = chain(0, 4);
    assert_eq!(
        verify_with(&c, &key(), &[checkpoint(&original[2])]),
        broken(3, BrokenReason::Rewritten)
    );
}

#[test]
fn an_unkeyed_entry_after_keyed_ones_is_a_downgrade() {
    let mut c = chain(1, 3);
    c[3].scheme = Scheme::Unkeyed.id();
    c[3].actor = "someone".into();
    c[3].hash = unkeyed_hash(&c[3]).to_vec();
    assert_eq!(verify(&c), broken(4, BrokenReason::Downgraded));
}

#[test]
fn unkeyed_entries_are_vouched_for_by_a_keyed_entry_or_a_checkpoint() {
    let c = chain(3, 0);
    assert_eq!(verify(&c), broken(1, BrokenReason::Unanchored { to: 3 }));
    assert_eq!(
        verify_with(&c, &key(), &[checkpoint(&c[1])]),
        broken(3, BrokenReason::Unanchored { to: 3 })
    );
    assert_eq!(
        verify_with(&c, &key(), &[checkpoint(&c[2])]),
        Verdict::Intact {
            entries: 3,
            keyed: 0,
            checkpoints: 1
        }
    );
}

#[test]
fn a_truncated_tail_and_a_rewritten_one_are_found_against_a_checkpoint() {
    let c = chain(0, 5);
    let cp = checkpoint(&c[4]);
    assert_eq!(
        verify_with(&c[..3], &key(), std::slice::from_ref(&cp)),
        broken(4, BrokenReason::Truncated { checkpoint: 5 })
    );
    // Cut off at 3, then two new entries appended: the numbers continue, the hash differs.
    let mut regrown = c[..3].to_vec();
    for seq in 4..=5 {
        let prev = regrown[regrown.len() - 1].hash.clone();
        regrown.push(entry(&prev, seq, Scheme::Keyed, "new"));
    }
    assert_eq!(
        verify(&regrown),
        Verdict::Intact {
            entries: 5,
            keyed: 5,
            checkpoints: 0
        }
    );
    let v = verify_with(&regrown, &key(), &[cp]);
    assert_eq!(v, broken(5, BrokenReason::Rewritten));
    let Verdict::Broken(b) = v else { panic!() };
    assert_eq!(b.finding(), Finding::Truncated);
}

#[test]
fn an_entry_cannot_move_to_another_institution() {
    let c = chain(0, 2);
    let key = key();
    let mut v = Verifier::new(&key, Uuid::from_u128(8), &[]);
    for e in &c {
        v.check(e);
    }
    assert_eq!(v.finish(), broken(1, BrokenReason::WrongKey));
}

#[test]
fn fields_cannot_be_shifted_between_each_other() {
    assert_ne!(
        entry_hash(&GENESIS, 1, 0, "ab", "c", "", ""),
        entry_hash(&GENESIS, 1, 0, "a", "bc", "", "")
    );
}

#[test]
fn the_key_reads_from_hex_and_never_shows_in_debug() {
    let k = AuditKey::parse_hex(&format!(" {}\n", "ab".repeat(32))).unwrap();
    assert_eq!(k.to_hex(), "ab".repeat(32));
    assert!(!format!("{k:?}").contains("abab"));
    assert_eq!(AuditKey::parse_hex("abcd"), Err(BadKey));
    assert_eq!(AuditKey::parse_hex(&"zz".repeat(32)), Err(BadKey));
}

#[test]
fn checkpoint_lines_read_back_and_a_report_line_serves_as_one() {
    let c = chain(0, 1);
    let cp = checkpoint(&c[0]);
    assert_eq!(Checkpoint::parse(&cp.line()), Some(cp.clone()));
    for t in [&crate::i18n::JA, &crate::i18n::EN] {
        let printed = t.audit_head(Some(&Head {
            seq: 1,
            hash: c[0].hash.clone(),
        }));
        let from_report = Checkpoint::parse(&printed).unwrap();
        assert_eq!((from_report.seq, &from_report.hash), (1, &c[0].hash));
    }
    let text = format!(
        "# note\n{}other institution=x seq=9 hash={}\n",
        cp.line(),
        "0".repeat(64)
    );
    assert_eq!(Checkpoint::parse_all(&text, "test"), vec![cp]);
}

#[test]
fn the_mac_is_the_standard_hmac_sha256_under_the_32_byte_key() {
    let mut ours = key().mac();
    ours.update(b"kenshu");
    let mut standard = <HmacSha256 as KeyInit>::new_from_slice(&[42; 32]).unwrap();
    standard.update(b"kenshu");
    assert_eq!(
        ours.finalize().into_bytes(),
        standard.finalize().into_bytes()
    );
}
