//! ○× marks and a test's score (grading is [`crate::bank`]'s).

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

#[cfg(test)]
mod tests {
    use super::*;
    use Mark::*;

    #[test]
    fn marks_parse_from_form_values() {
        assert_eq!(Mark::parse_form("o"), Some(Maru));
        assert_eq!(Mark::parse_form("×"), Some(Batsu));
        assert_eq!(Mark::parse_form("maybe"), None);
    }
}
