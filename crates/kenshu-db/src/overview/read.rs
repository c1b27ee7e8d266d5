//! Reading the kept counts: the overview of a fiscal year, the same person by person, and the
//! protection officers the overview names.

use kenshu_core::FiscalYear;
use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

use super::{Overview, Tally, refresh};

/// The institution's tallies by division for a fiscal year on `today`: the assignment facts
/// are taken on the day [`FiscalYear::judged_on`] gives, and `today` decides what is overdue.
/// Refreshes the kept tallies first (see [`refresh`]), then reads them in one query.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, fiscal_year = fy.year()))]
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
        fy.year(),
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
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, fiscal_year = fy.year()))]
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
        fy.year(),
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
