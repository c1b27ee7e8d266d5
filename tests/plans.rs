//! Who must take what: assignments follow the approved plan and each person's designations and
//! placements on the day.

use kenshu_core::FiscalYear;
use kenshu_core::person::Role;
use kenshu_core::plan::{DesignationKind, Target, assignments};
use kenshu_tests::{Scenario, TestApp, test_db, user};
use time::macros::date;
use uuid::Uuid;

fn this_year() -> FiscalYear {
    FiscalYear::of(kenshu_core::japan_today())
}

#[tokio::test]
async fn a_plan_that_is_not_approved_assigns_nothing() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .plan(this_year())
        .person("staff1", Role::Staff)
        .build()
        .await;
    let mut b = app.signed_in("staff1").await;
    let my = b.get("/my").await;
    assert!(my.body.contains("id=\"no-plan\""), "{}", my.body);
    assert!(!my.body.contains("事務取扱担当者研修"));
}

#[tokio::test]
async fn a_newcomer_who_arrives_after_the_period_started_is_flagged_with_their_own_deadline() {
    let app = TestApp::spawn().await;
    let fy = this_year();
    // The plan's period started before the person arrived (today).
    Scenario::new(app.pool())
        .plan(fy)
        .every_course()
        .starts(fy.start())
        .deadline(fy.start())
        .retake_until(Some(fy.end()))
        .approved()
        .person("newcomer", Role::Staff)
        .arrived(kenshu_core::japan_today())
        .build()
        .await;
    let mut b = app.signed_in("newcomer").await;
    let my = b.get("/my").await;
    if kenshu_core::japan_today() > fy.start() {
        assert!(my.body.contains("個別研修"), "{}", my.body);
        let own = kenshu_core::japan_today() + time::Duration::days(30);
        assert!(
            my.body
                .contains(&kenshu_core::fiscal_year::japanese_date(own)),
            "deadline 30 days after arrival"
        );
        assert!(
            !my.body.contains("期限超過"),
            "a newcomer is not overdue on arrival"
        );
    }
}

#[tokio::test]
async fn a_transfer_on_1_april_changes_assignments_from_that_day_and_keeps_completions() {
    let db = test_db().await;
    let fy = FiscalYear::stored(2025);
    // A draft plan with the clerk course for clerks only. The person was placed long ago; on
    // 1 April they move to division B, where they are a clerk.
    let s = Scenario::new(&db.pool)
        .plan(fy)
        .courses(&["clerk"])
        .audience(&[Target::Designated(DesignationKind::Clerk)])
        .starts(date!(2025 - 04 - 01))
        .deadline(date!(2025 - 12 - 31))
        .retake_until(Some(date!(2026 - 03 - 31)))
        .person("mover", Role::Staff)
        .arrived(date!(2020 - 04 - 01))
        .transferred("b", date!(2025 - 04 - 01))
        .designated(DesignationKind::Clerk, date!(2025 - 04 - 01))
        .build()
        .await;
    let (inst, uid, plan_id) = (s.institution(), s.id("mover"), s.plan(fy));
    let mut conn = db.pool.acquire().await.unwrap();
    let plan = kenshu_db::plan::plan(&mut conn, inst, fy)
        .await
        .unwrap()
        .unwrap();
    assert!(!plan.plan.approved);
    let pool = db.pool.clone();
    let on = |d| {
        let pool = pool.clone();
        async move {
            let mut conn = pool.acquire().await.unwrap();
            let (facts, _) = kenshu_db::plan::facts(&mut conn, inst, uid, d, fy.year())
                .await
                .unwrap()
                .unwrap();
            let plan = kenshu_db::plan::plan(&mut conn, inst, fy)
                .await
                .unwrap()
                .unwrap();
            assignments(&plan.plan, &facts, d)
        }
    };
    assert!(
        on(date!(2025 - 04 - 01)).await.is_empty(),
        "a draft assigns nothing"
    );
    kenshu_db::plan::approve(&mut conn, inst, plan_id, Some(Uuid::new_v4()))
        .await
        .unwrap();
    assert!(
        on(date!(2025 - 03 - 31)).await.is_empty(),
        "not a clerk before the transfer"
    );
    let after = on(date!(2025 - 04 - 01)).await;
    assert_eq!(after.len(), 1);
    assert!(
        !after[0].individual,
        "designated on the first day of the period"
    );
    assert_eq!(after[0].deadline, date!(2025 - 12 - 31));

    // A completion made before a later transfer stays.
    let who = kenshu_db::learning::Learner {
        institution_id: inst,
        user_id: uid,
        fiscal_year: fy,
    };
    let version = kenshu_db::content::current_version(&mut conn, "clerk")
        .await
        .unwrap()
        .unwrap();
    kenshu_db::learning::complete(&mut conn, who, "clerk", version, false, Some((4, 4)), None)
        .await
        .unwrap();
    Scenario::new(&db.pool)
        .existing("mover")
        .transferred("a", kenshu_core::japan_today())
        .build()
        .await;
    let done = kenshu_db::learning::summaries(&mut conn, who, &["clerk"])
        .await
        .unwrap();
    assert!(done[0].completion.is_some());
}

