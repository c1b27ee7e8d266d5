//! The plan as a clerk reads it in the dry run: who is new, who moves, who leaves, what
//! changed, and what does not count as a change.

mod refusals;

use std::collections::HashMap;

use time::Date;
use time::macros::date;

use super::*;
use crate::roster::parse;

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
        employee_number: EmployeeNumber::stored(n.into()),
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
            employee_number: EmployeeNumber::stored("1".into()),
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
        p.errors[0].message().contains("上位所属「zz」")
            && p.errors[0].message().contains("kenshu division add"),
        "{:?}",
        p.errors
    );
    assert_eq!(p.errors[0].line, 3);
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
