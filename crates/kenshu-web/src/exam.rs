//! Taking tests: chapter tests (章末テスト) answered one question at a time with the answer
//! and explanation after each, and the final test (まとめテスト) answered whole and submitted.
//! Attempt ids are chosen when the form is shown, so a double click or a retry records once.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_app::exam::{answer_chapter, final_questions, shown_by, start_chapter, submit_final};
use kenshu_core::bank::{Kind, Shown};
use kenshu_core::content::{CoursePackage, Question, Test, TestKind};
use kenshu_core::exam::Mark;
use kenshu_db::exam::{self, AnswerRow, Attempt};
use kenshu_db::learning::Learner;
use serde::Deserialize;
use uuid::Uuid;

use crate::lang::t;
use crate::learning::course_for;
use crate::page::{Chrome, jtime, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use crate::year::ThisYear;
use crate::{AppError, AppState};
use kenshu_core::i18n::Catalogue;

/// A question as shown after it was answered: the choices given and the right ones.
pub struct Feedback {
    pub given: String,
    pub answer: String,
    pub correct: bool,
}

/// A choice as a form shows it: its value (`o`/`x` for ○×, else its position on the page).
pub struct ChoiceView {
    pub value: String,
    pub text: String,
    pub checked: bool,
}

pub struct QuestionView {
    pub q: Question,
    /// Its number on the page: 1, 2, … in the order shown.
    pub label: usize,
    pub choices: Vec<ChoiceView>,
    pub feedback: Option<Feedback>,
}

impl QuestionView {
    pub fn true_false(&self) -> bool {
        self.q.kind == Kind::TrueFalse
    }

    pub fn multiple(&self) -> bool {
        self.q.kind == Kind::Multiple
    }
}

/// The form value of the choice at `position` of a question of `kind`.
fn form_value(kind: Kind, position: usize) -> String {
    match (kind, position) {
        (Kind::TrueFalse, 0) => Mark::Maru.form_value().into(),
        (Kind::TrueFalse, _) => Mark::Batsu.form_value().into(),
        _ => position.to_string(),
    }
}

/// The position a form value names: `o`/`x` for ○×, else a position.
fn form_position(value: &str) -> Option<usize> {
    match Mark::parse_form(value) {
        Some(Mark::Maru) => Some(0),
        Some(Mark::Batsu) => Some(1),
        None => value.trim().parse().ok().filter(|p| *p < 8),
    }
}

/// The texts of a question's choices `indices` (as written), joined.
fn choice_texts(q: &Question, indices: impl Iterator<Item = usize>) -> String {
    let written = q.written_choices();
    let texts: Vec<&str> = indices
        .filter_map(|i| written.get(i).map(|c| c.text.as_str()))
        .collect();
    texts.join(t().list_sep)
}

/// The questions an attempt showed, in its order, with the answers recorded and the positions
/// `picked` on a form sent back (by question key).
fn views(
    test: &Test,
    shown: &[Shown],
    answers: &[AnswerRow],
    picked: &[(String, Vec<usize>)],
) -> Vec<QuestionView> {
    shown
        .iter()
        .enumerate()
        .filter_map(|(k, s)| {
            let q = test.question(&s.key)?;
            let written = q.written_choices();
            let picks = picked.iter().find(|(key, _)| *key == s.key).map(|p| &p.1);
            let choices = s
                .order
                .iter()
                .enumerate()
                .filter_map(|(p, i)| {
                    let text = match (q.kind, *i) {
                        (Kind::TrueFalse, 0) => t().answer_maru.to_string(),
                        (Kind::TrueFalse, _) => t().answer_batsu.to_string(),
                        _ => written.get(*i)?.text.clone(),
                    };
                    Some(ChoiceView {
                        value: form_value(q.kind, p),
                        text,
                        checked: picks.is_some_and(|v| v.contains(&p)),
                    })
                })
                .collect();
            let feedback = answers
                .iter()
                .find(|a| a.question as u32 == q.number)
                .map(|a| Feedback {
                    given: choice_texts(q, a.chosen.iter().map(|i| *i as usize)),
                    answer: choice_texts(q, (0..written.len()).filter(|i| written[*i].correct)),
                    correct: a.correct,
                });
            Some(QuestionView {
                q: q.clone(),
                label: k + 1,
                choices,
                feedback,
            })
        })
        .collect()
}

/// The values a form sent under `name`.
fn values<'a>(form: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    form.iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub struct AttemptRow {
    pub id: Uuid,
    pub when: String,
    pub score: String,
    pub passed: bool,
}

fn history(attempts: &[Attempt]) -> Vec<AttemptRow> {
    attempts
        .iter()
        .filter_map(|a| {
            Some(AttemptRow {
                id: a.id,
                when: jtime(a.submitted_at?),
                score: format!("{} / {}", a.score?, a.total),
                passed: a.passed == Some(true),
            })
        })
        .collect()
}

