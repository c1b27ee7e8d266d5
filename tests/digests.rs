//! Digests (督促の取りまとめ): each week one mail to each protection officer listing their
//! overdue people, and one to the chief officer listing by division those past the plan's
//! threshold; a deputy receives an absent officer's; none on 土日祝 or in the year-end break,
//! none outside office hours; two instances send each digest once.

use kenshu_app::digest::schedule::{Sent, run};
use kenshu_core::FiscalYear;
use kenshu_core::fiscal_year::JST;
use kenshu_core::person::Role;
use kenshu_db::digest::NewDeputy;
use kenshu_tests::{Scenario, TestApp, simulate};
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time};

const URL: &str = "https://kenshu.example.jp";

async fn mails_to(app: &TestApp, login: &str) -> Vec<String> {
    sqlx::query_scalar("select body from mail_outbox where to_address = $1 order by created_at")
        .bind(format!("{login}@test.example.jp"))
        .fetch_all(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_digest_schedule_sends_one_digest_a_working_week_over_a_simulated_month_on_two_instances()
 {
    let app = TestApp::spawn().await;
    let fy = FiscalYear::stored(2026);
    let on_time = datetime!(2026-11-01 10:00 +9);
    let s = Scenario::new(app.pool())
        .division("c", "C課")
        .plan(fy)
        .courses(&["clerk"])
        .course("clerk")
        .starts(fy.start())
        .deadline(date!(2026 - 11 - 20))
        .retake_until(None)
        .approved()
        .year(fy)
        .person("chief", Role::ChiefOfficer)
        .person("officer-a", Role::ProtectionOfficer)
        .person("officer-b", Role::ProtectionOfficer)
        .in_division("b")
        .person("officer-b2", Role::ProtectionOfficer)
        .in_division("b")
        .without_email()
        .person("deputy-b", Role::Staff)
        .in_division("b")
        .person("late-a", Role::Staff)
        .person("exempt-a", Role::Staff)
        .person("leave-a", Role::Staff)
        .person("late-b", Role::Staff)
        .in_division("b")
        .person("late-c", Role::Staff)
        .in_division("c")
        .completed("chief", "clerk")
        .at(on_time)
        .completed("officer-a", "clerk")
        .at(on_time)
        .completed("officer-b", "clerk")
        .at(on_time)
        .completed("officer-b2", "clerk")
        .at(on_time)
        .completed("deputy-b", "clerk")
        .at(on_time)
        .exempted("exempt-a", "clerk", "長期療養")
        .build()
        .await;
    simulate::behind_the_portals_back(
        app.pool(),
        "update users set status = 'on_leave' where login_id = 'leave-a'",
    )
    .await;
    // officer-b is away over the year-end: deputy-b stands in.
    let mut conn = app.pool().acquire().await.unwrap();
    kenshu_db::digest::add_deputy(
        &mut conn,
        s.institution(),
        &NewDeputy {
            officer_id: s.id("officer-b"),
            deputy_id: s.id("deputy-b"),
            valid_from: date!(2026 - 12 - 21),
            valid_to: Some(date!(2027 - 01 - 08)),
            note: None,
            created_by: None,
        },
    )
    .await
    .unwrap();
    drop(conn);

    // Every half hour of a month, from Monday 14 December to Wednesday 13 January, two
    // instances run the schedule at once.
    let mut sends: Vec<(OffsetDateTime, Sent)> = Vec::new();
    let mut day = date!(2026 - 12 - 14);
    while day <= date!(2027 - 01 - 13) {
        for half_hours in 0..48 {
            let at = PrimitiveDateTime::new(day, Time::MIDNIGHT).assume_offset(JST)
                + Duration::minutes(30 * half_hours);
            let (a, b) = tokio::join!(run(app.pool(), at, URL), run(app.pool(), at, URL));
            let (a, b) = (a.unwrap(), b.unwrap());
            let sum = Sent {
                officer: a.officer + b.officer,
                chief: a.chief + b.chief,
            };
            if sum != Sent::default() {
                sends.push((at, sum));
            }
        }
        day = day.next_day().unwrap();
    }
    let at =
        |d: Date| PrimitiveDateTime::new(d, Time::from_hms(8, 30, 0).unwrap()).assume_offset(JST);
    assert_eq!(
        sends,
        [
            // Three protection officers (officer-b2 without an address is recorded all the
            // same); the chief's threshold of 30 days is not reached yet (24 days).
            (
                at(date!(2026 - 12 - 14)),
                Sent {
                    officer: 3,
                    chief: 0
                }
            ),
            (
                at(date!(2026 - 12 - 21)),
                Sent {
                    officer: 3,
                    chief: 1
                }
            ),
            // Monday 28 December is a working day; the year-end break starts on the 29th.
            (
                at(date!(2026 - 12 - 28)),
                Sent {
                    officer: 3,
                    chief: 1
                }
            ),
            (
                at(date!(2027 - 01 - 04)),
                Sent {
                    officer: 3,
                    chief: 1
                }
            ),
            // Monday 11 January is 成人の日: the next working day, once.
            (
                at(date!(2027 - 01 - 12)),
                Sent {
                    officer: 3,
                    chief: 1
                }
            ),
        ],
        "at 08:30 on the first working day of each week, never on a day off or outside hours"
    );

    // What each received.
    let officer_a = mails_to(&app, "officer-a").await;
    assert_eq!(officer_a.len(), 5);
    assert!(
        officer_a[0].starts_with("試験 officer-a 様")
            && officer_a[0].contains(
                "・試験 late-a（A課）　事務取扱担当者研修　受講期限: 令和8年11月20日（24日超過）"
            ),
        "{}",
        officer_a[0]
    );
    for body in &officer_a {
        assert!(
            !body.contains("exempt-a") && !body.contains("leave-a") && !body.contains("late-b"),
            "only their own division's overdue people, not the exempt or those on leave: {body}"
        );
    }
    let officer_b = mails_to(&app, "officer-b").await;
    let deputy_b = mails_to(&app, "deputy-b").await;
    assert_eq!(
        (officer_b.len(), deputy_b.len()),
        (2, 3),
        "the deputy receives officer-b's digest while they are away"
    );
    assert!(
        deputy_b
            .iter()
            .all(|b| b.contains("試験 officer-b 様の代理")
                && b.contains("試験 late-b")
                && !b.contains("late-a")),
        "{deputy_b:?}"
    );
    let chief = mails_to(&app, "chief").await;
    assert_eq!(chief.len(), 4);
    assert!(
        chief[0].contains("【A課】\n・試験 late-a")
            && chief[0].contains("【B課】\n・試験 late-b")
            && chief[0].contains("【C課】\n・試験 late-c")
            && chief[0].contains("（31日超過）"),
        "by division, everyone past 30 days, also where no officer is: {}",
        chief[0]
    );
    let total: i64 = sqlx::query_scalar("select count(*) from mail_outbox")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(total, 5 + 2 + 3 + 4, "officer-b2 has no address: no mail");
    let recorded: i64 = sqlx::query_scalar("select count(*) from digest_sends")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(recorded, 15 + 4);
    for body in officer_a.iter().chain(&chief).chain(&deputy_b) {
        assert!(
            !body.contains("マイナンバー") && body.contains("https://kenshu.example.jp/officer")
        );
    }

    // The database key holds even without the schedule's lock: a second record is refused.
    let mut conn = app.pool().acquire().await.unwrap();
    let again = kenshu_db::digest::record(
        &mut conn,
        s.institution(),
        &kenshu_db::digest::NewDigest {
            kind: "officer",
            officer_id: s.id("officer-a"),
            week: date!(2026 - 12 - 14),
            recipient_id: s.id("officer-a"),
            people: &[],
            mail: None,
        },
    )
    .await
    .unwrap();
    assert!(!again);
}

#[tokio::test]
async fn the_preview_shows_who_is_reminded_next_and_who_is_left_out_and_why() {
    let app = TestApp::spawn().await;
    let today = kenshu_core::japan_today();
    let fy = FiscalYear::of(today);
    let deadline = today - Duration::days(1);
    let on_time = PrimitiveDateTime::new(
        deadline - Duration::days(1),
        Time::from_hms(10, 0, 0).unwrap(),
    )
    .assume_offset(JST);
    let s = Scenario::new(app.pool())
        .division("c", "C課")
        .division("d", "D課")
        .plan(fy)
        .courses(&["clerk"])
        .course("clerk")
        .starts(fy.start())
        .deadline(deadline)
        .retake_until(None)
        .approved()
        .person("chief", Role::ChiefOfficer)
        .person("audit", Role::AuditOfficer)
        .person("officer-a", Role::ProtectionOfficer)
        .person("officer-b", Role::ProtectionOfficer)
        .in_division("b")
        .person("officer-b2", Role::ProtectionOfficer)
        .in_division("b")
        .without_email()
        .person("deputy-b", Role::Staff)
        .in_division("b")
        .person("late-a", Role::Staff)
        .person("exempt-a", Role::Staff)
        .person("leave-a", Role::Staff)
        .person("done-a", Role::Staff)
        .person("late-b", Role::Staff)
        .in_division("b")
        .person("late-c", Role::Staff)
        .in_division("c")
        .person("late-d", Role::Staff)
        .in_division("d")
        .completed("chief", "clerk")
        .at(on_time)
        .completed("audit", "clerk")
        .at(on_time)
        .completed("officer-a", "clerk")
        .at(on_time)
        .completed("officer-b", "clerk")
        .at(on_time)
        .completed("officer-b2", "clerk")
        .at(on_time)
        .completed("deputy-b", "clerk")
        .at(on_time)
        // After the deadline: overdue until today, and no longer.
        .completed("done-a", "clerk")
        .exempted("exempt-a", "clerk", "長期療養")
        .build()
        .await;
    simulate::behind_the_portals_back(
        app.pool(),
        "update users set status = 'on_leave' where login_id = 'leave-a'",
    )
    .await;
    // The chief is told from the first day overdue, so that their digest shows today.
    simulate::behind_the_portals_back(
        app.pool(),
        "update training_plans set digest_chief_after_days = 1",
    )
    .await;
    let mut conn = app.pool().acquire().await.unwrap();
    kenshu_db::digest::add_deputy(
        &mut conn,
        s.institution(),
        &NewDeputy {
            officer_id: s.id("officer-b"),
            deputy_id: s.id("deputy-b"),
            valid_from: today - Duration::days(1),
            valid_to: Some(today + Duration::days(5)),
            note: Some("育児休業"),
            created_by: None,
        },
    )
    .await
    .unwrap();
    // officer-a is also protection officer of D課 (兼務): their digest covers it.
    kenshu_db::designation::add(
        &mut conn,
        s.institution(),
        &kenshu_db::designation::NewDesignation {
            user_id: s.id("officer-a"),
            kind: kenshu_core::plan::DesignationKind::ProtectionOfficer,
            division_id: Some(s.division("d")),
            valid_from: today - Duration::days(10),
            valid_to: None,
            note: None,
            created_by: None,
        },
    )
    .await
    .unwrap();
    drop(conn);

    let mut chief = app.signed_in("chief").await;
    let page = chief.get("/officer/digests").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let b = &page.body;
    assert!(
        b.contains("取りまとめ通知の予定") && b.contains("id=\"next-digest\""),
        "{b}"
    );
    let section = |kind: &str, recipient: &str| {
        b.split("<section")
            .find(|s| {
                s.contains(&format!("digest-{kind}"))
                    && s.contains(&format!("<span class=\"recipient\">{recipient}</span>"))
            })
            .unwrap_or_else(|| panic!("no {kind} digest to {recipient}: {b}"))
            .to_string()
    };
    let a = section("officer", "試験 officer-a");
    assert!(
        a.contains("<td class=\"person\">試験 late-a</td>")
            && a.contains("<td class=\"person\">試験 late-d</td><td>D課</td>"),
        "their division and the one they are designated for: {a}"
    );
    for absent in ["exempt-a", "leave-a", "done-a", "late-b"] {
        assert!(
            !a.contains(absent),
            "{absent} is not in officer-a's digest: {a}"
        );
    }
    let deputy = section("officer", "試験 deputy-b");
    assert!(
        deputy.contains("試験 officer-b の代理") && deputy.contains("試験 late-b"),
        "{deputy}"
    );
    let by_division = section("chief", "試験 chief");
    assert!(
        by_division.contains("試験 late-a") && by_division.contains("試験 late-c"),
        "{by_division}"
    );
    let skipped = |reason: &str, who: &str| {
        b.contains(&format!("<tr class=\"skip-{reason}\"><td>{who}</td>"))
    };
    assert!(skipped("exempt", "試験 exempt-a"), "{b}");
    assert!(skipped("on-leave", "試験 leave-a"), "{b}");
    assert!(skipped("completed", "試験 done-a"), "{b}");
    assert!(skipped("no-officer", "試験 late-c"), "{b}");
    assert!(skipped("no-mail", "試験 officer-b2"), "{b}");
    assert!(
        skipped("deputy", "試験 officer-b")
            && b.contains("責任者が不在のため代理者に送る（試験 deputy-b）"),
        "{b}"
    );

    // A protection officer sees their own digest and their own division's people only.
    let mut officer_a = app.signed_in("officer-a").await;
    let dashboard = officer_a.get("/officer").await;
    assert!(
        dashboard.body.contains("href=\"/officer/digests\""),
        "the dashboard links to the preview"
    );
    let own = officer_a.get("/officer/digests").await;
    assert_eq!(own.status, 200);
    assert!(
        own.body.contains("試験 late-a") && own.body.contains("skip-exempt"),
        "{}",
        own.body
    );
    for other in ["deputy-b", "late-c", "officer-b2", "digest-chief"] {
        assert!(!own.body.contains(other), "{other}: {}", own.body);
    }
    let mut officer_b = app.signed_in("officer-b").await;
    let away = officer_b.get("/officer/digests").await;
    assert!(
        away.body.contains("試験 officer-b の代理") && away.body.contains("skip-deputy"),
        "{}",
        away.body
    );

    for login in ["late-a", "audit"] {
        let mut other = app.signed_in(login).await;
        assert_eq!(other.get("/officer/digests").await.status, 403, "{login}");
    }
}

#[tokio::test]
async fn the_digest_rules_are_part_of_the_plan_edited_with_it_and_audited() {
    let app = TestApp::spawn().await;
    let next = FiscalYear::of(kenshu_core::japan_today()).next();
    let s = Scenario::new(app.pool())
        .plan(next)
        .person("chief", Role::ChiefOfficer)
        .build()
        .await;
    let mut c = app.signed_in("chief").await;
    let y = next.year();
    let page = c.get(&format!("/plans?fy={y}")).await;
    assert!(
        page.body.contains("責任者への取りまとめ通知") && page.body.contains("月曜日"),
        "the defaults: {}",
        page.body
    );
    let details = |weekday: &'static str, days: &'static str, on: bool| {
        let mut f = vec![
            ("purpose", "目的"),
            ("method", "方法"),
            ("newcomer_days", "30"),
            ("reminder_days_before", "14,3"),
            ("reminder_overdue_every", "7"),
            ("digest_form", "1"),
            ("digest_weekday", weekday),
            ("digest_chief_after_days", days),
        ];
        if on {
            f.push(("digest_enabled", "on"));
        }
        f
    };
    let bad = c
        .post(&format!("/plans/{y}/details"), &details("6", "45", true))
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("月曜日から金曜日"), "{}", bad.body);
    let bad = c
        .post(&format!("/plans/{y}/details"), &details("3", "0", true))
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("1〜365"), "{}", bad.body);

    let ok = c
        .post(&format!("/plans/{y}/details"), &details("3", "45", true))
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let mut conn = app.pool().acquire().await.unwrap();
    let plan = kenshu_db::plan::plan(&mut conn, s.institution(), next)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        plan.digest,
        kenshu_core::digest::Rules {
            enabled: true,
            weekday: time::Weekday::Wednesday,
            chief_after_days: 45
        }
    );
    assert!(
        c.get(&format!("/plans?fy={y}"))
            .await
            .body
            .contains("送信する曜日 水曜日")
    );
    c.post(&format!("/plans/{y}/details"), &details("3", "45", false))
        .await;
    let plan = kenshu_db::plan::plan(&mut conn, s.institution(), next)
        .await
        .unwrap()
        .unwrap();
    assert!(!plan.digest.enabled, "an unticked box turns digests off");
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'plan_changed' and detail = 'details'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        audited, 2,
        "each change of the plan's details is in the audit log"
    );
}

