//! One CSV record read as a roster row: each cell normalised and checked (characters, length,
//! My Number, dates, e-mail address, status), every problem reported with its column.

use std::borrow::Cow;

use time::Date;

use crate::my_number::contains_my_number;
use crate::person::EmployeeNumber;
use crate::roster::dates::read_date;
use crate::roster::header::Header;
use crate::roster::text;
use crate::roster::{
    COLUMNS, CharProblem, ErrorKind, PersonStatus, Present, RosterRow, RowError, RowProblem,
};

/// A cell's characters: what no cell may hold (a control character such as a newline, 外字),
/// and, for names, what a failed conversion to Shift_JIS left (`?`).
pub(crate) fn characters(v: &str, names: bool) -> Option<CharProblem> {
    if let Some(c) = text::control(v) {
        return Some(match c {
            '\n' => CharProblem::Newline,
            '\t' => CharProblem::Tab,
            c => CharProblem::Control(c),
        });
    }
    if let Some(ch) = text::private_use(v) {
        return Some(CharProblem::PrivateUse {
            value: v.to_string(),
            ch,
        });
    }
    if names && text::replaced(v) {
        return Some(CharProblem::Replaced {
            value: v.to_string(),
        });
    }
    None
}

/// An e-mail address the portal can send to: ASCII, one `@` with something on each side, no
/// spaces. Full-width letters or `＠` are refused rather than guessed.
pub(crate) fn email_problem(e: &str) -> Option<RowProblem> {
    if !e.is_ascii() {
        return Some(RowProblem::EmailNotAscii {
            value: e.to_string(),
        });
    }
    let ok = match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !e.contains(|c: char| c.is_ascii_whitespace())
        }
        None => false,
    };
    (!ok).then(|| RowProblem::EmailFormat {
        value: e.to_string(),
    })
}

struct Cells<'a> {
    record: &'a csv::StringRecord,
    header: &'a Header,
    line: usize,
    errors: Vec<RowError>,
}

/// How a free-text cell is normalised.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// A name (person, reading, division): kana width and spaces; `?` refused.
    Name,
    /// A number or code: full-width ASCII narrowed.
    Code,
    /// Anything else, taken as written.
    Plain,
}

impl Cells<'_> {
    fn get(&self, key: &str) -> &str {
        self.header
            .cols
            .get(key)
            .and_then(|&i| self.record.get(i))
            .map(str::trim)
            .unwrap_or("")
    }

    fn fail(&mut self, key: &str, kind: ErrorKind, problem: RowProblem) {
        self.errors.push(RowError {
            line: self.line,
            column: self.header.column(&COLUMNS, key),
            kind,
            problem,
        });
    }

    /// A free-text cell: optional or required, normalised, at most `max` characters, without
    /// characters that cannot be kept, never a My Number.
    fn text(&mut self, key: &str, required: bool, max: usize, form: Form) -> Option<String> {
        let raw = self.get(key);
        if let Some(problem) = characters(raw, form == Form::Name) {
            self.fail(key, ErrorKind::Characters, RowProblem::Characters(problem));
            return None;
        }
        let v = match form {
            Form::Name => text::name(raw),
            Form::Code => text::code(raw),
            Form::Plain => Cow::Borrowed(raw),
        };
        if v.is_empty() {
            if required {
                let column = self.header.column(&COLUMNS, key);
                self.fail(key, ErrorKind::Empty, RowProblem::Empty { column });
            }
            return None;
        }
        let n = v.chars().count();
        if n > max {
            let problem = RowProblem::TooLong {
                value: v.into_owned(),
                len: n,
                max,
            };
            self.fail(key, ErrorKind::TooLong, problem);
            return None;
        }
        if contains_my_number(&v) {
            self.fail(key, ErrorKind::MyNumber, RowProblem::MyNumber);
            return None;
        }
        Some(v.into_owned())
    }

    fn date(&mut self, key: &str) -> Option<Date> {
        let v = self.get(key);
        if v.is_empty() {
            return None;
        }
        if let Some(problem) = characters(v, false) {
            self.fail(key, ErrorKind::Characters, RowProblem::Characters(problem));
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
}

pub(super) fn row(
    record: &csv::StringRecord,
    header: &Header,
    line: usize,
) -> Result<RosterRow, Vec<RowError>> {
    let mut c = Cells {
        record,
        header,
        line,
        errors: Vec::new(),
    };
    let employee_number = c
        .text("employee_number", true, 64, Form::Code)
        .and_then(|n| match EmployeeNumber::parse(&n) {
            Ok(number) => Some(number),
            Err(_) => {
                c.fail(
                    "employee_number",
                    ErrorKind::Format,
                    RowProblem::EmployeeNumberChars { value: n },
                );
                None
            }
        });
    let name = c.text("name", true, 200, Form::Name);
    let kana = c.text("kana", false, 200, Form::Name);
    let email = c.text("email", false, 254, Form::Plain);
    if let Some(e) = &email
        && let Some(problem) = email_problem(e)
    {
        let kind = if e.is_ascii() {
            ErrorKind::Format
        } else {
            ErrorKind::Characters
        };
        c.fail("email", kind, problem);
    }
    let division_code = c.text("division_code", true, 64, Form::Code);
    let division_name = c.text("division_name", true, 200, Form::Name);
    let parent_code = c.text("parent_division_code", false, 64, Form::Code);
    let employment_type = c
        .text("employment_type", false, 50, Form::Name)
        .unwrap_or_else(|| "常勤".to_string());
    let hired_on = c.date("hire_date");
    let effective = c.date("effective_date");
    let status_cell = c.get("status");
    let status = match characters(status_cell, false) {
        Some(problem) => {
            c.fail(
                "status",
                ErrorKind::Characters,
                RowProblem::Characters(problem),
            );
            PersonStatus::Active
        }
        None => match PersonStatus::parse(status_cell) {
            Some(s) => s,
            None => {
                let problem = RowProblem::Status {
                    value: status_cell.to_string(),
                };
                c.fail("status", ErrorKind::Format, problem);
                PersonStatus::Active
            }
        },
    };
    if parent_code.is_some() && parent_code == division_code {
        c.fail(
            "parent_division_code",
            ErrorKind::Conflict,
            RowProblem::OwnParent,
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
                    kana: header.cols.contains_key("kana"),
                    email: header.cols.contains_key("email"),
                    employment_type: header.cols.contains_key("employment_type"),
                    status: header.cols.contains_key("status"),
                },
            })
        }
        _ => Err(c.errors),
    }
}
