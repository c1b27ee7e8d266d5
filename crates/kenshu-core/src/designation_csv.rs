//! Designations from a CSV file: 職員番号, 指定, 開始日, 終了日, 備考.

use time::Date;

use crate::my_number::contains_my_number;
use crate::plan::DesignationKind;
use crate::roster::{ErrorKind, FileError, RowError, parse_date, record_line, unify_line_ends};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignationRow {
    pub line: usize,
    pub employee_number: String,
    pub kind: DesignationKind,
    pub from: Date,
    pub to: Option<Date>,
    pub note: Option<String>,
}

const COLUMNS: [(&str, &[&str]); 5] = [
    ("employee_number", &["職員番号", "employee_number"]),
    ("kind", &["指定", "指定の種類", "kind"]),
    ("from", &["開始日", "valid_from"]),
    ("to", &["終了日", "valid_to"]),
    ("note", &["備考", "note"]),
];

/// Parses the file; every bad row is reported with its line, column and fix.
pub fn parse(text: &str) -> Result<(Vec<DesignationRow>, Vec<RowError>), FileError> {
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
    let index = |key: &str| {
        let names = COLUMNS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, n)| *n)
            .unwrap_or(&[]);
        header
            .iter()
            .position(|h| names.contains(&h.trim().trim_start_matches('\u{feff}')))
    };
    let cols: Vec<Option<usize>> = COLUMNS.iter().map(|(k, _)| index(k)).collect();
    for (i, (key, names)) in COLUMNS.iter().enumerate().take(3) {
        if cols[i].is_none() {
            return Err(FileError::MissingColumn {
                column: key.to_string(),
                accepted: names
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record.map_err(|e| FileError::Csv {
            line: 0,
            message: e.to_string(),
        })?;
        let line = record
            .position()
            .map(|p| record_line(&text, p))
            .unwrap_or(0);
        let cell = |i: usize| {
            cols[i]
                .and_then(|c| record.get(c))
                .map(str::trim)
                .unwrap_or("")
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut fail = |column: &str, message: String| {
            errors.push(RowError {
                line,
                column: column.into(),
                kind: ErrorKind::Format,
                message,
            })
        };
        let number = cell(0).to_string();
        if number.is_empty() {
            fail(
                "職員番号",
                "is empty; give the person's employee number".into(),
            );
        }
        let kind = DesignationKind::parse(cell(1));
        if kind.is_none() {
            fail(
                "指定",
                format!(
                    "\"{}\" is not a designation; use 事務取扱担当者, 特定個人情報ファイル取扱者 or 情報システム管理者",
                    cell(1)
                ),
            );
        }
        let from = parse_date(cell(2));
        if from.is_none() {
            fail(
                "開始日",
                format!("\"{}\" is not a date; write it as 2025-04-01", cell(2)),
            );
        }
        let to = match cell(3) {
            "" => None,
            s => {
                let d = parse_date(s);
                if d.is_none() {
                    fail(
                        "終了日",
                        format!("\"{s}\" is not a date; write it as 2025-04-01 or leave it empty"),
                    );
                }
                d
            }
        };
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            fail(
                "終了日",
                "is before 開始日; the period must end on or after its start".into(),
            );
        }
        let note = Some(cell(4).to_string()).filter(|n| !n.is_empty());
        if note.as_deref().is_some_and(contains_my_number) {
            fail("備考", "contains what looks like a My Number; remove it: the portal never stores My Numbers".into());
        }
        if let (false, Some(kind), Some(from)) = (errors.iter().any(|e| e.line == line), kind, from)
        {
            rows.push(DesignationRow {
                line,
                employee_number: number,
                kind,
                from,
                to,
                note,
            });
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
                .map(|e| (e.line, e.column.as_str()))
                .collect::<Vec<_>>(),
            [(3, "指定"), (4, "終了日")]
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
                    .map(|e| (e.line, e.column.as_str()))
                    .collect::<Vec<_>>(),
                [(3, "指定")],
                "line end {end:?}"
            );
        }
    }

    #[test]
    fn a_missing_column_is_named() {
        assert!(
            parse("職員番号,指定\n1,clerk\n")
                .unwrap_err()
                .to_string()
                .contains("from")
        );
    }
}
