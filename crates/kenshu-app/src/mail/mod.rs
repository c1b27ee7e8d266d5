//! Mail: the transport (SMTP through lettre, or the log when no SMTP server is set) and the
//! worker that empties the outbox.
//!
//! Every instance of the portal runs the worker. It locks the mails it sends with
//! `FOR UPDATE SKIP LOCKED`, inside one transaction per batch, so two instances never send
//! the same mail; a mail whose sending fails stays in the outbox with its error and is tried
//! again later, with a growing pause, until it is given up after `GIVE_UP_AFTER` attempts.
//! Delivery is at least once: a crash after the SMTP server accepted a mail and before the
//! transaction commits sends it again.
//!
//! Every mail is what mail systems expect of a well-formed one (RFC 5322 and MIME): a
//! `Message-ID` on the portal's own host, `MIME-Version: 1.0`, a UTF-8 plain-text body and a
//! `Date` in Japan time, the time its readers live in.

use std::time::Duration;

mod message;
mod smtp;

use kenshu_db::PgPool;
use kenshu_db::reminder::{self, OutboxMail};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use time::OffsetDateTime;

pub use message::{message, public_host};

/// How often each instance looks into the outbox.
const EVERY: Duration = Duration::from_secs(5);

/// Runs the mail worker every few seconds, in the background; it ends with the process.
pub fn spawn(pool: PgPool, mailer: std::sync::Arc<Mailer>) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = deliver_due(&pool, &mailer).await {
                tracing::warn!(error = %e, "mail worker");
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}

/// Mails taken per batch (and per transaction).
const BATCH: i64 = 20;
/// Attempts before a mail is given up (about a day of retries with the pauses below).
pub const GIVE_UP_AFTER: i32 = 30;

enum Transport {
    Log,
    Smtp {
        smtp: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
        /// The host of the portal's public URL: the right-hand side of every Message-ID.
        host: String,
    },
}

pub struct Mailer {
    transport: Transport,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

impl Mailer {
    /// No SMTP server: mail is written to the log (and stays readable on the admin's page).
    pub fn log() -> Self {
        Mailer {
            transport: Transport::Log,
        }
    }

    /// SMTP by URL, as lettre reads it: `smtp://host:25`, `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465`; `public_url` is the portal's address as
    /// people reach it (`KENSHU_PUBLIC_URL`), whose host names the mails' Message-IDs.
    pub fn smtp(url: &str, from: &str, public_url: &str) -> Result<Self, String> {
        Mailer::smtp_trusting(url, from, public_url, None)
    }

    /// [`Mailer::smtp`], its TLS also trusting the PEM certificates `ca_pem` (the relay's
    /// own certificate authority, `KENSHU_SMTP_CA_FILE`).
    pub fn smtp_trusting(
        url: &str,
        from: &str,
        public_url: &str,
        ca_pem: Option<&[u8]>,
    ) -> Result<Self, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("KENSHU_MAIL_FROM {from:?} is not a mail address: {e}"))?;
        let host = public_host(public_url)?;
        let transport = smtp::transport(url, ca_pem)?;
        Ok(Mailer {
            transport: Transport::Smtp {
                smtp: Box::new(transport),
                from,
                host,
            },
        })
    }

    /// Whether the environment turns mail on (`KENSHU_SMTP_URL` set and not blank).
    pub fn smtp_in_env() -> bool {
        std::env::var("KENSHU_SMTP_URL").is_ok_and(|url| !url.trim().is_empty())
    }

    /// From the environment: `KENSHU_SMTP_URL`, `KENSHU_MAIL_FROM` and `KENSHU_SMTP_CA_FILE`;
    /// the log without them.
    /// `public_url` as for [`Mailer::smtp`].
    pub fn from_env(public_url: &str) -> Result<Self, String> {
        match std::env::var("KENSHU_SMTP_URL") {
            Ok(url) if !url.trim().is_empty() => {
                let from = std::env::var("KENSHU_MAIL_FROM").map_err(|_| {
                    "KENSHU_SMTP_URL is set: set KENSHU_MAIL_FROM (the sender's address) too"
                        .to_string()
                })?;
                let ca = match std::env::var("KENSHU_SMTP_CA_FILE") {
                    Ok(path) if !path.trim().is_empty() => {
                        Some(std::fs::read(path.trim()).map_err(|e| {
                            format!("KENSHU_SMTP_CA_FILE {path:?} cannot be read: {e}")
                        })?)
                    }
                    _ => None,
                };
                Mailer::smtp_trusting(url.trim(), from.trim(), public_url, ca.as_deref())
            }
            _ => Ok(Mailer::log()),
        }
    }

    pub fn describe(&self) -> &'static str {
        match self.transport {
            Transport::Log => "log (no KENSHU_SMTP_URL)",
            Transport::Smtp { .. } => "smtp",
        }
    }

    /// Sends one mail; `Err((message, permanent))` when it could not be.
    async fn send(&self, m: &OutboxMail) -> Result<&'static str, (String, bool)> {
        match &self.transport {
            Transport::Log => {
                // Names and messages are personal data and may hold line breaks: only the
                // mail's id at INFO (the portal admin reads the mail at /admin/mail), the rest
                // at DEBUG and escaped (`?`), so a message cannot forge log lines.
                tracing::info!(mail = %m.id, "mail not sent (no SMTP server set): see /admin/mail");
                tracing::debug!(to = ?m.to_address, subject = ?m.subject, body = ?m.body, "mail content");
                Ok("log")
            }
            Transport::Smtp { smtp, from, host } => {
                let message =
                    message(m, from, host, OffsetDateTime::now_utc()).map_err(|e| (e, true))?;
                match smtp.send(message).await {
                    Ok(_) => Ok("smtp"),
                    Err(e) => Err((e.to_string(), e.is_permanent())),
                }
            }
        }
    }
}

