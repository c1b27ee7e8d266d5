//! Taking a test: a chapter test (章末テスト) is started, then answered one question at a time
//! (the last answer scores it and may complete the course); the final test (まとめテスト) is
//! submitted whole, graded and, when passed, completes the course. Attempt ids are chosen
//! when the form is shown, so a double click or a retry records once.

use kenshu_core::content::{CoursePackage, TestKind};
use kenshu_core::exam::{Mark, grade};
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
    /// The attempt id is taken by another attempt (another course, another person).
    #[error("the attempt id is taken")]
    Conflict,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Starts a chapter-test attempt (again, for a retake), in the caller's transaction.
#[tracing::instrument(skip_all)]
pub async fn start_chapter(
    conn: &mut PgConnection,
    who: Learner,
    package: &CoursePackage,
    current: &CourseProgress,
    code: &str,
    attempt: Uuid,
) -> Result<(), ExamError> {
    let test = package
        .test
        .as_ref()
        .filter(|t| t.kind == TestKind::Chapter)
        .ok_or(ExamError::NotFound)?;
    let new = NewAttempt {
        id: attempt,
        code,
        version_id: current.version_id,
        total: test.questions.len() as i32,
        pass_mark: test.pass_mark as i32,
    };
    if !exam::start_attempt(conn, who, new).await? {
        return Err(ExamError::Conflict);
    }
    Ok(())
}

/// Records one chapter-test answer, in the caller's transaction; the last answer closes and
/// scores the attempt and settles the course.
#[tracing::instrument(skip_all, fields(question))]
pub async fn answer_chapter(
    conn: &mut PgConnection,
    catalog: &Catalog,
    who: Learner,
    code: &str,
    attempt_id: Uuid,
    question: u32,
    mark: Mark,
) -> Result<(), ExamError> {
    let attempt = exam::attempt(&mut *conn, who, code, attempt_id)
        .await?
        .ok_or(ExamError::NotFound)?;
    let version = catalog
        .package(&mut *conn, attempt.content_version_id)
        .await?;
    let test = version.test.as_ref().ok_or(ExamError::NotFound)?;
    let asked = test
        .questions
        .iter()
        .find(|q| q.number == question)
        .ok_or(ExamError::NoSuchQuestion)?;
    let correct = asked.answer == mark;
    if exam::record_answer(
        &mut *conn,
        who,
        attempt.id,
        question as i32,
        mark.as_bool(),
        correct,
    )
    .await?
    {
        let mut answers: Vec<(u32, Mark)> = attempt
            .answers
            .iter()
            .map(|a| (a.question as u32, Mark::from_bool(a.given)))
            .collect();
        answers.push((question, mark));
        if answers.len() == test.questions.len() {
            let score = grade(&version.answer_key(), &answers, test.pass_mark);
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

/// Grades and records a final test answered whole (`chosen` holds every question), in the
/// caller's transaction; a pass completes the course.
#[tracing::instrument(skip_all)]
pub async fn submit_final(
    conn: &mut PgConnection,
    who: Learner,
    package: &CoursePackage,
    current: &CourseProgress,
    code: &str,
    attempt_id: Uuid,
    chosen: &[(u32, Mark)],
) -> Result<(), ExamError> {
    let test = package.test.as_ref().ok_or(ExamError::NotFound)?;
    let key = package.answer_key();
    let score = grade(&key, chosen, test.pass_mark);
    let new = NewAttempt {
        id: attempt_id,
        code,
        version_id: current.version_id,
        total: test.questions.len() as i32,
        pass_mark: test.pass_mark as i32,
    };
    let rows: Vec<AnswerRow> = chosen
        .iter()
        .map(|(n, m)| AnswerRow {
            question: *n as i32,
            given: m.as_bool(),
            correct: key.iter().any(|k| k.0 == *n && k.1 == *m),
        })
        .collect();
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
