//! Signing in through the institution's OpenID Connect provider in a Japanese Chromium (issue 16,
//! item 2): the button on the sign-in page, the provider's own page, back to the portal signed
//! in; a token for another client, a token from a provider with a wrong clock, the same return
//! opened again (a replayed state) and someone the roster does not have each end on the sign-in
//! page with their message, checked at 1280 and 375 px with axe-core; signing out goes through
//! the provider's end-session page and back to the sign-in page.

use kenshu_tests::oidc::{Account, Misbehave, portal_and_provider};

use super::checks::{axe_source, snap};
use super::driver::{Options, Session};

/// From the portal's sign-in page through the provider's page as `login`; waits for `ready` on
/// the page the portal answers with.
async fn through_provider(b: &Session, base: &str, login: &str, ready: &str) {
    // Another person at the same browser: the provider's session of the last one is gone.
    b.cdp("Network.clearBrowserCookies", serde_json::json!({}))
        .await;
    b.goto(&format!("{base}/login")).await;
    b.click_to_next_page(
        "#oidc-sign-in",
        "form[action^='/interaction/'] input[name=login]",
    )
    .await;
    b.type_into("input[name=login]", login).await;
    b.type_into("input[name=password]", &format!("{login}-pass-2026"))
        .await;
    b.click_to_next_page("button", ready).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_sign_in_with_their_office_account_and_bad_returns_are_explained() {
    let test = "staff_sign_in_with_their_office_account_and_bad_returns_are_explained";
    let Some(b) = Session::launch_with(test, Options { network_log: true }).await else {
        return;
    };
    let accounts = [
        Account::new(
            "yamada",
            "yamada-pass-2026",
            &[("employee_number", "000123")],
        ),
        Account::new(
            "suzuki",
            "suzuki-pass-2026",
            &[("employee_number", "000123")],
        )
        .misbehave(Misbehave::Audience),
        Account::new("sato", "sato-pass-2026", &[("employee_number", "000123")])
            .misbehave(Misbehave::Clock),
        Account::new("kato", "kato-pass-2026", &[("employee_number", "000999")]),
    ];
    let Some((app, provider, _s)) = portal_and_provider(&accounts).await else {
        b.close().await;
        return;
    };
    let base = app.url("");
    let axe = axe_source();
    let mut problems = Vec::new();

    b.goto(&format!("{base}/login")).await;
    b.wait_for("#oidc-sign-in").await;
    assert_eq!(
        b.text("#oidc-sign-in").await,
        "組織のアカウントでサインイン"
    );
    snap(&b, &axe, "oidc-sign-in-page", &mut problems).await;

    // A good sign-in lands on "My training" as the roster's 000123.
    b.network_log().await;
    through_provider(&b, &base, "yamada", "ul.cards").await;
    assert!(b.current_url().await.ends_with("/my"));
    assert!(
        b.text("header.site .who .name")
            .await
            .contains("試験 000123")
    );
    let callback = b
        .network_log()
        .await
        .iter()
        .filter(|e| e["method"] == "Network.requestWillBeSent")
        .filter_map(|e| e["params"]["request"]["url"].as_str().map(str::to_string))
        .find(|u| u.contains("/login/oidc/callback?"))
        .expect("the provider sent the browser back to the portal");

    // Signing out goes through the provider's end-session page, then back to sign-in.
    b.click_to_next_page("form[action='/logout'] button", "button[autofocus]")
        .await;
    let at = b.current_url().await;
    assert!(at.starts_with(&provider.issuer), "{at}");
    // oidc-provider asks whether to sign out there too ("Yes, sign me out" has the focus).
    b.click_to_next_page("button[autofocus]", "#login").await;
    assert!(b.current_url().await.starts_with(&format!("{base}/login")));

    // The same return opened again: the sign-in page says it has expired or was used.
    b.goto(&callback).await;
    b.wait_for("#login-error").await;
    assert!(
        b.text("#login-error")
            .await
            .contains("期限が切れたか、すでに使われています")
    );
    snap(&b, &axe, "oidc-replayed", &mut problems).await;

    // A token for another client, and one from a provider with a wrong clock.
    for (login, shot) in [
        ("suzuki", "oidc-wrong-audience"),
        ("sato", "oidc-expired-token"),
    ] {
        through_provider(&b, &base, login, "#login-error").await;
        assert!(
            b.text("#login-error")
                .await
                .contains("組織のアカウントでのサインインを完了できませんでした"),
            "{login}"
        );
        snap(&b, &axe, shot, &mut problems).await;
    }

    // Someone the roster does not have: told whom to ask.
    through_provider(&b, &base, "kato", "#login-error").await;
    assert!(b.text("#login-error").await.contains("名簿への登録を依頼"));
    snap(&b, &axe, "oidc-not-on-roster", &mut problems).await;
    b.close().await;
    assert!(problems.is_empty(), "{problems:#?}");
}
