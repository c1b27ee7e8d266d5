//! The roster parser as a clerk meets it: files from Excel and HR systems, and every mistake
//! reported on its line and column, in Japanese, with the fix.

use super::*;
use time::macros::date;

const HEADER: &str = "職員番号,氏名,氏名カナ,メールアドレス,所属コード,所属名,上位所属コード,雇用形態,採用日,在職状況\n";

#[track_caller]
fn says(errors: &[RowError], line: usize, column: &str, kind: ErrorKind, needle: &str) {
    assert!(
        errors.iter().any(|e| e.line == line
            && e.column == column
            && e.kind == kind
            && e.message.contains(needle)),
        "no {kind:?} error on line {line}, {column} containing «{needle}»: {errors:#?}"
    );
}

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
            column: "職員番号".into(),
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
        (e[0].line, e[0].column.as_str(), e[0].kind),
        (1, "在職状態", ErrorKind::Column)
    );
    assert_eq!(
        e[0].message,
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

#[test]
fn statuses_are_read_as_hr_systems_write_them_but_numbers_are_not_guessed() {
    for (s, status) in [
        ("在籍", PersonStatus::Active),
        ("現職", PersonStatus::Active),
        ("休職中", PersonStatus::OnLeave),
        ("育児休業", PersonStatus::OnLeave),
        ("休業中", PersonStatus::OnLeave),
        ("退職済", PersonStatus::Left),
        ("退職者", PersonStatus::Left),
        (" 退職　", PersonStatus::Left),
    ] {
        assert_eq!(PersonStatus::parse(s), Some(status), "{s}");
    }
    assert_eq!(PersonStatus::parse("0"), None);
    assert_eq!(PersonStatus::parse("1"), None);
}

#[test]
fn bad_rows_are_reported_with_line_column_and_fix_in_japanese() {
    let text = format!(
        "{HEADER}\
         1001,佐藤 花子,,sato@example.jp,a,A課,,,,\n\
         1001,鈴木 一郎,,,a,A課,,,,\n\
         1002,高橋 健太,,,a,A第二課,,,,\n\
         1003,,,,a,A課,,,,\n\
         1004,田中 由美,,,a,A課,,,2025-02-30,\n\
         1005,伊藤 翔,,mail 123456789018@example.jp,a,A課,,,,\n\
         1006,渡辺 美咲,,,a,A課,,,,引退\n\
         1007,中村 修,,,a,A課,a,,,\n\
         10-08/x,小林 茂,,,a,A課,,,,\n"
    );
    let Parsed {
        rows,
        errors,
        records,
        ..
    } = parse(&text).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(records, 9);
    let e = &errors;
    says(
        e,
        3,
        "職員番号",
        ErrorKind::Duplicate,
        "職員番号『1001』は2行目にもあります",
    );
    says(
        e,
        4,
        "所属名",
        ErrorKind::Conflict,
        "この行では『A第二課』、2行目では『A課』",
    );
    says(e, 5, "氏名", ErrorKind::Empty, "空欄です");
    says(e, 6, "採用日", ErrorKind::Format, "2月30日はありません");
    says(e, 7, "メールアドレス", ErrorKind::MyNumber, "マイナンバー");
    says(
        e,
        8,
        "在職状況",
        ErrorKind::Format,
        "『引退』は在職状況として読めません",
    );
    says(e, 9, "上位所属コード", ErrorKind::Conflict, "自分自身");
    says(e, 10, "職員番号", ErrorKind::Format, "『10-08/x』");
    assert_eq!(errors.len(), 8, "{errors:#?}");
}

#[test]
fn errors_name_the_column_as_the_file_writes_it() {
    let Parsed { errors, .. } =
        parse("職員ID,氏名,所属コード,所属名称,在職区分\n1,佐藤,a,,引退\n").unwrap();
    says(&errors, 2, "所属名称", ErrorKind::Empty, "空欄");
    says(&errors, 2, "在職区分", ErrorKind::Format, "引退");
}

/// Issue 11, point 4: dates as offices write them were refused.
#[test]
fn dates_in_japanese_forms_are_read_and_impossible_ones_explained() {
    let text = "職員番号,氏名,所属コード,所属名,採用日,異動日\n\
                1,甲,a,A課,令和2年4月1日,R7.4.1\n\
                2,乙,a,A課,２０２０/４/１,2025/4/1 0:00\n\
                3,丙,a,A課,H31.4.1,20250401\n\
                4,丁,a,A課,平成31年5月1日,令和0年4月1日\n";
    let Parsed { rows, errors, .. } = parse(text).unwrap();
    assert_eq!(rows.len(), 3, "{errors:?}");
    assert_eq!(rows[0].hired_on, Some(date!(2020 - 04 - 01)));
    assert_eq!(rows[1].hired_on, Some(date!(2020 - 04 - 01)));
    assert_eq!(rows[2].hired_on, Some(date!(2019 - 04 - 01)));
    assert!(
        rows.iter()
            .all(|r| r.effective == Some(date!(2025 - 04 - 01)))
    );
    says(
        &errors,
        5,
        "採用日",
        ErrorKind::Format,
        "令和元年5月1日と書いてください",
    );
    says(
        &errors,
        5,
        "異動日",
        ErrorKind::Format,
        "令和0年はありません",
    );
}

/// Issue 11, point 6: half-width kana and spaces of every width were stored as they came, so
/// next year's file showed spurious changes.
#[test]
fn names_kana_and_codes_are_normalised() {
    let text =
        format!("{HEADER}００１００７,　鈴木　　花子 ,ｽｽﾞｷ ﾊﾅｺ,,０１０,市民課,ＳＯＵＭＵ,ﾊﾟｰﾄ,,\n");
    let Parsed { rows, errors, .. } = parse(&text).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let r = &rows[0];
    assert_eq!(r.employee_number, "001007");
    assert_eq!(r.name, "鈴木 花子");
    assert_eq!(r.kana.as_deref(), Some("スズキ ハナコ"));
    assert_eq!(r.division_code, "010");
    assert_eq!(r.parent_code.as_deref(), Some("SOUMU"));
    assert_eq!(r.employment_type, "パート");
}

/// Issue 11, point 6: a `?` from a failed conversion, 外字, a newline and a full-width e-mail
/// address were stored as they came.
#[test]
fn characters_that_cannot_be_kept_are_refused_with_the_fix() {
    let text = format!(
        "{HEADER}\
         1,?野 太郎,,,a,A課,,,,\n\
         2,吉野 次郎,\u{FFFD}シノ,,a,A課,,,,\n\
         3,高\u{E000} 三郎,,,a,A課,,,,\n\
         4,佐藤 四郎,,ｓａｔｏ@example.jp,a,A課,,,,\n\
         5,佐藤 五郎,,sato＠example.jp,a,A課,,,,\n\
         6,佐藤 六郎,,sato@@example.jp,a,A課,,,,\n\
         7,佐藤 七郎,,sato@example.jp,a,A課,,常\u{7}勤,,\n\
         8,佐藤\t八郎,,,a,A課,,,,\n\
         9,佐藤 九郎,,,a,\u{F0001}課,,,,\n\
         10,佐藤 十郎,,,a,A課,,,,\n"
    );
    let Parsed { rows, errors, .. } = parse(&text).unwrap();
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [11]);
    let e = &errors;
    says(e, 2, "氏名", ErrorKind::Characters, "UTF-8で保存し直し");
    says(
        e,
        3,
        "氏名カナ",
        ErrorKind::Characters,
        "『?』に置き換わっています",
    );
    says(e, 4, "氏名", ErrorKind::Characters, "外字");
    says(
        e,
        5,
        "メールアドレス",
        ErrorKind::Characters,
        "半角で入力してください",
    );
    says(
        e,
        6,
        "メールアドレス",
        ErrorKind::Characters,
        "半角で入力してください",
    );
    says(e, 7, "メールアドレス", ErrorKind::Format, "@ が1つ");
    says(
        e,
        8,
        "雇用形態",
        ErrorKind::Characters,
        "制御文字（U+0007）",
    );
    says(e, 9, "氏名", ErrorKind::Characters, "タブ");
    says(
        e,
        10,
        "所属名",
        ErrorKind::Characters,
        "通常の文字に置き換えてください",
    );
    assert_eq!(errors.len(), 9, "{errors:#?}");
}

