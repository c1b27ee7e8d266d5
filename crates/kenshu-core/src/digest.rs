//! Digests (督促の取りまとめ): once a week each protection officer is mailed the list of their
//! overdue people, and the chief officer those overdue for longer than the plan's threshold,
//! by division. This module holds the plan's rules, when a digest is due, and what it says;
//! who receives which list is decided in kenshu-app from the database's facts.

use time::{Date, Duration, OffsetDateTime, Weekday};

use crate::fiscal_year::JST;
use crate::holiday::{OFFICE_CLOSES, in_office_hours, is_day_off, working_day_from};
use crate::i18n::Catalogue;

/// The plan's digest settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub enabled: bool,
    /// The day of the week digests are due (moved to the next working day when it is off).
    pub weekday: Weekday,
    /// Days past the deadline after which the chief officer's digest lists a person.
    pub chief_after_days: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            enabled: true,
            weekday: Weekday::Monday,
            chief_after_days: 30,
        }
    }
}

pub const MAX_CHIEF_AFTER_DAYS: i64 = 365;

impl Rules {
    /// The weekday as stored: 1 (Monday) to 5 (Friday). Weekends are refused because a digest
    /// due then would always move.
    pub fn weekday_number(&self) -> i32 {
        i32::from(self.weekday.number_from_monday())
    }

    pub fn weekday_from_number(n: i32) -> Option<Weekday> {
        use Weekday::*;
        [Monday, Tuesday, Wednesday, Thursday, Friday]
            .into_iter()
            .find(|w| i32::from(w.number_from_monday()) == n)
    }

    pub fn parse_chief_after_days(text: &str) -> Option<i64> {
        text.trim()
            .parse()
            .ok()
            .filter(|d| (1..=MAX_CHIEF_AFTER_DAYS).contains(d))
    }

    /// The week a digest sent on `today` belongs to, named by its nominal day (the latest
    /// digest weekday on or before `today`). The database keeps one digest per officer per
    /// nominal day, so a digest moved by a holiday still goes out once.
    pub fn week_of(&self, today: Date) -> Date {
        let back = (7 + today.weekday().number_days_from_monday()
            - self.weekday.number_days_from_monday())
            % 7;
        today - Duration::days(i64::from(back))
    }

    /// The week whose digests are due at `now`, if any: only within office hours of a working
    /// day. The digest due on a day off is thereby sent on the next working day; a working day
    /// the portal missed is caught up on the next run within the same week.
    pub fn due(&self, now: OffsetDateTime) -> Option<Date> {
        (self.enabled && in_office_hours(now)).then(|| self.week_of(now.to_offset(JST).date()))
    }

    /// The day the next digests go out, given whether this week's went out already.
    pub fn next_day(&self, now: OffsetDateTime, this_week_sent: bool) -> Date {
        let local = now.to_offset(JST);
        let today = local.date();
        let week = self.week_of(today);
        if !this_week_sent {
            let from = if is_day_off(today) || local.time() < OFFICE_CLOSES {
                today
            } else {
                today + Duration::days(1)
            };
            let day = working_day_from(from);
            if day < week + Duration::days(7) {
                return day;
            }
        }
        working_day_from(week + Duration::days(7))
    }
}

/// Why someone is not in a digest, or a digest not sent as it would be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    Exempt,
    /// 休職中.
    OnLeave,
    /// Completed after the deadline: no longer overdue.
    Completed,
    /// The recipient has no mail address: the digest is recorded, but no mail goes.
    NoMail,
    /// The officer is absent: their deputy receives the digest.
    Deputy,
    /// Nobody is protection officer of the person's division.
    NoOfficer,
    /// The officer is on leave (休職中) and no deputy covers them: the chief officer receives
    /// their digest instead.
    AbsentToChief,
    /// The officer is on leave and no deputy covers them, and no chief officer can take the
    /// digest (a chief's own, or every chief is away too): it is not sent.
    AbsentUnsent,
}

impl SkipReason {
    /// A stable name, for the page's markup and the tests.
    pub fn key(self) -> &'static str {
        match self {
            SkipReason::Exempt => "exempt",
            SkipReason::OnLeave => "on-leave",
            SkipReason::Completed => "completed",
            SkipReason::NoMail => "no-mail",
            SkipReason::Deputy => "deputy",
            SkipReason::NoOfficer => "no-officer",
            SkipReason::AbsentToChief => "absent-to-chief",
            SkipReason::AbsentUnsent => "absent-unsent",
        }
    }
}

/// Whole days a course is past its deadline on `today` (0 on the deadline itself).
pub fn days_overdue(deadline: Date, today: Date) -> i64 {
    (today - deadline).whole_days().max(0)
}

/// One line of a digest: never a My Number, only what lets the officer act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub person: String,
    pub division: String,
    pub course: String,
    pub deadline: Date,
    pub days_overdue: i64,
}

