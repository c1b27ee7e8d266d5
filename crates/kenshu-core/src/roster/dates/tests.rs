//! Dates as offices write them, the boundaries of the eras to the day, and what each mistake
//! says.

use super::*;
use time::macros::date;

#[track_caller]
fn reads(s: &str, expected: Date) {
    assert_eq!(read_date(s), Ok(expected), "{s}");
}

#[track_caller]
fn refuses(s: &str, needle: &str) -> DateError {
    let e = read_date(s).expect_err(s);
    assert!(e.to_string().contains(needle), "{s}: {e}");
    e
}

#[test]
fn western_forms_are_read() {
    let d = date!(2025 - 04 - 01);
    for s in [
        "2025-04-01",
        "2025/4/1",
        "2025/04/01",
        "2025年4月1日",
        "2025年4月1",
        "2025.4.1",
        "20250401",
        " 2025-4-1 ",
        "2025年 4月 1日",
        "'2025/4/1",
    ] {
        reads(s, d);
    }
}

#[test]
fn date_time_cells_are_read_when_the_time_is_a_time() {
    let d = date!(2025 - 04 - 01);
    for s in [
        "2025/4/1 0:00",
        "2025-04-01 00:00:00",
        "2025/4/1 23:59",
        "2025-04-01T00:00:00",
        "2025-04-01 00:00:00.000",
        "令和7年4月1日 9:30",
    ] {
        reads(s, d);
    }
    for s in [
        "2025/4/1 24:00",
        "2025/4/1 0:60",
        "2025/4/1 0:0",
        "2025/4/1 午前:00",
    ] {
        refuses(s, "時刻");
    }
}

#[test]
fn full_width_digits_and_separators_are_read() {
    let d = date!(2025 - 04 - 01);
    for s in [
        "２０２５/４/１",
        "２０２５／４／１",
        "２０２５－０４－０１",
        "２０２５年４月１日",
        "　２０２５．４．１　",
        "２０２５０４０１",
        "令和７年４月１日",
        "Ｒ７．４．１",
        "２０２５/４/１　０:００",
    ] {
        reads(s, d);
    }
}

#[test]
fn japanese_era_forms_are_read() {
    for (s, d) in [
        ("令和7年4月1日", date!(2025 - 04 - 01)),
        ("令和元年5月1日", date!(2019 - 05 - 01)),
        ("令和1年5月1日", date!(2019 - 05 - 01)),
        ("平成31年4月1日", date!(2019 - 04 - 01)),
        ("平成元年1月8日", date!(1989 - 01 - 08)),
        ("昭和63年4月1日", date!(1988 - 04 - 01)),
        ("大正15年4月1日", date!(1926 - 04 - 01)),
        ("R7.4.1", date!(2025 - 04 - 01)),
        ("r7.4.1", date!(2025 - 04 - 01)),
        ("R07/04/01", date!(2025 - 04 - 01)),
        ("R7-4-1", date!(2025 - 04 - 01)),
        ("令和7.4.1", date!(2025 - 04 - 01)),
        ("R7年4月1日", date!(2025 - 04 - 01)),
        ("'R7年4月1日", date!(2025 - 04 - 01)),
        ("H31.4.1", date!(2019 - 04 - 01)),
        ("h31.4.30", date!(2019 - 04 - 30)),
        ("S63.4.1", date!(1988 - 04 - 01)),
        ("T15.12.24", date!(1926 - 12 - 24)),
        ("R元.5.1", date!(2019 - 05 - 01)),
        ("平成4年2月29日", date!(1992 - 02 - 29)),
    ] {
        reads(s, d);
    }
}

