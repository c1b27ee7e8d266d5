//! What the answers reveal: for each question of a test, the share of people who answered it
//! right on their first attempt of the fiscal year, for everyone in view, by division and by
//! designation, and how that changed since last year; the questions missed most. Figures of
//! fewer than [`MIN_PEOPLE`] people are withheld: a share of one or two people tells what a
//! person answered, and these pages show no one's answers.

use std::collections::HashMap;

use uuid::Uuid;

use crate::plan::DesignationKind;
use crate::report::{completion_rate, per_mille};

/// The fewest people a share is shown for.
pub const MIN_PEOPLE: u32 = 3;

/// Whose answers a figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Everyone in view.
    All,
    Division(Uuid),
    /// People holding the designation on the day of their attempt.
    Designation(DesignationKind),
}

/// People who answered a question on their first attempt, and how many of them right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub people: u32,
    pub correct: u32,
}

impl Tally {
    /// The share right in tenths of a percent (0–1000), rounded as every rate of the portal
    /// (`report::per_mille`), or `None` under [`MIN_PEOPLE`].
    pub fn permille(self) -> Option<u32> {
        if self.people < MIN_PEOPLE {
            return None;
        }
        per_mille(self.correct.into(), self.people.into()).and_then(|p| u32::try_from(p).ok())
    }
}

/// A share as pages and files write it (as `report::completion_rate` does): `66.7%`, or `None`
/// when withheld.
pub fn percent(t: Tally) -> Option<String> {
    t.permille()?;
    completion_rate(t.correct.into(), t.people.into())
}

/// The change from last year in points, e.g. `+12.5`, `-3.0`, `±0.0`; `None` when either year is
/// withheld.
pub fn change(now: Tally, before: Tally) -> Option<String> {
    let (n, b) = (now.permille()? as i64, before.permille()? as i64);
    let d = n - b;
    let sign = match d.signum() {
        1 => "+",
        -1 => "-",
        _ => "±",
    };
    Some(format!("{sign}{}.{}", d.abs() / 10, d.abs() % 10))
}

/// Which cells of a breakdown that divides everyone in view (each person in one cell, as
/// divisions do) may be shown: a cell under [`MIN_PEOPLE`] is withheld, and while the withheld
/// cells hold 1 or 2 people in all (which everyone's figure minus the shown cells would give
/// away), the smallest shown cell is withheld too.
pub fn partition_shown(cells: &[Tally]) -> Vec<bool> {
    let mut shown: Vec<bool> = cells.iter().map(|t| t.people >= MIN_PEOPLE).collect();
    loop {
        let hidden: u32 = cells
            .iter()
            .zip(&shown)
            .filter(|(_, s)| !**s)
            .map(|(t, _)| t.people)
            .sum();
        if hidden == 0 || hidden >= MIN_PEOPLE {
            return shown;
        }
        match (0..cells.len())
            .filter(|i| shown[*i])
            .min_by_key(|i| (cells[*i].people, *i))
        {
            Some(i) => shown[i] = false,
            None => return shown,
        }
    }
}

/// Whether a group that overlaps others (a designation) may be shown: it and everyone else in
/// view (`all` minus it) each number none or at least [`MIN_PEOPLE`].
pub fn group_shown(group: Tally, all: Tally) -> bool {
    let rest = all.people.saturating_sub(group.people);
    group.people >= MIN_PEOPLE && (rest == 0 || rest >= MIN_PEOPLE)
}

/// Why a question is worth a look before next year's test (a yearly refresh reviews these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    /// More than 95% right: it teaches nothing any more.
    TooEasy,
    /// Less than 40% right: unclear, or not taught.
    Unclear,
}

/// The review a question's figure calls for, if any (withheld figures call for none).
pub fn review(t: Tally) -> Option<Review> {
    match t.permille()? {
        p if p > 950 => Some(Review::TooEasy),
        p if p < 400 => Some(Review::Unclear),
        _ => None,
    }
}

/// The tallies of one test for one year, by question number and group.
#[derive(Debug, Clone, Default)]
pub struct Tallies(HashMap<(u32, Group), Tally>);

impl Tallies {
    pub fn insert(&mut self, question: u32, group: Group, tally: Tally) {
        self.0.insert((question, group), tally);
    }

    pub fn get(&self, question: u32, group: Group) -> Tally {
        self.0.get(&(question, group)).copied().unwrap_or_default()
    }

