//! The smaller defects of the field-proofing (issue 10, defect 8): TLS-only cookies and HSTS,
//! slow headers, refused and oversized roster uploads, unbounded plan text, and the
//! framework's own English rejections.

use std::time::Duration;

use kenshu_core::person::Role;
use kenshu_tests::{PASSWORD, TestApp, csrf_of, user};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

fn value_of(cookies: &[String], name: &str) -> Option<String> {
    cookies.iter().find_map(|c| {
        c.split(';')
            .next()?
            .strip_prefix(&format!("{name}="))
            .map(str::to_string)
    })
}

/// Behind a TLS-terminating proxy (`X-Forwarded-Proto: https`): HSTS, and cookies named
/// `__Host-…` (Secure, Path=/, no Domain), which a plain-http page or another host cannot plant.
#[tokio::test]
async fn over_tls_cookies_are_host_only_and_browsers_are_told_to_stay_on_https() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let client = kenshu_tests::http::browser_like()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let https = |req: reqwest::RequestBuilder| req.header("x-forwarded-proto", "https");

    let plain = client.get(app.url("/login")).send().await.unwrap();
    assert!(plain.headers().get("strict-transport-security").is_none());
    assert!(value_of(&set_cookies(&plain), "kenshu_csrf").is_some());

    let form = https(client.get(app.url("/login"))).send().await.unwrap();
    assert_eq!(
        form.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let cookies = set_cookies(&form);
    let pre = value_of(&cookies, "__Host-kenshu_csrf").expect("__Host- pre-session cookie");
    assert!(
        cookies
            .iter()
            .all(|c| c.contains("Secure") && c.contains("Path=/") && !c.contains("Domain")),
        "{cookies:?}"
    );
    let token = csrf_of(&form.text().await.unwrap()).unwrap();
    let signed = https(client.post(app.url("/login")))
        .header("cookie", format!("__Host-kenshu_csrf={pre}"))
        .form(&[
            ("csrf", token.as_str()),
            ("login", "staff1"),
            ("password", PASSWORD),
            ("next", "/my"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let cookies = set_cookies(&signed);
    let session = value_of(&cookies, "__Host-kenshu_session").expect("__Host- session cookie");
    assert!(value_of(&cookies, "kenshu_session").is_none());
    let my = https(client.get(app.url("/my")))
        .header("cookie", format!("__Host-kenshu_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(my.status(), 200);
    let planted = https(client.get(app.url("/my")))
        .header("cookie", format!("kenshu_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        planted.status(),
        303,
        "over TLS a cookie without the prefix is not a session"
    );
}

/// A client that trickles its headers is cut off after the header time-out instead of holding
/// a connection for as long as it likes.
#[tokio::test]
async fn a_client_that_trickles_its_headers_is_cut_off() {
    let db = kenshu_tests::test_db().await;
    let pool = db.app_pool(8, Duration::from_secs(10)).await;
    let settings = kenshu_web::Settings {
        header_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let app = TestApp::spawn_with(db, pool, settings).await;
    let mut slow = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /login HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut closed = false;
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if slow.write_all(b"X-Slow: 1\r\n").await.is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(10), slow.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(_)) => {
                // An error reply (408) before closing is fine too.
                closed = true;
                break;
            }
            Err(_) => {}
        }
    }
    assert!(
        closed,
        "the connection was still open after {:?}",
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    // Everyone else is served meanwhile.
    assert_eq!(app.browser().get("/login").await.status, 200);
}

/// Signs in without a cookie jar: the session cookie's value and the session's CSRF token.
async fn raw_sign_in(app: &TestApp, login: &str) -> (String, String) {
    let client = kenshu_tests::http::browser_like()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client.get(app.url("/login")).send().await.unwrap();
    let pre = value_of(&set_cookies(&form), "kenshu_csrf").unwrap();
    let token = csrf_of(&form.text().await.unwrap()).unwrap();
    let signed = client
        .post(app.url("/login"))
        .header("cookie", format!("kenshu_csrf={pre}"))
        .form(&[
            ("csrf", token.as_str()),
            ("login", login),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let session = value_of(&set_cookies(&signed), "kenshu_session").unwrap();
    let page = client
        .get(app.url("/roster"))
        .header("cookie", format!("kenshu_session={session}"))
        .send()
        .await
        .unwrap();
    let csrf = csrf_of(&page.text().await.unwrap()).unwrap();
    (session, csrf)
}

async fn upload(b: &kenshu_tests::Browser, bytes: Vec<u8>) -> (u16, String) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("roster.csv");
    let form = reqwest::multipart::Form::new().part("file", part);
    let token = b.csrf.clone().unwrap_or_default();
    let res = b
        .client
        .post(format!("{}/roster/preview?csrf={token}", b.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn a_refused_roster_is_not_stored_and_an_oversized_one_gets_a_japanese_page() {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    let mut b = app.signed_in("chief").await;
    b.get("/roster").await;
    let bad = "職員番号,氏名,所属コード,所属名\n5001,,a,A課\n"
        .as_bytes()
        .to_vec();
    let (status, body) = upload(&b, bad).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("errors=1") || body.contains("エラー"),
        "{body}"
    );
    let stored: i64 = sqlx::query_scalar("select count(*) from roster_uploads")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0, "a roster with errors is not kept");

    // 25 MiB, over the 24 MiB limit: the portal answers before reading it all and closes the
    // connection, so the upload is sent by hand and the answer read while sending.
    let (session, token) = raw_sign_in(&app, "chief").await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let boundary = "kenshuboundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"roster.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    );
    let total = head.len() + 25 * 1024 * 1024;
    let request = format!(
        "POST /roster/preview?csrf={token} HTTP/1.1\r\nHost: x\r\nCookie: kenshu_session={session}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n{head}"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        let chunk = vec![b'a'; 64 * 1024];
        for _ in 0..400 {
            if wr.write_all(&chunk).await.is_err() {
                break;
            }
        }
    });
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), rd.read_to_end(&mut answer)).await;
    writer.abort();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "{}",
        &answer[..answer.len().min(300)]
    );
    assert!(answer.contains("大きすぎます"), "a Japanese page: {answer}");
    assert!(
        answer.contains("<html"),
        "a page of the portal, not plain text"
    );
}

#[tokio::test]
async fn a_plan_text_longer_than_a_page_is_refused_and_nothing_changes() {
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    let mut b = app.signed_in("chief").await;
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today()).year() + 1;
    b.get("/plans").await;
    let made = b
        .post("/plans", &[("fy", &fy.to_string()), ("from", "standard")])
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let long = "研".repeat(2001);
    let page = b
        .post(
            &format!("/plans/{fy}/details"),
            &[
                ("purpose", &long),
                ("method", "eラーニング"),
                ("newcomer_days", "30"),
            ],
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("2000文字以内"), "{}", page.body);
    let stored: Option<i32> = sqlx::query_scalar(
        "select max(length(purpose)) from training_plans where fiscal_year = $1",
    )
    .bind(fy)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert!(stored.unwrap_or(0) <= 2000);
}

/// The framework's own refusals (a malformed id, a wrong method, a form that does not parse)
/// are Japanese pages of the portal, not English plain text.
#[tokio::test]
async fn every_refusal_a_person_can_meet_is_a_japanese_page() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.signed_in("staff1").await;
    let bad_id = b.get("/courses/clerk/attempts/not-a-uuid").await;
    assert_eq!(bad_id.status, 400);
    b.get("/my").await;
    let wrong_method = b.post("/my", &[]).await;
    assert_eq!(wrong_method.status, 405);
    let wrong_method_body = wrong_method.body;
    let bad_form = b
        .post(
            "/courses/clerk/test/answer",
            &[("question", "not a number")],
        )
        .await;
    assert!(bad_form.status.is_client_error(), "{}", bad_form.status);
    // The answer form is read field by field (one answer per choice picked), so its
    // refusal names what is missing.
    for (what, body, says) in [
        ("malformed id", bad_id.body.as_str(), "正しくありません"),
        (
            "wrong method",
            wrong_method_body.as_str(),
            "正しくありません",
        ),
        (
            "unparsable form",
            bad_form.body.as_str(),
            "フォームが不完全です",
        ),
    ] {
        assert!(body.contains("<html"), "{what}: {body}");
        assert!(body.contains(says), "{what}: {body}");
        assert!(
            !body.contains("Invalid URL") && !body.contains("Failed to deserialize"),
            "{what}: the English rejection leaked: {body}"
        );
    }
}
