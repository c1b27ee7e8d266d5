//! Reports of drill mails by mail: a small SMTP listener of the portal that takes mail for the
//! report address (people forward a suspicious mail there, inline or as an attachment, or the
//! mail system copies the report mailbox to it) and counts a report for the drill mail it
//! carries.
//!
//! A forwarded mail is read with a MIME parser (any transfer encoding, nested messages) and
//! searched for a drill link (`/d/` and its 64-character token). The report counts for that
//! link's recipient only when the mail comes from the recipient's own roster address (the
//! header `From`, else the envelope's); a mail without a link counts, from a roster address,
//! for that person's latest drill mail of the last [`super::REPORT_DAYS`]. Either way once.
//!
//! The listener answers every mail for the report address with `250` whatever it found, so
//! it tells nobody whether a mail was a drill; other recipients are refused (`550`: it relays
//! nothing). It bounds what a sender may cost: lines, message size, connections and time.

use std::sync::Arc;
use std::time::Duration;

use kenshu_core::audit::{AuditAction, AuditKey};
use kenshu_db::PgPool;
use mail_parser::{MessageParser, PartType};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::audit::Actor;

/// The largest report mail taken (a forwarded mail with its attachments).
pub const MAX_MESSAGE: usize = 10 * 1024 * 1024;
/// The longest command line (RFC 5321 allows 512; some clients send more).
const MAX_LINE: u64 = 2048;
/// Connections served at once.
const MAX_CONNECTIONS: usize = 32;
/// A sender that says nothing for this long is hung up on.
const IDLE: Duration = Duration::from_secs(60);

/// The drill links' tokens in a mail: every `/d/` followed by 64 hexadecimal digits, in any
/// part of it, decoded.
pub fn tokens_in(raw: &[u8]) -> Vec<String> {
    let mut texts: Vec<String> = Vec::new();
    if let Some(message) = MessageParser::default().parse(raw) {
        collect(&message, &mut texts, 0);
    }
    // Whatever the parser made of it, the raw mail too (with soft line breaks undone).
    texts.push(
        String::from_utf8_lossy(raw)
            .replace("=\r\n", "")
            .replace("=\n", ""),
    );
    let mut found: Vec<String> = Vec::new();
    for text in &texts {
        let mut rest = text.as_str();
        while let Some(at) = rest.find("/d/") {
            let after = &rest[at + 3..];
            let token: String = after
                .chars()
                .take_while(|c| c.is_ascii_hexdigit())
                .collect();
            if token.len() == 64 && !found.contains(&token.to_ascii_lowercase()) {
                found.push(token.to_ascii_lowercase());
            }
            rest = after;
        }
    }
    found
}

fn collect(message: &mail_parser::Message<'_>, texts: &mut Vec<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    for part in &message.parts {
        match &part.body {
            PartType::Text(t) | PartType::Html(t) => texts.push(t.to_string()),
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                // An attached .eml sent as a file: parse it as the mail it is.
                match MessageParser::default().parse(b.as_ref()) {
                    Some(inner) => collect(&inner, texts, depth + 1),
                    None => texts.push(String::from_utf8_lossy(b).into_owned()),
                }
            }
            PartType::Message(inner) => collect(inner, texts, depth + 1),
            PartType::Multipart(_) => {}
        }
    }
}

/// The sender of a report: the header `From`'s address, else the envelope's; lower-cased.
pub fn sender_of(raw: &[u8], envelope: &str) -> Option<String> {
    let header = MessageParser::default().parse_headers(raw).and_then(|m| {
        m.from()
            .and_then(|f| f.first())
            .and_then(|a| a.address())
            .map(str::to_string)
    });
    header
        .or_else(|| Some(envelope.trim().trim_matches(['<', '>']).to_string()))
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| a.contains('@'))
}

/// What a report mail counted for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counted {
    pub reports: usize,
}

