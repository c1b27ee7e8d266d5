//! End-to-end tests in real headless Chromium, driven over WebDriver (chromedriver).
//!
//! Each test starts its own portal (`TestApp`, a private database) and its own chromedriver
//! with a fresh Chromium profile, so the tests do not depend on each other and may run in
//! parallel.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install -y chromium chromium-driver`).
//! `CHROMIUM` and `CHROMEDRIVER` name other binaries. Without them the tests print a loud
//! message and pass, except when `CI=true`, where they fail.
//!
//! Screenshots go to `target/screenshots/`. The accessibility test runs axe-core when it finds
//! `axe.min.js` (`KENSHU_AXE_JS`, or `$TMPDIR/kenshu-axe/node_modules/axe-core/axe.min.js`
//! after `npm install --prefix "${TMPDIR:-/tmp}/kenshu-axe" axe-core`); otherwise it is skipped.
//!
//! The officers' pages (training plan, designations, person page, roster import, the
//! one-time password link) have their own tests in `browser/management.rs`, the in-person
//! sessions in `browser/in_person.rs`, the report downloads (saved by Chromium and read back)
//! in `browser/downloads.rs`, and the pages that refuse (throttled sign-in, guessable password,
//! error pages) in `browser/refusals.rs`. The browser speaks Japanese (`--lang=ja`).
//!
//! Run: `cargo test --test browser -- --nocapture`

mod browser {
    mod authoring;
    pub mod checks;
    mod deputies;
    mod downloads;
    mod drills;
    pub mod driver;
    mod flow;
    mod in_person;
    mod language;
    mod management;
    mod oidc;
    mod refusals;
    mod report;
    mod rules;
    mod second_factor;
}

use std::time::Instant;

use browser::checks::phone_overflow;
use browser::driver::Session;
use kenshu_core::content::{CoursePackage, Question, parse_package};
use kenshu_core::exam::Mark;
use kenshu_core::person::Role;
use kenshu_tests::{TestApp, repo_root, user};

/// The course as the repository's content folder defines it (questions, answers, references).
fn package(code: &str) -> CoursePackage {
    let dir = repo_root().join("content").join(code);
    let toml = std::fs::read_to_string(dir.join("course.toml"))
        .unwrap_or_else(|e| panic!("read content/{code}/course.toml: {e}"));
    parse_package(code, &toml, |f| {
        std::fs::read_to_string(dir.join(f)).map_err(|e| e.to_string())
    })
    .unwrap_or_else(|e| panic!("parse content/{code}: {e}"))
    .package
}

fn questions(code: &str) -> Vec<Question> {
    package(code)
        .test
        .unwrap_or_else(|| panic!("course {code} has no test"))
        .questions
}

fn wrong(m: Mark) -> Mark {
    Mark::from_bool(!m.as_bool())
}

/// Signs in through the login form and waits for "My training".
async fn sign_in(b: &Session, app: &TestApp, login: &str) {
    sign_in_with(b, app, login, kenshu_tests::PASSWORD).await;
}

