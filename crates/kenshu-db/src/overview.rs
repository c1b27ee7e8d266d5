//! The chief officer's overview of an institution: per division, how many people must take
//! which training and where they stand, computed set-based in PostgreSQL.
//!
//! The query implements the assignment rule of `kenshu_core::plan::assignments` and the status
//! of `kenshu_core::assignment::status` (without the not-started/in-progress split, which the
//! overview does not show): fetching every person's assignments to apply the rule in Rust
//! costs far more than the page's budget for 100,000 staff. `tests/overview.rs` checks person
//! by person, on generated data, that the two agree.

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

/// The institution's tallies by division for a fiscal year, in one query. `on` is the date
/// the assignment facts are taken at (today within the fiscal year), `today` decides overdue.
pub async fn overview(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    on: Date,
    today: Date,
) -> Result<Overview, sqlx::Error> {
    let rows = tallies(conn, institution_id, fy, on, today, false).await?;
    let mut out = Overview::default();
    for (_, division, month, tally) in rows {
        match (division, month) {
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

/// The same tallies person by person (people = 1 each): what the equivalence test compares
/// with the rule in Rust.
pub async fn by_person(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    on: Date,
    today: Date,
) -> Result<Vec<(Uuid, Tally)>, sqlx::Error> {
    Ok(tallies(conn, institution_id, fy, on, today, true)
        .await?
        .into_iter()
        .filter_map(|(user, division, _, tally)| {
            Some((user?, tally)).filter(|_| division.is_some())
        })
        .collect())
}

type Row = (Option<Uuid>, Option<Uuid>, Option<i32>, Tally);

/// One query for both: rows per division (or per person when `per_person`) and per month.
/// Each assignment is one row of `assigned`, grouped straight by division (by person only when
/// `per_person`) and by month of completion; people with at least one assignment are counted
/// from the people themselves (`heads`), not by grouping 300,000 assignments by person first.
/// On the benchmark's 100,000 staff this takes about half the time of the former query, which
/// grouped by person and joined exemptions and re-attendance separately (see README).
async fn tallies(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    on: Date,
    today: Date,
    per_person: bool,
) -> Result<Vec<Row>, sqlx::Error> {
    // The hash tables of 100,000 people and their completions spill to disk with the default
    // work_mem (4 MB), which costs this query a third of its time.
    let mut tx = conn.begin().await?;
    sqlx::query_scalar!("select set_config('work_mem', '64MB', true)")
        .fetch_one(&mut *tx)
        .await?;
    let rows = sqlx::query!(
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
           ), audiences as (
               -- Who the plan addresses at all: a person with none of these gets nothing.
               select coalesce(bool_or(for_all), false) as for_all, coalesce(bool_or(for_clerk), false) as for_clerk,
                      coalesce(bool_or(for_file_handler), false) as for_file_handler,
                      coalesce(bool_or(for_system_admin), false) as for_system_admin,
                      coalesce(bool_or(for_protection_officer), false) as for_protection_officer,
                      coalesce(bool_or(for_chief_officer), false) as for_chief_officer,
                      coalesce(bool_or(for_audit_officer), false) as for_audit_officer
               from plan
           ), bounds as (
               -- The first moments of May to March of the fiscal year in Japan: a completion's
               -- month (0 = April or before, 11 = March or after) is how many it has passed.
               select array_agg(((make_date($2, 4, 1) + make_interval(months => m))::timestamp
                                 at time zone 'Asia/Tokyo') order by m) as starts
               from generate_series(1, 11) m
           ), held as (
               -- Per person, in one grouping: the day of the latest transfer in (a placement
               -- started by $3 that is not the first; the window follows the primary key's
               -- order) and the first day of each designation held on $3.
               select f.user_id,
                      max(f.since) filter (where f.kind = 'transfer') as transferred_on,
                      min(f.since) filter (where f.kind = 'clerk') as clerk,
                      min(f.since) filter (where f.kind = 'file_handler') as file_handler,
                      min(f.since) filter (where f.kind = 'system_admin') as system_admin,
                      min(f.since) filter (where f.kind = 'protection_officer') as protection_officer,
                      min(f.since) filter (where f.kind = 'chief_officer') as chief_officer,
                      min(f.since) filter (where f.kind = 'audit_officer') as audit_officer
               from (select d.user_id, d.kind, d.valid_from as since from designations d
                     where d.institution_id = $1 and d.valid_from <= $3 and (d.valid_to is null or $3 <= d.valid_to)
                     union all
                     select x.user_id, 'transfer', x.valid_from
                     from (select pl.user_id, pl.valid_from,
                                  lag(pl.valid_from) over (partition by pl.user_id order by pl.valid_from) as previous
                           from placements pl where pl.institution_id = $1) x
                     where x.previous is not null and x.valid_from <= $3) f
               group by f.user_id
           ), people as (
               select u.id, u.division_id, h.clerk, h.file_handler, h.system_admin,
                      least(h.protection_officer, case when u.role = 'protection_officer' then a.arrived end) as protection_officer,
                      least(h.chief_officer, case when u.role = 'chief_officer' then a.arrived end) as chief_officer,
                      least(h.audit_officer, case when u.role = 'audit_officer' then a.arrived end) as audit_officer,
                      a.arrived
               from users u
               left join held h on h.user_id = u.id
               cross join lateral (select coalesce(greatest(u.hired_on, h.transferred_on), '-infinity'::date) as arrived) a
               where u.institution_id = $1 and u.status <> 'left' and (u.left_on is null or u.left_on >= $3)
           ), heads as (
               -- People with at least one assignment, counted per person rather than by
               -- grouping every assignment by person.
               select case when $5 then p.id end as user_id, p.division_id, count(*) as people
               from people p cross join audiences w
               where w.for_all or (w.for_clerk and p.clerk is not null)
                  or (w.for_file_handler and p.file_handler is not null)
                  or (w.for_system_admin and p.system_admin is not null)
                  or (w.for_protection_officer and p.protection_officer is not null)
                  or (w.for_chief_officer and p.chief_officer is not null)
                  or (w.for_audit_officer and p.audit_officer is not null)
               group by 1, 2
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
               from (select e.user_id, e.course_code, true as exempt, null::date as deadline from exemptions e
                     where e.institution_id = $1 and e.fiscal_year = $2
                     union all
                     select r.user_id, r.course_code, false, r.deadline from retakes r
                     where r.institution_id = $1 and r.fiscal_year = $2) x
               group by x.user_id, x.course_code
           ), assigned as (
               select case when $5 then t.user_id end as user_id, t.division_id, cp.method,
                      coalesce(o.exempt, false) as exempt,
                      coalesce(o.deadline, case when t.since > t.starts_on
                                                then greatest(t.deadline, t.since + t.newcomer_days)
                                                else t.deadline end) as deadline,
                      width_bucket(cp.completed_at, b.starts) as month
               from targeted t
               cross join bounds b
               left join completions cp on cp.institution_id = $1 and cp.fiscal_year = $2
                    and cp.user_id = t.user_id and cp.course_code = t.course_code
               left join overrides o on o.user_id = t.user_id and o.course_code = t.course_code
               where t.since is not null
           ), grouped as (
               select a.user_id, a.division_id, a.month, count(*) as n,
                      count(*) filter (where a.method = 'e_learning') as completed,
                      count(*) filter (where a.method = 'in_person') as in_person,
                      count(*) filter (where a.method is null and a.exempt) as exempt,
                      count(*) filter (where a.method is null and not a.exempt and $4 > a.deadline) as overdue
               from assigned a
               group by grouping sets ((a.user_id, a.division_id), (a.month))
           )
           select g.user_id as "user_id?", g.division_id as "division_id?", g.month as "month?",
                  coalesce(h.people, 0) as "people!", g.n as "assignments!",
                  g.completed as "completed!", g.in_person as "in_person!",
                  g.exempt as "exempt!", g.overdue as "overdue!"
           from grouped g
           left join heads h on h.division_id = g.division_id and h.user_id is not distinct from g.user_id"#,
        institution_id,
        fy.0,
        on,
        today,
        per_person
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.user_id,
                r.division_id,
                r.month,
                Tally {
                    people: r.people,
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
