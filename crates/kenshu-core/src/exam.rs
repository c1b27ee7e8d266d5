//! Grading of ○× tests.

use serde::{Deserialize, Serialize};

/// An answer to a ○× question: ○ is `true` (the statement is right), × is `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mark {
    #[serde(rename = "○")]
    Maru,
    #[serde(rename = "×")]
    Batsu,
}

impl Mark {
    pub fn as_bool(self) -> bool {
        self == Mark::Maru
    }

    pub fn from_bool(b: bool) -> Self {
        if b { Mark::Maru } else { Mark::Batsu }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Maru => "○",
            Mark::Batsu => "×",
        }
    }

    /// Form values are `o` and `x`, so that a form works whatever the page's encoding.
    pub fn parse_form(s: &str) -> Option<Self> {
        match s {
            "o" | "○" | "true" => Some(Mark::Maru),
            "x" | "×" | "false" => Some(Mark::Batsu),
            _ => None,
        }
    }

    pub fn form_value(self) -> &'static str {
        match self {
            Mark::Maru => "o",
            Mark::Batsu => "x",
        }
    }
}

/// The result of a test attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    pub correct: u32,
    pub total: u32,
    pub pass_mark: u32,
}

impl Score {
    pub fn passed(&self) -> bool {
        self.correct >= self.pass_mark
    }
}

/// Grades `answers` (question number, mark) against `key` (question number, correct mark).
/// Unanswered questions count as wrong; answers to unknown questions are ignored.
pub fn grade(key: &[(u32, Mark)], answers: &[(u32, Mark)], pass_mark: u32) -> Score {
    let correct = key
        .iter()
        .filter(|(n, right)| answers.iter().any(|(m, given)| m == n && given == right))
        .count() as u32;
    Score {
        correct,
        total: key.len() as u32,
        pass_mark,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Mark::*;

    fn key() -> Vec<(u32, Mark)> {
        vec![(1, Batsu), (2, Maru), (3, Maru), (4, Batsu)]
    }

    #[test]
    fn all_right_passes() {
        let s = grade(&key(), &key(), 3);
        assert_eq!((s.correct, s.total), (4, 4));
        assert!(s.passed());
    }

    #[test]
    fn pass_mark_is_inclusive() {
        let answers = vec![(1, Batsu), (2, Maru), (3, Maru), (4, Maru)];
        assert!(grade(&key(), &answers, 3).passed());
        assert!(!grade(&key(), &answers, 4).passed());
    }

    #[test]
    fn missing_and_unknown_answers_do_not_score() {
        let answers = vec![(1, Batsu), (9, Maru)];
        let s = grade(&key(), &answers, 1);
        assert_eq!(s.correct, 1);
        assert_eq!(s.total, 4);
    }

    #[test]
    fn eight_of_ten_passes_the_final_test_and_seven_does_not() {
        let key: Vec<_> = (1..=10).map(|n| (n, Maru)).collect();
        let eight: Vec<_> = (1..=10)
            .map(|n| (n, if n <= 8 { Maru } else { Batsu }))
            .collect();
        let seven: Vec<_> = (1..=10)
            .map(|n| (n, if n <= 7 { Maru } else { Batsu }))
            .collect();
        assert!(grade(&key, &eight, 8).passed());
        assert!(!grade(&key, &seven, 8).passed());
    }

    #[test]
    fn marks_parse_from_form_values() {
        assert_eq!(Mark::parse_form("o"), Some(Maru));
        assert_eq!(Mark::parse_form("×"), Some(Batsu));
        assert_eq!(Mark::parse_form("maybe"), None);
    }
}
