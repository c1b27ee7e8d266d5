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
    assert_eq!(q.answer, Mark::Batsu);
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
