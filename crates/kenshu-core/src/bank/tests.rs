//! The question bank's rules, exhaustively where the space is small: every answer to every kind
//! of question, every draw of small banks over many seeds.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

fn choice(text: &str, correct: bool) -> Choice {
    Choice {
        text: text.into(),
        correct,
    }
}

fn choices(key: &str, kind: Kind, right: &[usize], n: usize) -> Question {
    Question {
        key: key.into(),
        topic: None,
        kind,
        statement: format!("問題 {key}"),
        choices: (0..n)
            .map(|i| choice(&format!("選択肢{i}"), right.contains(&i)))
            .collect(),
        explanation: String::new(),
        reference: String::new(),
        sections: Vec::new(),
    }
}

fn on(topic: &str, q: Question) -> Question {
    Question {
        topic: Some(topic.into()),
        ..q
    }
}

/// Every subset of `0..n`, as sorted positions.
fn subsets(n: usize) -> Vec<Vec<usize>> {
    (0..1u32 << n)
        .map(|bits| (0..n).filter(|i| bits & (1 << i) != 0).collect())
        .collect()
}

#[test]
fn well_formed_questions_of_each_kind_pass_the_check() {
    assert_eq!(Question::true_false("a", "文", true).check(), Ok(()));
    for n in CHOICES {
        assert_eq!(choices("s", Kind::Single, &[n - 1], n).check(), Ok(()));
        for right in subsets(n) {
            let q = choices("m", Kind::Multiple, &right, n);
            let ok = !right.is_empty() && right.len() < n;
            assert_eq!(q.check().is_ok(), ok, "{right:?} of {n}");
        }
    }
}

#[test]
fn malformed_questions_are_refused_naming_the_question_and_the_fix() {
    let mut empty = Question::true_false("q7", " ", true);
    assert_eq!(
        empty.check().unwrap_err().to_string(),
        "question q7: the statement is empty; write the question"
    );
    empty.statement = "文".into();
    empty.choices[1].correct = true;
    assert!(matches!(
        empty.check(),
        Err(QuestionProblem::TrueFalse { .. })
    ));
    for n in [0, 1, 2, 6] {
        let e = choices("q2", Kind::Single, &[0], n).check().unwrap_err();
        assert_eq!(
            e,
            QuestionProblem::ChoiceCount {
                key: "q2".into(),
                n
            }
        );
        assert!(e.to_string().contains("between 3 and 5"), "{e}");
    }
    for right in [vec![], vec![0, 1]] {
        let e = choices("q3", Kind::Single, &right, 4).check().unwrap_err();
        assert!(e.to_string().contains("exactly one choice as right"), "{e}");
    }
    let mut same = choices("q4", Kind::Single, &[0], 3);
    same.choices[2].text = " 選択肢0 ".into();
    assert_eq!(
        same.check(),
        Err(QuestionProblem::ChoiceText {
            key: "q4".into(),
            n: 3
        })
    );
    let all = choices("q5", Kind::Multiple, &[0, 1, 2], 3)
        .check()
        .unwrap_err();
    assert!(all.to_string().contains("3 right of 3"), "{all}");
}

#[test]
fn a_question_is_right_only_for_exactly_its_right_choices_in_any_shown_order() {
    // Every kind and size, every right set, every order the choices can be shown in (all
    // permutations of up to 5), every subset of positions chosen.
    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for p in permutations(n - 1) {
            for at in 0..=p.len() {
                let mut q = p.clone();
                q.insert(at, n - 1);
                out.push(q);
            }
        }
        out
    }
    let mut cases = 0;
    let mut questions = vec![
        Question::true_false("tf-o", "文", true),
        Question::true_false("tf-x", "文", false),
    ];
    for n in CHOICES {
        for i in 0..n {
            questions.push(choices(&format!("s{n}-{i}"), Kind::Single, &[i], n));
        }
        for right in subsets(n) {
            if !right.is_empty() && right.len() < n {
                questions.push(choices(
                    &format!("m{n}-{right:?}"),
                    Kind::Multiple,
                    &right,
                    n,
                ));
            }
        }
    }
    for q in &questions {
        q.check().unwrap();
        let n = q.choices.len();
        let right: BTreeSet<usize> = q.right().into_iter().collect();
        let orders = if q.kind == Kind::TrueFalse {
            vec![vec![0, 1]]
        } else {
            permutations(n)
        };
        for order in orders {
            let shown = [Shown {
                key: q.key.clone(),
                order: order.clone(),
            }];
            for positions in subsets(n) {
                let picked: BTreeSet<usize> = positions.iter().map(|p| order[*p]).collect();
                let expected = picked == right;
                let score = grade(
                    std::slice::from_ref(q),
                    &shown,
                    std::slice::from_ref(&positions),
                    100,
                )
                .unwrap();
                assert_eq!(
                    score.correct == 1,
                    expected,
                    "{} shown {order:?}, chose positions {positions:?}",
                    q.key
                );
                cases += 1;
            }
        }
    }
    assert!(cases > 10_000, "{cases} cases");
}

