//! What a plan refuses, row by row or for the whole file: numbers and codes that lost their
//! leading zeros, an e-mail address of two people, most of the institution new or leaving.

use std::collections::HashMap;

use time::macros::date;

use super::*;
use crate::roster::ErrorKind;

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
    assert!(
        p.errors[1].message().contains("職員番号3"),
        "{:?}",
        p.errors
    );
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
    assert!(zeros[0].message().contains("「001000」") && zeros[0].message().contains("文字列"));
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
            .any(|e| e.kind == ErrorKind::Reference && e.message().contains("「010000」")),
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
            .any(|e| e.kind == ErrorKind::MassChange && e.message().contains("--allow-mass-change")),
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
