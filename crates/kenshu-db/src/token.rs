//! Random tokens (sessions, CSRF, sign-in links). Only their SHA-256 is ever stored.

use sha2::{Digest, Sha256};

/// 256 random bits, hex-encoded.
pub fn new() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new token and its hash.
pub fn pair() -> (String, Vec<u8>) {
    let t = new();
    let h = hash(&t);
    (t, h)
}
