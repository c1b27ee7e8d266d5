//! The Japanese fiscal year (年度, 1 April – 31 March) and the Japanese era calendar (和暦).

use std::fmt;

use time::{Date, Month, OffsetDateTime, UtcOffset};

/// Japan Standard Time has no daylight saving, so a fixed offset is exact.
pub const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// Today's date in Japan, which decides the fiscal year shown to a user.
pub fn japan_today() -> Date {
    OffsetDateTime::now_utc().to_offset(JST).date()
}

/// A fiscal year named by the calendar year in which it starts: the year starting in 2025 runs
/// from 2025-04-01 to 2026-03-31 and is shown as `2025年度 (令和7年度)`. Made only from a date
/// ([`FiscalYear::of`]), from text ([`FiscalYear::parse`]) or from a year in the portal's range
/// ([`FiscalYear::starting_in`]), so it always names a year the portal can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FiscalYear(i32);

/// The years a person may name (a URL, a form, the command line).
const YEARS: std::ops::RangeInclusive<i32> = 1990..=2200;

impl FiscalYear {
    /// The fiscal year starting in April of `year`, when `year` is in the portal's range.
    pub fn starting_in(year: i32) -> Option<Self> {
        YEARS.contains(&year).then_some(FiscalYear(year))
    }

    /// A fiscal year read back from the database (written there from a `FiscalYear`).
    pub const fn stored(year: i32) -> Self {
        FiscalYear(year)
    }

    /// The calendar year it starts in: how it is stored and written in URLs (`?fy=2025`).
    pub const fn year(self) -> i32 {
        self.0
    }

    /// The year after.
    pub fn next(self) -> Self {
        FiscalYear(self.0 + 1)
    }

    /// The year before.
    pub fn previous(self) -> Self {
        FiscalYear(self.0 - 1)
    }

    /// The fiscal year a date falls in.
    pub fn of(date: Date) -> Self {
        if date.month() >= Month::April {
            FiscalYear(date.year())
        } else {
            FiscalYear(date.year() - 1)
        }
    }

    /// Parses `2025`, the form used on the command line and in URLs.
    pub fn parse(s: &str) -> Option<Self> {
        FiscalYear::starting_in(s.trim().parse().ok()?)
    }

    pub fn start(self) -> Date {
        Date::from_calendar_date(self.0, Month::April, 1).unwrap_or(Date::MIN)
    }

    pub fn end(self) -> Date {
        Date::from_calendar_date(self.0 + 1, Month::March, 31).unwrap_or(Date::MAX)
    }

    /// The date assignments are judged on for this year: `today`, within the year (its first
    /// day for a year to come, its last for a past one).
    pub fn judged_on(self, today: Date) -> Date {
        today.clamp(self.start(), self.end())
    }

    pub fn contains(self, date: Date) -> bool {
        FiscalYear::of(date) == self
    }

    /// `令和7年度`. A fiscal year is named in the era that began in or before its starting
    /// calendar year, so FY2019 is 令和元年度, as the government named it after the change of era.
    pub fn japanese(self) -> String {
        let era = ERAS
            .iter()
            .find(|era| self.0 >= era.start.year())
            .unwrap_or(&ERAS[ERAS.len() - 1]);
        format!(
            "{}{}年度",
            era.name,
            era_year(self.0 - era.start.year() + 1)
        )
    }
}

/// Read as the year it starts in (`2025`, in a path, a form or JSON), refused outside the
/// years the portal accepts.
impl<'de> serde::Deserialize<'de> for FiscalYear {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let year = i32::deserialize(d)?;
        FiscalYear::starting_in(year)
            .ok_or_else(|| serde::de::Error::custom(format!("{year} is not a fiscal year")))
    }
}

impl fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}年度 ({})", self.0, self.japanese())
    }
}

/// A Japanese era (元号): shared by the printing here and the date reader of the roster.
pub(crate) struct Era {
    /// `令和`.
    pub(crate) name: &'static str,
    /// The letter offices abbreviate it to: `R` in `R7.4.1`.
    pub(crate) letter: char,
    /// Its first day.
    pub(crate) start: Date,
    /// Its last day: the day before the next era starts (`None` for the current era).
    pub(crate) end: Option<Date>,
}

const fn date(year: i32, month: Month, day: u8) -> Date {
    match Date::from_calendar_date(year, month, day) {
        Ok(d) => d,
        Err(_) => Date::MIN,
    }
}

