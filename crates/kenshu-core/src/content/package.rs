//! Reading a course folder: its `course.toml` checked field by field, its sections read and
//! rendered, and the hash of its source files.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{
    ContentError, CoursePackage, ParsedPackage, Question, Section, SectionLink, Test, TestKind,
    render_markdown,
};
use crate::exam::Mark;

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
    /// The sections that teach the answer, as `"<course>/<slug>"`.
    #[serde(default)]
    sections: Vec<String>,
}

/// A question's `sections`, checked for form: one or more `"<course>/<slug>"`, none twice.
/// Whether each section exists is checked by [`super::link_sections`], which sees every
/// package loaded together.
fn section_refs(number: u32, refs: &[String]) -> Result<Vec<SectionLink>, String> {
    if refs.is_empty() {
        return Err(format!(
            "question {number} names no section; add the sections that teach it, e.g. \
             sections = [\"clerk/cases-2\"]"
        ));
    }
    let mut links: Vec<SectionLink> = Vec::with_capacity(refs.len());
    for r in refs {
        let Some((course, slug)) = r.split_once('/').filter(|(c, s)| is_slug(c) && is_slug(s))
        else {
            return Err(format!(
                "question {number}: section '{r}' must be written '<course>/<slug>', e.g. \
                 'clerk/cases-2'"
            ));
        };
        if links.iter().any(|l| l.course == course && l.slug == slug) {
            return Err(format!("question {number}: section '{r}' is named twice"));
        }
        links.push(SectionLink {
            course: course.to_string(),
            slug: slug.to_string(),
            course_title: String::new(),
            title: String::new(),
        });
    }
    Ok(links)
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
            let mut links = Vec::with_capacity(t.questions.len());
            for q in &t.questions {
                links.push(section_refs(q.number, &q.sections).map_err(invalid)?);
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
                    .zip(links)
                    .map(|(q, sections)| Question {
                        number: q.number,
                        statement: q.statement.trim().to_string(),
                        answer: q.answer,
                        explanation_html: render_markdown(&q.explanation),
                        reference: q.reference,
                        sections,
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
