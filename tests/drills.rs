//! Targeted-attack mail drills (issue 17, item 1), with the local test SMTP server: a campaign
//! sends at its rate through the outbox and two instances send each mail once; no drill mail
//! goes to an address outside the roster; a scanner's GET of a link records nothing, a
//! browser's press of the button is recorded once, assigns the follow-up course and tells the
//! protection officer; reports by mail to the portal's report listener and by the portal's
//! button count once; preparing is refused field by field and kept within the officer's
//! divisions; cancelling withdraws the unsent mails.

use std::collections::{BTreeMap, HashSet};

use kenshu_app::mail::{Mailer, deliver_due};
use kenshu_core::person::Role;
use kenshu_tests::smtp::{TestSmtp, send};
use kenshu_tests::{Browser, Scenario, TestApp, test_db};
use time::OffsetDateTime;

const REPORT: &str = "report@test.example.jp";

async fn app() -> TestApp {
    let db = test_db().await;
    kenshu_tests::app_role().await;
    let serving = kenshu_db::connect(db.app_options(), 8)
        .await
        .expect("connect as the application role");
    TestApp::spawn_with(
        db,
        serving,
        kenshu_web::Settings {
            // The portal's own address: the links in drill mails lead back to it.
            public_url: String::new(),
            report_address: Some(REPORT.into()),
            ..Default::default()
        },
    )
    .await
}

/// `2026-12-07T09:00` for a moment `minutes` from now, in Japan time.
fn local_in(minutes: i64) -> String {
    let at = (OffsetDateTime::now_utc() + time::Duration::minutes(minutes))
        .to_offset(kenshu_core::fiscal_year::JST);
    format!("{}T{:02}:{:02}", at.date(), at.hour(), at.minute())
}

struct Drill<'a> {
    title: &'a str,
    divisions: Vec<String>,
    per_minute: &'a str,
    window_minutes: i64,
    follow_up: &'a str,
    body: &'a str,
}

impl Default for Drill<'_> {
    fn default() -> Self {
        Drill {
            title: "12月の訓練",
            divisions: Vec::new(),
            per_minute: "30",
            window_minutes: 180,
            follow_up: "cybersecurity",
            body: kenshu_core::drill::TEMPLATES[0].body,
        }
    }
}

/// Prepares a drill from the invoice template as `officer`; the answer.
async fn prepare(officer: &mut Browser, d: &Drill<'_>) -> kenshu_tests::http::Page {
    let tp = &kenshu_core::drill::TEMPLATES[0];
    officer.get("/drills/new?template=invoice").await;
    let start = local_in(-1);
    let end = local_in(d.window_minutes);
    let mut fields: Vec<(&str, &str)> = vec![
        ("template", "invoice"),
        ("title", d.title),
        ("sender_name", tp.sender_name),
        ("subject", tp.subject),
        ("body", d.body),
        ("clues", tp.clues),
        ("audience", "all"),
        ("window_start", &start),
        ("window_end", &end),
        ("per_minute", d.per_minute),
        ("follow_up_course", d.follow_up),
        ("follow_up_days", "14"),
    ];
    for div in &d.divisions {
        fields.push(("divisions", div));
    }
    officer.post("/drills", &fields).await
}

/// The drill's id from the answer to its preparation.
fn id_of(prepared: &kenshu_tests::http::Page) -> String {
    assert_eq!(prepared.status, 303, "{}", prepared.body);
    let to = prepared.location.clone().unwrap_or_default();
    to.trim_start_matches("/drills/").to_string()
}

/// Prepares a drill as `officer` and launches it; its id.
async fn launched(officer: &mut Browser, d: &Drill<'_>) -> String {
    let id = id_of(&prepare(officer, d).await);
    let launch = officer.post(&format!("/drills/{id}/launch"), &[]).await;
    assert_eq!(launch.status, 303, "{}", launch.body);
    id
}

/// Each recipient's link, by login, as their queued mail carries it.
async fn links(app: &TestApp) -> BTreeMap<String, String> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select u.login_id, o.body from drill_recipients r
         join users u on u.institution_id = r.institution_id and u.id = r.user_id
         join mail_outbox o on o.institution_id = r.institution_id and o.id = r.mail_id",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(login, body)| {
            let at = body.find("/d/").expect("a link in the mail");
            let start = body[..at].rfind("http").expect("an absolute link");
            let link: String = body[start..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            (login, link)
        })
        .collect()
}

