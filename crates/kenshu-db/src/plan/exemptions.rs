//! Exemptions: a person who need not take a course this fiscal year, with the reason and who
//! decided.

use kenshu_core::FiscalYear;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// Records that a person need not take a course this fiscal year, with the reason and who
/// decided. A second decision for the same course replaces the first.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, user = %user_id, fiscal_year = fy.year(), course = course_code))]
pub async fn exempt(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    course_code: &str,
    fy: FiscalYear,
    reason: &str,
    decided_by: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into exemptions (institution_id, user_id, course_code, fiscal_year, reason, decided_by)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (institution_id, user_id, fiscal_year, course_code)
         do update set reason = excluded.reason, decided_by = excluded.decided_by, decided_at = now()",
        institution_id,
        user_id,
        course_code,
        fy.year(),
        reason,
        decided_by
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A person's exemptions for a year: (course, reason, who decided, when).
pub async fn exemptions(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    fy: FiscalYear,
) -> Result<Vec<(String, String, String, OffsetDateTime)>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"select e.course_code, e.reason, coalesce(u.name, '') as "decided_by!", e.decided_at
           from exemptions e left join users u on u.institution_id = e.institution_id and u.id = e.decided_by
           where e.institution_id = $1 and e.user_id = $2 and e.fiscal_year = $3 order by e.course_code"#,
        institution_id,
        user_id,
        fy.year()
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.course_code, r.reason, r.decided_by, r.decided_at))
    .collect())
}
