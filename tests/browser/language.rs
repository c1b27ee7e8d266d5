//! The language switch as a person uses it: in a Japanese browser, "English" in the header turns
//! the portal English on the same page, at 1280 and 375 px, and "日本語" turns it back.

use kenshu_core::i18n::{EN, JA};
use kenshu_core::person::Role;
use kenshu_tests::{TestApp, user};
use serde_json::json;

use super::checks::{axe_source, snap};
use super::driver::Session;
use crate::sign_in;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_s_switch_turns_the_page_english_and_back_on_desktop_and_phone() {
    let Some(b) =
        Session::launch("the_header_s_switch_turns_the_page_english_and_back_on_desktop_and_phone")
            .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    user(app.pool(), "officer1", Role::ProtectionOfficer).await;
    let mut problems = Vec::new();
    sign_in(&b, &app, "officer1").await;
    b.goto(&app.url("/officer")).await;
    b.wait_for("nav.lang a[hreflang=en]").await;
    assert_eq!(
        b.execute("return document.documentElement.lang").await,
        json!("ja")
    );

    b.click_to_next_page(
        "nav.lang a[hreflang=en]",
        "nav.lang a[hreflang=en][aria-current]",
    )
    .await;
    assert!(
        b.current_url().await.ends_with("/officer"),
        "the switch returns to the page it was pressed on"
    );
    assert_eq!(
        b.execute("return document.documentElement.lang").await,
        json!("en")
    );
    let nav = b.text("header.site nav").await;
    assert!(nav.contains(EN.my_training), "{nav}");
    snap(
        &b,
        &axe_source(),
        "language-english-dashboard",
        &mut problems,
    )
    .await;
    b.goto(&app.url("/my")).await;
    b.wait_for("ul.cards").await;
    snap(&b, &axe_source(), "language-english-my", &mut problems).await;

    b.click_to_next_page(
        "nav.lang a[hreflang=ja]",
        "nav.lang a[hreflang=ja][aria-current]",
    )
    .await;
    assert_eq!(
        b.execute("return document.documentElement.lang").await,
        json!("ja")
    );
    let nav = b.text("header.site nav").await;
    assert!(nav.contains(JA.my_training), "{nav}");
    b.close().await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
