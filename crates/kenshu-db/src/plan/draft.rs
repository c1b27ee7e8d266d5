//! Drafting a plan: created blank, as the standard plan or as a copy of last year's, its
//! courses and details edited while it is a draft, and approved.

use kenshu_core::FiscalYear;
use kenshu_core::plan::{PlanCourse, PlanRule};
use sqlx::PgConnection;
use uuid::Uuid;

/// The constraint that allows one plan per institution and fiscal year: two officers drafting
/// the same year at once meet it.
pub const PLAN_EXISTS: &str = "training_plans_institution_id_fiscal_year_key";

/// Creates a draft plan (none may exist for the year yet).
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, fiscal_year = fy.year()))]
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
        fy.year(),
        purpose,
        method,
        newcomer_days,
        created_by
    )
    .fetch_one(conn)
    .await
}

/// Replaces the courses of a draft plan.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, plan = %plan_id, courses = courses.len()))]
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
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, plan = %plan_id))]
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
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, fiscal_year = fy.year(), approve_now))]
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

/// Drafts this year's plan as a copy of last year's, every date moved on by a year. None when
/// there is no plan for the previous year.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, fiscal_year = fy.year()))]
pub async fn copy_previous(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
    by: Option<Uuid>,
) -> Result<Option<Uuid>, sqlx::Error> {
    let id = sqlx::query_scalar!(
        "insert into training_plans (institution_id, fiscal_year, purpose, method, newcomer_days,
                                     reminder_days_before, reminder_overdue_every,
                                     digest_enabled, digest_weekday, digest_chief_after_days, drills_count,
                                     created_by)
         select institution_id, $2, purpose, method, newcomer_days,
                reminder_days_before, reminder_overdue_every,
                digest_enabled, digest_weekday, digest_chief_after_days, drills_count, $3 from training_plans
         where institution_id = $1 and fiscal_year = $2 - 1
         returning id",
        institution_id,
        fy.year(),
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
            fy.year(),
            id
        )
        .execute(&mut *conn)
        .await?;
        sqlx::query!(
            "insert into plan_rules (institution_id, plan_id, rule_code, audience, deadline)
             select r.institution_id, $3, r.rule_code, r.audience, (r.deadline + interval '1 year')::date
             from plan_rules r join training_plans p on p.institution_id = r.institution_id and p.id = r.plan_id
             where p.institution_id = $1 and p.fiscal_year = $2 - 1",
            institution_id,
            fy.year(),
            id
        )
        .execute(conn)
        .await?;
    }
    Ok(id)
}

/// Adds or replaces one course of a draft plan; false when the plan is not a draft.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, plan = %plan_id, course = c.code))]
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
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, plan = %plan_id, course = code))]
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

/// Adds or replaces one required rule of a draft plan; false when the plan is not a draft.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, plan = %plan_id, rule = r.code))]
pub async fn put_rule(
    conn: &mut PgConnection,
    institution_id: Uuid,
    plan_id: Uuid,
    r: &PlanRule,
) -> Result<bool, sqlx::Error> {
    let audience: Vec<String> = r.audience.iter().map(|t| t.as_str().to_string()).collect();
    Ok(sqlx::query!(
        "insert into plan_rules (institution_id, plan_id, rule_code, audience, deadline)
         select $1, $2, $3, $4, $5 from training_plans
         where institution_id = $1 and id = $2 and status = 'draft'
         on conflict (institution_id, plan_id, rule_code) do update
         set audience = excluded.audience, deadline = excluded.deadline",
        institution_id,
        plan_id,
        r.code,
        &audience,
        r.deadline
    )
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Removes a required rule from a draft plan.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, plan = %plan_id, rule = code))]
pub async fn remove_rule(
    conn: &mut PgConnection,
    institution_id: Uuid,
    plan_id: Uuid,
    code: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query!(
        "delete from plan_rules r using training_plans p
         where r.institution_id = $1 and r.plan_id = $2 and r.rule_code = $3
           and p.institution_id = r.institution_id and p.id = r.plan_id and p.status = 'draft'",
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
    pub digest_enabled: bool,
    /// 1 (Monday) to 5 (Friday).
    pub digest_weekday: i32,
    pub digest_chief_after_days: i32,
    /// The year's mail drills count as training in the annual report.
    pub drills_count: bool,
}

/// Sets the purpose, method, newcomer days, reminder schedule and digest rules of a draft
/// plan.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id, plan = %plan_id))]
pub async fn put_details(
    conn: &mut PgConnection,
    institution_id: Uuid,
    plan_id: Uuid,
    d: &Details<'_>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query!(
        "update training_plans set purpose = $3, method = $4, newcomer_days = $5,
                reminder_days_before = $6, reminder_overdue_every = $7,
                digest_enabled = $8, digest_weekday = $9, digest_chief_after_days = $10,
                drills_count = $11
         where institution_id = $1 and id = $2 and status = 'draft'",
        institution_id,
        plan_id,
        d.purpose,
        d.method,
        d.newcomer_days,
        d.reminder_days_before,
        d.reminder_overdue_every,
        d.digest_enabled,
        d.digest_weekday,
        d.digest_chief_after_days,
        d.drills_count
    )
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
