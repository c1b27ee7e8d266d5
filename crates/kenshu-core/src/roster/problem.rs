//! What is wrong with a row of a roster or designation file, as data: the column it is in and
//! the problem with its values. `Catalogue::row_problem` and `Catalogue::row_error` put them
//! in words, in either language; `Display` is the Japanese wording (the command line, logs).

use super::DateError;
use crate::i18n::JA;

/// The column a problem is in, or one a message names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    /// A column the file has, named as its header writes it (it is the person's own file).
    Header(String),
    /// A column known by its key (`email`, `parent_division_code`) where the file's header is
    /// not at hand: the catalogue names it.
    Known(&'static str),
    /// The n-th cell of a line (from 1), under an empty header.
    Nth(usize),
    /// The file as a whole.
    File,
}

/// The Japanese name (`Catalogue::column`: in either language).
impl std::fmt::Display for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&JA.column(self))
    }
}

/// A column equals the name it has in Japanese: `e.column == "採用日"`.
impl PartialEq<&str> for Column {
    fn eq(&self, other: &&str) -> bool {
        JA.column(self) == *other
    }
}

impl PartialEq<str> for Column {
    fn eq(&self, other: &str) -> bool {
        JA.column(self) == other
    }
}

/// Characters a cell cannot keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CharProblem {
    /// A line break inside the cell (Alt+Enter in Excel).
    Newline,
    Tab,
    /// Another control character.
    Control(char),
    /// A private-use character (外字) in `value`.
    PrivateUse {
        value: String,
        ch: char,
    },
    /// `?` or U+FFFD where a conversion to Shift_JIS lost a character.
    Replaced {
        value: String,
    },
}

/// One problem of one row, with the values its wording names. One variant per message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowProblem {
    /// Characters the cell cannot keep.
    Characters(CharProblem),
    /// A required cell is empty; `column` is the column, to be filled in for everyone.
    Empty { column: Column },
    TooLong {
        value: String,
        len: usize,
        max: usize,
    },
    /// What looks like a My Number.
    MyNumber,
    /// An employee number with characters it cannot have.
    EmployeeNumberChars { value: String },
    /// A date that cannot be read.
    Date(DateError),
    /// An e-mail address with full-width characters.
    EmailNotAscii { value: String },
    /// An e-mail address that cannot be read as one.
    EmailFormat { value: String },
    /// A status (在職状況) that cannot be read.
    Status { value: String },
    /// A division that is its own parent.
    OwnParent,
    /// A quote opened on line `opened` that runs to line `runs_to`.
    UnclosedQuote { opened: usize, runs_to: usize },
    /// A header the import does not use that looks like `meant`, a name of a column the file
    /// lacks.
    NearMiss { header: String, meant: &'static str },
    /// The same employee number on `line` too.
    DuplicateNumber {
        column: Column,
        number: String,
        line: usize,
    },
    /// An employee number equal to `other` on `line` once leading zeros are ignored.
    NumberLostZeros {
        column: Column,
        number: String,
        other: String,
        line: usize,
    },
    /// A division code equal to `other` on `line` once leading zeros are ignored.
    CodeLostZeros {
        column: Column,
        code: String,
        other: String,
        line: usize,
    },
    /// One division code with the name `name` here and `other` on `line`.
    TwoNames {
        column: Column,
        code: String,
        name: String,
        other: String,
        line: usize,
    },
    /// One division code with the parent `parent` here and `other` on `line` (None: none).
    TwoParents {
        column: Column,
        code: String,
        parent: Option<String>,
        other: Option<String>,
        line: usize,
    },
    /// A parent code equal to the division code `code` on `line` once leading zeros are
    /// ignored.
    ParentLostZeros {
        column: Column,
        code_column: Column,
        parent: String,
        code: String,
        line: usize,
    },
    /// A parent neither in the file nor in the portal, which has `known` (the same code with
    /// other leading zeros).
    ParentZerosInPortal { parent: String, known: String },
    /// A parent neither in the file nor in the portal.
    UnknownParent { parent: String },
    /// A division code that differs from the portal's `known` in leading zeros only.
    CodeZerosInPortal {
        column: Column,
        code: String,
        known: String,
    },
    /// An employee number that differs from the portal's `known` in leading zeros only.
    NumberZerosInPortal {
        column: Column,
        number: String,
        known: String,
    },
    /// An e-mail address on `line` too.
    EmailTwice { email: String, line: usize },
    /// An e-mail address the portal's person `number` has.
    EmailTaken {
        email: String,
        number_column: Column,
        number: String,
    },
    /// Most of the institution new or leaving, not confirmed.
    MassChange {
        active: usize,
        new: usize,
        leavers: usize,
    },
    /// A designation row without the employee number.
    DesignationNumberEmpty { column: Column },
    /// A designation row without the kind of designation.
    DesignationKindEmpty,
    /// A kind of designation that cannot be read.
    DesignationKind { value: String },
    /// A designation row without its start.
    DesignationStartEmpty,
    /// A designation that ends before it starts (`from`: the start's column).
    EndBeforeStart { from: Column },
    /// A designation of a person the portal does not have.
    UnknownPerson { column: Column, number: String },
    /// The person already holds this designation (kind, division) for part of the row's period,
    /// from `from` (until `to`; open when None): stored, or in an earlier row of the file.
    DesignationOverlap {
        from: time::Date,
        to: Option<time::Date>,
    },
}

