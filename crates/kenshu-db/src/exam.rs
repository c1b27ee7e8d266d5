//! Tests taken: attempts started, answered, handed in whole or closed with their score, and
//! read back.

use sqlx::PgConnection;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::learning::Learner;
use kenshu_core::bank::Shown;

/// One attempt at a test, with what it showed and its answers.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: Uuid,
    pub content_version_id: Uuid,
    /// The questions drawn, with their choices' order; `None`: every question of the
    /// version, in order, choices as written.
    pub shown: Option<Vec<Shown>>,
    pub started_at: OffsetDateTime,
    pub submitted_at: Option<OffsetDateTime>,
    pub score: Option<i32>,
    pub total: i32,
    pub pass_mark: i32,
    pub passed: Option<bool>,
    pub answers: Vec<AnswerRow>,
}

/// One recorded answer of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRow {
    /// The question's number in its test.
    pub question: i32,
    /// The choices given, by their index in the question as written (○ is 0, × is 1).
    pub chosen: Vec<i16>,
    pub correct: bool,
}

impl From<(i32, Vec<i16>, bool)> for AnswerRow {
    fn from((question, chosen, correct): (i32, Vec<i16>, bool)) -> Self {
        AnswerRow {
            question,
            chosen,
            correct,
        }
    }
}

/// Every attempt a learner made at a course's test in the fiscal year, oldest first.
pub async fn attempts(
    conn: &mut PgConnection,
    who: Learner,
    code: &str,
) -> Result<Vec<Attempt>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"select a.id, a.content_version_id, a.shown as "shown: Json<Vec<Shown>>", a.started_at, a.submitted_at,
                  a.score, a.total, a.pass_mark, a.passed,
                  coalesce((select json_agg(json_build_array(t.question_number, t.chosen, t.correct) order by t.question_number)
                            from test_answers t where t.institution_id = a.institution_id and t.attempt_id = a.id),
                           '[]'::json) as "answers!: Json<Vec<(i32, Vec<i16>, bool)>>"
           from test_attempts a
           where a.institution_id = $1 and a.user_id = $2 and a.fiscal_year = $3 and a.course_code = $4
           order by a.started_at, a.id"#,
        who.institution_id,
        who.user_id,
        who.fiscal_year.year(),
        code
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Attempt {
            id: r.id,
            content_version_id: r.content_version_id,
            shown: r.shown.map(|s| s.0),
            started_at: r.started_at,
            submitted_at: r.submitted_at,
            score: r.score,
            total: r.total,
            pass_mark: r.pass_mark,
            passed: r.passed,
            answers: r.answers.0.into_iter().map(AnswerRow::from).collect(),
        })
        .collect())
}

/// One attempt by id, only if it is the learner's own.
pub async fn attempt(
    conn: &mut PgConnection,
    who: Learner,
    code: &str,
    id: Uuid,
) -> Result<Option<Attempt>, sqlx::Error> {
    Ok(attempts(conn, who, code)
        .await?
        .into_iter()
        .find(|a| a.id == id))
}

#[derive(Debug, Clone, Copy)]
pub struct NewAttempt<'a> {
    pub id: Uuid,
    pub code: &'a str,
    pub version_id: Uuid,
    /// What a drawn test shows (`None` for a test shown whole, as written).
    pub shown: Option<&'a [Shown]>,
    pub total: i32,
    pub pass_mark: i32,
}

