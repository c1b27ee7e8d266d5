//! Checkpoints: the head of an institution's log (sequence number and hash) written down
//! outside the database, one line each:
//!
//! ```text
//! 2026-11-20T10:00:00+09:00 institution=demo seq=1234 hash=<64 hex digits>
//! ```
//!
//! A later verification checks that the entry at each checkpoint still has that hash and
//! that the log still reaches it. Reading is lenient, so that the line printed in an annual
//! report (`監査ログ 最終記録 No.1234 ハッシュ <hex>`) also serves as a checkpoint.

use super::Head;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// When it was taken (RFC 3339), as written; empty when the line did not say.
    pub at: String,
    /// The institution's code, when the line names it.
    pub institution: Option<String>,
    pub seq: i64,
    pub hash: Vec<u8>,
}

impl Checkpoint {
    pub fn of(head: &Head, institution: &str, at: String) -> Self {
        Checkpoint {
            at,
            institution: Some(institution.to_string()),
            seq: head.seq,
            hash: head.hash.clone(),
        }
    }

    /// The line written to the checkpoint file, with its newline.
    pub fn line(&self) -> String {
        format!(
            "{} institution={} seq={} hash={}\n",
            self.at,
            self.institution.as_deref().unwrap_or(""),
            self.seq,
            hex::encode(&self.hash)
        )
    }

    /// Reads a line: `seq=N` or `No.N` for the sequence number, `hash=HEX` or any word of 64
    /// hex digits for the hash. Blank lines, `#` comments and lines without both give `None`.
    pub fn parse(line: &str) -> Option<Checkpoint> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let (mut seq, mut hash, mut institution) = (None, None, None);
        for word in line.split_whitespace() {
            if let Some(n) = word.strip_prefix("seq=").or(word.strip_prefix("No.")) {
                seq = n.parse::<i64>().ok();
            } else if let Some(code) = word.strip_prefix("institution=") {
                institution = Some(code.to_string());
            } else {
                let h = word.strip_prefix("hash=").unwrap_or(word);
                if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
                    hash = hex::decode(h).ok();
                }
            }
        }
        let at = line
            .split_whitespace()
            .next()
            .filter(|w| w.contains('T') && !w.contains('='))
            .unwrap_or_default()
            .to_string();
        Some(Checkpoint {
            at,
            institution,
            seq: seq?,
            hash: hash?,
        })
    }

    /// The checkpoints of `institution` in a file's text (lines naming another institution
    /// are left out; lines naming none are taken).
    pub fn parse_all(text: &str, institution: &str) -> Vec<Checkpoint> {
        text.lines()
            .filter_map(Checkpoint::parse)
            .filter(|c| c.institution.as_deref().is_none_or(|i| i == institution))
            .collect()
    }
}
