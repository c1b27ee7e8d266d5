//! The data the report tests read back: fiscal year 2025 with an approved standard plan, a
//! division whose five people's years went five different ways (and one who left before the
//! year), and a second division with the chief, the auditor, a staff member and a protection
//! officer. The command-line and web report tests and the browser download test share it.
//! The year is past: its completions are dated back (`Scenario::at`).

use kenshu_core::FiscalYear;
use kenshu_core::person::Role;
use kenshu_core::plan::DesignationKind;
use time::macros::{date, datetime};

use crate::{Scenario, TestApp};

/// The fiscal year of the data; its standard plan is approved.
pub const FY: i32 = 2025;

/// Division a: five people whose year went five different ways, one who left before the
/// year (not in the report); division b: the chief (9001), the auditor (9002), a staff member
/// and a protection officer.
pub async fn setup(app: &TestApp) {
    Scenario::new(app.pool())
        .plan(FiscalYear::stored(FY))
        .approved()
        .person("1001", Role::Staff)
        .named("山田 太郎")
        .designated(DesignationKind::Clerk, date!(2025 - 04 - 01))
        .until(date!(2025 - 09 - 30))
        // 𠮷 is not in CP932: the Shift_JIS CSV shows 〓.
        .person("1002", Role::Staff)
        .named("𠮷田 花子")
        .person("1003", Role::Staff)
        .person("1004", Role::Staff)
        .person("1005", Role::Staff)
        .left(date!(2025 - 10 - 15))
        .person("1006", Role::Staff)
        .left(date!(2025 - 03 - 31))
        .person("9001", Role::ChiefOfficer)
        .in_division("b")
        .person("9002", Role::AuditOfficer)
        .in_division("b")
        .person("9003", Role::Staff)
        .in_division("b")
        .person("9004", Role::ProtectionOfficer)
        .in_division("b")
        .year(FiscalYear::stored(FY))
        .completed("1001", "clerk")
        .at(datetime!(2025-06-10 10:00 +09:00))
        .completed("1001", "cybersecurity")
        .at(datetime!(2025-06-10 10:00 +09:00))
        .completed("1001", "final-test")
        .score(9, 10)
        .at(datetime!(2025-06-10 10:00 +09:00))
        .completed("1002", "clerk")
        .in_person()
        .at(datetime!(2025-07-01 14:00 +09:00))
        .retake("1003", "clerk", date!(2026 - 02 - 28))
        .completed("1003", "clerk")
        .score(8, 10)
        .at(datetime!(2026-02-01 09:00 +09:00))
        .exempted("1004", "clerk", "長期療養")
        .build()
        .await;
}

/// The annual report's header row, in every format.
pub const HEADER: [&str; 13] = [
    "所属コード",
    "所属",
    "職員番号",
    "氏名",
    "指定（年度内）",
    "研修",
    "受講状況",
    "受講方法",
    "修了日",
    "得点",
    "受講期限",
    "再受講",
    "退職日",
];

/// Parses CSV text (quotes and CRLF) into rows of cells.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => cell.push(c),
        }
    }
    rows
}

/// The cells of one sheet of an XLSX file as text (numbers as Rust prints them: `9`, `0.5`).
pub fn xlsx_sheet(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec()))
        .unwrap_or_else(|e| panic!("the XLSX does not open: {e}"));
    let range = book
        .worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("the XLSX has no sheet {sheet}: {e}"));
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::Float(f) => format!("{f}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}
