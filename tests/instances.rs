//! Two portal instances on one database, under page load, both running the reminder schedule
//! and the mail worker: each reminder is made once and each mail reaches the server once.

use std::time::Duration;

use kenshu_app::mail::Mailer;
use kenshu_core::person::Role;
use kenshu_core::{FiscalYear, japan_today};
use kenshu_tests::smtp::TestSmtp;
use kenshu_tests::{Browser, Scenario, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_under_load_send_each_reminder_and_each_mail_once() {
    let app = TestApp::spawn().await;
    let staff: Vec<String> = (1..=12).map(|i| format!("late{i:02}")).collect();
    // Every course of this year's plan was due yesterday, with no re-attendance period.
    let fy = FiscalYear::of(japan_today());
    let mut story = Scenario::new(app.pool())
        .plan(fy)
        .every_course()
        .starts(fy.start())
        .deadline(japan_today() - time::Duration::days(1))
        .retake_until(None)
        .approved();
    for s in &staff {
        story = story.person(s, Role::Staff);
    }
    story
        .person("officer-a", Role::ProtectionOfficer)
        .build()
        .await;

    // The second instance: its own pool and state on the same database.
    let other = app.second_instance(8).await;
    let (second, second_base) = (other.pool.clone(), other.base.clone());

    let smtp = TestSmtp::start().await;
    let first = app.db.app_pool(4, Duration::from_secs(10)).await;
    for pool in [first, second.clone()] {
        let mailer = Mailer::smtp(
            &smtp.url(),
            "kenshu@city.example.jp",
            "https://kenshu.city.example.jp",
        )
        .unwrap();
        kenshu_app::mail::spawn(pool.clone(), std::sync::Arc::new(mailer));
        kenshu_app::reminder::schedule::spawn(
            pool,
            "https://kenshu.example.jp".into(),
            Duration::from_secs(3600),
        );
    }
    // Page load on both instances, and the officer reminding people on both at once.
    let mut load = Vec::new();
    for (i, s) in staff.iter().enumerate() {
        let base = if i % 2 == 0 {
            app.url("")
        } else {
            second_base.clone()
        };
        let login = s.clone();
        load.push(tokio::spawn(async move {
            let mut b = Browser::new(&base);
            assert_eq!(b.sign_in(&login, kenshu_tests::PASSWORD).await.status, 303);
            for _ in 0..10 {
                assert_eq!(b.get("/my").await.status, 200);
            }
        }));
    }
    let mut one = app.signed_in("officer-a").await;
    let mut two = Browser::new(&second_base);
    assert_eq!(
        two.sign_in("officer-a", kenshu_tests::PASSWORD)
            .await
            .status,
        303
    );
    one.get("/officer").await;
    two.get("/officer").await;
    let (a, b) = tokio::join!(
        one.post(
            "/officer/reminders",
            &[("pick", "late01"), ("pick", "late02"), ("division", "a")]
        ),
        two.post(
            "/officer/reminders",
            &[("pick", "late03"), ("pick", "late04"), ("division", "a")]
        )
    );
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (303, 303));
    for l in load {
        l.await.unwrap();
    }

    // Wait until the outbox is empty (the workers look every 5 s). The schedule's reminders
    // run at the real time of day: outside office hours their mail is held until the next
    // working morning, which this test does not wait for.
    let mut pending = i64::MAX;
    for _ in 0..60 {
        kenshu_tests::simulate::office_hours_come(app.pool()).await;
        pending = sqlx::query_scalar("select count(*) from mail_outbox where sent_at is null")
            .fetch_one(app.pool())
            .await
            .unwrap();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(pending, 0, "every mail was sent");
    let reminders: i64 = sqlx::query_scalar("select count(*) from reminders")
        .fetch_one(app.pool())
        .await
        .unwrap();
    let scheduled: i64 = sqlx::query_scalar("select count(*) from reminders where sent_by is null")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(
        scheduled,
        staff.len() as i64 + 1,
        "the schedule reminded each overdue person once, though both instances ran it"
    );
    assert_eq!(reminders, scheduled + 4, "and the officer's four reminders");
    let received = smtp.received();
    assert_eq!(
        received.len() as i64,
        reminders,
        "each reminder's mail reached the server once"
    );
    let mut to: Vec<String> = received.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    to.dedup();
    assert_eq!(
        to.len(),
        staff.len() + 1,
        "everyone overdue got mail, the officer's picks among them"
    );
}
