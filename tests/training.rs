//! Taking the training over HTTP: My training, sections, chapter tests, the final test,
//! completions and certificates.

use kenshu_core::person::Role;
use kenshu_tests::{Browser, TestApp, user};
use reqwest::StatusCode;
use uuid::Uuid;

/// The final test's answers from the seed (1 ×, 2 ○, 3 ○, 4 ×, 5 ×, 6 ○, 7 ×, 8 ×, 9 ×, 10 ○).
const FINAL_KEY: [&str; 10] = ["x", "o", "o", "x", "x", "o", "x", "x", "x", "o"];
/// The clerk chapter test's answers (×, ×, ×, ○).
const CLERK_KEY: [&str; 4] = ["x", "x", "x", "o"];

fn flip(v: &str) -> &'static str {
    if v == "o" { "x" } else { "o" }
}

async fn submit_final(b: &mut Browser, attempt: Uuid, right: usize) -> kenshu_tests::http::Page {
    b.get("/courses/final-test/test").await;
    let id = attempt.to_string();
    let names: Vec<String> = (1..=10).map(|n| format!("q{n}")).collect();
    let mut fields: Vec<(&str, &str)> = vec![("attempt", id.as_str())];
    for (i, name) in names.iter().enumerate() {
        fields.push((
            name.as_str(),
            if i < right {
                FINAL_KEY[i]
            } else {
                flip(FINAL_KEY[i])
            },
        ));
    }
    b.post("/courses/final-test/test/submit", &fields).await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn my_training_shows_the_fiscal_year_in_both_calendars_and_the_assigned_courses() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    user(app.pool(), "officer", Role::ProtectionOfficer).await;
    let mut b = app.signed_in("staff1").await;
    let page = b.get("/my").await;
    assert_eq!(page.status, StatusCode::OK);
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today()).to_string();
    assert!(page.body.contains(&fy), "{fy} missing");
    for title in [
        "事務取扱担当者研修",
        "サイバーセキュリティ研修",
        "まとめテスト",
    ] {
        assert!(page.body.contains(title), "{title} missing");
    }
    assert!(
        !page.body.contains("保護責任者研修"),
        "staff are not assigned the officer course"
    );
    assert_eq!(page.body.matches("未受講").count(), 3);

    let mut o = app.signed_in("officer").await;
    assert!(o.get("/my").await.body.contains("保護責任者研修"));
    assert_eq!(
        o.get("/courses/protection-officer").await.status,
        StatusCode::OK
    );
    assert_eq!(
        b.get("/courses/protection-officer").await.status,
        StatusCode::OK,
        "self-study is allowed"
    );
}

