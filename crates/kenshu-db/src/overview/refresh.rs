//! Bringing the kept counts up to date: which institutions need it, and the refresh of one
//! institution's year, its state row and the people whose dated facts changed.

use kenshu_core::FiscalYear;
use sqlx::{Connection, PgConnection};
use time::Date;
use uuid::Uuid;

use super::recount::{add, subtract};

/// The institutions with an approved plan for the fiscal year whose kept counts are not
/// current on `today`: never counted, held as of another day, the plan changed, or people
/// marked dirty — the ones [`refresh`] would work on. One statement, so that a background
/// keeper's pass with nothing to do costs about the same for 10 institutions or 1,800
/// (instead of one check per institution).
#[tracing::instrument(level = "debug", skip_all, fields(fiscal_year = fy.year()))]
pub async fn not_current(
    conn: &mut PgConnection,
    fy: FiscalYear,
    today: Date,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "select p.institution_id from training_plans p
         left join overview_state s on s.institution_id = p.institution_id
                                   and s.fiscal_year = p.fiscal_year
         where p.fiscal_year = $1 and p.status = 'approved'
           and (s.institution_id is null or s.as_of <> $2 or s.stale
                or exists (select 1 from overview_dirty d
                           where d.institution_id = p.institution_id and d.fiscal_year = $1))
         order by p.institution_id",
        fy.year(),
        fy.judged_on(today)
    )
    .fetch_all(conn)
    .await
}

/// What one refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Everyone was recounted: the first count of the year, or the plan changed.
    pub whole: bool,
    /// People recounted.
    pub people: u64,
}