#[test]
fn unanswered_repeated_or_unknown_positions_are_wrong() {
    let q = choices("m", Kind::Multiple, &[0, 2], 4);
    let shown = [Shown {
        key: "m".into(),
        order: vec![0, 1, 2, 3],
    }];
    let score = |a: Vec<usize>| grade(std::slice::from_ref(&q), &shown, &[a], 100).unwrap();
    assert_eq!(score(vec![0, 2]).correct, 1);
    assert_eq!(
        score(vec![2, 0]).correct,
        1,
        "the order of the boxes ticked does not matter"
    );
    assert_eq!(score(vec![]).correct, 0);
    assert_eq!(
        score(vec![0, 2, 2]).correct,
        0,
        "a position twice is not a real form"
    );
    assert_eq!(score(vec![0, 2, 9]).correct, 0, "a position never shown");
    let none = grade(std::slice::from_ref(&q), &shown, &[], 100).unwrap();
    assert_eq!((none.correct, none.total), (0, 1), "no answers at all");
    let single = choices("s", Kind::Single, &[1], 3);
    let shown = [Shown {
        key: "s".into(),
        order: vec![0, 1, 2],
    }];
    let two = grade(std::slice::from_ref(&single), &shown, &[vec![1, 1]], 100).unwrap();
    assert_eq!(two.correct, 0);
    let gone = grade(&[], &shown, &[vec![1]], 100).unwrap_err();
    assert_eq!(
        gone.to_string(),
        "question s was shown but is not in the bank"
    );
}

#[test]
fn the_pass_mark_is_a_share_rounded_up() {
    assert_eq!(pass_mark(5, 80), 4);
    assert_eq!(pass_mark(5, 70), 4);
    assert_eq!(pass_mark(10, 80), 8);
    assert_eq!(pass_mark(12, 60), 8);
    assert_eq!(pass_mark(4, 75), 3);
    assert_eq!(pass_mark(3, 100), 3);
    assert_eq!(pass_mark(7, 1), 1);
    for total in 1..=50 {
        for share in 1..=100u8 {
            let m = pass_mark(total, share);
            assert!(
                m * 100 >= total * u32::from(share),
                "{m} of {total} is {share}%"
            );
            assert!((m - 1) * 100 < total * u32::from(share), "{m} is the least");
        }
    }
}

fn bank_of(n: usize) -> Vec<Question> {
    (0..n)
        .map(|i| choices(&format!("q{i}"), Kind::Single, &[0], 3 + i % 3))
        .collect()
}

#[test]
fn a_fixed_test_shows_every_question_in_order_with_its_choices_as_written() {
    let bank = vec![
        Question::true_false("q1", "文", true),
        choices("q2", Kind::Single, &[1], 4),
    ];
    let shown = draw(&bank, &Rule::Fixed, &mut Rng::seeded(7)).unwrap();
    assert_eq!(
        shown,
        [
            Shown {
                key: "q1".into(),
                order: vec![0, 1]
            },
            Shown {
                key: "q2".into(),
                order: vec![0, 1, 2, 3]
            }
        ]
    );
}