/// The Japanese wording (`Catalogue::row_problem`: in either language).
impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&JA.row_problem(self))
    }
}

impl RowProblem {
    /// The columns the wording names.
    fn columns_mut(&mut self) -> Vec<&mut Column> {
        use RowProblem as P;
        match self {
            P::Empty { column }
            | P::DuplicateNumber { column, .. }
            | P::NumberLostZeros { column, .. }
            | P::CodeLostZeros { column, .. }
            | P::TwoNames { column, .. }
            | P::TwoParents { column, .. }
            | P::CodeZerosInPortal { column, .. }
            | P::NumberZerosInPortal { column, .. }
            | P::DesignationNumberEmpty { column }
            | P::UnknownPerson { column, .. } => vec![column],
            P::ParentLostZeros {
                column,
                code_column,
                ..
            } => vec![column, code_column],
            P::EmailTaken { number_column, .. } => vec![number_column],
            P::EndBeforeStart { from } => vec![from],
            P::Characters(_)
            | P::DesignationOverlap { .. }
            | P::TooLong { .. }
            | P::MyNumber
            | P::EmployeeNumberChars { .. }
            | P::Date(_)
            | P::EmailNotAscii { .. }
            | P::EmailFormat { .. }
            | P::Status { .. }
            | P::OwnParent
            | P::UnclosedQuote { .. }
            | P::NearMiss { .. }
            | P::ParentZerosInPortal { .. }
            | P::UnknownParent { .. }
            | P::EmailTwice { .. }
            | P::DesignationKindEmpty
            | P::DesignationKind { .. }
            | P::DesignationStartEmpty
            | P::MassChange { .. } => Vec::new(),
        }
    }
}

impl super::RowError {
    /// Names each column known only by its key (a problem found where the header was not at
    /// hand, such as against the portal) as the file's header writes it, where the file has
    /// it: `used` is the header cells the import used, with their columns.
    pub fn name_columns(&mut self, used: &[(String, &'static str)]) {
        let header = |c: &Column| match c {
            Column::Known(key) => used
                .iter()
                .find(|(_, k)| k == key)
                .map(|(h, _)| Column::Header(h.clone())),
            _ => None,
        };
        for c in std::iter::once(&mut self.column).chain(self.problem.columns_mut()) {
            if let Some(h) = header(c) {
                *c = h;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::{ErrorKind, RowError};

    #[test]
    fn a_column_found_by_its_key_is_named_as_the_files_header_where_the_file_has_it() {
        let mut e = RowError {
            line: 4,
            column: Column::Known("employee_number"),
            kind: ErrorKind::LeadingZeros,
            problem: RowProblem::EmailTaken {
                email: "a@example.jp".into(),
                number_column: Column::Known("employee_number"),
                number: "1001".into(),
            },
        };
        e.name_columns(&[("社員番号".into(), "employee_number")]);
        assert_eq!(e.column, Column::Header("社員番号".into()));
        assert!(
            e.to_string().contains("ポータルで社員番号1001の職員"),
            "{e}"
        );
        let mut lacking = RowError {
            column: Column::Known("email"),
            ..e.clone()
        };
        lacking.name_columns(&[("社員番号".into(), "employee_number")]);
        assert_eq!(lacking.column, Column::Known("email"));
    }
}
