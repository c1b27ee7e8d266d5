//! A targeted-attack mail drill run on the demo end to end, in a Japanese Chromium (issue 17,
//! item 1): `kenshu demo` sends its mail through the tests' SMTP server and takes reports on
//! its own report listener. The chief officer prepares a drill from the template library and
//! launches it; the mails arrive at the relay; a mail scanner's GET of a link records nothing;
//! the person opens the link and presses the button, and the page teaches; one person reports
//! by forwarding the mail to the report address, another with the portal's report button; the
//! follow-up course is on the person's own page; the results page counts all of it. Every page
//! at 1280 and 375 px with axe-core.

use std::time::{Duration, Instant};

use kenshu_tests::smtp::{TestSmtp, send};

use super::authoring::{DEMO_PASSWORD, Demo, demo_sign_in, sign_out};
use super::checks::{axe_source, snap};
use super::driver::Session;

const REPORT: &str = "report@demo.example.jp";

/// A `datetime-local` value `minutes` from now in Japan time.
fn local_in(minutes: i64) -> String {
    let at = (time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes))
        .to_offset(kenshu_core::fiscal_year::JST);
    format!("{}T{:02}:{:02}", at.date(), at.hour(), at.minute())
}

/// The received mail to `login@demo.example.jp`, waiting for the demo's mail worker.
async fn mail_to(smtp: &TestSmtp, login: &str) -> kenshu_tests::smtp::Received {
    let to = format!("{login}@demo.example.jp");
    let started = Instant::now();
    loop {
        if let Some(m) = smtp.received().into_iter().find(|r| r.to.contains(&to)) {
            return m;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no mail to {to}: {} received",
            smtp.received().len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The drill link in a received mail.
fn link_in(mail: &kenshu_tests::smtp::Received) -> String {
    let parsed = mail_parser::MessageParser::default()
        .parse(mail.data.as_bytes())
        .expect("a mail");
    let body = parsed.body_text(0).expect("a text body").to_string();
    let at = body.find("/d/").expect("a drill link");
    let start = body[..at].rfind("http").expect("an absolute link");
    body[start..]
        .split_whitespace()
        .next()
        .expect("the link")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_runs_on_the_demo_from_preparing_to_results() {
    let Some(b) = Session::launch("a_drill_runs_on_the_demo_from_preparing_to_results").await
    else {
        return;
    };
    let smtp = TestSmtp::start().await;
    let port = kenshu_tests::process::free_port();
    let report_port = kenshu_tests::process::free_port();
    let demo = Demo::start_with(
        &[
            ("KENSHU_SMTP_URL", smtp.url()),
            (
                "KENSHU_MAIL_FROM",
                "研修ポータル <kenshu@demo.example.jp>".into(),
            ),
            ("KENSHU_PUBLIC_URL", format!("http://127.0.0.1:{port}")),
            ("KENSHU_REPORT_ADDRESS", REPORT.into()),
            ("KENSHU_REPORT_SMTP", format!("127.0.0.1:{report_port}")),
        ],
        Some(port),
    )
    .await;
    let axe = axe_source();
    let mut problems = Vec::new();

    // The chief officer prepares a drill from the library's invoice mail.
    demo_sign_in(&b, &demo, "demo", "chief", DEMO_PASSWORD).await;
    b.goto(&demo.url("/drills")).await;
    b.wait_for("#templates").await;
    snap(&b, &axe, "drills-index", &mut problems).await;
    b.click_to_next_page(
        "#templates a[href='/drills/new?template=invoice']",
        "form#prepare",
    )
    .await;
    assert!(b.value("#subject").await.contains("請求書"));
    b.set_value("#window_start", &local_in(-1)).await;
    b.set_value("#window_end", &local_in(120)).await;
    b.set_value("#per_minute", "100").await;
    b.set_value("#follow_up_course", "cybersecurity").await;
    snap(&b, &axe, "drills-new", &mut problems).await;
    b.click_to_next_page("form#prepare button[type=submit]", "#reach-count")
        .await;
    assert!(b.text("#flash").await.contains("下書きとして保存しました"));
    let reach: usize = b
        .text("#reach-count")
        .await
        .trim()
        .parse()
        .expect("a count");
    assert!(reach >= 30, "the demo's staff and officers: {reach}");
    snap(&b, &axe, "drills-draft", &mut problems).await;
    b.click_to_next_page("#launch", "#drill-status").await;
    assert!(b.text("#flash").await.contains("送信を開始しました"));
    let drill_page = b.current_url().await;

    // The demo's mail worker sends through the relay: staff01's mail, with their own link.
    let staff01 = mail_to(&smtp, "staff01").await;
    assert!(staff01.data.contains("X-Kenshu-Drill:"));
    let link = link_in(&staff01);
    assert!(link.starts_with(&demo.url("/d/")), "{link}");

    // A mail scanner fetches the link: nothing is recorded.
    let scanner = reqwest::Client::new();
    for _ in 0..2 {
        assert_eq!(scanner.get(&link).send().await.unwrap().status(), 200);
    }
    b.goto(&drill_page).await;
    b.wait_for("#tally-total").await;
    let cells = b.texts("#tally-total td").await;
    assert_eq!(cells[2], "0", "no click from the scanner: {cells:?}");
    sign_out(&b).await;

    // staff01 opens the link in the browser and presses the button; the page teaches.
    b.goto(&link).await;
    b.wait_for("#continue").await;
    snap(&b, &axe, "drill-link", &mut problems).await;
    b.click_to_next_page("#continue", "#clues").await;
    assert!(b.text("h1").await.contains("訓練"));
    assert!(b.text("#clues").await.contains("急がせている"));
    assert!(b.text("#report-address").await.contains(REPORT));
    assert!(
        b.text("#follow-up").await.contains("サイバーセキュリティ")
            || b.count("#follow-up a").await == 1
    );
    snap(&b, &axe, "drill-caught", &mut problems).await;

    // Their protection officer is told by mail.
    let officer_told = {
        let started = Instant::now();
        loop {
            let found = smtp.received().into_iter().find(|r| {
                r.to.iter().any(|a| a.starts_with("officer1@"))
                    && mail_parser::MessageParser::default()
                        .parse(r.data.as_bytes())
                        .and_then(|m| m.subject().map(|s| s.contains("リンクが開かれました")))
                        .unwrap_or(false)
            });
            if let Some(m) = found {
                break m;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "officer1 was not told"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    let told = mail_parser::MessageParser::default()
        .parse(officer_told.data.as_bytes())
        .expect("a mail");
    assert!(told.body_text(0).expect("text").contains("staff01"));

    // staff04 forwards the drill mail to the report address; staff07 presses the report
    // button in the portal.
    let staff04 = mail_to(&smtp, "staff04").await;
    let forwarded = format!(
        "From: staff04@demo.example.jp\r\nTo: {REPORT}\r\nSubject: Fw: suspicious\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
        link_in(&staff04)
    );
    let at: std::net::SocketAddr = format!("127.0.0.1:{report_port}").parse().unwrap();
    assert_eq!(
        send(at, "staff04@demo.example.jp", REPORT, &forwarded).await,
        (250, 250)
    );
    mail_to(&smtp, "staff07").await;
    demo_sign_in(&b, &demo, "demo", "staff07", DEMO_PASSWORD).await;
    b.goto(&demo.url("/report-mail")).await;
    b.wait_for("#report-button").await;
    assert!(b.text("#report-address-line").await.contains(REPORT));
    snap(&b, &axe, "report-mail", &mut problems).await;
    b.click_to_next_page("#report-button", "#flash").await;
    assert!(b.text("#flash").await.contains("訓練でした"));
    snap(&b, &axe, "report-mail-done", &mut problems).await;
    sign_out(&b).await;

    // staff01 finds the follow-up course on their own page.
    demo_sign_in(&b, &demo, "demo", "staff01", DEMO_PASSWORD).await;
    b.goto(&demo.url("/my")).await;
    b.wait_for("#drill-follow-ups").await;
    assert!(
        b.text("#follow-up-cybersecurity")
            .await
            .contains("サイバーセキュリティ")
    );
    snap(&b, &axe, "drill-follow-up-my", &mut problems).await;
    sign_out(&b).await;

    // The chief officer's results: one press, two reports, by division and designation.
    demo_sign_in(&b, &demo, "demo", "chief", DEMO_PASSWORD).await;
    b.goto(&drill_page).await;
    b.wait_for("#tally-total").await;
    let cells = b.texts("#tally-total td").await;
    assert_eq!(cells[2], "1", "one press: {cells:?}");
    assert_eq!(cells[3], "2", "two reports: {cells:?}");
    assert!(b.text("#person-staff01").await.contains("までに受講"));
    assert!(b.text("#person-staff04").await.contains("（転送）"));
    assert!(b.text("#person-staff07").await.contains("（ポータル）"));
    assert!(b.count("#tally tr.by-division").await >= 3);
    snap(&b, &axe, "drills-results", &mut problems).await;
    b.close().await;
    drop(demo);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