#[test]
fn a_pool_draw_gives_distinct_questions_shuffled_and_every_question_and_order_in_time() {
    let mut bank = bank_of(12);
    bank.push(Question::true_false("tf", "文", false));
    let rule = Rule::Pool {
        count: 5,
        per_topic: Vec::new(),
    };
    let mut rng = Rng::seeded(2026);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut first_positions: BTreeSet<(String, usize)> = BTreeSet::new();
    let mut draws = BTreeSet::new();
    for _ in 0..2_000 {
        let shown = draw(&bank, &rule, &mut rng).unwrap();
        assert_eq!(shown.len(), 5);
        let keys: BTreeSet<&str> = shown.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys.len(), 5, "no question twice in an attempt");
        for s in &shown {
            let q = bank.iter().find(|q| q.key == s.key).unwrap();
            let mut order = s.order.clone();
            order.sort_unstable();
            assert_eq!(
                order,
                (0..q.choices.len()).collect::<Vec<_>>(),
                "a permutation"
            );
            if q.kind == Kind::TrueFalse {
                assert_eq!(s.order, [0, 1], "○ before ×, always");
            }
            *seen.entry(s.key.clone()).or_default() += 1;
            first_positions.insert((s.key.clone(), s.order[0]));
        }
        draws.insert(shown.iter().map(|s| s.key.clone()).collect::<Vec<_>>());
    }
    assert_eq!(seen.len(), 13, "every question comes up");
    // 2,000 draws × 5 of 13: each question about 769 times; far from it means a bias.
    for (key, n) in &seen {
        assert!((600..=950).contains(n), "{key} drawn {n} times");
    }
    for q in bank.iter().filter(|q| q.kind != Kind::TrueFalse) {
        for i in 0..q.choices.len() {
            assert!(
                first_positions.contains(&(q.key.clone(), i)),
                "{}: choice {i} is shown first sometimes",
                q.key
            );
        }
    }
    assert!(
        draws.len() > 1_900,
        "draws differ: {} distinct",
        draws.len()
    );
}

#[test]
fn the_same_seed_draws_the_same_and_another_seed_differs() {
    let bank = bank_of(12);
    let rule = Rule::Pool {
        count: 5,
        per_topic: Vec::new(),
    };
    let a = draw(&bank, &rule, &mut Rng::seeded(1)).unwrap();
    assert_eq!(a, draw(&bank, &rule, &mut Rng::seeded(1)).unwrap());
    assert_ne!(a, draw(&bank, &rule, &mut Rng::seeded(2)).unwrap());
}

#[test]
fn a_draw_per_topic_takes_that_many_from_each_and_mixes_them() {
    let mut bank: Vec<Question> = (0..6)
        .map(|i| on("制度", choices(&format!("a{i}"), Kind::Single, &[0], 3)))
        .collect();
    bank.extend((0..4).map(|i| on("事例", Question::true_false(&format!("b{i}"), "文", true))));
    bank.push(choices("c", Kind::Single, &[0], 3));
    let rule = Rule::Pool {
        count: 5,
        per_topic: vec![("制度".into(), 3), ("事例".into(), 2)],
    };
    let mut rng = Rng::seeded(9);
    let mut first_topics = BTreeSet::new();
    for _ in 0..500 {
        let shown = draw(&bank, &rule, &mut rng).unwrap();
        let topics: Vec<&str> = shown
            .iter()
            .map(|s| {
                let q = bank.iter().find(|q| q.key == s.key).unwrap();
                q.topic.as_deref().unwrap_or("")
            })
            .collect();
        assert_eq!(topics.iter().filter(|t| **t == "制度").count(), 3);
        assert_eq!(topics.iter().filter(|t| **t == "事例").count(), 2);
        first_topics.insert(topics[0].to_string());
    }
    assert_eq!(first_topics.len(), 2, "the topics are mixed, not in blocks");
}