/// Arrival, from which a newcomer's own deadline runs, is the hire date or the first day of a
/// later placement (a transfer in) begun by the day judged: the same answer for one person (the
/// learner's pages) and for a division (the dashboard, the reminder schedule).
#[tokio::test]
async fn a_transfer_in_is_an_arrival_from_its_first_day_for_the_person_and_for_the_division() {
    let db = test_db().await;
    let s = Scenario::new(&db.pool)
        .person("mover", Role::Staff)
        .arrived(date!(2020 - 04 - 01))
        .transferred("b", date!(2025 - 06 - 01))
        .person("stayer", Role::Staff)
        .in_division("b")
        .arrived(date!(2019 - 04 - 01))
        .build()
        .await;
    let (inst, b, mover) = (s.institution(), s.division("b"), s.id("mover"));
    let mut conn = db.pool.acquire().await.unwrap();
    for (on, arrived) in [
        (date!(2025 - 05 - 31), date!(2020 - 04 - 01)),
        (date!(2025 - 06 - 01), date!(2025 - 06 - 01)),
        (date!(2025 - 12 - 01), date!(2025 - 06 - 01)),
    ] {
        let (people, _) = kenshu_db::plan::facts_for_division(&mut conn, inst, b, on, false)
            .await
            .unwrap();
        let of = |login: &str| people.iter().find(|p| p.1 == login).map(|p| p.3.arrived_on);
        assert_eq!(of("mover"), Some(arrived), "the division's view on {on}");
        assert_eq!(
            of("stayer"),
            Some(date!(2019 - 04 - 01)),
            "never transferred: hired, on {on}"
        );
        let (one, _) = kenshu_db::plan::facts(&mut conn, inst, mover, on, 2025)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(one.arrived_on, arrived, "the person's own view on {on}");
    }
}

