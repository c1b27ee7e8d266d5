//! The roster and designation problems in both languages: every problem is worded in each, the
//! English without Japanese but the values it quotes, and the Japanese as the clerk reads it.

use super::{EN, JA};
use crate::roster::{CharProblem, Column, DateError, ErrorKind, RowError, RowProblem};

/// The values the samples quote: Japanese as a Japanese file writes them. An English wording
/// may quote them, and nothing else in Japanese.
const NAME: &str = "山田 太郎";
const HEADER: &str = "社員番号";
const DIVISION: &str = "総務課";
const MEANT: &str = "在職状況";

fn header() -> Column {
    Column::Header(HEADER.into())
}

/// One problem of each kind. The match in `variant` fails to compile when a kind is added
/// without a sample here.
fn samples() -> Vec<RowProblem> {
    use RowProblem as P;
    let s = |v: &str| v.to_string();
    vec![
        P::Characters(CharProblem::Newline),
        P::Characters(CharProblem::Tab),
        P::Characters(CharProblem::Control('\u{7}')),
        P::Characters(CharProblem::PrivateUse {
            value: s(NAME),
            ch: '\u{E000}',
        }),
        P::Characters(CharProblem::Replaced { value: s(NAME) }),
        P::Empty { column: header() },
        P::Empty {
            column: Column::Known("division_name"),
        },
        P::TooLong {
            value: s(NAME),
            len: 201,
            max: 200,
        },
        P::MyNumber,
        P::EmployeeNumberChars { value: s(NAME) },
        P::Date(DateError::Day {
            value: s("2025/2/30"),
            month: 2,
            day: 30,
            last: 28,
        }),
        P::EmailNotAscii { value: s(NAME) },
        P::EmailFormat { value: s("sato") },
        P::Status { value: s(NAME) },
        P::OwnParent,
        P::UnclosedQuote {
            opened: 3,
            runs_to: 5,
        },
        P::NearMiss {
            header: s("在職状態"),
            meant: MEANT,
        },
        P::DuplicateNumber {
            column: header(),
            number: s("1001"),
            line: 2,
        },
        P::NumberLostZeros {
            column: header(),
            number: s("1001"),
            other: s("001001"),
            line: 2,
        },
        P::CodeLostZeros {
            column: Column::Known("division_code"),
            code: s("10"),
            other: s("010"),
            line: 2,
        },
        P::TwoNames {
            column: header(),
            code: s("10"),
            name: s(DIVISION),
            other: s(NAME),
            line: 2,
        },
        P::TwoParents {
            column: header(),
            code: s("10"),
            parent: Some(s("1")),
            other: None,
            line: 2,
        },
        P::ParentLostZeros {
            column: header(),
            code_column: Column::Known("division_code"),
            parent: s("10"),
            code: s("010"),
            line: 2,
        },
        P::ParentZerosInPortal {
            parent: s("10"),
            known: s("010"),
        },
        P::UnknownParent { parent: s("zz") },
        P::CodeZerosInPortal {
            column: Column::Known("division_code"),
            code: s("10"),
            known: s("010"),
        },
        P::NumberZerosInPortal {
            column: Column::Known("employee_number"),
            number: s("1001"),
            known: s("001001"),
        },
        P::EmailTwice {
            email: s("a@example.jp"),
            line: 2,
        },
        P::EmailTaken {
            email: s("a@example.jp"),
            number_column: Column::Known("employee_number"),
            number: s("1002"),
        },
        P::MassChange {
            active: 100,
            new: 90,
            leavers: 80,
        },
        P::DesignationNumberEmpty { column: header() },
        P::DesignationKindEmpty,
        P::DesignationKind { value: s(NAME) },
        P::DesignationStartEmpty,
        P::EndBeforeStart {
            from: Column::Header(s("開始日")),
        },
        P::UnknownPerson {
            column: Column::Known("employee_number"),
            number: s("1001"),
        },
        P::DesignationOverlap {
            from: time::macros::date!(2025 - 04 - 01),
            to: None,
        },
    ]
}

/// Each kind of problem by a number: adding a kind fails to compile here until it has one.
fn variant(p: &RowProblem) -> usize {
    use RowProblem as P;
    match p {
        P::Characters(_) => 0,
        P::Empty { .. } => 1,
        P::TooLong { .. } => 2,
        P::MyNumber => 3,
        P::EmployeeNumberChars { .. } => 4,
        P::Date(_) => 5,
        P::EmailNotAscii { .. } => 6,
        P::EmailFormat { .. } => 7,
        P::Status { .. } => 8,
        P::OwnParent => 9,
        P::UnclosedQuote { .. } => 10,
        P::NearMiss { .. } => 11,
        P::DuplicateNumber { .. } => 12,
        P::NumberLostZeros { .. } => 13,
        P::CodeLostZeros { .. } => 14,
        P::TwoNames { .. } => 15,
        P::TwoParents { .. } => 16,
        P::ParentLostZeros { .. } => 17,
        P::ParentZerosInPortal { .. } => 18,
        P::UnknownParent { .. } => 19,
        P::CodeZerosInPortal { .. } => 20,
        P::NumberZerosInPortal { .. } => 21,
        P::EmailTwice { .. } => 22,
        P::EmailTaken { .. } => 23,
        P::MassChange { .. } => 24,
        P::DesignationNumberEmpty { .. } => 25,
        P::DesignationKindEmpty => 26,
        P::DesignationKind { .. } => 27,
        P::DesignationStartEmpty => 28,
        P::EndBeforeStart { .. } => 29,
        P::UnknownPerson { .. } => 30,
        P::DesignationOverlap { .. } => 31,
    }
}

