//! Time-based one-time passwords (RFC 6238), the second factor of the people who see others'
//! records (issue 16, item 4): a 160-bit secret shown once as a QR code and in base32, six
//! digits every 30 seconds, one step of clock drift either way, and never the same step twice
//! (a code seen over someone's shoulder cannot be used again). Recovery codes are shown once
//! and kept only as hashes. The codes themselves are `totp-rs`'s; this module holds the
//! portal's rules around them.

use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

/// Seconds per code.
pub const STEP: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Steps of clock drift accepted either way.
pub const SKEW: u64 = 1;
/// The issuer authenticator apps show.
pub const ISSUER: &str = "Kenshu";

/// A person's TOTP secret (20 bytes, as RFC 4226 recommends).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A secret from fresh random bytes.
    pub fn new(random: [u8; 20]) -> TotpSecret {
        TotpSecret(random.to_vec())
    }

    /// A stored secret; `None` unless it is 20 bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<TotpSecret> {
        (bytes.len() == 20).then_some(TotpSecret(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn totp(&self) -> Option<TOTP> {
        TOTP::new(Algorithm::SHA1, DIGITS, 0, STEP, self.0.clone()).ok()
    }

    /// The secret as people type it into an app: base32 in groups of four.
    pub fn base32(&self) -> String {
        let plain = base32::encode(base32::Alphabet::Rfc4648 { padding: false }, &self.0);
        plain
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The `otpauth://` address a QR code carries, for `account` (e.g. `demo:chief`).
    pub fn otpauth_uri(&self, account: &str) -> String {
        let secret = base32::encode(base32::Alphabet::Rfc4648 { padding: false }, &self.0);
        format!(
            "otpauth://totp/{ISSUER}:{}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
            percent_encode(account)
        )
    }

    /// The code of the step holding `unix` (seconds since 1970).
    pub fn code_at(&self, unix: u64) -> String {
        self.totp().map(|t| t.generate(unix)).unwrap_or_default()
    }

    /// Checks a typed code at `unix`: the step it belongs to (within the drift allowed), when
    /// that step is later than `last_step` (the last one accepted); otherwise `None`. Spaces
    /// and hyphens people type are ignored.
    pub fn verify(&self, typed: &str, unix: u64, last_step: Option<u64>) -> Option<u64> {
        let code: String = typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let totp = self.totp()?;
        let now = unix / STEP;
        (now.saturating_sub(SKEW)..=now + SKEW)
            .filter(|step| last_step.is_none_or(|last| *step > last))
            .find(|step| {
                let expected = totp.generate(step * STEP);
                constant_time_eq(expected.as_bytes(), code.as_bytes())
            })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Recovery codes from fresh random bytes (5 bytes each): `xxxx-xxxx` in lower-case base32,
/// easy to read aloud and to type.
pub fn recovery_codes(random: &[[u8; 5]]) -> Vec<String> {
    random
        .iter()
        .map(|r| {
            let s = base32::encode(base32::Alphabet::Rfc4648 { padding: false }, r).to_lowercase();
            format!("{}-{}", &s[..4], &s[4..])
        })
        .collect()
}

/// The hash a recovery code is kept as (its 40 random bits are too many to guess, so a fast
/// hash suffices); what people type is normalized first.
pub fn recovery_hash(typed: &str) -> [u8; 32] {
    let code: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(code.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret and times, the codes' last six digits.
    fn rfc() -> TotpSecret {
        TotpSecret::new(*b"12345678901234567890")
    }

    #[test]
    fn codes_are_rfc_6238s() {
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(rfc().code_at(time), code, "{time}");
        }
    }

    #[test]
    fn a_code_counts_once_within_one_step_of_drift() {
        let s = rfc();
        let t = 1_111_111_109; // step 37037036
        let step = t / STEP;
        assert_eq!(s.verify("081804", t, None), Some(step));
        assert_eq!(s.verify("081 804", t, None), Some(step), "spaces typed");
        assert_eq!(
            s.verify("081804", t + STEP, None),
            Some(step),
            "a step late"
        );
        assert_eq!(
            s.verify("081804", t - STEP, None),
            Some(step),
            "a step early"
        );
        assert_eq!(
            s.verify("081804", t + 2 * STEP, None),
            None,
            "two steps late"
        );
        assert_eq!(
            s.verify("081804", t, Some(step)),
            None,
            "the same step again"
        );
        assert_eq!(s.verify("081805", t, None), None);
        assert_eq!(s.verify("08180", t, None), None);
        assert_eq!(s.verify("abcdef", t, None), None);
        assert_eq!(s.verify("", t, None), None);
    }

    #[test]
    fn the_secret_is_shown_for_apps_and_never_in_debug_output() {
        let s = rfc();
        assert_eq!(s.base32(), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
        assert_eq!(
            s.otpauth_uri("demo:佐藤"),
            "otpauth://totp/Kenshu:demo%3A%E4%BD%90%E8%97%A4?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Kenshu&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(format!("{s:?}"), "TotpSecret(..)");
        assert!(TotpSecret::from_bytes(vec![1; 19]).is_none());
    }

    #[test]
    fn recovery_codes_read_aloud_and_match_however_typed() {
        let codes = recovery_codes(&[[0; 5], [255; 5]]);
        assert_eq!(codes, ["aaaa-aaaa", "7777-7777"]);
        assert_eq!(recovery_hash("7777-7777"), recovery_hash(" 77777777 "));
        assert_eq!(recovery_hash("AAAA-AAAA"), recovery_hash("aaaa-aaaa"));
        assert_ne!(recovery_hash("aaaa-aaaa"), recovery_hash("aaaa-aaab"));
    }
}