/// Signs in with `password` through the login form and waits for "My training".
async fn sign_in_with(b: &Session, app: &TestApp, login: &str, password: &str) {
    b.goto(&app.url("/login")).await;
    b.type_into("#login", login).await;
    b.type_into("#password", password).await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_for("ul.cards").await;
    let url = b.current_url().await;
    assert!(
        url.ends_with("/my"),
        "sign-in should land on /my, landed on {url}"
    );
    let who = b.text("header.site .who .name").await;
    assert!(
        who.contains(&format!("試験 {login}")),
        "header should name the person after sign-in, shows {who:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_signs_in_and_sees_three_courses_not_started() {
    let Some(b) = Session::launch("staff_signs_in_and_sees_three_courses_not_started").await else {
        return;
    };
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;

    // A wrong password first: the form says so and stays on the login page.
    b.goto(&app.url("/login")).await;
    b.type_into("#login", "staff1").await;
    b.type_into("#password", "not the password").await;
    b.click("form[action='/login'] button[type=submit]").await;
    let error = b.wait_for("#login-error").await;
    let msg = error.text().await.expect("error text");
    assert!(
        msg.contains("パスワード"),
        "a wrong password should be explained, got {msg:?}"
    );

    sign_in(&b, &app, "staff1").await;
    let titles = b.texts("ul.cards li.card h2").await;
    assert_eq!(
        titles,
        [
            "事務取扱担当者研修",
            "サイバーセキュリティ研修",
            "まとめテスト"
        ],
        "a staff member's 'My training' lists exactly these courses, in this order"
    );
    for code in ["clerk", "cybersecurity", "final-test"] {
        let badge = b.text(&format!("#course-{code} .badge")).await;
        assert_eq!(
            badge, "未受講",
            "course {code} should be 未受講 for a new person"
        );
    }
    let summary = b.text("p.summary").await;
    assert!(
        summary.starts_with("0 / 3"),
        "summary should count 0 of 3 completed, shows {summary:?}"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chapter_test_shows_verdict_explanation_and_reference_after_each_answer() {
    let Some(b) =
        Session::launch("chapter_test_shows_verdict_explanation_and_reference_after_each_answer")
            .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let qs = questions("clerk");
    let pass_mark = package("clerk")
        .test
        .map(|t| t.pass_mark)
        .unwrap_or_default();
    assert!(qs.len() >= 2, "the clerk chapter test needs questions");
    sign_in(&b, &app, "staff1").await;

    b.goto(&app.url("/courses/clerk/test")).await;
    let start = b
        .wait_for("form[action='/courses/clerk/test/start'] button")
        .await;
    let label = start.text().await.expect("start label");
    assert_eq!(
        label, "テストを始める",
        "a first attempt starts with 'テストを始める'"
    );
    assert_eq!(
        b.count("button[name=answer]").await,
        0,
        "no answer buttons before the test starts"
    );
    start.click().await.expect("click テストを始める");

    // Question 2 is answered wrongly on purpose, the others rightly.
    let wrong_q = 2;
    for q in &qs {
        let n = q.number;
        let right = q.answer.expect("a ○× question");
        let given = if n == wrong_q { wrong(right) } else { right };
        let button = format!(
            "#q{n} form.answer button[name=answer][value={}]",
            given.form_value()
        );
        b.wait_for(&button).await;
        // Questions after this one are not shown yet.
        if let Some(next) = qs.iter().find(|x| x.number == n + 1) {
            let later = b.text(&format!("#q{}", next.number)).await;
            assert!(
                later.contains("前の問題に答えると表示されます"),
                "question {} should wait for question {n}, shows {later:?}",
                next.number
            );
        }
        b.click(&button).await;

        let verdict = b.wait_for(&format!("#q{n} .verdict")).await;
        let verdict = verdict.text().await.expect("verdict text");
        let expected = if n == wrong_q { "不正解" } else { "正解" };
        assert!(
            verdict.starts_with(expected),
            "question {n}: answered {} (right is {}), the verdict should start with {expected}, shows {verdict:?}",
            given.symbol(),
            q.answer.expect("a ○× question").symbol()
        );
        assert!(
            verdict.contains(&format!("あなたの解答 {}", given.symbol()))
                && verdict.contains(&format!(
                    "正答 {}",
                    q.answer.expect("a ○× question").symbol()
                )),
            "question {n}: the verdict should show the answer given and the right answer, shows {verdict:?}"
        );
        let explanation = b.text(&format!("#q{n} .explanation")).await;
        assert!(
            explanation.starts_with("解説") && explanation.chars().count() > 20,
            "question {n}: the explanation (解説) should follow the verdict, shows {explanation:?}"
        );
        let first_words: String = q
            .explanation_html
            .trim_start_matches("<p>")
            .chars()
            .take_while(|c| *c != '<' && *c != '、' && *c != '。')
            .collect();
        assert!(
            explanation.contains(&first_words),
            "question {n}: the explanation should be the question's own (expected it to contain {first_words:?}), shows {explanation:?}"
        );
        let reference = b.text(&format!("#q{n} .reference")).await;
        assert_eq!(
            reference,
            format!("掲載箇所: {}", q.reference),
            "question {n}: the reference (掲載箇所)"
        );
        if n == wrong_q {
            b.save_full_page_screenshot("chapter-test-feedback").await;
        }
    }

    let result = b.wait_for("#result").await;
    let result = result.text().await.expect("result text");
    let total = qs.len();
    let score = total - 1;
    let passed = score as u32 >= pass_mark;
    assert!(
        result.contains(&format!("{score} / {total}")),
        "the score should be {score} / {total}, #result shows {result:?}"
    );
    if passed {
        assert!(
            result.contains("合格") && !result.contains("不合格"),
            "{score} of {total} passes, #result shows {result:?}"
        );
    } else {
        assert!(
            result.contains("不合格"),
            "{score} of {total} fails, #result shows {result:?}"
        );
    }
    let retake = b
        .text("form[action='/courses/clerk/test/start'] button")
        .await;
    assert_eq!(
        retake, "もう一度受ける",
        "after an attempt the button offers a retake"
    );
    let history = b.texts("table.data tbody tr").await;
    assert_eq!(
        history.len(),
        1,
        "one attempt in the history, shows {history:?}"
    );
    b.save_full_page_screenshot("chapter-test-result").await;
    b.close().await;
}

/// Chooses answers on the final test page, `wrong` questions wrongly, and submits.
async fn take_final_test(b: &Session, qs: &[Question], wrong_ones: &[u32]) {
    b.wait_for("form.final").await;
    for q in qs {
        let right = q.answer.expect("a ○× question");
        let given = if wrong_ones.contains(&q.number) {
            wrong(right)
        } else {
            right
        };
        b.click(&format!(
            "input[name=q{}][value={}]",
            q.number,
            given.form_value()
        ))
        .await;
    }
    b.click("form.final button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn final_test_failed_then_passed_gives_a_certificate() {
    let Some(b) = Session::launch("final_test_failed_then_passed_gives_a_certificate").await else {
        return;
    };
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let qs = questions("final-test");
    assert_eq!(qs.len(), 10, "the final test has 10 questions");
    let pass_mark = package("final-test")
        .test
        .map(|t| t.pass_mark)
        .unwrap_or_default();
    assert_eq!(pass_mark, 8, "the final test passes with 8 of 10");
    sign_in(&b, &app, "staff1").await;

    // 7 of 10: below the pass mark of 8.
    b.goto(&app.url("/courses/final-test/test")).await;
    take_final_test(&b, &qs, &[3, 6, 9]).await;
    let result = b
        .wait_for("#result")
        .await
        .text()
        .await
        .expect("result text");
    assert!(
        result.contains("7 / 10"),
        "7 right answers should score 7 / 10, #result shows {result:?}"
    );
    assert!(
        result.contains("不合格"),
        "7 of 10 fails the final test, #result shows {result:?}"
    );
    let wrong_verdicts = b.texts(".verdict.wrong").await;
    assert_eq!(
        wrong_verdicts.len(),
        3,
        "the result page marks the 3 wrong answers, shows {wrong_verdicts:?}"
    );
    assert_eq!(
        b.count(".reference").await,
        10,
        "the result page gives the reference of every question"
    );
    let retake = b.text("a.button[href='/courses/final-test/test']").await;
    assert_eq!(retake, "もう一度受ける", "a failed result offers a retake");

    b.goto(&app.url("/my")).await;
    let badge = b
        .wait_for("#course-final-test .badge")
        .await
        .text()
        .await
        .expect("badge");
    assert_eq!(
        badge, "受講中",
        "after a failed attempt まとめテスト is in progress"
    );
    assert_eq!(
        b.count("#course-final-test a[href='/certificates/final-test']")
            .await,
        0,
        "no certificate after a fail"
    );

    // Back to the result page, and retake from its link, all right this time.
    b.back().await;
    b.wait_for("#result").await;
    b.click("a.button[href='/courses/final-test/test']").await;
    b.wait_for("table.data").await;
    let history = b.texts("table.data tbody tr").await;
    assert_eq!(
        history.len(),
        1,
        "the failed attempt is in the history, shows {history:?}"
    );
    assert!(
        history[0].contains("7 / 10") && history[0].contains("不合格"),
        "the history row shows the fail, shows {history:?}"
    );
    take_final_test(&b, &qs, &[]).await;
    let result = b
        .wait_for("#result")
        .await
        .text()
        .await
        .expect("result text");
    assert!(
        result.contains("10 / 10"),
        "all right should score 10 / 10, #result shows {result:?}"
    );
    assert!(
        result.contains("合格") && !result.contains("不合格"),
        "10 of 10 passes, #result shows {result:?}"
    );

    b.goto(&app.url("/my")).await;
    let badge = b
        .wait_for("#course-final-test .badge")
        .await
        .text()
        .await
        .expect("badge");
    assert_eq!(badge, "修了", "after a pass まとめテスト is 修了");
    let card = b.text("#course-final-test").await;
    assert!(
        card.contains("得点 10 / 10"),
        "the card shows the score, shows {card:?}"
    );
    b.click("#course-final-test a[href='/certificates/final-test']")
        .await;
    let name = b
        .wait_for(".certificate .cert-name")
        .await
        .text()
        .await
        .expect("name");
    assert!(
        name.contains("試験 staff1"),
        "the certificate names the person, shows {name:?}"
    );
    let body = b.text(".certificate .cert-body").await;
    assert!(
        body.contains("「まとめテスト」"),
        "the certificate names the course, shows {body:?}"
    );
    let facts = b.text(".certificate .cert-facts").await;
    assert!(
        facts.contains("10 / 10"),
        "the certificate shows the score, shows {facts:?}"
    );
    b.save_full_page_screenshot("certificate").await;

    b.phone(390, 844).await;
    b.goto(&app.url("/certificates/final-test")).await;
    b.wait_for(".certificate").await;
    let overflow = phone_overflow(&b).await;
    assert!(
        overflow.is_none(),
        "the certificate scrolls sideways at 390 px: {}",
        overflow.unwrap_or_default()
    );
    b.save_full_page_screenshot("certificate-phone").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_fit_a_phone_screen_without_sideways_scrolling() {
    let Some(b) = Session::launch("pages_fit_a_phone_screen_without_sideways_scrolling").await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    b.phone(390, 844).await;
    sign_in(&b, &app, "staff1").await;
    let width = b.execute("return window.innerWidth").await;
    assert!(
        width.as_u64().is_some_and(|w| (380..=400).contains(&w)),
        "the phone viewport should be about 390 px wide, is {width}"
    );

    b.goto(&app.url("/courses/clerk/sections/system-overview"))
        .await;
    b.wait_for("article.prose h2").await;
    let title = b.text("main h1").await;
    let expected = &package("clerk").sections[0].title;
    assert_eq!(
        &title, expected,
        "the section page is headed with the section's title"
    );
    b.save_full_page_screenshot("section-phone").await;
    let overflow = phone_overflow(&b).await;
    assert!(
        overflow.is_none(),
        "the section page scrolls sideways at 390 px: {}",
        overflow.unwrap_or_default()
    );

    // The other pages a person uses on a phone.
    let mut problems = Vec::new();
    for (path, ready) in [
        ("/my", "ul.cards"),
        ("/courses/clerk", "ol.sections"),
        (
            "/courses/clerk/test",
            "form[action='/courses/clerk/test/start']",
        ),
        ("/courses/final-test/test", "form.final"),
    ] {
        b.goto(&app.url(path)).await;
        b.wait_for(ready).await;
        if let Some(o) = phone_overflow(&b).await {
            problems.push(format!("{path}: {o}"));
        }
        let shot = path.trim_start_matches('/').replace('/', "-");
        b.save_full_page_screenshot(&format!("phone-{shot}")).await;
    }
    assert!(
        problems.is_empty(),
        "pages scroll sideways at 390 px:\n{}",
        problems.join("\n")
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn section_page_at_desktop_width_reads_and_moves_on() {
    let Some(b) = Session::launch("section_page_at_desktop_width_reads_and_moves_on").await else {
        return;
    };
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    sign_in(&b, &app, "staff1").await;
    b.goto(&app.url("/courses/clerk/sections/system-overview"))
        .await;
    b.wait_for("article.prose h2").await;
    b.save_full_page_screenshot("section-desktop").await;
    // 既読にして次へ: marks the section read and opens the next one.
    b.click("nav.pager form button[type=submit]").await;
    b.wait_for("a[rel=prev]").await;
    let url = b.current_url().await;
    assert!(
        url.ends_with("/courses/clerk/sections/safety-measures-1"),
        "reading on opens the next section, at {url}"
    );
    b.goto(&app.url("/my")).await;
    let badge = b
        .wait_for("#course-clerk .badge")
        .await
        .text()
        .await
        .expect("badge");
    assert_eq!(
        badge, "受講中",
        "a read section puts the course in progress"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_serious_accessibility_problems() {
    let Some(axe) = browser::checks::axe_source() else {
        return;
    };
    let Some(b) = Session::launch("axe_finds_no_serious_accessibility_problems").await else {
        return;
    };
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;

    let started = Instant::now();
    let mut serious = Vec::new();
    let mut check = async |path: &str, ready: &str| {
        b.goto(&app.url(path)).await;
        b.wait_for(ready).await;
        let found = b.axe(&axe).await;
        for v in &found {
            println!("axe {path}: {v}");
            if v.starts_with("[critical]") || v.starts_with("[serious]") {
                serious.push(format!("{path}: {v}"));
            }
        }
        browser::checks::record(&b, &format!("staff {path}"), Some(&found), None).await;
    };
    check("/login", "#login").await;
    sign_in(&b, &app, "staff1").await;
    check("/my", "ul.cards").await;
    check("/courses/clerk", "ol.sections").await;
    check("/courses/clerk/sections/system-overview", "article.prose").await;
    check("/courses/final-test/test", "form.final").await;
    b.goto(&app.url("/courses/clerk/test")).await;
    b.click("form[action='/courses/clerk/test/start'] button")
        .await;
    b.wait_for("#q1 button[name=answer][value=o]").await;
    b.click("#q1 button[name=answer][value=o]").await;
    b.wait_for("#q1 .verdict").await;
    check("/courses/clerk/test", "#q1 .verdict").await;
    b.goto(&app.url("/courses/final-test/test")).await;
    take_final_test(&b, &questions("final-test"), &[]).await;
    b.wait_for("#result").await;
    let result_page = b.current_url().await;
    let result_path = result_page.trim_start_matches(&app.url(""));
    check(result_path, "#result").await;
    check("/certificates/final-test", ".certificate").await;
    println!("axe: 8 pages in {:.1} s", started.elapsed().as_secs_f64());
    b.close().await;
    assert!(
        serious.is_empty(),
        "axe-core found serious problems:\n{}",
        serious.join("\n")
    );
}
