//! Mail as people's mail systems receive it: the `kenshu` binary sends a reminder through a
//! real MTA (exim4 as a relay with STARTTLS and AUTH, see `support/mta.rs`); what lands in the
//! maildir is parsed as a mail client would and scored by SpamAssassin. And `kenshu serve`
//! refuses to send mail without knowing its public address.
//!
//! Needs exim4, spamassassin and openssl (`apt-get install -y exim4-daemon-light spamassassin
//! openssl`) and root; without them the relay test prints SKIPPED and passes, except with
//! `CI=true`. Run: `cargo build -p kenshu && cargo test --test mail_delivery -- --nocapture`

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kenshu_core::person::Role;
use kenshu_tests::mta::{Relay, Tools};
use kenshu_tests::process::{free_port, wait_ready};
use kenshu_tests::{AUDIT_KEY_HEX, Browser, PASSWORD, Scenario, kenshu_bin, test_db};
use mail_parser::MessageParser;

const PUBLIC_URL: &str = "https://kenshu.city.example.lg.jp";

/// A served `kenshu`, killed when dropped (also when the test panics).
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_reminder_reaches_a_real_mail_server_well_formed_in_japan_time_and_not_as_spam() {
    let Some(tools) = Tools::find("a_reminder_reaches_a_real_mail_server") else {
        return;
    };
    let relay = Relay::start(&tools);
    let db = test_db().await;
    Scenario::new(&db.pool)
        .person("officer-a", Role::ProtectionOfficer)
        .person("late-a", Role::Staff)
        .build()
        .await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(kenshu_bin())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--allow-superuser", "--reminder-minutes", "0"])
        .env("DATABASE_URL", db.url())
        .env("KENSHU_DATA_DIR", db.data_dir())
        .env("KENSHU_AUDIT_KEY", AUDIT_KEY_HEX)
        .env("KENSHU_LOG", "warn")
        .env("KENSHU_SMTP_URL", relay.url())
        .env("KENSHU_SMTP_CA_FILE", relay.ca_file())
        .env(
            "KENSHU_MAIL_FROM",
            "研修ポータル <kenshu@city.example.lg.jp>",
        )
        .env("KENSHU_PUBLIC_URL", PUBLIC_URL)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start kenshu serve");
    let mut served = Served(child);
    wait_ready(&base, &mut served.0).await;

    let mut officer = Browser::new(&base);
    assert_eq!(officer.sign_in("officer-a", PASSWORD).await.status, 303);
    officer.get("/people/late-a").await;
    let sent = officer
        .post(
            "/people/late-a/reminders",
            &[("message", "今週中に受講してください。")],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);

    // The portal's mail worker looks into the outbox every 5 seconds.
    let mails = relay.delivered(1, Duration::from_secs(30)).await;
    let raw = &mails[0];
    let mail = MessageParser::default()
        .parse(raw.as_slice())
        .expect("a parsable mail");
    let log = relay.log();
    assert!(
        log.contains("A=plain:kenshu-relay") && log.contains(" X=TLS"),
        "sent with STARTTLS and AUTH: {log}"
    );

    let id = mail.message_id().expect("a Message-ID");
    assert!(
        id.ends_with("@kenshu.city.example.lg.jp") && id.len() > 40,
        "a unique id on the portal's host: {id}"
    );
    assert_eq!(mail.header_raw("MIME-Version").map(str::trim), Some("1.0"));
    let date = mail.date().expect("a Date");
    assert!(
        !date.tz_before_gmt && date.tz_hour == 9 && date.tz_minute == 0,
        "the Date in Japan time (+0900): {date:?}"
    );
    let sent_at = time::OffsetDateTime::from_unix_timestamp(date.to_timestamp()).unwrap();
    assert!(
        (time::OffsetDateTime::now_utc() - sent_at)
            .whole_seconds()
            .abs()
            < 120,
        "the Date is now: {sent_at}"
    );
    let subject = mail.subject().expect("a Subject");
    assert!(subject.contains("研修"), "{subject}");
    let from = mail.from().and_then(|f| f.first()).expect("a From");
    assert_eq!(from.name(), Some("研修ポータル"));
    assert_eq!(from.address(), Some("kenshu@city.example.lg.jp"));
    let body = mail.body_text(0).expect("a text body");
    assert!(
        body.contains("試験 late-a 様") && body.contains("今週中に受講してください。"),
        "{body}"
    );
    let links: Vec<&str> = body
        .split_whitespace()
        .filter(|w| w.contains("://"))
        .collect();
    assert!(!links.is_empty(), "a link to the portal: {body}");
    for link in &links {
        assert!(
            link.starts_with(&format!("{PUBLIC_URL}/")),
            "{link} is on KENSHU_PUBLIC_URL"
        );
    }

    let (score, rules) = tools.spam_score(raw);
    eprintln!("SpamAssassin: score {score}, rules {rules}");
    assert!(
        score < 1.0,
        "SpamAssassin scores the reminder {score} ({rules})"
    );
    let malformed = ["MISSING_", "INVALID_", "DATE_IN_", "MIME_", "FROM_EXCESS"];
    assert!(
        !rules
            .split(',')
            .any(|r| malformed.iter().any(|m| r.starts_with(m))),
        "rules of malformed mail hit: {rules}"
    );
    // The same check catches a mail as the portal sent it before (no Message-ID, no MIME
    // version): SpamAssassin is not just silent.
    let text = String::from_utf8_lossy(raw);
    let before: String = text
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("Message-ID:") && !l.starts_with("MIME-Version:"))
        .collect();
    let (_, old_rules) = tools.spam_score(before.as_bytes());
    assert!(old_rules.contains("MISSING_MID"), "{old_rules}");
}

#[tokio::test]
async fn serve_refuses_to_send_mail_without_the_portals_public_address() {
    let data = std::env::temp_dir().join(format!("kenshu-no-public-url-{}", std::process::id()));
    // With mail and no (or no usable) address; without mail, listening on every interface.
    for (public_url, smtp, host) in [
        (None, true, "127.0.0.1"),
        (Some(""), true, "127.0.0.1"),
        (Some("kenshu.city.example.lg.jp"), true, "127.0.0.1"),
        (None, false, "0.0.0.0"),
    ] {
        let mut cmd = Command::new(kenshu_bin());
        cmd.args(["serve", "--bind", &format!("{host}:{}", free_port())])
            .arg("--data-dir")
            .arg(&data)
            .env_remove("DATABASE_URL")
            .env_remove("KENSHU_PUBLIC_URL")
            .env("KENSHU_LOG", "warn")
            .env_remove("KENSHU_SMTP_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(url) = public_url {
            cmd.env("KENSHU_PUBLIC_URL", url);
        }
        if smtp {
            cmd.env("KENSHU_SMTP_URL", "smtp://relay.city.example.lg.jp:25")
                .env("KENSHU_MAIL_FROM", "kenshu@city.example.lg.jp");
        }
        let mut child = Served(cmd.spawn().expect("start kenshu serve"));
        let started = Instant::now();
        while child.0.try_wait().expect("wait").is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "kenshu serve started without a public URL ({public_url:?}, on {host})"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let Served(ref mut process) = child;
        let mut err = String::new();
        if let Some(mut e) = process.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        assert!(!process.wait().expect("status").success());
        assert!(
            err.contains("KENSHU_PUBLIC_URL") && err.contains("https://kenshu.city.example.lg.jp"),
            "names the variable and an example ({public_url:?}, on {host}): {err}"
        );
        assert!(
            !data.join("pg").exists(),
            "refused before starting a database"
        );
    }
    let _ = std::fs::remove_dir_all(&data);
}
