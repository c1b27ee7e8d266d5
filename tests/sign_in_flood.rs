//! A flood of wrong sign-ins from many clients (issue 10, defect 3). In a test binary of its
//! own: password checks queue in one process-wide line, which the flood fills on purpose.

use kenshu_core::person::Role;
use kenshu_tests::{Browser, TestApp, user};
use reqwest::StatusCode;

/// Password hashing waits for its turn without a database connection, so a flood of wrong
/// sign-ins from many clients leaves signed-in people's pages answering (pool of 4).
#[tokio::test]
async fn a_flood_of_sign_ins_does_not_stall_people_who_are_signed_in() {
    let db = kenshu_tests::test_db().await;
    let pool = db.app_pool(4, std::time::Duration::from_secs(3)).await;
    let settings = kenshu_web::Settings {
        trust_proxy: true,
        ..Default::default()
    };
    let app = TestApp::spawn_with(db, pool, settings).await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut reader = app.signed_in("staff1").await;
    let mut flood = Vec::new();
    for i in 0..120 {
        let base = app.url("");
        flood.push(tokio::spawn(async move {
            let mut b = Browser::new(&base);
            b.client = kenshu_tests::http::browser_like()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(
                    [(
                        reqwest::header::HeaderName::from_static("x-forwarded-for"),
                        reqwest::header::HeaderValue::from_str(&format!(
                            "10.9.{}.{}",
                            i / 200,
                            i % 200
                        ))
                        .unwrap(),
                    )]
                    .into_iter()
                    .collect(),
                )
                .build()
                .unwrap();
            b.sign_in(&format!("nobody{i}"), "wrong password!")
                .await
                .status
        }));
    }
    let mut slowest = std::time::Duration::ZERO;
    for _ in 0..20 {
        let started = std::time::Instant::now();
        let page = reader.get("/my").await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let mut statuses = std::collections::BTreeMap::new();
    for f in flood {
        *statuses.entry(f.await.unwrap().as_u16()).or_insert(0) += 1;
    }
    assert!(
        statuses.keys().all(|s| [200, 503].contains(s)),
        "wrong sign-ins get the form again or 'busy', never an error: {statuses:?}"
    );
    assert!(
        slowest < std::time::Duration::from_secs(1),
        "a signed-in page took {slowest:?} during the flood"
    );
}
