//! The file as a whole: its encoding, and a header line in the words HR systems use.

use encoding_rs::SHIFT_JIS;
use time::macros::date;

use super::{HEADER, says};
use crate::roster::{ErrorKind, FileError, Parsed, PersonStatus, decode, parse};

#[test]
fn shift_jis_bytes_from_excel_are_detected_and_decoded() {
    let text =
        format!("{HEADER}1001,髙橋 一郎,タカハシ イチロウ,,shimin,市民課,,常勤,2020/4/1,在職\n");
    let (bytes, _, _) = SHIFT_JIS.encode(&text);
    let d = decode(bytes.to_vec()).unwrap();
    assert_eq!(d.encoding, "Shift_JIS (CP932)");
    assert!(
        d.text.contains("髙橋"),
        "CP932 extension characters survive: {}",
        d.text
    );
    let Parsed { rows, errors, .. } = parse(&d.text).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rows[0].name, "髙橋 一郎");
    assert_eq!(rows[0].hired_on, Some(date!(2020 - 04 - 01)));
}

#[test]
fn utf8_with_and_without_bom_is_detected() {
    let text = format!("{HEADER}1001,佐藤 花子,,,a,A課,,,,\n");
    assert_eq!(decode(text.as_bytes().to_vec()).unwrap().encoding, "UTF-8");
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    let d = decode(bom).unwrap();
    assert_eq!(d.encoding, "UTF-8 (BOM)");
    assert_eq!(parse(&d.text).unwrap().rows.len(), 1);
}

#[test]
fn bytes_in_no_known_encoding_are_refused_in_japanese() {
    let e = decode(vec![0x82, 0xa0, 0xff, 0xfe, 0x80]).unwrap_err();
    assert_eq!(e, FileError::Encoding);
    assert!(e.to_string().contains("CSV UTF-8"), "{e}");
}

#[test]
fn an_empty_file_says_what_it_needs() {
    let e = parse("\n").unwrap_err();
    assert_eq!(e, FileError::Empty);
    assert!(e.to_string().contains("1人1行"), "{e}");
}

#[test]
fn a_missing_column_names_the_accepted_headers() {
    let msg = parse("職員番号,氏名,所属名\n1,a,b\n")
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("『所属コード』の列がありません") && msg.contains("課コード"),
        "{msg}"
    );
}

#[test]
fn a_missing_column_names_the_header_that_was_probably_meant() {
    let e = parse("職員番号,氏名,所属コ-ド,所属名\n1,a,b,B課\n").unwrap_err();
    assert!(
        e.to_string()
            .contains("『所属コ-ド』のことなら列名を直してください"),
        "{e}"
    );
}

#[test]
fn a_column_named_twice_is_refused_with_both_names() {
    let e = parse("職員番号,社員番号,氏名,所属コード,所属名\n").unwrap_err();
    assert_eq!(
        e,
        FileError::DuplicateColumn {
            column: "employee_number",
            first: "職員番号".into(),
            second: "社員番号".into(),
        }
    );
    assert!(
        e.to_string().contains("どちらか一方を残してください"),
        "{e}"
    );
}

#[test]
fn english_headers_work_too() {
    let Parsed { rows, errors, .. } =
        parse("employee_number,name,division_code,division_name\n77,Jane Doe,a,A課\n").unwrap();
    assert!(errors.is_empty());
    assert_eq!(rows[0].employment_type, "常勤");
    assert_eq!(rows[0].status, PersonStatus::Active);
}

/// Issue 11, point 2: a row saying 在職区分=退職 under an HR system's headers left the person
/// active, because none of the headers was known.
#[test]
fn headers_hr_systems_use_are_recognised_and_reported() {
    let text = "職員ID,氏名,氏名（カナ）,Ｅメール,所属課コード,所属名称,任用区分,採用年月日,在職区分,異動年月日,性別\n\
                1001,佐藤 花子,サトウ ハナコ,sato@example.jp,a,A課,会計年度任用,令和2年4月1日,退職,R7.3.31,女\n";
    let parsed = parse(text).unwrap();
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let r = &parsed.rows[0];
    assert_eq!(r.status, PersonStatus::Left);
    assert_eq!(r.kana.as_deref(), Some("サトウ ハナコ"));
    assert_eq!(r.email.as_deref(), Some("sato@example.jp"));
    assert_eq!(r.employment_type, "会計年度任用");
    assert_eq!(r.hired_on, Some(date!(2020 - 04 - 01)));
    assert_eq!(r.effective, Some(date!(2025 - 03 - 31)));
    assert_eq!(
        parsed.used,
        [
            ("職員ID".to_string(), "employee_number"),
            ("氏名".into(), "name"),
            ("氏名（カナ）".into(), "kana"),
            ("Ｅメール".into(), "email"),
            ("所属課コード".into(), "division_code"),
            ("所属名称".into(), "division_name"),
            ("任用区分".into(), "employment_type"),
            ("採用年月日".into(), "hire_date"),
            ("在職区分".into(), "status"),
            ("異動年月日".into(), "effective_date"),
        ]
    );
    assert_eq!(parsed.ignored, ["性別"]);
}

#[test]
fn headers_compare_without_width_case_or_surrounding_spaces() {
    let parsed =
        parse("\u{feff} 職員番号 ,氏名(カナ),ＮＡＭＥ,Division_Code,　所属名　,E-Mail\n1,カナ,名,a,A課,a@b.jp\n")
            .unwrap();
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.rows[0].kana.as_deref(), Some("カナ"));
    assert_eq!(parsed.rows[0].email.as_deref(), Some("a@b.jp"));
    assert_eq!(parsed.used[0], ("職員番号".to_string(), "employee_number"));
}

/// Issue 11, point 2: a near-miss of a known header was ignored without a word.
#[test]
fn an_ignored_header_that_looks_like_a_missing_column_is_an_error_with_the_suggestion() {
    let parsed = parse(
        "職員番号,氏名,所属コード,所属名,在職状態,メールアドレス2,上位所属名,備考\n1001,佐藤 花子,a,A課,退職,,,\n",
    )
    .unwrap();
    let e = &parsed.errors;
    assert_eq!(e.len(), 2, "{e:#?}");
    assert_eq!(
        (e[0].line, e[0].column.to_string().as_str(), e[0].kind),
        (1, "在職状態", ErrorKind::Column)
    );
    assert_eq!(
        e[0].message(),
        "『在職状態』は使われません。『在職状況』のことなら列名を直してください（使わない列なら列名を変えるか削除してください）"
    );
    says(
        e,
        1,
        "メールアドレス2",
        ErrorKind::Column,
        "『メールアドレス』のことなら",
    );
    assert_eq!(
        parsed.ignored,
        ["在職状態", "メールアドレス2", "上位所属名", "備考"]
    );
}

#[test]
fn a_column_the_file_has_is_not_suggested_for_a_similar_header() {
    let parsed =
        parse("職員番号,氏名,所属コード,所属名,在職状況,在職状態\n1001,佐藤 花子,a,A課,在職,x\n")
            .unwrap();
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.ignored, ["在職状態"]);
}
