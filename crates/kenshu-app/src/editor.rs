//! The course editor: the changes a chief officer (or the portal administrator) makes in the
//! browser, applied to a draft's files in the `content/` format. Each change rewrites
//! `course.toml` or a section's Markdown and the whole draft is checked again as an upload is
//! ([`crate::package::upload_draft`]): a change that breaks the course is refused with the
//! reason and nothing is saved. The rewritten `course.toml` keeps every value, not the author's
//! comments or layout.

use kenshu_core::content::{Said, image};
use toml::{Table, Value};

use crate::package::{PackageError, Upload};

/// The course's own fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CourseFields {
    pub title: String,
    pub title_en: String,
    pub description: String,
}

/// A section as the editor shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionFields {
    pub slug: String,
    pub title: String,
    pub markdown: String,
}

/// The test's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestFields {
    pub title: String,
    /// `chapter` (one question at a time) or `final` (all at once).
    pub kind: String,
    /// How many questions an attempt draws; `None`: every question, as written.
    pub draw: Option<usize>,
    /// The share right to pass, in percent.
    pub pass_share: Option<u8>,
    /// The number right to pass, for a test that shows every question and gives no share.
    pub pass_mark: Option<u32>,
    /// How many of the drawn questions each topic gives, as `(topic, count)`.
    pub per_topic: Vec<(String, usize)>,
}

/// A question as the editor shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuestionFields {
    pub number: Option<u32>,
    /// `true_false`, `single` or `multiple`.
    pub kind: String,
    pub topic: String,
    pub statement: String,
    /// A ○× question's right mark, "○" or "×".
    pub answer: String,
    /// The choices, blank ones left out when saved.
    pub choices: Vec<String>,
    /// The right choices, numbered from 1 among `choices` as given.
    pub right: Vec<usize>,
    pub explanation: String,
    pub reference: String,
    /// The sections that teach the answer, `<course>/<slug>`.
    pub sections: Vec<String>,
}

/// The most choices a question may have.
pub const MAX_CHOICES: usize = 5;

fn invalid(folder: &str, said: Said) -> PackageError {
    PackageError::Content(kenshu_core::content::ContentError::Invalid {
        folder: folder.to_string(),
        said,
    })
}

