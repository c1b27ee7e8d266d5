//! Designations from a CSV file: 職員番号, 指定, 開始日, 終了日, 備考. Headers, dates and
//! characters are read as in the roster (aliases, 和暦, full-width digits); every problem of
//! every row is reported, as a `RowProblem` the catalogue words in the reader's language.

use crate::person::EmployeeNumber;
use time::Date;

use crate::my_number::contains_my_number;
use crate::plan::DesignationKind;
use crate::roster::header::{self, Header};
use crate::roster::{
    ErrorKind, FileError, RowError, RowProblem, characters, normalised_code, open, quotes,
    read_date, record_line, unclosed_quote_error, unify_line_ends,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignationRow {
    pub line: usize,
    pub employee_number: EmployeeNumber,
    pub kind: DesignationKind,
    pub from: Date,
    pub to: Option<Date>,
    pub note: Option<String>,
}

/// The columns and the header names accepted for each (compared as in the roster).
const COLUMNS: [(&str, &[&str]); 5] = [
    (
        "employee_number",
        &[
            "職員番号",
            "職員コード",
            "職員ID",
            "社員番号",
            "employee_number",
        ],
    ),
    (
        "kind",
        &["指定", "指定の種類", "指定種別", "指定区分", "種類", "kind"],
    ),
    (
        "from",
        &[
            "開始日",
            "開始年月日",
            "指定開始日",
            "指定開始年月日",
            "指定日",
            "有効開始日",
            "valid_from",
            "from",
        ],
    ),
    (
        "to",
        &[
            "終了日",
            "終了年月日",
            "指定終了日",
            "指定終了年月日",
            "解除日",
            "有効終了日",
            "valid_to",
            "to",
        ],
    ),
    ("note", &["備考", "メモ", "note"]),
];

const REQUIRED: [&str; 3] = ["employee_number", "kind", "from"];

struct Row<'a> {
    record: &'a csv::StringRecord,
    header: &'a Header,
    line: usize,
    errors: Vec<RowError>,
}

impl<'a> Row<'a> {
    fn cell(&self, key: &str) -> &'a str {
        self.header
            .cols
            .get(key)
            .and_then(|&i| self.record.get(i))
            .map_or("", str::trim)
    }

    fn fail(&mut self, key: &str, kind: ErrorKind, problem: RowProblem) {
        self.errors.push(RowError {
            line: self.line,
            column: self.header.column(&COLUMNS, key),
            kind,
            problem,
        });
    }

    /// A cell without characters no cell may hold.
    fn clean(&mut self, key: &str) -> Option<&'a str> {
        let v = self.cell(key);
        match characters(v, false) {
            Some(problem) => {
                self.fail(key, ErrorKind::Characters, RowProblem::Characters(problem));
                None
            }
            None => Some(v),
        }
    }

    fn date(&mut self, key: &str) -> Option<Date> {
        let v = self.clean(key)?;
        if v.is_empty() {
            return None;
        }
        match read_date(v) {
            Ok(d) => Some(d),
            Err(e) => {
                self.fail(key, ErrorKind::Format, RowProblem::Date(e));
                None
            }
        }
    }

    fn read(mut self) -> Result<DesignationRow, Vec<RowError>> {
        let number = self.clean("employee_number").map(normalised_code);
        let number = match number {
            Some(n) if n.is_empty() => {
                let column = self.header.column(&COLUMNS, "employee_number");
                self.fail(
                    "employee_number",
                    ErrorKind::Empty,
                    RowProblem::DesignationNumberEmpty { column },
                );
                None
            }
            Some(n) => match EmployeeNumber::parse(&n) {
                Ok(number) => Some(number),
                Err(_) => {
                    let problem = RowProblem::EmployeeNumberChars {
                        value: n.into_owned(),
                    };
                    self.fail("employee_number", ErrorKind::Format, problem);
                    None
                }
            },
            None => None,
        };
        let kind = match self.clean("kind") {
            Some("") => {
                self.fail("kind", ErrorKind::Empty, RowProblem::DesignationKindEmpty);
                None
            }
            Some(v) => {
                let kind = DesignationKind::parse(v);
                if kind.is_none() {
                    let problem = RowProblem::DesignationKind {
                        value: v.to_string(),
                    };
                    self.fail("kind", ErrorKind::Format, problem);
                }
                kind
            }
            None => None,
        };
        let from_cell_empty = self.cell("from").is_empty();
        let from = self.date("from");
        if from_cell_empty {
            self.fail("from", ErrorKind::Empty, RowProblem::DesignationStartEmpty);
        }
        let to = self.date("to");
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            let from = self.header.column(&COLUMNS, "from");
            self.fail(
                "to",
                ErrorKind::Conflict,
                RowProblem::EndBeforeStart { from },
            );
        }
        let note_cell = self.cell("note");
        // A note may run over several lines; other control characters and 外字 are refused.
        let note = match characters(&note_cell.replace('\n', " "), false) {
            Some(problem) => {
                self.fail(
                    "note",
                    ErrorKind::Characters,
                    RowProblem::Characters(problem),
                );
                None
            }
            None => Some(note_cell.to_string()).filter(|n| !n.is_empty()),
        };
        if note.as_deref().is_some_and(contains_my_number) {
            self.fail("note", ErrorKind::MyNumber, RowProblem::MyNumber);
        }
        match (number, kind, from, self.errors.is_empty()) {
            (Some(employee_number), Some(kind), Some(from), true) => Ok(DesignationRow {
                line: self.line,
                employee_number,
                kind,
                from,
                to,
                note,
            }),
            _ => Err(self.errors),
        }
    }
}

