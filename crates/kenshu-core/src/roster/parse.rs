//! Decoding and parsing a roster file.

use std::borrow::Cow;
use std::collections::HashMap;

use encoding_rs::SHIFT_JIS;
use time::{Date, Month};

use super::{COLUMNS, ErrorKind, Parsed, PersonStatus, Present, REQUIRED, RosterRow, RowError};
use crate::my_number::contains_my_number;
use crate::people::LoginId;

/// A file's text and the encoding it was found in.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// A problem with the file as a whole.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileError {
    #[error(
        "the file is neither UTF-8 nor Shift_JIS (CP932); save it from Excel as \"CSV UTF-8\" or \"CSV (コンマ区切り)\""
    )]
    Encoding,
    #[error("the file is empty; it needs a header line and one line per person")]
    Empty,
    #[error("the header has no column for {column}; name it one of: {accepted}")]
    MissingColumn { column: String, accepted: String },
    #[error("the header names column {column} twice (\"{first}\" and \"{second}\"); keep one")]
    DuplicateColumn {
        column: String,
        first: String,
        second: String,
    },
    #[error("line {line}: the CSV cannot be read: {message}")]
    Csv { line: usize, message: String },
}

/// Detects the encoding: UTF-8 with or without a byte-order mark, else Shift_JIS as Excel on
/// Japanese Windows writes it (CP932, which the WHATWG Shift_JIS decoder implements).
/// UTF-8 input is taken over without a copy.
pub fn decode(mut bytes: Vec<u8>) -> Result<Decoded, FileError> {
    let mut encoding = "UTF-8";
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
        encoding = "UTF-8 (BOM)";
    }
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return Ok(Decoded { text, encoding }),
        Err(_) if encoding != "UTF-8" => return Err(FileError::Encoding),
        Err(e) => e.into_bytes(),
    };
    let (text, had_errors) = SHIFT_JIS.decode_without_bom_handling(&bytes);
    if had_errors {
        return Err(FileError::Encoding);
    }
    Ok(Decoded {
        text: text.into_owned(),
        encoding: "Shift_JIS (CP932)",
    })
}

/// Line ends as an editor counts them: CRLF (Excel on Windows), CR alone (Excel for old Mac)
/// and LF all become LF, also inside quoted cells. The CSV reader's line numbers are wrong
/// otherwise: with CRLF each record starts on the line before its own, and a lone CR ends a
/// record without counting a line.
pub(crate) fn unify_line_ends(text: &str) -> Cow<'_, str> {
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The line a record starts on, in text whose line ends are unified. The reader's position is
/// where it began reading, before the blank lines it skipped: count those too.
pub(crate) fn record_line(text: &str, position: &csv::Position) -> usize {
    let blank = text
        .as_bytes()
        .get(position.byte() as usize..)
        .map_or(0, |rest| rest.iter().take_while(|b| **b == b'\n').count());
    position.line() as usize + blank
}

fn normalise_header(h: &str) -> String {
    h.trim().trim_start_matches('\u{feff}').to_lowercase()
}

/// Maps each known column to its index in the header.
fn columns(header: &csv::StringRecord) -> Result<HashMap<&'static str, usize>, FileError> {
    let mut found: HashMap<&'static str, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let h = normalise_header(h);
        if let Some((key, _)) = COLUMNS
            .iter()
            .find(|(_, names)| names.iter().any(|n| n.to_lowercase() == h))
        {
            if let Some(&first) = found.get(key) {
                return Err(FileError::DuplicateColumn {
                    column: key.to_string(),
                    first: header.get(first).unwrap_or_default().to_string(),
                    second: header.get(i).unwrap_or_default().to_string(),
                });
            }
            found.insert(key, i);
        }
    }
    for required in REQUIRED {
        if !found.contains_key(required) {
            let accepted = COLUMNS
                .iter()
                .find(|(k, _)| *k == required)
                .map(|(_, names)| {
                    names
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            return Err(FileError::MissingColumn {
                column: required.to_string(),
                accepted,
            });
        }
    }
    Ok(found)
}

/// `2025-04-01`, `2025/4/1` or `2025年4月1日`.
pub fn parse_date(s: &str) -> Option<Date> {
    let cleaned: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '/' | '年' | '月' | '.' => '-',
            '日' => ' ',
            c => c,
        })
        .collect();
    let mut parts = cleaned.trim().split('-');
    let y: i32 = parts.next()?.trim().parse().ok()?;
    let m: u8 = parts.next()?.trim().parse().ok()?;
    let d: u8 = parts.next()?.trim().parse().ok()?;
    if parts.next().is_some() || !(1900..=2200).contains(&y) {
        return None;
    }
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

