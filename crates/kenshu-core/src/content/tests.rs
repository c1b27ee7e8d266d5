//! Course packages as authors write them: rendered, hashed, and refused with the problem named.

use super::*;

const TOML: &str = r#"
code = "demo"
title = "デモ"
title_en = "Demo"
description = "説明"
position = 1

[[sections]]
slug = "one"
title = "第1節"
file = "one.md"

[test]
kind = "chapter"
title = "章末テスト"
pass_mark = 1

[[test.questions]]
number = 1
statement = "問題"
answer = "×"
explanation = "**解説**"
reference = "第1節"
sections = ["demo/one"]
"#;

fn read(name: &str) -> Result<String, String> {
    match name {
        "one.md" => {
            Ok("## 見出し\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>x</script>\n".into())
        }
        _ => Err("no such file".into()),
    }
}

#[test]
fn a_package_renders_tables_and_escapes_raw_html() {
    let p = parse_package("demo", TOML, read).unwrap();
    let html = &p.package.sections[0].html;
    assert!(html.contains("<h2>見出し</h2>"), "{html}");
    assert!(html.contains("<table>"), "{html}");
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    let q = &p.package.test.as_ref().unwrap().questions[0];
    assert_eq!(q.answer, Some(Mark::Batsu));
    assert!(q.explanation_html.contains("<strong>解説</strong>"));
}

#[test]
fn the_hash_changes_with_any_file() {
    let a = parse_package("demo", TOML, read).unwrap();
    let b = parse_package("demo", TOML, |_| Ok("changed".into())).unwrap();
    assert_ne!(a.sha256, b.sha256);
    assert_eq!(a.sha256, parse_package("demo", TOML, read).unwrap().sha256);
}

#[test]
fn bad_packages_name_the_problem() {
    let e = parse_package("other", TOML, read).unwrap_err();
    assert!(e.to_string().contains("must equal the folder name"), "{e}");
    let e = parse_package(
        "demo",
        &TOML.replace("pass_mark = 1", "pass_mark = 5"),
        read,
    )
    .unwrap_err();
    assert!(e.to_string().contains("pass_mark 5"), "{e}");
    let e = parse_package(
        "demo",
        &TOML.replace("answer = \"×\"", "answer = \"x\""),
        read,
    )
    .unwrap_err();
    assert!(matches!(e, ContentError::Toml { .. }), "{e}");
    let e = parse_package("demo", &TOML.replace("one.md", "missing.md"), read).unwrap_err();
    assert!(e.to_string().contains("missing.md"), "{e}");
}

/// A final test in another folder whose question links to `demo`'s section `slug`.
fn final_linking(slug: &str) -> ParsedPackage {
    let toml = format!(
        "code = \"final\"\ntitle = \"まとめ\"\ntitle_en = \"Final\"\ndescription = \"d\"\nposition = 2\n\
         [test]\nkind = \"final\"\ntitle = \"まとめテスト\"\npass_mark = 1\n\
         [[test.questions]]\nnumber = 1\nstatement = \"s\"\nanswer = \"○\"\nexplanation = \"e\"\n\
         reference = \"デモ 第1節\"\nsections = [\"demo/{slug}\"]\n"
    );
    parse_package("final", &toml, read).unwrap()
}

#[test]
fn linking_copies_the_titles_of_the_sections_a_question_names_from_any_course() {
    let mut packages = [
        parse_package("demo", TOML, read).unwrap(),
        final_linking("one"),
    ];
    link_sections(&mut packages).unwrap();
    for p in &packages {
        let link = &p.package.test.as_ref().unwrap().questions[0].sections[0];
        assert_eq!(
            (link.course_title.as_str(), link.title.as_str()),
            ("デモ", "第1節")
        );
        assert_eq!(link.href(), "/courses/demo/sections/one");
    }
}

#[test]
fn a_retitled_section_changes_the_hash_of_the_packages_that_link_to_it() {
    let linked = |toml: &str| {
        let mut packages = [
            parse_package("demo", toml, read).unwrap(),
            final_linking("one"),
        ];
        link_sections(&mut packages).unwrap();
        packages[1].sha256.clone()
    };
    assert_eq!(linked(TOML), linked(TOML));
    assert_ne!(
        linked(TOML),
        linked(&TOML.replace("title = \"第1節\"", "title = \"第1節 改\""))
    );
}