fn text(t: &Table, key: &str) -> String {
    t.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Sets a text value, or removes the key when the text is blank.
fn set_text(t: &mut Table, key: &str, value: &str) {
    let value = value.trim();
    if value.is_empty() {
        t.remove(key);
    } else {
        t.insert(key.into(), Value::String(value.to_string()));
    }
}

/// Takes an array out of a table (an empty one when it has none), to be put back.
fn take_array(t: &mut Table, key: &str) -> Vec<Value> {
    match t.remove(key) {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    }
}

/// Line endings as browsers send them (CRLF) become the files' (LF).
fn lf(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// A draft's files, with course.toml readable as a table.
#[derive(Debug, Clone)]
pub struct Draft {
    pub code: String,
    pub files: Vec<(String, String)>,
    pub table: Table,
}

impl Draft {
    pub fn read(code: &str, files: Vec<(String, String)>) -> Result<Draft, PackageError> {
        let toml = files
            .iter()
            .find(|(p, _)| p == "course.toml")
            .map(|(_, t)| t.as_str())
            .ok_or(PackageError::Empty)?;
        let table: Table = toml::from_str(toml).map_err(|e| {
            invalid(
                code,
                Said::new(e.to_string(), format!("course.toml を読めません: {e}")),
            )
        })?;
        Ok(Draft {
            code: code.to_string(),
            files,
            table,
        })
    }

    /// The draft's files with course.toml written from the table, as an upload to check.
    pub fn upload(mut self) -> Result<Upload, PackageError> {
        let toml = toml::to_string(&self.table).map_err(|e| {
            invalid(
                &self.code,
                Said::new(e.to_string(), format!("course.toml を書けません: {e}")),
            )
        })?;
        for (path, text) in &mut self.files {
            if path == "course.toml" {
                *text = toml;
                break;
            }
        }
        Ok(Upload {
            folder: self.code,
            files: self.files,
        })
    }

    fn file(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.as_str())
    }

    fn put_file(&mut self, path: &str, text: String) {
        match self.files.iter_mut().find(|(p, _)| p == path) {
            Some((_, t)) => *t = text,
            None => self.files.push((path.to_string(), text)),
        }
    }

    pub fn course(&self) -> CourseFields {
        CourseFields {
            title: text(&self.table, "title"),
            title_en: text(&self.table, "title_en"),
            description: text(&self.table, "description"),
        }
    }

    pub fn set_course(&mut self, f: &CourseFields) {
        let title = f.title.trim();
        self.table
            .insert("title".into(), Value::String(title.into()));
        // The English title is required by the format; the Japanese one stands in.
        let en = match f.title_en.trim() {
            "" => title,
            en => en,
        };
        self.table
            .insert("title_en".into(), Value::String(en.into()));
        self.table.insert(
            "description".into(),
            Value::String(lf(f.description.trim())),
        );
    }

    fn section_tables(&self) -> impl Iterator<Item = &Table> {
        self.table
            .get("sections")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_table)
    }

    /// The sections, in order, with their Markdown.
    pub fn sections(&self) -> Vec<SectionFields> {
        self.section_tables()
            .map(|s| SectionFields {
                slug: text(s, "slug"),
                title: text(s, "title"),
                markdown: self.file(&text(s, "file")).unwrap_or_default().to_string(),
            })
            .collect()
    }

    pub fn section(&self, slug: &str) -> Option<SectionFields> {
        self.sections().into_iter().find(|s| s.slug == slug)
    }

    /// Changes the list of sections.
    fn with_sections<R>(&mut self, change: impl FnOnce(&mut Vec<Value>) -> R) -> R {
        let mut list = take_array(&mut self.table, "sections");
        let r = change(&mut list);
        self.table.insert("sections".into(), Value::Array(list));
        r
    }

    /// Adds a section at the end, titled as given, with a first line to replace; its slug.
    pub fn add_section(&mut self, title: &str) -> String {
        let taken: Vec<String> = self.sections().into_iter().map(|s| s.slug).collect();
        let n = taken.len() + 1;
        let slug = (n..)
            .map(|i| format!("section-{i}"))
            .find(|s| !taken.contains(s))
            .unwrap_or_default();
        let file = format!("sections/{n:02}-{slug}.md");
        let mut t = Table::new();
        t.insert("slug".into(), Value::String(slug.clone()));
        t.insert("title".into(), Value::String(title.trim().to_string()));
        t.insert("file".into(), Value::String(file.clone()));
        self.with_sections(|list| list.push(Value::Table(t)));
        self.put_file(&file, format!("## {}\n\n", title.trim()));
        slug
    }

    /// Sets a section's title and Markdown, with an image uploaded with it: kept as
    /// `images/<name>` and, unless the text already shows it, shown at the end of the text.
    pub fn set_section(
        &mut self,
        slug: &str,
        title: &str,
        markdown: &str,
        image: Option<(&str, Vec<u8>)>,
    ) -> Result<(), PackageError> {
        let code = self.code.clone();
        let mut markdown = lf(markdown);
        if let Some((name, bytes)) = image {
            let media = image::check_image(name, bytes).map_err(|e| invalid(&code, e))?;
            let path = self.image_path(name, &media);
            let shown = format!("]({path})");
            if !markdown.contains(&shown) {
                let alt = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
                let alt = alt.replace(['[', ']'], "");
                markdown = format!("{}\n\n![{alt}]({path})\n", markdown.trim_end());
            }
            self.put_file(&path, image::encode(&media.bytes));
        }
        let file = self.with_sections(|list| {
            let entry = list
                .iter_mut()
                .filter_map(Value::as_table_mut)
                .find(|s| s.get("slug").and_then(Value::as_str) == Some(slug))?;
            entry.insert("title".into(), Value::String(title.trim().to_string()));
            Some(text(entry, "file"))
        });
        let Some(file) = file else {
            return Err(invalid(
                &code,
                Said::new(
                    format!("there is no section '{slug}'"),
                    format!("節 '{slug}' はありません。"),
                ),
            ));
        };
        self.put_file(&file, markdown);
        Ok(())
    }

    /// Where an uploaded image is kept: `images/<name>` from the file's name in a-z, 0-9, '-'
    /// and '_', with the extension of what it is, numbered when another image has the name.
    fn image_path(&self, name: &str, media: &image::Media) -> String {
        let ext = match media.media_type {
            "image/jpeg" => "jpg",
            "image/gif" => "gif",
            "image/webp" => "webp",
            _ => "png",
        };
        let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        let mut clean: String = stem
            .to_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect::<String>()
            .trim_matches('-')
            .chars()
            .take(48)
            .collect();
        if clean.is_empty() {
            clean = "image".into();
        }
        let same = |path: &str| {
            self.file(path)
                .and_then(|t| image::decode(path, t).ok())
                .is_none_or(|m| m.sha256 == media.sha256)
        };
        (1..)
            .map(|i| match i {
                1 => format!("images/{clean}.{ext}"),
                i => format!("images/{clean}-{i}.{ext}"),
            })
            .find(|p| same(p))
            .unwrap_or_default()
    }

    /// Removes a section and its file.
    pub fn remove_section(&mut self, slug: &str) -> bool {
        let removed = self.with_sections(|list| {
            let i = list
                .iter()
                .position(|s| s.get("slug").and_then(Value::as_str) == Some(slug))?;
            Some(list.remove(i))
        });
        let Some(removed) = removed else {
            return false;
        };
        if let Some(file) = removed.get("file").and_then(Value::as_str) {
            self.files.retain(|(p, _)| p != file);
        }
        true
    }

    fn test_table(&self) -> Option<&Table> {
        self.table.get("test").and_then(Value::as_table)
    }

    /// Changes the test. A course without one gets one when its first question is written:
    /// all questions at once, 80% to pass.
    fn with_test<R>(&mut self, change: impl FnOnce(&mut Table) -> R) -> R {
        let mut t = match self.table.remove("test") {
            Some(Value::Table(t)) => t,
            _ => {
                let mut t = Table::new();
                t.insert("kind".into(), Value::String("final".into()));
                t.insert("title".into(), Value::String("確認テスト".into()));
                t.insert("pass_share".into(), Value::Integer(80));
                t
            }
        };
        let r = change(&mut t);
        self.table.insert("test".into(), Value::Table(t));
        r
    }

    pub fn test(&self) -> Option<TestFields> {
        let t = self.test_table()?;
        let int = |key: &str| t.get(key).and_then(Value::as_integer);
        Some(TestFields {
            title: text(t, "title"),
            kind: text(t, "kind"),
            draw: int("draw").and_then(|n| usize::try_from(n).ok()),
            pass_share: int("pass_share").and_then(|n| u8::try_from(n).ok()),
            pass_mark: int("pass_mark").and_then(|n| u32::try_from(n).ok()),
            per_topic: t
                .get("per_topic")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    let topic = p.get("topic")?.as_str()?.to_string();
                    let count = usize::try_from(p.get("count")?.as_integer()?).ok()?;
                    Some((topic, count))
                })
                .collect(),
        })
    }

    /// Sets the test's settings. A share replaces a pass mark; a test without a share keeps
    /// its pass mark.
    pub fn set_test(&mut self, f: &TestFields) {
        self.with_test(|t| set_test_fields(t, f));
    }

    fn question_tables(&self) -> impl Iterator<Item = &Table> {
        self.test_table()
            .and_then(|t| t.get("questions"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_table)
    }

    /// The bank's questions, in order.
    pub fn questions(&self) -> Vec<QuestionFields> {
        self.question_tables().map(question_fields).collect()
    }

    pub fn question(&self, number: u32) -> Option<QuestionFields> {
        self.questions()
            .into_iter()
            .find(|q| q.number == Some(number))
    }

    /// Writes a question: a new one (no number) gets the number after the highest in the
    /// draft and in the published versions (`published`), so that the number of a question
    /// people have answered is never given to another. Its number.
    pub fn set_question(&mut self, f: &QuestionFields, published: u32) -> u32 {
        let number = f.number.unwrap_or_else(|| {
            self.questions()
                .iter()
                .filter_map(|q| q.number)
                .max()
                .unwrap_or(0)
                .max(published)
                + 1
        });
        let mut q = Table::new();
        q.insert("number".into(), Value::Integer(number.into()));
        q.insert("kind".into(), Value::String(f.kind.clone()));
        set_text(&mut q, "topic", &f.topic);
        q.insert("statement".into(), Value::String(lf(f.statement.trim())));
        if f.kind == "true_false" {
            set_text(&mut q, "answer", &f.answer);
        } else {
            // Blank choices are left out; the right ones keep pointing at theirs.
            let mut choices = Vec::new();
            let mut right = Vec::new();
            for (i, c) in f.choices.iter().enumerate() {
                if c.trim().is_empty() {
                    continue;
                }
                choices.push(Value::String(c.trim().to_string()));
                if f.right.contains(&(i + 1)) {
                    right.push(Value::Integer(choices.len() as i64));
                }
            }
            q.insert("choices".into(), Value::Array(choices));
            q.insert("right".into(), Value::Array(right));
        }
        q.insert(
            "explanation".into(),
            Value::String(lf(f.explanation.trim())),
        );
        q.insert(
            "reference".into(),
            Value::String(f.reference.trim().to_string()),
        );
        q.insert(
            "sections".into(),
            Value::Array(f.sections.iter().cloned().map(Value::String).collect()),
        );
        self.with_test(|test| {
            let mut list = take_array(test, "questions");
            let at = |v: &Value| v.get("number").and_then(Value::as_integer);
            match list.iter().position(|v| at(v) == Some(number.into())) {
                Some(i) => list[i] = Value::Table(q),
                None => {
                    // Numbers rise through the bank.
                    let i = list
                        .iter()
                        .position(|v| at(v).is_some_and(|n| n > number.into()))
                        .unwrap_or(list.len());
                    list.insert(i, Value::Table(q));
                }
            }
            test.insert("questions".into(), Value::Array(list));
        });
        number
    }

    /// Removes a question (its number is not reused); the test goes with its last question.
    pub fn remove_question(&mut self, number: u32) -> bool {
        let Some(list) = self
            .table
            .get_mut("test")
            .and_then(|t| t.get_mut("questions"))
            .and_then(Value::as_array_mut)
        else {
            return false;
        };
        let before = list.len();
        list.retain(|v| v.get("number").and_then(Value::as_integer) != Some(number.into()));
        let removed = list.len() < before;
        if list.is_empty() {
            self.table.remove("test");
        }
        removed
    }
}