/// Parses the file; every problem of every row is reported with its line, column and fix
/// (a header that looks like a known column but is not one on line 1).
pub fn parse(text: &str) -> Result<(Vec<DesignationRow>, Vec<RowError>), FileError> {
    let text = unify_line_ends(text);
    let (mut reader, header_record) = open(&text)?;
    let header = header::map(&header_record, &COLUMNS, &REQUIRED)?;
    let (mut rows, mut errors) = (Vec::new(), header.near_misses.clone());
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().byte() as usize;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(FileError::Csv {
                    line: e.position().map_or(0, |p| p.line() as usize),
                    message: e.to_string(),
                });
            }
        }
        let line = record
            .position()
            .map(|p| record_line(&text, p))
            .unwrap_or(0);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let end = reader.position().byte() as usize;
        let raw = text.get(start..end).unwrap_or("").trim_start_matches('\n');
        let at_end = end >= text.len();
        if let Some(u) = quotes::unclosed(raw, at_end, record.len(), header_record.len()) {
            errors.push(unclosed_quote_error(&u, line, &header.names));
            continue;
        }
        let row = Row {
            record: &record,
            header: &header,
            line,
            errors: Vec::new(),
        };
        match row.read() {
            Ok(r) => rows.push(r),
            Err(mut e) => errors.append(&mut e),
        }
    }
    Ok((rows, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn rows_parse_and_bad_ones_say_why() {
        let text = "職員番号,指定,開始日,終了日,備考\n\
                    1001,事務取扱担当者,2026-01-05,2026-01-31,繁忙期の応援\n\
                    1002,課長,2025-04-01,,\n\
                    1003,clerk,2025-04-01,2025-03-01,\n\
                    1004,情報システム管理者,2025/4/1,,\n";
        let (rows, errors) = parse(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].to, Some(date!(2026 - 01 - 31)));
        assert_eq!(rows[1].kind, DesignationKind::SystemAdmin);
        assert_eq!(
            errors
                .iter()
                .map(|e| (e.line, e.column.to_string()))
                .collect::<Vec<_>>(),
            [(3, "指定"), (4, "終了日")].map(|(l, c)| (l, c.to_string()))
        );
    }

    /// Found by fuzzing (fuzz/seeds/designations_csv/shift_jis-crlf.csv): with Excel's CRLF
    /// line ends every row was reported one line too early; with CR alone, all on line 1,
    /// and one bad row then hid every good row after it. A row after a blank line was
    /// reported on the blank line.
    #[test]
    fn crlf_and_cr_line_ends_give_the_lines_an_editor_shows() {
        for end in ["\r\n", "\r", "\n"] {
            let text = format!(
                "職員番号,指定,開始日,終了日,備考{end}\
                 1001,事務取扱担当者,2026-01-05,,{end}\
                 1002,課長,2025-04-01,,{end}\
                 {end}\
                 1003,情報システム管理者,2025-04-01,,\"二行の{end}備考\"{end}\
                 1004,clerk,2025-04-01,,{end}"
            );
            let (rows, errors) = parse(&text).unwrap();
            let lines: Vec<_> = rows.iter().map(|r| r.line).collect();
            assert_eq!(lines, [2, 5, 7], "line end {end:?}: {errors:?}");
            assert_eq!(rows[1].note.as_deref(), Some("二行の\n備考"));
            assert_eq!(
                errors
                    .iter()
                    .map(|e| (e.line, e.column.to_string()))
                    .collect::<Vec<_>>(),
                [(3, "指定".to_string())],
                "line end {end:?}"
            );
        }
    }

    #[test]
    fn a_missing_column_is_named_in_japanese() {
        let e = parse("職員番号,指定\n1,clerk\n").unwrap_err().to_string();
        assert!(
            e.contains("『開始日』の列がありません") && e.contains("指定開始日"),
            "{e}"
        );
    }

    /// Issue 11, point 8: the designations file shares the roster's header and date handling.
    #[test]
    fn aliases_japanese_dates_and_full_width_numbers_are_read() {
        let text = "社員番号,指定の種類,指定開始日,終了年月日,メモ\n\
                    １００１,事務取扱担当者,令和7年4月1日,R8.3.31,応援\n\
                    1002,情報システム管理者,２０２５/４/１　０:００,,\n";
        let (rows, errors) = parse(text).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].employee_number.as_str(), "1001");
        assert_eq!(rows[0].from, date!(2025 - 04 - 01));
        assert_eq!(rows[0].to, Some(date!(2026 - 03 - 31)));
        assert_eq!(rows[1].from, date!(2025 - 04 - 01));
    }

    #[test]
    fn every_problem_of_every_row_is_reported_with_its_kind() {
        let text = "職員番号,指定,開始日,終了日,備考\n\
                    ,課長,平成31年5月1日,2025-13-01,123456789018\n\
                    1002,事務取扱担当者,,,\n\
                    10 02,事務取扱担当者,2025-04-01,2025-03-31,\u{E000}\n\
                    1004,\"事務取扱担当者,2025-04-01,,\n";
        let (rows, errors) = parse(text).unwrap();
        assert!(rows.is_empty(), "{rows:?}");
        let got: Vec<_> = errors
            .iter()
            .map(|e| (e.line, e.column.to_string(), e.kind))
            .collect();
        assert_eq!(
            got,
            [
                (2, "職員番号", ErrorKind::Empty),
                (2, "指定", ErrorKind::Format),
                (2, "開始日", ErrorKind::Format),
                (2, "終了日", ErrorKind::Format),
                (2, "備考", ErrorKind::MyNumber),
                (3, "開始日", ErrorKind::Empty),
                (4, "職員番号", ErrorKind::Format),
                (4, "終了日", ErrorKind::Conflict),
                (4, "備考", ErrorKind::Characters),
                (5, "指定", ErrorKind::Format),
            ]
            .map(|(l, c, k)| (l, c.to_string(), k))
        );
        assert!(
            errors[2]
                .message()
                .contains("令和元年5月1日と書いてください")
        );
        assert!(errors[9].message().contains("引用符"), "{:?}", errors[9]);
    }

    #[test]
    fn a_header_that_looks_like_a_missing_column_is_an_error_on_line_1() {
        let (rows, errors) =
            parse("職員番号,指定,開始日,終了曰\n1001,事務取扱担当者,2025-04-01,2026-03-31\n")
                .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (
                errors[0].line,
                errors[0].column.to_string().as_str(),
                errors[0].kind
            ),
            (1, "終了曰", ErrorKind::Column)
        );
        assert!(
            errors[0].message().contains("『終了日』のことなら"),
            "{errors:?}"
        );
    }
}