#[derive(Template)]
#[template(path = "exam/chapter_test.html")]
struct ChapterTestPage {
    chrome: Chrome,
    t: &'static Catalogue,
    course: Arc<CoursePackage>,
    test: Test,
    /// The attempt being answered, if one is open.
    open: Option<Uuid>,
    questions: Vec<QuestionView>,
    /// The number of the question to answer next.
    current: Option<u32>,
    /// Score of the attempt shown, once it is finished.
    result: Option<(i32, i32, bool)>,
    new_attempt: Uuid,
    history: Vec<AttemptRow>,
    ever_passed: bool,
    /// The course is completed: the next step is the next course.
    completed: bool,
}

#[derive(Template)]
#[template(path = "exam/final_test.html")]
struct FinalTestPage {
    chrome: Chrome,
    t: &'static Catalogue,
    course: Arc<CoursePackage>,
    test: Test,
    attempt: Uuid,
    questions: Vec<QuestionView>,
    error: Option<String>,
    history: Vec<AttemptRow>,
    ever_passed: bool,
    completed: bool,
}

impl ChapterTestPage {
    fn is_current(&self, number: &u32) -> bool {
        self.current == Some(*number)
    }
}

pub async fn test_page(
    State(state): State<AppState>,
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    Conn(mut conn): Conn,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let who = user.learner(fy);
    let (package, current) = course_for(&state, &mut conn, who, &code).await?;
    let test = package.test.clone().ok_or(AppError::NotFound)?;
    let attempts = exam::attempts(&mut conn, who, &code).await?;
    let ever_passed = attempts.iter().any(|a| a.passed == Some(true));
    let chrome = Chrome::for_user(&user, test.title.clone());
    if test.kind == TestKind::Final {
        let attempt = Uuid::new_v4();
        let shown = final_questions(&package, state.settings.audit_key.draw_seed(attempt))?;
        return render(&FinalTestPage {
            chrome,
            t: t(),
            history: history(&attempts),
            ever_passed,
            completed: current.completed_at.is_some(),
            questions: views(&test, &shown, &[], &[]),
            course: package,
            test,
            attempt,
            error: None,
        });
    }
    let open = attempts
        .iter()
        .rev()
        .find(|a| a.submitted_at.is_none() && a.content_version_id == current.version_id);
    let shown = open.or_else(|| attempts.iter().rev().find(|a| a.submitted_at.is_some()));
    let (questions, current_q, result) = match shown {
        Some(a) => {
            // A finished attempt may be of an older version: it is shown with its own.
            let version = if a.content_version_id == current.version_id {
                package.clone()
            } else {
                state
                    .catalog
                    .package(&mut conn, a.content_version_id)
                    .await?
            };
            let test = version.test.as_ref().unwrap_or(&test);
            let questions = views(test, &shown_by(test, a.shown.as_deref()), &a.answers, &[]);
            let current_q = if a.submitted_at.is_none() {
                questions
                    .iter()
                    .find(|v| v.feedback.is_none())
                    .map(|v| v.q.number)
            } else {
                None
            };
            let result = a.score.map(|s| (s, a.total, a.passed == Some(true)));
            (questions, current_q, result)
        }
        None => (Vec::new(), None, None),
    };
    render(&ChapterTestPage {
        chrome,
        t: t(),
        open: open.map(|a| a.id),
        questions,
        current: current_q,
        result,
        new_attempt: Uuid::new_v4(),
        history: history(&attempts),
        ever_passed,
        completed: current.completed_at.is_some(),
        course: package,
        test,
    })
}

#[derive(Deserialize)]
pub struct StartForm {
    attempt: Uuid,
}

/// Starts a chapter-test attempt (again, for a retake); a test with a bank draws its
/// questions now.
pub async fn start(
    State(state): State<AppState>,
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    mut tx: Tx,
    Path(code): Path<String>,
    Form(form): Form<StartForm>,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let who = user.learner(fy);
    let (package, current) = course_for(&state, &mut tx, who, &code).await?;
    let seed = state.settings.audit_key.draw_seed(form.attempt);
    start_chapter(&mut tx, who, &package, &current, &code, form.attempt, seed).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/courses/{code}/test")).into_response())
}

