//! 督促: reminders by mail through the outbox and as a notice at the next sign-in, sent by an
//! officer or by the plan's schedule, each recorded; the outbox survives a failing mail
//! server and sends each mail once.

use kenshu_app::mail::{Delivery, Mailer, deliver_due};
use kenshu_app::reminder::schedule::run as run_schedule;
use kenshu_core::person::Role;
use kenshu_core::{FiscalYear, japan_today};
use kenshu_tests::smtp::TestSmtp;
use kenshu_tests::{Scenario, TestApp, simulate};
use time::Duration;

/// This year's plan, every course from the start of the year until 40 days from now with no
/// re-attendance period, except the clerk course, due in `clerk_days` days.
fn plan_with_clerk_due(app: &TestApp, clerk_days: i64) -> Scenario<'_> {
    let fy = FiscalYear::of(japan_today());
    Scenario::new(app.pool())
        .plan(fy)
        .every_course()
        .starts(fy.start())
        .deadline(japan_today() + Duration::days(40))
        .retake_until(None)
        .course("clerk")
        .deadline(japan_today() + Duration::days(clerk_days))
        .approved()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.pool()).await.unwrap()
}

#[tokio::test]
async fn an_officer_reminds_a_person_by_mail_and_at_their_next_sign_in() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("late-a", Role::Staff)
        .person("other-b", Role::Staff)
        .in_division("b")
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    o.get("/people/late-a").await;

    let refused = o
        .post(
            "/people/late-a/reminders",
            &[("message", "番号 1234-5678-9018 の件")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("督促の連絡文") && refused.body.contains("マイナンバー"),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(">番号 ＊＊＊＊-＊＊＊＊-＊＊＊＊ の件</textarea>")
            && refused.body.contains("id=\"rm-message-error\""),
        "the message kept without the number, the reason by it: {}",
        refused.body
    );
    let elsewhere = o.post("/people/other-b/reminders", &[]).await;
    assert_eq!(elsewhere.status, 403);
    assert!(!elsewhere.body.contains("other-b"));
    assert_eq!(count(&app, "select count(*) from reminders").await, 0);

    let sent = o
        .post(
            "/people/late-a/reminders",
            &[("message", "今週中に受講してください。")],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let page = o.get("/people/late-a").await;
    assert!(
        page.body.contains("今週中に受講してください。") && page.body.contains("送信待ち"),
        "{}",
        page.body
    );
    let dash = o.get("/officer").await;
    assert!(
        dash.body.contains("最終督促"),
        "the dashboard has a last-reminder column"
    );

    let smtp = TestSmtp::start().await;
    let mailer = Mailer::smtp(
        &smtp.url(),
        "kenshu@city.example.jp",
        "https://kenshu.city.example.jp",
    )
    .unwrap();
    let done = deliver_due(app.pool(), &mailer).await.unwrap();
    assert_eq!(done, Delivery { sent: 1, failed: 0 });
    let mail = smtp.received();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, ["late-a@test.example.jp"]);
    assert!(mail[0].from.contains("kenshu@city.example.jp"));
    assert!(
        mail[0].data.to_lowercase().contains("subject: =?utf-8?"),
        "a Japanese subject, encoded: {}",
        mail[0].data
    );
    let headers: Vec<&str> = mail[0].data.lines().take_while(|l| !l.is_empty()).collect();
    let header = |name: &str| {
        headers
            .iter()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
    };
    assert!(header("Message-ID: <").ends_with("@kenshu.city.example.jp>"));
    assert_eq!(header("MIME-Version: "), "1.0");
    assert!(header("Date: ").ends_with(" +0900"), "{headers:?}");
    assert!(o.get("/people/late-a").await.body.contains("送信済み"));

    // The person sees it at their next sign-in until they acknowledge it.
    let mut me = app.signed_in("late-a").await;
    let my = me.get("/my").await;
    assert!(
        my.body.contains("研修についてのお知らせ")
            && my.body.contains("今週中に受講してください。")
            && my.body.contains("事務取扱担当者研修")
            && my.body.contains("試験 officer-a"),
        "{}",
        my.body
    );
    assert_eq!(me.post("/my/reminders/seen", &[]).await.status, 303);
    assert!(!me.get("/my").await.body.contains("研修についてのお知らせ"));
    let history = o.get("/people/late-a").await;
    assert!(history.body.contains("<td>✔</td>"), "seen by the person");
}