#[test]
fn a_section_that_does_not_exist_is_refused_naming_the_question_and_the_reference() {
    let mut packages = [
        parse_package("demo", TOML, read).unwrap(),
        final_linking("two"),
    ];
    let e = link_sections(&mut packages).unwrap_err().to_string();
    assert!(
        e.starts_with("final/course.toml: question 1: section 'demo/two' does not exist"),
        "{e}"
    );
    assert!(e.contains("one"), "the sections there are named: {e}");

    let mut alone = [final_linking("one")];
    let e = link_sections(&mut alone).unwrap_err().to_string();
    assert!(
        e.contains("question 1: section 'demo/one' names course 'demo', which is not"),
        "{e}"
    );
}

#[test]
fn a_question_must_name_its_sections_as_course_and_slug() {
    let without = TOML.replace("sections = [\"demo/one\"]\n", "");
    let e = parse_package("demo", &without, read)
        .unwrap_err()
        .to_string();
    assert!(e.contains("question 1 names no section"), "{e}");
    for bad in ["one", "demo/", "Demo/one", "demo/one/two"] {
        let toml = TOML.replace("\"demo/one\"", &format!("\"{bad}\""));
        let e = parse_package("demo", &toml, read).unwrap_err().to_string();
        assert!(
            e.contains(&format!("section '{bad}' must be written")),
            "{e}"
        );
    }
    let twice = TOML.replace("\"demo/one\"", "\"demo/one\", \"demo/one\"");
    let e = parse_package("demo", &twice, read).unwrap_err().to_string();
    assert!(e.contains("named twice"), "{e}");
}

#[test]
fn a_test_title_that_numbers_sections_must_number_the_courses_own() {
    let with = |sections: &str, title: &str| {
        let toml = TOML
            .replace("title = \"第1節\"", &format!("title = \"{sections}\""))
            .replace("title = \"章末テスト\"", &format!("title = \"{title}\""));
        parse_package("demo", &toml, read)
    };
    assert!(with("第1節 概要", "章末テスト（第1節〜第1節）").is_ok());
    assert!(with("第1節 概要", "章末テスト（第1節）").is_ok());
    assert!(
        with("第１節 概要", "章末テスト（第1節）").is_ok(),
        "full-width digits"
    );
    assert!(
        with("概要", "章末テスト").is_ok(),
        "no numbers, nothing to match"
    );
    let e = with("第1節 概要", "章末テスト（第1節〜第3節）").unwrap_err();
    assert!(
        e.to_string()
            .contains("does not match the sections' numbering (第1節〜第1節)"),
        "{e}"
    );
    assert!(with("第1節 概要", "章末テスト（第2節）").is_err());
    let e = with("概要", "章末テスト（第1節）").unwrap_err();
    assert!(e.to_string().contains("no section title has one"), "{e}");
}

#[test]
fn a_my_number_anywhere_in_a_package_is_refused_naming_where() {
    // 123456789018 has a valid check digit; 123456789012 does not.
    let number = "123456789018";
    let toml_with = |from: &str, to: &str| TOML.replacen(from, to, 1);
    let cases = [
        (
            toml_with(
                "description = \"説明\"",
                &format!("description = \"番号{number}\""),
            ),
            "description contains",
        ),
        (
            toml_with(
                "statement = \"問題\"",
                &format!("statement = \"{number} は\""),
            ),
            "question 1 statement contains",
        ),
        (
            toml_with(
                "explanation = \"**解説**\"",
                &format!("explanation = \"例 {number}\""),
            ),
            "question 1 explanation contains",
        ),
        (
            toml_with("title = \"第1節\"", &format!("title = \"第1節 {number}\"")),
            "section 'one' title contains",
        ),
    ];
    for (toml, said) in cases {
        let e = parse_package("demo", &toml, read).unwrap_err().to_string();
        assert!(e.contains(said) && e.contains("My Number"), "{said}: {e}");
    }
    let e = parse_package("demo", TOML, |_| Ok(format!("本文 {number}")))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("one.md contains what looks like a My Number"),
        "{e}"
    );
    let fine = toml_with(
        "description = \"説明\"",
        "description = \"番号123456789012\"",
    );
    assert!(
        parse_package("demo", &fine, read).is_ok(),
        "not a valid check digit"
    );
}

/// A bank of twelve questions on two topics, of the three kinds, drawing five.
fn bank_toml(test: &str) -> String {
    let mut toml = format!(
        "code = \"demo\"\ntitle = \"デモ\"\ntitle_en = \"Demo\"\ndescription = \"d\"\nposition = 1\n\
         [[sections]]\nslug = \"one\"\ntitle = \"第1節\"\nfile = \"one.md\"\n\
         [test]\nkind = \"final\"\ntitle = \"確認テスト\"\n{test}\n"
    );
    for n in 1..=12 {
        let topic = if n <= 6 { "規程" } else { "事例" };
        let kind = match n % 3 {
            0 => "kind = \"true_false\"\nanswer = \"○\"".to_string(),
            1 => "kind = \"single\"\nchoices = [\"甲\", \"乙\", \"丙\"]\nright = [2]".to_string(),
            _ => "kind = \"multiple\"\nchoices = [\"A\", \"B\", \"C\", \"D\"]\nright = [1, 3]"
                .to_string(),
        };
        toml.push_str(&format!(
            "[[test.questions]]\nnumber = {n}\ntopic = \"{topic}\"\nstatement = \"問{n}\"\n{kind}\n\
             explanation = \"e\"\nreference = \"第1節\"\nsections = [\"demo/one\"]\n"
        ));
    }
    toml
}

