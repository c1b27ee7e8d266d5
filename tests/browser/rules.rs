//! Rules read and acknowledged in a Japanese Chromium (issue 17, item 2): the chief officer
//! publishes a rule with a minimum reading time on the 規程の管理 page; a staff member opens it,
//! the button counts down and stays disabled until the time has passed, then records the
//! acknowledgement; the chief sees it on the rule's page. Each page at 1280 and 375 px with
//! axe-core.

use kenshu_core::person::Role;
use kenshu_tests::{TestApp, user};

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