    /// The questions most often missed (lowest share for everyone in view, shown figures only),
    /// at most `n`, lowest first; ties by question number.
    pub fn most_missed(&self, questions: &[u32], n: usize) -> Vec<u32> {
        let mut shown: Vec<(u32, u32)> = questions
            .iter()
            .filter_map(|q| Some((self.get(*q, Group::All).permille()?, *q)))
            .collect();
        shown.sort_unstable();
        shown.into_iter().take(n).map(|(_, q)| q).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(people: u32, correct: u32) -> Tally {
        Tally { people, correct }
    }

    #[test]
    fn a_share_is_withheld_under_three_people_and_rounded_half_up() {
        assert_eq!(percent(t(2, 2)), None);
        assert_eq!(percent(t(0, 0)), None);
        assert_eq!(percent(t(3, 2)), Some("66.7%".into()));
        assert_eq!(percent(t(3, 3)), Some("100.0%".into()));
        assert_eq!(percent(t(8, 1)), Some("12.5%".into()));
        assert_eq!(percent(t(6, 1)), Some("16.7%".into()));
        assert_eq!(percent(t(7, 0)), Some("0.0%".into()));
        // Half a tenth rounds up, as the overview's rates do: 1/16 = 6.25% → 6.3%.
        assert_eq!(percent(t(16, 1)), Some("6.3%".into()));
    }

    #[test]
    fn a_small_division_is_not_given_away_by_everyone_minus_the_others() {
        // 5 people: 3 and 2. The 2 are withheld, so the 3 are too (5 − 3 would tell the 2).
        assert_eq!(partition_shown(&[t(3, 1), t(2, 2)]), [false, false]);
        // 3 + 3 + 1: the smallest shown cell joins the 1 (4 withheld in all).
        assert_eq!(
            partition_shown(&[t(3, 1), t(4, 2), t(1, 1)]),
            [false, true, false]
        );
        assert_eq!(partition_shown(&[t(3, 1), t(4, 2)]), [true, true]);
        assert_eq!(
            partition_shown(&[t(0, 0), t(4, 2)]),
            [false, true],
            "an empty cell hides no one"
        );
        assert_eq!(
            partition_shown(&[t(1, 1), t(1, 0), t(1, 1), t(5, 5)]),
            [false, false, false, true]
        );
        assert_eq!(partition_shown(&[t(2, 1)]), [false]);
        // Exhaustively for three cells of 0–6 people: while anything is shown, the withheld
        // hold 0 or at least 3 people, and nothing under 3 is shown.
        for a in 0..7 {
            for b in 0..7 {
                for c in 0..7 {
                    let cells = [t(a, 0), t(b, 0), t(c, 0)];
                    let shown = partition_shown(&cells);
                    let hidden: u32 = cells
                        .iter()
                        .zip(&shown)
                        .filter(|(_, s)| !**s)
                        .map(|(x, _)| x.people)
                        .sum();
                    // (When no cell is shown, there is nothing to subtract from everyone's figure.)
                    assert!(
                        hidden == 0 || hidden >= MIN_PEOPLE || !shown.contains(&true),
                        "{a} {b} {c}: {shown:?}"
                    );
                    for (x, s) in cells.iter().zip(&shown) {
                        assert!(!s || x.people >= MIN_PEOPLE, "{a} {b} {c}: {shown:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_designation_is_shown_only_when_it_and_the_rest_are_not_few() {
        assert!(group_shown(t(5, 1), t(5, 1)), "everyone holds it");
        assert!(group_shown(t(3, 1), t(6, 1)));
        assert!(
            !group_shown(t(4, 1), t(5, 1)),
            "5 − 4 would tell one person"
        );
        assert!(!group_shown(t(2, 1), t(9, 1)));
    }

    #[test]
    fn questions_right_for_over_95_or_under_40_percent_are_flagged_for_review() {
        assert_eq!(review(t(20, 20)), Some(Review::TooEasy));
        assert_eq!(review(t(20, 19)), None, "95.0% is not over 95");
        assert_eq!(review(t(1000, 951)), Some(Review::TooEasy));
        assert_eq!(review(t(10, 4)), None, "40.0% is not under 40");
        assert_eq!(review(t(1000, 399)), Some(Review::Unclear));
        assert_eq!(review(t(3, 0)), Some(Review::Unclear));
        assert_eq!(review(t(2, 0)), None, "withheld");
    }

    #[test]
    fn the_change_is_in_points_with_its_sign() {
        assert_eq!(change(t(4, 3), t(4, 2)), Some("+25.0".into()));
        assert_eq!(change(t(4, 2), t(3, 2)), Some("-16.7".into()));
        assert_eq!(change(t(4, 2), t(6, 3)), Some("±0.0".into()));
        assert_eq!(change(t(4, 2), t(2, 1)), None, "last year too few");
        assert_eq!(change(t(1, 1), t(6, 3)), None, "this year too few");
    }

    #[test]
    fn the_most_missed_are_the_lowest_shown_shares() {
        let mut all = Tallies::default();
        all.insert(1, Group::All, t(10, 9));
        all.insert(2, Group::All, t(10, 3));
        all.insert(3, Group::All, t(2, 0));
        all.insert(4, Group::All, t(10, 3));
        all.insert(5, Group::All, t(10, 5));
        assert_eq!(all.most_missed(&[1, 2, 3, 4, 5], 3), [2, 4, 5]);
        assert_eq!(all.most_missed(&[1, 2, 3, 4, 5, 6], 10), [2, 4, 5, 1]);
        assert_eq!(all.get(9, Group::All), Tally::default());
    }
}
