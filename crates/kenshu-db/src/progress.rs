//! A person's progress: sections read, test attempts and answers, completions.

use kenshu_core::FiscalYear;
use kenshu_core::assignment::course_complete;
use kenshu_core::content::CoursePackage;
use sqlx::PgConnection;
use sqlx::types::Json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// Who and when: the key of every progress query.
#[derive(Debug, Clone, Copy)]
pub struct Learner {
    pub institution_id: Uuid,
    pub user_id: Uuid,
    pub fiscal_year: FiscalYear,
}

#[derive(Debug, Clone)]
pub struct Completion {
    pub completed_at: OffsetDateTime,
    pub method: String,
    pub score: Option<i32>,
    pub total: Option<i32>,
    pub content_version_id: Uuid,
    pub version: i32,
}

/// One line of "My training".
#[derive(Debug, Clone)]
pub struct CourseSummary {
    pub code: String,
    pub title: String,
    pub version_id: Uuid,
    pub sections_read: i64,
    pub attempts: i64,
    pub exempt: bool,
    pub completion: Option<Completion>,
    /// A re-attendance deadline (再受講) granted for the year, which replaces the plan's.
    pub retake: Option<Date>,
}

/// The summary of the given courses for a learner's fiscal year, in one query.
pub async fn summaries(
    conn: &mut PgConnection,
    who: Learner,
    codes: &[&str],
) -> Result<Vec<CourseSummary>, sqlx::Error> {
    let codes: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    // `array_position` rather than `c.code = any($4)`: PostgreSQL estimated the generic plan of
    // `any($4)` dearer than a plan for the very codes and planned the statement anew on every
    // call (a custom plan: 260 µs of planning to run it in 6 µs; `pg_stat_statements` with
    // `track_planning`). The planner cannot look into `array_position`, so the plan for the
    // codes costs the same as the generic one, and the generic plan is kept after five calls.
    let rows = sqlx::query!(
        r#"select c.code, c.title, c.current_version_id as "version_id!",
                  (select count(*) from section_reads r
                    where r.institution_id = $1 and r.user_id = $2 and r.fiscal_year = $3 and r.course_code = c.code) as "reads!",
                  (select count(*) from test_attempts a
                    where a.institution_id = $1 and a.user_id = $2 and a.fiscal_year = $3 and a.course_code = c.code) as "attempts!",
                  exists(select 1 from exemptions e
                    where e.institution_id = $1 and e.user_id = $2 and e.fiscal_year = $3 and e.course_code = c.code) as "exempt!",
                  (select r.deadline from retakes r
                    where r.institution_id = $1 and r.user_id = $2 and r.fiscal_year = $3 and r.course_code = c.code) as "retake?",
                  cp.completed_at as "completed_at?", cp.method as "method?", cp.score, cp.total,
                  cp.content_version_id as "cp_version_id?", v.version as "cp_version?"
           from courses c
           left join completions cp on cp.institution_id = $1 and cp.user_id = $2 and cp.fiscal_year = $3 and cp.course_code = c.code
           left join content_versions v on v.id = cp.content_version_id
           where c.current_version_id is not null and array_position($4::text[], c.code) is not null
           order by c.position"#,
        who.institution_id,
        who.user_id,
        who.fiscal_year.0,
        &codes
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CourseSummary {
            code: r.code,
            title: r.title,
            version_id: r.version_id,
            sections_read: r.reads,
            attempts: r.attempts,
            exempt: r.exempt,
            retake: r.retake,
            completion: match (r.completed_at, r.method, r.cp_version_id) {
                (Some(completed_at), Some(method), Some(content_version_id)) => Some(Completion {
                    completed_at,
                    method,
                    score: r.score,
                    total: r.total,
                    content_version_id,
                    version: r.cp_version.unwrap_or(0),
                }),
                _ => None,
            },
        })
        .collect())
}

/// Where a learner stands in one course: the data of a course or section page, in one query.
#[derive(Debug, Clone)]
pub struct CourseProgress {
    pub version_id: Uuid,
    pub read_slugs: Vec<String>,
    pub test_passed: bool,
    pub completed_at: Option<OffsetDateTime>,
    /// Attendance at an in-person session of the course this year was recorded.
    pub attended: bool,
}

