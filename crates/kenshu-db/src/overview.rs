//! The chief officer's overview of an institution: per division, how many people must take
//! which training and where they stand.
//!
//! Counting 100,000 people's assignments takes PostgreSQL about 600 ms, three times the page's
//! budget, so the counts are kept (migration 0022): each person's assignments as of a day, and
//! their counts by division, deadline, outcome and month. Triggers on every table the rule
//! reads mark the people a write touches; [`refresh`] recounts just those (and the people whose
//! dated facts took effect since the day the counts hold) before each read. Overdue is read
//! from the counts by deadline, so nothing has to change at midnight.
//!
//! The recount implements the assignment rule of `kenshu_core::plan::assignments` and the
//! status of `kenshu_core::assignment::status` (without the not-started/in-progress split,
//! which the overview does not show) set-based. `tests/overview.rs` checks person by person,
//! on generated data and after changes through every trigger, that the two agree.

use kenshu_core::FiscalYear;
use sqlx::{Connection, PgConnection};
use time::Date;
use uuid::Uuid;

/// Counts of assignments by status, for a person, a division or the institution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// People with at least one assignment.
    pub people: i64,
    pub assignments: i64,
    /// Completed by e-learning.
    pub completed: i64,
    pub in_person: i64,
    pub exempt: i64,
    pub overdue: i64,
}

impl Tally {
    /// Neither done nor overdue: not started or in progress, within the deadline.
    pub fn pending(&self) -> i64 {
        self.assignments - self.completed - self.in_person - self.exempt - self.overdue
    }

    pub fn add(&mut self, other: &Tally) {
        self.people += other.people;
        self.assignments += other.assignments;
        self.completed += other.completed;
        self.in_person += other.in_person;
        self.exempt += other.exempt;
        self.overdue += other.overdue;
    }
}

/// The overview of a fiscal year: tallies by division (divisions with nobody assigned are
/// absent) and completions of assigned courses by month of the fiscal year (0 = April).
#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub divisions: Vec<(Uuid, Tally)>,
    pub by_month: [i64; 12],
}

/// The institution's tallies by division for a fiscal year on `today`: the assignment facts
/// are taken on the day [`FiscalYear::judged_on`] gives, and `today` decides what is overdue.
/// Refreshes the kept tallies first (see [`refresh`]), then reads them in one query.
pub async fn overview(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    today: Date,
) -> Result<Overview, sqlx::Error> {
    refresh(conn, institution_id, fy, today).await?;
    let rows = sqlx::query!(
        r#"with grouped as (
               select c.division_id, c.month, sum(c.n)::bigint as n,
                      (sum(c.n) filter (where c.outcome = 'e'))::bigint as completed,
                      (sum(c.n) filter (where c.outcome = 'i'))::bigint as in_person,
                      (sum(c.n) filter (where c.outcome = 'x'))::bigint as exempt,
                      (sum(c.n) filter (where c.outcome = 'p' and $3 > c.deadline))::bigint as overdue
               from overview_counts c
               where c.institution_id = $1 and c.fiscal_year = $2
               group by grouping sets ((c.division_id), (c.month))
           )
           select g.division_id as "division_id?", g.month as "month?",
                  coalesce(h.people, 0) as "people!", coalesce(g.n, 0) as "assignments!",
                  coalesce(g.completed, 0) as "completed!", coalesce(g.in_person, 0) as "in_person!",
                  coalesce(g.exempt, 0) as "exempt!", coalesce(g.overdue, 0) as "overdue!"
           from grouped g
           left join overview_heads h on h.institution_id = $1 and h.fiscal_year = $2
                and h.division_id = g.division_id
           where g.n > 0"#,
        institution_id,
        fy.0,
        today
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Overview::default();
    for r in rows {
        let tally = Tally {
            people: r.people,
            assignments: r.assignments,
            completed: r.completed,
            in_person: r.in_person,
            exempt: r.exempt,
            overdue: r.overdue,
        };
        match (r.division_id, r.month) {
            (Some(d), _) => out.divisions.push((d, tally)),
            (None, Some(m)) => {
                if let Some(slot) = usize::try_from(m)
                    .ok()
                    .and_then(|m| out.by_month.get_mut(m))
                {
                    *slot += tally.completed + tally.in_person;
                }
            }
            (None, None) => {}
        }
    }
    Ok(out)
}

/// The same tallies person by person (people = 1 each), read from the kept assignments: what
/// the equivalence test compares with the rule in Rust.
pub async fn by_person(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    today: Date,
) -> Result<Vec<(Uuid, Tally)>, sqlx::Error> {
    refresh(conn, institution_id, fy, today).await?;
    Ok(sqlx::query!(
        r#"select a.user_id, count(*) as "assignments!",
                  count(*) filter (where a.outcome = 'e') as "completed!",
                  count(*) filter (where a.outcome = 'i') as "in_person!",
                  count(*) filter (where a.outcome = 'x') as "exempt!",
                  count(*) filter (where a.outcome = 'p' and $3 > a.deadline) as "overdue!"
           from overview_assignments a
           where a.institution_id = $1 and a.fiscal_year = $2
           group by a.user_id"#,
        institution_id,
        fy.0,
        today
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        (
            r.user_id,
            Tally {
                people: 1,
                assignments: r.assignments,
                completed: r.completed,
                in_person: r.in_person,
                exempt: r.exempt,
                overdue: r.overdue,
            },
        )
    })
    .collect())
}

