//! Fuzzes the content package loader on file contents, as `kenshu content load` runs it:
//! `kenshu_core::content::parse_package` on a folder name, a `course.toml` and the section
//! files it names. The input is split at NUL bytes: folder name, course.toml, then the
//! section files in the order the loader asks for them (a missing one reads as an I/O error).
//! Beyond "no panic", it checks that no raw HTML from the source reaches the rendered pages:
//! every tag in the output is one the Markdown renderer itself writes.

#![no_main]

use kenshu_core::content::{self, ContentError};
use libfuzzer_sys::fuzz_target;

/// Tags pulldown-cmark writes for CommonMark with tables and strikethrough.
const TAGS: &[&str] = &[
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
];

fn assert_only_rendered_tags(html: &str) {
    for (i, _) in html.match_indices('<') {
        let rest = html[i + 1..].trim_start_matches('/');
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(
            TAGS.contains(&name.to_ascii_lowercase().as_str()),
            "raw HTML <{name}> passed through: {html}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0);
    let Some(Ok(folder)) = parts.next().map(std::str::from_utf8) else {
        return;
    };
    let Some(Ok(course_toml)) = parts.next().map(std::str::from_utf8) else {
        return;
    };
    let result = content::parse_package(folder, course_toml, |_file| match parts.next() {
        Some(bytes) => String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string()),
        None => Err("No such file or directory (os error 2)".into()),
    });
    match result {
        Ok(parsed) => {
            let p = &parsed.package;
            assert_eq!(p.code, folder);
            assert_eq!(parsed.sha256.len(), 64);
            for s in &p.sections {
                assert_only_rendered_tags(&s.html);
            }
            if let Some(t) = &p.test {
                assert!(t.pass_mark >= 1 && t.pass_mark as usize <= t.questions.len());
                for q in &t.questions {
                    assert_only_rendered_tags(&q.explanation_html);
                }
            }
            // The loader stores the package as JSON and the portal reads it back.
            let json = serde_json_roundtrip(p);
            assert_eq!(&json, p);
        }
        Err(
            e @ (ContentError::Toml { .. }
            | ContentError::Invalid { .. }
            | ContentError::Read { .. }),
        ) => {
            assert!(!e.to_string().is_empty());
        }
    }
});

fn serde_json_roundtrip(p: &content::CoursePackage) -> content::CoursePackage {
    let text = serde_json::to_string(p).expect("a package serialises");
    serde_json::from_str(&text).expect("a stored package reads back")
}
