//! Changing a draft plan: its courses (audience, deadline, method) and its details (the
//! reminder schedule, the texts of the 研修計画書).

use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use kenshu_app::plan;
use kenshu_core::FiscalYear;
use kenshu_core::plan::{DesignationKind, Target};
use kenshu_core::reminder::Schedule;
use kenshu_core::roster::parse_date;
use kenshu_db::plan::PlanRecord;
use serde::Deserialize;

use crate::AppError;
use crate::lang::t;
use crate::policy::Action;
use crate::session::CurrentUser;
use crate::tx::Tx;

use super::{CourseLine, saved};

/// One course line of a draft plan, as its edit form shows it.
pub struct EditLine {
    pub code: String,
    pub title: String,
    pub audience: Vec<(&'static str, &'static str, bool)>,
    pub starts_on: String,
    pub deadline: String,
    pub retake_until: String,
}

pub fn edit_lines(plan: &PlanRecord, lines: &[CourseLine]) -> Vec<EditLine> {
    plan.plan
        .courses
        .iter()
        .zip(lines)
        .map(|(c, l)| EditLine {
            code: c.code.clone(),
            title: l.title.clone(),
            audience: audience_choices(&c.audience),
            starts_on: c.starts_on.to_string(),
            deadline: c.deadline.to_string(),
            retake_until: c.retake_until.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect()
}

/// The draft plan of year `fy`, for someone who may draft plans.
async fn draft_of(
    conn: &mut kenshu_db::PgConnection,
    user: &CurrentUser,
    fy: FiscalYear,
) -> Result<PlanRecord, AppError> {
    user.require(Action::DraftPlan)?;
    Ok(plan::draft(conn, user.session.institution_id, fy).await?)
}

#[derive(Deserialize)]
pub struct CourseForm {
    /// Who must take the course (repeated: one per ticked target).
    #[serde(default)]
    audience: Vec<String>,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    retake_until: String,
    /// `on` when attendance at an in-person session also needs the course's test.
    #[serde(default)]
    in_person_test: String,
}

/// Saves one course of a draft: audience, period, deadline, re-attendance window.
pub async fn put_course(
    user: CurrentUser,
    mut tx: Tx,
    Path((fy, code)): Path<(FiscalYear, String)>,
    axum_extra::extract::Form(f): axum_extra::extract::Form<CourseForm>,
) -> Result<Response, AppError> {
    let draft = draft_of(&mut tx, &user, fy).await?;
    let audience: Vec<Target> = f.audience.iter().filter_map(|v| Target::parse(v)).collect();
    if audience.is_empty() {
        return Err(AppError::BadRequest(t().plan_audience_fix.into()));
    }
    let date = |v: &str, label: &str| {
        parse_date(v.trim())
            .ok_or_else(|| AppError::BadRequest(format!("{label}: {}", t().date_fix)))
    };
    let starts_on = date(&f.starts_on, t().plan_period)?;
    let deadline = date(&f.deadline, t().deadline)?;
    let retake_until = match f.retake_until.trim() {
        "" => None,
        v => Some(date(v, t().plan_retake)?),
    };
    if deadline < starts_on || retake_until.is_some_and(|r| r < deadline) {
        return Err(AppError::BadRequest(t().plan_dates_fix.into()));
    }
    let course = kenshu_core::plan::PlanCourse {
        code,
        audience,
        starts_on,
        deadline,
        retake_until,
    };
    let in_person_test = f.in_person_test.trim() == "on";
    let (actor, year) = (user.actor(), fy);
    plan::put_course(&mut tx, &actor, year, &draft, &course, in_person_test).await?;
    tx.commit().await?;
    Ok(saved(fy, crate::flash::Done::PlanSaved))
}

pub async fn remove_course(
    user: CurrentUser,
    mut tx: Tx,
    Path((fy, code)): Path<(FiscalYear, String)>,
) -> Result<Response, AppError> {
    let draft = draft_of(&mut tx, &user, fy).await?;
    plan::remove_course(&mut tx, &user.actor(), fy, &draft, &code).await?;
    tx.commit().await?;
    Ok(saved(fy, crate::flash::Done::PlanSaved))
}

#[derive(Deserialize)]
pub struct RuleForm {
    /// Who must acknowledge the rule (repeated: one per ticked target).
    #[serde(default)]
    audience: Vec<String>,
    #[serde(default)]
    deadline: String,
}

/// Saves one required rule of a draft: audience and deadline, as for a course.
pub async fn put_rule(
    user: CurrentUser,
    mut tx: Tx,
    Path((fy, code)): Path<(FiscalYear, String)>,
    axum_extra::extract::Form(f): axum_extra::extract::Form<RuleForm>,
) -> Result<Response, AppError> {
    let draft = draft_of(&mut tx, &user, fy).await?;
    let audience: Vec<Target> = f.audience.iter().filter_map(|v| Target::parse(v)).collect();
    if audience.is_empty() {
        return Err(AppError::BadRequest(t().plan_audience_fix.into()));
    }
    let deadline = parse_date(f.deadline.trim())
        .ok_or_else(|| AppError::BadRequest(format!("{}: {}", t().rules_deadline, t().date_fix)))?;
    let rule = kenshu_core::plan::PlanRule {
        code,
        audience,
        deadline,
    };
    plan::put_rule(&mut tx, &user.actor(), fy, &draft, &rule).await?;
    tx.commit().await?;
    Ok(saved(fy, crate::flash::Done::PlanSaved))
}

pub async fn remove_rule(
    user: CurrentUser,
    mut tx: Tx,
    Path((fy, code)): Path<(FiscalYear, String)>,
) -> Result<Response, AppError> {
    let draft = draft_of(&mut tx, &user, fy).await?;
    plan::remove_rule(&mut tx, &user.actor(), fy, &draft, &code).await?;
    tx.commit().await?;
    Ok(saved(fy, crate::flash::Done::PlanSaved))
}

/// One required rule of a draft plan, as its edit form shows it.
pub struct RuleEditLine {
    pub code: String,
    pub title: String,
    pub audience: Vec<(&'static str, &'static str, bool)>,
    pub deadline: String,
}

/// The audience choices of a course or rule form: everyone and each designation kind, ticked
/// when in `chosen`.
fn audience_choices(chosen: &[Target]) -> Vec<(&'static str, &'static str, bool)> {
    std::iter::once(Target::Everyone)
        .chain(DesignationKind::ALL.into_iter().map(Target::Designated))
        .map(|a| (a.as_str(), crate::lang::t().target(a), chosen.contains(&a)))
        .collect()
}

pub fn rule_edit_lines(plan: &PlanRecord) -> Vec<RuleEditLine> {
    plan.rules
        .iter()
        .map(|r| RuleEditLine {
            code: r.rule.code.clone(),
            title: r.title.clone(),
            audience: audience_choices(&r.rule.audience),
            deadline: r.rule.deadline.to_string(),
        })
        .collect()
}

/// The longest purpose or method text of a plan: a printed page holds about this much.
const MAX_PLAN_TEXT: usize = 2000;

#[derive(Deserialize)]
pub struct DetailsForm {
    purpose: String,
    method: String,
    newcomer_days: String,
    /// Absent (an older form): the schedule stays as it is.
    reminder_days_before: Option<String>,
    reminder_overdue_every: Option<String>,
    /// Absent (an older form): the digest rules stay as they are. A form that has them sends
    /// `digest_form`, so that an unticked `digest_enabled` reads as off.
    digest_form: Option<String>,
    digest_enabled: Option<String>,
    digest_weekday: Option<String>,
    digest_chief_after_days: Option<String>,
    /// Absent (an older form): as it is. A form that has it sends `drills_form`.
    drills_form: Option<String>,
    drills_count: Option<String>,
}

pub async fn put_details(
    user: CurrentUser,
    mut tx: Tx,
    Path(fy): Path<FiscalYear>,
    Form(f): Form<DetailsForm>,
) -> Result<Response, AppError> {
    let draft = draft_of(&mut tx, &user, fy).await?;
    let days: i32 = f
        .newcomer_days
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=365).contains(d))
        .ok_or_else(|| AppError::BadRequest(t().plan_newcomer_fix.into()))?;
    for (label, text) in [(t().plan_purpose, &f.purpose), (t().plan_method, &f.method)] {
        if text.chars().count() > MAX_PLAN_TEXT {
            return Err(AppError::BadRequest(
                t().plan_text_too_long
                    .replace("{label}", label)
                    .replace("{max}", &MAX_PLAN_TEXT.to_string())
                    .replace("{n}", &text.chars().count().to_string()),
            ));
        }
        if kenshu_core::my_number::contains_my_number(text) {
            return Err(AppError::BadRequest(format!(
                "{label}: {}",
                t().my_number_refused
            )));
        }
    }
    let digest = digest_rules(&draft.digest, &f)?;
    let before_text = f
        .reminder_days_before
        .unwrap_or_else(|| draft.reminders.before_text());
    let every_text = f
        .reminder_overdue_every
        .unwrap_or_else(|| draft.reminders.overdue_every.to_string());
    let before: Vec<i32> = Schedule::parse_before(&before_text)
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "{}: {}",
                t().plan_reminder_before,
                t().plan_reminder_before_fix
            ))
        })?
        .into_iter()
        .filter_map(|d| i32::try_from(d).ok())
        .collect();
    let every: i32 = Schedule::parse_overdue_every(&every_text)
        .and_then(|d| i32::try_from(d).ok())
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "{}: {}",
                t().plan_reminder_every,
                t().plan_reminder_every_fix
            ))
        })?;
    let details = kenshu_db::plan::Details {
        purpose: f.purpose.trim(),
        method: f.method.trim(),
        newcomer_days: days,
        reminder_days_before: &before,
        reminder_overdue_every: every,
        digest_enabled: digest.enabled,
        digest_weekday: digest.weekday_number(),
        digest_chief_after_days: i32::try_from(digest.chief_after_days).unwrap_or(30),
        drills_count: if f.drills_form.is_some() {
            f.drills_count.is_some()
        } else {
            draft.drills_count
        },
    };
    plan::put_details(&mut tx, &user.actor(), fy, &draft, &details).await?;
    tx.commit().await?;
    Ok(saved(fy, crate::flash::Done::PlanSaved))
}

/// The digest rules the form asks for, or the plan's when the form has none.
fn digest_rules(
    current: &kenshu_core::digest::Rules,
    f: &DetailsForm,
) -> Result<kenshu_core::digest::Rules, AppError> {
    use kenshu_core::digest::Rules;
    if f.digest_form.is_none() {
        return Ok(current.clone());
    }
    let weekday = match &f.digest_weekday {
        None => current.weekday,
        Some(w) => w
            .trim()
            .parse()
            .ok()
            .and_then(Rules::weekday_from_number)
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "{}: {}",
                    t().plan_digest_weekday,
                    t().plan_digest_weekday_fix
                ))
            })?,
    };
    let chief_after_days = match &f.digest_chief_after_days {
        None => current.chief_after_days,
        Some(d) => Rules::parse_chief_after_days(d).ok_or_else(|| {
            AppError::BadRequest(format!(
                "{}: {}",
                t().plan_digest_chief_after,
                t().plan_digest_chief_after_fix
            ))
        })?,
    };
    Ok(Rules {
        enabled: f.digest_enabled.is_some(),
        weekday,
        chief_after_days,
    })
}