/// Starts an attempt; starting the same attempt id again does nothing. Returns whether the
/// attempt is the learner's (false if the id belongs to someone else).
#[tracing::instrument(level = "debug", skip_all, fields(institution = %who.institution_id, user = %who.user_id, fiscal_year = who.fiscal_year.year(), course = a.code))]
pub async fn start_attempt(
    conn: &mut PgConnection,
    who: Learner,
    a: NewAttempt<'_>,
) -> Result<bool, sqlx::Error> {
    // A new attempt is activity: course_activity is kept in the same statement.
    let inserted = sqlx::query_scalar!(
        r#"with a as (
               insert into test_attempts (institution_id, id, user_id, course_code, content_version_id, fiscal_year, total, pass_mark, shown)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing
               returning institution_id, user_id, fiscal_year, course_code, started_at
           ), s as (
               insert into course_activity (institution_id, user_id, fiscal_year, course_code, first_at, last_at)
               select institution_id, user_id, fiscal_year, course_code, started_at, started_at from a
               on conflict (institution_id, user_id, fiscal_year, course_code) do update
               set first_at = least(course_activity.first_at, excluded.first_at),
                   last_at = greatest(course_activity.last_at, excluded.last_at)
           )
           select user_id as "user_id!" from a"#,
        who.institution_id,
        a.id,
        who.user_id,
        a.code,
        a.version_id,
        who.fiscal_year.year(),
        a.total,
        a.pass_mark,
        a.shown.map(Json) as _
    )
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_some() {
        return Ok(true);
    }
    // The id exists already: a retry of the learner's own submission, or someone else's id.
    let owner = sqlx::query_scalar!(
        "select user_id from test_attempts where institution_id = $1 and id = $2",
        who.institution_id,
        a.id
    )
    .fetch_one(conn)
    .await?;
    Ok(owner == who.user_id)
}

/// Answers (question, chosen, correct) as the three arrays `unnest` takes; the choices as
/// array literals (`{0,2}`), since PostgreSQL arrays cannot be ragged.
fn answer_columns(answers: &[AnswerRow]) -> (Vec<i32>, Vec<String>, Vec<bool>) {
    let mut columns = (
        Vec::with_capacity(answers.len()),
        Vec::with_capacity(answers.len()),
        Vec::with_capacity(answers.len()),
    );
    for a in answers {
        columns.0.push(a.question);
        let chosen: Vec<String> = a.chosen.iter().map(i16::to_string).collect();
        columns.1.push(format!("{{{}}}", chosen.join(",")));
        columns.2.push(a.correct);
    }
    columns
}

/// Stores a final test handed in whole, in one statement: the attempt (opened and closed at
/// once, with its score), the course activity and the answers. Returns whether this call
/// stored it; `false` when the attempt id exists already (a retried submission, or someone
/// else's id), which the caller settles with `start_attempt` and `finish_attempt`.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %who.institution_id, user = %who.user_id, fiscal_year = who.fiscal_year.year(), course = a.code, score, passed))]
pub async fn submit_attempt(
    conn: &mut PgConnection,
    who: Learner,
    a: NewAttempt<'_>,
    score: i32,
    passed: bool,
    answers: &[AnswerRow],
) -> Result<bool, sqlx::Error> {
    let (numbers, marks, correct) = answer_columns(answers);
    let stored = sqlx::query_scalar!(
        r#"with a as (
               insert into test_attempts (institution_id, id, user_id, course_code, content_version_id, fiscal_year,
                                          total, pass_mark, submitted_at, score, passed, shown)
               values ($1, $2, $3, $4, $5, $6, $7, $8, now(), $9, $10, $14) on conflict do nothing
               returning institution_id, user_id, fiscal_year, course_code, started_at, submitted_at
           ), s as (
               insert into course_activity (institution_id, user_id, fiscal_year, course_code, first_at, last_at)
               select institution_id, user_id, fiscal_year, course_code, started_at, submitted_at from a
               on conflict (institution_id, user_id, fiscal_year, course_code) do update
               set first_at = least(course_activity.first_at, excluded.first_at),
                   last_at = greatest(course_activity.last_at, excluded.last_at)
           ), answers as (
               insert into test_answers (institution_id, attempt_id, question_number, chosen, correct)
               select $1, $2, n, m::smallint[], c from unnest($11::int[], $12::text[], $13::bool[]) as t(n, m, c)
               where exists (select 1 from a)
               on conflict do nothing
           )
           select count(*) as "n!" from a"#,
        who.institution_id,
        a.id,
        who.user_id,
        a.code,
        a.version_id,
        who.fiscal_year.year(),
        a.total,
        a.pass_mark,
        score,
        passed,
        &numbers,
        &marks,
        &correct,
        a.shown.map(Json) as _
    )
    .fetch_one(conn)
    .await?;
    Ok(stored == 1)
}