#[tokio::test]
async fn the_chief_officer_approves_a_drafted_plan_and_prints_the_plan_document() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("chief", Role::ChiefOfficer)
        .person("admin", Role::PortalAdmin)
        .person("officer", Role::ProtectionOfficer)
        .build()
        .await;
    let next = (FiscalYear::of(kenshu_core::japan_today()).year() + 1).to_string();

    let mut admin = app.signed_in("admin").await;
    let page = admin.get(&format!("/plans?fy={next}")).await;
    assert!(page.body.contains("まだありません"), "{}", page.body);
    let copied = admin
        .post("/plans", &[("fy", &next), ("from", "previous")])
        .await;
    assert_eq!(copied.status, 303);
    let page = admin.get(&format!("/plans?fy={next}")).await;
    assert!(
        page.body.contains("起案中"),
        "copied from this year's plan: {}",
        page.body
    );
    let dates: Vec<(String, String)> = sqlx::query_as(
        "select c.starts_on::text, c.deadline::text from plan_courses c join training_plans p on p.id = c.plan_id
         where p.fiscal_year = $1 and c.course_code = 'clerk'",
    )
    .bind(next.parse::<i32>().unwrap())
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(
        dates,
        vec![(format!("{next}-04-01"), format!("{next}-12-31"))],
        "dates move on a year"
    );
    assert!(
        !page.body.contains("この計画を承認する"),
        "an admin drafts but does not approve"
    );
    assert_eq!(
        admin
            .post(&format!("/plans/{next}/approve"), &[])
            .await
            .status,
        403
    );

    let mut chief = app.signed_in("chief").await;
    let page = chief.get(&format!("/plans?fy={next}")).await;
    assert!(page.body.contains("この計画を承認する"));
    assert_eq!(
        chief
            .post(&format!("/plans/{next}/approve"), &[])
            .await
            .status,
        303
    );
    let page = chief.get(&format!("/plans?fy={next}")).await;
    assert!(
        page.body.contains("承認済み") && page.body.contains("試験 chief"),
        "{}",
        page.body
    );

    let doc = chief.get(&format!("/plans/{next}/document")).await;
    assert_eq!(doc.status, 200);
    for needle in [
        "研修計画書",
        "番号法第29条の2",
        "事務取扱担当者研修",
        "全職員",
        "保護責任者",
        "試験 officer",
        "総括責任者",
        "再受講期限",
    ] {
        assert!(
            doc.body.contains(needle),
            "{needle} missing from the plan document"
        );
    }
    let again = admin
        .post("/plans", &[("fy", &next), ("from", "standard")])
        .await;
    assert_eq!(
        again.location,
        Some(format!("/plans?fy={next}&error=exists"))
    );
}

#[tokio::test]
async fn a_draft_plan_is_tailored_course_by_course_and_locked_once_approved() {
    let app = TestApp::spawn().await;
    let inst = Scenario::new(app.pool())
        .person("chief", Role::ChiefOfficer)
        .build()
        .await
        .institution();
    let next = FiscalYear::of(kenshu_core::japan_today()).year() + 1;
    let fy = next.to_string();
    let mut c = app.signed_in("chief").await;
    c.get(&format!("/plans?fy={fy}")).await;
    c.post("/plans", &[("fy", &fy), ("from", "standard")]).await;
    let page = c.get(&format!("/plans?fy={fy}")).await;
    assert!(page.body.contains("id=\"edit-clerk\""), "{}", page.body);

    let clerk = format!("/plans/{fy}/courses/clerk");
    let none = c
        .post(
            &clerk,
            &[
                ("starts_on", &format!("{next}-04-01")),
                ("deadline", &format!("{next}-09-30")),
            ],
        )
        .await;
    assert_eq!(none.status, 400);
    assert!(none.body.contains("対象者を1つ以上"));
    let backwards = c
        .post(
            &clerk,
            &[
                ("audience", "clerk"),
                ("starts_on", &format!("{next}-10-01")),
                ("deadline", &format!("{next}-09-30")),
            ],
        )
        .await;
    assert!(backwards.body.contains("期限は開始日以降"));
    let ok = c
        .post(
            &clerk,
            &[
                ("audience", "clerk"),
                ("audience", "file_handler"),
                ("starts_on", &format!("{next}-04-01")),
                ("deadline", &format!("{next}-09-30")),
                ("retake_until", &format!("{}-01-31", next + 1)),
            ],
        )
        .await;
    assert_eq!(ok.status, 303);
    c.post(
        &format!("/plans/{fy}/courses/protection-officer/remove"),
        &[],
    )
    .await;
    let bad_schedule = c
        .post(
            &format!("/plans/{fy}/details"),
            &[
                ("purpose", "目的"),
                ("method", "方法"),
                ("newcomer_days", "45"),
                ("reminder_days_before", "14,0"),
                ("reminder_overdue_every", "7"),
            ],
        )
        .await;
    assert_eq!(bad_schedule.status, 400);
    assert!(
        bad_schedule.body.contains("督促メールを送る日")
            && bad_schedule.body.contains("1〜120の数"),
        "{}",
        bad_schedule.body
    );
    c.post(
        &format!("/plans/{fy}/details"),
        &[
            ("purpose", "目的を改めた"),
            ("method", "集合研修も行う"),
            ("newcomer_days", "45"),
            ("reminder_days_before", "2、10"),
            ("reminder_overdue_every", "0"),
        ],
    )
    .await;

    let mut conn = app.pool().acquire().await.unwrap();
    let plan = kenshu_db::plan::plan(&mut conn, inst, FiscalYear::stored(next))
        .await
        .unwrap()
        .unwrap();
    let codes: Vec<&str> = plan.plan.courses.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["clerk", "cybersecurity", "final-test"]);
    assert_eq!(
        plan.reminders,
        kenshu_core::reminder::Schedule {
            before: vec![10, 2],
            overdue_every: 0
        },
        "the reminder schedule is the plan's"
    );
    assert_eq!(
        plan.plan.courses[0].audience,
        vec![
            Target::Designated(DesignationKind::Clerk),
            Target::Designated(DesignationKind::FileHandler)
        ]
    );
    assert_eq!(
        plan.plan.courses[0].deadline.to_string(),
        format!("{next}-09-30")
    );
    assert_eq!(
        (plan.purpose.as_str(), plan.plan.newcomer_days),
        ("目的を改めた", 45)
    );

    c.post(&format!("/plans/{fy}/approve"), &[]).await;
    let locked = c
        .post(
            &format!("/plans/{fy}/courses/protection-officer/remove"),
            &[],
        )
        .await;
    assert_eq!(locked.status, 400);
    assert!(locked.body.contains("承認済みの計画は変更できません"));
}

