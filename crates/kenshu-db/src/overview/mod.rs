//! The chief officer's overview of an institution: per division, how many people must take
//! which training and where they stand.
//!
//! Counting 100,000 people's assignments takes PostgreSQL about 600 ms, three times the page's
//! budget, so the counts are kept (migration 0022): each person's assignments as of a day, and
//! their counts by division, deadline, outcome and month. Triggers on every table the rule
//! reads mark the people a write touches; [`refresh`] recounts just those (and the people whose
//! dated facts took effect since the day the counts hold) before each read. Overdue is read
//! from the counts by deadline, so nothing has to change at midnight.
//!
//! The recount implements the assignment rule of `kenshu_core::plan::assignments` and the
//! status of `kenshu_core::assignment::status` (without the not-started/in-progress split,
//! which the overview does not show) set-based. `tests/overview.rs` checks person by person,
//! on generated data and after changes through every trigger, that the two agree.
//!
//! `read` reads the kept counts; `refresh` brings them up to date, with the statements of the
//! recount itself in `recount`.

mod read;
mod recount;
mod refresh;

pub use read::{by_person, overview, protection_officers};
pub use refresh::{Refreshed, not_current, refresh};

use uuid::Uuid;

/// Counts of assignments by status, for a person, a division or the institution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// People with at least one assignment.
    pub people: i64,
    pub assignments: i64,
    /// Completed by e-learning.
    pub completed: i64,
    pub in_person: i64,
    pub exempt: i64,
    pub overdue: i64,
}

impl Tally {
    /// Neither done nor overdue: not started or in progress, within the deadline.
    pub fn pending(&self) -> i64 {
        self.assignments - self.completed - self.in_person - self.exempt - self.overdue
    }

    /// The figures as the report's summary counts them (completed includes in person).
    pub fn totals(&self, code: &str, name: &str) -> kenshu_core::report::DivisionTotals {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        kenshu_core::report::DivisionTotals {
            code: code.into(),
            name: name.into(),
            people: n(self.people),
            targets: n(self.assignments),
            completed: n(self.completed + self.in_person),
            in_person: n(self.in_person),
            overdue: n(self.overdue),
            exempt: n(self.exempt),
        }
    }

    pub fn add(&mut self, other: &Tally) {
        self.people += other.people;
        self.assignments += other.assignments;
        self.completed += other.completed;
        self.in_person += other.in_person;
        self.exempt += other.exempt;
        self.overdue += other.overdue;
    }
}

/// The overview of a fiscal year: tallies by division (divisions with nobody assigned are
/// absent) and completions of assigned courses by month of the fiscal year (0 = April).
#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub divisions: Vec<(Uuid, Tally)>,
    pub by_month: [i64; 12],
}
