//! Checks that no single row shows: an e-mail address that would belong to two people, and a
//! change that makes most of the institution new or leaving.

use std::collections::{HashMap, HashSet};

use super::{ExistingPerson, ImportPlan, MASS_CHANGE_MIN, MassChange};
use crate::roster::{
    Column, ErrorKind, PersonStatus, RosterRow, RowError, RowProblem, without_leading_zeros,
};

/// Most of the institution new, or most of it leaving, is refused unless confirmed.
pub(super) fn check_mass_change(
    p: &mut ImportPlan<'_>,
    people: &HashMap<String, ExistingPerson>,
    allowed: bool,
) {
    let active = people
        .values()
        .filter(|x| x.status != PersonStatus::Left)
        .count();
    let (new, leavers) = (p.new_people.len(), p.leavers.len());
    if active < MASS_CHANGE_MIN || (new * 2 <= active && leavers * 2 <= active) {
        return;
    }
    p.mass_change = Some(MassChange {
        new,
        leavers,
        active,
    });
    // Numbers that lost their leading zeros are already refused row by row, saying why.
    let explained = p.errors.iter().any(|e| e.kind == ErrorKind::LeadingZeros);
    if !allowed && !explained {
        p.errors.push(RowError {
            line: 0,
            column: Column::File,
            kind: ErrorKind::MassChange,
            problem: RowProblem::MassChange {
                active,
                new,
                leavers,
            },
        });
    }
}

/// An e-mail address signs a person in, so it belongs to one person only.
pub(super) fn check_emails(
    rows: &[RosterRow],
    people: &HashMap<String, ExistingPerson>,
    errors: &mut Vec<RowError>,
) {
    let mut owners: HashMap<String, (&str, Option<usize>)> = people
        .values()
        .filter_map(|x| {
            Some((
                x.email.as_ref()?.to_lowercase(),
                (x.employee_number.as_str(), None),
            ))
        })
        .collect();
    // People in the file who change their address give up the old one. A number that lost its
    // leading zeros is the same person (refused for that, not for their own address).
    let in_file: HashSet<&str> = rows
        .iter()
        .map(|r| without_leading_zeros(&r.employee_number))
        .collect();
    owners.retain(|_, (n, _)| !in_file.contains(without_leading_zeros(n)));
    for r in rows {
        let Some(email) = r.email.as_ref().map(|e| e.to_lowercase()) else {
            continue;
        };
        match owners.get(&email) {
            Some((n, line)) if *n != r.employee_number.as_str() => errors.push(RowError {
                line: r.line,
                column: Column::Known("email"),
                kind: ErrorKind::Duplicate,
                problem: match line {
                    Some(l) => RowProblem::EmailTwice { email, line: *l },
                    None => RowProblem::EmailTaken {
                        email,
                        number_column: Column::Known("employee_number"),
                        number: n.to_string(),
                    },
                },
            }),
            _ => {
                owners.insert(email, (r.employee_number.as_str(), Some(r.line)));
            }
        }
    }
}