struct Cells<'a> {
    record: &'a csv::StringRecord,
    cols: &'a HashMap<&'static str, usize>,
    line: usize,
    errors: Vec<RowError>,
}

impl Cells<'_> {
    fn get(&self, key: &str) -> &str {
        self.cols
            .get(key)
            .and_then(|&i| self.record.get(i))
            .map(str::trim)
            .unwrap_or("")
    }

    fn header(&self, key: &str) -> String {
        COLUMNS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, n)| n[0].to_string())
            .unwrap_or_else(|| key.to_string())
    }

    fn fail(&mut self, key: &str, kind: ErrorKind, message: String) {
        self.errors.push(RowError {
            line: self.line,
            column: self.header(key),
            kind,
            message,
        });
    }

    /// A free-text cell: optional or required, at most `max` characters, never a My Number.
    fn text(&mut self, key: &str, required: bool, max: usize) -> Option<String> {
        let v = self.get(key).to_string();
        if v.is_empty() {
            if required {
                self.fail(
                    key,
                    ErrorKind::Empty,
                    "is empty; every person needs a value here".into(),
                );
            }
            return None;
        }
        if v.chars().count() > max {
            self.fail(
                key,
                ErrorKind::TooLong,
                format!("is longer than {max} characters; shorten it"),
            );
            return None;
        }
        if contains_my_number(&v) {
            self.fail(
                key,
                ErrorKind::MyNumber,
                "contains what looks like a My Number (12 digits with a valid check digit); remove it: the portal never stores My Numbers".into(),
            );
            return None;
        }
        Some(v)
    }

    fn date(&mut self, key: &str) -> Option<Date> {
        let v = self.get(key).to_string();
        if v.is_empty() {
            return None;
        }
        let d = parse_date(&v);
        if d.is_none() {
            self.fail(
                key,
                ErrorKind::Format,
                format!("\"{v}\" is not a date; write it as 2025-04-01 (or 2025/4/1)"),
            );
        }
        d
    }
}

fn row(
    record: &csv::StringRecord,
    cols: &HashMap<&'static str, usize>,
    line: usize,
) -> Result<RosterRow, Vec<RowError>> {
    let mut c = Cells {
        record,
        cols,
        line,
        errors: Vec::new(),
    };
    let employee_number = c.text("employee_number", true, 64);
    if let Some(n) = &employee_number
        && let Err(e) = LoginId::parse(n)
    {
        c.fail("employee_number", ErrorKind::Format, format!("{e}"));
    }
    let name = c.text("name", true, 200);
    let kana = c.text("kana", false, 200);
    let email = c.text("email", false, 254);
    if let Some(e) = &email
        && (!e.contains('@') || e.contains(char::is_whitespace))
    {
        c.fail(
            "email",
            ErrorKind::Format,
            format!("\"{e}\" is not an e-mail address; correct it or leave the cell empty"),
        );
    }
    let division_code = c.text("division_code", true, 64);
    let division_name = c.text("division_name", true, 200);
    let parent_code = c.text("parent_division_code", false, 64);
    let employment_type = c
        .text("employment_type", false, 50)
        .unwrap_or_else(|| "常勤".to_string());
    let hired_on = c.date("hire_date");
    let effective = c.date("effective_date");
    let status_cell = c.get("status").to_string();
    let status = PersonStatus::parse(&status_cell).unwrap_or_else(|| {
        c.fail("status", ErrorKind::Format, format!("\"{status_cell}\" is not a status; use 在職, 休職 or 退職 (or leave it empty for 在職)"));
        PersonStatus::Active
    });
    if parent_code.is_some() && parent_code == division_code {
        c.fail(
            "parent_division_code",
            ErrorKind::Conflict,
            "names the division itself; give the code of the division above it".into(),
        );
    }
    match (
        employee_number,
        name,
        division_code,
        division_name,
        c.errors.is_empty(),
    ) {
        (Some(employee_number), Some(name), Some(division_code), Some(division_name), true) => {
            Ok(RosterRow {
                line,
                employee_number,
                name,
                kana,
                email,
                division_code,
                division_name,
                parent_code,
                employment_type,
                hired_on,
                status,
                effective,
                present: Present {
                    kana: cols.contains_key("kana"),
                    email: cols.contains_key("email"),
                    employment_type: cols.contains_key("employment_type"),
                    status: cols.contains_key("status"),
                },
            })
        }
        _ => Err(c.errors),
    }
}

