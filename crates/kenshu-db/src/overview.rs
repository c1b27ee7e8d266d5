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
/// Each assignment is one row of `assigned`; the first grouping counts them per person, the
/// second per month of completion, and the outer one adds the people up per division.
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
               select c.course_code, c.audience, c.starts_on, c.deadline, p.newcomer_days
               from training_plans p
               join plan_courses c on c.institution_id = p.institution_id and c.plan_id = p.id
               where p.institution_id = $1 and p.fiscal_year = $2 and p.status = 'approved'
           ), moved as (
               -- The latest placement started by $3 that is not the first: a transfer in.
               select pl.user_id,
                      case when max(pl.valid_from) filter (where pl.valid_from <= $3) > min(pl.valid_from)
                           then max(pl.valid_from) filter (where pl.valid_from <= $3) end as transferred_on
               from placements pl where pl.institution_id = $1
               group by pl.user_id having count(*) > 1
           ), held as (
               select d.user_id,
                      min(d.valid_from) filter (where d.kind = 'clerk') as clerk,
                      min(d.valid_from) filter (where d.kind = 'file_handler') as file_handler,
                      min(d.valid_from) filter (where d.kind = 'system_admin') as system_admin,
                      min(d.valid_from) filter (where d.kind = 'protection_officer') as protection_officer,
                      min(d.valid_from) filter (where d.kind = 'chief_officer') as chief_officer,
                      min(d.valid_from) filter (where d.kind = 'audit_officer') as audit_officer
               from designations d
               where d.institution_id = $1 and d.valid_from <= $3 and (d.valid_to is null or $3 <= d.valid_to)
               group by d.user_id
           ), people as (
               select u.id, u.division_id, u.role, h.clerk, h.file_handler, h.system_admin,
                      h.protection_officer, h.chief_officer, h.audit_officer,
                      coalesce(greatest(u.hired_on, m.transferred_on), '-infinity'::date) as arrived
               from users u
               left join moved m on m.user_id = u.id
               left join held h on h.user_id = u.id
               where u.institution_id = $1 and u.status <> 'left' and (u.left_on is null or u.left_on >= $3)
           ), targeted as (
               -- The day each person became a target of each course; null: not a target.
               select p.id as user_id, p.division_id, c.course_code, c.starts_on, c.deadline, c.newcomer_days,
                      least(case when 'all' = any(c.audience) then p.arrived end,
                            case when 'clerk' = any(c.audience) then p.clerk end,
                            case when 'file_handler' = any(c.audience) then p.file_handler end,
                            case when 'system_admin' = any(c.audience) then p.system_admin end,
                            case when 'protection_officer' = any(c.audience) then least(p.protection_officer,
                                 case when p.role = 'protection_officer' then p.arrived end) end,
                            case when 'chief_officer' = any(c.audience) then least(p.chief_officer,
                                 case when p.role = 'chief_officer' then p.arrived end) end,
                            case when 'audit_officer' = any(c.audience) then least(p.audit_officer,
                                 case when p.role = 'audit_officer' then p.arrived end) end) as since
               from people p cross join plan c
           ), assigned as (
               select t.user_id, t.division_id, cp.method, e.user_id is not null as exempt,
                      coalesce(r.deadline, case when t.since > t.starts_on
                                                then greatest(t.deadline, t.since + t.newcomer_days)
                                                else t.deadline end) as deadline,
                      least(11, greatest(0,
                          extract(year from cp.completed_at at time zone 'Asia/Tokyo')::int * 12
                          + extract(month from cp.completed_at at time zone 'Asia/Tokyo')::int
                          - ($2 * 12 + 4))) as month
               from targeted t
               left join completions cp on cp.institution_id = $1 and cp.fiscal_year = $2
                    and cp.user_id = t.user_id and cp.course_code = t.course_code
               left join exemptions e on e.institution_id = $1 and e.fiscal_year = $2
                    and e.user_id = t.user_id and e.course_code = t.course_code
               left join retakes r on r.institution_id = $1 and r.fiscal_year = $2
                    and r.user_id = t.user_id and r.course_code = t.course_code
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
           select case when $5 then g.user_id end as "user_id?", g.division_id as "division_id?",
                  g.month as "month?", count(g.user_id) as "people!", sum(g.n)::bigint as "assignments!",
                  sum(g.completed)::bigint as "completed!", sum(g.in_person)::bigint as "in_person!",
                  sum(g.exempt)::bigint as "exempt!", sum(g.overdue)::bigint as "overdue!"
           from grouped g
           group by 1, 2, 3"#,
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
