//! A test drawn from a question bank, through the portal as a person takes it: each attempt
//! shows five of twelve questions of three kinds (○×, one choice, several choices) in its own
//! order with the choices shuffled, is graded against what it showed with the pass mark as a
//! share, and a retake draws again. Choice texts are the author's and are shown as text.

use std::collections::BTreeSet;

use kenshu_core::content::{CoursePackage, parse_package};
use kenshu_core::person::Role;
use kenshu_tests::{Browser, Scenario, TestApp, repo_root};
use regex::Regex;

/// Loads the fixture folder `name` (a bank version of a shipped course) over the shipped one,
/// and returns its package as the portal stores it.
async fn load_bank(app: &TestApp, name: &str) -> CoursePackage {
    let dir = repo_root().join("tests/fixtures").join(name);
    kenshu_db::content::load_dir(app.pool(), &dir)
        .await
        .expect("the bank loads");
    let folder = std::fs::read_dir(&dir)
        .unwrap()
        .find_map(|e| e.ok().filter(|e| e.path().is_dir()))
        .unwrap()
        .path();
    let code = folder.file_name().unwrap().to_string_lossy().to_string();
    let toml = std::fs::read_to_string(folder.join("course.toml")).unwrap();
    parse_package(&code, &toml, |f| {
        std::fs::read_to_string(folder.join(f)).map_err(|e| e.to_string())
    })
    .unwrap()
    .package
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&amp;", "&")
}

/// One choice as a page shows it: the field's name and value and the text beside it.
#[derive(Debug, Clone)]
struct Shown {
    name: String,
    value: String,
    text: String,
}

fn choices(body: &str) -> Vec<Shown> {
    let re = Regex::new(
        r#"<input type="(?:radio|checkbox)" name="([a-z0-9]+)" value="([^"]+)"[^>]*> ([^<]*)</label>"#,
    )
    .unwrap();
    re.captures_iter(body)
        .map(|c| Shown {
            name: c[1].to_string(),
            value: c[2].to_string(),
            text: unescape(c[3].trim()),
        })
        .collect()
}

/// The question numbers a final-test page asks, in its order.
fn asked(body: &str) -> Vec<u32> {
    let mut numbers: Vec<u32> = Vec::new();
    for c in choices(body) {
        let n: u32 = c.name.trim_start_matches('q').parse().unwrap();
        if !numbers.contains(&n) {
            numbers.push(n);
        }
    }
    numbers
}

/// Whether the choice shown is one of question `n`'s right ones.
fn is_right(package: &CoursePackage, n: u32, shown: &Shown) -> bool {
    let q = package
        .test
        .as_ref()
        .unwrap()
        .question(&n.to_string())
        .unwrap();
    match shown.value.as_str() {
        "o" | "x" => (shown.value == "o") == (q.answer.unwrap().symbol() == "○"),
        _ => {
            q.choices
                .iter()
                .find(|c| c.text == shown.text)
                .unwrap_or_else(|| panic!("question {n} has no choice {:?}", shown.text))
                .correct
        }
    }
}

fn attempt_of(body: &str) -> String {
    Regex::new(r#"name="attempt" value="([0-9a-f-]{36})""#)
        .unwrap()
        .captures(body)
        .unwrap_or_else(|| panic!("no attempt id: {body}"))[1]
        .to_string()
}

/// The fields that answer every question on the page rightly, except those in `wrong`
/// (answered with a wrong choice) and those in `blank` (left unanswered).
fn answers(
    package: &CoursePackage,
    body: &str,
    wrong: &[u32],
    blank: &[u32],
) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for n in asked(body) {
        if blank.contains(&n) {
            continue;
        }
        let these: Vec<Shown> = choices(body)
            .into_iter()
            .filter(|c| c.name == format!("q{n}"))
            .collect();
        let pick: Vec<&Shown> = if wrong.contains(&n) {
            vec![these.iter().find(|c| !is_right(package, n, c)).unwrap()]
        } else {
            these.iter().filter(|c| is_right(package, n, c)).collect()
        };
        fields.extend(pick.into_iter().map(|c| (c.name.clone(), c.value.clone())));
    }
    fields
}