/// The pause before attempt `n + 1`: 1, 2, 4 … minutes, at most an hour.
pub fn retry_pause(attempts_so_far: i32) -> time::Duration {
    let minutes = 1i64 << attempts_so_far.clamp(0, 6);
    time::Duration::minutes(minutes.min(60))
}

/// What one pass of the worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub failed: usize,
}

/// Sends the mails that are due, a batch per transaction, until none are left. Counted in the
/// metrics as the worker `mail`, with the mails sent, failed and given up.
#[tracing::instrument(name = "mail", skip_all)]
pub async fn deliver_due(pool: &PgPool, mailer: &Mailer) -> Result<Delivery, sqlx::Error> {
    let started = std::time::Instant::now();
    let result = deliver(pool, mailer).await;
    crate::metrics::MAIL_WORKER.record(started, &result);
    result
}

async fn deliver(pool: &PgPool, mailer: &Mailer) -> Result<Delivery, sqlx::Error> {
    let mut done = Delivery::default();
    loop {
        let mut tx = pool.begin().await?;
        let batch = reminder::claim_due(&mut tx, BATCH).await?;
        if batch.is_empty() {
            return Ok(done);
        }
        let mut sent = Vec::new();
        for m in &batch {
            match mailer.send(m).await {
                Ok(via) => {
                    sent.push((m, via));
                    done.sent += 1;
                }
                Err((error, permanent)) => {
                    let give_up = permanent || m.attempts + 1 >= GIVE_UP_AFTER;
                    // The error (kept whole for /admin/mail) often names the address.
                    let shown = without_addresses(&error);
                    tracing::warn!(mail = %m.id, attempts = m.attempts + 1, give_up, error = %shown, "mail not sent");
                    reminder::mark_failed(&mut tx, m, &error, retry_pause(m.attempts), give_up)
                        .await?;
                    done.failed += 1;
                    crate::metrics::MAIL_FAILED.inc();
                    if give_up {
                        crate::metrics::MAIL_GIVEN_UP.inc();
                    }
                }
            }
        }
        reminder::mark_sent(&mut tx, &sent).await?;
        tx.commit().await?;
        crate::metrics::MAIL_SENT.add(sent.len() as u64);
        if done.failed > 0 || batch.len() < BATCH as usize {
            // A failing server is not hammered: the rest waits for the next pass.
            return Ok(done);
        }
    }
}

/// An error message for the log: every word with an `@` in it (a mail address, as SMTP
/// servers and the address parser quote it) becomes `<address>`.
fn without_addresses(error: &str) -> String {
    error
        .split(' ')
        .map(|w| if w.contains('@') { "<address>" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn the_logged_error_of_a_mail_names_no_address() {
        let e = "bad address \"yamada@city.example.jp\": invalid; 550 5.1.1 <sato@x.jp>: unknown";
        assert_eq!(
            without_addresses(e),
            "bad address <address> invalid; 550 5.1.1 <address> unknown"
        );
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut v) = self.0.lock() {
                v.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A message with line breaks cannot forge log lines, and names and bodies stay out of
    /// the INFO log.
    #[test]
    fn a_logged_mail_cannot_forge_log_lines_and_keeps_its_content_out_of_info() {
        let mail = OutboxMail {
            subject: "受講のお願い".into(),
            body: "山田 様\n2026-11-29T00:00:00Z  INFO kenshu: admin signed in\n".into(),
            ..message::tests::reminder_mail()
        };
        for (level, content_shown) in [(tracing::Level::INFO, false), (tracing::Level::DEBUG, true)]
        {
            let out = Captured::default();
            let writer = out.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(level)
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::with_default(subscriber, || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .expect("runtime");
                assert!(rt.block_on(Mailer::log().send(&mail)).is_ok());
            });
            let text = String::from_utf8(out.0.lock().expect("lock").clone()).expect("utf-8");
            assert!(
                !text.lines().any(|l| l.starts_with("2026-11-29T00:00:00Z")),
                "a forged line: {text}"
            );
            assert_eq!(text.contains("山田"), content_shown, "{level}: {text}");
            assert_eq!(text.contains("yamada@"), content_shown, "{level}: {text}");
        }
    }
}