/// The institutions with an approved plan for the fiscal year whose kept counts are not
/// current on `today`: never counted, held as of another day, the plan changed, or people
/// marked dirty — the ones [`refresh`] would work on. One statement, so that a background
/// keeper's pass with nothing to do costs about the same for 10 institutions or 1,800
/// (instead of one check per institution).
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
        fy.0,
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
        fy.0,
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
                fy.0
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
            fy.0
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
            fy.0
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
                fy.0
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
            fy.0,
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
        fy.0
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
        fy.0,
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
        fy.0,
        from,
        to
    )
    .execute(tx)
    .await?
    .rows_affected())
}

/// Takes the scope's kept assignments out, and their counts with them.
async fn subtract(
    tx: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "with old as (
             delete from overview_assignments a using overview_scope s
             where s.institution_id = $1 and s.fiscal_year = $2
               and a.institution_id = $1 and a.fiscal_year = $2 and a.user_id = s.user_id
             returning a.user_id, a.division_id, a.deadline, a.outcome, a.month
         ), counted as (
             insert into overview_counts (institution_id, fiscal_year, division_id, deadline, outcome, month, n)
             select $1, $2, o.division_id, case when o.outcome = 'p' then o.deadline else '-infinity' end,
                    o.outcome, o.month, -count(*)
             from old o group by 3, 4, 5, 6
             on conflict (institution_id, fiscal_year, division_id, deadline, outcome, month)
             do update set n = overview_counts.n + excluded.n
         )
         insert into overview_heads (institution_id, fiscal_year, division_id, people)
         select $1, $2, o.division_id, -count(distinct o.user_id) from old o group by o.division_id
         on conflict (institution_id, fiscal_year, division_id)
         do update set people = overview_heads.people + excluded.people",
        institution_id,
        fy.0
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "with gone as (
             delete from overview_counts where institution_id = $1 and fiscal_year = $2 and n = 0
         )
         delete from overview_heads where institution_id = $1 and fiscal_year = $2 and people = 0",
        institution_id,
        fy.0
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Counts the scope's people (everyone when `whole`) afresh and adds their assignments and
/// counts.
///
/// The query implements the assignment rule of `kenshu_core::plan::assignments` and the
/// outcome of `kenshu_core::assignment::status`, set-based: each person of the scope and each
/// course of the approved plan give one row when the person is a target of the course on
/// `on`, with the deadline (the plan's, a newcomer's own, or a re-attendance deadline), the
/// outcome (completion beats exemption) and the month of completion.
async fn add(
    tx: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    on: Date,
    whole: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"with plan as (
               select c.course_code, c.starts_on, c.deadline, p.newcomer_days,
                      'all' = any(c.audience) as for_all, 'clerk' = any(c.audience) as for_clerk,
                      'file_handler' = any(c.audience) as for_file_handler,
                      'system_admin' = any(c.audience) as for_system_admin,
                      'protection_officer' = any(c.audience) as for_protection_officer,
                      'chief_officer' = any(c.audience) as for_chief_officer,
                      'audit_officer' = any(c.audience) as for_audit_officer
               from training_plans p
               join plan_courses c on c.institution_id = p.institution_id and c.plan_id = p.id
               where p.institution_id = $1 and p.fiscal_year = $2 and p.status = 'approved'
           ), scope as (
               select u.id as user_id from users u where $4 and u.institution_id = $1
               union all
               select s.user_id from overview_scope s
               where not $4 and s.institution_id = $1 and s.fiscal_year = $2
           ), bounds as (
               -- The first moments of May to March of the fiscal year in Japan: a completion's
               -- month (0 = April or before, 11 = March or after) is how many it has passed.
               select array_agg(((make_date($2, 4, 1) + make_interval(months => m))::timestamp
                                 at time zone 'Asia/Tokyo') order by m) as starts
               from generate_series(1, 11) m
           ), held as (
               -- Per person, in one grouping: the day of the latest transfer in (a placement
               -- started by $3 that is not the first) and the first day of each designation
               -- held on $3.
               select f.user_id,
                      max(f.since) filter (where f.kind = 'transfer') as transferred_on,
                      min(f.since) filter (where f.kind = 'clerk') as clerk,
                      min(f.since) filter (where f.kind = 'file_handler') as file_handler,
                      min(f.since) filter (where f.kind = 'system_admin') as system_admin,
                      min(f.since) filter (where f.kind = 'protection_officer') as protection_officer,
                      min(f.since) filter (where f.kind = 'chief_officer') as chief_officer,
                      min(f.since) filter (where f.kind = 'audit_officer') as audit_officer
               from (select d.user_id, d.kind, d.valid_from as since
                     from designations d join scope s on s.user_id = d.user_id
                     where d.institution_id = $1 and d.valid_from <= $3 and (d.valid_to is null or $3 <= d.valid_to)
                     union all
                     select x.user_id, 'transfer', x.valid_from
                     from (select pl.user_id, pl.valid_from,
                                  lag(pl.valid_from) over (partition by pl.user_id order by pl.valid_from) as previous
                           from placements pl join scope s on s.user_id = pl.user_id
                           where pl.institution_id = $1) x
                     where x.previous is not null and x.valid_from <= $3) f
               group by f.user_id
           ), people as (
               select u.id, u.division_id, h.clerk, h.file_handler, h.system_admin,
                      least(h.protection_officer, case when u.role = 'protection_officer' then a.arrived end) as protection_officer,
                      least(h.chief_officer, case when u.role = 'chief_officer' then a.arrived end) as chief_officer,
                      least(h.audit_officer, case when u.role = 'audit_officer' then a.arrived end) as audit_officer,
                      a.arrived
               from users u
               join scope s on s.user_id = u.id
               left join held h on h.user_id = u.id
               cross join lateral (select coalesce(greatest(u.hired_on, h.transferred_on), '-infinity'::date) as arrived) a
               where u.institution_id = $1 and u.status <> 'left' and (u.left_on is null or u.left_on >= $3)
           ), targeted as (
               -- The day each person became a target of each course; null: not a target.
               select p.id as user_id, p.division_id, c.course_code, c.starts_on, c.deadline, c.newcomer_days,
                      least(case when c.for_all then p.arrived end,
                            case when c.for_clerk then p.clerk end,
                            case when c.for_file_handler then p.file_handler end,
                            case when c.for_system_admin then p.system_admin end,
                            case when c.for_protection_officer then p.protection_officer end,
                            case when c.for_chief_officer then p.chief_officer end,
                            case when c.for_audit_officer then p.audit_officer end) as since
               from people p cross join plan c
           ), overrides as (
               -- Exemptions and re-attendance deadlines, joined to the assignments at once.
               select x.user_id, x.course_code, bool_or(x.exempt) as exempt, max(x.deadline) as deadline
               from (select e.user_id, e.course_code, true as exempt, null::date as deadline
                     from exemptions e join scope s on s.user_id = e.user_id
                     where e.institution_id = $1 and e.fiscal_year = $2
                     union all
                     select r.user_id, r.course_code, false, r.deadline
                     from retakes r join scope s on s.user_id = r.user_id
                     where r.institution_id = $1 and r.fiscal_year = $2) x
               group by x.user_id, x.course_code
           ), new as (
               insert into overview_assignments
                   (institution_id, fiscal_year, user_id, course_code, division_id, deadline, outcome, month)
               select $1, $2, t.user_id, t.course_code, t.division_id,
                      coalesce(o.deadline, case when t.since > t.starts_on
                                                then greatest(t.deadline, t.since + t.newcomer_days)
                                                else t.deadline end),
                      case cp.method when 'e_learning' then 'e'
                                     when 'in_person' then 'i'
                                     else case when o.exempt then 'x' else 'p' end end::"char",
                      coalesce(width_bucket(cp.completed_at, b.starts), -1)
               from targeted t
               cross join bounds b
               left join completions cp on cp.institution_id = $1 and cp.fiscal_year = $2
                    and cp.user_id = t.user_id and cp.course_code = t.course_code
               left join overrides o on o.user_id = t.user_id and o.course_code = t.course_code
               where t.since is not null
               returning user_id, division_id, deadline, outcome, month
           ), counted as (
               insert into overview_counts (institution_id, fiscal_year, division_id, deadline, outcome, month, n)
               select $1, $2, n.division_id, case when n.outcome = 'p' then n.deadline else '-infinity' end,
                      n.outcome, n.month, count(*)
               from new n group by 3, 4, 5, 6
               on conflict (institution_id, fiscal_year, division_id, deadline, outcome, month)
               do update set n = overview_counts.n + excluded.n
           )
           insert into overview_heads (institution_id, fiscal_year, division_id, people)
           select $1, $2, n.division_id, count(distinct n.user_id) from new n group by n.division_id
           on conflict (institution_id, fiscal_year, division_id)
           do update set people = overview_heads.people + excluded.people"#,
        institution_id,
        fy.0,
        on,
        whole
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The protection officers of each division: people with the role there, and people holding
/// an active `protection_officer` designation for it (the designation's division, or their
/// own when it names none). (division, name), ordered by division and name.
pub async fn protection_officers(
    conn: &mut PgConnection,
    institution_id: Uuid,
    on: Date,
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"select division_id as "division_id!", name as "name!" from (
               select u.division_id, u.name from users u
               where u.institution_id = $1 and u.role = 'protection_officer' and u.status <> 'left'
               union
               select coalesce(d.division_id, u.division_id), u.name from designations d
               join users u on u.institution_id = d.institution_id and u.id = d.user_id
               where d.institution_id = $1 and d.kind = 'protection_officer' and u.status <> 'left'
                 and d.valid_from <= $2 and (d.valid_to is null or $2 <= d.valid_to)
           ) o order by 1, 2"#,
        institution_id,
        on
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.division_id, r.name))
    .collect())
}