/// Two people drafting the same year at the same moment: one plan is made, and everyone else
/// gets the answer the form gives when the plan exists already — not a server error.
#[tokio::test]
async fn drafting_the_same_year_at_once_makes_one_plan_and_tells_the_others_it_exists() {
    let next = (FiscalYear::of(kenshu_core::japan_today()).year() + 2).to_string();
    draft_at_once(&next, "standard").await;
}

/// The same for copies of last year's plan (this year's, which the test institution has): the
/// copy that comes second meets the first one's row and is told the plan exists.
#[tokio::test]
async fn copying_last_years_plan_at_once_makes_one_plan_and_tells_the_others_it_exists() {
    let next = (FiscalYear::of(kenshu_core::japan_today()).year() + 1).to_string();
    draft_at_once(&next, "previous").await;
}

/// Four drafts of year `next` from `from` at the same moment: exactly one is made.
async fn draft_at_once(next: &str, from: &'static str) {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    user(app.pool(), "admin", Role::PortalAdmin).await;
    let next = next.to_string();
    const AT_ONCE: i64 = 4;
    let mut browsers = Vec::new();
    for i in 0..AT_ONCE {
        browsers.push(
            app.signed_in(if i % 2 == 0 { "chief" } else { "admin" })
                .await,
        );
    }
    // Every draft sees no plan yet and then waits to insert: the table is held so that the
    // inserts queue behind this transaction (reads go on).
    let mut hold = app.pool().begin().await.unwrap();
    sqlx::query("lock table training_plans in share mode")
        .execute(&mut *hold)
        .await
        .unwrap();
    let mut drafts = Vec::new();
    for mut b in browsers {
        let next = next.clone();
        drafts.push(tokio::spawn(async move {
            b.post("/plans", &[("fy", &next), ("from", from)]).await
        }));
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock'
             and query like 'insert into training_plans%'",
        )
        .fetch_one(app.pool())
        .await
        .unwrap();
        if waiting == AT_ONCE {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{waiting} of {AT_ONCE} drafts reached the insert"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    hold.rollback().await.unwrap();
    let mut made = 0;
    for d in drafts {
        let res = d.await.unwrap();
        assert_eq!(res.status, 303, "{}", res.body);
        match res.location.as_deref() {
            Some(l) if l == format!("/plans?fy={next}") => made += 1,
            Some(l) if l == format!("/plans?fy={next}&error=exists") => {}
            other => panic!("unexpected answer: {other:?}"),
        }
    }
    assert_eq!(made, 1, "exactly one draft is made");
    let plans: i64 =
        sqlx::query_scalar("select count(*) from training_plans where fiscal_year = $1")
            .bind(next.parse::<i32>().unwrap())
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(plans, 1);
}
