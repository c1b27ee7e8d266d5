//! Dates and fiscal years as each language writes them: 和暦 in Japanese (`令和8年4月1日`,
//! `令和8年度`), the Gregorian calendar in English (`1 Apr 2026`, `FY2026`). One format per
//! language, so a page never mixes two.

use time::{Date, OffsetDateTime};

use super::{Catalogue, Lang};
use crate::fiscal_year::{FiscalYear, JST, japanese_date};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Catalogue {
    /// A day: `令和8年4月1日`, `1 Apr 2026`.
    pub fn date(&self, d: Date) -> String {
        match self.lang {
            Lang::Ja => japanese_date(d),
            Lang::En => format!(
                "{} {} {}",
                d.day(),
                MONTHS[usize::from(u8::from(d.month())) - 1],
                d.year()
            ),
        }
    }

    /// A month by its number (1–12): `4月`, `Apr`.
    pub fn month_name(&self, m: u8) -> String {
        match self.lang {
            Lang::Ja => self.month.replace("{m}", &m.to_string()),
            Lang::En => MONTHS
                .get(usize::from(m.clamp(1, 12)) - 1)
                .copied()
                .unwrap_or_default()
                .to_string(),
        }
    }

    /// The day of a moment, in Japan.
    pub fn date_of(&self, at: OffsetDateTime) -> String {
        self.date(at.to_offset(JST).date())
    }

    /// A fiscal year, short: `令和8年度`, `FY2026`.
    pub fn fy(&self, fy: FiscalYear) -> String {
        match self.lang {
            Lang::Ja => fy.japanese(),
            Lang::En => format!("FY{}", fy.start().year()),
        }
    }

    /// A fiscal year as a printed document names it: `令和8年度（2026年度）`, `FY2026`.
    pub fn fy_printed(&self, fy: FiscalYear) -> String {
        match self.lang {
            Lang::Ja => format!("{}（{}年度）", fy.japanese(), fy.start().year()),
            Lang::En => self.fy(fy),
        }
    }

    /// A fiscal year as a page's heading names it: `2026年度 (令和8年度)`, `FY2026`.
    pub fn fy_label(&self, fy: FiscalYear) -> String {
        match self.lang {
            Lang::Ja => fy.to_string(),
            Lang::En => self.fy(fy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{EN, JA};
    use super::*;
    use time::Month;

    #[test]
    fn a_day_is_written_in_the_calendar_of_the_language() {
        let d = Date::from_calendar_date(2026, Month::April, 1).expect("date");
        assert_eq!(JA.date(d), "令和8年4月1日");
        assert_eq!(EN.date(d), "1 Apr 2026");
        let d = Date::from_calendar_date(2019, Month::December, 31).expect("date");
        assert_eq!(EN.date(d), "31 Dec 2019");
    }

    #[test]
    fn a_fiscal_year_is_named_in_the_language() {
        let fy = FiscalYear::of(Date::from_calendar_date(2026, Month::May, 1).expect("date"));
        assert_eq!(JA.fy(fy), "令和8年度");
        assert_eq!(JA.fy_label(fy), "2026年度 (令和8年度)");
        assert_eq!(EN.fy(fy), "FY2026");
        assert_eq!(EN.fy_label(fy), "FY2026");
    }
}
