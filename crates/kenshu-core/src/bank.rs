//! A question bank: questions of three kinds (○×, one choice of 3–5, several choices of 3–5),
//! each with its explanation and 掲載箇所. A test either shows its questions as they are (the
//! shipped tests' fixed ten) or draws N from a pool for each attempt (per topic if wanted), in
//! random order with shuffled choices. What was shown is recorded with the attempt, and the
//! attempt is graded against what was shown; the pass mark is a share of the questions drawn,
//! so a retake that draws again is graded alike.

use serde::{Deserialize, Serialize};

use crate::exam::Score;
pub use crate::rng::Rng;

/// The kinds of question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// ○ or ×: the choices are "○" and "×", in that order, never shuffled.
    #[default]
    TrueFalse,
    /// One right choice among 3 to 5.
    Single,
    /// One or more right choices among 3 to 5; right only when exactly those are chosen.
    Multiple,
}

/// One choice of a question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub text: String,
    pub correct: bool,
}

/// A question of a bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Stable within the bank (kept when the question is edited or the bank is copied to a new
    /// year), e.g. `q1`; what an attempt records.
    pub key: String,
    /// The topic a draw may ask a number of questions from, e.g. `事例`.
    pub topic: Option<String>,
    pub kind: Kind,
    pub statement: String,
    pub choices: Vec<Choice>,
    /// Markdown shown after the answer.
    pub explanation: String,
    /// 掲載箇所 in words.
    pub reference: String,
    /// The sections that teach it, `<course>/<slug>`.
    pub sections: Vec<String>,
}

/// The fewest and the most choices of a choice question.
pub const CHOICES: std::ops::RangeInclusive<usize> = 3..=5;

/// What is wrong with a question, naming it and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuestionProblem {
    #[error("question {key}: the statement is empty; write the question")]
    NoStatement { key: String },
    #[error("question {key}: a ○× question has exactly the choices ○ and ×, one of them right")]
    TrueFalse { key: String },
    #[error("question {key}: give between 3 and 5 choices (it has {n})")]
    ChoiceCount { key: String, n: usize },
    #[error("question {key}: choice {n} is empty or the same as another; make each one distinct")]
    ChoiceText { key: String, n: usize },
    #[error("question {key}: mark exactly one choice as right (it has {n})")]
    OneRight { key: String, n: usize },
    #[error(
        "question {key}: mark at least one choice as right and leave at least one wrong (it has {n} right of {of})"
    )]
    SomeRight { key: String, n: usize, of: usize },
}

impl QuestionProblem {
    /// The message in Japanese, for the pages.
    pub fn ja(&self) -> String {
        match self {
            QuestionProblem::NoStatement { key } => {
                format!("問{key}: 問題文が空です。問題を書いてください。")
            }
            QuestionProblem::TrueFalse { key } => {
                format!("問{key}: ○×問題の選択肢は ○ と × の二つで、どちらか一方が正解です。")
            }
            QuestionProblem::ChoiceCount { key, n } => {
                format!("問{key}: 選択肢は3〜5個にしてください（いまは{n}個）。")
            }
            QuestionProblem::ChoiceText { key, n } => format!(
                "問{key}: 選択肢{n}が空か、ほかの選択肢と同じです。それぞれ違う文にしてください。"
            ),
            QuestionProblem::OneRight { key, n } => {
                format!("問{key}: 単一選択では正解をちょうど一つ選んでください（いまは{n}個）。")
            }
            QuestionProblem::SomeRight { key, n, of } => format!(
                "問{key}: 複数選択では正解を一つ以上、誤りを一つ以上にしてください（いまは{of}個中{n}個が正解）。"
            ),
        }
    }
}

impl Kind {
    pub fn is_true_false(&self) -> bool {
        *self == Kind::TrueFalse
    }
}

impl Question {
    /// A ○× question whose right answer is `right` (`true` for ○).
    pub fn true_false(key: &str, statement: &str, right: bool) -> Question {
        Question {
            key: key.to_string(),
            topic: None,
            kind: Kind::TrueFalse,
            statement: statement.to_string(),
            choices: vec![
                Choice {
                    text: "○".into(),
                    correct: right,
                },
                Choice {
                    text: "×".into(),
                    correct: !right,
                },
            ],
            explanation: String::new(),
            reference: String::new(),
            sections: Vec::new(),
        }
    }

