//! Fuzzes the roster import on a file's bytes, as `kenshu_db::roster::import` runs it:
//! encoding detection, header mapping, row checks, then the plan against a small portal roster
//! (with and without `--complete`). What is checked beyond "no panic" is in `checks.rs`
//! (shared with kenshu-core's test of the seeds): every problem names a line and a column,
//! every accepted row obeys the row rules (no `?`, 外字 or control character in a name,
//! normalised names and codes, no two numbers equal but for leading zeros), the normalisers
//! are idempotent, and every date accepted reads back from its ISO and Japanese forms.

#![no_main]

#[path = "../checks.rs"]
mod checks;

use std::collections::HashMap;

use kenshu_core::roster::{self, ExistingDivision, ExistingPerson, PersonStatus};
use libfuzzer_sys::fuzz_target;
use time::{Date, Month};

fn portal() -> (
    HashMap<String, ExistingPerson>,
    HashMap<String, ExistingDivision>,
) {
    let division = |code: &str, name: &str, parent: Option<&str>| ExistingDivision {
        code: code.into(),
        name: name.into(),
        parent_code: parent.map(Into::into),
    };
    let person =
        |number: &str, name: &str, email: Option<&str>, division: &str, status| ExistingPerson {
            employee_number: kenshu_core::person::EmployeeNumber::stored(number.into()),
            name: name.into(),
            kana: None,
            email: email.map(Into::into),
            division_code: division.into(),
            employment_type: "常勤".into(),
            hired_on: Date::from_calendar_date(2020, Month::April, 1).ok(),
            status,
        };
    let divisions = [
        division("soumu", "総務部", None),
        division("shimin", "市民課", Some("soumu")),
    ];
    let people = [
        person(
            "1001",
            "佐藤 花子",
            Some("sato@example.jp"),
            "shimin",
            PersonStatus::Active,
        ),
        person("1002", "鈴木 一郎", None, "soumu", PersonStatus::OnLeave),
        person("1003", "高橋 健太", None, "shimin", PersonStatus::Left),
    ];
    (
        people
            .into_iter()
            .map(|p| (p.employee_number.clone(), p))
            .collect(),
        divisions.into_iter().map(|d| (d.code.clone(), d)).collect(),
    )
}

fuzz_target!(|data: &[u8]| {
    let Some((rows, last_line)) = checks::roster(data) else {
        return;
    };
    let (people, divisions) = portal();
    let today = Date::from_calendar_date(2026, Month::April, 1).unwrap();
    for complete in [false, true] {
        let plan = roster::plan(&rows, &people, &divisions, complete, today);
        for e in &plan.errors {
            assert!((2..=last_line).contains(&e.line), "{e}");
        }
        let matched = rows.len() - plan.new_people.len();
        assert!(plan.unchanged <= matched && plan.changed_people.len() <= matched);
        let _ = plan.summary();
        let _ = plan.is_noop();
    }
});
