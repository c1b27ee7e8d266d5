//! Training plans and the facts about people that assignments follow from.

use kenshu_core::FiscalYear;
use kenshu_core::people::Role;
use kenshu_core::plan::{DesignationKind, Held, PersonFacts, Plan, PlanCourse, Target};
use sqlx::PgConnection;
use sqlx::types::Json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

#[derive(Debug, Clone, serde::Deserialize)]
struct CourseJson {
    code: String,
    audience: Vec<String>,
    starts_on: String,
    deadline: String,
    retake_until: Option<String>,
}

/// Dates arrive from json_build_object as `YYYY-MM-DD`.
pub(crate) fn day(s: &str) -> Date {
    kenshu_core::roster::parse_date(s).unwrap_or(Date::MIN)
}

/// A plan as stored, with who approved it.
#[derive(Debug, Clone)]
pub struct PlanRecord {
    pub id: Uuid,
    pub plan: Plan,
    pub purpose: String,
    pub method: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<OffsetDateTime>,
    /// When reminders go out automatically.
    pub reminders: kenshu_core::reminder::Schedule,
}

/// The institution's plan for a fiscal year, approved or not.
pub async fn plan(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
) -> Result<Option<PlanRecord>, sqlx::Error> {
    let row = sqlx::query!(
        r#"select p.id, p.status, p.purpose, p.method, p.newcomer_days, u.name as "approved_by?", p.approved_at,
                  p.reminder_days_before, p.reminder_overdue_every,
                  coalesce((select json_agg(json_build_object('code', c.course_code, 'audience', c.audience,
                                 'starts_on', c.starts_on, 'deadline', c.deadline, 'retake_until', c.retake_until)
                                 order by co.position)
                            from plan_courses c join courses co on co.code = c.course_code
                            where c.institution_id = p.institution_id and c.plan_id = p.id), '[]'::json)
                     as "courses!: Json<Vec<CourseJson>>"
           from training_plans p
           left join users u on u.institution_id = p.institution_id and u.id = p.approved_by
           where p.institution_id = $1 and p.fiscal_year = $2"#,
        institution_id,
        fy.0
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| PlanRecord {
        id: r.id,
        plan: Plan {
            fiscal_year: fy,
            approved: r.status == "approved",
            newcomer_days: i64::from(r.newcomer_days),
            courses: r
                .courses
                .0
                .into_iter()
                .map(|c| PlanCourse {
                    audience: c.audience.iter().filter_map(|a| Target::parse(a)).collect(),
                    starts_on: day(&c.starts_on),
                    deadline: day(&c.deadline),
                    retake_until: c.retake_until.as_deref().map(day),
                    code: c.code,
                })
                .collect(),
        },
        purpose: r.purpose,
        method: r.method,
        approved_by: r.approved_by,
        approved_at: r.approved_at,
        reminders: kenshu_core::reminder::Schedule {
            before: r.reminder_days_before.into_iter().map(i64::from).collect(),
            overdue_every: i64::from(r.reminder_overdue_every),
        },
    }))
}

/// Creates a draft plan (none may exist for the year yet).
pub async fn create_draft(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    purpose: &str,
    method: &str,
    newcomer_days: i32,
    created_by: Option<Uuid>,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "insert into training_plans (institution_id, fiscal_year, purpose, method, newcomer_days, created_by)
         values ($1, $2, $3, $4, $5, $6) returning id",
        institution_id,
        fy.0,
        purpose,
        method,
        newcomer_days,
        created_by
    )
    .fetch_one(conn)
    .await
}

