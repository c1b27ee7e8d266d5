//! Sessions served from an instance's memory (kenshu-web `session_cache`): whatever ends a
//! session or changes what it may do, on whichever instance or behind the portal's back, is
//! refused by every instance as soon as PostgreSQL's announcement reaches it, and while an
//! instance cannot hear announcements it serves nothing from memory.

use std::time::{Duration, Instant};

use kenshu_core::person::Role;
use kenshu_tests::simulate::behind_the_portals_back;
use kenshu_tests::{PASSWORD, Scenario, TestApp, user};
use reqwest::StatusCode;

/// Asks `path` on the instance at `base` with the browser's cookies (they do not depend on the
/// port), then puts the browser back on its own instance.
async fn on(b: &mut kenshu_tests::Browser, base: &str, path: &str) -> kenshu_tests::http::Page {
    let own = std::mem::replace(&mut b.base, base.to_string());
    let page = b.get(path).await;
    b.base = own;
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_ends_or_narrows_a_session_anywhere_is_refused_by_the_other_instance() {
    let app = TestApp::spawn().await;
    let other = app.second_instance(4).await;
    Scenario::new(app.pool())
        .person("leaver", Role::Staff)
        .person("changer", Role::Staff)
        .person("signer", Role::Staff)
        .person("officer", Role::ProtectionOfficer)
        .person("b-staff", Role::Staff)
        .in_division("b")
        .build()
        .await;

    let mut leaver = app.signed_in("leaver").await;
    let mut changer = app.signed_in("changer").await;
    let mut changer_elsewhere = app.signed_in("changer").await;
    // The sign-out case replays the cookie itself (as a stolen cookie would come back): the
    // browser forgets it on signing out, the server must refuse it.
    let mut signer = app.browser();
    let signed = signer.sign_in("signer", PASSWORD).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    let signer_cookie = signed
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.split(';')
                .next()
                .filter(|kv| kv.starts_with("kenshu_session="))
        })
        .expect("a session cookie")
        .to_string();
    let mut officer = app.signed_in("officer").await;
    // Each session is read once on the second instance, then served there from memory.
    for b in [
        &mut leaver,
        &mut changer,
        &mut changer_elsewhere,
        &mut signer,
        &mut officer,
    ] {
        for _ in 0..2 {
            assert_eq!(on(b, &other.base, "/my").await.status, StatusCode::OK);
        }
    }
    assert_eq!(
        on(&mut officer, &other.base, "/officer").await.status,
        StatusCode::OK
    );
    assert!(
        other.state.sessions.is_listening(),
        "the second instance listens for session changes"
    );
    assert!(
        other.state.sessions.len() >= 5,
        "the second instance serves the sessions from memory ({} kept)",
        other.state.sessions.len()
    );

    // Signed out on the first instance.
    assert_eq!(signer.get("/my").await.status, StatusCode::OK);
    assert_eq!(
        signer.post("/logout", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    // The password changed on the first instance: the person's other session ends.
    assert_eq!(changer.get("/password").await.status, StatusCode::OK);
    let changed = changer
        .post(
            "/password",
            &[
                ("current", PASSWORD),
                ("new", "a-new-long-passphrase-2026"),
                ("confirm", "a-new-long-passphrase-2026"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    // Behind the portal's back: an account deactivated (a roster import), an officer made staff
    // (the administrator), the institution renamed.
    for sql in [
        "update users set active = false where login_id = 'leaver'",
        "update users set role = 'staff' where login_id = 'officer'",
        "update institutions set name = '改名後市役所' where code = 'test'",
    ] {
        behind_the_portals_back(app.pool(), sql).await;
    }
    other.sessions_heard(app.pool()).await;

    let replayed = kenshu_tests::http::browser_like()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/my", other.base))
        .header("cookie", &signer_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replayed.status(),
        StatusCode::SEE_OTHER,
        "a session signed out on the first instance is refused by the second"
    );
    for (who, b) in [
        ("password changed elsewhere", &mut changer_elsewhere),
        ("deactivated", &mut leaver),
    ] {
        let page = on(b, &other.base, "/my").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{who}: {}", page.body);
        assert!(
            page.location
                .as_deref()
                .is_some_and(|l| l.starts_with("/login")),
            "{who}: sent to sign in, not {:?}",
            page.location
        );
    }
    let officer_page = on(&mut officer, &other.base, "/officer").await;
    assert_eq!(
        officer_page.status,
        StatusCode::FORBIDDEN,
        "an officer made staff no longer sees the dashboard"
    );
    let renamed = on(&mut changer, &other.base, "/my").await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert!(
        renamed.body.contains("改名後市役所"),
        "the page shows the institution's new name"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_cannot_hear_announcements_forgets_and_asks_the_database() {
    let app = TestApp::spawn().await;
    user(app.pool(), "clerk", Role::Staff).await;
    let mut b = app.signed_in("clerk").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.state.sessions.is_listening() {
        assert!(Instant::now() < deadline, "the listener starts");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(b.get("/my").await.status, StatusCode::OK);
    assert_eq!(app.state.sessions.len(), 1, "the session is kept in memory");

    // The listening connection is cut (a network fault, a database restart).
    let epoch = app.state.sessions.epoch();
    let cut: i64 = sqlx::query_scalar(
        "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity
          where application_name = $1 and datname = current_database()) t",
    )
    .bind(kenshu_web::session_cache::APPLICATION_NAME)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(cut, 1, "one listening connection");
    while app.state.sessions.epoch() == epoch {
        assert!(Instant::now() < deadline, "the loss is noticed");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(
        app.state.sessions.len(),
        0,
        "what was kept is forgotten when the listener is lost"
    );
    // A change while nobody listens is not missed: the next page asks the database.
    behind_the_portals_back(
        app.pool(),
        "update users set active = false where login_id = 'clerk'",
    )
    .await;
    assert_eq!(b.get("/my").await.status, StatusCode::SEE_OTHER);

    // The listener comes back by itself and memory serves again.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.state.sessions.is_listening() {
        assert!(Instant::now() < deadline, "the listener reconnects");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    user(app.pool(), "clerk2", Role::Staff).await;
    let mut c = app.signed_in("clerk2").await;
    assert_eq!(c.get("/my").await.status, StatusCode::OK);
    assert_eq!(app.state.sessions.len(), 1);
}

#[tokio::test]
async fn with_the_cache_off_every_page_reads_its_session() {
    let db = kenshu_tests::test_db().await;
    kenshu_tests::app_role().await;
    let serving = kenshu_db::connect(db.app_options(), 4).await.unwrap();
    let settings = kenshu_web::Settings {
        session_cache: false,
        ..Default::default()
    };
    let app = TestApp::spawn_with(db, serving, settings).await;
    user(app.pool(), "clerk", Role::Staff).await;
    let mut b = app.signed_in("clerk").await;
    for _ in 0..3 {
        assert_eq!(b.get("/my").await.status, StatusCode::OK);
    }
    assert!(!app.state.sessions.is_listening());
    assert_eq!(app.state.sessions.len(), 0, "nothing is kept");
    // No announcement to wait for: the very next page reads the change.
    behind_the_portals_back(
        app.pool(),
        "update users set active = false where login_id = 'clerk'",
    )
    .await;
    assert_eq!(b.get("/my").await.status, StatusCode::SEE_OTHER);
}