/// Newest first.
pub(crate) const ERAS: [Era; 4] = [
    Era {
        name: "令和",
        letter: 'R',
        start: date(2019, Month::May, 1),
        end: None,
    },
    Era {
        name: "平成",
        letter: 'H',
        start: date(1989, Month::January, 8),
        end: Some(date(2019, Month::April, 30)),
    },
    Era {
        name: "昭和",
        letter: 'S',
        start: date(1926, Month::December, 25),
        end: Some(date(1989, Month::January, 7)),
    },
    Era {
        name: "大正",
        letter: 'T',
        start: date(1912, Month::July, 30),
        end: Some(date(1926, Month::December, 24)),
    },
];

/// `元` for the first year of an era, the number otherwise.
pub(crate) fn era_year(n: i32) -> String {
    if n == 1 {
        "元".to_string()
    } else {
        n.to_string()
    }
}

/// A date in the Japanese calendar: `令和7年4月1日`. Before 1912 it falls back to the Gregorian
/// form, which no record of this portal needs.
pub fn japanese_date(date: Date) -> String {
    match ERAS.iter().find(|era| date >= era.start) {
        Some(era) => format!(
            "{}{}年{}月{}日",
            era.name,
            era_year(date.year() - era.start.year() + 1),
            u8::from(date.month()),
            date.day()
        ),
        None => gregorian_date(date),
    }
}

/// `2025年4月1日`.
pub fn gregorian_date(date: Date) -> String {
    format!(
        "{}年{}月{}日",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn assignments_are_judged_on_a_day_within_the_year() {
        let fy = FiscalYear(2025);
        assert_eq!(fy.judged_on(date!(2025 - 11 - 26)), date!(2025 - 11 - 26));
        assert_eq!(fy.judged_on(date!(2026 - 11 - 26)), date!(2026 - 03 - 31));
        assert_eq!(fy.judged_on(date!(2024 - 11 - 26)), date!(2025 - 04 - 01));
    }

    #[test]
    fn april_first_starts_a_new_fiscal_year() {
        assert_eq!(FiscalYear::of(date!(2025 - 04 - 01)), FiscalYear(2025));
        assert_eq!(FiscalYear::of(date!(2025 - 03 - 31)), FiscalYear(2024));
        assert_eq!(FiscalYear::of(date!(2026 - 01 - 15)), FiscalYear(2025));
        assert_eq!(FiscalYear::of(date!(2025 - 12 - 31)), FiscalYear(2025));
    }

    #[test]
    fn fiscal_year_bounds_are_april_to_march() {
        assert_eq!(FiscalYear(2025).start(), date!(2025 - 04 - 01));
        assert_eq!(FiscalYear(2025).end(), date!(2026 - 03 - 31));
        assert!(FiscalYear(2025).contains(date!(2026 - 03 - 31)));
        assert!(!FiscalYear(2025).contains(date!(2026 - 04 - 01)));
    }

    #[test]
    fn fiscal_year_is_shown_in_both_calendars() {
        assert_eq!(FiscalYear(2025).to_string(), "2025年度 (令和7年度)");
        assert_eq!(FiscalYear(2019).to_string(), "2019年度 (令和元年度)");
        assert_eq!(FiscalYear(2018).to_string(), "2018年度 (平成30年度)");
        assert_eq!(FiscalYear(1989).japanese(), "平成元年度");
        assert_eq!(FiscalYear(2026).japanese(), "令和8年度");
    }

    #[test]
    fn japanese_dates_switch_era_on_the_day() {
        assert_eq!(japanese_date(date!(2019 - 04 - 30)), "平成31年4月30日");
        assert_eq!(japanese_date(date!(2019 - 05 - 01)), "令和元年5月1日");
        assert_eq!(japanese_date(date!(2025 - 04 - 01)), "令和7年4月1日");
        assert_eq!(japanese_date(date!(1989 - 01 - 07)), "昭和64年1月7日");
        assert_eq!(japanese_date(date!(1989 - 01 - 08)), "平成元年1月8日");
    }

    #[test]
    fn each_era_ends_the_day_before_the_next_starts() {
        for pair in ERAS.windows(2) {
            assert_eq!(pair[1].end.and_then(Date::next_day), Some(pair[0].start));
        }
        assert_eq!(ERAS[0].end, None);
    }

    #[test]
    fn fiscal_years_parse_from_plain_numbers_only() {
        assert_eq!(FiscalYear::parse("2025"), Some(FiscalYear(2025)));
        assert_eq!(FiscalYear::parse(" 2025 "), Some(FiscalYear(2025)));
        assert_eq!(FiscalYear::parse("令和7"), None);
        assert_eq!(FiscalYear::parse("25"), None);
    }
}
