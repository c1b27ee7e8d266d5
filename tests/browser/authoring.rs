//! 教材の管理 in Chromium: the chief officer brings in the example course package through the
//! real file chooser, reads the draft as staff will see it (1280 and 375 px, axe), publishes
//! it, and a member of staff takes its chapter test, drawn from the bank: one-choice and
//! several-choice questions answered with the page's own radio buttons and check boxes.

use kenshu_core::content::{CoursePackage, parse_files};
use kenshu_core::person::Role;
use kenshu_tests::{TestApp, package_files, repo_root, user};
use serde_json::json;

use super::checks::{axe_source, snap};
use super::driver::Session;
use crate::sign_in;

/// The example package, as a zip on disk for the file chooser, and as parsed (for its answers).
fn example_package() -> (std::path::PathBuf, CoursePackage) {
    let files = package_files(&repo_root().join("content/packages/system-admin"));
    let zip = kenshu_app::package::write_zip("system-admin", &files).expect("zip");
    let dir =
        std::env::temp_dir().join(format!("kenshu-package-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("system-admin.zip");
    std::fs::write(&path, zip).expect("write the zip");
    let package = parse_files("system-admin", &files)
        .expect("the package")
        .package;
    (path, package)
}

#[tokio::test]
async fn the_chief_brings_in_reviews_and_publishes_a_course_that_staff_then_take() {
    let Some(b) =
        Session::launch("the_chief_brings_in_reviews_and_publishes_a_course_that_staff_then_take")
            .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    user(app.pool(), "chief", Role::ChiefOfficer).await;
    user(app.pool(), "staff", Role::Staff).await;
    let (zip, package) = example_package();
    let axe = axe_source();
    let mut problems = Vec::new();

    sign_in(&b, &app, "chief").await;
    b.click_to_next_page("header.site nav a[href='/manage/courses']", "#courses")
        .await;
    snap(&b, &axe, "authoring-courses", &mut problems).await;
    b.type_into("input#package-file[type=file]", &zip.display().to_string())
        .await;
    b.click_to_next_page(
        "form[action^='/manage/courses/upload'] button[type=submit]",
        "#changes",
    )
    .await;
    assert!(b.text("#changes").await.contains("新しい研修として第1版"));
    assert!(
        b.text("#section-accounts")
            .await
            .contains("1-2 利用者IDとアクセス権限"),
        "the sections as staff will read them"
    );
    assert_eq!(
        b.count("#test li.question").await,
        8,
        "the whole bank, with its answers"
    );
    snap(&b, &axe, "authoring-draft", &mut problems).await;
    b.click_to_next_page("form[action$='/publish'] button[type=submit]", "#flash")
        .await;
    assert!(b.text("#flash").await.contains("教材を公開しました"));
    assert!(
        b.text("#course-system-admin")
            .await
            .contains("当機関の教材")
    );
    b.click_to_next_page("header.site form[action='/logout'] button", "#login")
        .await;

    // A member of staff takes the chapter test: five of eight, one at a time.
    sign_in(&b, &app, "staff").await;
    b.goto(&app.url("/courses/system-admin/test")).await;
    b.click_to_next_page(
        "form[action$='/test/start'] button[type=submit]",
        "form.answer",
    )
    .await;
    let test = package.test.as_ref().expect("a test");
    for round in 0..5 {
        let number: u32 = b
            .value("form.answer input[name=question]")
            .await
            .parse()
            .expect("a question number");
        let q = test
            .question(&number.to_string())
            .expect("a question of the bank");
        if let Some(mark) = q.answer {
            b.click_to_next_page(
                &format!("form.answer button[value={}]", mark.form_value()),
                &format!("#q{number} .verdict"),
            )
            .await;
        } else {
            let right: Vec<&str> = q
                .choices
                .iter()
                .filter(|c| c.correct)
                .map(|c| c.text.as_str())
                .collect();
            let picked = b
                .execute_with(
                    "let n = 0; for (const l of document.querySelectorAll('form.answer label.choice')) {
                       if (arguments[0].includes(l.textContent.trim())) { l.querySelector('input').click(); n++; }
                     } return n;",
                    vec![json!(right)],
                )
                .await;
            assert_eq!(
                picked,
                json!(right.len()),
                "question {number}: the right choices are there"
            );
            if round == 0 {
                snap(&b, &axe, "authoring-staff-choice-question", &mut problems).await;
            }
            b.click_to_next_page(
                "form.answer button[type=submit]",
                &format!("#q{number} .verdict"),
            )
            .await;
        }
        assert!(
            b.text(&format!("#q{number} .verdict"))
                .await
                .starts_with("正解"),
            "question {number} answered rightly"
        );
    }
    let result = b.text("#result").await;
    assert!(
        result.contains("5 / 5") && result.contains("合格"),
        "{result}"
    );
    snap(&b, &axe, "authoring-staff-result", &mut problems).await;
    b.close().await;
    let _ = std::fs::remove_dir_all(zip.parent().expect("the zip's folder"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