/// Parses a decoded roster. File-level problems (no header, a missing column) stop at once;
/// row problems are all collected, with cross-row checks: an employee number twice, one
/// division code with two names or two parents.
pub fn parse(text: &str) -> Result<Parsed, FileError> {
    let text = unify_line_ends(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| FileError::Csv {
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(FileError::Empty);
    }
    let cols = columns(&header)?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen_people: HashMap<String, usize> = HashMap::new();
    let mut seen_divisions: HashMap<String, (String, Option<String>, usize)> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut records = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                return Err(FileError::Csv {
                    line,
                    message: e.to_string(),
                });
            }
        }
        let line = record
            .position()
            .map(|p| record_line(&text, p))
            .unwrap_or(rows.len() + 2);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        records += 1;
        match row(&record, &cols, line) {
            Err(mut e) => errors.append(&mut e),
            Ok(r) => {
                let mut ok = true;
                if let Some(first) = seen_people.get(&r.employee_number) {
                    errors.push(RowError {
                        line,
                        column: "職員番号".into(),
                        kind: ErrorKind::Duplicate,
                        message: format!(
                            "employee number {} is already on line {first}; each person appears once",
                            r.employee_number
                        ),
                    });
                    ok = false;
                } else {
                    seen_people.insert(r.employee_number.clone(), line);
                }
                match seen_divisions.get(&r.division_code) {
                    Some((name, _, first)) if *name != r.division_name => {
                        errors.push(RowError {
                            line,
                            column: "所属名".into(),
                            kind: ErrorKind::Conflict,
                            message: format!(
                                "division {} is named \"{}\" here but \"{name}\" on line {first}; use one name per division code",
                                r.division_code, r.division_name
                            ),
                        });
                        ok = false;
                    }
                    Some((_, parent, first))
                        if r.parent_code.is_some() && *parent != r.parent_code =>
                    {
                        errors.push(RowError {
                            line,
                            column: "上位所属コード".into(),
                            kind: ErrorKind::Conflict,
                            message: format!(
                                "division {} has parent {} here but {} on line {first}; give every row of a division the same parent",
                                r.division_code,
                                r.parent_code.as_deref().unwrap_or("(none)"),
                                parent.as_deref().unwrap_or("(none)")
                            ),
                        });
                        ok = false;
                    }
                    Some(_) => {}
                    None => {
                        seen_divisions.insert(
                            r.division_code.clone(),
                            (r.division_name.clone(), r.parent_code.clone(), line),
                        );
                    }
                }
                if ok {
                    rows.push(r);
                }
            }
        }
    }
    // A parent must be a division of the file (or of the portal: checked when planning).
    let used = cols
        .iter()
        .map(|(key, &i)| (header.get(i).unwrap_or_default().trim().to_string(), *key))
        .collect();
    let ignored = header
        .iter()
        .enumerate()
        .filter(|(i, h)| !h.trim().is_empty() && !cols.values().any(|c| c == i))
        .map(|(_, h)| h.trim().to_string())
        .collect();
    Ok(Parsed {
        rows,
        errors,
        records,
        used,
        ignored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const HEADER: &str = "職員番号,氏名,氏名カナ,メールアドレス,所属コード,所属名,上位所属コード,雇用形態,採用日,在職状況\n";

    #[test]
    fn shift_jis_bytes_from_excel_are_detected_and_decoded() {
        let text = format!(
            "{HEADER}1001,髙橋 一郎,タカハシ イチロウ,,shimin,市民課,,常勤,2020/4/1,在職\n"
        );
        let (bytes, _, _) = SHIFT_JIS.encode(&text);
        let d = decode(bytes.to_vec()).unwrap();
        assert_eq!(d.encoding, "Shift_JIS (CP932)");
        assert!(
            d.text.contains("髙橋"),
            "CP932 extension characters survive: {}",
            d.text
        );
        let Parsed { rows, errors, .. } = parse(&d.text).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].name, "髙橋 一郎");
        assert_eq!(rows[0].hired_on, Some(date!(2020 - 04 - 01)));
    }

    #[test]
    fn utf8_with_and_without_bom_is_detected() {
        let text = format!("{HEADER}1001,佐藤 花子,,,a,A課,,,,\n");
        assert_eq!(decode(text.as_bytes().to_vec()).unwrap().encoding, "UTF-8");
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let d = decode(bom).unwrap();
        assert_eq!(d.encoding, "UTF-8 (BOM)");
        assert_eq!(parse(&d.text).unwrap().rows.len(), 1);
    }

    #[test]
    fn bytes_in_no_known_encoding_are_refused() {
        assert_eq!(
            decode(vec![0x82, 0xa0, 0xff, 0xfe, 0x80]).unwrap_err(),
            FileError::Encoding
        );
    }

    #[test]
    fn a_missing_column_names_the_accepted_headers() {
        let e = parse("職員番号,氏名,所属名\n1,a,b\n").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("division_code") && msg.contains("\"所属コード\""),
            "{msg}"
        );
    }

    #[test]
    fn english_headers_work_too() {
        let Parsed { rows, errors, .. } =
            parse("employee_number,name,division_code,division_name\n77,Jane Doe,a,A課\n").unwrap();
        assert!(errors.is_empty());
        assert_eq!(rows[0].employment_type, "常勤");
        assert_eq!(rows[0].status, PersonStatus::Active);
    }

    #[test]
    fn bad_rows_are_reported_with_line_column_and_fix() {
        let text = format!(
            "{HEADER}\
             1001,佐藤 花子,,sato@example.jp,a,A課,,,,\n\
             1001,鈴木 一郎,,,a,A課,,,,\n\
             1002,高橋 健太,,,a,A第二課,,,,\n\
             1003,,,,a,A課,,,,\n\
             1004,田中 由美,,,a,A課,,,2025-02-30,\n\
             1005,伊藤 翔,,mail 123456789018@example.jp,a,A課,,,,\n\
             1006,渡辺 美咲,,,a,A課,,,,引退\n"
        );
        let Parsed { rows, errors, .. } = parse(&text).unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        let says = |line: usize, column: &str, needle: &str| {
            assert!(
                errors
                    .iter()
                    .any(|e| e.line == line && e.column == column && e.message.contains(needle)),
                "no error on line {line}, {column} containing «{needle}»: {errors:#?}"
            );
        };
        says(3, "職員番号", "already on line 2");
        says(4, "所属名", "\"A第二課\" here but \"A課\" on line 2");
        says(5, "氏名", "is empty");
        says(6, "採用日", "2025-02-30");
        says(7, "メールアドレス", "My Number");
        says(8, "在職状況", "use 在職, 休職 or 退職");
        assert_eq!(errors.len(), 6);
    }

    /// Found by fuzzing (fuzz/seeds/roster_csv/utf8-bom-crlf.csv): with Excel's CRLF line
    /// ends every row was reported one line too early, and with old Mac CR line ends every
    /// row was on line 1, so a clerk was sent to the wrong person's row. A row after a blank
    /// line was reported on the blank line, whatever the line ends.
    #[test]
    fn crlf_and_cr_line_ends_give_the_lines_an_editor_shows() {
        for end in ["\r\n", "\r", "\n"] {
            let text = format!(
                "職員番号,氏名,所属コード,所属名{end}\
                 1001,佐藤 花子,a,A課{end}\
                 {end}\
                 1002,,a,A課{end}\
                 1003,\"山本{end}大輔\",a,A課{end}\
                 1004,鈴木 一郎,a,A課{end}"
            );
            let Parsed { rows, errors, .. } = parse(&text).unwrap();
            let lines: Vec<_> = rows.iter().map(|r| r.line).collect();
            assert_eq!(lines, [2, 5, 7], "line end {end:?}");
            assert_eq!(rows[1].name, "山本\n大輔", "line end {end:?}");
            assert_eq!(
                errors.iter().map(|e| e.line).collect::<Vec<_>>(),
                [4],
                "line end {end:?}: {errors:?}"
            );
        }
    }

    #[test]
    fn quoted_cells_with_commas_and_newlines_parse() {
        let text = "職員番号,氏名,所属コード,所属名\n2001,\"山本, 大輔\",b,\"B課\n(分室)\"\n";
        let Parsed { rows, errors, .. } = parse(text).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].name, "山本, 大輔");
        assert_eq!(rows[0].line, 2);
    }

    #[test]
    fn dates_are_read_in_the_forms_offices_write() {
        assert_eq!(parse_date("2025-04-01"), Some(date!(2025 - 04 - 01)));
        assert_eq!(parse_date("2025/4/1"), Some(date!(2025 - 04 - 01)));
        assert_eq!(parse_date("2025年4月1日"), Some(date!(2025 - 04 - 01)));
        assert_eq!(parse_date("令和7年4月1日"), None);
        assert_eq!(parse_date("2025-13-01"), None);
    }
}
