//! Who must take which course, and the status of each assignment.

use crate::people::Role;

/// Until training plans exist, every active person takes the clerk course, the cybersecurity
/// course and the final test; protection officers also take the protection-officer course.
pub fn interim_courses(role: Role) -> Vec<&'static str> {
    let mut courses = vec!["clerk", "cybersecurity", "final-test"];
    if role == Role::ProtectionOfficer {
        courses.insert(1, "protection-officer");
    }
    courses
}

/// Status of one person's assignment for a fiscal year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    NotStarted,
    InProgress,
    Completed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
        }
    }
}

/// A course is complete when every section has been read and, where it has a test, a passing
/// attempt exists.
pub fn course_complete(
    sections_total: usize,
    sections_read: usize,
    has_test: bool,
    test_passed: bool,
) -> bool {
    sections_read >= sections_total && (!has_test || test_passed)
}

pub fn status(completed: bool, any_activity: bool) -> Status {
    match (completed, any_activity) {
        (true, _) => Status::Completed,
        (false, true) => Status::InProgress,
        (false, false) => Status::NotStarted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protection_officers_also_take_their_own_course() {
        assert_eq!(
            interim_courses(Role::Staff),
            ["clerk", "cybersecurity", "final-test"]
        );
        assert_eq!(
            interim_courses(Role::ProtectionOfficer),
            ["clerk", "protection-officer", "cybersecurity", "final-test"]
        );
    }

    #[test]
    fn a_course_needs_every_section_and_a_pass() {
        assert!(course_complete(3, 3, true, true));
        assert!(!course_complete(3, 2, true, true));
        assert!(!course_complete(3, 3, true, false));
        assert!(course_complete(2, 2, false, false));
        assert!(
            course_complete(0, 0, true, true),
            "a test-only course completes on a pass"
        );
    }

    #[test]
    fn status_follows_activity() {
        assert_eq!(status(false, false), Status::NotStarted);
        assert_eq!(status(false, true), Status::InProgress);
        assert_eq!(status(true, true), Status::Completed);
    }
}