#[test]
fn a_bank_of_three_kinds_draws_five_and_grades_by_share() {
    let p = parse_package("demo", &bank_toml("draw = 5\npass_share = 80"), read).unwrap();
    let test = p.package.test.unwrap();
    assert_eq!(test.asks(), 5);
    assert_eq!(test.pass_mark, 4, "80% of 5");
    let q2 = test.question("2").unwrap();
    assert_eq!(q2.kind, Kind::Multiple);
    assert_eq!(q2.answer, None);
    let right: Vec<&str> = q2
        .choices
        .iter()
        .filter(|c| c.correct)
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(right, ["A", "C"]);
    assert_eq!(test.question("3").unwrap().written_choices()[0].text, "○");

    let shown = test.draw(7).unwrap();
    assert_eq!(shown.len(), 5);
    assert_ne!(
        shown,
        test.draw(8).unwrap(),
        "another attempt, another draw"
    );
    // Every answer right: the positions on the page of each question's right choices.
    let right_answers: Vec<Vec<usize>> = shown
        .iter()
        .map(|s| {
            let q = test.question(&s.key).unwrap().in_bank();
            (0..s.order.len())
                .filter(|p| q.choices[s.order[*p]].correct)
                .collect()
        })
        .collect();
    let score = test.grade(&shown, &right_answers).unwrap();
    assert_eq!((score.correct, score.total, score.pass_mark), (5, 5, 4));
    let mut two_wrong = right_answers.clone();
    two_wrong[0] = vec![];
    two_wrong[1] = vec![99];
    let score = test.grade(&shown, &two_wrong).unwrap();
    assert_eq!(score.correct, 3);
    assert!(!score.passed(), "3 of 5 is under 80%");

    // Per topic: two on rules, three on cases, every time.
    let p = parse_package(
        "demo",
        &bank_toml(
            "draw = 5\npass_share = 60\nper_topic = [{ topic = \"規程\", count = 2 }, { topic = \"事例\", count = 3 }]",
        ),
        read,
    )
    .unwrap();
    let test = p.package.test.unwrap();
    for seed in 0..50 {
        let shown = test.draw(seed).unwrap();
        let on_rules = shown
            .iter()
            .filter(|s| test.question(&s.key).unwrap().topic.as_deref() == Some("規程"))
            .count();
        assert_eq!(on_rules, 2, "seed {seed}");
    }
}

#[test]
fn a_test_without_a_draw_shows_every_question_as_written_and_keeps_its_pass_mark() {
    let p = parse_package("demo", &bank_toml("pass_mark = 10"), read).unwrap();
    let test = p.package.test.unwrap();
    assert!(test.draw.is_fixed());
    assert_eq!(test.draw(1).unwrap(), test.as_written());
    assert_eq!(test.as_written().len(), 12);
    let all_wrong = vec![vec![]; 12];
    let score = test.grade(&test.as_written(), &all_wrong).unwrap();
    assert_eq!((score.correct, score.pass_mark), (0, 10));
}

#[test]
fn a_stored_package_of_before_the_bank_reads_as_fixed_true_false() {
    let stored = r#"{"kind":"final","title":"まとめテスト","pass_mark":8,"questions":[
        {"number":1,"statement":"s","answer":"○","explanation_html":"<p>e</p>","reference":"r"}]}"#;
    let test: Test = serde_json::from_str(stored).unwrap();
    assert!(test.draw.is_fixed());
    assert_eq!(test.pass_share, None);
    assert_eq!(test.questions[0].kind, Kind::TrueFalse);
    assert!(test.questions[0].written_choices()[0].correct);
    // And writes back as it was: no new fields on a ○× test without a draw.
    let json = serde_json::to_string(&test).unwrap();
    assert!(
        !json.contains("draw") && !json.contains("choices") && !json.contains("kind\":\"true"),
        "{json}"
    );
}

