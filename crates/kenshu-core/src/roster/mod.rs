//! The roster (職員名簿) as HR systems export it: one row per person, naming their division by
//! code and name (and the parent division's code, for the tree). Parsing checks every row and
//! reports each problem with its line, column and fix; planning compares the file with the
//! portal and lists what an import would change.

mod across;
mod dates;
pub(crate) mod header;
mod parse;
mod plan;
mod problem;
pub(crate) mod quotes;
mod text;

pub use dates::{DateError, parse_date, read_date};
pub use parse::{Decoded, FileError, decode, parse};
pub use problem::{CharProblem, Column, RowProblem};
pub use text::{normalise_code, normalise_kana, normalise_name, without_leading_zeros};

pub(crate) use parse::{characters, open, record_line, unclosed_quote_error, unify_line_ends};
pub(crate) use text::code as normalised_code;

pub use plan::{
    DivisionChange, ExistingDivision, ExistingPerson, FieldChange, ImportPlan, Leaver,
    MASS_CHANGE_MIN, MassChange, PlanOptions, Transfer, last_day, plan,
};

use crate::person::EmployeeNumber;
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

    /// A status as HR systems write it (`在職`, `在籍`, `休職中`, `育児休業`, `退職済`…), or
    /// `None`. Numeric codes (`0`, `1`) mean different things in different systems: refused.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "在職" | "在職中" | "在籍" | "在籍中" | "現職" | "active" => {
                Some(PersonStatus::Active)
            }
            "休職" | "休職中" | "休業" | "休業中" | "育児休業" | "育児休業中" | "育休"
            | "介護休業" | "on_leave" | "leave" => Some(PersonStatus::OnLeave),
            "退職" | "退職済" | "退職済み" | "退職者" | "離職" | "離職済" | "left" => {
                Some(PersonStatus::Left)
            }
            _ => None,
        }
    }
}

/// One valid roster row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// Line in the file (the header is line 1).
    pub line: usize,
    pub employee_number: EmployeeNumber,
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

/// What kind of problem a row has: errors are counted by column and kind
/// (「採用日の形式: 300件」), so that a file with one systematic mistake says so in one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// A required cell is empty.
    Empty,
    /// A cell that cannot be read as what it should be (a date, an e-mail address, a status).
    Format,
    /// A cell longer than allowed.
    TooLong,
    /// A cell that holds what looks like a My Number.
    MyNumber,
    /// A person (or e-mail address) twice.
    Duplicate,
    /// Rows that disagree (one division code with two names or two parents).
    Conflict,
    /// A number or code that equals another once leading zeros are ignored: a spreadsheet
    /// dropped them.
    LeadingZeros,
    /// A reference to something neither in the file nor in the portal (a parent division).
    Reference,
    /// Characters that cannot be stored as they are (`?` from a failed conversion, 外字, a
    /// newline in a name, non-ASCII in an e-mail address).
    Characters,
    /// A column the import does not use but that looks like one it does (a near-miss).
    Column,
    /// A change that would make most of the institution new or leaving, not confirmed.
    MassChange,
}

/// A problem with one row, said so that the person fixing the file knows where and how:
/// `Catalogue::row_error` words it in the reader's language; `Display` is the Japanese wording
/// (the command line, logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Line in the file (the header is line 1; 0 for a problem with the whole file).
    pub line: usize,
    pub column: Column,
    pub kind: ErrorKind,
    pub problem: RowProblem,
}

impl RowError {
    /// `3行目「採用日」: …`, `Line 3, column "採用日": …`.
    pub fn in_words(&self, t: &crate::i18n::Catalogue) -> String {
        t.row_error(self)
    }

    /// The problem in Japanese, without its line and column.
    pub fn message(&self) -> String {
        crate::i18n::JA.row_problem(&self.problem)
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.in_words(&crate::i18n::JA))
    }
}

