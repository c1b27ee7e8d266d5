//! Dates as Japanese offices write them: Western (`2025-04-01`, `2025/4/1`, `2025年4月1日`,
//! `2025.4.1`, `20250401`), Japanese era (`令和7年4月1日`, `令和元年5月1日`, `R7.4.1`, `H31.4.1`),
//! in full-width digits, and as date-time cells a spreadsheet wrote (`2025/4/1 0:00`).
//! A date its era did not have (`平成31年5月1日`) is refused with the form to write instead.

use time::{Date, Month};

use crate::fiscal_year::{ERAS, Era, era_year, japanese_date};

/// Why a cell is not a date, said so that the clerk knows how to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateError {
    Empty,
    Unreadable(String),
    Time(String),
    ShortYear(String),
    YearRange(String),
    Month {
        value: String,
        month: u32,
    },
    Day {
        value: String,
        month: u8,
        day: u32,
        last: u8,
    },
    EraYearZero {
        value: String,
        era: &'static str,
    },
    AfterEra {
        value: String,
        era: &'static str,
        last: String,
        correct: String,
    },
    BeforeEra {
        value: String,
        era: &'static str,
        first: String,
        correct: String,
    },
}

/// The Japanese wording (`Catalogue::date_error`: in either language).
impl std::fmt::Display for DateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::i18n::JA.date_error(self))
    }
}

impl std::error::Error for DateError {}

/// Reads a date in any of the forms offices write (see the module documentation).
pub fn parse_date(s: &str) -> Option<Date> {
    read_date(s).ok()
}

/// Reads a date, or says what is wrong with it and how to write it.
pub fn read_date(s: &str) -> Result<Date, DateError> {
    let value = s.trim();
    if value.is_empty() {
        return Err(DateError::Empty);
    }
    let unreadable = || DateError::Unreadable(value.to_string());
    let narrowed = super::text::narrow_all(value);
    // A leading apostrophe is how a spreadsheet keeps a cell as text.
    let t = narrowed.trim().trim_start_matches('\'').trim();
    let date_part = match split_time(t) {
        Some((date, time)) => {
            if !is_time(time) {
                return Err(DateError::Time(value.to_string()));
            }
            date
        }
        None => t,
    };
    let compact: String;
    let date_part = if date_part.contains(' ') {
        compact = date_part.split(' ').collect();
        compact.as_str()
    } else {
        date_part
    };
    match era_of(date_part) {
        Some((era, rest)) => {
            let mut c = Cursor(rest);
            let n = if c.eat('元') {
                1
            } else {
                c.number().ok_or_else(unreadable)?.0
            };
            let (month, day) = month_day(&mut c, &['年', '.', '/', '-']).ok_or_else(unreadable)?;
            on_era(value, era, n, month, day)
        }
        None => {
            let mut c = Cursor(date_part);
            let (year, digits) = c.number().ok_or_else(unreadable)?;
            // `20250401`: eight digits, the year's four first.
            let (year, digits, month, day) = if digits == 8 && c.0.is_empty() {
                (year / 10000, 4, year / 100 % 100, year % 100)
            } else {
                let (month, day) =
                    month_day(&mut c, &['年', '.', '/', '-']).ok_or_else(unreadable)?;
                (year, digits, month, day)
            };
            match digits {
                1 | 2 => Err(DateError::ShortYear(value.to_string())),
                4 if (1900..=2200).contains(&year) => calendar(value, year as i32, month, day),
                _ => Err(DateError::YearRange(value.to_string())),
            }
        }
    }
}

/// The date and the time of a date-time cell (`2025/4/1 0:00`, `2025-04-01T00:00:00`).
fn split_time(t: &str) -> Option<(&str, &str)> {
    if let Some((date, time)) = t.split_once(' ')
        && time.contains(':')
    {
        return Some((date.trim(), time.trim()));
    }
    let i = t.find('T')?;
    (i > 0 && t[..i].ends_with(|c: char| c.is_ascii_digit())).then(|| (&t[..i], &t[i + 1..]))
}

/// `0:00`, `00:00:00`, `9:30:15.250`: a valid time of day.
fn is_time(t: &str) -> bool {
    let (hms, fraction) = t.split_once('.').unwrap_or((t, "0"));
    let parts: Vec<&str> = hms.split(':').collect();
    let field = |s: &str, max: u32, two: bool| {
        (1..=2).contains(&s.len())
            && (!two || s.len() == 2)
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|n| n <= max)
    };
    (2..=3).contains(&parts.len())
        && field(parts[0], 23, false)
        && parts[1..].iter().all(|p| field(p, 59, true))
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// The era a date starts with (`令和`, `R`, `r`) and the rest of it.
fn era_of(t: &str) -> Option<(&'static Era, &str)> {
    ERAS.iter().find_map(|era| {
        if let Some(rest) = t.strip_prefix(era.name) {
            return Some((era, rest));
        }
        let mut chars = t.chars();
        let first = chars.next()?;
        first
            .eq_ignore_ascii_case(&era.letter)
            .then_some((era, chars.as_str()))
    })
}

struct Cursor<'a>(&'a str);

impl Cursor<'_> {
    fn eat(&mut self, c: char) -> bool {
        match self.0.strip_prefix(c) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    fn eat_any(&mut self, cs: &[char]) -> bool {
        cs.iter().any(|&c| self.eat(c))
    }

    /// Digits and how many there were (at most 9).
    fn number(&mut self) -> Option<(u32, usize)> {
        let digits = self.0.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        let n = self.0[..digits].parse().ok()?;
        self.0 = &self.0[digits..];
        Some((n, digits))
    }
}

/// After the year: a separator, the month, a separator, the day and nothing more.
fn month_day(c: &mut Cursor<'_>, after_year: &[char]) -> Option<(u32, u32)> {
    if !c.eat_any(after_year) {
        return None;
    }
    let (month, _) = c.number()?;
    if !c.eat_any(&['月', '.', '/', '-']) {
        return None;
    }
    let (day, _) = c.number()?;
    c.eat('日');
    c.0.is_empty().then_some((month, day))
}

fn calendar(value: &str, year: i32, month: u32, day: u32) -> Result<Date, DateError> {
    let m = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| DateError::Month {
            value: value.to_string(),
            month,
        })?;
    let last = m.length(year);
    u8::try_from(day)
        .ok()
        .and_then(|d| Date::from_calendar_date(year, m, d).ok())
        .ok_or_else(|| DateError::Day {
            value: value.to_string(),
            month: m as u8,
            day,
            last,
        })
}

fn on_era(value: &str, era: &'static Era, n: u32, month: u32, day: u32) -> Result<Date, DateError> {
    if n == 0 {
        return Err(DateError::EraYearZero {
            value: value.to_string(),
            era: era.name,
        });
    }
    let year = i64::from(era.start.year()) + i64::from(n) - 1;
    if year > 2200 {
        return Err(DateError::YearRange(value.to_string()));
    }
    let date = calendar(value, year as i32, month, day)?;
    let within = |d: Date| {
        format!(
            "{}年{}月{}日",
            era_year(d.year() - era.start.year() + 1),
            u8::from(d.month()),
            d.day()
        )
    };
    if date < era.start {
        return Err(DateError::BeforeEra {
            value: value.to_string(),
            era: era.name,
            first: within(era.start),
            correct: japanese_date(date),
        });
    }
    if let Some(end) = era.end
        && date > end
    {
        return Err(DateError::AfterEra {
            value: value.to_string(),
            era: era.name,
            last: within(end),
            correct: japanese_date(date),
        });
    }
    Ok(date)
}

#[cfg(test)]
mod tests;
