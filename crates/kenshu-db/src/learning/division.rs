//! A division's progress for its officer's dashboard, person by person and course by course.

use kenshu_core::FiscalYear;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// Per person and course of a division for a fiscal year: how far each has got.
#[derive(Debug, Clone)]
pub struct DivisionProgress {
    pub user_id: Uuid,
    pub course_code: String,
    /// The completion's stored method, if completed ([`DivisionProgress::method`]).
    pub completed: Option<String>,
    pub exempt: bool,
    pub activity: bool,
    pub last_activity: Option<OffsetDateTime>,
}

impl DivisionProgress {
    /// How the course was completed, if it was.
    pub fn method(&self) -> Option<kenshu_core::assignment::CompletionMethod> {
        self.completed
            .as_deref()
            .and_then(kenshu_core::assignment::CompletionMethod::parse)
    }
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
        fy.year()
    )
    .fetch_all(conn)
    .await
}
