//! What an import would change: computed in memory from the file and the portal's current
//! roster, shown as the dry run, then applied as it is.

use std::collections::{HashMap, HashSet};

use time::Date;

use super::text::name as normal_name;
use super::{ErrorKind, PersonStatus, RosterRow, RowError, without_leading_zeros};

/// A person as the portal has them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingPerson {
    pub employee_number: String,
    pub name: String,
    pub kana: Option<String>,
    pub email: Option<String>,
    /// Their division today.
    pub division_code: String,
    pub employment_type: String,
    pub hired_on: Option<Date>,
    pub status: PersonStatus,
    /// A transfer imported ahead of its day: the division and the day it takes effect.
    pub pending: Option<(String, Date)>,
    /// Their last day: past for people who left, ahead for a leaving imported ahead of its day.
    pub left_on: Option<Date>,
}

impl ExistingPerson {
    /// The division they are in on `day`, counting a transfer that is still to come.
    pub fn division_on(&self, day: Date) -> &str {
        match &self.pending {
            Some((code, due)) if day >= *due => code,
            _ => &self.division_code,
        }
    }
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

impl DivisionChange {
    pub fn renamed(&self) -> bool {
        self.old_name.as_ref().is_some_and(|o| *o != self.name)
    }

    pub fn moved(&self) -> bool {
        self.old_name.is_some() && self.old_parent_code != self.parent_code
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub employee_number: String,
    pub name: String,
    pub from: String,
    pub to: String,
    /// The first day in the new division.
    pub effective: Date,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaver {
    pub employee_number: String,
    pub name: String,
    pub division_code: String,
    /// Their last day (退職日): the account closes when it has ended.
    pub on: Date,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub employee_number: String,
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

/// How an import is to be read.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    /// The file lists everyone: people missing from it have left (their last day is the day
    /// before `default_on`).
    pub complete: bool,
    /// The day a row's transfer takes effect when it gives no 異動日 (`--effective`, else today).
    pub default_on: Date,
    /// Today: changes dated after it are scheduled, not made now.
    pub today: Date,
    /// The operator has confirmed a change that makes most of the institution new or leaving.
    pub allow_mass_change: bool,
}

/// A change that makes most of the institution new or leaving: what a file whose employee
/// numbers lost their leading zeros, or the wrong institution's file, looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MassChange {
    pub new: usize,
    pub leavers: usize,
    /// People at work (not left) in the portal before the import.
    pub active: usize,
}

/// The smallest institution the mass-change check applies to: below it, half is a handful of
/// people and an ordinary year's file.
pub const MASS_CHANGE_MIN: usize = 10;

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
    pub mass_change: Option<MassChange>,
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

