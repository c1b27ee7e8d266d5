//! 対応記録: follow-ups of people who are not yet trained.

use kenshu_core::FiscalYear;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, user = %user_id))]
pub async fn add(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    on: Date,
    method: &str,
    note: &str,
    by: Uuid,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "insert into follow_ups (institution_id, user_id, happened_on, method, note, recorded_by)
         values ($1, $2, $3, $4, $5, $6) returning id",
        institution_id,
        user_id,
        on,
        method,
        note,
        by
    )
    .fetch_one(conn)
    .await
}

#[derive(Debug, Clone)]
pub struct FollowUp {
    pub happened_on: Date,
    pub method: String,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: OffsetDateTime,
}

/// A person's follow-ups, newest first.
pub async fn for_person(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
) -> Result<Vec<FollowUp>, sqlx::Error> {
    sqlx::query_as!(
        FollowUp,
        r#"select f.happened_on, f.method, f.note, coalesce(u.name, '') as "recorded_by!", f.recorded_at
           from follow_ups f left join users u on u.institution_id = f.institution_id and u.id = f.recorded_by
           where f.institution_id = $1 and f.user_id = $2 order by f.happened_on desc, f.recorded_at desc"#,
        institution_id,
        user_id
    )
    .fetch_all(conn)
    .await
}

/// The latest follow-up date of each active person of a division.
pub async fn latest_in_division(
    conn: &mut PgConnection,
    institution_id: Uuid,
    division_id: Uuid,
) -> Result<Vec<(Uuid, Date)>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"select f.user_id, max(f.happened_on) as "on!" from follow_ups f
           join users u on u.institution_id = f.institution_id and u.id = f.user_id
           where f.institution_id = $1 and u.division_id = $2 group by f.user_id"#,
        institution_id,
        division_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.user_id, r.on))
    .collect())
}

/// Gives people a new deadline for a course this year (再受講の機会); a later grant replaces an
/// earlier one. `people` are (user id, course code).
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, fiscal_year = fiscal_year.year(), people = people.len()))]
pub async fn grant_retakes(
    conn: &mut PgConnection,
    institution_id: Uuid,
    people: &[(Uuid, String)],
    fiscal_year: FiscalYear,
    deadline: Date,
    by: Uuid,
) -> Result<u64, sqlx::Error> {
    let ids: Vec<Uuid> = people.iter().map(|p| p.0).collect();
    let codes: Vec<String> = people.iter().map(|p| p.1.clone()).collect();
    Ok(sqlx::query!(
        "insert into retakes (institution_id, user_id, course_code, fiscal_year, deadline, granted_by)
         select $1, u, c, $4, $5, $6 from unnest($2::uuid[], $3::text[]) as t(u, c)
         on conflict (institution_id, user_id, fiscal_year, course_code)
         do update set deadline = excluded.deadline, granted_by = excluded.granted_by, granted_at = now()",
        institution_id,
        &ids,
        &codes,
        fiscal_year.year(),
        deadline,
        by
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// Re-attendance deadlines in a division for a year: (user, course, deadline).
pub async fn retakes_in_division(
    conn: &mut PgConnection,
    institution_id: Uuid,
    division_id: Uuid,
    fiscal_year: FiscalYear,
) -> Result<Vec<(Uuid, String, Date)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select r.user_id, r.course_code, r.deadline from retakes r
         join users u on u.institution_id = r.institution_id and u.id = r.user_id
         where r.institution_id = $1 and u.division_id = $2 and r.fiscal_year = $3",
        institution_id,
        division_id,
        fiscal_year.year()
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.user_id, r.course_code, r.deadline))
    .collect())
}
