//! Fuzzes the roster import on a file's bytes, as `kenshu_db::roster::import` runs it:
//! encoding detection, header mapping, row checks, then the plan against a small portal roster
//! (with and without `--complete`). Beyond "no panic", it checks what a clerk relies on: every
//! problem names a line of the file and a column, and every accepted row obeys the row rules.

#![no_main]

use std::collections::HashMap;

use kenshu_core::my_number::contains_my_number;
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
            employee_number: number.into(),
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
    let Ok(decoded) = roster::decode(data.to_vec()) else {
        return;
    };
    let Ok(roster::Parsed { rows, errors, .. }) = roster::parse(&decoded.text) else {
        return;
    };
    // Lines a record can start on: the header is line 1.
    // Lines as an editor counts them (CRLF, CR or LF); the header is line 1.
    let unified = decoded.text.replace("\r\n", "\n").replace('\r', "\n");
    let last_line = unified.lines().count().max(1);
    for e in &errors {
        assert!(
            (2..=last_line).contains(&e.line),
            "error outside the file's rows: {e} (file has {last_line} lines)"
        );
        assert!(!e.column.is_empty() && !e.message.is_empty(), "{e:?}");
    }
    let mut previous = 1;
    for r in &rows {
        assert!(
            r.line > previous,
            "rows out of order or on one line: {rows:?}"
        );
        previous = r.line;
        assert!(r.line <= last_line, "row beyond the file: {r:?}");
        assert!(!r.employee_number.is_empty() && !r.name.is_empty(), "{r:?}");
        assert!(
            !r.division_code.is_empty() && !r.division_name.is_empty(),
            "{r:?}"
        );
        for v in [
            &r.employee_number,
            &r.name,
            &r.division_code,
            &r.division_name,
        ] {
            assert!(!contains_my_number(v), "a My Number was accepted: {r:?}");
        }
        assert!(r.parent_code.as_ref() != Some(&r.division_code), "{r:?}");
    }
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
