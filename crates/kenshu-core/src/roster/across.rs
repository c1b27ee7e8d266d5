//! Checks across the rows of one roster: a person twice, a number or code that a spreadsheet
//! stripped of its leading zeros (`001007` and `1007`, `010000` and `10000`), one division
//! with two names or two parents.

use std::collections::HashMap;

use super::header::Header;
use super::text::without_leading_zeros;
use super::{COLUMNS, ErrorKind, RosterRow, RowError, RowProblem};

/// A division as first seen: (code as written, name, parent, line).
type FirstDivision = (String, String, Option<String>, usize);

/// What earlier rows said, for the checks across rows.
#[derive(Default)]
pub(crate) struct Seen {
    /// Employee numbers without leading zeros → (as written, line).
    people: HashMap<String, (String, usize)>,
    /// Division codes without leading zeros → the division as first seen.
    divisions: HashMap<String, FirstDivision>,
}

impl Seen {
    /// The problems of a valid row with the rows before it: a person twice, a number or code
    /// that lost its leading zeros, one division with two names or two parents.
    pub(crate) fn check(&mut self, r: &RosterRow, header: &Header) -> Vec<RowError> {
        let mut errors = Vec::new();
        let column = |key: &str| header.column(&COLUMNS, key);
        let error = |key: &str, kind: ErrorKind, problem: RowProblem| RowError {
            line: r.line,
            column: column(key),
            kind,
            problem,
        };
        let number = without_leading_zeros(&r.employee_number);
        match self.people.get(number) {
            Some((first, at)) if *first == *r.employee_number => errors.push(error(
                "employee_number",
                ErrorKind::Duplicate,
                RowProblem::DuplicateNumber {
                    column: column("employee_number"),
                    number: first.clone(),
                    line: *at,
                },
            )),
            Some((first, at)) => errors.push(error(
                "employee_number",
                ErrorKind::LeadingZeros,
                RowProblem::NumberLostZeros {
                    column: column("employee_number"),
                    number: r.employee_number.to_string(),
                    other: first.clone(),
                    line: *at,
                },
            )),
            None => {
                self.people
                    .insert(number.to_string(), (r.employee_number.to_string(), r.line));
            }
        }
        let code = without_leading_zeros(&r.division_code);
        match self.divisions.get(code) {
            Some((first, _, _, at)) if *first != r.division_code => errors.push(error(
                "division_code",
                ErrorKind::LeadingZeros,
                RowProblem::CodeLostZeros {
                    column: column("division_code"),
                    code: r.division_code.clone(),
                    other: first.clone(),
                    line: *at,
                },
            )),
            Some((_, name, _, at)) if *name != r.division_name => errors.push(error(
                "division_name",
                ErrorKind::Conflict,
                RowProblem::TwoNames {
                    column: column("division_code"),
                    code: r.division_code.clone(),
                    name: r.division_name.clone(),
                    other: name.clone(),
                    line: *at,
                },
            )),
            Some((_, _, parent, at)) if r.parent_code.is_some() && *parent != r.parent_code => {
                errors.push(error(
                    "parent_division_code",
                    ErrorKind::Conflict,
                    RowProblem::TwoParents {
                        column: column("division_code"),
                        code: r.division_code.clone(),
                        parent: r.parent_code.clone(),
                        other: parent.clone(),
                        line: *at,
                    },
                ))
            }
            Some(_) => {}
            None => {
                self.divisions.insert(
                    code.to_string(),
                    (
                        r.division_code.clone(),
                        r.division_name.clone(),
                        r.parent_code.clone(),
                        r.line,
                    ),
                );
            }
        }
        errors
    }

    /// A parent code that names a division of the file once leading zeros are ignored.
    pub(crate) fn parent_lost_zeros(&self, r: &RosterRow, header: &Header) -> Option<RowError> {
        let parent = r.parent_code.as_deref()?;
        let (code, _, _, at) = self.divisions.get(without_leading_zeros(parent))?;
        (code != parent).then(|| RowError {
            line: r.line,
            column: header.column(&COLUMNS, "parent_division_code"),
            kind: ErrorKind::LeadingZeros,
            problem: RowProblem::ParentLostZeros {
                column: header.column(&COLUMNS, "parent_division_code"),
                code_column: header.column(&COLUMNS, "division_code"),
                parent: parent.to_string(),
                code: code.clone(),
                line: *at,
            },
        })
    }
}