#[test]
fn a_draw_the_bank_cannot_give_is_refused_naming_the_fix() {
    let bank = bank_of(4);
    let many = Rule::Pool {
        count: 5,
        per_topic: Vec::new(),
    };
    let e = draw(&bank, &many, &mut Rng::seeded(0)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the test draws 5 questions but the bank has 4; add questions or draw fewer"
    );
    let none = Rule::Pool {
        count: 0,
        per_topic: Vec::new(),
    };
    assert_eq!(none.check(&bank), Err(DrawProblem::Nothing));
    assert_eq!(Rule::Fixed.check(&[]), Err(DrawProblem::Nothing));
    let topic = Rule::Pool {
        count: 2,
        per_topic: vec![("事例".into(), 2)],
    };
    assert!(
        topic
            .check(&bank)
            .unwrap_err()
            .to_string()
            .contains("2 questions on 事例 but the bank has 0")
    );
    let sum = Rule::Pool {
        count: 3,
        per_topic: vec![("事例".into(), 2)],
    };
    assert_eq!(sum.check(&bank), Err(DrawProblem::Sum { sum: 2, count: 3 }));
}

#[test]
fn an_attempt_drawn_is_graded_against_what_it_showed() {
    // A person who knows every answer is right on any draw; one who always picks the first
    // position is right only where the shuffle put a right choice first.
    let bank: Vec<Question> = (0..12)
        .map(|i| choices(&format!("q{i}"), Kind::Single, &[i % 3], 3))
        .collect();
    let rule = Rule::Pool {
        count: 5,
        per_topic: Vec::new(),
    };
    let mut rng = Rng::seeded(42);
    for _ in 0..200 {
        let shown = draw(&bank, &rule, &mut rng).unwrap();
        let knows: Vec<Vec<usize>> = shown
            .iter()
            .map(|s| {
                let q = bank.iter().find(|q| q.key == s.key).unwrap();
                vec![s.order.iter().position(|i| q.choices[*i].correct).unwrap()]
            })
            .collect();
        let score = grade(&bank, &shown, &knows, 80).unwrap();
        assert_eq!((score.correct, score.total, score.pass_mark), (5, 5, 4));
        assert!(score.passed());
        let first: Vec<Vec<usize>> = shown.iter().map(|_| vec![0]).collect();
        let lucky = shown
            .iter()
            .filter(|s| {
                let q = bank.iter().find(|q| q.key == s.key).unwrap();
                q.choices[s.order[0]].correct
            })
            .count() as u32;
        assert_eq!(grade(&bank, &shown, &first, 80).unwrap().correct, lucky);
    }
}

#[test]
fn a_rule_and_a_shown_question_keep_their_form_in_json() {
    let rule = Rule::Pool {
        count: 5,
        per_topic: vec![("事例".into(), 5)],
    };
    let json = serde_json::to_string(&rule).unwrap();
    assert_eq!(
        json,
        r#"{"draw":"pool","count":5,"per_topic":[["事例",5]]}"#
    );
    assert_eq!(serde_json::from_str::<Rule>(&json).unwrap(), rule);
    assert_eq!(
        serde_json::from_str::<Rule>(r#"{"draw":"fixed"}"#).unwrap(),
        Rule::Fixed
    );
    let q = Question::true_false("q1", "文", true);
    let back: Question = serde_json::from_str(&serde_json::to_string(&q).unwrap()).unwrap();
    assert_eq!(back, q);
}

#[test]
fn an_attempts_seed_is_its_own_and_unknowable_without_the_key() {
    let key = [7u8; 32];
    let a = uuid::Uuid::from_u128(1);
    let b = uuid::Uuid::from_u128(2);
    assert_eq!(
        attempt_seed(&key, a),
        attempt_seed(&key, a),
        "drawn again alike"
    );
    assert_ne!(attempt_seed(&key, a), attempt_seed(&key, b));
    assert_ne!(
        attempt_seed(&key, a),
        attempt_seed(&[8u8; 32], a),
        "another key, another draw"
    );
    // The same attempt draws the same questions on the page and at the submission.
    let bank = bank_of(12);
    let rule = Rule::Pool {
        count: 5,
        per_topic: Vec::new(),
    };
    let shown = draw(&bank, &rule, &mut Rng::seeded(attempt_seed(&key, a))).unwrap();
    let again = draw(&bank, &rule, &mut Rng::seeded(attempt_seed(&key, a))).unwrap();
    assert_eq!(shown, again);
}