/// Replaces the courses of a draft plan.
pub async fn set_courses(
    conn: &mut PgConnection,
    institution_id: Uuid,
    plan_id: Uuid,
    courses: &[PlanCourse],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "delete from plan_courses where institution_id = $1 and plan_id = $2",
        institution_id,
        plan_id
    )
    .execute(&mut *conn)
    .await?;
    for c in courses {
        let audience: Vec<String> = c.audience.iter().map(|t| t.as_str().to_string()).collect();
        sqlx::query!(
            "insert into plan_courses (institution_id, plan_id, course_code, audience, starts_on, deadline, retake_until)
             values ($1, $2, $3, $4, $5, $6, $7)",
            institution_id,
            plan_id,
            c.code,
            &audience,
            c.starts_on,
            c.deadline,
            c.retake_until
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Approves a draft; true if it was a draft.
pub async fn approve(
    conn: &mut PgConnection,
    institution_id: Uuid,
    plan_id: Uuid,
    by: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query!(
        "update training_plans set status = 'approved', approved_by = $3, approved_at = now()
         where institution_id = $1 and id = $2 and status = 'draft'",
        institution_id,
        plan_id,
        by
    )
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Creates the standard plan for a year (see `kenshu_core::plan::standard_courses`), approved
/// at once when `approve_now`.
pub async fn create_standard(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    approve_now: bool,
    by: Option<Uuid>,
) -> Result<Uuid, sqlx::Error> {
    let id = create_draft(
        conn,
        institution_id,
        fy,
        "特定個人情報等の適正な取扱いを確保するため、番号法第29条の2及び同法施行令第32条並びにガイドライン別添1 2 D bに基づき、研修を実施する。",
        "eラーニング（研修ポータル）による受講を基本とし、必要に応じて集合研修を実施する。未受講者には再受講の機会を付与する。",
        30,
        by,
    )
    .await?;
    set_courses(
        conn,
        institution_id,
        id,
        &kenshu_core::plan::standard_courses(fy),
    )
    .await?;
    if approve_now {
        approve(conn, institution_id, id, by).await?;
    }
    Ok(id)
}

/// Builds the facts from what the queries below read. Arrival is the hire date or the start of
/// a later placement (a transfer in). An account's creation date says nothing: people loaded
/// without a hire date are not newcomers.
pub(crate) fn person_facts(
    role: &str,
    hired_on: Option<Date>,
    transferred_on: Option<Date>,
    left_on: Option<Date>,
    designations: Vec<(String, String, Option<String>)>,
) -> PersonFacts {
    PersonFacts {
        role: role.parse().unwrap_or(Role::Staff),
        arrived_on: hired_on.max(transferred_on).unwrap_or(Date::MIN),
        left_on,
        designations: designations
            .into_iter()
            .filter_map(|(kind, from, to)| {
                Some(Held {
                    kind: DesignationKind::parse(&kind)?,
                    from: day(&from),
                    to: to.as_deref().map(day),
                })
            })
            .collect(),
    }
}

/// Everything the assignment rule needs about one person as of `on`, in one query.
pub async fn facts(
    conn: &mut PgConnection,
    institution_id: Uuid,
    user_id: Uuid,
    on: Date,
) -> Result<Option<PersonFacts>, sqlx::Error> {
    let row = sqlx::query!(
        r#"select u.role, u.left_on, u.hired_on,
                  (select max(p.valid_from) from placements p
                    where p.institution_id = u.institution_id and p.user_id = u.id and p.valid_from <= $3
                      and exists (select 1 from placements q where q.institution_id = p.institution_id
                                  and q.user_id = p.user_id and q.valid_from < p.valid_from)) as transferred_on,
                  coalesce((select json_agg(json_build_array(d.kind, d.valid_from, d.valid_to))
                            from designations d where d.institution_id = u.institution_id and d.user_id = u.id), '[]'::json)
                     as "designations!: Json<Vec<(String, String, Option<String>)>>"
           from users u where u.institution_id = $1 and u.id = $2"#,
        institution_id,
        user_id,
        on
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| {
        person_facts(
            &r.role,
            r.hired_on,
            r.transferred_on,
            r.left_on,
            r.designations.0,
        )
    }))
}

/// Drafts this year's plan as a copy of last year's, every date moved on by a year. None when
/// there is no plan for the previous year.
pub async fn copy_previous(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    by: Option<Uuid>,
) -> Result<Option<Uuid>, sqlx::Error> {
    let id = sqlx::query_scalar!(
        "insert into training_plans (institution_id, fiscal_year, purpose, method, newcomer_days,
                                     reminder_days_before, reminder_overdue_every, created_by)
         select institution_id, $2, purpose, method, newcomer_days,
                reminder_days_before, reminder_overdue_every, $3 from training_plans
         where institution_id = $1 and fiscal_year = $2 - 1
         returning id",
        institution_id,
        fy.0,
        by
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = id {
        sqlx::query!(
            "insert into plan_courses (institution_id, plan_id, course_code, audience, starts_on, deadline, retake_until,
                                       in_person_test_required)
             select c.institution_id, $3, c.course_code, c.audience,
                    (c.starts_on + interval '1 year')::date, (c.deadline + interval '1 year')::date,
                    (c.retake_until + interval '1 year')::date, c.in_person_test_required
             from plan_courses c join training_plans p on p.institution_id = c.institution_id and p.id = c.plan_id
             where p.institution_id = $1 and p.fiscal_year = $2 - 1",
            institution_id,
            fy.0,
            id
        )
        .execute(conn)
        .await?;
    }
    Ok(id)
}

/// The officers a plan document names: the chief officer and each division's protection officer.
pub async fn officers(
    conn: &mut PgConnection,
    institution_id: Uuid,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"select u.role, u.name, d.name as division from users u
           join divisions d on d.institution_id = u.institution_id and d.id = u.division_id
           where u.institution_id = $1 and u.active and u.role in ('chief_officer', 'protection_officer', 'audit_officer')
           order by case u.role when 'chief_officer' then 0 when 'audit_officer' then 1 else 2 end, d.code"#,
        institution_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.role, r.name, r.division))
        .collect())
}