#[test]
fn bad_banks_name_the_question_and_the_fix() {
    let cases = [
        (
            "draw = 13\npass_share = 80",
            "draws 13 questions but the bank has 12",
        ),
        ("draw = 5", "needs pass_share"),
        ("draw = 5\npass_share = 0", "pass_share 0"),
        ("pass_mark = 5\npass_share = 80", "not both"),
        (
            "draw = 5\npass_share = 80\nper_topic = [{ topic = \"規程\", count = 7 }]",
            "add up to 7, not 5",
        ),
        (
            "draw = 7\npass_share = 80\nper_topic = [{ topic = \"規程\", count = 7 }]",
            "7 questions on 規程 but the bank has 6",
        ),
        (
            "pass_mark = 5\nper_topic = [{ topic = \"規程\", count = 2 }]",
            "per_topic needs draw",
        ),
    ];
    for (test, message) in cases {
        let e = parse_package("demo", &bank_toml(test), read).unwrap_err();
        assert!(e.to_string().contains(message), "{test}: {e}");
    }
    let base = bank_toml("pass_mark = 5");
    let question_cases = [
        (
            "right = [2]",
            "right = [4]",
            "right = 4 is not one of its choices",
        ),
        (
            "right = [2]",
            "right = [1, 2]",
            "question 1: mark exactly one choice as right (it has 2)",
        ),
        (
            "right = [1, 3]",
            "right = [1, 2, 3, 4]",
            "question 2: mark at least one choice as right and leave at least one wrong",
        ),
        (
            "choices = [\"甲\", \"乙\", \"丙\"]",
            "choices = [\"甲\", \"乙\"]",
            "question 1: give between 3 and 5 choices (it has 2)",
        ),
        (
            "choices = [\"甲\", \"乙\", \"丙\"]",
            "choices = [\"甲\", \"甲\", \"丙\"]",
            "question 1: choice 2 is empty or the same as another",
        ),
        (
            "answer = \"○\"",
            "right = [1]",
            "question 3: a ○× question needs answer",
        ),
        (
            "right = [2]",
            "right = [2]\nanswer = \"○\"",
            "question 1: a choice question marks its right choices",
        ),
        (
            "choices = [\"甲\", \"乙\", \"丙\"]",
            "choices = [\"甲\", \"乙\", \"123456789018\"]",
            "question 1 choice 3 contains what looks like a My Number",
        ),
        ("number = 2\n", "number = 1\n", "question numbers must rise"),
    ];
    for (from, to, message) in question_cases {
        let toml = base.replacen(from, to, 1);
        assert_ne!(toml, base, "{from}");
        let e = parse_package("demo", &toml, read).unwrap_err();
        assert!(e.to_string().contains(message), "{to}: {e}");
    }
    // The pages say the same in Japanese, naming the question the same way.
    let japanese = [
        (
            "right = [2]",
            "right = [4]",
            "問1: 正解 4 は選択肢（1〜3）にありません。",
        ),
        (
            "right = [2]",
            "right = [1, 2]",
            "問1: 単一選択では正解をちょうど一つ選んでください（いまは2個）。",
        ),
        (
            "choices = [\"甲\", \"乙\", \"丙\"]",
            "choices = [\"甲\", \"乙\"]",
            "問1: 選択肢は3〜5個にしてください（いまは2個）。",
        ),
        (
            "choices = [\"甲\", \"乙\", \"丙\"]",
            "choices = [\"甲\", \"乙\", \"123456789018\"]",
            "問1の選択肢3にマイナンバーと思われる数字",
        ),
        (
            "pass_mark = 5",
            "draw = 13\npass_share = 80",
            "問題バンクには12問しかありません",
        ),
    ];
    for (from, to, message) in japanese {
        let e = parse_package("demo", &base.replacen(from, to, 1), read).unwrap_err();
        assert!(e.ja().contains(message), "{to}: {}", e.ja());
        assert!(e.ja().starts_with("demo/course.toml: "), "{}", e.ja());
    }
}

#[test]
fn comparing_versions_names_the_sections_and_questions_that_changed() {
    let old = parse_package("demo", &bank_toml("pass_mark = 10"), read)
        .unwrap()
        .package;
    assert!(compare(&old, &old).is_empty());
    let edited = bank_toml("pass_mark = 10")
        .replace("statement = \"問2\"", "statement = \"問2（改）\"")
        .replace(
            "[[test.questions]]\nnumber = 12",
            "[[test.questions]]\nnumber = 13",
        );
    let new = parse_package("demo", &edited, |f| read(f).map(|t| format!("{t}\n追記")))
        .unwrap()
        .package;
    let c = compare(&old, &new);
    assert_eq!(c.questions_changed, [2]);
    assert_eq!(c.questions_added, [13]);
    assert_eq!(c.questions_removed, [12]);
    assert_eq!(c.sections_changed, ["第1節"]);
    assert!(!c.course && c.sections_added.is_empty());
}
