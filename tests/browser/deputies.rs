//! Deputies (代理者の指定) in a Japanese Chromium (issue 17, item 3): the chief officer opens
//! the page from the digest preview, is refused a deputy whose login ID does not exist (the
//! field named, the form kept), then names one; each state at 1280 and 375 px with axe-core.

use kenshu_core::person::Role;
use kenshu_tests::{TestApp, user};

use super::checks::{axe_source, snap};
use super::driver::Session;
use crate::sign_in;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chief_names_a_deputy_for_an_absent_officer() {
    let Some(b) = Session::launch("the_chief_names_a_deputy_for_an_absent_officer").await else {
        return;
    };
    let app = TestApp::spawn().await;
    user(app.pool(), "chief1", Role::ChiefOfficer).await;
    user(app.pool(), "officer1", Role::ProtectionOfficer).await;
    user(app.pool(), "staff1", Role::Staff).await;
    let axe = axe_source();
    let mut problems = Vec::new();

    sign_in(&b, &app, "chief1").await;
    b.goto(&app.url("/officer/digests")).await;
    b.click_to_next_page("#deputies-link", "form#add").await;
    assert!(b.text("#no-deputies").await.contains("指定されていません"));
    snap(&b, &axe, "deputies-empty", &mut problems).await;

    b.set_value("#officer", "officer1").await;
    b.type_into("#deputy", "nobody").await;
    b.type_into("#note", "育児休業").await;
    b.click_to_next_page("form#add button[type=submit]", "#deputy-error")
        .await;
    assert!(
        b.text("#deputy-error")
            .await
            .contains("代理者のログインID: そのログインIDの職員は見つかりません")
    );
    assert_eq!(b.value("#note").await, "育児休業", "the form is kept");
    snap(&b, &axe, "deputies-refused", &mut problems).await;

    b.set_value("#deputy", "staff1").await;
    b.click_to_next_page("form#add button[type=submit]", "#deputies")
        .await;
    assert!(b.text("#flash").await.contains("代理者を指定しました"));
    let row = b.text("#deputies tbody tr").await;
    assert!(
        row.contains("officer1") && row.contains("staff1") && row.contains("育児休業"),
        "{row}"
    );
    snap(&b, &axe, "deputies-named", &mut problems).await;
    b.close().await;
    assert!(problems.is_empty(), "{problems:#?}");
}
