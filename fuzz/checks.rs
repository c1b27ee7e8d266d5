//! What the roster and designations parsers promise, checked on any input: shared by the fuzz
//! targets and by kenshu-core's test that runs every seed file (`cargo fuzz` is not always at
//! hand). Beyond "no panic": every problem names a line of the file and a column, every
//! accepted row obeys the row rules, the normalisers are idempotent, and every date accepted
//! reads back from its ISO and Japanese forms.

#![allow(dead_code)] // each fuzz target uses part of it

use std::collections::HashMap;

use kenshu_core::designation::{self, DesignationRow};
use kenshu_core::fiscal_year::japanese_date;
use kenshu_core::my_number::contains_my_number;
use kenshu_core::roster::{
    self, ErrorKind, RosterRow, RowError, normalise_code, normalise_kana, normalise_name,
    parse_date, read_date, without_leading_zeros,
};
use time::Date;

/// Lines as an editor counts them (CRLF, CR or LF); the header is line 1.
fn last_line(text: &str) -> usize {
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    unified.lines().count().max(1)
}

fn is_private_use(c: char) -> bool {
    matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{10FFFF}')
}

fn errors_name_a_line_and_a_column(errors: &[RowError], last_line: usize) {
    for e in errors {
        assert!(
            (1..=last_line).contains(&e.line),
            "error outside the file: {e} (file has {last_line} lines)"
        );
        assert_eq!(
            e.line == 1,
            e.kind == ErrorKind::Column,
            "only a header error is on line 1: {e:?}"
        );
        assert!(
            !e.column.to_string().is_empty() && !e.message().is_empty(),
            "{e:?}"
        );
    }
}

/// A date read back from the forms the portal prints it in.
fn date_round_trips(d: Date) {
    assert_eq!(parse_date(&d.to_string()), Some(d), "ISO form of {d}");
    let ja = japanese_date(d);
    assert_eq!(read_date(&ja), Ok(d), "Japanese form {ja}");
}

/// The normalisers and the date reader on arbitrary text: idempotent, and what they accept
/// reads back.
pub fn text(s: &str) {
    let name = normalise_name(s);
    assert_eq!(normalise_name(&name), name, "normalise_name({s:?})");
    assert!(
        !name.starts_with(' ') && !name.ends_with(' ') && !name.contains("  "),
        "{name:?}"
    );
    assert!(!name.contains(|c: char| ('\u{FF61}'..='\u{FF9D}').contains(&c)));
    let kana = normalise_kana(s);
    assert_eq!(normalise_kana(&kana), kana, "normalise_kana({s:?})");
    let code = normalise_code(s);
    assert_eq!(normalise_code(&code), code, "normalise_code({s:?})");
    let stripped = without_leading_zeros(s);
    assert!(s.ends_with(stripped));
    assert!(
        !stripped.starts_with('0') || stripped == "0",
        "{stripped:?}"
    );
    for cell in s.split([',', '\n', '\r']).take(64) {
        if let Ok(d) = read_date(cell) {
            date_round_trips(d);
        }
    }
}

fn clean(v: &str, what: &str) {
    assert!(
        !v.contains(|c: char| c.is_control() || is_private_use(c)),
        "{what} with a control or private-use character: {v:?}"
    );
}

