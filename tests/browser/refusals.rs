//! The pages that refuse, as a person sees them at 1280 and 375 px in a Japanese browser: the
//! sign-in held back by the throttle (429), a guessable password refused on the password page
//! (422), the Japanese error page that replaces the framework's plain-text rejections (400), and
//! the page shown while the database does not answer (503). Each is checked with axe-core (when
//! installed), for sideways scrolling at 375 px, and for its message on screen at both widths.

use std::time::{Duration, Instant};

use kenshu_core::person::Role;
use kenshu_tests::{PASSWORD, TestApp, user};
use serde_json::json;

use super::checks::{axe_source, snap};
use super::driver::Session;
use crate::sign_in;

/// Asserts that the page is Japanese and that the element `css` shows `phrase` wholly inside
/// the viewport, at desktop width and at 375 px; then takes the shots and checks (see
/// [`snap`]), named `name`.
async fn look_at(b: &Session, css: &str, phrase: &str, name: &str, problems: &mut Vec<String>) {
    let lang = b.execute("return document.documentElement.lang").await;
    assert_eq!(lang, json!("ja"), "{name}: the page is marked Japanese");
    message_on_screen(b, css, phrase, name, 1280).await;
    b.phone(375, 812).await;
    message_on_screen(b, css, phrase, name, 375).await;
    b.desktop().await;
    snap(b, &axe_source(), name, problems).await;
}

/// The element `css` is visible, says `phrase` and lies, its text included, within the
/// screen's `width` (a phone widens its viewport to fit a page that is too wide).
async fn message_on_screen(b: &Session, css: &str, phrase: &str, name: &str, width: u64) {
    b.wait_for(css).await;
    let seen = b
        .execute_with(
            "const el = document.querySelector(arguments[0]);
             const r = el.getBoundingClientRect();
             return { text: el.innerText, visible: el.checkVisibility(),
                      inside: r.left >= 0 && r.right <= arguments[1] && r.height > 0
                              && el.scrollWidth <= el.clientWidth + 1 };",
            vec![json!(css), json!(width)],
        )
        .await;
    let text = seen["text"].as_str().unwrap_or_default();
    assert!(
        text.contains(phrase),
        "{name} at {width} px: `{css}` should say {phrase:?}, says {text:?}"
    );
    assert_eq!(
        (&seen["visible"], &seen["inside"]),
        (&json!(true), &json!(true)),
        "{name} at {width} px: `{css}` should be visible and inside the viewport, {seen}"
    );
}

