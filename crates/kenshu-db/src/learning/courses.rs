//! Where a learner stands in their courses: the "My training" list, a course or section page,
//! and sections marked read.

use kenshu_core::assignment::CompletionMethod;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::Learner;

#[derive(Debug, Clone)]
pub struct Completion {
    pub completed_at: OffsetDateTime,
    pub method: CompletionMethod,
    pub score: Option<i32>,
    pub total: Option<i32>,
    pub content_version_id: Uuid,
    pub version: i32,
    /// The certificate's own number (twelve hexadecimal digits; see migration 0046).
    pub certificate_no: String,
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
                  cp.content_version_id as "cp_version_id?", v.version as "cp_version?",
                  cp.certificate_no as "certificate_no?"
           from courses c
           left join completions cp on cp.institution_id = $1 and cp.user_id = $2 and cp.fiscal_year = $3 and cp.course_code = c.code
           left join content_versions v on v.id = cp.content_version_id
           where c.current_version_id is not null and array_position($4::text[], c.code) is not null
             and (c.institution_id is null or c.institution_id = $1)
           order by c.position"#,
        who.institution_id,
        who.user_id,
        who.fiscal_year.year(),
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
            completion: match (
                r.completed_at,
                r.method.as_deref().and_then(CompletionMethod::parse),
                r.cp_version_id,
            ) {
                (Some(completed_at), Some(method), Some(content_version_id)) => Some(Completion {
                    completed_at,
                    method,
                    score: r.score,
                    total: r.total,
                    content_version_id,
                    version: r.cp_version.unwrap_or(0),
                    certificate_no: r.certificate_no.unwrap_or_default(),
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
           where c.code = $4 and c.current_version_id is not null
             and (c.institution_id is null or c.institution_id = $1)"#,
        who.institution_id,
        who.user_id,
        who.fiscal_year.year(),
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
           where c.code = $4 and c.current_version_id is not null
             and (c.institution_id is null or c.institution_id = $1)"#,
        who.institution_id,
        who.user_id,
        who.fiscal_year.year(),
        code,
        slug
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.version_id, r.read)))
}

#[tracing::instrument(level = "debug", skip_all, fields(institution = %who.institution_id, user = %who.user_id, course = code))]
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
        who.fiscal_year.year(),
        code,
        slug,
        version_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What the certificate verification page shows of a completion: no more than the
/// certificate itself says.
#[derive(Debug, Clone)]
pub struct VerifiedCertificate {
    pub name: String,
    pub course_title: String,
    pub completed_at: OffsetDateTime,
}

/// The completion a certificate number names: the institution's code, the fiscal year and the
/// certificate's own number must all match.
pub async fn verify_certificate(
    conn: &mut PgConnection,
    institution_code: &str,
    fiscal_year: i32,
    certificate_no: &str,
) -> Result<Option<VerifiedCertificate>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"select u.name, c.title, cp.completed_at
           from completions cp
           join institutions i on i.id = cp.institution_id
           join users u on u.institution_id = cp.institution_id and u.id = cp.user_id
           join courses c on c.code = cp.course_code
           where cp.certificate_no = $3 and i.code = $1 and cp.fiscal_year = $2"#,
        institution_code,
        fiscal_year,
        certificate_no
    )
    .fetch_optional(conn)
    .await?
    .map(|r| VerifiedCertificate {
        name: r.name,
        course_title: r.title,
        completed_at: r.completed_at,
    }))
}
