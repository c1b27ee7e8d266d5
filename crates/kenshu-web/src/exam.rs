//! Taking tests: chapter tests (章末テスト) answered one question at a time with the answer
//! and explanation after each, and the final test (まとめテスト) answered whole and submitted.
//! Attempt ids are chosen when the form is shown, so a double click or a retry records once.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_app::exam::{answer_chapter, start_chapter, submit_final};
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

/// A question as shown after it was answered.
pub struct Feedback {
    pub given: &'static str,
    pub answer: &'static str,
    pub correct: bool,
}

pub struct QuestionView {
    pub q: Question,
    pub feedback: Option<Feedback>,
}

fn views(test: &Test, answers: &[AnswerRow]) -> Vec<QuestionView> {
    test.questions
        .iter()
        .map(|q| QuestionView {
            feedback: answers
                .iter()
                .find(|a| a.question as u32 == q.number)
                .map(|a| Feedback {
                    given: Mark::from_bool(a.given).symbol(),
                    answer: q.answer.symbol(),
                    correct: a.correct,
                }),
            q: q.clone(),
        })
        .collect()
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
    chosen: Vec<(u32, String)>,
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

impl FinalTestPage {
    fn chose(&self, number: &u32, value: &str) -> bool {
        self.chosen.iter().any(|(n, v)| n == number && v == value)
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
        return render(&FinalTestPage {
            chrome,
            t: t(),
            history: history(&attempts),
            ever_passed,
            completed: current.completed_at.is_some(),
            course: package,
            test,
            attempt: Uuid::new_v4(),
            chosen: Vec::new(),
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
            let questions = views(&test, &a.answers);
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

/// Starts a chapter-test attempt (again, for a retake).
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
    start_chapter(&mut tx, who, &package, &current, &code, form.attempt).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/courses/{code}/test")).into_response())
}

#[derive(Deserialize)]
pub struct AnswerForm {
    attempt: Uuid,
    question: u32,
    answer: String,
}

/// Records one chapter-test answer; the last answer closes and scores the attempt.
pub async fn answer(
    State(state): State<AppState>,
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    mut tx: Tx,
    Path(code): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let mark = Mark::parse_form(&form.answer)
        .ok_or_else(|| AppError::BadRequest(t().answer_missing.into()))?;
    let who = user.learner(fy);
    answer_chapter(
        &mut tx,
        &state.catalog,
        who,
        &code,
        form.attempt,
        form.question,
        mark,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/courses/{code}/test#q{}", form.question)).into_response())
}

#[derive(Deserialize)]
pub struct SubmitForm {
    #[serde(default)]
    attempt: String,
    /// The answers by field name (`q1` … `qN`), with whatever else the form carries.
    #[serde(flatten)]
    answers: std::collections::HashMap<String, String>,
}

/// Submits the final test whole. Every question must be answered.
pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    ThisYear(fy): ThisYear,
    mut tx: Tx,
    Form(form): Form<SubmitForm>,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let who = user.learner(fy);
    let attempt_id = Uuid::parse_str(form.attempt.trim())
        .map_err(|_| AppError::BadRequest(t().attempt_missing.into()))?;
    let (package, current) = course_for(&state, &mut tx, who, &code).await?;
    let test = package
        .test
        .clone()
        .filter(|t| t.kind == TestKind::Final)
        .ok_or(AppError::NotFound)?;
    let chosen: Vec<(u32, Mark)> = test
        .questions
        .iter()
        .filter_map(|q| {
            let v = form.answers.get(&format!("q{}", q.number))?;
            Some((q.number, Mark::parse_form(v)?))
        })
        .collect();
    if chosen.len() < test.questions.len() {
        let missing: Vec<String> = test
            .questions
            .iter()
            .filter(|q| !chosen.iter().any(|c| c.0 == q.number))
            .map(|q| format!("{}{}", t().question_prefix, q.number))
            .collect();
        let attempts = exam::attempts(&mut tx, who, &code).await?;
        let page = FinalTestPage {
            chrome: Chrome::for_user(&user, test.title.clone()),
            t: t(),
            history: history(&attempts),
            ever_passed: attempts.iter().any(|a| a.passed == Some(true)),
            completed: current.completed_at.is_some(),
            course: package.clone(),
            test,
            attempt: attempt_id,
            chosen: chosen
                .iter()
                .map(|(n, m)| (*n, m.form_value().to_string()))
                .collect(),
            error: Some(format!("{}{}", t().unanswered, missing.join(t().list_sep))),
        };
        let mut res = render(&page)?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    submit_final(&mut tx, who, &package, &current, &code, attempt_id, &chosen).await?;
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
    render(&AttemptPage {
        chrome: Chrome::for_user(&user, test.title.clone()),
        t: t(),
        questions: views(&test, &attempt.answers),
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