/// Found by fuzzing (fuzz/seeds/roster_csv/utf8-bom-crlf.csv): with Excel's CRLF line
/// ends every row was reported one line too early, and with old Mac CR line ends every
/// row was on line 1, so a clerk was sent to the wrong person's row. A row after a blank
/// line was reported on the blank line, whatever the line ends. A line break inside a name
/// is refused (issue 11, point 6).
#[test]
fn crlf_and_cr_line_ends_give_the_lines_an_editor_shows() {
    for end in ["\r\n", "\r", "\n"] {
        let text = format!(
            "職員番号,氏名,所属コード,所属名{end}\
             1001,佐藤 花子,a,A課{end}\
             {end}\
             1002,,a,A課{end}\
             1003,\"山本{end}大輔\",a,A課{end}\
             1004,鈴木 一郎,a,A課{end}"
        );
        let Parsed { rows, errors, .. } = parse(&text).unwrap();
        let lines: Vec<_> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 7], "line end {end:?}");
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            [4, 5],
            "line end {end:?}: {errors:?}"
        );
        says(&errors, 5, "氏名", ErrorKind::Characters, "改行");
    }
}

#[test]
fn quoted_cells_with_commas_parse() {
    let text = "職員番号,氏名,所属コード,所属名\n2001,\"山本, 大輔\",b,\"B課\"\"分室\"\"\"\n";
    let Parsed { rows, errors, .. } = parse(text).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rows[0].name, "山本, 大輔");
    assert_eq!(rows[0].division_name, "B課\"分室\"");
    assert_eq!(rows[0].line, 2);
}

