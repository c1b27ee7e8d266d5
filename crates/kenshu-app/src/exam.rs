//! Taking a test: a chapter test (章末テスト) is started, then answered one question at a time
//! (the last answer scores it and may complete the course); the final test (まとめテスト) is
//! submitted whole, graded and, when passed, completes the course. Attempt ids are chosen
//! when the form is shown, so a double click or a retry records once.
//!
//! A test that draws from a bank shows each attempt the questions its seed draws
//! ([`kenshu_core::audit::AuditKey::draw_seed`] of the attempt id): a chapter test records the
//! draw when it starts; a final test draws again from the id when it is handed in, so the page
//! and the grading agree without storing anything when the page is shown.

use kenshu_core::bank::{self, DrawProblem, Shown};
use kenshu_core::content::{CoursePackage, Test, TestKind};
use kenshu_core::exam::Score;
use kenshu_db::PgConnection;
use kenshu_db::content::Catalog;
use kenshu_db::exam::{self, AnswerRow, NewAttempt};
use kenshu_db::learning::{self, CourseProgress, Learner};
use uuid::Uuid;

/// Why a test step was refused.
#[derive(Debug, thiserror::Error)]
pub enum ExamError {
    /// No such course, test, attempt or question.
    #[error("not found")]
    NotFound,
    /// The question is not in the attempt's test.
    #[error("no such question")]
    NoSuchQuestion,
    /// The answer is not one the question takes (nothing, or a choice it did not show).
    #[error("not an answer to the question")]
    BadAnswer,
    /// The attempt id is taken by another attempt (another course, another person).
    #[error("the attempt id is taken")]
    Conflict,
    /// A stored version's bank cannot give its draw (loading checks it: a fault).
    #[error("{0}")]
    Draw(#[from] DrawProblem),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// What an attempt showed: its recorded draw, or every question as written.
pub fn shown_by(test: &Test, recorded: Option<&[Shown]>) -> Vec<Shown> {
    match recorded {
        Some(shown) => shown.to_vec(),
        None => test.as_written(),
    }
}

/// What a new attempt with this seed shows, and what to record of it (nothing when the test
/// shows every question as written).
fn draw(test: &Test, seed: u64) -> Result<(Vec<Shown>, bool), ExamError> {
    Ok((test.draw(seed)?, !test.draw.is_fixed()))
}

fn new_attempt<'a>(
    test: &Test,
    id: Uuid,
    code: &'a str,
    version_id: Uuid,
    shown: &'a [Shown],
    record: bool,
) -> NewAttempt<'a> {
    NewAttempt {
        id,
        code,
        version_id,
        shown: record.then_some(shown),
        total: shown.len() as i32,
        pass_mark: test.pass_mark_of(shown.len() as u32) as i32,
    }
}

/// The answer to the `k`-th question shown, checked, as stored: the choices by their index
/// as written, and whether it is right.
fn answer_row(test: &Test, shown: &Shown, positions: &[usize]) -> Result<AnswerRow, ExamError> {
    let question = test.question(&shown.key).ok_or(ExamError::NoSuchQuestion)?;
    let asked = question.in_bank();
    let chosen = bank::chosen(&asked, shown, positions).ok_or(ExamError::BadAnswer)?;
    // Right when exactly the right choices were given ([`bank::marks`]' rule, for one question).
    let correct = chosen == asked.right();
    Ok(AnswerRow {
        question: question.number as i32,
        chosen: chosen.into_iter().map(|i| i as i16).collect(),
        correct,
    })
}

/// Starts a chapter-test attempt (again, for a retake), in the caller's transaction. `seed`
/// draws its questions when the test draws from a bank.
#[tracing::instrument(skip_all)]
pub async fn start_chapter(
    conn: &mut PgConnection,
    who: Learner,
    package: &CoursePackage,
    current: &CourseProgress,
    code: &str,
    attempt: Uuid,
    seed: u64,
) -> Result<(), ExamError> {
    let test = package
        .test
        .as_ref()
        .filter(|t| t.kind == TestKind::Chapter)
        .ok_or(ExamError::NotFound)?;
    let (shown, record) = draw(test, seed)?;
    let new = new_attempt(test, attempt, code, current.version_id, &shown, record);
    if !exam::start_attempt(conn, who, new).await? {
        return Err(ExamError::Conflict);
    }
    Ok(())
}