/// Whom a digest is for when its recipient receives it in the officer's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandIn<'a> {
    /// The recipient is the absent officer's deputy.
    Deputy(&'a str),
    /// The officer is on leave with no deputy: the chief officer receives it.
    Chief(&'a str),
}

/// The subject and body of a digest, in `t`'s language. `chief`: the chief officer's digest
/// (grouped by division); otherwise a protection officer's. `for_officer`: the absent
/// officer whose digest the recipient receives, and why.
pub fn compose(
    t: &Catalogue,
    recipient: &str,
    institution: &str,
    chief: bool,
    for_officer: Option<StandIn<'_>>,
    lines: &[Line],
    portal_url: &str,
) -> (String, String) {
    let subject = if chief {
        t.digest_subject_chief
    } else {
        t.digest_subject_officer
    }
    .to_string();
    let mut body = t
        .digest_greeting
        .replace("{institution}", institution)
        .replace("{name}", recipient);
    match for_officer {
        Some(StandIn::Deputy(officer)) => {
            body.push_str(&t.digest_deputy_note.replace("{officer}", officer));
        }
        Some(StandIn::Chief(officer)) => {
            body.push_str(&t.digest_chief_cover_note.replace("{officer}", officer));
        }
        None => {}
    }
    body.push_str(if chief {
        t.digest_intro_chief
    } else {
        t.digest_intro_officer
    });
    let mut division = "";
    for l in lines {
        if chief && l.division != division {
            division = &l.division;
            body.push_str(&t.digest_division_heading.replace("{division}", division));
        }
        body.push_str(
            &t.digest_line
                .replace("{person}", &l.person)
                .replace("{division}", &l.division)
                .replace("{course}", &l.course)
                .replace("{date}", &t.date(l.deadline))
                .replace("{days}", &l.days_overdue.to_string()),
        );
    }
    body.push_str(
        &t.digest_footer
            .replace("{url}", portal_url.trim_end_matches('/')),
    );
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_digest_due_on_a_day_off_goes_out_on_the_next_working_day() {
        let monday = Rules::default();
        assert_eq!(monday.week_of(date!(2026 - 12 - 14)), date!(2026 - 12 - 14));
        assert_eq!(monday.week_of(date!(2026 - 12 - 20)), date!(2026 - 12 - 14));
        assert_eq!(
            monday.due(datetime!(2026-12-14 09:00 +9)),
            Some(date!(2026 - 12 - 14))
        );
        assert_eq!(monday.due(datetime!(2026-12-14 07:00 +9)), None);
        assert_eq!(monday.due(datetime!(2026-12-19 10:00 +9)), None, "Saturday");
        assert_eq!(monday.due(datetime!(2027-01-11 10:00 +9)), None, "成人の日");
        assert_eq!(
            monday.due(datetime!(2027-01-12 10:00 +9)),
            Some(date!(2027 - 01 - 11)),
            "the next working day, for the holiday's week"
        );
        let off = Rules {
            enabled: false,
            ..Rules::default()
        };
        assert_eq!(off.due(datetime!(2026-12-14 09:00 +9)), None);
    }

    #[test]
    fn the_next_digest_day_skips_days_off_and_weeks_already_sent() {
        let tuesday = Rules {
            weekday: Weekday::Tuesday,
            ..Rules::default()
        };
        assert_eq!(
            tuesday.next_day(datetime!(2026-12-24 10:00 +9), true),
            date!(2027 - 01 - 04),
            "29 December is in the year-end break"
        );
        assert_eq!(
            tuesday.next_day(datetime!(2026-12-22 08:00 +9), false),
            date!(2026 - 12 - 22)
        );
        assert_eq!(
            tuesday.next_day(datetime!(2026-12-22 18:00 +9), false),
            date!(2026 - 12 - 23),
            "after hours: caught up the next working day"
        );
        assert_eq!(
            tuesday.next_day(datetime!(2026-12-22 18:00 +9), true),
            date!(2027 - 01 - 04)
        );
    }

    #[test]
    fn the_plan_s_digest_settings_are_checked() {
        assert_eq!(Rules::weekday_from_number(1), Some(Weekday::Monday));
        assert_eq!(Rules::weekday_from_number(5), Some(Weekday::Friday));
        assert_eq!(Rules::weekday_from_number(6), None);
        assert_eq!(Rules::parse_chief_after_days(" 30 "), Some(30));
        assert_eq!(Rules::parse_chief_after_days("0"), None);
        assert_eq!(Rules::parse_chief_after_days("366"), None);
        assert_eq!(
            days_overdue(date!(2026 - 11 - 20), date!(2026 - 12 - 20)),
            30
        );
        assert_eq!(
            days_overdue(date!(2026 - 11 - 20), date!(2026 - 11 - 19)),
            0
        );
    }

    #[test]
    fn the_chief_s_digest_groups_people_by_division() {
        let line = |p: &str, d: &str| Line {
            person: p.into(),
            division: d.into(),
            course: "事務取扱担当者研修".into(),
            deadline: date!(2026 - 11 - 20),
            days_overdue: 31,
        };
        let (subject, body) = compose(
            &crate::i18n::JA,
            "総括 花子",
            "デモ市",
            true,
            None,
            &[line("山田 太郎", "総務課"), line("鈴木 一郎", "税務課")],
            "https://kenshu.example.jp",
        );
        assert!(subject.contains("総括"), "{subject}");
        assert!(body.contains("【総務課】\n・山田 太郎"), "{body}");
        assert!(body.contains("【税務課】\n・鈴木 一郎"), "{body}");
        assert!(body.contains("31日"), "{body}");
        let (_, en) = compose(
            &crate::i18n::EN,
            "Taro",
            "Demo City",
            false,
            Some(StandIn::Deputy("Officer A")),
            &[line("Yamada", "General Affairs")],
            "https://kenshu.example.jp",
        );
        assert!(en.contains("Officer A"), "{en}");
        assert!(en.contains("31 days"), "{en}");
    }
}
