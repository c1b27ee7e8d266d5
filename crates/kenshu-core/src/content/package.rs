//! Reading a course folder: its `course.toml` checked field by field, its sections read and
//! rendered, and the hash of its source files.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::image::{self, Media};
use super::{
    ContentError, CoursePackage, ParsedPackage, Question, Said, Section, SectionLink, Test,
    TestKind, render_markdown_with,
};
use crate::bank::{Choice, Kind, Rule};
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
    /// The number right to pass, for a test that shows every question.
    pass_mark: Option<u32>,
    /// The share (percent) right to pass, of the questions shown; required with `draw`.
    pass_share: Option<u8>,
    /// How many questions each attempt draws from the bank (none: every question, in order).
    draw: Option<usize>,
    /// How many of the drawn questions come from each topic (they add up to `draw`).
    #[serde(default)]
    per_topic: Vec<TopicToml>,
    questions: Vec<QuestionToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicToml {
    topic: String,
    count: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionToml {
    number: u32,
    #[serde(default)]
    kind: Kind,
    topic: Option<String>,
    statement: String,
    /// A ○× question's right mark.
    answer: Option<Mark>,
    /// A choice question's choices, 3 to 5.
    #[serde(default)]
    choices: Vec<String>,
    /// The right choices, numbered from 1.
    #[serde(default)]
    right: Vec<usize>,
    explanation: String,
    reference: String,
    /// The sections that teach the answer, as `"<course>/<slug>"`.
    #[serde(default)]
    sections: Vec<String>,
}

/// A question's `sections`, checked for form: one or more `"<course>/<slug>"`, none twice.
/// Whether each section exists is checked by [`super::link_sections`], which sees every
/// package loaded together.
fn section_refs(number: u32, refs: &[String]) -> Result<Vec<SectionLink>, Said> {
    if refs.is_empty() {
        return Err(Said::new(
            format!(
                "question {number} names no section; add the sections that teach it, e.g. \
                 sections = [\"clerk/cases-2\"]"
            ),
            format!(
                "問{number}: 解答を教えている節がありません。節を選んでください\
                 （course.toml では sections = [\"clerk/cases-2\"] のように書きます）。"
            ),
        ));
    }
    let mut links: Vec<SectionLink> = Vec::with_capacity(refs.len());
    for r in refs {
        let Some((course, slug)) = r.split_once('/').filter(|(c, s)| is_slug(c) && is_slug(s))
        else {
            return Err(Said::new(
                format!(
                    "question {number}: section '{r}' must be written '<course>/<slug>', e.g. \
                     'clerk/cases-2'"
                ),
                format!(
                    "問{number}: 節 '{r}' は「研修の記号/節の記号」の形で書いてください（例: 'clerk/cases-2'）。"
                ),
            ));
        };
        if links.iter().any(|l| l.course == course && l.slug == slug) {
            return Err(Said::new(
                format!("question {number}: section '{r}' is named twice"),
                format!("問{number}: 節 '{r}' が二度挙げられています。"),
            ));
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

/// A course code or section slug: 1 to 64 of a-z, 0-9 and '-'.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Parses a course folder. `folder` is the folder's name (it must equal the course code);
/// `read_file` returns the text of a file named relative to the folder.
/// Refuses a text that holds what looks like a My Number (12 digits with a valid check
/// digit): course content is shown to every member of staff and kept in every version, and the
/// portal stores no My Number anywhere. `at` names where in English and Japanese, e.g.
/// `question 3 explanation`, `問3の解説`.
fn no_my_number(at: (&str, &str), text: &str) -> Result<(), Said> {
    if crate::my_number::contains_my_number(text) {
        let (en, ja) = at;
        return Err(Said::new(
            format!(
                "{en} contains what looks like a My Number (12 digits with a valid check digit); \
                 the portal stores none: remove it or write an example such as 1234 5678 9012"
            ),
            format!(
                "{ja}にマイナンバーと思われる数字（検査用数字が正しい12桁）があります。\
                 ポータルはマイナンバーを保存しません。削除するか、1234 5678 9012 のような例にしてください。"
            ),
        ));
    }
    Ok(())
}

/// A question's choices as written, from its `answer` (○×) or its `choices` and `right`
/// (choice questions); whether there are enough and the right ones make sense is
/// [`crate::bank::Question::check`]'s to say.
fn question_choices(q: &QuestionToml) -> Result<Vec<Choice>, Said> {
    let n = q.number;
    match q.kind {
        Kind::TrueFalse => {
            if q.answer.is_none() {
                return Err(Said::new(
                    format!("question {n}: a ○× question needs answer = \"○\" or answer = \"×\""),
                    format!("問{n}: ○×問題の正解（○か×）を選んでください。"),
                ));
            }
            if !q.choices.is_empty() || !q.right.is_empty() {
                return Err(Said::new(
                    format!(
                        "question {n}: a ○× question has no choices or right; write kind = \"single\" or \"multiple\" for a choice question"
                    ),
                    format!(
                        "問{n}: ○×問題に選択肢はありません。選択肢のある問題は種類を「単一選択」か「複数選択」にしてください。"
                    ),
                ));
            }
            Ok(Vec::new())
        }
        Kind::Single | Kind::Multiple => {
            if q.answer.is_some() {
                return Err(Said::new(
                    format!(
                        "question {n}: a choice question marks its right choices with right = [1, …], not answer"
                    ),
                    format!(
                        "問{n}: 選択問題の正解は選択肢に印を付けて示します（course.toml では right = [1, …]）。○か×の正解は書けません。"
                    ),
                ));
            }
            if let Some(bad) = q.right.iter().find(|r| **r == 0 || **r > q.choices.len()) {
                let len = q.choices.len();
                return Err(Said::new(
                    format!("question {n}: right = {bad} is not one of its choices (1 to {len})"),
                    format!("問{n}: 正解 {bad} は選択肢（1〜{len}）にありません。"),
                ));
            }
            Ok(q.choices
                .iter()
                .enumerate()
                .map(|(i, text)| Choice {
                    text: text.trim().to_string(),
                    correct: q.right.contains(&(i + 1)),
                })
                .collect())
        }
    }
}

/// The section numbers a title names (第1節, 第２節 …), in order.
fn section_numbers(title: &str) -> Vec<u32> {
    let digit = |c: char| {
        c.to_digit(10)
            .or_else(|| ('０'..='９').contains(&c).then(|| c as u32 - '０' as u32))
    };
    let chars: Vec<char> = title.chars().collect();
    let mut found = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        if *c != '第' {
            continue;
        }
        let mut n = 0u32;
        let mut j = i + 1;
        while let Some(d) = chars.get(j).and_then(|c| digit(*c)) {
            n = n.saturating_mul(10).saturating_add(d);
            j += 1;
        }
        if j > i + 1 && chars.get(j) == Some(&'節') {
            found.push(n);
        }
    }
    found
}

/// A test's title that names sections by number (「章末テスト（第1節〜第3節）」) names the course's
/// own: every number is one of its sections', and a range runs from its first to its last.
fn check_test_title(title: &str, sections: &[SectionToml]) -> Result<(), Said> {
    let named = section_numbers(title);
    if named.is_empty() {
        return Ok(());
    }
    let numbered: Vec<u32> = sections
        .iter()
        .flat_map(|s| section_numbers(&s.title))
        .collect();
    let (Some(first), Some(last)) = (numbered.iter().min(), numbered.iter().max()) else {
        return Err(Said::new(
            format!(
                "the test title '{title}' names sections by number but no section title has one; \
                 name the test without section numbers"
            ),
            format!(
                "テストの題名「{title}」は節を番号で挙げていますが、番号のある節の題名がありません。\
                 節の番号を含まない題名にしてください。"
            ),
        ));
    };
    let range = title.contains('〜') || title.contains('～');
    let wrong = named.iter().any(|n| !numbered.contains(n))
        || (range && (named.first() != Some(first) || named.last() != Some(last)));
    if wrong {
        return Err(Said::new(
            format!(
                "the test title '{title}' does not match the sections' numbering \
                 (第{first}節〜第{last}節); name the sections the course numbers"
            ),
            format!(
                "テストの題名「{title}」が節の番号（第{first}節〜第{last}節）と合いません。研修の節の番号に合わせてください。"
            ),
        ));
    }
    Ok(())
}

/// The address of the package image a text shows (`images/<name>`), read and checked the
/// first time it is named.
fn package_image(
    dest: &str,
    read_file: &mut impl FnMut(&str) -> Result<String, String>,
    media: &mut Vec<(String, Media)>,
) -> Result<String, Said> {
    if let Some((_, m)) = media.iter().find(|(p, _)| p == dest) {
        return Ok(m.url());
    }
    if !image::is_image_path(dest) {
        return Err(Said::new(
            format!(
                "image '{dest}' must be named images/<name>.png (or .jpg, .gif, .webp), the name in \
                 a-z, 0-9, '-' and '_'"
            ),
            format!(
                "画像 '{dest}' は images/名前.png（.jpg・.gif・.webp も可。名前は半角の英小文字・数字・-・_）の形にしてください。"
            ),
        ));
    }
    let text = read_file(dest).map_err(|m| {
        Said::new(
            format!("image {dest}: {m}; upload the image with the section"),
            format!("画像 {dest} がありません（{m}）。節の編集で画像を添えて保存してください。"),
        )
    })?;
    let m = image::decode(dest, &text)?;
    let url = m.url();
    media.push((dest.to_string(), m));
    Ok(url)
}

pub fn parse_package(
    folder: &str,
    course_toml: &str,
    mut read_file: impl FnMut(&str) -> Result<String, String>,
) -> Result<ParsedPackage, ContentError> {
    let invalid = |said: Said| ContentError::Invalid {
        folder: folder.to_string(),
        said,
    };
    let src: CourseToml = toml::from_str(course_toml).map_err(|e| ContentError::Toml {
        folder: folder.to_string(),
        message: e.to_string(),
    })?;
    if !is_slug(&src.code) || src.code != folder {
        let code = &src.code;
        return Err(invalid(Said::new(
            format!(
                "code '{code}' must equal the folder name '{folder}' and use only a-z, 0-9 and '-'"
            ),
            format!(
                "記号 '{code}' はフォルダ名 '{folder}' と同じにし、半角の英小文字・数字・- だけを使ってください。"
            ),
        )));
    }
    for (at, text) in [
        (("title", "題名"), &src.title),
        (("title_en", "英語の題名"), &src.title_en),
        (("description", "説明"), &src.description),
    ] {
        no_my_number(at, text).map_err(invalid)?;
    }
    let mut hasher = Sha256::new();
    hasher.update(course_toml.as_bytes());
    let mut files = vec![("course.toml".to_string(), course_toml.to_string())];
    let mut media: Vec<(String, Media)> = Vec::new();
    let mut sections = Vec::with_capacity(src.sections.len());
    for s in &src.sections {
        if !is_slug(&s.slug) {
            let slug = &s.slug;
            return Err(invalid(Said::new(
                format!("section slug '{slug}' may use only a-z, 0-9 and '-'"),
                format!("節の記号 '{slug}' には半角の英小文字・数字・- だけを使えます。"),
            )));
        }
        if sections.iter().any(|x: &Section| x.slug == s.slug) {
            let slug = &s.slug;
            return Err(invalid(Said::new(
                format!("section slug '{slug}' appears twice; make it unique"),
                format!("節の記号 '{slug}' が二度使われています。別の記号にしてください。"),
            )));
        }
        if s.file.contains("..") || s.file.starts_with('/') {
            let file = &s.file;
            return Err(invalid(Said::new(
                format!("section file '{file}' must stay inside the course folder"),
                format!("節のファイル '{file}' は研修のフォルダの中に置いてください。"),
            )));
        }
        let markdown = read_file(&s.file).map_err(|message| ContentError::Read {
            folder: folder.to_string(),
            file: s.file.clone(),
            message,
        })?;
        no_my_number(
            (
                &format!("section '{}' title", s.slug),
                &format!("節 {} の題名", s.slug),
            ),
            &s.title,
        )
        .map_err(invalid)?;
        no_my_number((&s.file, &format!("{} の本文", s.file)), &markdown).map_err(invalid)?;
        hasher.update([0u8]);
        hasher.update(markdown.as_bytes());
        let html = render_markdown_with(&markdown, &mut |dest| {
            package_image(dest, &mut read_file, &mut media)
        })
        .map_err(|e| {
            invalid(Said::new(
                format!("{}: {}", s.file, e.en),
                format!("{}: {}", s.file, e.ja),
            ))
        })?;
        files.push((s.file.clone(), markdown));
        sections.push(Section {
            slug: s.slug.clone(),
            title: s.title.clone(),
            html,
        });
    }
    let test = match src.test {
        None => None,
        Some(t) => {
            if t.questions.is_empty() {
                return Err(invalid(Said::new(
                    "[test] has no questions; add [[test.questions]] or remove [test]",
                    "[test] に問題がありません。問題を追加するか、[test] を削除してください。",
                )));
            }
            // A question keeps its number when others are added or removed (a year's answers
            // are compared by number), so numbers may skip, but never repeat or go back.
            let mut previous = 0;
            for (i, q) in t.questions.iter().enumerate() {
                if q.number <= previous {
                    let (at, number) = (i + 1, q.number);
                    return Err(invalid(Said::new(
                        format!(
                            "question numbers must rise (1, 2, 3…; a removed question's number \
                             may be skipped); question {at} is numbered {number} after {previous}"
                        ),
                        format!(
                            "問題の番号は増えていくようにしてください（1, 2, 3…。削除した問題の番号は飛ばせます）。\
                             {at}番目の問題の番号 {number} が、前の番号 {previous} の後にあります。"
                        ),
                    )));
                }
                previous = q.number;
            }
            let mut links = Vec::with_capacity(t.questions.len());
            for q in &t.questions {
                links.push(section_refs(q.number, &q.sections).map_err(invalid)?);
            }
            check_test_title(&t.title, &src.sections).map_err(invalid)?;
            no_my_number(("test title", "テストの題名"), &t.title).map_err(invalid)?;
            for q in &t.questions {
                let n = q.number;
                let mut texts = vec![
                    (("statement", "問題文"), &q.statement),
                    (("explanation", "解説"), &q.explanation),
                    (("reference", "掲載箇所"), &q.reference),
                ];
                if let Some(topic) = &q.topic {
                    texts.push((("topic", "分野"), topic));
                }
                for ((en, ja), text) in texts {
                    no_my_number(
                        (&format!("question {n} {en}"), &format!("問{n}の{ja}")),
                        text,
                    )
                    .map_err(invalid)?;
                }
                for (i, c) in q.choices.iter().enumerate() {
                    let c_no = i + 1;
                    no_my_number(
                        (
                            &format!("question {n} choice {c_no}"),
                            &format!("問{n}の選択肢{c_no}"),
                        ),
                        c,
                    )
                    .map_err(invalid)?;
                }
            }
            let mut choices = Vec::with_capacity(t.questions.len());
            let mut explanations = Vec::with_capacity(t.questions.len());
            for q in &t.questions {
                choices.push(question_choices(q).map_err(invalid)?);
                explanations.push(
                    render_markdown_with(&q.explanation, &mut |dest| {
                        package_image(dest, &mut read_file, &mut media)
                    })
                    .map_err(|e| {
                        invalid(Said::new(
                            format!("question {} explanation: {}", q.number, e.en),
                            format!("問{}の解説: {}", q.number, e.ja),
                        ))
                    })?,
                );
            }
            let draw = match t.draw {
                None if t.per_topic.is_empty() => Rule::Fixed,
                None => {
                    return Err(invalid(Said::new(
                        "per_topic needs draw = <how many questions an attempt shows>",
                        "分野ごとの出題数（per_topic）には、1回に出題する問数（draw）が必要です。",
                    )));
                }
                Some(count) => Rule::Pool {
                    count,
                    per_topic: t
                        .per_topic
                        .iter()
                        .map(|p| (p.topic.clone(), p.count))
                        .collect(),
                },
            };
            let asks = draw.asks(t.questions.len());
            let pass_mark = match (t.pass_mark, t.pass_share, &draw) {
                (Some(_), Some(_), _) => {
                    return Err(invalid(Said::new(
                        "give pass_mark (a number of questions) or pass_share (a percentage), not both",
                        "合格基準は正答数（pass_mark）か正答率（pass_share）のどちらか一方にしてください。",
                    )));
                }
                (Some(_), None, Rule::Pool { .. }) | (None, None, Rule::Pool { .. }) => {
                    return Err(invalid(Said::new(
                        "a test that draws its questions needs pass_share = <percent right to pass>, e.g. 80",
                        "問題を抽出するテストには、合格に必要な正答率（pass_share、例: 80）が必要です。",
                    )));
                }
                (None, None, Rule::Fixed) => {
                    return Err(invalid(Said::new(
                        "[test] needs pass_mark = <number right to pass> or pass_share = <percent>",
                        "[test] には合格に必要な正答数（pass_mark）か正答率（pass_share）が必要です。",
                    )));
                }
                (None, Some(share), _) if share == 0 || share > 100 => {
                    return Err(invalid(Said::new(
                        format!("pass_share {share} must be a percentage from 1 to 100"),
                        format!("合格に必要な正答率 {share} は 1〜100 の百分率にしてください。"),
                    )));
                }
                (None, Some(share), _) => crate::bank::pass_mark(asks as u32, share),
                (Some(mark), None, Rule::Fixed) => {
                    if mark == 0 || mark as usize > t.questions.len() {
                        let n = t.questions.len();
                        return Err(invalid(Said::new(
                            format!(
                                "pass_mark {mark} must be between 1 and the number of questions ({n})"
                            ),
                            format!(
                                "合格に必要な正答数 {mark} は 1 から問題数（{n}）までにしてください。"
                            ),
                        )));
                    }
                    mark
                }
            };
            let test = Test {
                kind: t.kind,
                title: t.title,
                pass_mark,
                draw,
                pass_share: t.pass_share,
                questions: t
                    .questions
                    .into_iter()
                    .zip(links)
                    .zip(choices)
                    .zip(explanations)
                    .map(|(((q, sections), choices), explanation_html)| Question {
                        number: q.number,
                        kind: q.kind,
                        topic: q
                            .topic
                            .map(|t| t.trim().to_string())
                            .filter(|t| !t.is_empty()),
                        statement: q.statement.trim().to_string(),
                        answer: q.answer,
                        choices,
                        explanation_html,
                        reference: q.reference,
                        sections,
                    })
                    .collect(),
            };
            let bank = test.bank();
            for q in &bank {
                q.check()
                    .map_err(|e| invalid(Said::new(e.to_string(), e.ja())))?;
            }
            test.draw
                .check(&bank)
                .map_err(|e| invalid(Said::new(e.to_string(), e.ja())))?;
            Some(test)
        }
    };
    if sections.is_empty() && test.is_none() {
        return Err(invalid(Said::new(
            "a course needs at least one [[sections]] entry or a [test]",
            "研修には節（[[sections]]）かテスト（[test]）が少なくとも一つ必要です。",
        )));
    }
    // The images, after the texts that show them (a package without images hashes as before).
    for (path, m) in &media {
        let text = image::encode(&m.bytes);
        hasher.update([0u8]);
        hasher.update(text.as_bytes());
        files.push((path.clone(), text));
    }
    Ok(ParsedPackage {
        media: media.into_iter().map(|(_, m)| m).collect(),
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
        files,
    })
}

/// Parses a course folder given as its files (`course.toml` and the sections' files, by path
/// in the folder), as an upload or a stored version holds them.
pub fn parse_files(
    folder: &str,
    files: &[(String, String)],
) -> Result<ParsedPackage, ContentError> {
    let course_toml = files
        .iter()
        .find(|(path, _)| path == "course.toml")
        .map(|(_, text)| text.as_str())
        .ok_or_else(|| ContentError::Read {
            folder: folder.to_string(),
            file: "course.toml".into(),
            message: "the course has no course.toml".into(),
        })?;
    parse_package(folder, course_toml, |file| {
        files
            .iter()
            .find(|(path, _)| path == file)
            .map(|(_, text)| text.clone())
            .ok_or_else(|| "no such file in the package".to_string())
    })
}
