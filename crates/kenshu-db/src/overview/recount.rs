//! The recount, set-based: the scope's kept assignments taken out with their counts, and
//! counted afresh by the assignment rule.

use kenshu_core::FiscalYear;
use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

/// Takes the scope's kept assignments out, and their counts with them.
pub(super) async fn subtract(
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
        fy.year()
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "with gone as (
             delete from overview_counts where institution_id = $1 and fiscal_year = $2 and n = 0
         )
         delete from overview_heads where institution_id = $1 and fiscal_year = $2 and people = 0",
        institution_id,
        fy.year()
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Counts the scope's people (everyone when `whole`) afresh and adds their assignments and
/// counts.
///
/// The query implements the rule of the annual report, `kenshu_core::plan::year_assignments`,
/// and the outcome of `kenshu_core::assignment::status`, set-based: each person on the roster
/// at some day of the year and each course of the approved plan give one row when the person
/// is a target of the course on their day (`on`, or the day they left if earlier: see
/// `PersonFacts::as_of`), with the deadline (the plan's, a newcomer's own, or a re-attendance
/// deadline), the outcome (completion beats exemption) and the month of completion. A
/// leaver's pending assignment whose deadline had not passed when they left is kept with the
/// deadline `infinity`: never overdue, as the report judges it on their last day.
pub(super) async fn add(
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
           ), listed as (
               select u.id as user_id from users u where $4 and u.institution_id = $1
               union all
               select s.user_id from overview_scope s
               where not $4 and s.institution_id = $1 and s.fiscal_year = $2
           ), scope as (
               -- On the roster at some day of the year (as the report reads it), each with
               -- their day: $3, or the day they left if earlier.
               select u.id as user_id, least($3::date, u.left_on) as at, u.left_on,
                      u.division_id, u.role, u.hired_on
               from listed l join users u on u.id = l.user_id
               where u.institution_id = $1
                 and not (u.status = 'left' and u.left_on is null)
                 and (u.left_on is null or u.left_on >= $5::date)
           ), bounds as (
               -- The first moments of May to March of the fiscal year in Japan: a completion's
               -- month (0 = April or before, 11 = March or after) is how many it has passed.
               select array_agg(((make_date($2, 4, 1) + make_interval(months => m))::timestamp
                                 at time zone 'Asia/Tokyo') order by m) as starts
               from generate_series(1, 11) m
           ), held as (
               -- Per person, in one grouping: the day of the latest transfer in (a placement
               -- started by $3 that is not the first, as the report reads it) and the first
               -- day of each designation held on their day.
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
                     where d.institution_id = $1 and d.valid_from <= s.at and (d.valid_to is null or s.at <= d.valid_to)
                     union all
                     select x.user_id, 'transfer', x.valid_from
                     from (select pl.user_id, pl.valid_from,
                                  lag(pl.valid_from) over (partition by pl.user_id order by pl.valid_from) as previous
                           from placements pl join scope s on s.user_id = pl.user_id
                           where pl.institution_id = $1) x
                     where x.previous is not null and x.valid_from <= $3) f
               group by f.user_id
           ), people as (
               -- The scope carries what the rule reads of each person: users is read once.
               select s.user_id as id, s.division_id, s.left_on, h.clerk, h.file_handler, h.system_admin,
                      least(h.protection_officer, case when s.role = 'protection_officer' then a.arrived end) as protection_officer,
                      least(h.chief_officer, case when s.role = 'chief_officer' then a.arrived end) as chief_officer,
                      least(h.audit_officer, case when s.role = 'audit_officer' then a.arrived end) as audit_officer,
                      a.arrived
               from scope s
               left join held h on h.user_id = s.user_id
               cross join lateral (select coalesce(greatest(s.hired_on, h.transferred_on), '-infinity'::date) as arrived) a
           ), targeted as (
               -- The day each person became a target of each course; null: not a target.
               select p.id as user_id, p.division_id, p.left_on, c.course_code, c.starts_on, c.deadline, c.newcomer_days,
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
                      case when k.outcome = 'p' and t.left_on <= k.deadline then 'infinity' else k.deadline end,
                      k.outcome, coalesce(width_bucket(cp.completed_at, b.starts), -1)
               from targeted t
               cross join bounds b
               left join completions cp on cp.institution_id = $1 and cp.fiscal_year = $2
                    and cp.user_id = t.user_id and cp.course_code = t.course_code
               left join overrides o on o.user_id = t.user_id and o.course_code = t.course_code
               cross join lateral (
                   select coalesce(o.deadline, case when t.since > t.starts_on
                                                    then greatest(t.deadline, t.since + t.newcomer_days)
                                                    else t.deadline end) as deadline,
                          case cp.method when 'e_learning' then 'e'
                                         when 'in_person' then 'i'
                                         else case when o.exempt then 'x' else 'p' end end::"char" as outcome
               ) k
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
        fy.year(),
        on,
        whole,
        fy.start()
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}
