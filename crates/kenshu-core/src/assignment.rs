//! The status of one person's assignment.

use time::Date;

/// Status of an assignment for a fiscal year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    NotStarted,
    InProgress,
    Completed,
    /// Completed by attending an in-person session (集合研修).
    CompletedInPerson,
    /// Past the deadline and not completed.
    Overdue,
    /// Need not take it this year (reason and who decided are recorded).
    Exempt,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::CompletedInPerson => "completed_in_person",
            Status::Overdue => "overdue",
            Status::Exempt => "exempt",
        }
    }

    pub fn is_done(self) -> bool {
        matches!(
            self,
            Status::Completed | Status::CompletedInPerson | Status::Exempt
        )
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

/// How a course was completed (`completions.method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionMethod {
    /// Read and passed online.
    ELearning,
    /// Attended an in-person session (集合研修).
    InPerson,
}

impl CompletionMethod {
    /// The identifier stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CompletionMethod::ELearning => "e_learning",
            CompletionMethod::InPerson => "in_person",
        }
    }

    /// The method of a stored identifier (the database allows only these two).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "e_learning" => Some(CompletionMethod::ELearning),
            "in_person" => Some(CompletionMethod::InPerson),
            _ => None,
        }
    }
}

/// The facts of one assignment that decide its status.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// How it was completed, if it was.
    pub completed: Option<CompletionMethod>,
    pub exempt: bool,
    pub any_activity: bool,
    pub deadline: Option<Date>,
}

/// A completion wins over everything; then an exemption; then the deadline.
pub fn status(p: Progress, today: Date) -> Status {
    match p.completed {
        Some(CompletionMethod::InPerson) => Status::CompletedInPerson,
        Some(_) => Status::Completed,
        None if p.exempt => Status::Exempt,
        None if p.deadline.is_some_and(|d| today > d) => Status::Overdue,
        None if p.any_activity => Status::InProgress,
        None => Status::NotStarted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

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
    fn status_follows_completion_exemption_deadline_and_activity() {
        let today = date!(2025 - 12 - 01);
        let p = |completed, exempt, any_activity, deadline| Progress {
            completed,
            exempt,
            any_activity,
            deadline,
        };
        let due = Some(date!(2025 - 12 - 31));
        let past = Some(date!(2025 - 11 - 30));
        assert_eq!(
            status(p(None, false, false, due), today),
            Status::NotStarted
        );
        assert_eq!(status(p(None, false, true, due), today), Status::InProgress);
        assert_eq!(status(p(None, false, true, past), today), Status::Overdue);
        assert_eq!(status(p(None, true, false, past), today), Status::Exempt);
        assert_eq!(
            status(
                p(Some(CompletionMethod::ELearning), false, true, past),
                today
            ),
            Status::Completed
        );
        assert_eq!(
            status(
                p(Some(CompletionMethod::InPerson), false, false, due),
                today
            ),
            Status::CompletedInPerson
        );
        assert_eq!(
            status(p(None, false, false, Some(today)), today),
            Status::NotStarted,
            "due today is not overdue"
        );
    }
}
