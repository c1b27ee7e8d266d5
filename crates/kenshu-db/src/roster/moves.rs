//! Transfers and leavings by login ID, made now or scheduled for their day: what an import
//! applies, and what the demo data uses directly.

use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

/// Moves people (by login ID) to divisions (by code) from the given days: each placement that
/// reaches into the day ends the day before, so the history stays, and whatever was planned
/// from a later day is replaced. A transfer dated after `today` is scheduled: the person's
/// current division changes on its day (`take_effect`).
#[tracing::instrument(level = "debug", skip_all, fields(institution = %inst, people = logins.len()))]
pub async fn transfer_people(
    conn: &mut PgConnection,
    inst: Uuid,
    logins: &[String],
    to: &[String],
    on: &[Date],
    today: Date,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "delete from placements p
         using unnest($2::text[], $3::date[]) as t(l, d)
         join users u on u.institution_id = $1 and u.login_id = t.l
         where p.institution_id = $1 and p.user_id = u.id and p.valid_from > t.d",
        inst,
        logins,
        on
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update placements p set valid_to = t.d - 1
         from unnest($2::text[], $3::date[]) as t(l, d)
         join users u on u.institution_id = $1 and u.login_id = t.l
         where p.institution_id = $1 and p.user_id = u.id and p.valid_from < t.d
           and (p.valid_to is null or p.valid_to >= t.d)",
        inst,
        logins,
        on
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into placements (institution_id, user_id, valid_from, division_id)
         select $1, u.id, t.d, d.id
         from unnest($2::text[], $3::text[], $4::date[]) as t(l, dc, d)
         join users u on u.institution_id = $1 and u.login_id = t.l
         join divisions d on d.institution_id = $1 and d.code = t.dc
         on conflict (institution_id, user_id, valid_from) do update set division_id = excluded.division_id, valid_to = null",
        inst,
        logins,
        to,
        on
    )
    .execute(&mut *conn)
    .await?;
    // Now: the current division, and no transfer left pending. Later: the schedule.
    sqlx::query!(
        "with t as (
             select u.id, d.id as division_id, t.d
             from unnest($2::text[], $3::text[], $4::date[]) as t(l, dc, d)
             join users u on u.institution_id = $1 and u.login_id = t.l
             join divisions d on d.institution_id = $1 and d.code = t.dc
         ),
         now as (
             update users u set division_id = t.division_id from t
             where u.institution_id = $1 and u.id = t.id and t.d <= $5
         ),
         dropped as (
             delete from roster_schedule s using t
             where s.institution_id = $1 and s.user_id = t.id and s.kind = 'transfer' and t.d <= $5
         )
         insert into roster_schedule (institution_id, user_id, kind, due, division_id)
         select $1, t.id, 'transfer', t.d, t.division_id from t where t.d > $5
         on conflict (institution_id, user_id, kind) do update set due = excluded.due, division_id = excluded.division_id",
        inst,
        logins,
        to,
        on,
        today
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records that people (by login ID) leave, each on their last day: never deleted, their
/// placement ends that day and nothing planned after it stays. Once the day has ended (it is
/// before `today`) they are disabled and signed out at once; a last day still to come is
/// scheduled, and until it has ended they keep working and signing in.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %inst, people = logins.len()))]
pub async fn leave_people(
    conn: &mut PgConnection,
    inst: Uuid,
    logins: &[String],
    on: &[Date],
    today: Date,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "with t as (
             select u.id, t.d
             from unnest($2::text[], $3::date[]) as t(l, d)
             join users u on u.institution_id = $1 and u.login_id = t.l
         ),
         gone as (
             update users u set left_on = t.d,
                    status = case when t.d < $4 then 'left' else u.status end,
                    active = case when t.d < $4 then false else u.active end
             from t where u.institution_id = $1 and u.id = t.id
         ),
         dropped as (
             delete from roster_schedule s using t
             where s.institution_id = $1 and s.user_id = t.id
               and ((s.kind = 'leave' and t.d < $4) or (s.kind = 'transfer' and s.due > t.d))
         ),
         signed_out as (
             delete from sessions s using t
             where s.institution_id = $1 and s.user_id = t.id and t.d < $4
         ),
         later as (
             delete from placements p using t
             where p.institution_id = $1 and p.user_id = t.id and p.valid_from > t.d
         )
         insert into roster_schedule (institution_id, user_id, kind, due)
         select $1, t.id, 'leave', t.d + 1 from t where t.d >= $4
         on conflict (institution_id, user_id, kind) do update set due = excluded.due",
        inst,
        logins,
        on,
        today
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update placements p set valid_to = greatest(p.valid_from, t.d)
         from unnest($2::text[], $3::date[]) as t(l, d)
         join users u on u.institution_id = $1 and u.login_id = t.l
         where p.institution_id = $1 and p.user_id = u.id
           and (p.valid_to is null or p.valid_to > t.d) and p.valid_from <= t.d",
        inst,
        logins,
        on
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
