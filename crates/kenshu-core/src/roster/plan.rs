//! What an import would change: computed in memory from the file and the portal's current
//! roster, shown as the dry run, then applied as it is.

use std::collections::{HashMap, HashSet};

use time::Date;

use super::{ErrorKind, PersonStatus, RosterRow, RowError};

/// A person as the portal has them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingPerson {
    pub employee_number: String,
    pub name: String,
    pub kana: Option<String>,
    pub email: Option<String>,
    pub division_code: String,
    pub employment_type: String,
    pub hired_on: Option<Date>,
    pub status: PersonStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingDivision {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
}

/// A division the import creates, or renames / moves in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisionChange {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub old_name: Option<String>,
    pub old_parent_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub employee_number: String,
    pub name: String,
    pub from: String,
    pub to: String,
    pub effective: Date,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaver {
    pub employee_number: String,
    pub name: String,
    pub division_code: String,
    pub on: Date,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub employee_number: String,
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

/// Everything an import would do. Nothing is applied while `errors` is not empty.
#[derive(Debug, Default)]
pub struct ImportPlan<'a> {
    pub new_divisions: Vec<DivisionChange>,
    pub changed_divisions: Vec<DivisionChange>,
    pub new_people: Vec<&'a RosterRow>,
    pub transfers: Vec<Transfer>,
    pub leavers: Vec<Leaver>,
    /// Rows whose person's details changed (name, kana, e-mail, status…), with each change.
    pub changed_people: Vec<&'a RosterRow>,
    pub changes: Vec<FieldChange>,
    pub unchanged: usize,
    pub errors: Vec<RowError>,
}