/// Counts the reports one received mail makes (see the module's rules), each audited as the
/// person who reported.
pub async fn receive(
    pool: &PgPool,
    key: &AuditKey,
    envelope_from: &str,
    raw: &[u8],
) -> Result<Counted, sqlx::Error> {
    let mut counted = Counted::default();
    let Some(sender) = sender_of(raw, envelope_from) else {
        return Ok(counted);
    };
    let tokens = tokens_in(raw);
    let mut conn = pool.acquire().await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let mut reported = Vec::new();
    for token in &tokens {
        let hash = kenshu_db::token::hash(token);
        if let Some(r) = kenshu_db::drill::report_by_token(&mut tx, &hash, &sender).await? {
            reported.push((r, "a forwarded drill mail"));
        }
    }
    if tokens.is_empty() {
        for (institution_id, user_id) in
            kenshu_db::drill::people_by_address(&mut tx, &sender).await?
        {
            if let Some(r) = kenshu_db::drill::report_latest(
                &mut tx,
                institution_id,
                user_id,
                "mail",
                super::REPORT_DAYS,
            )
            .await?
            {
                reported.push((r, "a mail without the drill's link"));
            }
        }
    }
    for (r, how) in &reported {
        Actor::person(key, r.institution_id, r.user_id, &r.login_id)
            .record(
                &mut tx,
                AuditAction::DrillReported,
                &r.login_id,
                &format!(
                    "campaign {}: by mail to the report address, {how}",
                    r.campaign_id
                ),
            )
            .await?;
    }
    tx.commit().await?;
    counted.reports = reported.len();
    crate::metrics::DRILL_REPORTS_MAIL.add(reported.len() as u64);
    if counted.reports == 0 {
        crate::metrics::DRILL_REPORT_MAILS_UNMATCHED.inc();
        tracing::info!(
            tokens = tokens.len(),
            "a report mail matched no drill mail of its sender"
        );
    }
    Ok(counted)
}

/// The report address's listener.
#[derive(Clone)]
pub struct Listener {
    pub pool: PgPool,
    pub key: AuditKey,
    /// The address people report to, lower-cased (`KENSHU_REPORT_ADDRESS`).
    pub address: String,
    /// The host name the listener greets with.
    pub host: String,
}

impl Listener {
    /// Listens on `bind` until the process ends; returns the bound address.
    pub async fn spawn(self, bind: &str) -> std::io::Result<std::net::SocketAddr> {
        let listener = TcpListener::bind(bind).await?;
        let local = listener.local_addr()?;
        let gate = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        let me = Arc::new(self);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let Ok(permit) = gate.clone().acquire_owned().await else {
                    return;
                };
                let me = me.clone();
                tokio::spawn(async move {
                    if let Err(e) = me.session(stream).await {
                        tracing::debug!(error = %e, "report listener session");
                    }
                    drop(permit);
                });
            }
        });
        Ok(local)
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write
            .write_all(format!("220 {} Kenshu report ESMTP\r\n", self.host).as_bytes())
            .await?;
        let mut from = String::new();
        let mut rcpt = false;
        loop {
            let Some(command) = read_line(&mut lines).await? else {
                return Ok(());
            };
            let upper = command.to_ascii_uppercase();
            let reply: String = if upper.starts_with("EHLO") {
                format!(
                    "250-{}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE {MAX_MESSAGE}\r\n",
                    self.host
                )
            } else if upper.starts_with("HELO") {
                format!("250 {}\r\n", self.host)
            } else if upper.starts_with("MAIL FROM:") {
                from = command[10..]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                rcpt = false;
                "250 OK\r\n".into()
            } else if upper.starts_with("RCPT TO:") {
                let to = command[8..]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .trim_matches(['<', '>'])
                    .to_ascii_lowercase();
                if to == self.address {
                    rcpt = true;
                    "250 OK\r\n".into()
                } else {
                    "550 5.1.1 Only the report address is served here\r\n".into()
                }
            } else if upper == "DATA" {
                if !rcpt {
                    "503 5.5.1 RCPT first\r\n".into()
                } else {
                    write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    match read_data(&mut lines).await? {
                        Some(data) => {
                            if let Err(e) = receive(&self.pool, &self.key, &from, &data).await {
                                tracing::warn!(error = %e, "report mail not counted");
                                write.write_all(b"451 4.3.0 Try again later\r\n").await?;
                                continue;
                            }
                            rcpt = false;
                            "250 OK\r\n".into()
                        }
                        None => "552 5.3.4 Message too big\r\n".into(),
                    }
                }
            } else if upper == "QUIT" {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            } else if upper == "RSET" {
                rcpt = false;
                from.clear();
                "250 OK\r\n".into()
            } else if upper == "NOOP" {
                "250 OK\r\n".into()
            } else {
                "502 5.5.2 Command not implemented\r\n".into()
            };
            write.write_all(reply.as_bytes()).await?;
        }
    }
}