async fn try_password(b: &Session, app: &TestApp, login: &str, password: &str) -> String {
    b.goto(&app.url("/login")).await;
    b.type_into("#login", login).await;
    b.type_into("#password", password).await;
    b.click_to_next_page("form[action='/login'] button[type=submit]", "#login-error")
        .await
        .text()
        .await
        .expect("the sign-in error's text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_held_back_by_the_throttle_says_to_wait_in_japanese_on_desktop_and_phone() {
    let Some(b) = Session::launch(
        "sign_in_held_back_by_the_throttle_says_to_wait_in_japanese_on_desktop_and_phone",
    )
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut problems = Vec::new();

    // Wrong passwords from a browser the account never signed in with: the first five are
    // checked and refused; after them each attempt must wait 1, 2, 4 … seconds after the last,
    // and one made sooner is held back without a check, the page saying how long to wait.
    let said = try_password(&b, &app, "staff1", "not the password").await;
    assert!(
        said.contains("パスワードが正しくありません"),
        "a wrong password is refused, the page says {said:?}"
    );
    look_at(
        &b,
        "#login-error",
        "パスワードが正しくありません",
        "sign-in-wrong-password",
        &mut problems,
    )
    .await;
    let mut attempts = 1;
    let said = loop {
        attempts += 1;
        let said = try_password(&b, &app, "staff1", "not the password").await;
        if !said.contains("パスワードが正しくありません") || attempts == 10 {
            break said;
        }
    };
    assert!(
        attempts > 5,
        "the first five wrong passwords are all checked, attempt {attempts} was held back"
    );
    assert!(
        said.contains("待ってから") && said.contains("秒ほど"),
        "attempt {attempts} is held back with the time to wait, the page says {said:?}"
    );
    assert!(
        b.current_url().await.ends_with("/login"),
        "a held-back sign-in stays on the sign-in page"
    );
    look_at(
        &b,
        "#login-error",
        "待ってから",
        "sign-in-throttled",
        &mut problems,
    )
    .await;
    b.close().await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guessable_new_password_is_refused_with_the_reason_on_desktop_and_phone() {
    let Some(b) =
        Session::launch("a_guessable_new_password_is_refused_with_the_reason_on_desktop_and_phone")
            .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut problems = Vec::new();
    sign_in(&b, &app, "staff1").await;

    b.click_to_next_page("header.site a[href='/password']", "#new")
        .await;
    b.type_into("#current", PASSWORD).await;
    b.type_into("#new", "password12").await;
    b.type_into("#confirm", "password12").await;
    b.click_to_next_page(
        "form[action='/password'] button[type=submit]",
        "p.notice.error",
    )
    .await;
    look_at(
        &b,
        "p.notice.error",
        "推測されやすいパスワードです",
        "password-guessable",
        &mut problems,
    )
    .await;
    assert_eq!(
        b.value("#new").await,
        "",
        "the refused password is not shown back in the form"
    );

    // Nothing changed: the old password still signs in.
    b.click_to_next_page("header.site form[action='/logout'] button", "#login")
        .await;
    sign_in(&b, &app, "staff1").await;
    b.close().await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_requests_and_an_unreachable_database_get_japanese_error_pages() {
    let Some(b) =
        Session::launch("rejected_requests_and_an_unreachable_database_get_japanese_error_pages")
            .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut problems = Vec::new();
    sign_in(&b, &app, "staff1").await;

    // A malformed id in the address: the framework's rejection, as the portal's own page.
    b.goto(&app.url("/courses/clerk/attempts/not-a-uuid")).await;
    assert_eq!(b.text("main h1").await, "入力内容を確認してください");
    assert_eq!(b.text("main p.muted").await, "HTTP 400");
    look_at(
        &b,
        "main p.notice.error",
        "URL またはフォームの内容が正しくありません",
        "error-400",
        &mut problems,
    )
    .await;
    let body = b.text("body").await;
    assert!(
        !body.contains("Invalid URL") && !body.contains("UUID"),
        "none of the framework's English shows, the page says {body:?}"
    );
    b.click_to_next_page("main a[href='/']", "ul.cards").await;

    // A portal whose database does not answer: nothing listens on its port.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let db = kenshu_tests::test_db().await;
    let nowhere = sqlx::postgres::PgConnectOptions::new()
        .host("127.0.0.1")
        .port(closed)
        .username(db.options().get_username())
        .database(&db.name);
    let pool = sqlx::postgres::PgPoolOptions::new().connect_lazy_with(nowhere);
    let down = TestApp::spawn_with(db, pool, kenshu_web::Settings::default()).await;
    let started = Instant::now();
    while reqwest::get(down.url("/readyz"))
        .await
        .map(|r| r.status().as_u16())
        .ok()
        != Some(503)
    {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "/readyz never said 503"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.goto(&down.url("/login")).await;
    assert_eq!(b.text("main h1").await, "一時的に利用できません");
    assert_eq!(b.text("main p.muted").await, "HTTP 503");
    look_at(
        &b,
        "main p.notice.error",
        "一時的にご利用いただけません",
        "error-503",
        &mut problems,
    )
    .await;
    b.close().await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_group_reminder_keeps_the_dashboard_as_it_was_on_desktop_and_phone() {
    let Some(b) = Session::launch(
        "a_refused_group_reminder_keeps_the_dashboard_as_it_was_on_desktop_and_phone",
    )
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    kenshu_tests::Scenario::new(app.pool())
        .person("officer-a", Role::ProtectionOfficer)
        .person("late-a", Role::Staff)
        .person("late-a2", Role::Staff)
        .build()
        .await;
    let mut problems = Vec::new();
    sign_in(&b, &app, "officer-a").await;
    b.goto(&app.url("/officer?division=a&show=all&sort=name"))
        .await;
    b.click("input[form='remind-group'][value='late-a2']").await;
    b.type_into("#group-message", "番号 1234-5678-9018 の件")
        .await;
    b.click_to_next_page("#remind-group button[type=submit]", "#refused-summary")
        .await;
    look_at(
        &b,
        "#group-message-error",
        "マイナンバー",
        "dashboard-group-reminder-refused",
        &mut problems,
    )
    .await;
    let kept = b
        .execute(
            "return {
               message: document.getElementById('group-message').value,
               focused: document.activeElement && document.activeElement.id,
               picked: [...document.querySelectorAll('input[form=remind-group]:checked')]
                         .map(i => i.value),
               filter: document.querySelector('nav.filters a[aria-current]').textContent,
             };",
        )
        .await;
    assert_eq!(
        kept,
        json!({
            "message": "番号 ＊＊＊＊-＊＊＊＊-＊＊＊＊ の件",
            "focused": "group-message",
            "picked": ["late-a2"],
            "filter": "すべて",
        }),
        "the message kept without the number and focused, the same person picked, the same view"
    );

    // Corrected and sent: back to the same view, saying how many were reminded.
    b.set_value("#group-message", "今週中に受講してください。")
        .await;
    b.click_to_next_page("#remind-group button[type=submit]", "#reminded")
        .await;
    look_at(
        &b,
        "#reminded",
        "督促を送りました",
        "dashboard-group-reminder-sent",
        &mut problems,
    )
    .await;
    assert!(
        b.current_url()
            .await
            .ends_with("/officer?division=a&show=all&sort=name&reminded=1"),
        "back to the same view"
    );
    b.close().await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