pub async fn course_progress(
    conn: &mut PgConnection,
    who: Learner,
    code: &str,
) -> Result<Option<CourseProgress>, sqlx::Error> {
    sqlx::query_as!(
        CourseProgress,
        r#"select c.current_version_id as "version_id!",
                  array(select r.section_slug from section_reads r
                        where r.institution_id = $1 and r.user_id = $2 and r.fiscal_year = $3 and r.course_code = c.code) as "read_slugs!",
                  exists(select 1 from test_attempts a
                         where a.institution_id = $1 and a.user_id = $2 and a.fiscal_year = $3 and a.course_code = c.code
                           and a.passed) as "test_passed!",
                  cp.completed_at as "completed_at?",
                  exists(select 1 from in_person_participants p
                         join in_person_sessions s on s.institution_id = p.institution_id and s.id = p.session_id
                         where p.institution_id = $1 and p.user_id = $2 and s.fiscal_year = $3 and s.course_code = c.code
                           and p.attended_at is not null) as "attended!"
           from courses c
           left join completions cp on cp.institution_id = $1 and cp.user_id = $2 and cp.fiscal_year = $3 and cp.course_code = c.code
           where c.code = $4 and c.current_version_id is not null"#,
        who.institution_id,
        who.user_id,
        who.fiscal_year.0,
        code
    )
    .fetch_optional(conn)
    .await
}

/// What a section page needs: the course's current version and whether the learner has read
/// this section, by two primary-key probes (the whole [`course_progress`] read twice as many
/// pages of the database on the most frequent page of all).
pub async fn section_progress(
    conn: &mut PgConnection,
    who: Learner,
    code: &str,
    slug: &str,
) -> Result<Option<(Uuid, bool)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"select c.current_version_id as "version_id!",
                  exists(select 1 from section_reads r
                         where r.institution_id = $1 and r.user_id = $2 and r.fiscal_year = $3
                           and r.course_code = c.code and r.section_slug = $5) as "read!"
           from courses c
           where c.code = $4 and c.current_version_id is not null"#,
        who.institution_id,
        who.user_id,
        who.fiscal_year.0,
        code,
        slug
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.version_id, r.read)))
}

pub async fn mark_read(
    conn: &mut PgConnection,
    who: Learner,
    code: &str,
    slug: &str,
    version_id: Uuid,
) -> Result<(), sqlx::Error> {
    // The first read of a section is activity: course_activity is kept in the same statement.
    sqlx::query!(
        "with r as (
             insert into section_reads (institution_id, user_id, fiscal_year, course_code, section_slug, content_version_id)
             values ($1, $2, $3, $4, $5, $6) on conflict do nothing
             returning institution_id, user_id, fiscal_year, course_code, read_at
         )
         insert into course_activity (institution_id, user_id, fiscal_year, course_code, first_at, last_at)
         select institution_id, user_id, fiscal_year, course_code, read_at, read_at from r
         on conflict (institution_id, user_id, fiscal_year, course_code) do update
         set first_at = least(course_activity.first_at, excluded.first_at),
             last_at = greatest(course_activity.last_at, excluded.last_at)",
        who.institution_id,
        who.user_id,
        who.fiscal_year.0,
        code,
        slug,
        version_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One attempt at a test, with its answers (question number, answer ○ = true, correct).
#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: Uuid,
    pub content_version_id: Uuid,
    pub started_at: OffsetDateTime,
    pub submitted_at: Option<OffsetDateTime>,
    pub score: Option<i32>,
    pub total: i32,
    pub pass_mark: i32,
    pub passed: Option<bool>,
    pub answers: Vec<(i32, bool, bool)>,
}

/// Every attempt a learner made at a course's test in the fiscal year, oldest first.
pub async fn attempts(
    conn: &mut PgConnection,
    who: Learner,
    code: &str,
) -> Result<Vec<Attempt>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"select a.id, a.content_version_id, a.started_at, a.submitted_at, a.score, a.total, a.pass_mark, a.passed,
                  coalesce((select json_agg(json_build_array(t.question_number, t.answer, t.correct) order by t.question_number)
                            from test_answers t where t.institution_id = a.institution_id and t.attempt_id = a.id),
                           '[]'::json) as "answers!: Json<Vec<(i32, bool, bool)>>"
           from test_attempts a
           where a.institution_id = $1 and a.user_id = $2 and a.fiscal_year = $3 and a.course_code = $4
           order by a.started_at, a.id"#,
        who.institution_id,
        who.user_id,
        who.fiscal_year.0,
        code
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Attempt {
            id: r.id,
            content_version_id: r.content_version_id,
            started_at: r.started_at,
            submitted_at: r.submitted_at,
            score: r.score,
            total: r.total,
            pass_mark: r.pass_mark,
            passed: r.passed,
            answers: r.answers.0,
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
    pub total: i32,
    pub pass_mark: i32,
}

