//! The roster (職員名簿) as HR systems export it: one row per person, naming their division by
//! code and name (and the parent division's code, for the tree). Parsing checks every row and
//! reports each problem with its line, column and fix; planning compares the file with the
//! portal and lists what an import would change.

mod parse;
mod plan;

pub use parse::{Decoded, FileError, decode, parse, parse_date};
pub(crate) use parse::{record_line, unify_line_ends};
pub use plan::{
    DivisionChange, ExistingDivision, ExistingPerson, FieldChange, ImportPlan, Leaver, Transfer,
    plan,
};

use time::Date;

/// Whether a person is at work, on leave or gone. People who leave are never deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersonStatus {
    Active,
    OnLeave,
    Left,
}

impl PersonStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::OnLeave => "on_leave",
            PersonStatus::Left => "left",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            PersonStatus::Active => "在職",
            PersonStatus::OnLeave => "休職",
            PersonStatus::Left => "退職",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "" | "在職" | "active" | "現職" => Some(PersonStatus::Active),
            "休職" | "休業" | "on_leave" | "leave" => Some(PersonStatus::OnLeave),
            "退職" | "離職" | "left" => Some(PersonStatus::Left),
            _ => None,
        }
    }
}

/// One valid roster row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// Line in the file (the header is line 1).
    pub line: usize,
    pub employee_number: String,
    pub name: String,
    pub kana: Option<String>,
    pub email: Option<String>,
    pub division_code: String,
    pub division_name: String,
    pub parent_code: Option<String>,
    pub employment_type: String,
    pub hired_on: Option<Date>,
    pub status: PersonStatus,
    /// The day a transfer takes effect (異動日); the import's date when absent.
    pub effective: Option<Date>,
    /// Which optional columns the file has: a column the file lacks changes nothing.
    pub present: Present,
}

/// The optional columns a roster file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Present {
    pub kana: bool,
    pub email: bool,
    pub employment_type: bool,
    pub status: bool,
}

/// A problem with one row, said so that the person fixing the file knows where and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// The columns, with the header names accepted for each (Japanese as HR exports them, and
/// English). The first name is the one `gen roster` writes.
pub const COLUMNS: [(&str, &[&str]); 11] = [
    (
        "employee_number",
        &[
            "職員番号",
            "職員コード",
            "社員番号",
            "employee_number",
            "employee_no",
        ],
    ),
    ("name", &["氏名", "名前", "name"]),
    (
        "kana",
        &[
            "氏名カナ",
            "カナ氏名",
            "フリガナ",
            "ふりがな",
            "カナ",
            "kana",
        ],
    ),
    ("email", &["メールアドレス", "メール", "email", "e-mail"]),
    (
        "division_code",
        &["所属コード", "課コード", "division_code"],
    ),
    ("division_name", &["所属名", "課名", "division_name"]),
    (
        "parent_division_code",
        &["上位所属コード", "親所属コード", "parent_division_code"],
    ),
    (
        "employment_type",
        &["雇用形態", "任用形態", "employment_type"],
    ),
    (
        "hire_date",
        &["採用日", "採用年月日", "hire_date", "hired_on"],
    ),
    ("status", &["在職状況", "状態", "status"]),
    ("effective_date", &["異動日", "発令日", "effective_date"]),
];

/// Columns a file must have.
pub const REQUIRED: [&str; 4] = ["employee_number", "name", "division_code", "division_name"];
