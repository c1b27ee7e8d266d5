//! 掲載箇所 a person can follow (issue 14): after a test, each question's 掲載箇所 names the
//! portal's own section and links to it, and the link opens that section, also in another
//! course than the test's.

use kenshu_core::person::Role;
use kenshu_tests::{Browser, TestApp, user};
use reqwest::StatusCode;
use uuid::Uuid;

/// The final test's answers from the seed.
const FINAL_KEY: [&str; 10] = ["x", "o", "o", "x", "x", "o", "x", "x", "x", "o"];

/// The 掲載箇所 links of question `n` on a test page: (href, text), as the page writes them.
fn reference_links(body: &str, n: u32) -> Vec<(String, String)> {
    let start = body
        .find(&format!("<li id=\"q{n}\""))
        .unwrap_or_else(|| panic!("question {n} is on the page: {body}"));
    let item = &body[start..];
    let item = &item[..item[1..].find("<li id=\"q").map_or(item.len(), |e| e + 1)];
    let Some(at) = item.find("<ul class=\"reference-links\">") else {
        return Vec::new();
    };
    let list = &item[at..item[at..].find("</ul>").map_or(item.len(), |e| at + e)];
    list.split("<a href=\"")
        .skip(1)
        .map(|a| {
            let (href, rest) = a.split_once("\">").unwrap_or((a, ""));
            let text = rest.split("</a>").next().unwrap_or_default();
            (href.to_string(), text.to_string())
        })
        .collect()
}

/// Follows a 掲載箇所 link: the section answers 200 under the title the link gave.
async fn follow(b: &mut Browser, (href, text): &(String, String)) {
    let page = b.get(href).await;
    assert_eq!(page.status, StatusCode::OK, "{href}");
    let title = text
        .split_once(" › ")
        .map(|(_, t)| t)
        .unwrap_or_else(|| panic!("'{text}' names the course, then the section"));
    assert!(
        page.body.contains(&format!("<h1>{title}</h1>")),
        "{href} is the section '{title}': {}",
        page.body
    );
}

#[tokio::test]
async fn the_final_test_result_links_each_reference_to_the_section_that_teaches_it() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.signed_in("staff1").await;
    b.get("/courses/final-test/test").await;
    let attempt = Uuid::new_v4().to_string();
    let names: Vec<String> = (1..=10).map(|n| format!("q{n}")).collect();
    let mut fields: Vec<(&str, &str)> = vec![("attempt", attempt.as_str())];
    for (name, answer) in names.iter().zip(FINAL_KEY) {
        fields.push((name.as_str(), answer));
    }
    let submitted = b.post("/courses/final-test/test/submit", &fields).await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.body
    );
    let result = b.get(&submitted.location.expect("the result page")).await;
    assert_eq!(result.status, StatusCode::OK);
    assert!(
        !result.body.contains("資料 P"),
        "no page of a slide deck the portal never shows: {}",
        result.body
    );

    // 問題1: 2-8 分散管理, in the clerk course's second page of 第2節.
    assert!(result.body.contains(
        "掲載箇所: 事務取扱担当者研修 第2節 2-8 システム面における保護措置（分散管理・暗号化・符号利用）"
    ));
    assert_eq!(
        reference_links(&result.body, 1),
        [(
            "/courses/clerk/sections/safety-measures-2".to_string(),
            "事務取扱担当者研修 › 第2節 マイナンバー制度の安全対策（2）2-5〜2-9".to_string()
        )]
    );
    // 問題4: 事例4 and 事例6, and the guideline's E b・c and F d.
    let q4: Vec<String> = reference_links(&result.body, 4)
        .into_iter()
        .map(|(href, _)| href)
        .collect();
    assert_eq!(
        q4,
        [
            "/courses/clerk/sections/cases-2",
            "/courses/clerk/sections/guideline-measures-2"
        ]
    );
    // 問題7: the cybersecurity course.
    assert_eq!(
        reference_links(&result.body, 7)[0].0,
        "/courses/cybersecurity/sections/introduction"
    );

    // Every link of every question opens the section it names.
    for n in 1..=10 {
        let links = reference_links(&result.body, n);
        assert!(!links.is_empty(), "question {n} links to a section");
        for link in &links {
            follow(&mut b, link).await;
        }
    }
}

#[tokio::test]
async fn a_chapter_test_answer_links_to_the_sections_of_another_course_too() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.signed_in("staff1").await;
    let test = b.get("/courses/clerk/test").await;
    assert!(
        test.body.contains("<h1>章末テスト（第1節〜第3節）</h1>"),
        "the test is named by the sections the course pages number: {}",
        test.body
    );
    let attempt = Uuid::new_v4().to_string();
    b.post("/courses/clerk/test/start", &[("attempt", &attempt)])
        .await;
    for n in ["1", "2", "3"] {
        b.post(
            "/courses/clerk/test/answer",
            &[("attempt", &attempt), ("question", n), ("answer", "x")],
        )
        .await;
    }
    let page = b.get("/courses/clerk/test").await;
    let links = reference_links(&page.body, 3);
    assert_eq!(
        links,
        [
            (
                "/courses/clerk/sections/guideline-measures-1".to_string(),
                "事務取扱担当者研修 › 第3節 参考：ガイドライン 講ずべき安全管理措置（1）A〜D"
                    .to_string()
            ),
            (
                "/courses/protection-officer/sections/protection-officer-role".to_string(),
                "保護責任者研修 › 第1節 保護責任者の役割".to_string()
            )
        ]
    );
    for link in &links {
        follow(&mut b, link).await;
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[tokio::test]
async fn loading_refuses_a_reference_to_a_section_that_does_not_exist_and_names_it() {
    let db = kenshu_tests::test_db().await;
    let dir = std::env::temp_dir().join(format!("kenshu-refs-{}", Uuid::new_v4()));
    copy_dir(&kenshu_tests::repo_root().join("content"), &dir);
    let toml = dir.join("final-test/course.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let broken = text.replacen(
        "sections = [\"clerk/cases-2\", \"clerk/guideline-measures-2\"]",
        "sections = [\"clerk/cases-9\", \"clerk/guideline-measures-2\"]",
        1,
    );
    assert_ne!(broken, text, "問題4 links 事例4〜8 and the E〜G page");
    std::fs::write(&toml, broken).unwrap();
    let before: i64 = sqlx::query_scalar("select count(*) from content_versions")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let e = kenshu_db::content::load_dir(&db.pool, &dir)
        .await
        .expect_err("a link to nothing is refused")
        .to_string();
    assert!(
        e.starts_with("final-test/course.toml: question 4: section 'clerk/cases-9' does not exist"),
        "{e}"
    );
    let after: i64 = sqlx::query_scalar("select count(*) from content_versions")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(before, after, "nothing loaded");
    let _ = std::fs::remove_dir_all(&dir);
}
