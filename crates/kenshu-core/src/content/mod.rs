//! Course packages: parsed from the files in `content/` (a `course.toml` and Markdown
//! sections, documented in `content/README.md`) and rendered to HTML once, at load time.
//! This module holds a package as stored and served; `package` reads a course folder and
//! `markdown` renders its text.

mod link;
mod markdown;
mod package;
#[cfg(test)]
mod tests;

pub use link::link_sections;
pub use markdown::render_markdown;
pub use package::parse_package;

use serde::{Deserialize, Serialize};

use crate::exam::Mark;

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
    /// 掲載箇所 in words: the portal's course, section and heading that teach the answer.
    pub reference: String,
    /// The sections that teach the answer, shown as links with the 掲載箇所. Empty in versions
    /// loaded before questions named their sections.
    #[serde(default)]
    pub sections: Vec<SectionLink>,
}

/// A section that a question names (`sections = ["clerk/cases-2"]` in `course.toml`). The
/// titles are filled in by [`link_sections`] from the packages loaded together, so that a
/// result page can show the link without reading the other course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionLink {
    pub course: String,
    pub slug: String,
    pub course_title: String,
    pub title: String,
}

impl SectionLink {
    /// The section's page.
    pub fn href(&self) -> String {
        format!("/courses/{}/sections/{}", self.course, self.slug)
    }
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
