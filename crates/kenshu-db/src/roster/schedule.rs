//! Roster changes dated ahead: listed for the roster page, and made when their day comes.

use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

/// A roster change waiting for its day, for the roster page.
#[derive(Debug, Clone)]
pub struct Pending {
    pub login_id: String,
    pub name: String,
    /// `transfer` or `leave`.
    pub kind: String,
    /// The first day it holds (for a leaving, the day after the last day).
    pub due: Date,
    /// For a transfer: the division they move to.
    pub division: Option<String>,
}

/// The institution's scheduled changes, soonest first.
pub async fn pending(
    conn: &mut PgConnection,
    institution_id: Uuid,
) -> Result<Vec<Pending>, sqlx::Error> {
    sqlx::query_as!(
        Pending,
        r#"select u.login_id, u.name, s.kind, s.due, d.name as "division?"
           from roster_schedule s
           join users u on u.institution_id = s.institution_id and u.id = s.user_id
           left join divisions d on d.institution_id = s.institution_id and d.id = s.division_id
           where s.institution_id = $1
           order by s.due, u.login_id, s.kind"#,
        institution_id
    )
    .fetch_all(conn)
    .await
}

/// What `take_effect` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TookEffect {
    pub transfers: u64,
    pub leavers: u64,
}

/// Makes the scheduled roster changes whose day has come (`today`, in Japan): transfers move
/// people's current division, leavings disable the account and sign it out. Idempotent and
/// safe to run from several instances at once: each change is taken by exactly one of them.
pub async fn take_effect(conn: &mut PgConnection, today: Date) -> Result<TookEffect, sqlx::Error> {
    take_effect_in(conn, today, None).await
}

/// `take_effect` for one institution only (`Some`), as an import does inside its transaction:
/// it must not hold other institutions' rows until it commits.
#[tracing::instrument(level = "debug", skip_all, fields(%today))]
pub async fn take_effect_in(
    conn: &mut PgConnection,
    today: Date,
    institution_id: Option<Uuid>,
) -> Result<TookEffect, sqlx::Error> {
    let transfers = sqlx::query!(
        "with due as (
             delete from roster_schedule
             where kind = 'transfer' and due <= $1 and ($2::uuid is null or institution_id = $2)
             returning institution_id, user_id, division_id
         )
         update users u set division_id = due.division_id from due
         where u.institution_id = due.institution_id and u.id = due.user_id",
        today,
        institution_id
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let leavers = sqlx::query!(
        "with due as (
             delete from roster_schedule
             where kind = 'leave' and due <= $1 and ($2::uuid is null or institution_id = $2)
             returning institution_id, user_id
         ),
         signed_out as (
             delete from sessions s using due
             where s.institution_id = due.institution_id and s.user_id = due.user_id
         )
         update users u set status = 'left', active = false from due
         where u.institution_id = due.institution_id and u.id = due.user_id",
        today,
        institution_id
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(TookEffect { transfers, leavers })
}