/// Issue 11, point 7: an unclosed quote was reported as "所属コード is empty", and at the end
/// of a file it swallowed the next row without an error.
#[test]
fn an_unclosed_quote_is_reported_where_it_opened() {
    let text = "職員番号,氏名,所属コード,所属名\n\
                1001,佐藤 花子,a,A課\n\
                1002,\"鈴木 一郎,a,A課\n\
                1003,高橋 健太,a,A課\n\
                1004,\"田中\",a,A課\n\
                1005,伊藤 翔,a,A課\n";
    let Parsed { rows, errors, .. } = parse(text).unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    says(
        &errors,
        3,
        "氏名",
        ErrorKind::Format,
        "3行目: 引用符（\"）が閉じられていません",
    );
    assert!(errors[0].message.contains("5行目まで"), "{errors:?}");
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 6]);

    for end in ["", "\n"] {
        let text = format!(
            "職員番号,氏名,所属コード,所属名\n1001,佐藤 花子,a,A課\n1002,\"鈴木 一郎,a,A課\n1003,高橋 健太,a,A課{end}"
        );
        let Parsed { rows, errors, .. } = parse(&text).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        says(&errors, 3, "氏名", ErrorKind::Format, "閉じられていません");
        assert!(!errors[0].message.contains("空欄"));
    }

    let text = "職員番号,氏名,所属コード,所属名\n1001,佐藤 花子,\"a,A課\n";
    let Parsed { errors, .. } = parse(text).unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    says(
        &errors,
        2,
        "所属コード",
        ErrorKind::Format,
        "閉じられていません",
    );
}

/// Issue 11, point 1: a spreadsheet turned 001007 into 1007 and 010000 into 10000; within one
/// file they were two people and two divisions.
#[test]
fn numbers_and_codes_that_differ_only_in_leading_zeros_are_refused() {
    let text = "職員番号,氏名,所属コード,所属名,上位所属コード\n\
                001007,佐藤 花子,010000,総務部,\n\
                1007,佐藤 花子,10000,総務部,\n\
                1008,鈴木 一郎,020000,市民課,10000\n\
                000,零 太郎,010000,総務部,\n\
                0,零 次郎,010000,総務部,\n";
    let Parsed { rows, errors, .. } = parse(text).unwrap();
    let e = &errors;
    says(
        e,
        3,
        "職員番号",
        ErrorKind::LeadingZeros,
        "職員番号『1007』と2行目の『001007』は、先頭の0を除くと同じです",
    );
    says(
        e,
        3,
        "職員番号",
        ErrorKind::LeadingZeros,
        "列の書式を『文字列』にして保存し直してください",
    );
    says(
        e,
        3,
        "所属コード",
        ErrorKind::LeadingZeros,
        "所属コード『10000』と2行目の『010000』",
    );
    says(
        e,
        4,
        "上位所属コード",
        ErrorKind::LeadingZeros,
        "上位所属コード『10000』と2行目の所属コード『010000』",
    );
    says(
        e,
        6,
        "職員番号",
        ErrorKind::LeadingZeros,
        "『0』と5行目の『000』",
    );
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 5]);
    assert!(errors.windows(2).all(|w| w[0].line <= w[1].line));
}

#[test]
fn normalising_is_not_a_copy_per_cell_and_a_big_file_parses_quickly() {
    let mut text = String::from(HEADER);
    for i in 0..20_000 {
        text.push_str(&format!(
            "{i:06},佐藤 花子{i},サトウ ハナコ,s{i}@example.jp,d{},D{}課,,常勤,2020/4/1,在職\n",
            i % 50,
            i % 50
        ));
    }
    let started = std::time::Instant::now();
    let parsed = parse(&text).unwrap();
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.rows.len(), 20_000);
    // Generous for a debug build on a shared machine; a release build takes a few ms.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
