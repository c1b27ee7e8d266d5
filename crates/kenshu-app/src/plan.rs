//! The training plan (研修計画) of a fiscal year: drafted from the standard plan or a copy of
//! last year's, changed while it is a draft (its courses, its details), and approved by the
//! chief officer, after which it assigns courses and is no longer changed. Each change is
//! recorded in the audit log with the year as its subject.

use kenshu_core::FiscalYear;
use kenshu_core::audit::AuditAction;
use kenshu_core::plan::{PlanCourse, PlanRule};
use kenshu_db::PgConnection;
use kenshu_db::plan::{Details, PlanRecord};
use uuid::Uuid;

use crate::audit::Actor;

/// Why a change to a plan was refused.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The year has a plan already (perhaps drafted a moment ago by someone else).
    #[error("the year has a plan already")]
    Exists,
    /// A copy of last year's plan was asked for, and there is none.
    #[error("no plan last year")]
    NoPrevious,
    /// No plan for the year, or no such course.
    #[error("not found")]
    NotFound,
    /// The plan is approved: no longer changed.
    #[error("the plan is approved")]
    Approved,
    #[error("database")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for PlanError {
    fn from(e: sqlx::Error) -> Self {
        // Two drafts of one year at once: the second meets the first's row.
        if kenshu_db::is_unique_violation(&e, kenshu_db::plan::PLAN_EXISTS) {
            PlanError::Exists
        } else {
            PlanError::Database(e)
        }
    }
}

/// Where a new plan's courses come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The standard plan (every course of the catalogue, its usual audience).
    Standard,
    /// Last year's plan, moved a year on.
    Previous,
}

impl Source {
    /// `previous`, anything else the standard plan (the form's two buttons).
    pub fn parse(s: &str) -> Source {
        if s == "previous" {
            Source::Previous
        } else {
            Source::Standard
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Standard => "standard",
            Source::Previous => "previous",
        }
    }
}

/// The year as the audit log names it: `2025`.
fn subject(fy: FiscalYear) -> String {
    fy.year().to_string()
}

/// Drafts the plan of `fy`, in the caller's transaction.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, fiscal_year = fy.year(), from = from.as_str()))]
pub async fn create(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    fy: FiscalYear,
    from: Source,
) -> Result<Uuid, PlanError> {
    let inst = actor.institution_id;
    if kenshu_db::plan::plan(&mut *tx, inst, fy).await?.is_some() {
        return Err(PlanError::Exists);
    }
    let id = match from {
        Source::Previous => kenshu_db::plan::copy_previous(&mut *tx, inst, fy, actor.user_id)
            .await?
            .ok_or(PlanError::NoPrevious)?,
        Source::Standard => {
            kenshu_db::plan::create_standard(&mut *tx, inst, fy, false, actor.user_id).await?
        }
    };
    actor
        .record(tx, AuditAction::PlanCreated, &subject(fy), from.as_str())
        .await?;
    tracing::info!("training plan drafted");
    Ok(id)
}

/// Approves the plan of `fy`, in the caller's transaction; from then on it assigns courses.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, fiscal_year = fy.year()))]
pub async fn approve(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    fy: FiscalYear,
) -> Result<(), PlanError> {
    let inst = actor.institution_id;
    let plan = kenshu_db::plan::plan(&mut *tx, inst, fy)
        .await?
        .ok_or(PlanError::NotFound)?;
    kenshu_db::plan::approve(&mut *tx, inst, plan.id, actor.user_id).await?;
    actor
        .record(tx, AuditAction::PlanApproved, &subject(fy), "")
        .await?;
    tracing::info!("training plan approved");
    Ok(())
}

/// The draft plan of `fy`, to change: refused when there is none or it is approved.
pub async fn draft(
    conn: &mut PgConnection,
    institution_id: Uuid,
    fy: FiscalYear,
) -> Result<PlanRecord, PlanError> {
    let plan = kenshu_db::plan::plan(conn, institution_id, fy)
        .await?
        .ok_or(PlanError::NotFound)?;
    if plan.plan.approved {
        return Err(PlanError::Approved);
    }
    Ok(plan)
}