/// Records one chapter-test answer (`positions`: the choices picked, by their position on the
/// page), in the caller's transaction; the last answer closes and scores the attempt and
/// settles the course.
#[tracing::instrument(skip_all, fields(question))]
pub async fn answer_chapter(
    conn: &mut PgConnection,
    catalog: &Catalog,
    who: Learner,
    code: &str,
    attempt_id: Uuid,
    question: u32,
    positions: &[usize],
) -> Result<(), ExamError> {
    let attempt = exam::attempt(&mut *conn, who, code, attempt_id)
        .await?
        .ok_or(ExamError::NotFound)?;
    let version = catalog
        .package(&mut *conn, attempt.content_version_id)
        .await?;
    let test = version.test.as_ref().ok_or(ExamError::NotFound)?;
    let shown = shown_by(test, attempt.shown.as_deref());
    let key = question.to_string();
    let asked = shown
        .iter()
        .find(|s| s.key == key)
        .ok_or(ExamError::NoSuchQuestion)?;
    let row = answer_row(test, asked, positions)?;
    if exam::record_answer(
        &mut *conn,
        who,
        attempt.id,
        row.question,
        &row.chosen,
        row.correct,
    )
    .await?
    {
        let answered = attempt.answers.len() + 1;
        if answered == shown.len() {
            let correct =
                attempt.answers.iter().filter(|a| a.correct).count() + usize::from(row.correct);
            let score = Score {
                correct: correct as u32,
                total: shown.len() as u32,
                pass_mark: attempt.pass_mark.max(0) as u32,
            };
            exam::finish_attempt(
                &mut *conn,
                who,
                attempt.id,
                score.correct as i32,
                score.passed(),
            )
            .await?;
            // Only the last answer can complete the course: the progress is read then only.
            let (package, current) = crate::learning::course_for(catalog, conn, who, code)
                .await?
                .ok_or(ExamError::NotFound)?;
            learning::settle_course_with(conn, who, &package, &current).await?;
        }
    }
    Ok(())
}

/// What a final test shows for the attempt whose seed is `seed` (the page and the submission
/// both ask).
pub fn final_questions(package: &CoursePackage, seed: u64) -> Result<Vec<Shown>, ExamError> {
    let test = package.test.as_ref().ok_or(ExamError::NotFound)?;
    Ok(test.draw(seed)?)
}

/// Grades and records a final test answered whole, in the caller's transaction; a pass
/// completes the course. `answers[k]` are the positions picked for the `k`-th question of
/// [`final_questions`] with the same seed; every one must be an answer the question takes.
#[tracing::instrument(skip_all)]
#[allow(clippy::too_many_arguments)]
pub async fn submit_final(
    conn: &mut PgConnection,
    who: Learner,
    package: &CoursePackage,
    current: &CourseProgress,
    code: &str,
    attempt_id: Uuid,
    seed: u64,
    answers: &[Vec<usize>],
) -> Result<(), ExamError> {
    let test = package.test.as_ref().ok_or(ExamError::NotFound)?;
    let (shown, record) = draw(test, seed)?;
    if answers.len() != shown.len() {
        return Err(ExamError::BadAnswer);
    }
    let rows = shown
        .iter()
        .zip(answers)
        .map(|(s, a)| answer_row(test, s, a))
        .collect::<Result<Vec<AnswerRow>, ExamError>>()?;
    // Each answer was marked as it was checked: the score counts them.
    let total = shown.len() as u32;
    let score = Score {
        correct: rows.iter().filter(|r| r.correct).count() as u32,
        total,
        pass_mark: test.pass_mark_of(total),
    };
    let new = new_attempt(test, attempt_id, code, current.version_id, &shown, record);
    let (correct, passed) = (score.correct as i32, score.passed());
    // A first submission is stored in one statement. Only the first of several identical
    // submissions closes the attempt; the others find it closed and change nothing.
    let closed_now = if exam::submit_attempt(&mut *conn, who, new, correct, passed, &rows).await? {
        true
    } else {
        if !exam::start_attempt(&mut *conn, who, new).await? {
            return Err(ExamError::Conflict);
        }
        let closed = exam::finish_attempt(&mut *conn, who, attempt_id, correct, passed).await?;
        if closed {
            exam::insert_answers(&mut *conn, who, attempt_id, &rows).await?;
        }
        closed
    };
    // A course completed already (read in this transaction) is not completed again: the
    // insert would find its row and do nothing, at the cost of its triggers (166 µs of 518 for
    // the whole submission in pg_stat_statements, bench of 2026-11-29).
    if closed_now && passed && current.completed_at.is_none() {
        learning::complete(
            conn,
            who,
            code,
            current.version_id,
            current.attended,
            Some((correct, score.total as i32)),
            Some(attempt_id),
        )
        .await?;
    }
    Ok(())
}