/// Errors counted by column and kind, most frequent first, named in `t`'s language:
/// (「採用日の形式」, 300).
pub fn count_by_kind(t: &crate::i18n::Catalogue, errors: &[RowError]) -> Vec<(String, usize)> {
    // By the column's name: one column found with its header and by its key counts once.
    let mut counts: std::collections::HashMap<(std::borrow::Cow<'_, str>, ErrorKind), usize> =
        Default::default();
    for e in errors {
        *counts.entry((t.column(&e.column), e.kind)).or_default() += 1;
    }
    let mut out: Vec<(String, usize)> = counts
        .into_iter()
        .map(|((column, kind), n)| (t.roster_error_in(&column, kind), n))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// A parsed roster: the valid rows, every problem, and what the parser made of the header.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<RosterRow>,
    pub errors: Vec<RowError>,
    /// Data records read (not counting the header and blank lines), valid or not.
    pub records: usize,
    /// Each header cell the import uses, with the column it was taken as: (「在職区分」, "status").
    pub used: Vec<(String, &'static str)>,
    /// Header cells the import does not use.
    pub ignored: Vec<String>,
}

/// The columns, with the header names accepted for each (Japanese as HR systems export them,
/// and English). Headers are compared without width, case or surrounding spaces (`氏名（カナ）`
/// is `氏名(カナ)`, `Ｅ－ｍａｉｌ` is `e-mail`). The first name is the one `gen roster` writes and
/// messages use when the file lacks the column.
pub const COLUMNS: [(&str, &[&str]); 11] = [
    (
        "employee_number",
        &[
            "職員番号",
            "職員コード",
            "職員ID",
            "職員No",
            "職員No.",
            "社員番号",
            "社員コード",
            "従業員番号",
            "employee_number",
            "employee_no",
            "employee_id",
        ],
    ),
    (
        "name",
        &["氏名", "名前", "職員氏名", "職員名", "氏名(漢字)", "name"],
    ),
    (
        "kana",
        &[
            "氏名カナ",
            "氏名(カナ)",
            "氏名(フリガナ)",
            "氏名フリガナ",
            "カナ氏名",
            "フリガナ",
            "ふりがな",
            "よみがな",
            "カナ",
            "kana",
        ],
    ),
    (
        "email",
        &[
            "メールアドレス",
            "メール",
            "Eメール",
            "Eメールアドレス",
            "E-mail",
            "E-mailアドレス",
            "email",
            "mail",
            "email address",
            "e-mail address",
        ],
    ),
    (
        "division_code",
        &[
            "所属コード",
            "所属課コード",
            "課コード",
            "部署コード",
            "division_code",
        ],
    ),
    (
        "division_name",
        &[
            "所属名",
            "所属名称",
            "所属",
            "所属課",
            "所属課名",
            "課名",
            "部署名",
            "部署",
            "division_name",
        ],
    ),
    (
        "parent_division_code",
        &[
            "上位所属コード",
            "親所属コード",
            "上位部署コード",
            "parent_division_code",
        ],
    ),
    (
        "employment_type",
        &[
            "雇用形態",
            "任用形態",
            "任用区分",
            "職員区分",
            "雇用区分",
            "employment_type",
        ],
    ),
    (
        "hire_date",
        &[
            "採用日",
            "採用年月日",
            "入庁日",
            "入庁年月日",
            "入社日",
            "入社年月日",
            "hire_date",
            "hired_on",
        ],
    ),
    (
        "status",
        &[
            "在職状況",
            "在職区分",
            "在籍区分",
            "在籍状況",
            "状態",
            "status",
        ],
    ),
    (
        "effective_date",
        &[
            "異動日",
            "異動年月日",
            "発令日",
            "発令年月日",
            "異動発令日",
            "effective_date",
        ],
    ),
];

/// Columns a file must have.
pub const REQUIRED: [&str; 4] = ["employee_number", "name", "division_code", "division_name"];
