//! Rules of in-person sessions (集合研修) that need no I/O: when attendance may be recorded,
//! and how a correction of attendance reads in the attendance list.
//!
//! Attendance is a fact about the session happening, so it is taken only while it happens:
//! the QR check-in from [`CHECKIN_OPENS_BEFORE`] before the start (people arrive early and the
//! officer puts the code up as they come in) to [`CHECKIN_CLOSES_AFTER`] after the end (a
//! session that overruns, a person who scans on the way out); the officer's checklist from the
//! start on, with no end, since officers record after the fact.

use time::{Date, Duration, OffsetDateTime};

/// How long before a session's start the QR check-in opens.
pub const CHECKIN_OPENS_BEFORE: Duration = Duration::minutes(30);
/// How long after a session's end the QR check-in stays open.
pub const CHECKIN_CLOSES_AFTER: Duration = Duration::minutes(60);

/// Where a moment falls relative to a session's check-in window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Too early: check-in opens at this moment.
    NotYet(OffsetDateTime),
    Open,
    /// Too late: check-in closed at this moment.
    Closed(OffsetDateTime),
}

/// The check-in window of a session from `starts` to `ends`, as seen at `now`. Both ends are
/// inclusive: at exactly 30 minutes before the start a check-in is accepted.
pub fn checkin_window(starts: OffsetDateTime, ends: OffsetDateTime, now: OffsetDateTime) -> Window {
    let opens = starts - CHECKIN_OPENS_BEFORE;
    let closes = ends + CHECKIN_CLOSES_AFTER;
    if now < opens {
        Window::NotYet(opens)
    } else if now > closes {
        Window::Closed(closes)
    } else {
        Window::Open
    }
}

/// Whether the officer's checklist may record attendance at `now`: not before the start.
pub fn checklist_open(starts: OffsetDateTime, now: OffsetDateTime) -> bool {
    now >= starts
}

/// Longest reason of a correction, in characters.
pub const REASON_MAX_CHARS: usize = 500;

/// Why a correction's reason is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonError {
    Empty,
    TooLong,
    MyNumber,
}

/// A correction's reason, trimmed: required, at most [`REASON_MAX_CHARS`], never a My Number.
pub fn parse_reason(text: &str) -> Result<&str, ReasonError> {
    let reason = text.trim();
    if reason.is_empty() {
        Err(ReasonError::Empty)
    } else if reason.chars().count() > REASON_MAX_CHARS {
        Err(ReasonError::TooLong)
    } else if crate::my_number::contains_my_number(reason) {
        Err(ReasonError::MyNumber)
    } else {
        Ok(reason)
    }
}

/// A withdrawn attendance as the attendance list's remark (備考) shows it: the session's day
/// and the reason, e.g. `出席取消 2026-12-10 理由: 開催前のQR読取り`.
pub fn withdrawal_note(
    t: &crate::i18n::Catalogue,
    session_day: Date,
    reason: &str,
    date: &dyn Fn(Date) -> String,
) -> String {
    t.attendance_withdrawn
        .replace("{date}", &date(session_day))
        .replace("{reason}", &one_line(reason))
}

/// Line breaks of a free text as spaces, so that a remark stays one line in every format.
fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .filter(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const STARTS: OffsetDateTime = datetime!(2026-12-10 10:00 +9);
    const ENDS: OffsetDateTime = datetime!(2026-12-10 12:00 +9);

    #[test]
    fn check_in_opens_thirty_minutes_before_the_start_and_closes_an_hour_after_the_end() {
        let at = |t| checkin_window(STARTS, ENDS, t);
        let opens = datetime!(2026-12-10 09:30 +9);
        let closes = datetime!(2026-12-10 13:00 +9);
        assert_eq!(at(datetime!(2026-11-30 10:00 +9)), Window::NotYet(opens));
        assert_eq!(at(datetime!(2026-12-10 09:29:59 +9)), Window::NotYet(opens));
        assert_eq!(at(opens), Window::Open);
        assert_eq!(at(datetime!(2026-12-10 11:00 +9)), Window::Open);
        assert_eq!(at(closes), Window::Open);
        assert_eq!(
            at(datetime!(2026-12-10 13:00:01 +9)),
            Window::Closed(closes)
        );
        assert_eq!(at(datetime!(2026-12-11 10:00 +9)), Window::Closed(closes));
    }

    #[test]
    fn the_window_is_the_same_moment_whatever_the_offset_it_is_read_in() {
        // 00:30 UTC is 09:30 in Tokyo: the window opens then.
        let utc = datetime!(2026-12-10 00:30 UTC);
        assert_eq!(checkin_window(STARTS, ENDS, utc), Window::Open);
        assert!(matches!(
            checkin_window(STARTS, ENDS, utc - Duration::seconds(1)),
            Window::NotYet(_)
        ));
    }

    #[test]
    fn the_checklist_opens_at_the_start_and_stays_open() {
        assert!(!checklist_open(STARTS, datetime!(2026-12-10 09:59 +9)));
        assert!(checklist_open(STARTS, STARTS));
        assert!(checklist_open(STARTS, datetime!(2027-01-10 09:00 +9)));
    }

    #[test]
    fn a_reason_is_required_bounded_and_never_a_my_number() {
        assert_eq!(parse_reason("  開催前の読取り \n"), Ok("開催前の読取り"));
        assert_eq!(parse_reason(" \n "), Err(ReasonError::Empty));
        assert_eq!(parse_reason(&"あ".repeat(500)).map(str::len), Ok(1500));
        assert_eq!(parse_reason(&"あ".repeat(501)), Err(ReasonError::TooLong));
        // 1234 5678 9018 has a valid check digit.
        assert_eq!(
            parse_reason("本人の番号 1234 5678 9018 を確認"),
            Err(ReasonError::MyNumber)
        );
    }

    #[test]
    fn a_withdrawal_reads_as_one_line_with_the_session_day() {
        let iso = |d: Date| d.to_string();
        assert_eq!(
            withdrawal_note(
                &crate::i18n::JA,
                STARTS.date(),
                "開催前に\r\nQRを読み取った",
                &iso
            ),
            "出席取消 2026-12-10 理由: 開催前に QRを読み取った"
        );
    }
}