    /// Whether the question is well formed for its kind.
    pub fn check(&self) -> Result<(), QuestionProblem> {
        let key = || self.key.clone();
        if self.statement.trim().is_empty() {
            return Err(QuestionProblem::NoStatement { key: key() });
        }
        let right = self.choices.iter().filter(|c| c.correct).count();
        let n = self.choices.len();
        match self.kind {
            Kind::TrueFalse => {
                let texts: Vec<&str> = self.choices.iter().map(|c| c.text.as_str()).collect();
                if texts != ["○", "×"] || right != 1 {
                    return Err(QuestionProblem::TrueFalse { key: key() });
                }
                return Ok(());
            }
            Kind::Single | Kind::Multiple if !CHOICES.contains(&n) => {
                return Err(QuestionProblem::ChoiceCount { key: key(), n });
            }
            _ => {}
        }
        for (i, c) in self.choices.iter().enumerate() {
            let text = c.text.trim();
            if text.is_empty() || self.choices[..i].iter().any(|o| o.text.trim() == text) {
                return Err(QuestionProblem::ChoiceText {
                    key: key(),
                    n: i + 1,
                });
            }
        }
        match self.kind {
            Kind::Single if right != 1 => Err(QuestionProblem::OneRight {
                key: key(),
                n: right,
            }),
            Kind::Multiple if right == 0 || right == n => Err(QuestionProblem::SomeRight {
                key: key(),
                n: right,
                of: n,
            }),
            _ => Ok(()),
        }
    }

    /// The indices of the right choices.
    pub fn right(&self) -> Vec<usize> {
        (0..self.choices.len())
            .filter(|i| self.choices[*i].correct)
            .collect()
    }
}

/// How a test picks its questions for an attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "draw", rename_all = "snake_case")]
pub enum Rule {
    /// Every question, in the bank's order, choices as written (the shipped tests).
    #[default]
    Fixed,
    /// `count` questions drawn from the whole bank, or, with `per_topic`, that many from each
    /// topic named (then `count` is their sum); in random order, choices shuffled.
    Pool {
        count: usize,
        #[serde(default)]
        per_topic: Vec<(String, usize)>,
    },
}

/// Why a draw cannot be made, naming the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawProblem {
    #[error(
        "the test draws {asked} questions but the bank has {have}; add questions or draw fewer"
    )]
    TooFew { asked: usize, have: usize },
    #[error(
        "the test draws {asked} questions on {topic} but the bank has {have}; add questions on it or draw fewer"
    )]
    TooFewOn {
        topic: String,
        asked: usize,
        have: usize,
    },
    #[error("the test draws no questions; draw at least one")]
    Nothing,
    #[error("the draws per topic add up to {sum}, not {count}; make them agree")]
    Sum { sum: usize, count: usize },
}

impl DrawProblem {
    /// The message in Japanese, for the pages.
    pub fn ja(&self) -> String {
        match self {
            DrawProblem::TooFew { asked, have } => format!(
                "テストは{asked}問を出題しますが、問題バンクには{have}問しかありません。問題を増やすか、出題数を減らしてください。"
            ),
            DrawProblem::TooFewOn { topic, asked, have } => format!(
                "テストは分野「{topic}」から{asked}問を出題しますが、その分野の問題は{have}問です。問題を増やすか、出題数を減らしてください。"
            ),
            DrawProblem::Nothing => "テストの出題数が0です。1問以上にしてください。".into(),
            DrawProblem::Sum { sum, count } => format!(
                "分野ごとの出題数の合計が{sum}問で、1回の出題数{count}問と合いません。そろえてください。"
            ),
        }
    }
}

impl Rule {
    pub fn is_fixed(&self) -> bool {
        *self == Rule::Fixed
    }

    /// How many questions an attempt shows from a bank of `bank` questions.
    pub fn asks(&self, bank: usize) -> usize {
        match self {
            Rule::Fixed => bank,
            Rule::Pool { count, .. } => *count,
        }
    }

    /// Whether the bank can give this rule's draw.
    pub fn check(&self, bank: &[Question]) -> Result<(), DrawProblem> {
        match self {
            Rule::Fixed if bank.is_empty() => Err(DrawProblem::Nothing),
            Rule::Fixed => Ok(()),
            Rule::Pool { count: 0, .. } => Err(DrawProblem::Nothing),
            Rule::Pool { count, per_topic } if per_topic.is_empty() => {
                if *count > bank.len() {
                    Err(DrawProblem::TooFew {
                        asked: *count,
                        have: bank.len(),
                    })
                } else {
                    Ok(())
                }
            }
            Rule::Pool { count, per_topic } => {
                let sum: usize = per_topic.iter().map(|(_, n)| n).sum();
                if sum != *count {
                    return Err(DrawProblem::Sum { sum, count: *count });
                }
                for (topic, asked) in per_topic {
                    let have = on_topic(bank, topic).count();
                    if *asked > have {
                        return Err(DrawProblem::TooFewOn {
                            topic: topic.clone(),
                            asked: *asked,
                            have,
                        });
                    }
                }
                Ok(())
            }
        }
    }
}

fn on_topic<'a>(bank: &'a [Question], topic: &'a str) -> impl Iterator<Item = usize> + 'a {
    (0..bank.len()).filter(move |i| bank[*i].topic.as_deref() == Some(topic))
}

/// One question as an attempt showed it: which question, and its choices in the order shown
/// (`order[k]` is the index in the question's choices of the choice shown at position `k`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shown {
    pub key: String,
    pub order: Vec<usize>,
}