/// Saves one course of the draft `plan` of `fy` (audience, period, re-attendance window) and
/// whether its in-person sessions also need the test, in the caller's transaction.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, fiscal_year = fy.year(), course = %course.code))]
pub async fn put_course(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    fy: FiscalYear,
    plan: &PlanRecord,
    course: &PlanCourse,
    in_person_test: bool,
) -> Result<(), PlanError> {
    let inst = actor.institution_id;
    if kenshu_db::content::current_version_in(&mut *tx, inst, &course.code)
        .await?
        .is_none()
    {
        return Err(PlanError::NotFound);
    }
    kenshu_db::plan::put_course(&mut *tx, inst, plan.id, course).await?;
    kenshu_db::in_person::set_test_required(&mut *tx, inst, plan.id, &course.code, in_person_test)
        .await?;
    let detail = format!("course {}", course.code);
    actor
        .record(tx, AuditAction::PlanChanged, &subject(fy), &detail)
        .await?;
    Ok(())
}

/// Takes course `code` out of the draft `plan` of `fy`, in the caller's transaction.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, fiscal_year = fy.year()))]
pub async fn remove_course(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    fy: FiscalYear,
    plan: &PlanRecord,
    code: &str,
) -> Result<(), PlanError> {
    kenshu_db::plan::remove_course(&mut *tx, actor.institution_id, plan.id, code).await?;
    let detail = format!("removed {code}");
    actor
        .record(tx, AuditAction::PlanChanged, &subject(fy), &detail)
        .await?;
    Ok(())
}

/// Saves one required rule of the draft `plan` of `fy` (audience, deadline), in the caller's
/// transaction: like a course, only while the plan is a draft.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, fiscal_year = fy.year(), rule = %rule.code))]
pub async fn put_rule(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    fy: FiscalYear,
    plan: &PlanRecord,
    rule: &PlanRule,
) -> Result<(), PlanError> {
    let inst = actor.institution_id;
    if kenshu_db::rules::current(&mut *tx, inst, &rule.code)
        .await?
        .is_none()
    {
        return Err(PlanError::NotFound);
    }
    kenshu_db::plan::put_rule(&mut *tx, inst, plan.id, rule).await?;
    let audience: Vec<&str> = rule.audience.iter().map(|a| a.as_str()).collect();
    let detail = format!(
        "rule {} for {} by {}",
        rule.code,
        audience.join(","),
        rule.deadline
    );
    actor
        .record(tx, AuditAction::PlanChanged, &subject(fy), &detail)
        .await?;
    Ok(())
}

/// Takes required rule `code` out of the draft `plan` of `fy`, in the caller's transaction.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, fiscal_year = fy.year()))]
pub async fn remove_rule(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    fy: FiscalYear,
    plan: &PlanRecord,
    code: &str,
) -> Result<(), PlanError> {
    if !kenshu_db::plan::remove_rule(&mut *tx, actor.institution_id, plan.id, code).await? {
        return Err(PlanError::NotFound);
    }
    let detail = format!("removed rule {code}");
    actor
        .record(tx, AuditAction::PlanChanged, &subject(fy), &detail)
        .await?;
    Ok(())
}

/// Sets the details of the draft `plan` of `fy` (checked by the caller), in the caller's
/// transaction.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, fiscal_year = fy.year()))]
pub async fn put_details(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    fy: FiscalYear,
    plan: &PlanRecord,
    details: &Details<'_>,
) -> Result<(), PlanError> {
    kenshu_db::plan::put_details(&mut *tx, actor.institution_id, plan.id, details).await?;
    actor
        .record(tx, AuditAction::PlanChanged, &subject(fy), "details")
        .await?;
    Ok(())
}
