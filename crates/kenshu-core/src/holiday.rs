//! The working calendar of a Japanese public body: Saturdays, Sundays, the national holidays
//! (国民の祝日, with 振替休日 and 国民の休日, as the 国民の祝日に関する法律 defines them since the
//! 2020 change of the Emperor's Birthday) and the year-end break (年末年始, 29 December to
//! 3 January) are days off. Digests to officers go out on working days only, within office
//! hours, and the mail of a scheduled reminder waits for them, because a mail that lands on a
//! holiday waits unread under the next ones.
//!
//! The equinox days follow the astronomical formula the National Astronomical Observatory's
//! announcements agree with for 1980–2099; the government fixes them each February for the
//! next year, so a later announcement that differed would need a correction here.

use time::{Date, Duration, Month, OffsetDateTime, Time, Weekday};

use crate::fiscal_year::JST;

/// Office hours in Japan time: from 08:30 until (not including) 17:00.
pub const OFFICE_OPENS: Time = match Time::from_hms(8, 30, 0) {
    Ok(t) => t,
    Err(_) => panic!("valid time"),
};
pub const OFFICE_CLOSES: Time = match Time::from_hms(17, 0, 0) {
    Ok(t) => t,
    Err(_) => panic!("valid time"),
};

/// The `n`th (1-based) `weekday` of a month.
fn nth_weekday(year: i32, month: Month, weekday: Weekday, n: u8) -> Option<Date> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let ahead =
        (7 + weekday.number_days_from_monday() - first.weekday().number_days_from_monday()) % 7;
    first.checked_add(Duration::days(i64::from(ahead) + 7 * i64::from(n - 1)))
}

/// The day of March (春分) or September (秋分) of the equinox holiday.
fn equinox_day(year: i32, base: f64) -> u8 {
    let y = f64::from(year - 1980);
    let day = base + 0.242194 * y - (y / 4.0).floor();
    // Between 19 and 24 for every year the formula holds; the cast cannot truncate.
    day.floor() as u8
}

/// The named holidays of a year (国民の祝日 proper), without substitutes.
fn named_holidays(year: i32) -> Vec<Date> {
    use Month::*;
    let fixed = [
        (January, 1),
        (February, 11),
        (February, 23),
        (April, 29),
        (May, 3),
        (May, 4),
        (May, 5),
        (August, 11),
        (November, 3),
        (November, 23),
    ];
    let mut days: Vec<Date> = fixed
        .iter()
        .filter_map(|(m, d)| Date::from_calendar_date(year, *m, *d).ok())
        .collect();
    days.extend(
        [
            nth_weekday(year, January, Weekday::Monday, 2),
            nth_weekday(year, July, Weekday::Monday, 3),
            nth_weekday(year, September, Weekday::Monday, 3),
            nth_weekday(year, October, Weekday::Monday, 2),
            Date::from_calendar_date(year, March, equinox_day(year, 20.8431)).ok(),
            Date::from_calendar_date(year, September, equinox_day(year, 23.2488)).ok(),
        ]
        .into_iter()
        .flatten(),
    );
    days.sort_unstable();
    days
}

/// Every holiday of a year: the named ones, each 振替休日 (a named holiday on a Sunday moves
/// the day off to the next day that is not a holiday) and each 国民の休日 (a day that is not a
/// holiday between two holidays).
pub fn national_holidays(year: i32) -> Vec<Date> {
    let named = named_holidays(year);
    let mut all = named.clone();
    for d in &named {
        if d.weekday() == Weekday::Sunday {
            let mut next = d.next_day();
            while let Some(n) = next.filter(|n| named.contains(n)) {
                next = n.next_day();
            }
            all.extend(next);
        }
    }
    for pair in named.windows(2) {
        if pair[1] - pair[0] == Duration::days(2)
            && let Some(between) = pair[0].next_day()
            && between.weekday() != Weekday::Sunday
            && !all.contains(&between)
        {
            all.push(between);
        }
    }
    all.sort_unstable();
    all.dedup();
    all
}

pub fn is_national_holiday(day: Date) -> bool {
    national_holidays(day.year()).contains(&day)
}