/// Starts an attempt; starting the same attempt id again does nothing. Returns whether the
/// attempt is the learner's (false if the id belongs to someone else).
pub async fn start_attempt(
    conn: &mut PgConnection,
    who: Learner,
    a: NewAttempt<'_>,
) -> Result<bool, sqlx::Error> {
    // A new attempt is activity: course_activity is kept in the same statement.
    let inserted = sqlx::query_scalar!(
        r#"with a as (
               insert into test_attempts (institution_id, id, user_id, course_code, content_version_id, fiscal_year, total, pass_mark)
               values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing
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
        who.fiscal_year.0,
        a.total,
        a.pass_mark
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

/// Answers (question, answer, correct) as the three arrays `unnest` takes.
fn answer_columns(answers: &[(i32, bool, bool)]) -> (Vec<i32>, Vec<bool>, Vec<bool>) {
    let mut columns = (
        Vec::with_capacity(answers.len()),
        Vec::with_capacity(answers.len()),
        Vec::with_capacity(answers.len()),
    );
    for &(n, m, c) in answers {
        columns.0.push(n);
        columns.1.push(m);
        columns.2.push(c);
    }
    columns
}

/// Stores a final test handed in whole, in one statement: the attempt (opened and closed at
/// once, with its score), the course activity and the answers. Returns whether this call
/// stored it; `false` when the attempt id exists already (a retried submission, or someone
/// else's id), which the caller settles with `start_attempt` and `finish_attempt`.
pub async fn submit_attempt(
    conn: &mut PgConnection,
    who: Learner,
    a: NewAttempt<'_>,
    score: i32,
    passed: bool,
    answers: &[(i32, bool, bool)],
) -> Result<bool, sqlx::Error> {
    let (numbers, marks, correct) = answer_columns(answers);
    let stored = sqlx::query_scalar!(
        r#"with a as (
               insert into test_attempts (institution_id, id, user_id, course_code, content_version_id, fiscal_year,
                                          total, pass_mark, submitted_at, score, passed)
               values ($1, $2, $3, $4, $5, $6, $7, $8, now(), $9, $10) on conflict do nothing
               returning institution_id, user_id, fiscal_year, course_code, started_at, submitted_at
           ), s as (
               insert into course_activity (institution_id, user_id, fiscal_year, course_code, first_at, last_at)
               select institution_id, user_id, fiscal_year, course_code, started_at, submitted_at from a
               on conflict (institution_id, user_id, fiscal_year, course_code) do update
               set first_at = least(course_activity.first_at, excluded.first_at),
                   last_at = greatest(course_activity.last_at, excluded.last_at)
           ), answers as (
               insert into test_answers (institution_id, attempt_id, question_number, answer, correct)
               select $1, $2, n, m, c from unnest($11::int[], $12::bool[], $13::bool[]) as t(n, m, c)
               where exists (select 1 from a)
               on conflict do nothing
           )
           select count(*) as "n!" from a"#,
        who.institution_id,
        a.id,
        who.user_id,
        a.code,
        a.version_id,
        who.fiscal_year.0,
        a.total,
        a.pass_mark,
        score,
        passed,
        &numbers,
        &marks,
        &correct
    )
    .fetch_one(conn)
    .await?;
    Ok(stored == 1)
}

/// Records an answer to an open attempt of the learner's. The first answer to a question
/// counts: once the explanation has been shown, answering again changes nothing.
pub async fn record_answer(
    conn: &mut PgConnection,
    who: Learner,
    attempt_id: Uuid,
    question: i32,
    answer: bool,
    correct: bool,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "insert into test_answers (institution_id, attempt_id, question_number, answer, correct)
         select a.institution_id, a.id, $4, $5, $6 from test_attempts a
         where a.institution_id = $1 and a.id = $2 and a.user_id = $3 and a.submitted_at is null
         on conflict do nothing",
        who.institution_id,
        attempt_id,
        who.user_id,
        question,
        answer,
        correct
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes an attempt with its score. Does nothing to an attempt already closed.
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
pub async fn insert_answers(
    conn: &mut PgConnection,
    who: Learner,
    attempt_id: Uuid,
    answers: &[(i32, bool, bool)],
) -> Result<(), sqlx::Error> {
    let (numbers, marks, correct) = answer_columns(answers);
    sqlx::query!(
        "insert into test_answers (institution_id, attempt_id, question_number, answer, correct)
         select $1, $2, n, m, c from unnest($3::int[], $4::bool[], $5::bool[]) as t(n, m, c)
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

/// Records a course as completed, unless it already is for the fiscal year. The method is
/// `in_person` when the person `attended` an in-person session of the course that year (the
/// plan may ask for the test on top of attendance), else `e_learning`.
pub async fn complete(
    conn: &mut PgConnection,
    who: Learner,
    code: &str,
    version_id: Uuid,
    attended: bool,
    score: Option<(i32, i32)>,
    attempt_id: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "insert into completions (institution_id, user_id, course_code, fiscal_year, content_version_id, method, score, total, attempt_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing",
        who.institution_id,
        who.user_id,
        code,
        who.fiscal_year.0,
        version_id,
        if attended { "in_person" } else { "e_learning" },
        score.map(|s| s.0),
        score.map(|s| s.1),
        attempt_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Completes the course if every section of the current version has been read and its test,
/// if any, passed — or if the person attended an in-person session of it and passed its test
/// (attendance stands in for reading); records the first passing attempt's score. Returns
/// whether it completed now.
pub async fn settle_course(
    conn: &mut PgConnection,
    who: Learner,
    package: &CoursePackage,
    version_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let Some(mut progress) = course_progress(&mut *conn, who, &package.code).await? else {
        return Ok(false);
    };
    progress.version_id = version_id;
    settle_course_with(conn, who, package, &progress).await
}

/// `settle_course` with the progress the caller has just read in the same transaction (and
/// brought up to date with what it wrote since), so that it is not read twice; a completion
/// records `progress.version_id`.
pub async fn settle_course_with(
    conn: &mut PgConnection,
    who: Learner,
    package: &CoursePackage,
    progress: &CourseProgress,
) -> Result<bool, sqlx::Error> {
    let version_id = progress.version_id;
    if progress.completed_at.is_some() {
        return Ok(false);
    }
    // Attendance stands in for reading.
    let read = if progress.attended {
        package.sections.len()
    } else {
        package
            .sections
            .iter()
            .filter(|s| progress.read_slugs.contains(&s.slug))
            .count()
    };
    if !course_complete(
        package.sections.len(),
        read,
        package.test.is_some(),
        progress.test_passed,
    ) {
        return Ok(false);
    }
    let first_pass = if package.test.is_some() {
        attempts(&mut *conn, who, &package.code)
            .await?
            .into_iter()
            .filter(|a| a.passed == Some(true))
            .min_by_key(|a| a.submitted_at)
    } else {
        None
    };
    let score = first_pass
        .as_ref()
        .and_then(|a| a.score.map(|s| (s, a.total)));
    complete(
        conn,
        who,
        &package.code,
        version_id,
        progress.attended,
        score,
        first_pass.map(|a| a.id),
    )
    .await
}

/// Per person and course of a division for a fiscal year: how far each has got.
#[derive(Debug, Clone)]
pub struct DivisionProgress {
    pub user_id: Uuid,
    pub course_code: String,
    pub completed: Option<String>,
    pub exempt: bool,
    pub activity: bool,
    pub last_activity: Option<OffsetDateTime>,
}

/// Everything the dashboard needs about progress in a division, in one query.
pub async fn division_progress(
    conn: &mut PgConnection,
    institution_id: Uuid,
    division_id: Uuid,
    fy: FiscalYear,
) -> Result<Vec<DivisionProgress>, sqlx::Error> {
    sqlx::query_as!(
        DivisionProgress,
        r#"with people as (
               select id from users where institution_id = $1 and division_id = $2 and status <> 'left'
           ), acts as (
               -- One row per (person, course), kept on every read and attempt; both tables
               -- carry the person's current division (migration 0021), read as one range.
               select a.user_id, a.course_code, a.last_at as at from course_activity a
               where a.institution_id = $1 and a.division_id = $2 and a.fiscal_year = $3
                 and a.user_id in (select id from people)
           ), done as (
               select c.user_id, c.course_code, c.method from completions c
               where c.institution_id = $1 and c.division_id = $2 and c.fiscal_year = $3
                 and c.user_id in (select id from people)
           ), exempt as (
               select e.user_id, e.course_code from exemptions e
               where e.institution_id = $1 and e.fiscal_year = $3 and e.user_id in (select id from people)
           ), keys as (
               select user_id, course_code from acts
               union select user_id, course_code from done
               union select user_id, course_code from exempt
           )
           -- Joins of the small per-division sets only: joining the completions table itself
           -- let the planner scan all of it (the whole institution's) for a 500-staff division.
           select k.user_id as "user_id!", k.course_code as "course_code!",
                  d.method as "completed?",
                  e.user_id is not null as "exempt!",
                  a.user_id is not null as "activity!",
                  a.at as "last_activity?"
           from keys k
           left join acts a on a.user_id = k.user_id and a.course_code = k.course_code
           left join done d on d.user_id = k.user_id and d.course_code = k.course_code
           left join exempt e on e.user_id = k.user_id and e.course_code = k.course_code"#,
        institution_id,
        division_id,
        fy.0
    )
    .fetch_all(conn)
    .await
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
        who.fiscal_year.0
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.title, r.submitted_at, r.score, r.total, r.passed))
    .collect())
}
