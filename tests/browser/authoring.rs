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

/// A `kenshu demo` of its own (embedded database under a temporary folder), stopped when
/// dropped.
pub(super) struct Demo {
    child: std::process::Child,
    base: String,
    data: std::path::PathBuf,
}

impl Demo {
    async fn start() -> Demo {
        Demo::start_with(&[], None).await
    }

    /// A demo with these environment variables (mail through a test server, say), on `port`
    /// when given.
    pub(super) async fn start_with(env: &[(&str, String)], port: Option<u16>) -> Demo {
        let data = std::env::temp_dir().join(format!(
            "kenshu-demo-editor-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let port = port.unwrap_or_else(kenshu_tests::process::free_port);
        let mut child = std::process::Command::new(kenshu_tests::kenshu_bin())
            .args(["demo", "--bind", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(&data)
            .arg("--content")
            .arg(repo_root().join("content"))
            .env_remove("DATABASE_URL")
            .env("KENSHU_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start kenshu demo");
        let base = format!("http://127.0.0.1:{port}");
        kenshu_tests::process::wait_ready(&base, &mut child).await;
        Demo { child, base, data }
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Runs `kenshu` against the demo's database, as its administrator would.
    fn kenshu(&self, args: &[&str], stdin: Option<&str>) {
        use std::io::Write;
        let mut child = std::process::Command::new(kenshu_tests::kenshu_bin())
            .arg("--data-dir")
            .arg(&self.data)
            .args(args)
            .env_remove("DATABASE_URL")
            .env("KENSHU_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("kenshu");
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write stdin");
        }
        let out = child.wait_with_output().expect("kenshu ran");
        assert!(
            out.status.success(),
            "kenshu {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        kenshu_tests::process::terminate(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

pub(super) const DEMO_PASSWORD: &str = "kenshu-demo";

/// Signs in through the login form (naming the institution when the form asks for it) and
/// waits for the next page.
pub(super) async fn demo_sign_in(
    b: &Session,
    demo: &Demo,
    institution: &str,
    login: &str,
    password: &str,
) {
    b.goto(&demo.url("/login")).await;
    b.wait_for("#login").await;
    if b.count("#institution").await > 0 {
        b.set_value("#institution", institution).await;
    }
    b.type_into("#login", login).await;
    b.type_into("#password", password).await;
    b.click_to_next_page("form[action='/login'] button[type=submit]", "main h1")
        .await;
}

pub(super) async fn sign_out(b: &Session) {
    b.click_to_next_page("header.site form[action='/logout'] button", "#login")
        .await;
}

/// The width of the image `css` names once loaded (0 when it did not load).
async fn image_width(b: &Session, css: &str) -> serde_json::Value {
    b.execute_with(
        "const i = document.querySelector(arguments[0]);
         return i && i.complete ? i.naturalWidth : 0;",
        vec![json!(css)],
    )
    .await
}

/// Waits until the element's text contains `expected` (what a script puts there).
async fn wait_for_text(b: &Session, css: &str, expected: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        let now = b.text(css).await;
        if now.contains(expected) {
            return now;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "{css} never showed {expected:?}; it shows {now:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Waits for a download Chromium saves, and reads it.
async fn downloaded(dir: &std::path::Path, name: &str) -> Vec<u8> {
    let started = std::time::Instant::now();
    loop {
        let path = dir.join(name);
        let partial = std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"))
            })
            .unwrap_or(false);
        if path.exists() && !partial {
            return std::fs::read(&path).expect("the download");
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{name} was not downloaded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Twelve questions of three kinds over two topics: the right choices start with 正しい and
/// the ○× ones are ○, so a person who reads them answers rightly.
fn bank_question(i: u32) -> (&'static str, &'static str, String, Vec<&'static str>) {
    let topic = if i.is_multiple_of(2) {
        "規程"
    } else {
        "窓口"
    };
    let statement = format!("設問{i}: 当市の規程に沿った扱いを選んでください。");
    match i % 3 {
        0 => ("true_false", topic, statement, vec![]),
        1 => (
            "single",
            topic,
            statement,
            vec!["正しい扱い", "誤った扱い", "別の誤り"],
        ),
        _ => (
            "multiple",
            topic,
            statement,
            vec!["正しい扱いA", "誤った扱い", "正しい扱いB", "別の誤り"],
        ),
    }
}

/// Answers every question of a final test on the page rightly (as a person clicks), by the
/// choices' texts.
const ANSWER_RIGHTLY: &str = "let n = 0;
  for (const l of document.querySelectorAll('form.final label.choice')) {
    const t = l.textContent.trim();
    if (t.startsWith('正しい') || t.startsWith('○')) { l.querySelector('input').click(); n++; }
  }
  return n;";

/// The final test of `code` taken rightly over HTTP by `login` of the demo (as staff whose
/// answers make the figures add up).
async fn take_over_http(demo: &Demo, login: &str, code: &str) {
    let mut b = kenshu_tests::Browser::new(&demo.base);
    b.get("/login").await;
    let res = b
        .post(
            "/login",
            &[
                ("institution", "demo"),
                ("login", login),
                ("password", DEMO_PASSWORD),
                ("next", "/my"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{login}: {}", res.body);
    let page = b.get(&format!("/courses/{code}/test")).await;
    let attempt = regex::Regex::new(r#"name="attempt" value="([0-9a-f-]{36})""#)
        .expect("regex")
        .captures(&page.body)
        .unwrap_or_else(|| panic!("{login}: no attempt: {}", page.body))[1]
        .to_string();
    let choice = regex::Regex::new(
        r#"<input type="(?:radio|checkbox)" name="(q[0-9]+)" value="([^"]+)"[^>]*> ([^<]*)</label>"#,
    )
    .expect("regex");
    let mut fields = vec![("attempt".to_string(), attempt)];
    for c in choice.captures_iter(&page.body) {
        let text = c[3].trim();
        if text.starts_with("正しい") || text.starts_with('○') {
            fields.push((c[1].to_string(), c[2].to_string()));
        }
    }
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sent = b.post(&format!("/courses/{code}/test/submit"), &refs).await;
    assert_eq!(sent.status, 303, "{login}: {}", sent.body);
}

/// Issue 15's "done when": the chief officer of a fresh `kenshu demo` writes a two-section
/// course with a bank of twelve questions in the browser (with an image and the live
/// preview), publishes it and puts it in next year's plan; staff take it (five of twelve each);
/// the protection officer reads the per-question figures; the course is exported (the zip
/// Chromium saves) and brought into a second institution, whose staff see it with its image.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_chief_writes_a_course_that_staff_take_and_another_institution_brings_in() {
    let Some(b) = Session::launch(
        "a_demo_chief_writes_a_course_that_staff_take_and_another_institution_brings_in",
    )
    .await
    else {
        return;
    };
    let demo = Demo::start().await;
    let axe = axe_source();
    let mut problems = Vec::new();
    let image = repo_root().join("tests/fixtures/images/窓口の案内.png");

    // A new course: its code, title and first section.
    demo_sign_in(&b, &demo, "demo", "chief", DEMO_PASSWORD).await;
    b.click_to_next_page("header.site nav a[href='/manage/courses']", "#courses")
        .await;
    b.click_to_next_page("a#new-course", "form#new-course")
        .await;
    b.type_into("#nc-code", "own-rules").await;
    b.type_into("#nc-title", "当市の特定個人情報取扱規程").await;
    b.type_into(
        "#nc-description",
        "当市の取扱規程の要点と、相談窓口・事故時の連絡先を学びます。",
    )
    .await;
    b.type_into("#nc-section", "第1節 規程の要点").await;
    snap(&b, &axe, "editor-new", &mut problems).await;
    b.click_to_next_page("form#new-course button[type=submit]", "#course-form")
        .await;
    assert!(b.text("#flash").await.contains("下書きに保存しました"));

    // The first section: typed, with the preview following the typing, and an image.
    b.click_to_next_page(
        "#section-section-1 a[href$='/sections/section-1']",
        "#section-form",
    )
    .await;
    b.set_value("#s-markdown", "").await;
    b.type_into(
        "#s-markdown",
        "## 規程の要点\n\n- 取扱区域を定め、入退室を管理します。\n- 事務取扱担当者だけが特定個人情報を扱います。\n\n<script>alert(1)</script>\n",
    )
    .await;
    let preview = wait_for_text(&b, "#s-preview", "取扱区域を定め").await;
    assert!(
        preview.contains("<script>alert(1)</script>"),
        "the script is shown as text, not run: {preview}"
    );
    assert_eq!(
        b.count("#s-preview script").await,
        0,
        "no script element in the preview"
    );
    assert_eq!(b.count("#s-preview h2").await, 1, "rendered, not raw");
    b.type_into("input#s-image[type=file]", &image.display().to_string())
        .await;
    b.click_to_next_page("#section-form button[value=save]", "#flash")
        .await;
    let width = image_width(&b, "#s-preview img").await;
    assert_eq!(width, json!(120), "the image loads from the portal");
    snap(&b, &axe, "editor-section", &mut problems).await;

    // The second section.
    b.click_to_next_page("#section-form a[href$='/edit']", "#course-form")
        .await;
    b.type_into("#s-new-title", "第2節 相談窓口と事故時の連絡")
        .await;
    b.click_to_next_page("#add-section button[type=submit]", "#section-form")
        .await;
    b.set_value(
        "#s-markdown",
        "## 相談窓口\n\n総務課 情報政策係（内線 1234）に連絡します。\n\n## 事故のおそれ\n\n記録を消さず、直ちに保護責任者へ報告します。\n",
    )
    .await;
    wait_for_text(&b, "#s-preview", "情報政策係").await;
    b.click_to_next_page("#section-form button[value=save]", "#flash")
        .await;

    // Twelve questions, through the question form.
    for i in 1..=12 {
        b.goto(&demo.url("/manage/courses/drafts/own-rules/questions/new"))
            .await;
        b.wait_for("#question-form").await;
        let (kind, topic, statement, choices) = bank_question(i);
        b.set_value("#q-kind", kind).await;
        b.set_value("#q-topic", topic).await;
        b.set_value("#q-statement", &statement).await;
        if choices.is_empty() {
            assert_eq!(
                b.count("#q-choices[hidden]").await,
                1,
                "○× shows no choices"
            );
            b.click("input[name=answer][value='○']").await;
        } else {
            assert_eq!(b.count("#q-answer[hidden]").await, 1, "choices show no ○×");
            for (n, c) in choices.iter().enumerate() {
                b.set_value(&format!("#q-choice{}", n + 1), c).await;
                if c.starts_with("正しい") {
                    b.click(&format!("input[name=right][value='{}']", n + 1))
                        .await;
                }
            }
        }
        b.set_value("#q-explanation", "規程の**該当箇所**を確かめましょう。")
            .await;
        b.set_value("#q-reference", "当市の特定個人情報取扱規程 第1節")
            .await;
        if i % 2 == 1 {
            b.click("input[name=sections][value='own-rules/section-2']")
                .await;
        }
        if i == 2 {
            snap(&b, &axe, "editor-question", &mut problems).await;
        }
        b.click_to_next_page("#question-form button[type=submit]", "#course-form")
            .await;
    }
    assert_eq!(b.count("#questions li").await, 12);

    // Five per attempt, two and three by topic, 80% to pass.
    b.set_value("#t-draw", "5").await;
    b.set_value("#t-share", "80").await;
    b.set_value("#t-topics", "規程: 2\n窓口: 3").await;
    b.click_to_next_page("#test-form button[type=submit]", "#course-form")
        .await;
    snap(&b, &axe, "editor-course", &mut problems).await;

    // Read as staff will see it, and published.
    b.click_to_next_page("a#to-publish", "#changes").await;
    assert!(b.text("#changes").await.contains("新しい研修として第1版"));
    assert_eq!(b.count("#test li.question").await, 12, "the whole bank");
    b.click_to_next_page("form[action$='/publish'] button[type=submit]", "#flash")
        .await;
    assert!(b.text("#flash").await.contains("教材を公開しました"));

    // Next year's plan takes it as it takes the shipped courses.
    let next = kenshu_core::FiscalYear::of(kenshu_core::japan_today()).next();
    b.goto(&demo.url(&format!("/plans?fy={}", next.year())))
        .await;
    b.click_to_next_page(
        "form[action='/plans'] button[name=from][value=standard]",
        "form#edit-clerk",
    )
    .await;
    b.click_to_next_page(
        &format!(
            "form[action='/plans/{}/courses/own-rules'] button",
            next.year()
        ),
        "form#edit-own-rules",
    )
    .await;
    let rows = b.texts("table.data tbody tr").await;
    assert!(
        rows.iter()
            .any(|r| r.contains("当市の特定個人情報取扱規程")),
        "{rows:?}"
    );
    sign_out(&b).await;

    // A member of staff (市民課) takes it in Chromium: five of the twelve.
    demo_sign_in(&b, &demo, "demo", "staff01", DEMO_PASSWORD).await;
    b.goto(&demo.url("/courses/own-rules/sections/section-1"))
        .await;
    let width = image_width(&b, "article.prose img").await;
    assert_eq!(width, json!(120), "staff see the section's image");
    b.goto(&demo.url("/courses/own-rules/test")).await;
    b.wait_for("form.final").await;
    assert_eq!(b.count("form.final li.question").await, 5);
    let picked = b.execute(ANSWER_RIGHTLY).await;
    assert!(picked.as_u64().is_some_and(|n| n >= 5), "{picked}");
    snap(&b, &axe, "authored-final-test", &mut problems).await;
    b.click_to_next_page("form.final button[type=submit]", "#result")
        .await;
    let result = b.text("#result").await;
    assert!(
        result.contains("5 / 5") && result.contains("合格"),
        "{result}"
    );
    sign_out(&b).await;
    // The rest of 市民課 (every third member of staff), so that questions drawn five of twelve
    // reach the three-person threshold: with three people in all, a draw often leaves every
    // question under it.
    for n in (4..=28).step_by(3) {
        take_over_http(&demo, &format!("staff{n:02}"), "own-rules").await;
    }

    // The protection officer of 市民課 reads the per-question figures.
    demo_sign_in(&b, &demo, "demo", "officer1", DEMO_PASSWORD).await;
    b.goto(&demo.url("/insights?course=own-rules")).await;
    b.wait_for("#questions").await;
    let people: u32 = b
        .texts("#questions tbody tr td:nth-of-type(1)")
        .await
        .iter()
        .filter_map(|c| c.trim().parse::<u32>().ok())
        .sum();
    assert_eq!(people, 50, "ten people, five questions each");
    let shares = b.texts("#questions tbody td.share").await;
    assert!(
        shares.iter().filter(|s| s.contains("100")).count() >= 3,
        "the questions three or more people answered show their share: {shares:?}"
    );
    snap(&b, &axe, "authored-insights", &mut problems).await;
    sign_out(&b).await;

    // Exported: the zip Chromium saves holds the course, its sections and its image.
    demo_sign_in(&b, &demo, "demo", "chief", DEMO_PASSWORD).await;
    b.goto(&demo.url("/manage/courses")).await;
    b.click("a[href='/manage/courses/own-rules/export.zip']")
        .await;
    let zip = downloaded(b.downloads(), "own-rules.zip").await;
    let upload = kenshu_app::package::read_zip(&zip).expect("the export reads back");
    let paths: Vec<&str> = upload.files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths.len(), 4, "{paths:?}");
    assert!(paths.contains(&"course.toml") && paths.iter().any(|p| p.starts_with("images/")));
    sign_out(&b).await;

    // A second institution, added by its administrator, brings it in under a code of its own.
    demo.kenshu(&["institution", "add", "other", "別の町"], None);
    demo.kenshu(
        &["division", "add", "--institution", "other", "x", "総務課"],
        None,
    );
    demo.kenshu(
        &[
            "user",
            "add",
            "--institution",
            "other",
            "--login",
            "chief2",
            "--name",
            "別町 総括",
            "--division",
            "x",
            "--role",
            "chief_officer",
            "--password-stdin",
        ],
        Some("Betsu-no-Machi-2026!\n"),
    );
    demo_sign_in(&b, &demo, "other", "chief2", "Betsu-no-Machi-2026!").await;
    b.wait_for("form[action='/password']").await;
    b.type_into("#current", "Betsu-no-Machi-2026!").await;
    b.type_into("#new", "Kyouzai-wo-Hikitsugu-88").await;
    b.type_into("#confirm", "Kyouzai-wo-Hikitsugu-88").await;
    b.click_to_next_page("form[action='/password'] button[type=submit]", "main h1")
        .await;
    b.goto(&demo.url("/manage/courses")).await;
    b.wait_for("#courses").await;
    let saved = b.downloads().join("own-rules.zip");
    b.type_into(
        "input#package-file[type=file]",
        &saved.display().to_string(),
    )
    .await;
    b.type_into("#package-code", "own-rules-betsu").await;
    b.click_to_next_page(
        "form[action^='/manage/courses/upload'] button[type=submit]",
        "#changes",
    )
    .await;
    assert!(b.text("#changes").await.contains("新しい研修として第1版"));
    b.click_to_next_page("form[action$='/publish'] button[type=submit]", "#flash")
        .await;
    assert!(
        b.text("#course-own-rules-betsu")
            .await
            .contains("当機関の教材")
    );
    assert_eq!(
        b.count("#course-own-rules").await,
        0,
        "the first institution's course is not listed here"
    );
    b.goto(&demo.url("/courses/own-rules-betsu/sections/section-1"))
        .await;
    let width = image_width(&b, "article.prose img").await;
    assert_eq!(width, json!(120), "the image came with the package");
    b.goto(&demo.url("/courses/own-rules")).await;
    assert!(
        !b.text("main").await.contains("規程の要点"),
        "the first institution's course stays its own"
    );
    sign_out(&b).await;

    // The portal administrator's page of sign-in methods lists both institutions.
    demo_sign_in(&b, &demo, "demo", "admin", DEMO_PASSWORD).await;
    b.click_to_next_page(
        "header.site nav a[href='/admin/sign-in']",
        "#sign-in-methods",
    )
    .await;
    assert_eq!(b.count("#sign-in-methods > li").await, 2);
    snap(&b, &axe, "admin-sign-in", &mut problems).await;
    b.close().await;
    drop(demo);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