#[test]
fn the_showa_heisei_boundary_is_exact() {
    reads("昭和64年1月7日", date!(1989 - 01 - 07));
    reads("S64.1.7", date!(1989 - 01 - 07));
    reads("平成元年1月8日", date!(1989 - 01 - 08));
    reads("平成1年1月8日", date!(1989 - 01 - 08));
    let e = refuses(
        "昭和64年1月8日",
        "昭和は64年1月7日まで。平成元年1月8日と書いてください",
    );
    assert!(matches!(e, DateError::AfterEra { era: "昭和", .. }));
    refuses(
        "平成元年1月7日",
        "平成は元年1月8日から。昭和64年1月7日と書いてください",
    );
    refuses("H1.1.7", "平成は元年1月8日から");
    refuses("昭和65年1月1日", "平成2年1月1日と書いてください");
}

#[test]
fn the_heisei_reiwa_boundary_is_exact() {
    reads("平成31年4月30日", date!(2019 - 04 - 30));
    reads("令和元年5月1日", date!(2019 - 05 - 01));
    let e = refuses(
        "平成31年5月1日",
        "平成は31年4月30日まで。令和元年5月1日と書いてください",
    );
    assert_eq!(
        e.to_string(),
        "『平成31年5月1日』はありません。平成は31年4月30日まで。令和元年5月1日と書いてください"
    );
    refuses("H31.5.1", "令和元年5月1日と書いてください");
    refuses(
        "令和元年4月30日",
        "令和は元年5月1日から。平成31年4月30日と書いてください",
    );
    refuses("R1.4.30", "平成31年4月30日と書いてください");
    refuses(
        "平成32年4月1日",
        "平成は31年4月30日まで。令和2年4月1日と書いてください",
    );
    refuses("平成30年13月1日", "13月はありません");
}

#[test]
fn the_taisho_showa_boundary_is_exact() {
    reads("大正15年12月24日", date!(1926 - 12 - 24));
    reads("昭和元年12月25日", date!(1926 - 12 - 25));
    refuses("大正15年12月25日", "昭和元年12月25日と書いてください");
    refuses("昭和元年12月24日", "大正15年12月24日と書いてください");
    refuses("大正元年7月29日", "大正は元年7月30日から");
}

#[test]
fn year_zero_of_an_era_is_refused() {
    let e = refuses("令和0年4月1日", "令和0年はありません");
    assert!(e.to_string().contains("元年"), "{e}");
    refuses("R0.4.1", "令和0年はありません");
    refuses("H0.4.1", "平成0年はありません");
}

#[test]
fn impossible_dates_say_what_is_wrong() {
    refuses("2025-02-30", "2月30日はありません（この年の2月は28日まで）");
    refuses("2024-02-30", "2月は29日まで");
    reads("2024-02-29", date!(2024 - 02 - 29));
    refuses("2025-02-29", "2月29日はありません");
    refuses("2025-13-01", "13月はありません");
    refuses("2025-00-01", "0月はありません");
    refuses("2025-04-00", "4月0日はありません");
    refuses("2025-04-31", "4月31日はありません");
    refuses("20251301", "13月はありません");
    refuses("令和7年2月29日", "2月29日はありません");
}

#[test]
fn what_is_not_a_date_is_refused_with_the_forms_to_use() {
    for s in [
        "明日",
        "2025",
        "2025-04",
        "2025-04-01-02",
        "2025/4/1日本",
        "M45.1.1",
        "X7.4.1",
        "令和七年四月一日",
        "R.4.1",
        "2025040",
        "-2025-04-01",
    ] {
        refuses(s, "2025/4/1");
    }
    assert_eq!(read_date(""), Err(DateError::Empty));
    assert_eq!(read_date("　"), Err(DateError::Empty));
    refuses("25/4/1", "西暦4桁");
    refuses("1899-12-31", "範囲外");
    refuses("2201-01-01", "範囲外");
    // Found by fuzzing: eight digits skipped the range check.
    refuses("10021002", "範囲外");
    refuses("22010101", "範囲外");
    refuses("令和999年1月1日", "範囲外");
    assert_eq!(parse_date("2025-13-01"), None);
    assert_eq!(parse_date("令和7年4月1日"), Some(date!(2025 - 04 - 01)));
}
