//! Records as the CSV reader finds them: line ends, quoted cells, numbers and codes compared
//! across rows, and a big file.

use super::{HEADER, says};
use crate::roster::{ErrorKind, Parsed, parse};

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
    assert!(errors[0].message().contains("5行目まで"), "{errors:?}");
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 6]);

    for end in ["", "\n"] {
        let text = format!(
            "職員番号,氏名,所属コード,所属名\n1001,佐藤 花子,a,A課\n1002,\"鈴木 一郎,a,A課\n1003,高橋 健太,a,A課{end}"
        );
        let Parsed { rows, errors, .. } = parse(&text).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        says(&errors, 3, "氏名", ErrorKind::Format, "閉じられていません");
        assert!(!errors[0].message().contains("空欄"));
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
