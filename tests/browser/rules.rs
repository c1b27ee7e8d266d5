//! Rules read and acknowledged in a Japanese Chromium (issue 17, item 2): the chief officer
//! publishes a rule with a minimum reading time on the 規程の管理 page; a staff member opens it,
//! the button counts down and stays disabled until the time has passed, then records the
//! acknowledgement; the chief sees it on the rule's page. Each page at 1280 and 375 px with
//! axe-core.

use kenshu_core::person::Role;
use kenshu_tests::{Scenario, TestApp, user};

use super::checks::{axe_source, snap};
use super::driver::Session;
use crate::sign_in;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chief_publishes_a_rule_and_staff_acknowledge_it_after_reading() {
    let Some(b) =
        Session::launch("the_chief_publishes_a_rule_and_staff_acknowledge_it_after_reading").await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    user(app.pool(), "chief1", Role::ChiefOfficer).await;
    user(app.pool(), "staff1", Role::Staff).await;
    let axe = axe_source();
    let mut problems = Vec::new();

    sign_in(&b, &app, "chief1").await;
    b.goto(&app.url("/manage/rules")).await;
    b.wait_for("form#publish").await;
    b.type_into("#code", "tokutei-kitei").await;
    b.type_into("#title", "特定個人情報取扱規程").await;
    b.set_value("#min_read_secs", "3").await;
    b.type_into(
        "#body",
        "# 総則\n\n第1条 この規程は、特定個人情報等の適正な取扱いを確保するために定める。",
    )
    .await;
    snap(&b, &axe, "rules-manage", &mut problems).await;
    b.click_to_next_page("form#publish button[type=submit]", "#standings")
        .await;
    assert!(b.text("#flash").await.contains("規程を公開しました"));
    snap(&b, &axe, "rules-detail", &mut problems).await;
    b.click_to_next_page("form[action='/logout'] button", "#login")
        .await;

    sign_in(&b, &app, "staff1").await;
    b.goto(&app.url("/rules")).await;
    b.wait_for("#rule-tokutei-kitei").await;
    assert!(b.text("#rule-tokutei-kitei").await.contains("未確認"));
    b.click_to_next_page("#rule-tokutei-kitei a", "#acknowledge")
        .await;
    // Counting down: disabled until the reading time has passed.
    let disabled = b
        .execute("return document.querySelector('#acknowledge button').disabled")
        .await;
    assert_eq!(disabled, serde_json::json!(true));
    snap(&b, &axe, "rules-reading", &mut problems).await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let disabled = b
        .execute("return document.querySelector('#acknowledge button').disabled")
        .await;
    assert_eq!(disabled, serde_json::json!(false));
    b.click_to_next_page("#acknowledge button", "#acknowledged")
        .await;
    assert!(b.text("#flash").await.contains("確認を記録しました"));
    snap(&b, &axe, "rules-acknowledged", &mut problems).await;
    b.goto(&app.url("/rules")).await;
    b.wait_for("#rule-tokutei-kitei").await;
    assert!(b.text("#rule-tokutei-kitei").await.contains("確認済み"));
    b.close().await;
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The plan requires the rule (done-when of issue 17, item 2): the chief officer publishes a
/// rule, adds it to the draft plan and approves it; the plan's schedule reminds the staff
/// member, who finds the rule and the reminder naming it on わたしの研修, reads and
/// acknowledges it, and it is gone from there; the chief sees the acknowledgement on
/// the dashboard, on the overview and in the annual report next to the courses. Each page at
/// 1280 and 375 px with axe-core.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_required_by_the_plan_is_acknowledged_and_reported() {
    let Some(b) = Session::launch("a_rule_required_by_the_plan_is_acknowledged_and_reported").await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today());
    let y = fy.year();
    Scenario::new(app.pool())
        .plan(fy)
        .person("chief1", Role::ChiefOfficer)
        .person("staff1", Role::Staff)
        .build()
        .await;
    let axe = axe_source();
    let mut problems = Vec::new();

    sign_in(&b, &app, "chief1").await;
    b.goto(&app.url("/manage/rules")).await;
    b.wait_for("form#publish").await;
    b.type_into("#code", "tokutei-kitei").await;
    b.type_into("#title", "特定個人情報取扱規程").await;
    b.set_value("#min_read_secs", "2").await;
    b.type_into(
        "#body",
        "第1条 この規程は、特定個人情報等の適正な取扱いを定める。",
    )
    .await;
    b.click_to_next_page("form#publish button[type=submit]", "#standings")
        .await;
    b.goto(&app.url(&format!("/plans?fy={y}"))).await;
    b.wait_for("#plan-rules").await;
    b.click_to_next_page(
        &format!("form.inline[action='/plans/{y}/rules/tokutei-kitei'] button"),
        "#rule-tokutei-kitei",
    )
    .await;
    assert!(
        b.text("table#plan-rules")
            .await
            .contains("特定個人情報取扱規程 第1版"),
        "the plan lists the rule"
    );
    snap(&b, &axe, "plan-rules", &mut problems).await;
    b.click_to_next_page(
        &format!("form[action='/plans/{y}/approve'] button"),
        "#plan-status",
    )
    .await;
    assert!(b.text("#plan-status").await.contains("承認"));
    b.click_to_next_page("form[action='/logout'] button", "#login")
        .await;
    // The plan's schedule, three days before the rule's deadline (never less than 30 days
    // after publication), reminds staff1 of it.
    let deadline: time::Date = sqlx::query_scalar("select deadline from plan_rules")
        .fetch_one(app.pool())
        .await
        .unwrap();
    let deadline = kenshu_core::plan::rule_deadline(deadline, kenshu_core::japan_today());
    let sent = kenshu_app::reminder::schedule::run(
        app.pool(),
        kenshu_tests::simulate::ten_oclock(deadline - time::Duration::days(3)),
        "https://kenshu.example.jp",
    )
    .await
    .unwrap();
    assert!(sent >= 1, "staff1 is reminded");

    sign_in(&b, &app, "staff1").await;
    b.wait_for("#pending-rules").await;
    assert!(
        b.text("#rule-tokutei-kitei").await.contains("未確認"),
        "わたしの研修 asks for the rule"
    );
    assert!(
        b.text("#reminder-notice")
            .await
            .contains("規程の確認: 特定個人情報取扱規程"),
        "the reminder at sign-in names the rule"
    );
    snap(&b, &axe, "my-pending-rule", &mut problems).await;
    b.click_to_next_page("#rule-tokutei-kitei a", "#acknowledge")
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    b.click_to_next_page("#acknowledge button", "#acknowledged")
        .await;
    b.goto(&app.url("/my")).await;
    b.wait_for("ul.cards").await;
    assert_eq!(
        b.count("#pending-rules").await,
        0,
        "acknowledged: not asked again"
    );
    assert!(
        !b.text("body")
            .await
            .contains("規程の確認: 特定個人情報取扱規程"),
        "the reminder no longer names the rule"
    );
    b.click_to_next_page("form[action='/logout'] button", "#login")
        .await;

    sign_in(&b, &app, "chief1").await;
    b.goto(&app.url("/officer?division=a")).await;
    b.wait_for("#rule-counts").await;
    let counts = b.texts("#rule-counts tbody td").await;
    assert_eq!(
        counts,
        ["2", "1", "0", "1"],
        "chief1 and staff1 asked, staff1 acknowledged"
    );
    snap(&b, &axe, "dashboard-rules", &mut problems).await;
    b.goto(&app.url(&format!("/overview?fy={y}"))).await;
    b.wait_for("#rule-counts").await;
    assert_eq!(
        b.texts("#rules-total td").await,
        ["2", "1", "0", "1"],
        "the overview's total"
    );
    snap(&b, &axe, "overview-rules", &mut problems).await;
    // The annual report, fetched by the browser with the chief's session.
    let report = b
        .execute(&format!(
            "const x = new XMLHttpRequest(); x.open('GET', '/reports/annual?fy={y}&format=html', false); x.send(); return x.responseText;"
        ))
        .await;
    let report = report.as_str().unwrap_or_default();
    assert!(
        report.contains("<td>規程の確認: 特定個人情報取扱規程 第1版</td><td>確認済み</td>")
            && report.contains("id=\"rules-summary\""),
        "the annual report shows the acknowledgement next to the courses: {report}"
    );
    b.close().await;
    assert!(problems.is_empty(), "{problems:#?}");
}
