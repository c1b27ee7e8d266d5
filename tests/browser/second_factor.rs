//! The second factor as a person sees it in a Japanese Chromium, at 1280 and 375 px: a chief
//! officer whose institution requires it signs in, scans (here: reads) the QR code's key, types
//! the first code and keeps the recovery codes shown once; the next sign-in asks for a code,
//! refuses a wrong one and lets the right one in. Each page is checked with axe-core and for
//! sideways scrolling.

use kenshu_core::person::Role;
use kenshu_core::totp::TotpSecret;
use kenshu_tests::{PASSWORD, TestApp, user};

use super::checks::{axe_source, snap};
use super::driver::Session;

fn now() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap()
}

/// The secret from the key shown beside the QR code, as a person types it into an app.
fn from_key(key: &str) -> TotpSecret {
    let (mut bits, mut n, mut bytes) = (0u64, 0, Vec::new());
    for c in key.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            other => panic!("not base32: {}", other as char),
        };
        bits = (bits << 5) | u64::from(v);
        n += 5;
        if n >= 8 {
            n -= 8;
            bytes.push((bits >> n) as u8);
        }
    }
    TotpSecret::from_bytes(bytes).expect("a 20-byte secret")
}

async fn first_step(b: &Session, app: &TestApp, login: &str) {
    b.goto(&app.url("/login")).await;
    b.type_into("#login", login).await;
    b.type_into("#password", PASSWORD).await;
    b.click_to_next_page("form[action='/login'] button[type=submit]", "#code")
        .await;
    assert!(b.current_url().await.ends_with("/login/second-factor"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chief_officer_sets_up_the_app_at_sign_in_and_signs_in_with_a_code() {
    let Some(b) =
        Session::launch("a_chief_officer_sets_up_the_app_at_sign_in_and_signs_in_with_a_code")
            .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    let chief = user(app.pool(), "chief1", Role::ChiefOfficer).await;
    let _ = chief;
    sqlx::query("update institutions set second_factor_required = true")
        .execute(app.pool())
        .await
        .unwrap();
    let mut problems = Vec::new();
    let axe = axe_source();

    first_step(&b, &app, "chief1").await;
    b.wait_for("svg.qr").await;
    let lead = b.text("p.lead").await;
    assert!(lead.contains("二要素認証が必要です"), "{lead}");
    snap(&b, &axe, "second-factor-setup", &mut problems).await;
    let secret = from_key(&b.text("code.totp-key").await);

    b.type_into("#code", "000000").await;
    b.click_to_next_page("form button[type=submit]", "#code-error")
        .await;
    assert!(
        b.text("#code-error")
            .await
            .contains("確認コードが正しくありません")
    );
    snap(&b, &axe, "second-factor-wrong", &mut problems).await;

    b.type_into("#code", &secret.code_at(now())).await;
    b.click_to_next_page("form button[type=submit]", "ol.recovery-codes")
        .await;
    let codes = b.texts("ol.recovery-codes code").await;
    assert_eq!(codes.len(), 10, "{codes:?}");
    snap(&b, &axe, "second-factor-recovery-codes", &mut problems).await;
    b.click_to_next_page("a.button.primary", "ul.cards").await;
    assert!(b.current_url().await.ends_with("/my"));

    // Signed out, the next sign-in asks for the code of now.
    b.click_to_next_page("form[action='/logout'] button", "#login")
        .await;
    first_step(&b, &app, "chief1").await;
    assert_eq!(b.count("svg.qr").await, 0);
    snap(&b, &axe, "second-factor-code", &mut problems).await;
    b.type_into("#code", &secret.code_at(now() + 30)).await;
    b.click_to_next_page("form button[type=submit]", "ul.cards")
        .await;
    assert!(b.current_url().await.ends_with("/my"));

    // The account page: on, required, recovery codes left.
    b.goto(&app.url("/second-factor")).await;
    b.wait_for("#recovery-left").await;
    assert_eq!(b.text("#recovery-left").await, "10");
    snap(&b, &axe, "second-factor-account", &mut problems).await;
    b.close().await;
    assert!(problems.is_empty(), "{problems:#?}");
}
