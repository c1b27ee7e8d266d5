//! Secrets the portal must keep and use again (a directory's look-up password), sealed at rest:
//! XChaCha20-Poly1305 under a key derived from the portal's key ([`AuditKey::subkey`]), bound
//! to what they belong to (the associated data, e.g. the institution), so that a database dump
//! or a row copied to another institution reveals nothing and opens nothing.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::audit::AuditKey;

/// The label of the key that seals directory passwords.
pub const DIRECTORY_PASSWORD: &str = "directory-bind-password-v1";
/// The label of the key that seals people's TOTP secrets (bound to institution and person).
pub const TOTP_SECRET: &str = "totp-secret-v1";

/// The label of the key that seals OpenID Connect client secrets.
pub const OIDC_CLIENT_SECRET: &str = "oidc-client-secret-v1";

/// The label of the key that seals the PKCE verifiers of sign-ins under way: whoever reads the
/// table of pending sign-ins cannot redeem a code they intercept.
pub const OIDC_PKCE_VERIFIER: &str = "oidc-pkce-verifier-v1";

/// `plaintext` sealed under `key`'s `label` subkey for `bound_to`: the 24-byte nonce, then the
/// ciphertext with its tag. `nonce` must be fresh random bytes for every sealing.
pub fn seal(
    key: &AuditKey,
    label: &str,
    bound_to: &[u8],
    nonce: [u8; 24],
    plaintext: &[u8],
) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(&key.subkey(label).into());
    let nonce = XNonce::from(nonce);
    let mut out = nonce.to_vec();
    // Encryption with a valid key and nonce cannot fail for a message of this size.
    if let Ok(sealed) = cipher.encrypt(
        &nonce,
        Payload {
            msg: plaintext,
            aad: bound_to,
        },
    ) {
        out.extend(sealed);
    }
    out
}

/// The plaintext of `sealed`, or `None` when it was sealed under another key or label, for
/// something else, or altered.
pub fn open(key: &AuditKey, label: &str, bound_to: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < 24 + 16 {
        return None;
    }
    let (nonce, body) = sealed.split_at(24);
    let nonce: [u8; 24] = nonce.try_into().ok()?;
    let cipher = XChaCha20Poly1305::new(&key.subkey(label).into());
    cipher
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: body,
                aad: bound_to,
            },
        )
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_label_and_owner() {
        let key = AuditKey::from_bytes([7; 32]);
        let sealed = seal(
            &key,
            DIRECTORY_PASSWORD,
            b"inst-a",
            [1; 24],
            b"reader-secret",
        );
        assert!(!sealed.windows(13).any(|w| w == b"reader-secret"));
        assert_eq!(
            open(&key, DIRECTORY_PASSWORD, b"inst-a", &sealed).as_deref(),
            Some(&b"reader-secret"[..])
        );
        let other = AuditKey::from_bytes([8; 32]);
        assert_eq!(open(&other, DIRECTORY_PASSWORD, b"inst-a", &sealed), None);
        assert_eq!(open(&key, "another-use", b"inst-a", &sealed), None);
        assert_eq!(open(&key, DIRECTORY_PASSWORD, b"inst-b", &sealed), None);
        let mut altered = sealed.clone();
        altered[30] ^= 1;
        assert_eq!(open(&key, DIRECTORY_PASSWORD, b"inst-a", &altered), None);
        assert_eq!(
            open(&key, DIRECTORY_PASSWORD, b"inst-a", &sealed[..20]),
            None
        );
        assert_ne!(
            seal(
                &key,
                DIRECTORY_PASSWORD,
                b"inst-a",
                [2; 24],
                b"reader-secret"
            ),
            sealed,
            "a fresh nonce seals differently"
        );
    }
}
