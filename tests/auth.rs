//! Sign-in, sessions, CSRF and the first-sign-in password change (throttling and abuse:
//! sign_in_abuse.rs).

use kenshu_core::person::Role;
use kenshu_tests::{PASSWORD, Scenario, TestApp, simulate, user};
use reqwest::StatusCode;

#[tokio::test]
async fn a_stranger_is_sent_to_sign_in_and_back_afterwards() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.browser();
    let page = b.get("/courses/clerk").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/login?next=/courses/clerk"));
    let login = b.get("/login?next=/courses/clerk").await;
    assert!(login.body.contains("ログイン"), "{}", login.body);
    let res = b
        .post(
            "/login",
            &[
                ("login", "staff1"),
                ("password", PASSWORD),
                ("next", "/courses/clerk"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location.as_deref(), Some("/courses/clerk"));
    assert_eq!(b.get("/courses/clerk").await.status, StatusCode::OK);
}

#[tokio::test]
async fn sign_in_works_with_the_email_address_too() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.browser();
    let res = b.sign_in("STAFF1@test.example.jp", PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(b.get("/my").await.body.contains("試験 staff1"));
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_a_message_and_no_session() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.browser();
    let res = b.sign_in("staff1", "wrong password!").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.body.contains("パスワードが正しくありません"),
        "{}",
        res.body
    );
    assert_eq!(b.get("/my").await.status, StatusCode::SEE_OTHER);
    let sessions: i64 = sqlx::query_scalar("select count(*) from sessions")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.signed_in("staff1").await;
    let path = "/courses/clerk/sections/system-overview/read";
    let none = b.post_raw(path, &[]).await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    assert!(none.body.contains("再読み込み"), "{}", none.body);
    let wrong = b.post_raw(path, &[("csrf", "0000")]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let reads: i64 = sqlx::query_scalar("select count(*) from section_reads")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(reads, 0);
    let ok = b.post(path, &[]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_sign_in_form_needs_its_csrf_token_too() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.browser();
    let res = b
        .post_raw("/login", &[("login", "staff1"), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn session_cookies_are_http_only_lax_and_secure_behind_https() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.browser();
    let res = b.sign_in("staff1", PASSWORD).await;
    let cookie = res
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("kenshu_session="))
        .expect("session cookie")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http must not get Secure cookies: {cookie}"
    );

    let client = kenshu_tests::http::browser_like()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = client
        .get(app.url("/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let pre = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(pre.contains("Secure"), "{pre}");
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.signed_in("staff1").await;
    let out = b.post("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let sessions: i64 = sqlx::query_scalar("select count(*) from sessions")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    assert_eq!(b.get("/my").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_initial_password_must_be_replaced_at_first_sign_in() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("newbie", Role::Staff)
        .must_change_password()
        .build()
        .await;
    let mut b = app.browser();
    assert_eq!(
        b.sign_in("newbie", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let my = b.get("/my").await;
    assert_eq!(my.status, StatusCode::SEE_OTHER);
    assert_eq!(my.location.as_deref(), Some("/password"));
    let form = b.get("/password").await;
    assert!(form.body.contains("初期パスワード"), "{}", form.body);

    let short = b
        .post(
            "/password",
            &[
                ("current", PASSWORD),
                ("new", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert!(short.body.contains("10文字以上"), "{}", short.body);
    let mismatch = b
        .post(
            "/password",
            &[
                ("current", PASSWORD),
                ("new", "a new long secret"),
                ("confirm", "another one!"),
            ],
        )
        .await;
    assert!(mismatch.body.contains("一致しません"));
    let wrong = b
        .post(
            "/password",
            &[
                ("current", "not it at all"),
                ("new", "a new long secret"),
                ("confirm", "a new long secret"),
            ],
        )
        .await;
    assert!(wrong.body.contains("現在のパスワードが正しくありません"));
    let ok = b
        .post(
            "/password",
            &[
                ("current", PASSWORD),
                ("new", "a new long secret"),
                ("confirm", "a new long secret"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/my").await.status, StatusCode::OK);

    assert_eq!(
        app.browser().sign_in("newbie", PASSWORD).await.status,
        StatusCode::OK,
        "old password still works"
    );
    assert_eq!(
        app.browser()
            .sign_in("newbie", "a new long secret")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let stored: String =
        sqlx::query_scalar("select password_hash from users where login_id = 'newbie'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
}

#[tokio::test]
async fn a_deactivated_account_cannot_sign_in_and_loses_its_sessions() {
    let app = TestApp::spawn().await;
    user(app.pool(), "leaver", Role::Staff).await;
    let mut b = app.signed_in("leaver").await;
    // A page first, so that the portal holds the session in memory (session_cache).
    assert_eq!(b.get("/my").await.status, StatusCode::OK);
    simulate::behind_the_portals_back(
        app.pool(),
        "update users set active = false where login_id = 'leaver'",
    )
    .await;
    app.sessions_heard().await;
    assert_eq!(b.get("/my").await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.browser().sign_in("leaver", PASSWORD).await.status,
        StatusCode::OK
    );
}

/// With several institutions the form asks for the institution's code, and the same login ID
/// in two institutions is two people: each signs in to their own.
#[tokio::test]
async fn with_several_institutions_the_code_picks_whose_account_it_is() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    Scenario::institution(app.pool(), "other", "別の町")
        .division("x", "X課")
        .person("staff1", Role::Staff)
        .named("別町 職員")
        .without_email()
        .build()
        .await;
    let mut b = app.browser();
    let form = b.get("/login").await;
    assert!(
        form.body.contains("name=\"institution\""),
        "the form asks for the institution: {}",
        form.body
    );
    let without = b
        .post("/login", &[("login", "staff1"), ("password", PASSWORD)])
        .await;
    assert_eq!(without.status, StatusCode::OK, "no institution, no sign-in");
    let signed = b
        .post(
            "/login",
            &[
                ("institution", "other"),
                ("login", "staff1"),
                ("password", PASSWORD),
                ("next", "/my"),
            ],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let my = b.get("/my").await;
    assert!(my.body.contains("別町 職員"), "{}", my.body);
}