#[tokio::test]
async fn a_deputy_is_named_for_a_period_one_at_a_time_and_audited() {
    let app = TestApp::spawn().await;
    let s = Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("deputy-a", Role::Staff)
        .person("other-a", Role::Staff)
        .build()
        .await;
    let key = kenshu_tests::audit_key();
    let actor = kenshu_app::audit::Actor::command_line(&key, s.institution());
    // Each in its own transaction, as the command runs it (the audit entry needs one).
    let name = async |deputy: &str, from: Date, to| {
        let mut tx = app.pool().begin().await.unwrap();
        let named =
            kenshu_app::digest::deputy::name(&mut tx, &actor, "officer-a", deputy, from, to, None)
                .await;
        if named.is_ok() {
            tx.commit().await.unwrap();
        }
        named
    };
    name(
        "deputy-a",
        date!(2026 - 12 - 21),
        Some(date!(2027 - 01 - 08)),
    )
    .await
    .unwrap();
    assert!(matches!(
        name("other-a", date!(2027 - 01 - 08), None).await,
        Err(kenshu_app::digest::deputy::DeputyError::Overlap)
    ));
    assert!(matches!(
        name("officer-a", date!(2027 - 02 - 01), None).await,
        Err(kenshu_app::digest::deputy::DeputyError::Themselves)
    ));
    assert!(matches!(
        name("nobody", date!(2027 - 02 - 01), None).await,
        Err(kenshu_app::digest::deputy::DeputyError::Unknown(_))
    ));
    name("other-a", date!(2027 - 01 - 09), None).await.unwrap();
    let inst = s.institution();
    let pool = app.pool().clone();
    let deputy_on = async |day: Date| -> Vec<String> {
        let mut conn = pool.acquire().await.unwrap();
        kenshu_db::digest::deputies_on(&mut conn, inst, day)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, r)| r.name)
            .collect()
    };
    assert!(deputy_on(date!(2026 - 12 - 20)).await.is_empty());
    assert_eq!(deputy_on(date!(2027 - 01 - 08)).await, ["試験 deputy-a"]);
    assert_eq!(deputy_on(date!(2027 - 01 - 09)).await, ["試験 other-a"]);
    let audited: Vec<String> = sqlx::query_scalar(
        "select detail from audit_log where action = 'designation_added' order by seq",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            "deputy officer-a 2026-12-21〜2027-01-08",
            "deputy officer-a 2027-01-09〜"
        ]
    );
}

