//! A success message on the page an action returns to. An action answers with a redirect
//! (post/redirect/get) that names what was done ([`Done`]); the session layer keeps it in a
//! short-lived cookie, the next page says it at the top of the page (`role="status"`, so screen
//! readers announce it) and the layer clears it.
//!
//! A cookie rather than a column of `sessions`: the message lives for one redirect, and a
//! database write per action plus a read that the session cache could not serve would cost
//! more than the message is worth. The cookie holds a key from the fixed list below, never
//! text, so nothing another site sets can put words on a page.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_core::i18n::Catalogue;

use crate::AppState;
use crate::session::{read_cookie, set_cookie};

const COOKIE: &str = "kenshu_flash";
/// Long enough for the redirect to be followed, on a slow phone too.
const KEEP_SECS: i64 = 120;

/// What an action did, as the page it returns to says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    FollowUpRecorded,
    Reminded,
    RetakeGranted,
    Exempted,
    DesignationAdded,
    DesignationEnded,
    OfficerAssigned,
    PlanSaved,
    PlanApproved,
    SessionScheduled,
    SessionCancelled,
    Nominated,
    AttendanceRecorded,
    AttendanceWithdrawn,
    SignedUp,
    Withdrawn,
    CoursePublished,
    DraftDiscarded,
    DraftSaved,
    SignInMethodsSaved,
    RulePublished,
    RuleAcknowledged,
    DrillPrepared,
    DrillLaunched,
    DrillCancelled,
    DrillReported,
    SuspiciousMailNoted,
    DeputyNamed,
    DeputyEnded,
    DeputyRemoved,
}

const ALL: [(Done, &str); 30] = [
    (Done::FollowUpRecorded, "follow-up"),
    (Done::Reminded, "reminded"),
    (Done::RetakeGranted, "retake"),
    (Done::Exempted, "exempted"),
    (Done::DesignationAdded, "designated"),
    (Done::DesignationEnded, "designation-ended"),
    (Done::OfficerAssigned, "officer-assigned"),
    (Done::PlanSaved, "plan-saved"),
    (Done::PlanApproved, "plan-approved"),
    (Done::SessionScheduled, "session-scheduled"),
    (Done::SessionCancelled, "session-cancelled"),
    (Done::Nominated, "nominated"),
    (Done::AttendanceRecorded, "attendance"),
    (Done::AttendanceWithdrawn, "attendance-withdrawn"),
    (Done::SignedUp, "signed-up"),
    (Done::Withdrawn, "withdrawn"),
    (Done::CoursePublished, "course-published"),
    (Done::DraftDiscarded, "draft-discarded"),
    (Done::DraftSaved, "draft-saved"),
    (Done::SignInMethodsSaved, "sign-in-methods"),
    (Done::RulePublished, "rule-published"),
    (Done::RuleAcknowledged, "rule-acknowledged"),
    (Done::DrillPrepared, "drill-prepared"),
    (Done::DrillLaunched, "drill-launched"),
    (Done::DrillCancelled, "drill-cancelled"),
    (Done::DrillReported, "drill-reported"),
    (Done::SuspiciousMailNoted, "mail-reported"),
    (Done::DeputyNamed, "deputy-named"),
    (Done::DeputyEnded, "deputy-ended"),
    (Done::DeputyRemoved, "deputy-removed"),
];

impl Done {
    fn key(self) -> &'static str {
        ALL.iter().find(|(d, _)| *d == self).map_or("", |(_, k)| k)
    }

    fn parse(key: &str) -> Option<Done> {
        ALL.iter().find(|(_, k)| *k == key).map(|(d, _)| *d)
    }

    /// The sentence the page shows.
    pub fn message(self, t: &Catalogue) -> &'static str {
        match self {
            Done::FollowUpRecorded => t.flash_follow_up,
            Done::Reminded => t.flash_reminded,
            Done::RetakeGranted => t.flash_retake,
            Done::Exempted => t.flash_exempted,
            Done::DesignationAdded => t.flash_designation_added,
            Done::DesignationEnded => t.flash_designation_ended,
            Done::OfficerAssigned => t.flash_officer_assigned,
            Done::PlanSaved => t.flash_plan_saved,
            Done::PlanApproved => t.flash_plan_approved,
            Done::SessionScheduled => t.flash_session_scheduled,
            Done::SessionCancelled => t.flash_session_cancelled,
            Done::Nominated => t.flash_nominated,
            Done::AttendanceRecorded => t.flash_attendance,
            Done::AttendanceWithdrawn => t.flash_attendance_withdrawn,
            Done::SignedUp => t.flash_signed_up,
            Done::Withdrawn => t.flash_withdrawn,
            Done::CoursePublished => t.flash_course_published,
            Done::DraftDiscarded => t.flash_draft_discarded,
            Done::DraftSaved => t.flash_draft_saved,
            Done::SignInMethodsSaved => t.flash_sign_in_methods_saved,
            Done::RulePublished => t.rules_published,
            Done::RuleAcknowledged => t.rules_ack_done,
            Done::DrillPrepared => t.drill_flash_prepared,
            Done::DrillLaunched => t.drill_flash_launched,
            Done::DrillCancelled => t.drill_flash_cancelled,
            Done::DrillReported => t.drill_flash_reported,
            Done::SuspiciousMailNoted => t.drill_flash_noted,
            Done::DeputyNamed => t.flash_deputy_named,
            Done::DeputyEnded => t.flash_deputy_ended,
            Done::DeputyRemoved => t.flash_deputy_removed,
        }
    }
}

/// The message a request brings (from the action before it), as the session layer read it.
#[derive(Debug, Clone, Copy)]
pub struct Incoming(pub Option<Done>);

/// The message an action's response asks to show next.
#[derive(Debug, Clone, Copy)]
struct Outgoing(Done);

/// Redirects to `to` (303) and shows `done` there.
pub fn redirect(to: &str, done: Done) -> Response {
    let mut res = Redirect::to(to).into_response();
    res.extensions_mut().insert(Outgoing(done));
    res
}

/// The message the request brings, if any (a cheap look before the cookie is parsed).
pub fn incoming(state: &AppState, headers: &HeaderMap) -> Incoming {
    let has = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(COOKIE));
    Incoming(
        has.then(|| read_cookie(state, headers, COOKIE).and_then(Done::parse))
            .flatten(),
    )
}

/// Keeps the message an action asked for, and clears the one the request brought once a page
/// has shown it.
pub fn settle(res: &mut Response, came: Incoming, secure: bool) {
    let cookie = if let Some(Outgoing(done)) = res.extensions().get::<Outgoing>().copied() {
        set_cookie(COOKIE, done.key(), KEEP_SECS, secure, "Lax")
    } else if came.0.is_some() && res.status().is_success() {
        set_cookie(COOKIE, "", 0, secure, "Lax")
    } else {
        return;
    };
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_a_key_that_reads_back_and_words_in_both_languages() {
        for (done, key) in ALL {
            assert_eq!(done.key(), key);
            assert_eq!(Done::parse(key), Some(done));
            for t in [&kenshu_core::i18n::JA, &kenshu_core::i18n::EN] {
                assert!(!done.message(t).is_empty(), "{key}");
            }
        }
        assert_eq!(Done::parse("<script>"), None);
    }
}