fn set_test_fields(t: &mut Table, f: &TestFields) {
    set_text(t, "title", &f.title);
    set_text(t, "kind", &f.kind);
    match f.draw {
        Some(n) => t.insert("draw".into(), Value::Integer(n as i64)),
        None => t.remove("draw"),
    };
    if let Some(share) = f.pass_share {
        t.insert("pass_share".into(), Value::Integer(share.into()));
        t.remove("pass_mark");
    } else if let Some(mark) = f.pass_mark {
        t.insert("pass_mark".into(), Value::Integer(mark.into()));
        t.remove("pass_share");
    }
    if f.per_topic.is_empty() {
        t.remove("per_topic");
    } else {
        let topics = f
            .per_topic
            .iter()
            .map(|(topic, count)| {
                let mut p = Table::new();
                p.insert("topic".into(), Value::String(topic.clone()));
                p.insert("count".into(), Value::Integer(*count as i64));
                Value::Table(p)
            })
            .collect();
        t.insert("per_topic".into(), Value::Array(topics));
    }
}

fn question_fields(t: &Table) -> QuestionFields {
    let kind = match text(t, "kind") {
        k if k.is_empty() => "true_false".to_string(),
        k => k,
    };
    let list = |key: &str| -> Vec<Value> {
        t.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    QuestionFields {
        number: t
            .get("number")
            .and_then(Value::as_integer)
            .and_then(|n| u32::try_from(n).ok()),
        kind,
        topic: text(t, "topic"),
        statement: text(t, "statement"),
        answer: text(t, "answer"),
        choices: list("choices")
            .iter()
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect(),
        right: list("right")
            .iter()
            .filter_map(|r| r.as_integer().and_then(|n| usize::try_from(n).ok()))
            .collect(),
        explanation: text(t, "explanation"),
        reference: text(t, "reference"),
        sections: list("sections")
            .iter()
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect(),
    }
}

/// A new course's files: its fields, one section and nothing else.
pub fn new_course(code: &str, f: &CourseFields, first_section: &str) -> Draft {
    let mut table = Table::new();
    table.insert("code".into(), Value::String(code.to_string()));
    table.insert("position".into(), Value::Integer(100));
    let mut draft = Draft {
        code: code.to_string(),
        files: vec![("course.toml".into(), String::new())],
        table,
    };
    draft.set_course(f);
    draft.add_section(first_section);
    draft
}

#[cfg(test)]
mod tests {
    use super::*;
    use kenshu_core::content::parse_files;

    fn course() -> Draft {
        new_course(
            "own-rules",
            &CourseFields {
                title: "取扱規程".into(),
                title_en: String::new(),
                description: "説明".into(),
            },
            "第1節 規程の要点",
        )
    }

    fn parsed(d: Draft) -> kenshu_core::content::ParsedPackage {
        let up = d.upload().unwrap();
        parse_files(&up.folder, &up.files).unwrap_or_else(|e| panic!("{e}"))
    }

    fn question(n: Option<u32>, kind: &str) -> QuestionFields {
        QuestionFields {
            number: n,
            kind: kind.into(),
            topic: "規程".into(),
            statement: "問い".into(),
            answer: "○".into(),
            choices: vec!["a".into(), "".into(), "b".into(), "c".into()],
            right: vec![3],
            explanation: "解説".into(),
            reference: "第1節".into(),
            sections: vec!["own-rules/section-1".into()],
        }
    }

    #[test]
    fn a_course_written_in_the_editor_is_a_package_that_loads() {
        let mut d = course();
        let slug = d.add_section("第2節 相談窓口");
        assert_eq!(slug, "section-2");
        d.set_section(
            &slug,
            "第2節 相談窓口",
            "## 窓口\r\n\r\n内線 1234\r\n",
            None,
        )
        .unwrap();
        assert_eq!(d.set_question(&question(None, "true_false"), 0), 1);
        assert_eq!(d.set_question(&question(None, "single"), 0), 2);
        let p = parsed(d);
        assert_eq!(
            p.package.title_en, "取扱規程",
            "the Japanese title stands in"
        );
        assert_eq!(p.package.sections.len(), 2);
        assert!(p.package.sections[1].html.contains("内線 1234"));
        assert!(!p.files[2].1.contains('\r'), "{:?}", p.files[2]);
        let test = p.package.test.unwrap();
        assert_eq!(test.pass_mark, 2, "80% of 2, rounded up");
        let single = &test.questions[1];
        assert_eq!(single.choices.len(), 3, "the blank choice is left out");
        assert!(single.choices[1].correct, "b stays the right one");
        assert_eq!(single.choices[1].text, "b");
    }

    #[test]
    fn questions_keep_their_numbers_and_a_removed_number_is_not_reused() {
        let mut d = course();
        for _ in 0..3 {
            d.set_question(&question(None, "true_false"), 0);
        }
        assert!(d.remove_question(3));
        assert!(d.remove_question(1));
        let mut edited = question(Some(2), "true_false");
        edited.statement = "改めた問い".into();
        assert_eq!(d.set_question(&edited, 3), 2);
        assert_eq!(
            d.set_question(&question(None, "true_false"), 3),
            4,
            "3 was published: people's answers name it"
        );
        let numbers: Vec<_> = d.questions().iter().map(|q| q.number).collect();
        assert_eq!(numbers, [Some(2), Some(4)]);
        assert_eq!(d.question(2).unwrap().statement, "改めた問い");
        assert!(d.remove_question(2) && d.remove_question(4));
        assert!(d.test().is_none(), "the test goes with its last question");
        parsed(d);
    }

    #[test]
    fn a_section_image_is_kept_named_and_shown_from_the_portal() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-one".to_vec();
        let other = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-two".to_vec();
        let mut d = course();
        d.set_section(
            "section-1",
            "第1節 規程の要点",
            "本文",
            Some(("画面 1.PNG", png.clone())),
        )
        .unwrap();
        d.set_section(
            "section-1",
            "第1節 規程の要点",
            &d.section("section-1").unwrap().markdown,
            Some(("x.png", other)),
        )
        .unwrap();
        let md = d.section("section-1").unwrap().markdown;
        assert!(md.contains("![画面 1](images/1.png)"), "{md}");
        assert!(md.contains("![x](images/x.png)"), "{md}");
        let p = parsed(d);
        assert_eq!(p.media.len(), 2);
        assert!(
            p.package.sections[0]
                .html
                .contains(&format!("src=\"{}\"", p.media[0].url())),
            "{}",
            p.package.sections[0].html
        );
        let mut d = course();
        let e = d
            .set_section("section-1", "t", "x", Some(("a.png", b"<svg>".to_vec())))
            .unwrap_err();
        assert!(e.to_string().contains("a.png is not a PNG"), "{e}");
    }

    /// The shipped example course (`content/packages/system-admin`), written again through the
    /// editor from its pieces, is the same course: the editor can write what the format holds.
    #[test]
    fn the_example_course_is_what_the_editor_writes() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../content/packages/system-admin");
        let toml = std::fs::read_to_string(dir.join("course.toml")).unwrap();
        let shipped = kenshu_core::content::parse_package("system-admin", &toml, |f| {
            std::fs::read_to_string(dir.join(f)).map_err(|e| e.to_string())
        })
        .unwrap();
        let source = Draft::read("system-admin", shipped.files.clone()).unwrap();

        let mut d = new_course("system-admin", &source.course(), "仮の節");
        d.remove_section("section-1");
        for s in source.sections() {
            let slug = d.add_section(&s.title);
            d.set_section(&slug, &s.title, &s.markdown, None).unwrap();
        }
        // The editor names sections section-1, section-2; the author ticks them by title.
        let slugs: Vec<(String, String)> = source
            .sections()
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    format!("system-admin/{}", s.slug),
                    format!("system-admin/section-{}", i + 1),
                )
            })
            .collect();
        let renamed = |r: &str| {
            slugs
                .iter()
                .find(|(from, _)| from == r)
                .map_or(r.to_string(), |(_, to)| to.clone())
        };
        for mut q in source.questions() {
            q.sections = q.sections.iter().map(|r| renamed(r)).collect();
            d.set_question(&q, 0);
        }
        d.set_test(&source.test().unwrap());
        // The position among the courses is the shipped file's; the editor gives new ones 100.
        d.table.insert("position".into(), Value::Integer(5));
        let written = parsed(d);

        // Apart from the sections' names, everything staff see is the same.
        let mut expected = shipped.package.clone();
        for (i, s) in expected.sections.iter_mut().enumerate() {
            s.slug = format!("section-{}", i + 1);
        }
        for q in expected
            .test
            .iter_mut()
            .flat_map(|t| t.questions.iter_mut())
        {
            for link in &mut q.sections {
                let to = renamed(&format!("{}/{}", link.course, link.slug));
                link.slug = to.rsplit('/').next().unwrap_or_default().to_string();
            }
        }
        let got = written.package.clone();
        assert_eq!(got.sections, expected.sections);
        assert_eq!(got.test, expected.test);
        assert_eq!(
            (got.title, got.title_en, got.description, got.position),
            (
                expected.title,
                expected.title_en,
                expected.description,
                expected.position
            )
        );
    }
}
