//! Each row's cells: statuses, dates, names and codes normalised, and every mistake reported on
//! its line and column with the fix.

use time::macros::date;

use super::{HEADER, says};
use crate::roster::{ErrorKind, Parsed, PersonStatus, parse};

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