/// Adds or replaces one course of a draft plan; false when the plan is not a draft.
pub async fn put_course(
    conn: &mut PgConnection,
    institution_id: Uuid,
    plan_id: Uuid,
    c: &PlanCourse,
) -> Result<bool, sqlx::Error> {
    let audience: Vec<String> = c.audience.iter().map(|t| t.as_str().to_string()).collect();
    Ok(sqlx::query!(
        "insert into plan_courses (institution_id, plan_id, course_code, audience, starts_on, deadline, retake_until)
         select $1, $2, $3, $4, $5, $6, $7 from training_plans
         where institution_id = $1 and id = $2 and status = 'draft'
         on conflict (institution_id, plan_id, course_code) do update
         set audience = excluded.audience, starts_on = excluded.starts_on, deadline = excluded.deadline,
             retake_until = excluded.retake_until",
        institution_id,
        plan_id,
        c.code,
        &audience,
        c.starts_on,
        c.deadline,
        c.retake_until
    )
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Removes a course from a draft plan.
pub async fn remove_course(
    conn: &mut PgConnection,
    institution_id: Uuid,
    plan_id: Uuid,
    code: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query!(
        "delete from plan_courses c using training_plans p
         where c.institution_id = $1 and c.plan_id = $2 and c.course_code = $3
           and p.institution_id = c.institution_id and p.id = c.plan_id and p.status = 'draft'",
        institution_id,
        plan_id,
        code
    )
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// The details of a draft plan besides its courses.
pub struct Details<'a> {
    pub purpose: &'a str,
    pub method: &'a str,
    pub newcomer_days: i32,
    pub reminder_days_before: &'a [i32],
    pub reminder_overdue_every: i32,
}

/// Sets the purpose, method, newcomer days and reminder schedule of a draft plan.
pub async fn put_details(
    conn: &mut PgConnection,
    institution_id: Uuid,
    plan_id: Uuid,
    d: &Details<'_>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query!(
        "update training_plans set purpose = $3, method = $4, newcomer_days = $5,
                reminder_days_before = $6, reminder_overdue_every = $7
         where institution_id = $1 and id = $2 and status = 'draft'",
        institution_id,
        plan_id,
        d.purpose,
        d.method,
        d.newcomer_days,
        d.reminder_days_before,
        d.reminder_overdue_every
    )
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Records that a person need not take a course this fiscal year, with the reason and who
/// decided. A second decision for the same course replaces the first.
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
        fy.0,
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
        fy.0
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.course_code, r.reason, r.decided_by, r.decided_at))
    .collect())
}

/// The assignment facts of every active person of a division, in one query:
/// (user id, login ID, name, facts).
pub async fn facts_for_division(
    conn: &mut PgConnection,
    institution_id: Uuid,
    division_id: Uuid,
    on: Date,
) -> Result<Vec<(Uuid, String, String, PersonFacts)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"select u.id, u.login_id, u.name, u.role, u.left_on, u.hired_on,
                  (select max(p.valid_from) from placements p
                    where p.institution_id = u.institution_id and p.user_id = u.id and p.valid_from <= $3
                      and exists (select 1 from placements q where q.institution_id = p.institution_id
                                  and q.user_id = p.user_id and q.valid_from < p.valid_from)) as transferred_on,
                  coalesce((select json_agg(json_build_array(d.kind, d.valid_from, d.valid_to))
                            from designations d where d.institution_id = u.institution_id and d.user_id = u.id), '[]'::json)
                     as "designations!: Json<Vec<(String, String, Option<String>)>>"
           from users u where u.institution_id = $1 and u.division_id = $2 and u.status <> 'left'
           order by u.login_id"#,
        institution_id,
        division_id,
        on
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let facts = person_facts(
                &r.role,
                r.hired_on,
                r.transferred_on,
                r.left_on,
                r.designations.0,
            );
            (r.id, r.login_id, r.name, facts)
        })
        .collect())
}