/// The path of a link (`/d/TOKEN`).
fn path_of(link: &str) -> &str {
    &link[link.find("/d/").expect("a drill link")..]
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.pool()).await.unwrap()
}

fn mailer(smtp: &TestSmtp, app: &TestApp) -> Mailer {
    Mailer::smtp(
        &smtp.url(),
        "研修ポータル <kenshu@test.example.jp>",
        &app.url("/"),
    )
    .unwrap()
}

/// As if a minute had passed for the mails not sent yet.
async fn a_minute_passes(app: &TestApp) {
    sqlx::query(
        "update mail_outbox set next_attempt_at = next_attempt_at - interval '1 minute' where sent_at is null",
    )
    .execute(app.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn a_drill_goes_out_at_its_rate_to_roster_addresses_only_and_once_across_two_instances() {
    let app = app().await;
    let yesterday = kenshu_core::japan_today().previous_day().unwrap();
    Scenario::new(app.pool())
        .person("chief", Role::ChiefOfficer)
        .person("officer-a", Role::ProtectionOfficer)
        .person("a1", Role::Staff)
        .named("山田 太郎")
        .person("a2", Role::Staff)
        .person("a3", Role::Staff)
        .person("a4", Role::Staff)
        .person("b1", Role::Staff)
        .in_division("b")
        .without_email()
        .named("鈴木 無宛")
        .person("b2", Role::Staff)
        .in_division("b")
        .left(yesterday)
        .build()
        .await;
    let mut chief = app.signed_in("chief").await;
    let id = id_of(
        &prepare(
            &mut chief,
            &Drill {
                per_minute: "2",
                ..Default::default()
            },
        )
        .await,
    );
    // Before launching: who it reaches (not the chief who prepared it, nobody who left), and
    // who gets nothing for want of an address.
    let page = chief.get(&format!("/drills/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"reach-count\">5<"), "{}", page.body);
    assert!(page.body.contains("鈴木 無宛 (b1)"));
    let launched = chief.post(&format!("/drills/{id}/launch"), &[]).await;
    assert_eq!(launched.status, 303, "{}", launched.body);

    // Five mails, two a minute: due now, now, +1, +1, +2 minutes.
    let due: Vec<(OffsetDateTime,)> = sqlx::query_as(
        "select next_attempt_at from mail_outbox where drill_campaign_id is not null order by 1",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    let minutes: Vec<i64> = due
        .iter()
        .map(|(at,)| (*at - due[0].0).whole_minutes())
        .collect();
    assert_eq!(minutes, vec![0, 0, 1, 1, 2]);
    // Every drill mail goes to the address the roster has for its recipient.
    assert_eq!(
        count(
            &app,
            "select count(*) from mail_outbox o where drill_campaign_id is not null and not exists (
                 select 1 from drill_recipients r join users u on u.institution_id = r.institution_id and u.id = r.user_id
                 where r.mail_id = o.id and u.email = o.to_address)"
        )
        .await,
        0
    );
    // A second press of the button (or another instance's) queues nothing more.
    let again = chief.post(&format!("/drills/{id}/launch"), &[]).await;
    assert_eq!(again.status, 409);
    assert_eq!(
        count(
            &app,
            "select count(*) from mail_outbox where drill_campaign_id is not null"
        )
        .await,
        5
    );

    // Two instances' workers, side by side, minute after minute.
    let smtp = TestSmtp::start().await;
    let other = app.second_instance(4).await;
    let (one, two) = (mailer(&smtp, &app), mailer(&smtp, &app));
    let mut seen = Vec::new();
    for expected in [2, 4, 5] {
        let (x, y) = tokio::join!(
            deliver_due(app.serving_pool(), &one),
            deliver_due(&other.pool, &two)
        );
        x.unwrap();
        y.unwrap();
        seen.push(smtp.received().len());
        assert_eq!(smtp.received().len(), expected, "after {seen:?}");
        a_minute_passes(&app).await;
    }
    let to: Vec<String> = smtp.received().iter().flat_map(|r| r.to.clone()).collect();
    let unique: HashSet<&String> = to.iter().collect();
    assert_eq!(unique.len(), 5, "each mail once: {to:?}");
    assert!(
        !to.iter()
            .any(|a| a.starts_with("b1@") || a.starts_with("b2@") || a.starts_with("chief@"))
    );

    // As the person's mail client shows it: the sender's name on the portal's address, the
    // person's name, their own link back to the portal, the campaign named for the relay.
    let yamada = smtp
        .received()
        .into_iter()
        .find(|r| r.to.iter().any(|a| a.starts_with("a1@")))
        .expect("a1's mail");
    let parsed = mail_parser::MessageParser::default()
        .parse(yamada.data.as_bytes())
        .expect("a mail");
    let from = parsed.from().and_then(|f| f.first()).expect("From");
    assert_eq!(from.name(), Some("株式会社ミドリ商事 経理部"));
    assert_eq!(from.address(), Some("kenshu@test.example.jp"));
    assert_eq!(
        parsed.subject(),
        Some(kenshu_core::drill::TEMPLATES[0].subject)
    );
    assert!(yamada.data.contains(&format!("X-Kenshu-Drill: {id}")));
    let body = parsed.body_text(0).expect("a text body");
    assert!(body.starts_with("山田 太郎 様"), "{body}");
    assert!(body.contains(&format!("{}/d/", app.url(""))), "{body}");

    // The results count what went out.
    let results = chief.get(&format!("/drills/{id}")).await;
    assert!(
        results
            .body
            .contains("<tr id=\"tally-total\"><th scope=\"row\">全体</th><td>5</td><td>5</td><td>0</td><td>0</td>"),
        "{}",
        results.body
    );
    let launches: Vec<(String,)> =
        sqlx::query_as("select detail from audit_log where action = 'drill_launched'")
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(launches.len(), 1);
    assert!(
        launches[0].0.contains("5 mails, 2 per minute"),
        "{:?}",
        launches
    );
    assert!(launches[0].0.contains("1 without an address"));
}

#[tokio::test]
async fn a_scanners_get_records_nothing_and_a_press_is_recorded_once_with_the_follow_up_and_the_officer_told()
 {
    let app = app().await;
    Scenario::new(app.pool())
        .person("chief", Role::ChiefOfficer)
        .person("officer-a", Role::ProtectionOfficer)
        .person("a1", Role::Staff)
        .named("山田 太郎")
        .person("a2", Role::Staff)
        .build()
        .await;
    let mut chief = app.signed_in("chief").await;
    let id = launched(&mut chief, &Drill::default()).await;
    let links = links(&app).await;
    let link = path_of(&links["a1"]).to_string();
    let clicks = "select coalesce(sum(clicks), 0)::bigint from drill_recipients";

    // A mail scanner or link previewer: GET and HEAD, no cookies, as often as it likes.
    let scanner = reqwest::Client::builder()
        .user_agent("Mozilla/5.0 (compatible; SafeLinks; +scanner)")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..3 {
        let got = scanner.get(app.url(&link)).send().await.unwrap();
        assert_eq!(got.status(), 200);
        assert_eq!(
            got.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store")
        );
        let page = got.text().await.unwrap();
        assert!(page.contains("id=\"continue\""));
        assert!(
            !page.contains("訓練"),
            "the page before the press gives nothing away"
        );
        let head = scanner.head(app.url(&link)).send().await.unwrap();
        assert_eq!(head.status(), 200);
    }
    // A POST without the form's token (a scanner that submits forms) is refused.
    let forged = scanner
        .post(app.url(&link))
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(count(&app, clicks).await, 0);
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_log where action = 'drill_clicked'"
        )
        .await,
        0
    );

    // The person, in a browser: the page, then the button.
    let mut person = app.browser();
    assert_eq!(person.get(&link).await.status, 200);
    let taught = person.post(&link, &[]).await;
    assert_eq!(taught.status, 200, "{}", taught.body);
    assert!(taught.body.contains("これは標的型攻撃メールの訓練です"));
    assert!(taught.body.contains("山田 太郎 様"));
    assert!(
        taught
            .body
            .contains("取引のない会社からの「再送」で、急がせている")
    );
    assert!(
        taught.body.contains(REPORT),
        "what to do next time names the report address"
    );
    let title: String =
        sqlx::query_scalar("select title from courses where code = 'cybersecurity'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert!(
        taught.body.contains(&title),
        "the follow-up course is named"
    );
    assert!(taught.body.contains("href=\"/courses/cybersecurity\""));
    assert_eq!(count(&app, clicks).await, 1);

    // Pressed again (a reload): counted, but the first press stays the one that counts.
    assert_eq!(person.post(&link, &[]).await.status, 200);
    assert_eq!(count(&app, clicks).await, 2);
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_log where action = 'drill_clicked'"
        )
        .await,
        1
    );
    let follow_ups: Vec<(String, time::Date)> =
        sqlx::query_as("select course_code, deadline from drill_follow_ups")
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(
        follow_ups,
        vec![(
            "cybersecurity".to_string(),
            kenshu_core::japan_today() + time::Duration::days(14)
        )]
    );
    // Their protection officer is told, once.
    let told: Vec<(String, String)> = sqlx::query_as(
        "select to_address, body from mail_outbox where drill_campaign_id is null and subject like '%標的型メール訓練%'",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].0.starts_with("officer-a@"));
    assert!(told[0].1.contains("山田 太郎さん（a1）"));
    assert!(told[0].1.contains(&title));

    // The person sees the follow-up on their own page, until they pass its test again.
    let mut a1 = app.signed_in("a1").await;
    let my = a1.get("/my").await;
    let item = my
        .body
        .split("id=\"follow-up-cybersecurity\"")
        .nth(1)
        .and_then(|c| c.split("</li>").next())
        .expect("the follow-up on /my");
    assert!(
        item.contains(&title) && item.contains("/courses/cybersecurity/test"),
        "{item}"
    );
    assert!(!item.contains("受講済み"));

    // The results: the press, the follow-up due.
    let results = chief.get(&format!("/drills/{id}")).await;
    assert!(results.body.contains("<td>0</td><td>0</td>") || results.body.contains("tally-total"));
    let row = results
        .body
        .split("<tr id=\"person-a1\">")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .expect("a1's row");
    assert!(row.contains("×2"), "{row}");
    assert!(row.contains("までに受講"), "{row}");
    let untouched = results
        .body
        .split("<tr id=\"person-a2\">")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .expect("a2's row");
    assert!(!untouched.contains("までに受講"));

    // A pass of the course's test before the click does not count; one after it does.
    let pass = |minutes: i64| {
        let pool = app.pool().clone();
        async move {
            sqlx::query(
                "insert into test_attempts (institution_id, id, user_id, course_code, content_version_id,
                     fiscal_year, started_at, submitted_at, score, total, pass_mark, passed)
                 select u.institution_id, gen_random_uuid(), u.id, k.code, k.current_version_id, $2,
                        now() + make_interval(mins => $1) - interval '5 minutes',
                        now() + make_interval(mins => $1), 3, 3, 2, true
                 from users u, courses k where u.login_id = 'a1' and k.code = 'cybersecurity'",
            )
            .bind(minutes as i32)
            .bind(kenshu_core::FiscalYear::of(kenshu_core::japan_today()).year())
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    pass(-60).await;
    assert!(!a1.get("/my").await.body.contains("受講済み</span></li>"));
    pass(1).await;
    let my = a1.get("/my").await;
    assert!(my.body.contains("受講済み</span></li>"), "{}", my.body);
    let results = chief.get(&format!("/drills/{id}")).await;
    let row = results
        .body
        .split("<tr id=\"person-a1\">")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .expect("a1's row");
    assert!(row.contains("受講済み"), "{row}");

    // Links nobody has, and ones that are not links at all.
    let nobody = format!("/d/{}", "0".repeat(64));
    assert_eq!(
        scanner.get(app.url(&nobody)).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        scanner
            .get(app.url("/d/..%2f..%2fetc"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

/// A mail forwarding `link` from `from`, as a mail client forwards inline (base64 body).
fn forwarded(from: &str, link: &str) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(format!(
        "怪しいメールが届きました。\n\n-------- Forwarded Message --------\n請求書の確認: {link}\n"
    ));
    let wrapped: Vec<String> = body
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    format!(
        "From: {from}\r\nTo: {REPORT}\r\nSubject: Fw: =?UTF-8?B?6KuL5rGC5pu4?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        wrapped.join("\r\n")
    )
}

#[tokio::test]
async fn reports_by_mail_from_the_recipient_and_by_the_portal_button_count_once() {
    let app = app().await;
    Scenario::new(app.pool())
        .person("chief", Role::ChiefOfficer)
        .person("a1", Role::Staff)
        .person("a2", Role::Staff)
        .person("a3", Role::Staff)
        .person("a4", Role::Staff)
        .build()
        .await;
    let mut chief = app.signed_in("chief").await;
    let id = launched(&mut chief, &Drill::default()).await;
    let links = links(&app).await;
    let smtp = TestSmtp::start().await;
    deliver_due(app.serving_pool(), &mailer(&smtp, &app))
        .await
        .unwrap();
    assert_eq!(smtp.received().len(), 4);
    // Once sent, the outbox keeps no link: nobody reading it can press a button as another.
    assert_eq!(
        count(
            &app,
            "select count(*) from mail_outbox where body ~ '/d/[0-9a-f]{64}'"
        )
        .await,
        0
    );
    let bodies: Vec<String> = smtp
        .received()
        .iter()
        .filter_map(|r| {
            mail_parser::MessageParser::default()
                .parse(r.data.as_bytes())
                .and_then(|m| m.body_text(0).map(|b| b.to_string()))
        })
        .collect();
    assert!(
        links
            .values()
            .all(|l| bodies.iter().any(|b| b.contains(path_of(l)))),
        "the relay got the links"
    );
    let listener = kenshu_app::drill::report::Listener {
        pool: app.serving_pool().clone(),
        key: kenshu_tests::audit_key(),
        address: REPORT.into(),
        host: "kenshu.test".into(),
    };
    let at = listener.spawn("127.0.0.1:0").await.unwrap();
    // Only this test reports in this test binary: the counters' changes are its own.
    let metrics = || {
        (
            kenshu_app::metrics::DRILL_REPORTS_MAIL.get(),
            kenshu_app::metrics::DRILL_REPORTS_PORTAL.get(),
            kenshu_app::metrics::DRILL_REPORT_MAILS_UNMATCHED.get(),
        )
    };
    let before = metrics();
    let reported = |login: &'static str| {
        let pool = app.pool().clone();
        async move {
            sqlx::query_scalar::<_, Option<String>>(
                "select r.reported_via from drill_recipients r join users u on u.id = r.user_id where u.login_id = $1",
            )
            .bind(login)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };

    // a1 forwards their own drill mail (after pressing its button: a report still counts).
    let mut a1_browser = app.browser();
    a1_browser.get(path_of(&links["a1"])).await;
    assert_eq!(
        a1_browser.post(path_of(&links["a1"]), &[]).await.status,
        200
    );
    let mail = forwarded("A1 <A1@test.example.jp>", &links["a1"]);
    assert_eq!(
        send(at, "a1@test.example.jp", "Report@Test.Example.jp", &mail).await,
        (250, 250)
    );
    assert_eq!(reported("a1").await.as_deref(), Some("mail"));
    // Again: nothing more.
    assert_eq!(
        send(at, "a1@test.example.jp", REPORT, &mail).await,
        (250, 250)
    );
    // a2 forwards a1's mail: it counts for neither (the link is a1's, the sender is not).
    let theirs = forwarded("a2@test.example.jp", &links["a1"]);
    assert_eq!(
        send(at, "a2@test.example.jp", REPORT, &theirs).await,
        (250, 250)
    );
    assert_eq!(reported("a2").await, None);
    // a3's mail system strips links: a mail from a3's address counts for a3's latest drill.
    let stripped = "From: a3@test.example.jp\r\nTo: report@test.example.jp\r\nSubject: suspicious\r\n\r\n[link removed]\r\n";
    assert_eq!(
        send(at, "a3@test.example.jp", REPORT, stripped).await,
        (250, 250)
    );
    assert_eq!(reported("a3").await.as_deref(), Some("mail"));
    // The listener relays nothing: other recipients are refused.
    assert_eq!(
        send(
            at,
            "a3@test.example.jp",
            "someone@elsewhere.example",
            stripped
        )
        .await
        .0,
        550
    );

    // a4 uses the portal's report button; the page says it was a drill.
    let mut a4 = app.signed_in("a4").await;
    let page = a4.get("/report-mail").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(REPORT));
    let done = a4.post("/report-mail", &[]).await;
    assert_eq!(done.status, 303);
    let after = a4.get(done.location.as_deref().unwrap()).await;
    assert!(after.body.contains("訓練でした"), "{}", after.body);
    assert_eq!(reported("a4").await.as_deref(), Some("portal"));
    // Pressed again, or by someone without a drill mail: received, and said not to be a drill.
    a4.post("/report-mail", &[]).await;
    let again = a4.get("/report-mail").await;
    assert!(
        again.body.contains("本物の不審メールかもしれません"),
        "{}",
        again.body
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from drill_recipients where reported_at is not null"
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_log where action = 'drill_reported'"
        )
        .await,
        3
    );
    let after = metrics();
    assert_eq!(
        (after.0 - before.0, after.1 - before.1, after.2 - before.2),
        (2, 1, 2),
        "reports by mail, by the button, and mails that counted for nothing (a1's again, a2's)"
    );

    // The results: 3 reported, 2 of them without having pressed, and a time to report.
    let results = chief.get(&format!("/drills/{id}")).await;
    assert!(
        results.body.contains(
            "<tr id=\"tally-total\"><th scope=\"row\">全体</th><td>4</td><td>4</td><td>1</td><td>3</td><td>2</td><td>0分</td>"
        ),
        "{}",
        results.body
    );
    assert!(results.body.contains("（転送）"));
    assert!(results.body.contains("（ポータル）"));
}

#[tokio::test]
async fn preparing_is_refused_field_by_field_and_kept_within_the_officers_divisions() {
    let app = app().await;
    let s = Scenario::new(app.pool())
        .person("chief", Role::ChiefOfficer)
        .person("audit", Role::AuditOfficer)
        .person("officer-a", Role::ProtectionOfficer)
        .person("officer-b", Role::ProtectionOfficer)
        .in_division("b")
        .person("a1", Role::Staff)
        .person("a2", Role::Staff)
        .person("a3", Role::Staff)
        .person("b1", Role::Staff)
        .in_division("b")
        .build()
        .await;
    let (a, b) = (s.division("a").to_string(), s.division("b").to_string());
    let mut chief = app.signed_in("chief").await;
    let refused = prepare(
        &mut chief,
        &Drill {
            title: " ",
            per_minute: "0",
            follow_up: "no-such-course",
            body: "請求書 123456789018 をご確認ください",
            ..Default::default()
        },
    )
    .await;
    assert_eq!(refused.status, 422);
    for field in [
        "訓練の名前:",
        "本文: {link} を含めて",
        "マイナンバー",
        "1分あたりの送信数:",
        "フォローアップ研修: 一覧にある研修",
    ] {
        assert!(refused.body.contains(field), "{field}: {}", refused.body);
    }
    assert!(
        !refused.body.contains("123456789018"),
        "a My Number never travels back"
    );
    assert_eq!(count(&app, "select count(*) from drill_campaigns").await, 0);

    // A protection officer aims at their own divisions only.
    let mut officer_a = app.signed_in("officer-a").await;
    let form = officer_a.get("/drills/new").await;
    assert!(form.body.contains(&format!("value=\"{a}\" checked")));
    assert!(!form.body.contains(&b), "division b is not offered");
    let outside = prepare(
        &mut officer_a,
        &Drill {
            divisions: vec![b.clone()],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(outside.status, 422);
    assert!(outside.body.contains("対象の所属:"));
    let everyone = prepare(&mut officer_a, &Drill::default()).await;
    assert_eq!(
        everyone.status, 422,
        "no division chosen means every division"
    );
    let mine = id_of(
        &prepare(
            &mut officer_a,
            &Drill {
                divisions: vec![a.clone()],
                per_minute: "1",
                window_minutes: 2,
                ..Default::default()
            },
        )
        .await,
    );
    // Too many for what is left of the window at one a minute: refused, naming the fix.
    let too_many = officer_a.post(&format!("/drills/{mine}/launch"), &[]).await;
    assert_eq!(too_many.status, 422);
    assert!(
        too_many.body.contains("送信期間内に送り切れません"),
        "{}",
        too_many.body
    );
    assert_eq!(
        count(&app, "select count(*) from drill_recipients").await,
        0
    );

    // Who may see and do what.
    let chiefs = id_of(&prepare(&mut chief, &Drill::default()).await);
    let mut officer_b = app.signed_in("officer-b").await;
    let mut audit = app.signed_in("audit").await;
    let mut staff = app.signed_in("a1").await;
    assert_eq!(officer_b.get(&format!("/drills/{mine}")).await.status, 403);
    assert_eq!(
        officer_b
            .post(&format!("/drills/{mine}/launch"), &[])
            .await
            .status,
        403
    );
    assert_eq!(
        officer_a.get(&format!("/drills/{chiefs}")).await.status,
        403,
        "an all-division drill is the chief's"
    );
    let list = officer_a.get("/drills").await;
    assert!(list.body.contains(&mine) && !list.body.contains(&chiefs));
    assert_eq!(audit.get(&format!("/drills/{chiefs}")).await.status, 200);
    assert_eq!(
        audit
            .post(&format!("/drills/{chiefs}/launch"), &[])
            .await
            .status,
        403
    );
    assert_eq!(audit.get("/drills/new").await.status, 403);
    let forbidden = staff.get("/drills").await;
    assert_eq!(forbidden.status, 403);
    assert!(!forbidden.body.contains("12月の訓練"));
    assert_eq!(staff.get(&format!("/drills/{chiefs}")).await.status, 403);
    assert_eq!(
        chief
            .get(&format!("/drills/{}", uuid::Uuid::new_v4()))
            .await
            .status,
        404
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_log where action = 'drill_prepared'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn cancelling_a_drill_withdraws_its_unsent_mails() {
    let app = app().await;
    Scenario::new(app.pool())
        .person("chief", Role::ChiefOfficer)
        .person("a1", Role::Staff)
        .person("a2", Role::Staff)
        .person("a3", Role::Staff)
        .build()
        .await;
    let mut chief = app.signed_in("chief").await;
    let id = id_of(
        &prepare(
            &mut chief,
            &Drill {
                per_minute: "1",
                ..Default::default()
            },
        )
        .await,
    );
    assert_eq!(
        chief
            .post(&format!("/drills/{id}/launch"), &[])
            .await
            .status,
        303
    );
    let smtp = TestSmtp::start().await;
    deliver_due(app.serving_pool(), &mailer(&smtp, &app))
        .await
        .unwrap();
    assert_eq!(smtp.received().len(), 1);
    let cancelled = chief.post(&format!("/drills/{id}/cancel"), &[]).await;
    assert_eq!(cancelled.status, 303);
    a_minute_passes(&app).await;
    a_minute_passes(&app).await;
    deliver_due(app.serving_pool(), &mailer(&smtp, &app))
        .await
        .unwrap();
    assert_eq!(smtp.received().len(), 1, "nothing more goes out");
    let page = chief.get(&format!("/drills/{id}")).await;
    assert!(page.body.contains("id=\"drill-status\">中止<"));
    assert_eq!(page.body.matches(">取り消し<").count(), 2, "{}", page.body);
    assert_eq!(
        chief
            .post(&format!("/drills/{id}/cancel"), &[])
            .await
            .status,
        409
    );
    let logged: Vec<(String,)> =
        sqlx::query_as("select detail from audit_log where action = 'drill_cancelled'")
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(logged.len(), 1);
    assert!(logged[0].0.contains("2 unsent mails withdrawn"));
}

#[tokio::test]
async fn the_annual_report_lists_the_years_drills_and_whether_the_plan_counts_them() {
    let app = app().await;
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today());
    Scenario::new(app.pool())
        .plan(fy.next())
        .person("chief", Role::ChiefOfficer)
        .person("a1", Role::Staff)
        .person("a2", Role::Staff)
        .build()
        .await;
    let mut chief = app.signed_in("chief").await;
    launched(&mut chief, &Drill::default()).await;
    let links = links(&app).await;
    let smtp = TestSmtp::start().await;
    deliver_due(app.serving_pool(), &mailer(&smtp, &app))
        .await
        .unwrap();
    let mut person = app.browser();
    person.get(path_of(&links["a1"])).await;
    assert_eq!(person.post(path_of(&links["a1"]), &[]).await.status, 200);
    let mut a2 = app.signed_in("a2").await;
    a2.get("/report-mail").await;
    assert_eq!(a2.post("/report-mail", &[]).await.status, 303);
    // A drill prepared and never launched is not in the report.
    id_of(
        &prepare(
            &mut chief,
            &Drill {
                title: "未実施の訓練",
                ..Default::default()
            },
        )
        .await,
    );

    let y = fy.year();
    let csv = chief
        .get(&format!("/reports/annual?fy={y}&format=csv"))
        .await;
    assert_eq!(csv.status, 200);
    let rows = kenshu_tests::reports::parse_csv(&csv.body);
    let drill: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[0] == "#標的型メール訓練")
        .collect();
    assert_eq!(drill.len(), 1, "{rows:?}");
    assert_eq!(drill[0][1], "12月の訓練");
    assert_eq!(drill[0][3..8], ["2", "2", "1", "1", "1"]);
    assert!(
        rows.iter()
            .any(|r| r[0].starts_with("#標的型メール訓練: 研修としては数えない")),
        "{rows:?}"
    );
    let person_rows = |rows: &[Vec<String>]| -> Vec<Vec<String>> {
        rows.iter()
            .filter(|r| {
                r.get(5)
                    .is_some_and(|c| c.starts_with("標的型メール訓練: "))
            })
            .cloned()
            .collect()
    };
    assert!(
        person_rows(&rows).is_empty(),
        "not counted as training: no row per person: {rows:?}"
    );
    let html = chief
        .get(&format!("/reports/annual?fy={y}&format=html"))
        .await;
    assert!(html.body.contains("id=\"drills-summary\""));
    assert!(!html.body.contains("未実施の訓練"));

    // The plan says the year's drills count as training: the report says so. (The approved
    // plan cannot be changed; next year's draft takes the setting from its form.)
    let next = fy.next().year();
    chief.get("/plans").await;
    let saved = chief
        .post(
            &format!("/plans/{next}/details"),
            &[
                ("purpose", "研修の目的"),
                ("method", "eラーニング"),
                ("newcomer_days", "30"),
                ("drills_form", "1"),
                ("drills_count", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let counted: bool =
        sqlx::query_scalar("select drills_count from training_plans where fiscal_year = $1")
            .bind(next)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert!(counted);
    sqlx::query("update training_plans set drills_count = true where fiscal_year = $1")
        .bind(y)
        .execute(app.pool())
        .await
        .unwrap();
    // Counted: each person's drill follows their courses, in every format: what they did, the
    // day they reported, the follow-up's deadline and state, the day the mail went.
    let today = kenshu_core::japan_today();
    let csv = chief
        .get(&format!("/reports/annual?fy={y}&format=csv"))
        .await;
    let rows = kenshu_tests::reports::parse_csv(&csv.body);
    let drilled = person_rows(&rows);
    assert_eq!(drilled.len(), 2, "{rows:?}");
    let of = |login: &str| {
        drilled
            .iter()
            .find(|r| r[2] == login)
            .unwrap_or_else(|| panic!("{login}: {drilled:?}"))
    };
    assert_eq!(of("a1")[5], "標的型メール訓練: 12月の訓練");
    assert_eq!(of("a1")[6], "リンクを開いた");
    assert_eq!(of("a1")[8], "", "not reported");
    assert_eq!(of("a1")[10], (today + time::Duration::days(14)).to_string());
    assert_eq!(
        of("a1")[11],
        format!("送信日 {today}・フォローアップ研修 未修了")
    );
    assert_eq!(of("a2")[6], "報告（開かずに）");
    assert_eq!(of("a2")[8], today.to_string());
    assert_eq!(of("a2")[11], format!("送信日 {today}"));
    let a1_course = rows
        .iter()
        .position(|r| r[2] == "a1" && r[5] == "事務取扱担当者研修")
        .expect("a1's course row");
    let a1_drill = rows
        .iter()
        .position(|r| r[2] == "a1" && r[5].starts_with("標的型メール訓練: "))
        .expect("a1's drill row");
    assert!(a1_course < a1_drill, "the drill follows the courses");
    let html = chief
        .get(&format!("/reports/annual?fy={y}&format=html"))
        .await;
    assert!(
        html.body.contains("標的型メール訓練: 12月の訓練")
            && html.body.contains("フォローアップ研修 未修了"),
        "{}",
        html.body
    );
    let res = chief
        .client
        .get(app.url(&format!("/reports/annual?fy={y}&format=xlsx")))
        .send()
        .await
        .unwrap();
    let bytes = res.bytes().await.unwrap();
    let sheet = kenshu_tests::reports::xlsx_sheet(&bytes, "標的型メール訓練");
    assert_eq!(sheet[0][..3], ["訓練の名前", "送信開始", "対象者"]);
    assert_eq!(sheet[1][0], "12月の訓練");
    assert_eq!(sheet[1][2..7], ["2", "2", "1", "1", "1"]);
    assert!(
        sheet.iter().any(|r| r[0].contains("研修として数える（")),
        "{sheet:?}"
    );
    let first = kenshu_tests::reports::xlsx_sheet(&bytes, "受講状況");
    assert!(
        first.iter().any(|r| r[2] == "a2"
            && r[5] == "標的型メール訓練: 12月の訓練"
            && r[6] == "報告（開かずに）"),
        "{first:?}"
    );
}