/// 年末年始: 29 December to 3 January.
pub fn is_year_end_break(day: Date) -> bool {
    match day.month() {
        Month::December => day.day() >= 29,
        Month::January => day.day() <= 3,
        _ => false,
    }
}

/// A Saturday, a Sunday, a national holiday or a day of the year-end break.
pub fn is_day_off(day: Date) -> bool {
    matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
        || is_year_end_break(day)
        || is_national_holiday(day)
}

/// The first working day on or after `day`.
pub fn working_day_from(day: Date) -> Date {
    let mut d = day;
    // The longest run of days off is the year-end break with a weekend on each side.
    for _ in 0..20 {
        if !is_day_off(d) {
            return d;
        }
        match d.next_day() {
            Some(n) => d = n,
            None => return d,
        }
    }
    d
}

/// Whether `at` falls within office hours of a working day, in Japan time.
pub fn in_office_hours(at: OffsetDateTime) -> bool {
    let local = at.to_offset(JST);
    !is_day_off(local.date()) && local.time() >= OFFICE_OPENS && local.time() < OFFICE_CLOSES
}

/// The first moment at or after `at` within office hours of a working day: `at` itself when
/// it is, otherwise 08:30 of the next working day (today's, before opening). A scheduled
/// reminder's mail waits until then.
pub fn next_office_hours(at: OffsetDateTime) -> OffsetDateTime {
    if in_office_hours(at) {
        return at;
    }
    let local = at.to_offset(JST);
    let day = if local.time() < OFFICE_OPENS {
        local.date()
    } else {
        local.date().next_day().unwrap_or(local.date())
    };
    working_day_from(day)
        .with_time(OFFICE_OPENS)
        .assume_offset(JST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_moment_off_hours_moves_to_the_next_working_morning() {
        // Within office hours: unchanged.
        let wed = datetime!(2026-12-02 10:00 +9);
        assert_eq!(next_office_hours(wed), wed);
        // Before opening: the same day's 08:30; after closing: the next working day's.
        assert_eq!(
            next_office_hours(datetime!(2026-12-02 06:00 +9)),
            datetime!(2026-12-02 08:30 +9)
        );
        assert_eq!(
            next_office_hours(datetime!(2026-12-02 17:00 +9)),
            datetime!(2026-12-03 08:30 +9)
        );
        // Friday evening and the weekend: Monday morning.
        assert_eq!(
            next_office_hours(datetime!(2026-12-04 20:00 +9)),
            datetime!(2026-12-07 08:30 +9)
        );
        assert_eq!(
            next_office_hours(datetime!(2026-12-05 10:00 +9)),
            datetime!(2026-12-07 08:30 +9)
        );
        // The year-end break, with New Year's Day and a weekend: 4 January 2027 is a Monday.
        assert_eq!(
            next_office_hours(datetime!(2026-12-28 18:00 +9)),
            datetime!(2027-01-04 08:30 +9)
        );
        // A national holiday (Respect for the Aged Day, 21 September 2026, a Monday; the
        // 22nd is a 国民の休日 and the 23rd the autumn equinox): Thursday.
        assert_eq!(
            next_office_hours(datetime!(2026-09-18 17:30 +9)),
            datetime!(2026-09-24 08:30 +9)
        );
        // UTC in, the same moment out.
        assert_eq!(
            next_office_hours(datetime!(2026-12-05 01:00 UTC)),
            datetime!(2026-12-07 08:30 +9)
        );
    }

    #[test]
    fn the_holidays_of_fiscal_2026_and_2027_are_known() {
        let holidays = |y| national_holidays(y);
        let in_fy = |from: Date, to: Date| -> Vec<Date> {
            holidays(from.year())
                .into_iter()
                .chain(holidays(to.year()))
                .filter(|d| *d >= from && *d <= to)
                .collect()
        };
        assert_eq!(
            in_fy(date!(2026 - 04 - 01), date!(2027 - 03 - 31)),
            [
                date!(2026 - 04 - 29),
                date!(2026 - 05 - 03),
                date!(2026 - 05 - 04),
                date!(2026 - 05 - 05),
                date!(2026 - 05 - 06), // 振替休日 for Sunday 3 May
                date!(2026 - 07 - 20),
                date!(2026 - 08 - 11),
                date!(2026 - 09 - 21), // 敬老の日
                date!(2026 - 09 - 22), // 国民の休日
                date!(2026 - 09 - 23), // 秋分の日
                date!(2026 - 10 - 12),
                date!(2026 - 11 - 03),
                date!(2026 - 11 - 23),
                date!(2027 - 01 - 01),
                date!(2027 - 01 - 11), // 成人の日
                date!(2027 - 02 - 11),
                date!(2027 - 02 - 23),
                date!(2027 - 03 - 21), // 春分の日, a Sunday
                date!(2027 - 03 - 22), // its 振替休日
            ]
        );
        assert_eq!(
            in_fy(date!(2027 - 04 - 01), date!(2028 - 03 - 31)),
            [
                date!(2027 - 04 - 29),
                date!(2027 - 05 - 03),
                date!(2027 - 05 - 04),
                date!(2027 - 05 - 05),
                date!(2027 - 07 - 19),
                date!(2027 - 08 - 11),
                date!(2027 - 09 - 20),
                date!(2027 - 09 - 23),
                date!(2027 - 10 - 11),
                date!(2027 - 11 - 03),
                date!(2027 - 11 - 23),
                date!(2028 - 01 - 01),
                date!(2028 - 01 - 10),
                date!(2028 - 02 - 11),
                date!(2028 - 02 - 23),
                date!(2028 - 03 - 20),
            ]
        );
    }

    #[test]
    fn substitutes_and_sandwiched_days_follow_the_law() {
        // 2027-02-11 is a Thursday: no substitute. 2029-04-29 is a Sunday: Monday 30 off.
        assert!(!is_national_holiday(date!(2027 - 02 - 12)));
        assert!(is_national_holiday(date!(2029 - 04 - 30)));
        // 2025-05-04 (Sunday) moves to Tuesday 6 May, past 5 May which is a holiday itself.
        assert!(is_national_holiday(date!(2025 - 05 - 06)));
        // The only sandwiched days come from 敬老の日 and 秋分の日 two days apart.
        assert!(is_national_holiday(date!(2026 - 09 - 22)));
        assert!(!is_national_holiday(date!(2027 - 09 - 21)));
        assert!(!is_national_holiday(date!(2027 - 09 - 22)));
    }

    #[test]
    fn weekends_holidays_and_the_year_end_break_are_days_off() {
        assert!(is_day_off(date!(2026 - 12 - 05)), "Saturday");
        assert!(is_day_off(date!(2026 - 12 - 06)), "Sunday");
        assert!(!is_day_off(date!(2026 - 12 - 28)), "Monday 28 December");
        for d in [
            date!(2026 - 12 - 29),
            date!(2026 - 12 - 30),
            date!(2026 - 12 - 31),
            date!(2027 - 01 - 01),
            date!(2027 - 01 - 02),
            date!(2027 - 01 - 03),
            date!(2027 - 01 - 11),
        ] {
            assert!(is_day_off(d), "{d}");
        }
        assert!(!is_day_off(date!(2027 - 01 - 04)));
        assert_eq!(
            working_day_from(date!(2026 - 12 - 29)),
            date!(2027 - 01 - 04)
        );
        assert_eq!(
            working_day_from(date!(2027 - 01 - 11)),
            date!(2027 - 01 - 12)
        );
        assert_eq!(
            working_day_from(date!(2026 - 09 - 19)),
            date!(2026 - 09 - 24)
        );
        assert_eq!(
            working_day_from(date!(2026 - 12 - 14)),
            date!(2026 - 12 - 14)
        );
    }

    #[test]
    fn office_hours_are_08_30_to_17_00_japan_time_on_working_days() {
        assert!(!in_office_hours(datetime!(2026-12-14 08:29 +9)));
        assert!(in_office_hours(datetime!(2026-12-14 08:30 +9)));
        assert!(in_office_hours(datetime!(2026-12-14 16:59 +9)));
        assert!(!in_office_hours(datetime!(2026-12-14 17:00 +9)));
        // 23:30 UTC on the 13th is 08:30 on Monday the 14th in Japan.
        assert!(in_office_hours(datetime!(2026-12-13 23:30 UTC)));
        assert!(!in_office_hours(datetime!(2027-01-11 10:00 +9)), "成人の日");
    }
}
