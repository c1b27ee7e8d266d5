//! A small SMTP server for tests: it accepts mail, or refuses it with a temporary error
//! while set to fail, and keeps what it received.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Clone)]
pub struct TestSmtp {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    failing: Arc<AtomicBool>,
}

impl TestSmtp {
    pub async fn start() -> TestSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let port = listener.local_addr().expect("SMTP address").port();
        let server = TestSmtp {
            port,
            received: Arc::default(),
            failing: Arc::default(),
        };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(stream).await;
                });
            }
        });
        server
    }

    /// For `Mailer::smtp`: plain SMTP on the loopback.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// While failing, every MAIL command gets `451` (try again later).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 test.local ESMTP\r\n").await?;
        let mut from = String::new();
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_string();
            let upper = command.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                b"250-test.local\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else if upper.starts_with("MAIL FROM:") {
                if self.failing.load(Ordering::SeqCst) {
                    b"451 4.3.0 Mail server temporarily unavailable\r\n"
                } else {
                    from = command[10..].trim().to_string();
                    to.clear();
                    b"250 OK\r\n"
                }
            } else if upper.starts_with("RCPT TO:") {
                to.push(command[8..].trim().trim_matches(['<', '>']).to_string());
                b"250 OK\r\n"
            } else if upper == "DATA" {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(&line);
                }
                if let Ok(mut r) = self.received.lock() {
                    r.push(Received {
                        from: from.clone(),
                        to: std::mem::take(&mut to),
                        data,
                    });
                }
                b"250 OK queued\r\n"
            } else if upper == "QUIT" {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            } else if upper == "RSET" || upper == "NOOP" {
                b"250 OK\r\n"
            } else {
                b"502 Command not implemented\r\n"
            };
            write.write_all(reply).await?;
        }
    }
}

/// Sends one mail to an SMTP server at `addr` as a mail system forwarding it would: the
/// replies to RCPT and to the end of DATA (e.g. `250`, or `550` for a refused recipient).
pub async fn send(addr: std::net::SocketAddr, from: &str, to: &str, data: &str) -> (u16, u16) {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to SMTP");
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    async fn reply(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> u16 {
        loop {
            let mut line = String::new();
            lines.read_line(&mut line).await.expect("SMTP reply");
            // A multi-line reply goes on while the fourth character is '-'.
            if line.as_bytes().get(3) != Some(&b'-') {
                return line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
            }
        }
    }
    assert_eq!(reply(&mut lines).await, 220);
    write.write_all(b"EHLO relay.test\r\n").await.expect("EHLO");
    assert_eq!(reply(&mut lines).await, 250);
    write
        .write_all(format!("MAIL FROM:<{from}>\r\n").as_bytes())
        .await
        .expect("MAIL");
    assert_eq!(reply(&mut lines).await, 250);
    write
        .write_all(format!("RCPT TO:<{to}>\r\n").as_bytes())
        .await
        .expect("RCPT");
    let rcpt = reply(&mut lines).await;
    if rcpt != 250 {
        let _ = write.write_all(b"QUIT\r\n").await;
        return (rcpt, 0);
    }
    write.write_all(b"DATA\r\n").await.expect("DATA");
    assert_eq!(reply(&mut lines).await, 354);
    let mut stuffed = String::new();
    for line in data.lines() {
        if line.starts_with('.') {
            stuffed.push('.');
        }
        stuffed.push_str(line);
        stuffed.push_str("\r\n");
    }
    stuffed.push_str(".\r\n");
    write.write_all(stuffed.as_bytes()).await.expect("message");
    let done = reply(&mut lines).await;
    let _ = write.write_all(b"QUIT\r\n").await;
    (rcpt, done)
}
