//! Course packages: parsed from the files in `content/` (a `course.toml` and Markdown
//! sections, documented in `content/README.md`) and rendered to HTML once, at load time.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::grading::Mark;

/// How a test is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// 章末テスト: one question at a time, with the answer and explanation after each.
    Chapter,
    /// まとめテスト: every question answered, then submitted and scored at once.
    Final,
}

/// A course as stored and served: Markdown already rendered to HTML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoursePackage {
    pub code: String,
    pub title: String,
    pub title_en: String,
    pub description: String,
    pub position: i32,
    pub requires: Vec<String>,
    pub sections: Vec<Section>,
    pub test: Option<Test>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub slug: String,
    pub title: String,
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Test {
    pub kind: TestKind,
    pub title: String,
    pub pass_mark: u32,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub number: u32,
    pub statement: String,
    pub answer: Mark,
    pub explanation_html: String,
    /// 掲載箇所: where in the material the answer is taught.
    pub reference: String,
}

impl CoursePackage {
    pub fn section(&self, slug: &str) -> Option<(usize, &Section)> {
        self.sections
            .iter()
            .enumerate()
            .find(|(_, s)| s.slug == slug)
    }

    pub fn answer_key(&self) -> Vec<(u32, Mark)> {
        self.test
            .as_ref()
            .map(|t| t.questions.iter().map(|q| (q.number, q.answer)).collect())
            .unwrap_or_default()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseToml {
    code: String,
    title: String,
    title_en: String,
    description: String,
    position: i32,
    #[serde(default)]
    requires: Vec<String>,
    #[serde(default)]
    sections: Vec<SectionToml>,
    test: Option<TestToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SectionToml {
    slug: String,
    title: String,
    file: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestToml {
    kind: TestKind,
    title: String,
    pass_mark: u32,
    questions: Vec<QuestionToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionToml {
    number: u32,
    statement: String,
    answer: Mark,
    explanation: String,
    reference: String,
}

/// What is wrong with a course package, naming the file and the fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContentError {
    #[error("{folder}/course.toml: {message}")]
    Toml { folder: String, message: String },
    #[error("{folder}/course.toml: {message}")]
    Invalid { folder: String, message: String },
    #[error("{folder}/{file}: cannot read: {message}")]
    Read {
        folder: String,
        file: String,
        message: String,
    },
}

/// A parsed package and the SHA-256 of its source files, which decides whether loading it
/// again makes a new version.
#[derive(Debug, Clone)]
pub struct ParsedPackage {
    pub package: CoursePackage,
    pub sha256: String,
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Parses a course folder. `folder` is the folder's name (it must equal the course code);
/// `read_file` returns the text of a file named relative to the folder.
pub fn parse_package(
    folder: &str,
    course_toml: &str,
    mut read_file: impl FnMut(&str) -> Result<String, String>,
) -> Result<ParsedPackage, ContentError> {
    let invalid = |message: String| ContentError::Invalid {
        folder: folder.to_string(),
        message,
    };
    let src: CourseToml = toml::from_str(course_toml).map_err(|e| ContentError::Toml {
        folder: folder.to_string(),
        message: e.to_string(),
    })?;
    if !is_slug(&src.code) || src.code != folder {
        return Err(invalid(format!(
            "code '{}' must equal the folder name '{folder}' and use only a-z, 0-9 and '-'",
            src.code
        )));
    }
    let mut hasher = Sha256::new();
    hasher.update(course_toml.as_bytes());
    let mut sections = Vec::with_capacity(src.sections.len());
    for s in &src.sections {
        if !is_slug(&s.slug) {
            return Err(invalid(format!(
                "section slug '{}' may use only a-z, 0-9 and '-'",
                s.slug
            )));
        }
        if sections.iter().any(|x: &Section| x.slug == s.slug) {
            return Err(invalid(format!(
                "section slug '{}' appears twice; make it unique",
                s.slug
            )));
        }
        if s.file.contains("..") || s.file.starts_with('/') {
            return Err(invalid(format!(
                "section file '{}' must stay inside the course folder",
                s.file
            )));
        }
        let markdown = read_file(&s.file).map_err(|message| ContentError::Read {
            folder: folder.to_string(),
            file: s.file.clone(),
            message,
        })?;
        hasher.update([0u8]);
        hasher.update(markdown.as_bytes());
        sections.push(Section {
            slug: s.slug.clone(),
            title: s.title.clone(),
            html: render_markdown(&markdown),
        });
    }
    let test = match src.test {
        None => None,
        Some(t) => {
            if t.questions.is_empty() {
                return Err(invalid(
                    "[test] has no questions; add [[test.questions]] or remove [test]".into(),
                ));
            }
            for (i, q) in t.questions.iter().enumerate() {
                if q.number != i as u32 + 1 {
                    return Err(invalid(format!(
                        "question numbers must run 1, 2, 3…; question {} is numbered {}",
                        i + 1,
                        q.number
                    )));
                }
            }
            if t.pass_mark == 0 || t.pass_mark as usize > t.questions.len() {
                return Err(invalid(format!(
                    "pass_mark {} must be between 1 and the number of questions ({})",
                    t.pass_mark,
                    t.questions.len()
                )));
            }
            Some(Test {
                kind: t.kind,
                title: t.title,
                pass_mark: t.pass_mark,
                questions: t
                    .questions
                    .into_iter()
                    .map(|q| Question {
                        number: q.number,
                        statement: q.statement.trim().to_string(),
                        answer: q.answer,
                        explanation_html: render_markdown(&q.explanation),
                        reference: q.reference,
                    })
                    .collect(),
            })
        }
    };
    if sections.is_empty() && test.is_none() {
        return Err(invalid(
            "a course needs at least one [[sections]] entry or a [test]".into(),
        ));
    }
    Ok(ParsedPackage {
        package: CoursePackage {
            code: src.code,
            title: src.title,
            title_en: src.title_en,
            description: src.description,
            position: src.position,
            requires: src.requires,
            sections,
            test,
        },
        sha256: hex::encode(hasher.finalize()),
    })
}

/// CommonMark with tables. Raw HTML in the source is shown as text, never passed through, and
/// links and images may only point at http(s), mailto or the portal itself (`javascript:` and
/// `data:` targets become `#`): content is data, and data does not get to run script in a
/// clerk's browser.
pub fn render_markdown(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let parser = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, parser);
    out
}

/// A link target that cannot run script: http(s), mailto, or one without a scheme (a path or
/// a fragment of the portal); anything else becomes `#`.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme = lower
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| !s.contains(['/', '?', '#']));
    match scheme {
        None | Some("http" | "https" | "mailto") => url,
        Some(_) => CowStr::Borrowed("#"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_cannot_run_script() {
        let html = render_markdown(
            "[a](javascript:alert(1)) [b](JavaScript:x) [c](data:text/html,x) ![d](javascript:y) \
             [e](https://www.ppc.go.jp/) [f](/courses/clerk) [g](#part) [h](mailto:a@b.jp)",
        );
        assert!(!html.to_ascii_lowercase().contains("javascript:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        for ok in [
            "https://www.ppc.go.jp/",
            "/courses/clerk",
            "#part",
            "mailto:a@b.jp",
        ] {
            assert!(html.contains(&format!("href=\"{ok}\"")), "{ok}: {html}");
        }
    }

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
}