    /// `divisions: new=N renamed=N moved=N`, the line before the summary.
    pub fn division_summary(&self) -> String {
        let count =
            |f: fn(&DivisionChange) -> bool| self.changed_divisions.iter().filter(|d| f(d)).count();
        format!(
            "divisions: new={} renamed={} moved={}",
            self.new_divisions.len(),
            count(DivisionChange::renamed),
            count(DivisionChange::moved)
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

const TEXT_FIX: &str = "表計算ソフトで先頭の0が消えた可能性があります。その列の書式を「文字列」にして元の番号に直し、保存し直してください";

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
                column: "上位所属コード".into(),
                kind: ErrorKind::Reference,
                message: match division_by_digits.get(without_leading_zeros(parent)) {
                    Some(known) => format!(
                        "上位所属「{parent}」はありませんが、ポータルには「{known}」があります。{TEXT_FIX}"
                    ),
                    None => format!(
                        "上位所属「{parent}」はファイルにもポータルにもありません。コードを直すか、その所属の職員の行を加えるか、先に `kenshu division add --institution 機関コード {parent} 所属名` で作成してください"
                    ),
                },
            });
        }
        match divisions.get(*code) {
            None => {
                if let Some(known) = division_by_digits.get(without_leading_zeros(code)) {
                    p.errors.push(RowError {
                        line: r.line,
                        column: "所属コード".into(),
                        kind: ErrorKind::LeadingZeros,
                        message: format!(
                            "所属コード「{code}」はポータルの「{known}」と先頭の0だけが違います。{TEXT_FIX}"
                        ),
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
        let Some(old) = people.get(&r.employee_number) else {
            if let Some(known) = person_by_digits.get(without_leading_zeros(&r.employee_number)) {
                p.errors.push(RowError {
                    line: r.line,
                    column: "職員番号".into(),
                    kind: ErrorKind::LeadingZeros,
                    message: format!(
                        "職員番号「{}」はポータルの「{known}」と先頭の0だけが違い、このままでは別人として登録されます。{TEXT_FIX}",
                        r.employee_number
                    ),
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

/// Most of the institution new, or most of it leaving, is refused unless confirmed.
fn check_mass_change(
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
            column: "ファイル全体".into(),
            kind: ErrorKind::MassChange,
            message: format!(
                "在職者{active}人に対して新規{new}人・退職{leavers}人になります。職員番号の先頭の0が消えていないか、別の機関のファイルでないかを確かめてください。意図した変更なら、画面では確認欄にチェックを入れて、コマンドでは --allow-mass-change を付けて取り込んでください"
            ),
        });
    }
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
            Some((n, line)) if *n != r.employee_number => errors.push(RowError {
                line: r.line,
                column: "メールアドレス".into(),
                kind: ErrorKind::Duplicate,
                message: match line {
                    Some(l) => format!("{email} は{l}行目にもあります。メールアドレスは一人に一つずつにしてください"),
                    None => format!("{email} はポータルで職員番号{n}の職員が使っています。メールアドレスは一人に一つずつにしてください"),
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
            pending: None,
            left_on: None,
        }
    }

    fn opts(complete: bool, today: Date) -> PlanOptions {
        PlanOptions {
            complete,
            default_on: today,
            today,
            allow_mass_change: false,
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
            opts(false, date!(2025 - 04 - 01)),
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
        let p = plan(&r, &people, &divisions(), opts(true, date!(2025 - 04 - 01)));
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
        let p = plan(&r, &people, &divisions(), opts(true, date!(2025 - 03 - 20)));
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
        let p = plan(
            &r,
            &people,
            &divisions(),
            opts(false, date!(2025 - 04 - 01)),
        );
        let lines: Vec<usize> = p.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4], "{:?}", p.errors);
        assert!(p.errors[1].message.contains("職員番号3"), "{:?}", p.errors);
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
        let p = plan(
            &r,
            &people,
            &divisions(),
            opts(false, date!(2025 - 04 - 01)),
        );
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
            plan(
                &r,
                &people,
                &divisions(),
                opts(false, date!(2025 - 04 - 01))
            )
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
            opts(false, date!(2025 - 04 - 01)),
        );
        assert_eq!(p.changed_divisions[0].old_name.as_deref(), Some("A課"));
        assert_eq!(p.changed_divisions[0].name, "総務課");
        assert_eq!(p.errors.len(), 1);
        assert!(
            p.errors[0].message.contains("上位所属「zz」")
                && p.errors[0].message.contains("kenshu division add"),
            "{:?}",
            p.errors
        );
        assert_eq!(p.errors[0].line, 3);
    }

    fn staff(n: usize) -> HashMap<String, ExistingPerson> {
        (0..n)
            .map(|i| {
                let number = format!("{:06}", 1000 + i);
                (number.clone(), person(&number, "職員", "a"))
            })
            .collect()
    }

    /// A spreadsheet turned 001000 into 1000: everyone would be new, and with --complete
    /// everyone would leave. Each row is refused, naming the number the portal has.
    #[test]
    fn numbers_that_lost_their_leading_zeros_are_refused_row_by_row() {
        let people = staff(12);
        let csv: String = (0..12)
            .map(|i| format!("{},職員,,a,A課,,,\n", 1000 + i))
            .collect();
        let r = rows(&csv);
        let mut o = opts(true, date!(2025 - 04 - 01));
        o.allow_mass_change = true;
        let p = plan(&r, &people, &divisions(), o);
        let zeros: Vec<_> = p
            .errors
            .iter()
            .filter(|e| e.kind == ErrorKind::LeadingZeros)
            .collect();
        assert_eq!(zeros.len(), 12, "{:?}", p.errors);
        assert!(zeros[0].message.contains("「001000」") && zeros[0].message.contains("文字列"));
        assert_eq!(zeros[0].column, "職員番号");
    }

    #[test]
    fn division_codes_that_lost_their_leading_zeros_are_refused() {
        let mut d = divisions();
        d.insert(
            "010000".into(),
            ExistingDivision {
                code: "010000".into(),
                name: "総務部".into(),
                parent_code: None,
            },
        );
        let r = rows("1,佐藤,,10000,総務部,,,\n2,鈴木,,b,B課,10000,,\n");
        let p = plan(&r, &HashMap::new(), &d, opts(false, date!(2025 - 04 - 01)));
        assert_eq!(
            p.errors
                .iter()
                .filter(|e| e.kind == ErrorKind::LeadingZeros)
                .count(),
            1,
            "{:?}",
            p.errors
        );
        let r = rows("2,鈴木,,b,B課,10000,,\n");
        let p = plan(&r, &HashMap::new(), &d, opts(false, date!(2025 - 04 - 01)));
        assert!(
            p.errors
                .iter()
                .any(|e| e.kind == ErrorKind::Reference && e.message.contains("「010000」")),
            "the parent's message names the code the portal has: {:?}",
            p.errors
        );
    }

    #[test]
    fn most_of_the_institution_leaving_or_new_needs_confirmation() {
        let people = staff(20);
        // Eleven of twenty missing from a complete file.
        let csv: String = (0..9)
            .map(|i| format!("{:06},職員,,a,A課,,,\n", 1000 + i))
            .collect();
        let r = rows(&csv);
        let p = plan(&r, &people, &divisions(), opts(true, date!(2025 - 04 - 01)));
        assert_eq!(
            p.mass_change,
            Some(MassChange {
                new: 0,
                leavers: 11,
                active: 20
            })
        );
        assert!(
            p.errors
                .iter()
                .any(|e| e.kind == ErrorKind::MassChange
                    && e.message.contains("--allow-mass-change")),
            "{:?}",
            p.errors
        );
        let mut o = opts(true, date!(2025 - 04 - 01));
        o.allow_mass_change = true;
        let p = plan(&r, &people, &divisions(), o);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.leavers.len(), 11);
        // Ten leaving of twenty is not most: no confirmation needed.
        let csv: String = (0..10)
            .map(|i| format!("{:06},職員,,a,A課,,,\n", 1000 + i))
            .collect();
        let r = rows(&csv);
        let p = plan(&r, &people, &divisions(), opts(true, date!(2025 - 04 - 01)));
        assert!(
            p.errors.is_empty() && p.mass_change.is_none(),
            "{:?}",
            p.errors
        );
    }

    #[test]
    fn people_missing_from_a_complete_file_left_the_day_before_it() {
        let r = rows("1,佐藤,,a,A課,,,\n");
        let people = HashMap::from([
            ("1".to_string(), person("1", "佐藤", "a")),
            ("3".to_string(), person("3", "高橋", "b")),
        ]);
        let p = plan(&r, &people, &divisions(), opts(true, date!(2026 - 04 - 01)));
        assert_eq!(p.leavers[0].on, date!(2026 - 03 - 31));
    }

    #[test]
    fn a_transfer_or_leaving_already_scheduled_is_not_made_again() {
        let mut sato = person("1", "佐藤", "a");
        sato.pending = Some(("b".into(), date!(2026 - 04 - 01)));
        let mut suzuki = person("2", "鈴木", "a");
        suzuki.left_on = Some(date!(2026 - 03 - 31));
        let people = HashMap::from([("1".to_string(), sato), ("2".to_string(), suzuki)]);
        let today = date!(2026 - 03 - 20);
        // The 内示 file again.
        let r = rows("1,佐藤,,b,B課,,2026-04-01,\n2,鈴木,,a,A課,,2026-03-31,退職\n");
        let p = plan(&r, &people, &divisions(), opts(false, today));
        assert!(p.is_noop(), "{p:?}");
        // The monthly file, as things stand today, keeps the schedule.
        let r = rows("1,佐藤,,a,A課,,,\n");
        assert!(plan(&r, &people, &divisions(), opts(false, today)).is_noop());
        // A later file moving the date is a new transfer, from the division they would be in.
        let r = rows("1,佐藤,,a,A課,,2026-04-01,\n");
        let p = plan(&r, &people, &divisions(), opts(false, today));
        assert_eq!(p.transfers[0].from, "b");
        assert_eq!(p.transfers[0].to, "a");
    }

    #[test]
    fn a_leaving_row_without_a_date_left_before_the_import_and_with_one_on_that_day() {
        let people = HashMap::from([
            ("1".to_string(), person("1", "佐藤", "a")),
            ("2".to_string(), person("2", "鈴木", "a")),
        ]);
        let r = rows("1,佐藤,,a,A課,,,退職\n2,鈴木,,a,A課,,2027-03-31,退職\n");
        let p = plan(
            &r,
            &people,
            &divisions(),
            opts(false, date!(2026 - 11 - 29)),
        );
        let on: Vec<Date> = p.leavers.iter().map(|l| l.on).collect();
        assert_eq!(on, [date!(2026 - 11 - 28), date!(2027 - 03 - 31)]);
        assert!(p.transfers.is_empty());
    }

    #[test]
    fn the_division_line_counts_new_renamed_and_moved_divisions() {
        let r = rows("1,佐藤,,a,総務課,,,\n2,鈴木,,b,B課,a,,\n3,高橋,,c,C係,a,,\n");
        let p = plan(
            &r,
            &HashMap::new(),
            &divisions(),
            opts(false, date!(2025 - 04 - 01)),
        );
        assert_eq!(p.division_summary(), "divisions: new=1 renamed=1 moved=1");
    }

    /// A name stored with a full-width space (typed by hand, or imported before names were
    /// normalised) is not changed by next year's file that has a half-width one.
    #[test]
    fn a_normalisation_is_never_reported_as_a_change() {
        let r = rows("1,鈴木 花子,,a,A課,,,\n");
        let mut old = person("1", "鈴木\u{3000}花子", "a");
        old.kana = Some("ｽｽﾞｷ ﾊﾅｺ".into());
        let people = HashMap::from([("1".to_string(), old)]);
        let mut d = divisions();
        if let Some(a) = d.get_mut("a") {
            a.name = "A課".into();
        }
        let p = plan(&r, &people, &d, opts(false, date!(2025 - 04 - 01)));
        assert!(p.is_noop(), "{:?}", p.changes);
        let r = rows("1,鈴木 花,,a,A課,,,\n");
        let p = plan(&r, &people, &d, opts(false, date!(2025 - 04 - 01)));
        assert_eq!(p.changes.len(), 1, "a real change still is one");
    }
}
