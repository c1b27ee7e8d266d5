//! 修了証: each certificate its own number, the issuer's title and the course's version, and a
//! verification page that anyone can use and that tells no more than the certificate itself.

use kenshu_core::person::Role;
use kenshu_tests::{Scenario, TestApp};
use reqwest::StatusCode;

/// The number printed on a certificate page.
fn number_of(html: &str) -> String {
    let i = html.find("class=\"cert-number\">").expect("number") + "class=\"cert-number\">".len();
    let text = &html[i..i + html[i..].find('<').unwrap_or(0)];
    text.split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn each_certificate_has_its_own_number_that_anyone_can_verify() {
    let app = TestApp::spawn().await;
    Scenario::new(app.pool())
        .person("staff1", Role::Staff)
        .named("山田 太郎")
        .person("staff2", Role::Staff)
        .completed("staff1", "clerk")
        .completed("staff1", "cybersecurity")
        .completed("staff2", "clerk")
        .build()
        .await;
    let mut b = app.signed_in("staff1").await;
    let clerk = b.get("/certificates/clerk").await;
    assert_eq!(clerk.status, StatusCode::OK);
    let cyber = b.get("/certificates/cybersecurity").await.body;
    let (n1, n2) = (number_of(&clerk.body), number_of(&cyber));
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today()).year();
    let shape = |n: &str| {
        let parts: Vec<&str> = n.split('-').collect();
        parts.len() == 5
            && parts[0] == "TEST"
            && parts[1] == fy.to_string()
            && parts[2..]
                .iter()
                .all(|p| p.len() == 4 && p.chars().all(|c| c.is_ascii_hexdigit()))
    };
    assert!(shape(&n1) && shape(&n2), "{n1} {n2}");
    assert_ne!(n1, n2, "one number per certificate, not per person");
    let mut other = app.signed_in("staff2").await;
    assert_ne!(number_of(&other.get("/certificates/clerk").await.body), n1);
    assert!(
        clerk.body.contains("テスト市 総括責任者"),
        "the issuer's title: {}",
        clerk.body
    );
    assert!(
        clerk.body.contains("<dt>教材の版</dt><dd>v"),
        "the course version"
    );
    assert!(
        clerk.body.contains("/certificates/verify"),
        "where to check it"
    );

    // Anyone, not signed in, checks the number as printed, or typed in lower case.
    let mut anyone = app.browser();
    for typed in [n1.clone(), n1.to_lowercase().replace('-', " ")] {
        let q: String = url_escape(&typed);
        let page = anyone.get(&format!("/certificates/verify?no={q}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("この修了証は発行されています"),
            "{typed}: {}",
            page.body
        );
        assert!(page.body.contains("山田 太郎") && page.body.contains("事務取扱担当者研修"));
        assert!(!page.body.contains("A課"), "no division");
        assert!(!page.body.contains("staff1"), "no employee number");
    }
    // A number that was never issued, one of another year, one of another shape.
    let wrong = format!("TEST-{fy}-0000-0000-0000");
    let page = anyone
        .get(&format!("/certificates/verify?no={wrong}"))
        .await;
    assert!(
        page.body.contains("この番号の修了証は見つかりません"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("山田"));
    let other_year = n1.replace(&format!("-{fy}-"), &format!("-{}-", fy - 1));
    let page = anyone
        .get(&format!("/certificates/verify?no={other_year}"))
        .await;
    assert!(page.body.contains("見つかりません"));
    let page = anyone.get("/certificates/verify?no=%3Cscript%3E").await;
    assert!(page.body.contains("証明番号の形が正しくありません"));
    assert!(!page.body.contains("<script>"), "escaped");
    assert!(page.body.contains("aria-invalid=\"true\""));

    // A withdrawn completion voids its certificate.
    sqlx::query("delete from completions where course_code = 'clerk'")
        .execute(app.pool())
        .await
        .unwrap();
    let page = anyone.get(&format!("/certificates/verify?no={n1}")).await;
    assert!(page.body.contains("見つかりません"));
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