fn japanese(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c as u32, 0x3000..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
    })
}

/// English without the values it quotes.
fn without_values(en: &str) -> String {
    [NAME, HEADER, DIVISION, MEANT, "在職状態", "開始日"]
        .iter()
        .fold(en.to_string(), |s, v| s.replace(v, ""))
}

#[test]
fn every_problem_is_worded_in_both_languages_and_the_english_quotes_only_values_in_japanese() {
    let samples = samples();
    let covered: std::collections::BTreeSet<usize> = samples.iter().map(variant).collect();
    assert_eq!(
        covered,
        (0..=31).collect(),
        "a kind of problem has no sample"
    );
    for p in &samples {
        let (ja, en) = (JA.row_problem(p), EN.row_problem(p));
        assert!(!ja.trim().is_empty() && !en.trim().is_empty(), "{p:?}");
        assert_eq!(p.to_string(), ja, "Display is the Japanese wording");
        assert!(japanese(&ja), "{p:?}: {ja}");
        assert!(!japanese(&without_values(&en)), "{p:?}: {en}");
        assert_ne!(ja, en);
    }
}

#[test]
fn a_problem_is_placed_on_its_line_and_column_in_each_language() {
    let e = RowError {
        line: 3,
        column: Column::Header("採用日".into()),
        kind: ErrorKind::Format,
        problem: RowProblem::MyNumber,
    };
    assert!(
        e.to_string().starts_with("3行目「採用日」: マイナンバー"),
        "{e}"
    );
    assert_eq!(e.in_words(&JA), e.to_string());
    let en = e.in_words(&EN);
    assert!(
        en.starts_with("line 3, column \"採用日\": The cell contains"),
        "{en}"
    );
    let whole = RowError {
        line: 0,
        column: Column::File,
        kind: ErrorKind::MassChange,
        problem: RowProblem::MassChange {
            active: 10,
            new: 9,
            leavers: 0,
        },
    };
    assert!(
        whole
            .to_string()
            .starts_with("「ファイル全体」列: 在職者10人"),
        "{whole}"
    );
    assert!(whole.in_words(&EN).starts_with("the whole file: 10 staff"));
    let nth = RowError {
        column: Column::Nth(4),
        ..e.clone()
    };
    assert!(nth.to_string().starts_with("3行目「4列目」: "), "{nth}");
    assert!(nth.in_words(&EN).starts_with("line 3, column 4: "));
}

#[test]
fn a_column_the_file_lacks_is_named_by_the_catalogue_as_gen_roster_writes_it_in_japanese() {
    for (key, names) in crate::roster::COLUMNS {
        assert_eq!(JA.column_label(key), names[0], "{key}");
        assert!(!japanese(EN.column_label(key)), "{key}");
    }
    for key in ["kind", "from", "to", "note"] {
        assert!(japanese(JA.column_label(key)) && !japanese(EN.column_label(key)));
    }
    assert_eq!(Column::Known("email"), "メールアドレス");
    assert_eq!(EN.column(&Column::Known("email")), "e-mail address");
    assert_eq!(EN.column(&Column::Header("E-mail".into())), "E-mail");
}

#[test]
fn a_missing_or_doubled_column_is_named_by_the_catalogue_in_each_language() {
    let missing = crate::roster::parse("職員番号,氏名,所属コ-ド,所属名\n1,a,b,B課\n").unwrap_err();
    let en = EN.file_error(&missing);
    assert!(
        en.starts_with("The file has no division code column. If \"所属コ-ド\" is meant"),
        "{en}"
    );
    assert!(
        JA.file_error(&missing)
            .starts_with("『所属コード』の列がありません。『所属コ-ド』のことなら")
    );
    let doubled = crate::roster::parse("職員番号,社員番号,氏名,所属コード,所属名\n").unwrap_err();
    assert_eq!(
        EN.file_error(&doubled),
        "\"職員番号\" and \"社員番号\" on line 1 (the header) are both read as the employee number column. Keep only one of them."
    );
    assert!(
        doubled
            .to_string()
            .contains("どちらも『職員番号』の列として読まれます")
    );
}

#[test]
fn a_changed_hire_date_or_status_reads_as_the_rest_of_the_report() {
    use crate::person::EmployeeNumber;
    use crate::roster::FieldChange;
    let change = |field: &'static str, old: &str, new: &str| FieldChange {
        employee_number: EmployeeNumber::stored("001".into()),
        field,
        old: old.into(),
        new: new.into(),
    };
    let hired = change("hire_date", "2026-04-01", "2026-05-07");
    assert_eq!(
        JA.roster_field_change(&hired),
        "~ 001 採用日: 「令和8年4月1日」→「令和8年5月7日」"
    );
    assert_eq!(
        EN.roster_field_change(&hired),
        "~ 001 hire date: \"1 Apr 2026\" → \"7 May 2026\""
    );
    let status = change("status", "active", "on_leave");
    assert_eq!(
        JA.roster_field_change(&status),
        "~ 001 在職状況: 「在職」→「休職」"
    );
    let name = change("name", "山田 太郎", "山田 一郎");
    assert_eq!(
        JA.roster_field_change(&name),
        "~ 001 氏名: 「山田 太郎」→「山田 一郎」"
    );
}
