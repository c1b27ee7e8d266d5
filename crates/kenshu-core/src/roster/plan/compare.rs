//! The comparison of the file with the portal, row by row: new and changed divisions, new
//! people, transfers, leavers and changed details.

use std::collections::{HashMap, HashSet};

use time::Date;

use super::checks::{check_emails, check_mass_change};
use super::{
    DivisionChange, ExistingDivision, ExistingPerson, FieldChange, ImportPlan, Leaver, PlanOptions,
    Transfer,
};
use crate::roster::text::name as normal_name;
use crate::roster::{
    Column, ErrorKind, PersonStatus, RosterRow, RowError, RowProblem, without_leading_zeros,
};

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// A stored name (or reading, division name, employment type) as the parser now writes it:
/// a value stored before normalisation, or typed in by hand, is not a change when only its
/// widths and spaces differ (「鈴木　花子」 and 「鈴木 花子」).
fn stored(s: &str) -> String {
    normal_name(s).into_owned()
}

/// The last day of a person whose row says 退職: its 異動日 (退職日), else the day before the
/// import's day (they had left by the time of the file).
pub fn last_day(r: &RosterRow, default_on: Date) -> Date {
    r.effective
        .unwrap_or(default_on.previous_day().unwrap_or(default_on))
}

/// Compares the file with the portal.
pub fn plan<'a>(
    rows: &'a [RosterRow],
    people: &HashMap<String, ExistingPerson>,
    divisions: &HashMap<String, ExistingDivision>,
    o: PlanOptions,
) -> ImportPlan<'a> {
    let mut p = ImportPlan::default();
    let mut file_divisions: HashMap<&str, &RosterRow> = HashMap::new();
    for r in rows {
        file_divisions.entry(r.division_code.as_str()).or_insert(r);
    }
    let division_by_digits: HashMap<&str, &str> = divisions
        .keys()
        .map(|c| (without_leading_zeros(c), c.as_str()))
        .collect();
    let mut codes: Vec<&&str> = file_divisions.keys().collect();
    codes.sort();
    for code in codes {
        let r = file_divisions[*code];
        if let Some(parent) = &r.parent_code
            && !file_divisions.contains_key(parent.as_str())
            && !divisions.contains_key(parent)
        {
            p.errors.push(RowError {
                line: r.line,
                column: Column::Known("parent_division_code"),
                kind: ErrorKind::Reference,
                problem: match division_by_digits.get(without_leading_zeros(parent)) {
                    Some(known) => RowProblem::ParentZerosInPortal {
                        parent: parent.clone(),
                        known: known.to_string(),
                    },
                    None => RowProblem::UnknownParent {
                        parent: parent.clone(),
                    },
                },
            });
        }
        match divisions.get(*code) {
            None => {
                if let Some(known) = division_by_digits.get(without_leading_zeros(code)) {
                    p.errors.push(RowError {
                        line: r.line,
                        column: Column::Known("division_code"),
                        kind: ErrorKind::LeadingZeros,
                        problem: RowProblem::CodeZerosInPortal {
                            column: Column::Known("division_code"),
                            code: code.to_string(),
                            known: known.to_string(),
                        },
                    });
                }
                p.new_divisions.push(DivisionChange {
                    code: r.division_code.clone(),
                    name: r.division_name.clone(),
                    parent_code: r.parent_code.clone(),
                    old_name: None,
                    old_parent_code: None,
                })
            }
            Some(d) => {
                // A file that does not give parents does not move divisions in the tree.
                let parent_moved = r.parent_code.is_some() && r.parent_code != d.parent_code;
                if normal_name(&d.name) != r.division_name || parent_moved {
                    p.changed_divisions.push(DivisionChange {
                        code: r.division_code.clone(),
                        name: r.division_name.clone(),
                        parent_code: if parent_moved {
                            r.parent_code.clone()
                        } else {
                            d.parent_code.clone()
                        },
                        old_name: Some(d.name.clone()),
                        old_parent_code: d.parent_code.clone(),
                    });
                }
            }
        }
    }
    check_emails(rows, people, &mut p.errors);
    let person_by_digits: HashMap<&str, &str> = people
        .keys()
        .map(|n| (without_leading_zeros(n), n.as_str()))
        .collect();
    let mut in_file: HashSet<&str> = HashSet::with_capacity(rows.len());
    for r in rows {
        in_file.insert(r.employee_number.as_str());
        let Some(old) = people.get(r.employee_number.as_str()) else {
            if let Some(known) = person_by_digits.get(without_leading_zeros(&r.employee_number)) {
                p.errors.push(RowError {
                    line: r.line,
                    column: Column::Known("employee_number"),
                    kind: ErrorKind::LeadingZeros,
                    problem: RowProblem::NumberZerosInPortal {
                        column: Column::Known("employee_number"),
                        number: r.employee_number.to_string(),
                        known: known.to_string(),
                    },
                });
            }
            p.new_people.push(r);
            continue;
        };
        let mut changed = false;
        let mut change = |field: &'static str, old: String, new: String| {
            if old != new {
                p.changes.push(FieldChange {
                    employee_number: r.employee_number.clone(),
                    field,
                    old,
                    new,
                });
                changed = true;
            }
        };
        change("name", stored(&old.name), r.name.clone());
        // Columns the file does not have change nothing.
        if r.present.kana {
            change("kana", stored(&opt(&old.kana)), opt(&r.kana));
        }
        if r.present.email {
            change("email", opt(&old.email), opt(&r.email));
        }
        if r.present.employment_type {
            change(
                "employment_type",
                stored(&old.employment_type),
                r.employment_type.clone(),
            );
        }
        if r.hired_on.is_some() {
            let show = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
            change("hire_date", show(old.hired_on), show(r.hired_on));
        }
        let leaves = r.status == PersonStatus::Left;
        let mut new_leaver = false;
        if leaves {
            // A row's date is the last day (退職日); without one, they left before the import's day.
            let on = last_day(r, o.default_on);
            // Someone who has left, or is due to leave on that day, leaves only once.
            let known = old.status == PersonStatus::Left
                || (old.left_on.is_some() && (r.effective.is_none() || old.left_on == Some(on)));
            if !known {
                new_leaver = true;
                p.leavers.push(Leaver {
                    employee_number: r.employee_number.clone(),
                    name: r.name.clone(),
                    division_code: old.division_code.clone(),
                    on,
                });
            }
        } else if r.present.status {
            change(
                "status",
                old.status.as_str().to_string(),
                r.status.as_str().to_string(),
            );
        }
        if changed {
            p.changed_people.push(r);
        }
        // The row says where they are from its 異動日 on (the import's day without one);
        // a transfer already scheduled to that division on that day is not made twice.
        let effective = r.effective.unwrap_or(o.default_on);
        let moves = !leaves && old.division_on(effective) != r.division_code;
        if moves {
            p.transfers.push(Transfer {
                employee_number: r.employee_number.clone(),
                name: r.name.clone(),
                from: old.division_on(effective).to_string(),
                to: r.division_code.clone(),
                effective,
            });
        }
        if !changed && !moves && !new_leaver {
            p.unchanged += 1;
        }
    }
    if o.complete {
        // Missing from a complete file: their last day was the day before the file's.
        let on = o.default_on.previous_day().unwrap_or(o.default_on);
        let mut missing: Vec<&ExistingPerson> = people
            .values()
            .filter(|x| {
                x.status != PersonStatus::Left
                    && x.left_on.is_none_or(|l| l > on)
                    && !in_file.contains(x.employee_number.as_str())
            })
            .collect();
        missing.sort_by(|a, b| a.employee_number.cmp(&b.employee_number));
        p.leavers.extend(missing.into_iter().map(|x| Leaver {
            employee_number: x.employee_number.clone(),
            name: x.name.clone(),
            division_code: x.division_code.clone(),
            on,
        }));
    }
    check_mass_change(&mut p, people, o.allow_mass_change);
    p
}