/// The seed of an attempt's draw: an HMAC-SHA256 of the attempt id under a key the portal keeps
/// (never in the database). The draw can then be made again from the id alone, so the page
/// that shows the questions and the submission that grades them agree without a stored draft;
/// and since the key is secret, a person who picks attempt ids cannot pick their questions.
pub fn attempt_seed(key: &[u8; 32], attempt: uuid::Uuid) -> u64 {
    use hmac::{KeyInit, Mac};
    // HMAC pads a key shorter than the hash's block with zeros; padding it here gives the same
    // MAC through the constructor that cannot fail (as the audit key does).
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let mut mac = <hmac::Hmac<sha2_hmac::Sha256> as KeyInit>::new(&block.into());
    mac.update(b"kenshu-bank-draw");
    mac.update(attempt.as_bytes());
    let out = mac.finalize().into_bytes();
    let mut first = [0u8; 8];
    first.copy_from_slice(&out[..8]);
    u64::from_le_bytes(first)
}

/// The questions an attempt shows, by `rule`, from a bank that passed [`Rule::check`].
pub fn draw(bank: &[Question], rule: &Rule, rng: &mut Rng) -> Result<Vec<Shown>, DrawProblem> {
    rule.check(bank)?;
    let as_written = |i: usize| Shown {
        key: bank[i].key.clone(),
        order: (0..bank[i].choices.len()).collect(),
    };
    let picked: Vec<usize> = match rule {
        Rule::Fixed => return Ok((0..bank.len()).map(as_written).collect()),
        Rule::Pool { count, per_topic } if per_topic.is_empty() => {
            let mut all: Vec<usize> = (0..bank.len()).collect();
            rng.shuffle(&mut all);
            all.truncate(*count);
            all
        }
        Rule::Pool { per_topic, .. } => {
            let mut picked = Vec::new();
            for (topic, n) in per_topic {
                let mut these: Vec<usize> = on_topic(bank, topic).collect();
                rng.shuffle(&mut these);
                picked.extend(these.into_iter().take(*n));
            }
            rng.shuffle(&mut picked);
            picked
        }
    };
    Ok(picked
        .into_iter()
        .map(|i| {
            let mut shown = as_written(i);
            if bank[i].kind != Kind::TrueFalse {
                rng.shuffle(&mut shown.order);
            }
            shown
        })
        .collect())
}

/// Why an attempt cannot be graded: what it showed is not in the bank it was drawn from (the
/// bank of a published version never changes, so this is a fault, not a person's mistake).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("question {key} was shown but is not in the bank")]
pub struct NotInBank {
    pub key: String,
}

/// The pass mark for `total` questions at `share_percent` (1–100) right, rounded up: 80% of 5
/// is 4, 70% of 5 is 4 (3.5 is not enough), 60% of 12 is 8.
pub fn pass_mark(total: u32, share_percent: u8) -> u32 {
    (total * u32::from(share_percent)).div_ceil(100)
}

/// The choices a person gave, by their index in the question as written, from the positions
/// they picked on the page (`shown.order[p]` is the choice at position `p`), sorted; `None`
/// when the answer is not one the question takes: nothing picked, a position that was not
/// shown, one picked twice, or more than one for a ○× or one-choice question.
pub fn chosen(question: &Question, shown: &Shown, positions: &[usize]) -> Option<Vec<usize>> {
    if positions.is_empty() || (question.kind != Kind::Multiple && positions.len() > 1) {
        return None;
    }
    let mut chosen: Vec<usize> = Vec::with_capacity(positions.len());
    for p in positions {
        match shown.order.get(*p) {
            Some(i) if *i < question.choices.len() && !chosen.contains(i) => chosen.push(*i),
            _ => return None,
        }
    }
    chosen.sort_unstable();
    Some(chosen)
}

/// Whether each question shown was answered right: `answers[k]` are the positions chosen for
/// the `k`-th question shown (none: unanswered). A question is right when exactly its right
/// choices were chosen; an answer [`chosen`] does not take is wrong.
pub fn marks(
    bank: &[Question],
    shown: &[Shown],
    answers: &[Vec<usize>],
) -> Result<Vec<bool>, NotInBank> {
    shown
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let q = bank
                .iter()
                .find(|q| q.key == s.key)
                .ok_or_else(|| NotInBank { key: s.key.clone() })?;
            let given = answers.get(k).map(Vec::as_slice).unwrap_or_default();
            Ok(chosen(q, s, given).is_some_and(|c| c == q.right()))
        })
        .collect()
}

/// Grades an attempt ([`marks`]) with the pass mark at `share_percent` of the questions shown.
pub fn grade(
    bank: &[Question],
    shown: &[Shown],
    answers: &[Vec<usize>],
    share_percent: u8,
) -> Result<Score, NotInBank> {
    let correct = marks(bank, shown, answers)?.iter().filter(|m| **m).count() as u32;
    let total = shown.len() as u32;
    Ok(Score {
        correct,
        total,
        pass_mark: pass_mark(total, share_percent),
    })
}

#[cfg(test)]
mod tests;