/// One command line, bounded in length and time; None when the sender hung up or was idle.
async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(
    r: &mut R,
) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    let mut limited = (&mut *r).take(MAX_LINE);
    match tokio::time::timeout(IDLE, limited.read_until(b'\n', &mut line)).await {
        Ok(Ok(0)) | Err(_) => Ok(None),
        Ok(Ok(_)) => Ok(Some(String::from_utf8_lossy(&line).trim_end().to_string())),
        Ok(Err(e)) => Err(e),
    }
}

/// The message after `DATA`, dot-unstuffed, up to the lone dot; None when it grew past
/// [`MAX_MESSAGE`] (the rest is read and dropped so the reply lines up).
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(
    r: &mut R,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut too_big = false;
    loop {
        let mut line = Vec::new();
        let mut limited = (&mut *r).take(64 * 1024);
        match tokio::time::timeout(IDLE, limited.read_until(b'\n', &mut line)).await {
            Ok(Ok(0)) | Err(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the sender stopped in the middle of a message",
                ));
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e),
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((!too_big).then_some(data));
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        if data.len() + line.len() > MAX_MESSAGE {
            too_big = true;
            data.clear();
        }
        if !too_big {
            data.extend_from_slice(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

    #[test]
    fn a_link_is_found_inline_in_quoted_printable_with_soft_breaks() {
        let raw = format!(
            "From: =?UTF-8?B?5bGx55Sw?= <Yamada@City.Example.jp>\r\nTo: report@city.example.jp\r\nSubject: Fw: invoice\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E8=A6=81=E7=A2=BA=E8=AA=8D https://kenshu.example/d/{}=\r\n{}\r\n",
            &TOKEN[..30],
            &TOKEN[30..]
        );
        assert_eq!(tokens_in(raw.as_bytes()), vec![TOKEN.to_string()]);
        assert_eq!(
            sender_of(raw.as_bytes(), "<bounce@relay>").as_deref(),
            Some("yamada@city.example.jp")
        );
    }

    #[test]
    fn a_link_is_found_in_an_attached_mail_in_base64() {
        use base64::Engine;
        let inner = format!(
            "From: x@evil.example\r\nSubject: invoice\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64::engine::general_purpose::STANDARD
                .encode(format!("請求書: https://kenshu.example/d/{TOKEN}\n"))
        );
        let raw = format!(
            "From: sato@city.example.jp\r\nSubject: report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsuspicious\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--b--\r\n"
        );
        assert_eq!(tokens_in(raw.as_bytes()), vec![TOKEN.to_string()]);
    }

    #[test]
    fn no_link_and_no_sender_find_nothing() {
        let raw = b"Subject: hello\r\n\r\nhttps://kenshu.example/d/short\r\n";
        assert!(tokens_in(raw).is_empty());
        assert_eq!(sender_of(raw, "<>"), None);
        assert_eq!(
            sender_of(raw, "<Sato@City.Example.jp>").as_deref(),
            Some("sato@city.example.jp")
        );
    }
}