#[tokio::test]
async fn everyone_selected_on_the_dashboard_is_reminded_and_a_staff_member_cannot() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("late-a", Role::Staff)
        .person("late-a2", Role::Staff)
        .person("other-b", Role::Staff)
        .in_division("b")
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    let dash = o.get("/officer").await;
    assert!(dash.body.contains("選んだ人に督促する"));
    let sent = o
        .post(
            "/officer/reminders",
            &[
                ("pick", "late-a|clerk"),
                ("pick", "late-a|cybersecurity"),
                ("pick", "late-a2|clerk"),
                ("message", ""),
                ("division", "a"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303);
    assert_eq!(
        sent.location.as_deref(),
        Some("/officer?division=a&reminded=2")
    );
    assert!(
        o.get("/officer?division=a&reminded=2")
            .await
            .body
            .contains("督促を送りました。（2名）")
    );
    let courses: Vec<Vec<String>> = sqlx::query_scalar(
        "select r.courses from reminders r join users u on u.id = r.user_id order by u.login_id",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(
        courses,
        [
            vec!["clerk".to_string(), "cybersecurity".into()],
            vec!["clerk".into()]
        ]
    );
    assert_eq!(count(&app, "select count(*) from mail_outbox").await, 2);

    // Another division's person in the selection refuses the whole request.
    let mixed = o
        .post(
            "/officer/reminders",
            &[("pick", "late-a|clerk"), ("pick", "other-b|clerk")],
        )
        .await;
    assert_eq!(mixed.status, 403);
    assert_eq!(count(&app, "select count(*) from reminders").await, 2);

    let mut s = app.signed_in("late-a").await;
    s.get("/my").await;
    assert_eq!(
        s.post("/officer/reminders", &[("pick", "late-a2|clerk")])
            .await
            .status,
        403
    );
    assert_eq!(count(&app, "select count(*) from reminders").await, 2);
}

#[tokio::test]
async fn a_refused_group_reminder_shows_the_dashboard_again_as_it_was_typed_and_picked() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("late-a", Role::Staff)
        .person("late-a2", Role::Staff)
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    o.get("/officer?division=a&show=all&sort=name").await;

    let refused = o
        .post(
            "/officer/reminders",
            &[
                ("pick", "late-a2"),
                ("message", "番号 1234-5678-9018 の件"),
                ("division", "a"),
                ("show", "all"),
                ("sort", "name"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let body = &refused.body;
    assert!(
        body.contains("id=\"refused-summary\"")
            && body.contains("id=\"group-message-error\"")
            && body.contains("マイナンバー"),
        "the reason at the top and by the field: {body}"
    );
    assert!(
        body.contains("value=\"番号 ＊＊＊＊-＊＊＊＊-＊＊＊＊ の件\"")
            && !body.contains("1234-5678-9018"),
        "the message kept without the number: {body}"
    );
    assert!(
        body.contains("name=\"pick\" value=\"late-a2\" checked")
            && body.contains("name=\"pick\" value=\"late-a\" aria-label"),
        "the same person still picked, and only them: {body}"
    );
    assert!(
        body.contains("aria-current=\"page\">すべて</a>")
            && body.contains("<strong>職員番号順</strong>"),
        "the same view (filter and sort): {body}"
    );

    let nobody = o
        .post(
            "/officer/reminders",
            &[("message", "今週中に受講してください。"), ("division", "a")],
        )
        .await;
    assert_eq!(nobody.status, 422);
    assert!(
        nobody.body.contains("id=\"remind-picks\"")
            && nobody.body.contains("督促する相手がいません")
            && nobody.body.contains("value=\"今週中に受講してください。\""),
        "{}",
        nobody.body
    );
    assert_eq!(count(&app, "select count(*) from reminders").await, 0);

    let sent = o
        .post(
            "/officer/reminders",
            &[
                ("pick", "late-a2"),
                ("message", "今週中に受講してください。"),
                ("division", "a"),
                ("show", "all"),
                ("sort", "name"),
            ],
        )
        .await;
    assert_eq!(
        sent.location.as_deref(),
        Some("/officer?division=a&show=all&sort=name&reminded=1"),
        "back to the same view"
    );
    assert_eq!(count(&app, "select count(*) from reminders").await, 1);
}

#[tokio::test]
async fn the_outbox_survives_a_failing_mail_server_and_then_delivers_each_mail_once() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("admin", Role::PortalAdmin)
        .person("late-1", Role::Staff)
        .person("late-2", Role::Staff)
        .person("late-3", Role::Staff)
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    o.get("/officer").await;
    let sent = o
        .post(
            "/officer/reminders",
            &[
                ("pick", "late-1"),
                ("pick", "late-2"),
                ("pick", "late-3"),
                ("division", "a"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);

    let smtp = TestSmtp::start().await;
    smtp.set_failing(true);
    let mailer = Mailer::smtp(
        &smtp.url(),
        "kenshu@city.example.jp",
        "https://kenshu.city.example.jp",
    )
    .unwrap();
    let first = deliver_due(app.pool(), &mailer).await.unwrap();
    assert_eq!(first, Delivery { sent: 0, failed: 3 });
    assert!(smtp.received().is_empty());
    let mut admin = app.signed_in("admin").await;
    let page = admin.get("/admin/mail").await;
    assert!(
        page.body.contains("再送待ち") && page.body.contains("temporarily unavailable"),
        "{}",
        page.body
    );

    // The server is back, but the pause before the next attempt has not passed.
    smtp.set_failing(false);
    let early = deliver_due(app.pool(), &mailer).await.unwrap();
    assert_eq!(early, Delivery::default());
    simulate::mail_retry_due(app.pool()).await;

    // Two portal instances work the outbox at once: each mail goes out once.
    let other = Mailer::smtp(
        &smtp.url(),
        "kenshu@city.example.jp",
        "https://kenshu.city.example.jp",
    )
    .unwrap();
    let (a, b) = tokio::join!(
        deliver_due(app.pool(), &mailer),
        deliver_due(app.pool(), &other)
    );
    assert_eq!(a.unwrap().sent + b.unwrap().sent, 3);
    let again = deliver_due(app.pool(), &mailer).await.unwrap();
    assert_eq!(again, Delivery::default());
    let mut to: Vec<String> = smtp.received().into_iter().flat_map(|m| m.to).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "late-1@test.example.jp",
            "late-2@test.example.jp",
            "late-3@test.example.jp"
        ]
    );
    let page = admin.get("/admin/mail").await;
    assert_eq!(page.body.matches("送信済み").count(), 3, "{}", page.body);
    assert_eq!(
        count(&app, "select count(*) from mail_outbox where attempts = 2").await,
        3,
        "one failed attempt and one delivery each"
    );
}

#[tokio::test]
async fn without_an_smtp_server_mail_is_logged_and_readable_by_the_portal_admin() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("admin", Role::PortalAdmin)
        .person("late-a", Role::Staff)
        .build()
        .await;
    let mut o = app.signed_in("officer-a").await;
    o.get("/people/late-a").await;
    o.post("/people/late-a/reminders", &[("message", "確認願います")])
        .await;
    let done = deliver_due(app.pool(), &Mailer::log()).await.unwrap();
    assert_eq!(done.sent, 1);
    let mut admin = app.signed_in("admin").await;
    let page = admin.get("/admin/mail").await;
    assert!(
        page.body.contains("late-a@test.example.jp")
            && page.body.contains("ログに記録")
            && page.body.contains("確認願います")
            && page.body.contains("試験 late-a 様"),
        "{}",
        page.body
    );
    assert_eq!(o.get("/admin/mail").await.status, 403);
}

#[tokio::test]
async fn the_plan_schedule_reminds_14_and_3_days_before_then_weekly_once_each() {
    let app = TestApp::spawn().await;
    plan_with_clerk_due(&app, 3)
        .person("late-a", Role::Staff)
        .person("done-a", Role::Staff)
        .completed("done-a", "clerk")
        .build()
        .await;
    let today = japan_today();
    let url = "https://kenshu.example.jp";
    let run = |days: i64| {
        run_schedule(
            app.pool(),
            simulate::ten_oclock(today + Duration::days(days)),
            url,
        )
    };

    assert_eq!(run(-12).await.unwrap(), 0, "15 days before: nothing yet");
    assert_eq!(run(-11).await.unwrap(), 1, "14 days before");
    assert_eq!(run(-11).await.unwrap(), 0, "once per step");
    assert_eq!(run(-5).await.unwrap(), 0);
    assert_eq!(run(0).await.unwrap(), 1, "3 days before");
    assert_eq!(run(3).await.unwrap(), 0, "the deadline day");
    // Two instances run the schedule at once: one reminder.
    let (a, b) = tokio::join!(run(4), run(4));
    assert_eq!(a.unwrap() + b.unwrap(), 1, "the day after the deadline");
    assert_eq!(run(10).await.unwrap(), 0);
    assert_eq!(run(11).await.unwrap(), 1, "a week later");

    let rows: Vec<(String, Vec<String>, Option<uuid::Uuid>)> = sqlx::query_as(
        "select u.login_id, r.courses, r.sent_by from reminders r join users u on u.id = r.user_id order by r.created_at",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(rows.len(), 4);
    assert!(
        rows.iter()
            .all(|(login, courses, by)| login == "late-a" && courses == &["clerk"] && by.is_none()),
        "only the untrained, only the course due, by the schedule: {rows:?}"
    );
    let subjects: Vec<String> =
        sqlx::query_scalar("select subject from mail_outbox order by created_at")
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(subjects.len(), 4);
    assert!(subjects[1].contains("期限が近い") && subjects[3].contains("督促"));
    let body: String =
        sqlx::query_scalar("select body from mail_outbox order by created_at desc limit 1")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert!(
        body.contains("https://kenshu.example.jp/my") && body.contains("期限を過ぎています"),
        "{body}"
    );
}

#[tokio::test]
async fn the_schedule_starts_from_kept_assignments_and_still_finds_people_added_or_a_deadline_moved()
 {
    let app = TestApp::spawn().await;
    plan_with_clerk_due(&app, 3)
        .person("late-a", Role::Staff)
        .person("done-b", Role::Staff)
        .in_division("b")
        .completed("done-b", "clerk")
        .build()
        .await;
    let today = japan_today();
    let url = "https://kenshu.example.jp";
    let run = || run_schedule(app.pool(), simulate::ten_oclock(today), url);

    assert_eq!(run().await.unwrap(), 1, "late-a, 3 days before");
    assert_eq!(run().await.unwrap(), 0, "nothing left to do");
    // Someone added after the kept assignments were counted.
    Scenario::new(app.pool())
        .person("late-b", Role::Staff)
        .in_division("b")
        .build()
        .await;
    assert_eq!(run().await.unwrap(), 1, "late-b, added since");
    assert_eq!(run().await.unwrap(), 0);
    // The plan's deadline moves: a new step for both.
    simulate::behind_the_portals_back(
        app.pool(),
        &format!(
            "update plan_courses set deadline = '{}' where course_code = 'clerk'",
            today + Duration::days(14)
        ),
    )
    .await;
    assert_eq!(run().await.unwrap(), 2, "14 days before the new deadline");
    assert_eq!(run().await.unwrap(), 0);
    let reminded: Vec<String> = sqlx::query_scalar(
        "select u.login_id from reminders r join users u on u.id = r.user_id order by u.login_id",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(reminded, ["late-a", "late-a", "late-b", "late-b"]);
}

/// Quiet hours and days off: the schedule records a reminder on a Saturday (shown at the next
/// sign-in at once) but its mail waits in the outbox until 08:30 of the next working day; a run
/// after office hours holds the mail until the next working morning. An officer's reminder is
/// mailed at once.
#[tokio::test]
async fn a_scheduled_reminders_mail_waits_for_office_hours_and_an_officers_does_not() {
    let app = TestApp::spawn().await;
    let today = japan_today();
    // A Monday at least three weeks on: the "14 days before" step starts on a Monday, and the
    // Saturday after it is within that step.
    let mut deadline = today + Duration::days(21);
    while deadline.weekday() != time::Weekday::Monday {
        deadline = deadline.next_day().unwrap();
    }
    let saturday = deadline - Duration::days(9);
    plan_with_clerk_due(&app, (deadline - today).whole_days())
        .person("officer-a", Role::ProtectionOfficer)
        .person("late-a", Role::Staff)
        .build()
        .await;
    let url = "https://kenshu.example.jp";
    let at = simulate::ten_oclock(saturday);
    assert_eq!(run_schedule(app.pool(), at, url).await.unwrap(), 2);
    let due: Vec<(String, time::OffsetDateTime)> =
        sqlx::query_as("select to_address, next_attempt_at from mail_outbox order by to_address")
            .fetch_all(app.pool())
            .await
            .unwrap();
    let monday = kenshu_core::holiday::next_office_hours(at);
    assert_eq!(due.len(), 2);
    for (to, after) in &due {
        let local = after.to_offset(kenshu_core::fiscal_year::JST);
        assert_eq!(*after, monday, "{to}");
        assert!(
            local.date() > saturday
                && !kenshu_core::holiday::is_day_off(local.date())
                && (local.hour(), local.minute()) == (8, 30),
            "{to}: the next working day's 08:30, not {local}"
        );
    }
    // The notice is there at once.
    let mut late = app.signed_in("late-a").await;
    assert!(
        late.get("/my")
            .await
            .body
            .contains("id=\"reminder-notice\""),
        "shown at the next sign-in"
    );
    // The mail worker leaves it until then (Monday is still ahead).
    let smtp = TestSmtp::start().await;
    let mailer = Mailer::smtp(&smtp.url(), "kenshu@city.example.jp", url).unwrap();
    assert_eq!(
        deliver_due(app.pool(), &mailer).await.unwrap(),
        Delivery { sent: 0, failed: 0 },
        "nothing goes before Monday 08:30"
    );

    // A run after office hours on Friday (the "3 days before" step): the next working day's
    // morning.
    let evening = (deadline - Duration::days(3))
        .with_hms(18, 0, 0)
        .unwrap()
        .assume_offset(kenshu_core::fiscal_year::JST);
    assert_eq!(run_schedule(app.pool(), evening, url).await.unwrap(), 2);
    let latest: time::OffsetDateTime =
        sqlx::query_scalar("select max(next_attempt_at) from mail_outbox")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(latest, kenshu_core::holiday::next_office_hours(evening));
    assert!(latest > evening);

    // An officer's reminder goes at once, whatever the hour.
    let mut officer = app.signed_in("officer-a").await;
    officer.get("/people/late-a").await;
    let sent = officer.post("/people/late-a/reminders", &[]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(
        deliver_due(app.pool(), &mailer).await.unwrap(),
        Delivery { sent: 1, failed: 0 },
        "only the officer's"
    );
    assert_eq!(smtp.received()[0].to, ["late-a@test.example.jp"]);
}
