//! Course packages: parsed from the files in `content/` (a `course.toml` and Markdown
//! sections, documented in `content/README.md`) and rendered to HTML once, at load time.
//! This module holds a package as stored and served; `package` reads a course folder and
//! `markdown` renders its text.

mod compare;
pub mod image;
mod link;
mod markdown;
mod package;
#[cfg(test)]
mod tests;

pub use compare::{Changes, compare};
pub use image::Media;
pub use link::{link_sections, link_sections_with};
pub use markdown::{render_markdown, render_markdown_with};
pub use package::{is_slug, parse_files, parse_package};

use serde::{Deserialize, Serialize};

use crate::bank::{self, Choice, Kind, Rule, Shown};
use crate::exam::{Mark, Score};

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
    /// The pass mark of an attempt that shows every question; with a draw, the pass mark of
    /// the questions drawn (from `pass_share`).
    pub pass_mark: u32,
    /// How an attempt picks its questions: all of them as written (the shipped tests), or a
    /// draw from the bank.
    #[serde(default, skip_serializing_if = "Rule::is_fixed")]
    pub draw: Rule,
    /// The pass mark as a share (percent) of the questions shown, when the test gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_share: Option<u8>,
    /// The bank: every question the test may show.
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// Its number in the bank, kept across versions: what an attempt's answers record.
    pub number: u32,
    #[serde(default, skip_serializing_if = "Kind::is_true_false")]
    pub kind: Kind,
    /// The topic a draw may ask a number of questions from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    pub statement: String,
    /// A ○× question's right mark (none for a choice question).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Mark>,
    /// A choice question's choices as written, the right ones marked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    pub explanation_html: String,
    /// 掲載箇所 in words: the portal's course, section and heading that teach the answer.
    pub reference: String,
    /// The sections that teach the answer, shown as links with the 掲載箇所. Empty in versions
    /// loaded before questions named their sections.
    #[serde(default)]
    pub sections: Vec<SectionLink>,
}

impl Question {
    /// The key of the question in its bank (and in what an attempt showed).
    pub fn key(&self) -> String {
        self.number.to_string()
    }

    /// The choices as written: ○ and × for a ○× question.
    pub fn written_choices(&self) -> Vec<Choice> {
        match self.kind {
            Kind::TrueFalse => {
                let right = self.answer == Some(Mark::Maru);
                vec![
                    Choice {
                        text: Mark::Maru.symbol().into(),
                        correct: right,
                    },
                    Choice {
                        text: Mark::Batsu.symbol().into(),
                        correct: !right,
                    },
                ]
            }
            Kind::Single | Kind::Multiple => self.choices.clone(),
        }
    }

    /// How many choices it shows (○ and × for a ○× question).
    pub fn choice_count(&self) -> usize {
        match self.kind {
            Kind::TrueFalse => 2,
            Kind::Single | Kind::Multiple => self.choices.len(),
        }
    }

    /// The question as its bank holds it, for drawing and grading.
    pub fn in_bank(&self) -> bank::Question {
        bank::Question {
            key: self.key(),
            topic: self.topic.clone(),
            kind: self.kind,
            statement: self.statement.clone(),
            choices: self.written_choices(),
            explanation: String::new(),
            reference: self.reference.clone(),
            sections: self
                .sections
                .iter()
                .map(|s| format!("{}/{}", s.course, s.slug))
                .collect(),
        }
    }
}

impl Test {
    /// The questions every attempt is drawn from.
    pub fn bank(&self) -> Vec<bank::Question> {
        self.questions.iter().map(Question::in_bank).collect()
    }

    /// Whether every attempt shows every question and each is ○× (the shipped tests).
    pub fn is_fixed_true_false(&self) -> bool {
        self.draw.is_fixed() && self.questions.iter().all(|q| q.kind == Kind::TrueFalse)
    }

    /// How many questions an attempt shows.
    pub fn asks(&self) -> usize {
        self.draw.asks(self.questions.len())
    }

    /// The pass mark of an attempt that showed `shown` questions.
    pub fn pass_mark_of(&self, shown: u32) -> u32 {
        match self.pass_share {
            Some(share) => bank::pass_mark(shown, share),
            None => self.pass_mark,
        }
    }

    /// The question whose key is `key`.
    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.key() == key)
    }

    /// What an attempt seeded with `seed` shows. A loaded test's draw was checked against its
    /// bank, so this fails only for a version stored by hand.
    pub fn draw(&self, seed: u64) -> Result<Vec<Shown>, bank::DrawProblem> {
        if self.draw.is_fixed() {
            return Ok(self.as_written());
        }
        bank::draw(&self.bank(), &self.draw, &mut crate::rng::Rng::seeded(seed))
    }

    /// Every question in order, choices as written: what an attempt at a test without a draw
    /// shows (and what an attempt stored without its draw showed).
    pub fn as_written(&self) -> Vec<Shown> {
        self.questions
            .iter()
            .map(|q| Shown {
                key: q.key(),
                order: (0..q.choice_count()).collect(),
            })
            .collect()
    }

    /// Whether each question shown was answered right ([`bank::marks`]).
    pub fn marks(
        &self,
        shown: &[Shown],
        answers: &[Vec<usize>],
    ) -> Result<Vec<bool>, bank::NotInBank> {
        bank::marks(&self.bank(), shown, answers)
    }

    /// Grades an attempt: `answers[k]` are the positions chosen for the `k`-th question shown.
    pub fn grade(&self, shown: &[Shown], answers: &[Vec<usize>]) -> Result<Score, bank::NotInBank> {
        let mut score = bank::grade(&self.bank(), shown, answers, 100)?;
        score.pass_mark = self.pass_mark_of(score.total);
        Ok(score)
    }
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
}

/// A message in both of the portal's languages: English (the command line, the logs) and
/// Japanese (the pages, which are Japanese first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub en: String,
    pub ja: String,
}

impl Said {
    pub fn new(en: impl Into<String>, ja: impl Into<String>) -> Said {
        Said {
            en: en.into(),
            ja: ja.into(),
        }
    }

    /// The message in `lang`.
    pub fn in_lang(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::Ja => &self.ja,
            crate::i18n::Lang::En => &self.en,
        }
    }
}

impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

/// What is wrong with a course package, naming the file and the fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContentError {
    #[error("{folder}/course.toml: {message}")]
    Toml { folder: String, message: String },
    #[error("{folder}/course.toml: {said}")]
    Invalid { folder: String, said: Said },
    #[error("{folder}/{file}: cannot read: {message}")]
    Read {
        folder: String,
        file: String,
        message: String,
    },
}

impl ContentError {
    /// The message in Japanese, for the pages.
    pub fn ja(&self) -> String {
        match self {
            ContentError::Toml { folder, message } => {
                format!("{folder}/course.toml の書き方に誤りがあります（TOML）: {message}")
            }
            ContentError::Invalid { folder, said } => format!("{folder}/course.toml: {}", said.ja),
            ContentError::Read {
                folder,
                file,
                message,
            } => format!("{folder}/{file} を読めません（{message}）。"),
        }
    }
}

/// A parsed package and the SHA-256 of its source files, which decides whether loading it
/// again makes a new version.
#[derive(Debug, Clone)]
pub struct ParsedPackage {
    pub package: CoursePackage,
    pub sha256: String,
    /// The files it was read from, as written, by path in the course folder: `course.toml`
    /// first, then each section's file. Kept with the version, so that a course can be
    /// exported in this format again and its versions compared.
    pub files: Vec<(String, String)>,
    /// The images its texts show, for the portal to serve.
    pub media: Vec<Media>,
}