/// A protection officer on leave (休職中) with no deputy: their digest goes up the chain to the
/// chief officer, marked as such; when the chief is on leave too, with nobody standing in,
/// neither their digest nor the chief's own is sent, and the preview says why; a deputy named
/// for the officer takes it again.
#[tokio::test]
async fn an_officer_on_leave_without_a_deputy_has_their_digest_sent_to_the_chief_officer() {
    let app = TestApp::spawn().await;
    let fy = FiscalYear::stored(2026);
    let on_time = datetime!(2026-11-01 10:00 +9);
    let s = Scenario::new(app.pool())
        .plan(fy)
        .courses(&["clerk"])
        .course("clerk")
        .starts(fy.start())
        .deadline(date!(2026 - 11 - 20))
        .retake_until(None)
        .approved()
        .year(fy)
        .person("chief", Role::ChiefOfficer)
        .person("officer-a", Role::ProtectionOfficer)
        .person("officer-b", Role::ProtectionOfficer)
        .in_division("b")
        .person("deputy-b", Role::Staff)
        .in_division("b")
        .person("late-a", Role::Staff)
        .person("late-b", Role::Staff)
        .in_division("b")
        .completed("chief", "clerk")
        .at(on_time)
        .completed("officer-a", "clerk")
        .at(on_time)
        .completed("officer-b", "clerk")
        .at(on_time)
        .completed("deputy-b", "clerk")
        .at(on_time)
        .build()
        .await;
    let leave = async |login: &str, status: &str| {
        simulate::behind_the_portals_back(
            app.pool(),
            &format!("update users set status = '{status}' where login_id = '{login}'"),
        )
        .await;
    };
    leave("officer-b", "on_leave").await;
    let monday =
        |d: Date| PrimitiveDateTime::new(d, Time::from_hms(9, 0, 0).unwrap()).assume_offset(JST);

    // Week 1 (24 days overdue, below the chief's threshold of 30): officer-b's digest goes to
    // the chief officer.
    let sent = run(app.pool(), monday(date!(2026 - 12 - 14)), URL)
        .await
        .unwrap();
    assert_eq!(
        sent,
        Sent {
            officer: 2,
            chief: 0
        }
    );
    assert!(
        mails_to(&app, "officer-b").await.is_empty(),
        "not to the absent officer"
    );
    let chief = mails_to(&app, "chief").await;
    assert_eq!(chief.len(), 1);
    assert!(
        chief[0].starts_with("試験 chief 様")
            && chief[0].contains("試験 officer-b 様が休職中で代理者がいないため")
            && chief[0].contains("・試験 late-b（B課）")
            && !chief[0].contains("late-a"),
        "{}",
        chief[0]
    );
    assert_eq!(mails_to(&app, "officer-a").await.len(), 1);
    let recipient: String = sqlx::query_scalar(
        "select r.login_id from digest_sends d join users r on r.id = d.recipient_id
         join users o on o.id = d.officer_id where o.login_id = 'officer-b'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        recipient, "chief",
        "recorded as officer-b's digest, received by the chief"
    );

    // Week 2 (31 days): the chief is on leave too, with no deputy. Nobody can take officer-b's
    // digest nor the chief's own; the preview says so.
    leave("chief", "on_leave").await;
    let mut conn = app.pool().acquire().await.unwrap();
    let p = kenshu_app::digest::prepare(&mut conn, s.institution(), date!(2026 - 12 - 21))
        .await
        .unwrap()
        .unwrap();
    let unsent: Vec<&str> = p
        .skipped
        .iter()
        .filter(|k| k.reason == kenshu_app::digest::Reason::AbsentUnsent)
        .map(|k| k.who.as_str())
        .collect();
    assert_eq!(unsent, ["試験 officer-b", "試験 chief"]);
    assert_eq!(p.digests.len(), 1, "officer-a's only");
    drop(conn);
    let sent = run(app.pool(), monday(date!(2026 - 12 - 21)), URL)
        .await
        .unwrap();
    assert_eq!(
        sent,
        Sent {
            officer: 1,
            chief: 0
        }
    );
    assert_eq!(mails_to(&app, "chief").await.len(), 1, "nothing new");

    // Week 3: the chief is back; deputy-b is named for officer-b and takes their digest again.
    leave("chief", "active").await;
    let mut conn = app.pool().acquire().await.unwrap();
    kenshu_db::digest::add_deputy(
        &mut conn,
        s.institution(),
        &NewDeputy {
            officer_id: s.id("officer-b"),
            deputy_id: s.id("deputy-b"),
            valid_from: date!(2026 - 12 - 28),
            valid_to: None,
            note: None,
            created_by: None,
        },
    )
    .await
    .unwrap();
    drop(conn);
    let sent = run(app.pool(), monday(date!(2026 - 12 - 28)), URL)
        .await
        .unwrap();
    assert_eq!(
        sent,
        Sent {
            officer: 2,
            chief: 1
        }
    );
    let deputy = mails_to(&app, "deputy-b").await;
    assert_eq!(deputy.len(), 1);
    assert!(
        deputy[0].contains("試験 officer-b 様の代理"),
        "{}",
        deputy[0]
    );
    let chief = mails_to(&app, "chief").await;
    assert_eq!(chief.len(), 2, "the chief's own digest only");
    assert!(!chief[1].contains("休職中"), "{}", chief[1]);
    let total: i64 = sqlx::query_scalar("select count(*) from mail_outbox")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(total, 2 + 1 + 3);
}