async fn submit(
    b: &mut Browser,
    attempt: &str,
    fields: &[(String, String)],
) -> kenshu_tests::http::Page {
    let mut all: Vec<(&str, &str)> = vec![("attempt", attempt)];
    all.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    b.post("/courses/final-test/test/submit", &all).await
}

/// What the attempt recorded: the question numbers shown, in order, its pass mark and total.
async fn recorded(app: &TestApp, attempt: &str) -> (Vec<u32>, i32, i32) {
    let (shown, pass_mark, total): (serde_json::Value, i32, i32) =
        sqlx::query_as("select shown, pass_mark, total from test_attempts where id = $1::uuid")
            .bind(attempt)
            .fetch_one(app.pool())
            .await
            .unwrap();
    let keys = shown
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap().parse().unwrap())
        .collect();
    (keys, pass_mark, total)
}

#[tokio::test]
async fn each_attempt_draws_five_of_twelve_and_is_graded_by_what_it_showed() {
    let app = TestApp::spawn().await;
    let package = load_bank(&app, "bank").await;
    Scenario::new(app.pool())
        .person("s1", Role::Staff)
        .build()
        .await;
    let mut b = app.signed_in("s1").await;

    let mut draws = BTreeSet::new();
    let mut pages = Vec::new();
    for _ in 0..4 {
        let page = b.get("/courses/final-test/test").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let asked = asked(&page.body);
        assert_eq!(asked.len(), 5, "five questions: {asked:?}");
        assert!(asked.iter().all(|n| (1..=12).contains(n)));
        assert!(
            page.body.contains("全5問です。合格は4問以上"),
            "{}",
            page.body
        );
        // The author's text is text: no markup of theirs reaches the page.
        assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
        assert!(!page.body.contains("<b>規程</b>"), "{}", page.body);
        assert!(
            page.body.contains("&#60;b&#62;規程&#60;/b&#62;"),
            "{}",
            &page.body[page.body.find("qnum").unwrap_or(0)..][..400]
        );
        if asked.iter().any(|n| n % 3 == 0) {
            assert!(
                page.body
                    .contains("&#60;script&#62;alert(1)&#60;/script&#62;を実行する")
            );
        }
        draws.insert(asked.clone());
        pages.push(page.body);
    }
    assert!(draws.len() > 1, "attempts draw differently: {draws:?}");

    // Leaving one unanswered shows the page again, as it was, naming the question by its
    // number on the page.
    let first = &pages[0];
    let attempt = attempt_of(first);
    let shown = asked(first);
    let partial = answers(&package, first, &[], &[shown[2]]);
    let refused = submit(&mut b, &attempt, &partial).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("問3"), "{}", refused.body);
    assert_eq!(
        asked(&refused.body),
        shown,
        "the same questions, in the same order"
    );
    assert_eq!(
        refused.body.matches(" checked>").count(),
        partial.len(),
        "what was picked stays picked"
    );
    // A choice the question did not show is no answer either.
    let mut forged = answers(&package, first, &[], &[shown[0]]);
    forged.push((format!("q{}", shown[0]), "7".into()));
    assert_eq!(submit(&mut b, &attempt, &forged).await.status, 422);

    // Four of five right: 80% passes.
    let sent = submit(
        &mut b,
        &attempt,
        &answers(&package, first, &[shown[1]], &[]),
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let result = b.get(sent.location.as_deref().unwrap()).await;
    assert_eq!(result.status, 200);
    assert!(result.body.contains("4 / 5"), "{}", result.body);
    assert!(result.body.contains("合格"), "{}", result.body);
    for n in &shown {
        assert!(
            result.body.contains(&format!("問題{n}の解説です。")),
            "question {n} explained"
        );
    }
    for n in (1..=12).filter(|n| !shown.contains(n)) {
        assert!(
            !result.body.contains(&format!("問題{n}の解説です。")),
            "question {n} was not asked"
        );
    }
    let (keys, pass_mark, total) = recorded(&app, &attempt).await;
    assert_eq!(keys, shown, "the attempt records what it showed");
    assert_eq!((pass_mark, total), (4, 5));
    let completed: (i32, i32) = sqlx::query_as("select score, total from completions")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(completed, (4, 5));

    // A retake draws again; three of five right is under 80%.
    let retake = b.get("/courses/final-test/test").await;
    let again = asked(&retake.body);
    let sent = submit(
        &mut b,
        &attempt_of(&retake.body),
        &answers(&package, &retake.body, &again[..2], &[]),
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let result = b.get(sent.location.as_deref().unwrap()).await;
    assert!(
        result.body.contains("3 / 5") && result.body.contains("不合格"),
        "{}",
        result.body
    );
}

#[tokio::test]
async fn a_drawn_chapter_test_is_answered_one_question_at_a_time() {
    let app = TestApp::spawn().await;
    let package = load_bank(&app, "bank-chapter").await;
    Scenario::new(app.pool())
        .person("s1", Role::Staff)
        .build()
        .await;
    let mut b = app.signed_in("s1").await;
    let page = b.get("/courses/cybersecurity/test").await;
    let attempt = attempt_of(&page.body);
    let started = b
        .post(
            "/courses/cybersecurity/test/start",
            &[("attempt", &attempt)],
        )
        .await;
    assert_eq!(started.status, 303, "{}", started.body);
    let question_re = Regex::new(r#"name="question" value="(\d+)""#).unwrap();
    let mut answered = Vec::new();
    for round in 0..3 {
        let page = b.get("/courses/cybersecurity/test").await;
        assert_eq!(page.status, 200);
        let n: u32 = question_re
            .captures(&page.body)
            .unwrap_or_else(|| panic!("round {round}: no question to answer: {}", page.body))[1]
            .parse()
            .unwrap();
        let q = package
            .test
            .as_ref()
            .unwrap()
            .question(&n.to_string())
            .unwrap();
        let fields: Vec<(String, String)> = if let Some(mark) = q.answer {
            vec![("answer".into(), mark.form_value().into())]
        } else {
            let form = &page.body[page.body.find("class=\"answer\"").unwrap()..];
            let form = &form[..form.find("</form>").unwrap()];
            choices(form)
                .into_iter()
                .filter(|c| q.choices.iter().any(|w| w.correct && w.text == c.text))
                .map(|c| (c.name, c.value))
                .collect()
        };
        assert!(!fields.is_empty(), "question {n}: {}", page.body);
        if round == 0 {
            // A position the question did not show is refused, and nothing is recorded.
            let bad = b
                .post(
                    "/courses/cybersecurity/test/answer",
                    &[
                        ("attempt", &attempt),
                        ("question", &n.to_string()),
                        ("answer", "6"),
                    ],
                )
                .await;
            assert_eq!(bad.status, 400, "{}", bad.body);
        }
        let n_text = n.to_string();
        let mut all: Vec<(&str, &str)> = vec![("attempt", &attempt), ("question", &n_text)];
        all.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let sent = b.post("/courses/cybersecurity/test/answer", &all).await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let after = b.get("/courses/cybersecurity/test").await;
        assert!(
            after.body.contains(&format!("設問{n}の解説です。")),
            "question {n}'s explanation follows its answer"
        );
        answered.push(n);
    }
    let done = b.get("/courses/cybersecurity/test").await;
    assert!(done.body.contains("3 / 3"), "{}", done.body);
    assert!(done.body.contains("合格"));
    let (keys, pass_mark, _) = recorded(&app, &attempt).await;
    assert_eq!(keys, answered, "asked in the order drawn");
    assert_eq!(pass_mark, 2, "60% of 3, rounded up");
}