#[tokio::test]
async fn sections_render_tables_and_progress_resumes_where_the_person_left_off() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.signed_in("staff1").await;
    let course = b.get("/courses/clerk").await;
    assert!(
        course
            .body
            .contains("/courses/clerk/sections/system-overview\" id=\"resume\""),
        "{}",
        course.body
    );
    let section = b.get("/courses/clerk/sections/system-overview").await;
    assert!(
        section.body.contains("<table>"),
        "the 利用範囲 table is a real table"
    );
    assert!(section.body.contains("マイナンバー法"));
    let next = b
        .post("/courses/clerk/sections/system-overview/read", &[])
        .await;
    assert_eq!(
        next.location.as_deref(),
        Some("/courses/clerk/sections/safety-measures-1")
    );

    let course = b.get("/courses/clerk").await;
    assert!(course.body.contains("1 / 7"), "{}", course.body);
    assert!(
        course
            .body
            .contains("/courses/clerk/sections/safety-measures-1\" id=\"resume\"")
    );
    let my = b.get("/my").await;
    assert!(my.body.contains("受講中"));
    assert_eq!(
        b.get("/courses/clerk/sections/no-such-section")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_chapter_test_answer_shows_the_verdict_explanation_and_reference_at_once() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.signed_in("staff1").await;
    let page = b.get("/courses/clerk/test").await;
    let attempt = Uuid::new_v4().to_string();
    assert!(page.body.contains("テストを始める"));
    b.post("/courses/clerk/test/start", &[("attempt", &attempt)])
        .await;

    let res = b
        .post(
            "/courses/clerk/test/answer",
            &[("attempt", &attempt), ("question", "1"), ("answer", "o")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = b.get("/courses/clerk/test").await;
    assert!(page.body.contains("不正解"), "{}", page.body);
    assert!(
        page.body.contains("本人の同意があったとしても"),
        "the explanation from the material"
    );
    assert!(page.body.contains("掲載箇所"));
    // Answering the same question again changes nothing.
    b.post(
        "/courses/clerk/test/answer",
        &[("attempt", &attempt), ("question", "1"), ("answer", "x")],
    )
    .await;
    for (i, answer) in CLERK_KEY.iter().enumerate().skip(1) {
        let n = (i + 1).to_string();
        b.post(
            "/courses/clerk/test/answer",
            &[("attempt", &attempt), ("question", &n), ("answer", answer)],
        )
        .await;
    }
    let page = b.get("/courses/clerk/test").await;
    assert!(page.body.contains("3 / 4"), "{}", page.body);
    assert!(page.body.contains("合格"));
    assert_eq!(count(&app, "select count(*) from test_answers").await, 4);
    // Passing the test alone does not complete the course: the sections must be read too.
    assert_eq!(count(&app, "select count(*) from completions").await, 0);
    for slug in [
        "system-overview",
        "safety-measures-1",
        "safety-measures-2",
        "cases-1",
        "cases-2",
        "guideline-measures-1",
        "guideline-measures-2",
    ] {
        b.post(&format!("/courses/clerk/sections/{slug}/read"), &[])
            .await;
    }
    let row: (i32, i32, String) =
        sqlx::query_as("select score, total, method from completions where course_code = 'clerk'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(row, (3, 4, "e_learning".to_string()));
    let my = b.get("/my").await;
    assert!(my.body.contains("/certificates/clerk"));
}

#[tokio::test]
async fn a_failed_final_test_can_be_retaken_and_the_first_pass_completes_the_training() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.signed_in("staff1").await;
    let first = Uuid::new_v4();
    let res = submit_final(&mut b, first, 7).await;
    assert_eq!(
        res.location,
        Some(format!("/courses/final-test/attempts/{first}"))
    );
    let result = b
        .get(&format!("/courses/final-test/attempts/{first}"))
        .await;
    assert!(result.body.contains("7 / 10"), "{}", result.body);
    assert!(result.body.contains("不合格"));
    assert!(result.body.contains("掲載箇所"));
    assert!(
        result
            .body
            .contains("事務取扱担当者研修 第2節 2-8 システム面における保護措置"),
        "the 掲載箇所 names the portal's section: {}",
        result.body
    );
    assert_eq!(
        b.get("/certificates/final-test").await.status,
        StatusCode::NOT_FOUND
    );

    let second = Uuid::new_v4();
    submit_final(&mut b, second, 10).await;
    let result = b
        .get(&format!("/courses/final-test/attempts/{second}"))
        .await;
    assert!(result.body.contains("10 / 10") && result.body.contains("合格"));
    // A later pass does not replace the first.
    submit_final(&mut b, Uuid::new_v4(), 8).await;
    assert_eq!(count(&app, "select count(*) from test_attempts").await, 3);
    let (score, attempt, version): (i32, Uuid, i32) = sqlx::query_as(
        "select c.score, c.attempt_id, v.version from completions c join content_versions v on v.id = c.content_version_id
         where c.course_code = 'final-test'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!((score, attempt, version), (10, second, 1));

    let my = b.get("/my").await;
    assert!(my.body.contains("修了"));
    let cert = b.get("/certificates/final-test").await;
    assert_eq!(cert.status, StatusCode::OK);
    assert!(
        cert.body.contains("修了証")
            && cert.body.contains("試験 staff1")
            && cert.body.contains("まとめテスト")
    );
    assert!(
        cert.body.contains("令和"),
        "the date is in the Japanese calendar"
    );
}

#[tokio::test]
async fn an_incomplete_final_test_names_the_missing_questions_and_stores_nothing() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.signed_in("staff1").await;
    b.get("/courses/final-test/test").await;
    let id = Uuid::new_v4().to_string();
    let res = b
        .post(
            "/courses/final-test/test/submit",
            &[("attempt", &id), ("q1", "x"), ("q2", "o"), ("q5", "x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("問3、問4、問6、問7、問8、問9、問10"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains(r#"name="q2" value="o" required checked"#),
        "answers given are kept"
    );
    assert_eq!(count(&app, "select count(*) from test_attempts").await, 0);
}

#[tokio::test]
async fn submitting_the_same_final_test_twice_records_one_attempt() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.signed_in("staff1").await;
    let attempt = Uuid::new_v4();
    // Sequential retry…
    let one = submit_final(&mut b, attempt, 10).await;
    let two = submit_final(&mut b, attempt, 3).await;
    assert_eq!(one.location, two.location);
    // …and a double click that arrives at once.
    let other = Uuid::new_v4();
    let mut c1 = app.signed_in("staff1").await;
    let mut c2 = Browser {
        base: c1.base.clone(),
        client: c1.client.clone(),
        csrf: c1.csrf.clone(),
    };
    let (r1, r2) = tokio::join!(
        submit_final(&mut c1, other, 9),
        submit_final(&mut c2, other, 9)
    );
    assert_eq!(r1.status, StatusCode::SEE_OTHER);
    assert_eq!(r2.status, StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "select count(*) from test_attempts").await, 2);
    assert_eq!(count(&app, "select count(*) from test_answers").await, 20);
    assert_eq!(count(&app, "select count(*) from completions").await, 1);
    let score: i32 = sqlx::query_scalar("select score from test_attempts where id = $1")
        .bind(attempt)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(
        score, 10,
        "the retry did not overwrite the first submission"
    );
}

#[tokio::test]
async fn one_person_cannot_see_or_reuse_another_persons_attempt() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    user(app.pool(), "staff2", Role::Staff).await;
    let mut a = app.signed_in("staff1").await;
    let attempt = Uuid::new_v4();
    submit_final(&mut a, attempt, 10).await;
    let mut b = app.signed_in("staff2").await;
    let peek = b
        .get(&format!("/courses/final-test/attempts/{attempt}"))
        .await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);
    let reuse = submit_final(&mut b, attempt, 10).await;
    assert_eq!(reuse.status, StatusCode::BAD_REQUEST);
    assert_eq!(count(&app, "select count(*) from completions").await, 1);
}