/// Brings the kept tallies of an institution's fiscal year up to date on `today` (as of the
/// day [`FiscalYear::judged_on`] gives, `on`): recounts the people marked dirty by the
/// triggers of migration 0022 and the people whose dated facts (designations, transfers,
/// leaving) took or lost effect between the day the tallies hold and `on`; everyone when the
/// year has not been counted yet or its approved plan changed. Refreshes of one institution's
/// year take turns on its state row; writers are not blocked.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, fiscal_year = fy.year()))]
pub async fn refresh(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    today: Date,
) -> Result<Refreshed, sqlx::Error> {
    let on = fy.judged_on(today);
    // Most reads find nothing to do: they check without taking the lock, so that they do not
    // queue behind each other. A write committed after this check is simply not seen yet.
    let current = sqlx::query_scalar!(
        r#"select s.as_of = $3 and not s.stale
                  and not exists (select 1 from overview_dirty d
                                  where d.institution_id = $1 and d.fiscal_year = $2) as "current!"
           from overview_state s where s.institution_id = $1 and s.fiscal_year = $2"#,
        institution_id,
        fy.year(),
        on
    )
    .fetch_optional(&mut *conn)
    .await?;
    if current == Some(true) {
        return Ok(Refreshed::default());
    }
    let mut tx = conn.begin().await?;
    let state = match lock_state(&mut tx, institution_id, fy).await? {
        Some(s) => s,
        None => {
            tx.rollback().await?;
            // A year without an approved plan has nothing to count, and keeping its (empty)
            // counts would have every write mark people dirty for it. Approving the plan
            // leaves no state to mark stale: the next view counts the year whole.
            let planned = sqlx::query_scalar!(
                r#"select exists (select 1 from training_plans
                                  where institution_id = $1 and fiscal_year = $2
                                    and status = 'approved') as "planned!""#,
                institution_id,
                fy.year()
            )
            .fetch_one(&mut *conn)
            .await?;
            if !planned {
                return Ok(Refreshed::default());
            }
            create_state(conn, institution_id, fy, on).await?;
            tx = conn.begin().await?;
            lock_state(&mut tx, institution_id, fy)
                .await?
                .ok_or(sqlx::Error::RowNotFound)?
        }
    };
    // Recounting everyone hashes 100,000 people and their completions, which spills to disk
    // with the default work_mem (4 MB). The recount is planned for each call: a plan cached
    // for one person would probe 100,000 people one by one, and one for everyone would scan
    // every table for one person.
    sqlx::query_scalar!(
        "select set_config('work_mem', '64MB', true) || set_config('plan_cache_mode', 'force_custom_plan', true)"
    )
    .fetch_one(&mut *tx)
    .await?;
    let whole = state.stale;
    let people = if whole {
        // Everything kept for the year goes, in one statement; the count is of everyone.
        sqlx::query_scalar!(
            r#"with dirty as (
                   delete from overview_dirty where institution_id = $1 and fiscal_year = $2
               ), assignments as (
                   delete from overview_assignments where institution_id = $1 and fiscal_year = $2
               ), counts as (
                   delete from overview_counts where institution_id = $1 and fiscal_year = $2
               ), heads as (
                   delete from overview_heads where institution_id = $1 and fiscal_year = $2
               )
               select count(*) as "n!" from users where institution_id = $1"#,
            institution_id,
            fy.year()
        )
        .fetch_one(&mut *tx)
        .await?
        .unsigned_abs()
    } else {
        let dirty = sqlx::query!(
            "with taken as (
                 delete from overview_dirty where institution_id = $1 and fiscal_year = $2
                 returning user_id
             )
             insert into overview_scope (institution_id, fiscal_year, user_id)
             select $1, $2, t.user_id from taken t",
            institution_id,
            fy.year()
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let dated = if state.as_of == on {
            0
        } else {
            rollover(
                &mut tx,
                institution_id,
                fy,
                state.as_of.min(on),
                state.as_of.max(on),
            )
            .await?
        };
        dirty + dated
    };
    if people > 0 {
        if !whole {
            subtract(&mut tx, institution_id, fy).await?;
        }
        add(&mut tx, institution_id, fy, on, whole).await?;
        if !whole {
            sqlx::query!(
                "delete from overview_scope where institution_id = $1 and fiscal_year = $2",
                institution_id,
                fy.year()
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    if people > 0 || state.as_of != on {
        sqlx::query!(
            "update overview_state set as_of = $3, stale = false, refreshed_at = now()
             where institution_id = $1 and fiscal_year = $2",
            institution_id,
            fy.year(),
            on
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Refreshed { whole, people })
}

/// The state of a counted year, locked for this refresh: the day the counts hold and whether
/// the plan changed since.
async fn lock_state(
    tx: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
) -> Result<Option<State>, sqlx::Error> {
    sqlx::query_as!(
        State,
        "select as_of, stale from overview_state
         where institution_id = $1 and fiscal_year = $2 for no key update",
        institution_id,
        fy.year()
    )
    .fetch_optional(tx)
    .await
}

struct State {
    as_of: Date,
    stale: bool,
}

/// Creates the state of a year not counted yet. The exclusive writer lock waits for every
/// transaction that marked people dirty before the state existed, so that the first count's
/// snapshot sees their changes; writers after it find the state and mark their people.
async fn create_state(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    on: Date,
) -> Result<(), sqlx::Error> {
    let mut tx = conn.begin().await?;
    sqlx::query_scalar!(
        "select pg_advisory_xact_lock(1870983286, hashtext($1::uuid::text))::text",
        institution_id
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "insert into overview_state (institution_id, fiscal_year, as_of) values ($1, $2, $3)
         on conflict do nothing",
        institution_id,
        fy.year(),
        on
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Adds to the scope the people whose designations, transfers or leaving date take effect on
/// one of the days `from` and `to` but not on the other (the only facts the rule reads by
/// date). Returns how many were added.
async fn rollover(
    tx: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    from: Date,
    to: Date,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "insert into overview_scope (institution_id, fiscal_year, user_id)
         select distinct $1::uuid, $2::int, x.user_id from (
             select d.user_id from designations d
             where d.institution_id = $1
               and (d.valid_from > $3 and d.valid_from <= $4 or d.valid_to >= $3 and d.valid_to < $4)
             union all
             select p.user_id from placements p
             where p.institution_id = $1 and p.valid_from > $3 and p.valid_from <= $4
             union all
             select u.id from users u
             where u.institution_id = $1 and u.left_on >= $3 and u.left_on < $4
         ) x
         on conflict do nothing",
        institution_id,
        fy.year(),
        from,
        to
    )
    .execute(tx)
    .await?
    .rows_affected())
}
