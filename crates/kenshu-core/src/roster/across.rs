//! Checks across the rows of one roster: a person twice, a number or code that a spreadsheet
//! stripped of its leading zeros (`001007` and `1007`, `010000` and `10000`), one division
//! with two names or two parents.

use std::collections::HashMap;

use super::header::Header;
use super::text::without_leading_zeros;
use super::{COLUMNS, ErrorKind, RosterRow, RowError};

const ZEROS_FIX: &str =
    "表計算ソフトで先頭の0が消えた可能性があります。列の書式を『文字列』にして保存し直してください";

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
        let error = |key: &str, kind: ErrorKind, message: String| RowError {
            line: r.line,
            column: header.name(&COLUMNS, key),
            kind,
            message,
        };
        let number = without_leading_zeros(&r.employee_number);
        match self.people.get(number) {
            Some((first, at)) if *first == *r.employee_number => errors.push(error(
                "employee_number",
                ErrorKind::Duplicate,
                format!("職員番号『{first}』は{at}行目にもあります。1人1行にしてください"),
            )),
            Some((first, at)) => errors.push(error(
                "employee_number",
                ErrorKind::LeadingZeros,
                format!(
                    "職員番号『{}』と{at}行目の『{first}』は、先頭の0を除くと同じです。{ZEROS_FIX}",
                    r.employee_number
                ),
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
                format!(
                    "所属コード『{}』と{at}行目の『{first}』は、先頭の0を除くと同じです。{ZEROS_FIX}",
                    r.division_code
                ),
            )),
            Some((_, name, _, at)) if *name != r.division_name => errors.push(error(
                "division_name",
                ErrorKind::Conflict,
                format!(
                    "所属コード『{}』の所属名が、この行では『{}』、{at}行目では『{name}』です。1つの所属コードには1つの名前を書いてください",
                    r.division_code, r.division_name
                ),
            )),
            Some((_, _, parent, at)) if r.parent_code.is_some() && *parent != r.parent_code => {
                errors.push(error(
                    "parent_division_code",
                    ErrorKind::Conflict,
                    format!(
                        "所属コード『{}』の上位所属が、この行では『{}』、{at}行目では『{}』です。同じ所属の行には同じ上位所属コードを書いてください",
                        r.division_code,
                        r.parent_code.as_deref().unwrap_or("（なし）"),
                        parent.as_deref().unwrap_or("（なし）")
                    ),
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
            column: header.name(&COLUMNS, "parent_division_code"),
            kind: ErrorKind::LeadingZeros,
            message: format!(
                "上位所属コード『{parent}』と{at}行目の所属コード『{code}』は、先頭の0を除くと同じです。{ZEROS_FIX}"
            ),
        })
    }
}
