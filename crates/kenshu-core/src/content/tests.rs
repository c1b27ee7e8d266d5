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
