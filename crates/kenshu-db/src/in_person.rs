//! In-person sessions (集合研修): sessions, the people in them, their attendance, and the
//! installation secret that signs the check-in QR codes.
//!
//! This module holds the sessions themselves, the plan's setting of whether attendance needs
//! the test too, and the secret; `participants` the people in a session and their attendance;
//! `offers` the sessions as a staff member sees them; `corrections` corrections of attendance.

pub mod corrections;
mod offers;
mod participants;

pub use offers::{Offer, offers};
pub use participants::{
    Added, Participant, add, candidates, participants, record_attendance, remove,
};

use kenshu_core::FiscalYear;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// A session as listed, with how many have signed up and attended.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub course_code: String,
    pub course_title: String,
    pub fiscal_year: i32,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub place: String,
    pub capacity: i32,
    pub division_id: Option<Uuid>,
    pub division_name: Option<String>,
    pub cancelled: bool,
    pub signed_up: i64,
    pub attended: i64,
    /// Whether the approved plan of the year asks for the course's test on top of attendance.
    pub test_required: bool,
}

/// The constraint that keeps two sessions that are not cancelled out of one place at one time
/// (migration 0045).
pub const NO_DOUBLE_BOOKING: &str = "in_person_sessions_no_double_booking";

#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub institution_id: Uuid,
    pub course_code: &'a str,
    pub fiscal_year: FiscalYear,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub place: &'a str,
    pub capacity: i32,
    pub division_id: Option<Uuid>,
    pub created_by: Uuid,
}

#[tracing::instrument(level = "debug", skip_all, fields(institution = %s.institution_id, fiscal_year = s.fiscal_year.year(), course = s.course_code))]
pub async fn create(conn: &mut PgConnection, s: &NewSession<'_>) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "insert into in_person_sessions (institution_id, course_code, fiscal_year, starts_at, ends_at, place, capacity, division_id, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
        s.institution_id,
        s.course_code,
        s.fiscal_year.year(),
        s.starts_at,
        s.ends_at,
        s.place,
        s.capacity,
        s.division_id,
        s.created_by
    )
    .fetch_one(conn)
    .await
}

/// Sessions of the institution, newest first: all of them (`divisions` None), or only those
/// for the given divisions (institution-wide sessions are left out).
pub async fn list(
    conn: &mut PgConnection,
    institution_id: Uuid,
    divisions: Option<&[Uuid]>,
) -> Result<Vec<Session>, sqlx::Error> {
    sessions(conn, institution_id, None, divisions).await
}

/// One session of the institution.
pub async fn get(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
) -> Result<Option<Session>, sqlx::Error> {
    Ok(sessions(conn, institution_id, Some(id), None)
        .await?
        .into_iter()
        .next())
}

/// The one query behind `list` and `get`.
async fn sessions(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Option<Uuid>,
    divisions: Option<&[Uuid]>,
) -> Result<Vec<Session>, sqlx::Error> {
    let all = divisions.is_none();
    let divisions = divisions.unwrap_or_default();
    sqlx::query_as!(
        Session,
        r#"select s.id, s.course_code, c.title as course_title, s.fiscal_year, s.starts_at, s.ends_at, s.place,
                  s.capacity, s.division_id, d.name as "division_name?", s.cancelled,
                  (select count(*) from in_person_participants p where p.institution_id = s.institution_id and p.session_id = s.id) as "signed_up!",
                  (select count(*) from in_person_participants p where p.institution_id = s.institution_id and p.session_id = s.id
                      and p.attended_at is not null) as "attended!",
                  coalesce((select pc.in_person_test_required from plan_courses pc
                            join training_plans tp on tp.institution_id = pc.institution_id and tp.id = pc.plan_id
                            where pc.institution_id = s.institution_id and tp.fiscal_year = s.fiscal_year
                              and tp.status = 'approved' and pc.course_code = s.course_code), false) as "test_required!"
           from in_person_sessions s
           join courses c on c.code = s.course_code
           left join divisions d on d.institution_id = s.institution_id and d.id = s.division_id
           where s.institution_id = $1 and ($2::uuid is null or s.id = $2)
             and ($3 or s.division_id = any($4))
           order by s.starts_at desc, s.id"#,
        institution_id,
        id,
        all,
        divisions
    )
    .fetch_all(conn)
    .await
}

#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, session = %id))]
pub async fn cancel(
    conn: &mut PgConnection,
    institution_id: Uuid,
    id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update in_person_sessions set cancelled = true where institution_id = $1 and id = $2",
        institution_id,
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets whether a course of a draft plan asks for the test on top of attendance.
pub async fn set_test_required(
    conn: &mut PgConnection,
    institution_id: Uuid,
    plan_id: Uuid,
    course_code: &str,
    required: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update plan_courses set in_person_test_required = $4
         where institution_id = $1 and plan_id = $2 and course_code = $3",
        institution_id,
        plan_id,
        course_code,
        required
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The courses of a plan that ask for the test on top of attendance.
pub async fn test_required_courses(
    conn: &mut PgConnection,
    institution_id: Uuid,
    plan_id: Uuid,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "select course_code from plan_courses
         where institution_id = $1 and plan_id = $2 and in_person_test_required",
        institution_id,
        plan_id
    )
    .fetch_all(conn)
    .await
}

/// The installation's secret of this name, made from `fresh` on first use. Every portal
/// instance on the database reads the same one.
pub async fn secret(
    conn: &mut PgConnection,
    name: &str,
    fresh: &[u8],
) -> Result<Vec<u8>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"with made as (
               insert into installation_secrets (name, value) values ($1, $2)
               on conflict (name) do nothing returning value
           )
           select value as "value!" from made
           union all
           select value from installation_secrets where name = $1
           limit 1"#,
        name,
        fresh
    )
    .fetch_one(conn)
    .await
}