#[tokio::test]
async fn pages_carry_security_headers_and_assets_are_served_locally() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let page = b.get("/login").await;
    let csp = page
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(
        page.headers
            .get("x-content-type-options")
            .map(|v| v.as_bytes()),
        Some(&b"nosniff"[..])
    );
    assert_eq!(
        page.headers.get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    assert!(
        !page.body.contains("http://") && !page.body.contains("https://"),
        "no external resources"
    );
    let css = b.get("/static/kenshu.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.body.contains("@media print"));
    assert_eq!(b.get("/static/nope.js").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn health_answers_while_running_and_readiness_follows_the_database() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    assert_eq!(b.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(b.get("/readyz").await.status, StatusCode::OK);

    // A portal whose database is gone stays alive but is not ready.
    let dead = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(500))
        .connect_lazy_with(app.db.options().port(1).host("127.0.0.1"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = kenshu_web::AppState::new(dead, kenshu_web::Settings::default());
    tokio::spawn(kenshu_web::serve(listener, state, std::future::pending()));
    let client = kenshu_tests::http::browser_like().build().unwrap();
    assert_eq!(
        client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client
            .get(format!("http://{addr}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
}

/// The per-course activity summary the dashboards read (course_activity) is kept on every read
/// and attempt: after a realistic mix of reading, chapter test, final tests (one submitted
/// twice) and a second person, it equals what the raw reads and attempts say.
#[tokio::test]
async fn the_activity_summary_matches_every_read_and_attempt() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    user(app.pool(), "staff2", Role::Staff).await;
    let mut b = app.signed_in("staff1").await;
    for slug in ["system-overview", "safety-measures-1"] {
        b.post(&format!("/courses/clerk/sections/{slug}/read"), &[])
            .await;
    }
    let attempt = Uuid::new_v4().to_string();
    b.post("/courses/clerk/test/start", &[("attempt", &attempt)])
        .await;
    for (i, answer) in CLERK_KEY.iter().enumerate() {
        let n = (i + 1).to_string();
        b.post(
            "/courses/clerk/test/answer",
            &[("attempt", &attempt), ("question", &n), ("answer", answer)],
        )
        .await;
    }
    // Reading a section again is no new activity; a later section is.
    b.post("/courses/clerk/sections/system-overview/read", &[])
        .await;
    b.post("/courses/clerk/sections/cases-1/read", &[]).await;
    let first = Uuid::new_v4();
    submit_final(&mut b, first, 7).await;
    submit_final(&mut b, first, 7).await;
    submit_final(&mut b, Uuid::new_v4(), 10).await;
    let mut c = app.signed_in("staff2").await;
    c.post("/courses/clerk/sections/system-overview/read", &[])
        .await;
    c.post(
        "/courses/clerk/test/start",
        &[("attempt", &Uuid::new_v4().to_string())],
    )
    .await;

    let raw = "select institution_id, user_id, fiscal_year, course_code, min(first_at) as first_at, max(last_at) as last_at
               from (select institution_id, user_id, fiscal_year, course_code, read_at as first_at, read_at as last_at
                     from section_reads
                     union all
                     select institution_id, user_id, fiscal_year, course_code, started_at,
                            coalesce(submitted_at, started_at)
                     from test_attempts) x
               group by 1, 2, 3, 4";
    let summary = "select institution_id, user_id, fiscal_year, course_code, first_at, last_at from course_activity";
    assert_eq!(
        count(&app, &format!("select count(*) from ({summary}) s")).await,
        3,
        "staff1: clerk and final test; staff2: clerk"
    );
    assert_eq!(count(&app, "select count(*) from test_attempts").await, 4);
    assert_eq!(
        count(
            &app,
            &format!("select count(*) from (({raw}) except ({summary})) d")
        )
        .await,
        0,
        "every person's raw activity is in the summary"
    );
    assert_eq!(
        count(
            &app,
            &format!("select count(*) from (({summary}) except ({raw})) d")
        )
        .await,
        0,
        "the summary says nothing the raw tables do not"
    );
}