/// Records one chapter-test answer (`attempt`, `question` and one `answer` per choice
/// picked); the last answer closes and scores the attempt.
pub async fn answer(
    State(state): State<AppState>,
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    mut tx: Tx,
    Path(code): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let missing = || AppError::BadRequest(t().answer_missing.into());
    let attempt = values(&form, "attempt")
        .next()
        .and_then(|v| Uuid::parse_str(v.trim()).ok())
        .ok_or_else(|| AppError::BadRequest(t().attempt_missing.into()))?;
    let question: u32 = values(&form, "question")
        .next()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(missing)?;
    let positions = values(&form, "answer")
        .map(form_position)
        .collect::<Option<Vec<usize>>>()
        .filter(|p| !p.is_empty())
        .ok_or_else(missing)?;
    let who = user.learner(fy);
    answer_chapter(
        &mut tx,
        &state.catalog,
        who,
        &code,
        attempt,
        question,
        &positions,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/courses/{code}/test#q{question}")).into_response())
}

/// Submits the final test whole (`attempt`, and for each question `q<number>` once per
/// choice picked). Every question must be answered.
pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    ThisYear(fy): ThisYear,
    mut tx: Tx,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let who = user.learner(fy);
    let attempt_id = values(&form, "attempt")
        .next()
        .and_then(|v| Uuid::parse_str(v.trim()).ok())
        .ok_or_else(|| AppError::BadRequest(t().attempt_missing.into()))?;
    let (package, current) = course_for(&state, &mut tx, who, &code).await?;
    let test = package
        .test
        .clone()
        .filter(|t| t.kind == TestKind::Final)
        .ok_or(AppError::NotFound)?;
    let seed = state.settings.audit_key.draw_seed(attempt_id);
    let shown = final_questions(&package, seed)?;
    // The positions picked for each question shown; a question without a valid answer
    // has none.
    let picked: Vec<(String, Vec<usize>)> = shown
        .iter()
        .map(|s| {
            let name = format!("q{}", s.key);
            let positions: Option<Vec<usize>> = values(&form, &name).map(form_position).collect();
            (s.key.clone(), positions.unwrap_or_default())
        })
        .collect();
    let missing: Vec<String> = shown
        .iter()
        .zip(&picked)
        .enumerate()
        .filter(|(_, (s, (_, p)))| {
            test.question(&s.key)
                .is_none_or(|q| kenshu_core::bank::chosen(&q.in_bank(), s, p).is_none())
        })
        .map(|(k, _)| format!("{}{}", t().question_prefix, k + 1))
        .collect();
    if !missing.is_empty() {
        let attempts = exam::attempts(&mut tx, who, &code).await?;
        let page = FinalTestPage {
            chrome: Chrome::for_user(&user, test.title.clone()),
            t: t(),
            history: history(&attempts),
            ever_passed: attempts.iter().any(|a| a.passed == Some(true)),
            completed: current.completed_at.is_some(),
            questions: views(&test, &shown, &[], &picked),
            course: package.clone(),
            test,
            attempt: attempt_id,
            error: Some(format!("{}{}", t().unanswered, missing.join(t().list_sep))),
        };
        let mut res = render(&page)?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    let answers: Vec<Vec<usize>> = picked.into_iter().map(|(_, p)| p).collect();
    submit_final(
        &mut tx, who, &package, &current, &code, attempt_id, seed, &answers,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/courses/{code}/attempts/{attempt_id}")).into_response())
}

#[derive(Template)]
#[template(path = "exam/attempt.html")]
struct AttemptPage {
    chrome: Chrome,
    t: &'static Catalogue,
    course: Arc<CoursePackage>,
    test: Test,
    questions: Vec<QuestionView>,
    score: i32,
    total: i32,
    pass_mark: i32,
    passed: bool,
    when: String,
    completed: bool,
}

/// The result of one submitted attempt: each answer, the correct answer, the explanation and
/// where in the material it is taught.
pub async fn attempt_result(
    State(state): State<AppState>,
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    Conn(mut conn): Conn,
    Path((code, id)): Path<(String, Uuid)>,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let who: Learner = user.learner(fy);
    let (_, current) = course_for(&state, &mut conn, who, &code).await?;
    let attempt = exam::attempt(&mut conn, who, &code, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (Some(score), Some(submitted)) = (attempt.score, attempt.submitted_at) else {
        return Ok(Redirect::to(&format!("/courses/{code}/test")).into_response());
    };
    let package = state
        .catalog
        .package(&mut conn, attempt.content_version_id)
        .await?;
    let test = package.test.clone().ok_or(AppError::NotFound)?;
    let shown = shown_by(&test, attempt.shown.as_deref());
    render(&AttemptPage {
        chrome: Chrome::for_user(&user, test.title.clone()),
        t: t(),
        questions: views(&test, &shown, &attempt.answers, &[]),
        score,
        total: attempt.total,
        pass_mark: attempt.pass_mark,
        passed: attempt.passed == Some(true),
        when: jtime(submitted),
        completed: current.completed_at.is_some(),
        course: package,
        test,
    })
}