/// The deputies page (代理者の指定): the chief officer names a deputy for a period and the
/// preview shows the deputy receiving; refusals name the field and the fix and keep the form;
/// ending and removing are audited; the audit officer reads, others get 403.
#[tokio::test]
async fn the_chief_officer_names_ends_and_removes_deputies_on_the_deputies_page() {
    let app = TestApp::spawn().await;
    let today = kenshu_core::japan_today();
    let fy = FiscalYear::of(today);
    Scenario::new(app.pool())
        .plan(fy)
        .courses(&["clerk"])
        .course("clerk")
        .starts(fy.start())
        .deadline(today - Duration::days(1))
        .retake_until(None)
        .approved()
        .person("chief", Role::ChiefOfficer)
        .person("audit", Role::AuditOfficer)
        .person("officer-a", Role::ProtectionOfficer)
        .person("officer-b", Role::ProtectionOfficer)
        .in_division("b")
        .person("deputy-a", Role::Staff)
        .person("late-a", Role::Staff)
        .person("late-b", Role::Staff)
        .in_division("b")
        .build()
        .await;
    simulate::behind_the_portals_back(
        app.pool(),
        "update users set status = 'on_leave' where login_id = 'officer-b'",
    )
    .await;
    let day = |d: Date| d.to_string();
    let (from, to) = (day(today), day(today + Duration::days(7)));
    let deputies = async || -> i64 {
        sqlx::query_scalar("select count(*) from officer_deputies")
            .fetch_one(app.pool())
            .await
            .unwrap()
    };

    let mut chief = app.signed_in("chief").await;
    let preview = chief.get("/officer/digests").await;
    assert!(
        preview.body.contains("href=\"/officer/deputies\""),
        "reachable from the preview: {}",
        preview.body
    );
    // officer-b is on leave with no deputy: the preview says their digest goes to the chief.
    assert!(
        preview
            .body
            .contains("<tr class=\"skip-absent-to-chief\"><td>試験 officer-b</td>")
            && preview
                .body
                .contains("休職中・代理なし：総括責任者に送る（試験 chief）")
            && preview.body.contains("試験 officer-b が休職中・代理なし"),
        "{}",
        preview.body
    );
    let page = chief.get("/officer/deputies").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("id=\"no-deputies\"")
            && page
                .body
                .contains("<option value=\"officer-a\">試験 officer-a（officer-a）</option>")
            && page.body.contains("<option value=\"chief\">"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("<option value=\"late-a\""),
        "only officers"
    );

    // Refusals: the field named, the fix said, the form kept, nothing saved.
    let form = |officer: &'static str, deputy: &'static str, from: &str, to: &str| {
        vec![
            ("officer", officer),
            ("deputy", deputy),
            ("from", from),
            ("to", to),
            ("note", "出張"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect::<Vec<(&str, String)>>()
    };
    let post = async |b: &mut kenshu_tests::http::Browser, f: &[(&str, String)]| {
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post("/officer/deputies", &f).await
    };
    let refusals = [
        (
            form("officer-a", "deputy-a", "2026/13/01", ""),
            "from",
            "開始日: 日付を 2025-04-01 の形で入力してください。",
        ),
        (
            form("officer-a", "deputy-a", &to, &from),
            "to",
            "終了日: 終了日は開始日以降にしてください。",
        ),
        (
            form("officer-a", "nobody", &from, &to),
            "deputy",
            "代理者のログインID: そのログインIDの職員は見つかりません。",
        ),
        (
            form("officer-a", "officer-a", &from, &to),
            "deputy",
            "代理者のログインID: 責任者本人は代理者になれません。",
        ),
        (
            form("late-a", "deputy-a", &from, &to),
            "officer",
            "責任者: 一覧から保護責任者または総括責任者を選んでください。",
        ),
    ];
    for (f, field, message) in &refusals {
        let refused = post(&mut chief, f).await;
        assert_eq!(refused.status, 422, "{field}: {}", refused.body);
        assert!(
            refused
                .body
                .contains(&format!("id=\"{field}-error\">{message}")),
            "{field}: {}",
            refused.body
        );
        assert!(refused.body.contains("value=\"出張\""), "the form is kept");
    }
    assert_eq!(deputies().await, 0);

    // Named: listed with who named it, and the preview shows the deputy receiving.
    let named = post(&mut chief, &form("officer-a", "deputy-a", &from, &to)).await;
    assert_eq!(named.status, 303, "{}", named.body);
    assert_eq!(named.location.as_deref(), Some("/officer/deputies"));
    let page = chief.get("/officer/deputies").await;
    assert!(
        page.body.contains("代理者を指定しました。"),
        "{}",
        page.body
    );
    let row = page
        .body
        .split("<tr id=\"deputy-")
        .nth(1)
        .expect("one deputy listed")
        .to_string();
    assert!(
        row.contains("<td class=\"officer\">試験 officer-a（officer-a）</td>")
            && row.contains("<td class=\"deputy\">試験 deputy-a（deputy-a）</td>")
            && row.contains("<td>出張</td><td>試験 chief</td>"),
        "{row}"
    );
    let overlap = post(&mut chief, &form("officer-a", "late-a", &to, "")).await;
    assert_eq!(overlap.status, 422);
    assert!(
        overlap
            .body
            .contains("id=\"from-error\">開始日: この責任者には、この期間に重なる代理者がいます。"),
        "{}",
        overlap.body
    );
    let preview = chief.get("/officer/digests").await;
    assert!(
        preview.body.contains("<span class=\"recipient\">試験 deputy-a</span> <span class=\"deputy\">（試験 officer-a の代理）</span>"),
        "{}",
        preview.body
    );

    // Ending it: a bad date names the field; the end is audited.
    let id: uuid::Uuid = sqlx::query_scalar("select id from officer_deputies")
        .fetch_one(app.pool())
        .await
        .unwrap();
    let end = format!("/officer/deputies/{id}/end");
    let bad = chief.post(&end, &[("on", "昨日")]).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("最終日: 日付を"), "{}", bad.body);
    let before = chief
        .post(&end, &[("on", &day(today - Duration::days(1)))])
        .await;
    assert_eq!(before.status, 400);
    assert!(
        before
            .body
            .contains("最終日: 最終日は期間の開始日以降にしてください。"),
        "{}",
        before.body
    );
    let ended = chief.post(&end, &[("on", &from)]).await;
    assert_eq!(ended.status, 303, "{}", ended.body);
    let valid_to: Option<Date> = sqlx::query_scalar("select valid_to from officer_deputies")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(valid_to, Some(today));
    // Removing: only one that has not started.
    let started = chief
        .post(&format!("/officer/deputies/{id}/remove"), &[])
        .await;
    assert_eq!(started.status, 400);
    assert!(
        started.body.contains("始まった指定は取り消せません"),
        "{}",
        started.body
    );
    let later = day(today + Duration::days(30));
    assert_eq!(
        post(&mut chief, &form("officer-b", "deputy-a", &later, ""))
            .await
            .status,
        303
    );
    let future: uuid::Uuid =
        sqlx::query_scalar("select id from officer_deputies where valid_from > current_date")
            .fetch_one(app.pool())
            .await
            .unwrap();
    let removed = chief
        .post(&format!("/officer/deputies/{future}/remove"), &[])
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert_eq!(deputies().await, 1, "the ended one stays on record");
    let audited: Vec<(String, String)> = sqlx::query_as(
        "select action, detail from audit_log where detail like 'deputy %' order by seq",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            (
                "designation_added".into(),
                format!("deputy officer-a {from}〜{to}")
            ),
            (
                "designation_ended".into(),
                format!("deputy officer-a until {from}")
            ),
            (
                "designation_added".into(),
                format!("deputy officer-b {later}〜")
            ),
            (
                "designation_ended".into(),
                format!("deputy officer-b removed {later}〜")
            ),
        ]
    );

    // Without the CSRF token: refused, nothing saved.
    let forged = chief
        .post_raw(
            "/officer/deputies",
            &[
                ("officer", "officer-a"),
                ("deputy", "late-a"),
                ("from", &later),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(deputies().await, 1);

    // The audit officer reads the list without the forms; officers and staff get 403.
    let mut audit = app.signed_in("audit").await;
    let read = audit.get("/officer/deputies").await;
    assert_eq!(read.status, 200);
    assert!(
        read.body.contains("試験 deputy-a（deputy-a）")
            && !read.body.contains("id=\"add\"")
            && !read.body.contains("/end\""),
        "{}",
        read.body
    );
    let plan = audit.get("/plans").await;
    assert!(
        plan.body.contains("href=\"/officer/deputies\""),
        "reachable from the plan"
    );
    for login in ["audit", "officer-a", "late-a"] {
        let mut b = app.signed_in(login).await;
        if login != "audit" {
            let page = b.get("/officer/deputies").await;
            assert_eq!(page.status, 403, "{login}");
            assert!(!page.body.contains("deputy-a"), "403 leaks nothing");
        }
        let f = form("officer-a", "late-a", &later, "");
        assert_eq!(post(&mut b, &f).await.status, 403, "{login}");
        assert_eq!(b.post(&end, &[("on", &from)]).await.status, 403, "{login}");
    }
    assert_eq!(deputies().await, 1);
}