/// Records an answer to an open attempt of the learner's. The first answer to a question
/// counts: once the explanation has been shown, answering again changes nothing.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %who.institution_id, user = %who.user_id, attempt = %attempt_id, question))]
pub async fn record_answer(
    conn: &mut PgConnection,
    who: Learner,
    attempt_id: Uuid,
    question: i32,
    chosen: &[i16],
    correct: bool,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "insert into test_answers (institution_id, attempt_id, question_number, chosen, correct)
         select a.institution_id, a.id, $4, $5, $6 from test_attempts a
         where a.institution_id = $1 and a.id = $2 and a.user_id = $3 and a.submitted_at is null
         on conflict do nothing",
        who.institution_id,
        attempt_id,
        who.user_id,
        question,
        chosen,
        correct
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes an attempt with its score. Does nothing to an attempt already closed.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %who.institution_id, user = %who.user_id, attempt = %attempt_id, score, passed))]
pub async fn finish_attempt(
    conn: &mut PgConnection,
    who: Learner,
    attempt_id: Uuid,
    score: i32,
    passed: bool,
) -> Result<bool, sqlx::Error> {
    // The submission is the attempt's latest activity: course_activity is kept in the same
    // statement (its row exists since the attempt started; one row per closed attempt).
    let done = sqlx::query!(
        "with a as (
             update test_attempts set submitted_at = now(), score = $4, passed = $5
             where institution_id = $1 and id = $2 and user_id = $3 and submitted_at is null
             returning institution_id, user_id, fiscal_year, course_code, started_at, submitted_at
         )
         insert into course_activity (institution_id, user_id, fiscal_year, course_code, first_at, last_at)
         select institution_id, user_id, fiscal_year, course_code, started_at, submitted_at from a
         on conflict (institution_id, user_id, fiscal_year, course_code) do update
         set first_at = least(course_activity.first_at, excluded.first_at),
             last_at = greatest(course_activity.last_at, excluded.last_at)",
        who.institution_id,
        attempt_id,
        who.user_id,
        score,
        passed
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the answers of an attempt in one statement.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %who.institution_id, attempt = %attempt_id, answers = answers.len()))]
pub async fn insert_answers(
    conn: &mut PgConnection,
    who: Learner,
    attempt_id: Uuid,
    answers: &[AnswerRow],
) -> Result<(), sqlx::Error> {
    let (numbers, marks, correct) = answer_columns(answers);
    sqlx::query!(
        "insert into test_answers (institution_id, attempt_id, question_number, chosen, correct)
         select $1, $2, n, m::smallint[], c from unnest($3::int[], $4::text[], $5::bool[]) as t(n, m, c)
         on conflict do nothing",
        who.institution_id,
        attempt_id,
        &numbers,
        &marks,
        &correct
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Every submitted attempt of a person in a fiscal year, newest first:
/// (course title, submitted at, score, total, passed).
pub async fn attempt_history(
    conn: &mut PgConnection,
    who: Learner,
) -> Result<Vec<(String, OffsetDateTime, i32, i32, bool)>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"select c.title, a.submitted_at as "submitted_at!", a.score as "score!", a.total, a.passed as "passed!"
           from test_attempts a join courses c on c.code = a.course_code
           where a.institution_id = $1 and a.user_id = $2 and a.fiscal_year = $3 and a.submitted_at is not null
           order by a.submitted_at desc"#,
        who.institution_id,
        who.user_id,
        who.fiscal_year.year()
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.title, r.submitted_at, r.score, r.total, r.passed))
    .collect())
}
