//! 対応記録: follow-ups of people who are not yet trained.

use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

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