impl ImportPlan<'_> {
    /// `new=N transfers=N leavers=N changed=N errors=N`, the last line of every import.
    pub fn summary(&self) -> String {
        format!(
            "new={} transfers={} leavers={} changed={} errors={}",
            self.new_people.len(),
            self.transfers.len(),
            self.leavers.len(),
            self.changed_people.len(),
            self.errors.len()
        )
    }

    pub fn is_noop(&self) -> bool {
        self.new_divisions.is_empty()
            && self.changed_divisions.is_empty()
            && self.new_people.is_empty()
            && self.transfers.is_empty()
            && self.leavers.is_empty()
            && self.changed_people.is_empty()
    }
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// Compares the file with the portal. `complete` says the file lists everyone, so people
/// missing from it have left (on `today`).
pub fn plan<'a>(
    rows: &'a [RosterRow],
    people: &HashMap<String, ExistingPerson>,
    divisions: &HashMap<String, ExistingDivision>,
    complete: bool,
    today: Date,
) -> ImportPlan<'a> {
    let mut p = ImportPlan::default();
    let mut file_divisions: HashMap<&str, &RosterRow> = HashMap::new();
    for r in rows {
        file_divisions.entry(r.division_code.as_str()).or_insert(r);
    }
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
                column: "上位所属コード".into(),
                kind: ErrorKind::Reference,
                message: format!(
                    "parent division {parent} is neither in the file nor in the portal; add a row for it or correct the code"
                ),
            });
        }
        match divisions.get(*code) {
            None => p.new_divisions.push(DivisionChange {
                code: r.division_code.clone(),
                name: r.division_name.clone(),
                parent_code: r.parent_code.clone(),
                old_name: None,
                old_parent_code: None,
            }),
            Some(d) => {
                // A file that does not give parents does not move divisions in the tree.
                let parent_moved = r.parent_code.is_some() && r.parent_code != d.parent_code;
                if d.name != r.division_name || parent_moved {
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
    let mut in_file: HashSet<&str> = HashSet::with_capacity(rows.len());
    for r in rows {
        in_file.insert(r.employee_number.as_str());
        let Some(old) = people.get(&r.employee_number) else {
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
        change("name", old.name.clone(), r.name.clone());
        // Columns the file does not have change nothing.
        if r.present.kana {
            change("kana", opt(&old.kana), opt(&r.kana));
        }
        if r.present.email {
            change("email", opt(&old.email), opt(&r.email));
        }
        if r.present.employment_type {
            change(
                "employment_type",
                old.employment_type.clone(),
                r.employment_type.clone(),
            );
        }
        if r.hired_on.is_some() {
            let show = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
            change("hire_date", show(old.hired_on), show(r.hired_on));
        }
        if r.status == PersonStatus::Left && old.status != PersonStatus::Left {
            p.leavers.push(Leaver {
                employee_number: r.employee_number.clone(),
                name: r.name.clone(),
                division_code: old.division_code.clone(),
                on: r.effective.unwrap_or(today),
            });
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
        if old.division_code != r.division_code && r.status != PersonStatus::Left {
            p.transfers.push(Transfer {
                employee_number: r.employee_number.clone(),
                name: r.name.clone(),
                from: old.division_code.clone(),
                to: r.division_code.clone(),
                effective: r.effective.unwrap_or(today),
            });
        }
        if !changed
            && old.division_code == r.division_code
            && !(r.status == PersonStatus::Left && old.status != PersonStatus::Left)
        {
            p.unchanged += 1;
        }
    }
    if complete {
        let mut missing: Vec<&ExistingPerson> = people
            .values()
            .filter(|x| {
                x.status != PersonStatus::Left && !in_file.contains(x.employee_number.as_str())
            })
            .collect();
        missing.sort_by(|a, b| a.employee_number.cmp(&b.employee_number));
        p.leavers.extend(missing.into_iter().map(|x| Leaver {
            employee_number: x.employee_number.clone(),
            name: x.name.clone(),
            division_code: x.division_code.clone(),
            on: today,
        }));
    }
    p
}

/// An e-mail address signs a person in, so it belongs to one person only.
fn check_emails(
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
    let in_file: HashSet<&str> = rows.iter().map(|r| r.employee_number.as_str()).collect();
    // People in the file who change their address give up the old one.
    owners.retain(|_, (n, _)| !in_file.contains(n));
    for r in rows {
        let Some(email) = r.email.as_ref().map(|e| e.to_lowercase()) else {
            continue;
        };
        match owners.get(&email) {
            Some((n, line)) if *n != r.employee_number => errors.push(RowError {
                line: r.line,
                column: "メールアドレス".into(),
                kind: ErrorKind::Duplicate,
                message: match line {
                    Some(l) => format!("{email} is also given on line {l}; each person needs their own address"),
                    None => format!("{email} already belongs to employee {n} in the portal; each person needs their own address"),
                },
            }),
            _ => {
                owners.insert(email, (r.employee_number.as_str(), Some(r.line)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::parse;
    use time::macros::date;

    fn rows(csv: &str) -> Vec<RosterRow> {
        let crate::roster::Parsed { rows, errors, .. } = parse(&format!(
            "職員番号,氏名,メールアドレス,所属コード,所属名,上位所属コード,異動日,在職状況\n{csv}"
        ))
        .unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        rows
    }

    fn person(n: &str, name: &str, division: &str) -> ExistingPerson {
        ExistingPerson {
            employee_number: n.into(),
            name: name.into(),
            kana: None,
            email: None,
            division_code: division.into(),
            employment_type: "常勤".into(),
            hired_on: None,
            status: PersonStatus::Active,
        }
    }

    fn divisions() -> HashMap<String, ExistingDivision> {
        ["a", "b"]
            .iter()
            .map(|c| {
                (
                    c.to_string(),
                    ExistingDivision {
                        code: c.to_string(),
                        name: format!("{}課", c.to_uppercase()),
                        parent_code: None,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn an_empty_portal_gets_everyone_and_every_division_new() {
        let r = rows("1,佐藤,,a,A課,,,\n2,鈴木,,c,C係,a,,\n");
        let p = plan(
            &r,
            &HashMap::new(),
            &HashMap::new(),
            false,
            date!(2025 - 04 - 01),
        );
        assert_eq!(
            p.summary(),
            "new=2 transfers=0 leavers=0 changed=0 errors=0"
        );
        assert_eq!(p.new_divisions.len(), 2);
        assert_eq!(p.new_divisions[1].parent_code.as_deref(), Some("a"));
    }

    #[test]
    fn the_same_file_again_changes_nothing() {
        let r = rows("1,佐藤,,a,A課,,,\n");
        let people = HashMap::from([("1".to_string(), person("1", "佐藤", "a"))]);
        let p = plan(&r, &people, &divisions(), true, date!(2025 - 04 - 01));
        assert!(p.is_noop(), "{p:?}");
        assert_eq!(p.unchanged, 1);
    }

    #[test]
    fn transfers_leavers_and_changes_are_told_apart() {
        let r = rows("1,佐藤 花子,hana@example.jp,b,B課,,2025-04-01,\n2,鈴木,,a,A課,,,退職\n");
        let people = HashMap::from([
            ("1".to_string(), person("1", "佐藤", "a")),
            ("2".to_string(), person("2", "鈴木", "a")),
            ("3".to_string(), person("3", "高橋", "b")),
        ]);
        let p = plan(&r, &people, &divisions(), true, date!(2025 - 03 - 20));
        assert_eq!(
            p.summary(),
            "new=0 transfers=1 leavers=2 changed=1 errors=0"
        );
        assert_eq!(
            p.transfers[0],
            Transfer {
                employee_number: "1".into(),
                name: "佐藤 花子".into(),
                from: "a".into(),
                to: "b".into(),
                effective: date!(2025 - 04 - 01)
            }
        );
        assert_eq!(
            p.changes.iter().map(|c| c.field).collect::<Vec<_>>(),
            ["name", "email"]
        );
        let leavers: Vec<&str> = p
            .leavers
            .iter()
            .map(|l| l.employee_number.as_str())
            .collect();
        assert_eq!(leavers, ["2", "3"]);
    }

    #[test]
    fn an_email_address_belongs_to_one_person() {
        let r = rows(
            "1,佐藤,x@example.jp,a,A課,,,\n2,鈴木,X@example.jp,a,A課,,,\n4,伊藤,taken@example.jp,a,A課,,,\n",
        );
        let mut other = person("3", "高橋", "b");
        other.email = Some("taken@example.jp".into());
        let people = HashMap::from([("3".to_string(), other)]);
        let p = plan(&r, &people, &divisions(), false, date!(2025 - 04 - 01));
        let lines: Vec<usize> = p.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4], "{:?}", p.errors);
        assert!(p.errors[1].message.contains("employee 3"));
    }

    #[test]
    fn columns_the_file_lacks_change_nothing() {
        let crate::roster::Parsed {
            rows: r, errors, ..
        } = parse("職員番号,氏名,所属コード,所属名\n1,佐藤,a,A課\n").unwrap();
        assert!(errors.is_empty());
        let mut old = person("1", "佐藤", "a");
        old.email = Some("sato@example.jp".into());
        old.kana = Some("サトウ".into());
        old.employment_type = "会計年度任用".into();
        old.status = PersonStatus::OnLeave;
        let people = HashMap::from([("1".to_string(), old)]);
        let p = plan(&r, &people, &divisions(), false, date!(2025 - 04 - 01));
        assert!(p.is_noop(), "{:?}", p.changes);
    }

    #[test]
    fn people_missing_from_a_partial_file_have_not_left() {
        let r = rows("1,佐藤,,a,A課,,,\n");
        let people = HashMap::from([
            ("1".to_string(), person("1", "佐藤", "a")),
            ("3".to_string(), person("3", "高橋", "b")),
        ]);
        assert!(
            plan(&r, &people, &divisions(), false, date!(2025 - 04 - 01))
                .leavers
                .is_empty()
        );
    }

    #[test]
    fn renamed_divisions_and_unknown_parents_are_reported() {
        let r = rows("1,佐藤,,a,総務課,,,\n2,鈴木,,d,D係,zz,,\n");
        let p = plan(
            &r,
            &HashMap::new(),
            &divisions(),
            false,
            date!(2025 - 04 - 01),
        );
        assert_eq!(p.changed_divisions[0].old_name.as_deref(), Some("A課"));
        assert_eq!(p.changed_divisions[0].name, "総務課");
        assert_eq!(p.errors.len(), 1);
        assert!(
            p.errors[0].message.contains("parent division zz"),
            "{:?}",
            p.errors
        );
        assert_eq!(p.errors[0].line, 3);
    }
}