fn roster_row(r: &RosterRow, last_line: usize) {
    assert!(
        r.line >= 2 && r.line <= last_line,
        "row beyond the file: {r:?}"
    );
    assert!(!r.employee_number.is_empty() && !r.name.is_empty(), "{r:?}");
    assert!(
        !r.division_code.is_empty() && !r.division_name.is_empty(),
        "{r:?}"
    );
    for v in [&r.name, &r.division_name]
        .into_iter()
        .chain(r.kana.as_ref())
    {
        clean(v, "a name");
        assert!(
            !v.contains(['?', '\u{FFFD}']),
            "a lost character kept: {r:?}"
        );
        assert_eq!(&normalise_name(v), v, "a name not normalised: {r:?}");
    }
    for v in [r.employee_number.as_str(), r.division_code.as_str()]
        .into_iter()
        .chain(r.parent_code.as_deref())
    {
        clean(v, "a code");
        assert_eq!(&normalise_code(v), v, "a code not normalised: {r:?}");
    }
    assert!(r.employee_number.is_ascii(), "{r:?}");
    clean(&r.employment_type, "an employment type");
    if let Some(e) = &r.email {
        assert!(e.is_ascii() && e.matches('@').count() == 1, "{r:?}");
        assert!(!e.contains(char::is_whitespace), "{r:?}");
    }
    for v in [
        r.employee_number.as_str(),
        &r.name,
        &r.division_code,
        &r.division_name,
    ] {
        assert!(!contains_my_number(v), "a My Number was accepted: {r:?}");
    }
    assert!(r.parent_code.as_ref() != Some(&r.division_code), "{r:?}");
    for d in [r.hired_on, r.effective].into_iter().flatten() {
        date_round_trips(d);
    }
}

/// Decodes and parses a roster file, checks everything the parser promises, and returns the
/// rows (for the plan) and the file's last line, or `None` when the file as a whole is refused.
pub fn roster(data: &[u8]) -> Option<(Vec<RosterRow>, usize)> {
    let decoded = roster::decode(data.to_vec()).ok()?;
    text(&decoded.text);
    let parsed = roster::parse(&decoded.text).ok()?;
    let last_line = last_line(&decoded.text);
    errors_name_a_line_and_a_column(&parsed.errors, last_line);
    assert!(parsed.records >= parsed.rows.len());
    let mut previous = 1;
    let mut numbers = HashMap::new();
    let mut codes: HashMap<&str, &str> = HashMap::new();
    for r in &parsed.rows {
        assert!(r.line > previous, "rows out of order or on one line");
        previous = r.line;
        roster_row(r, last_line);
        if let Some(first) = numbers.insert(without_leading_zeros(&r.employee_number), r.line) {
            panic!("line {} has the number of line {first}: {r:?}", r.line);
        }
        let code = codes
            .entry(without_leading_zeros(&r.division_code))
            .or_insert(&r.division_code);
        assert_eq!(*code, r.division_code, "codes differ in leading zeros only");
        assert!(
            !parsed.errors.iter().any(|e| e.line == r.line),
            "a row both accepted and refused: {r:?} {:?}",
            parsed.errors
        );
    }
    Some((parsed.rows, last_line))
}

fn designation_row(r: &DesignationRow, last_line: usize) {
    assert!(
        r.line >= 2 && r.line <= last_line,
        "row beyond the file: {r:?}"
    );
    assert!(!r.employee_number.is_empty(), "{r:?}");
    clean(&r.employee_number, "an employee number");
    assert_eq!(
        normalise_code(&r.employee_number),
        r.employee_number.as_str()
    );
    assert!(r.to.is_none_or(|to| to >= r.from), "{r:?}");
    assert!(!r.note.as_deref().is_some_and(contains_my_number), "{r:?}");
    if let Some(n) = &r.note {
        clean(&n.replace('\n', " "), "a note");
    }
    for d in [Some(r.from), r.to].into_iter().flatten() {
        date_round_trips(d);
    }
}

/// Decodes and parses a designations file and checks everything the parser promises.
pub fn designations(data: &[u8]) {
    let Ok(decoded) = roster::decode(data.to_vec()) else {
        return;
    };
    let Ok((rows, errors)) = designation::parse(&decoded.text) else {
        return;
    };
    let last_line = last_line(&decoded.text);
    errors_name_a_line_and_a_column(&errors, last_line);
    let mut previous = 1;
    for r in &rows {
        assert!(
            r.line > previous,
            "rows out of order or on one line: {rows:?}"
        );
        previous = r.line;
        designation_row(r, last_line);
        assert!(
            !errors.iter().any(|e| e.line == r.line),
            "a row both accepted and refused: {r:?} {errors:?}"
        );
    }
}
