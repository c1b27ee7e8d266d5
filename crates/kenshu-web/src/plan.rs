//! The training plan (研修計画): see it, draft it from the standard or last year's, approve it,
//! and print it as the 研修計画書 that local bodies keep on file.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_core::FiscalYear;
use kenshu_core::audit::AuditAction;
use kenshu_core::fiscal_year::japanese_date;
use kenshu_core::people::Role;
use kenshu_core::plan::{DesignationKind, Target};
use kenshu_core::reminder::Schedule;
use kenshu_core::roster::parse_date;
use kenshu_db::plans::PlanRecord;
use serde::Deserialize;

use crate::page::{Chrome, fiscal_year, jdate, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::{AppError, AppState};
use kenshu_core::i18n::{Catalogue, JA};

/// One course line of a plan, as shown.
pub struct CourseLine {
    pub title: String,
    pub audience: String,
    pub period: String,
    pub retake: String,
}

async fn lines(
    state: &AppState,
    conn: &mut kenshu_db::PgConnection,
    plan: &PlanRecord,
) -> Result<Vec<CourseLine>, AppError> {
    let mut out = Vec::with_capacity(plan.plan.courses.len());
    for c in &plan.plan.courses {
        let title = match kenshu_db::content::current_version(&mut *conn, &c.code).await? {
            Some(v) => state.catalog.package(&mut *conn, v).await?.title.clone(),
            None => c.code.clone(),
        };
        out.push(CourseLine {
            title,
            audience: c
                .audience
                .iter()
                .map(|t| t.label_ja())
                .collect::<Vec<_>>()
                .join("、"),
            period: format!(
                "{} 〜 {}",
                japanese_date(c.starts_on),
                japanese_date(c.deadline)
            ),
            retake: c
                .retake_until
                .map(japanese_date)
                .unwrap_or_else(|| "—".into()),
        });
    }
    Ok(out)
}

#[derive(Deserialize, Default)]
pub struct FyQuery {
    fy: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "plan/index.html")]
struct PlanPage {
    chrome: Chrome,
    t: &'static Catalogue,
    fy: FiscalYear,
    fy_label: String,
    plan: Option<PlanRecord>,
    lines: Vec<CourseLine>,
    edit: Vec<EditLine>,
    addable: Vec<(String, String)>,
    approved_at: String,
    may_draft: bool,
    may_approve: bool,
    error: Option<&'static str>,
    /// Courses whose in-person sessions also need the test passed (集合研修), by code and title.
    in_person_test: Vec<(String, String)>,
}

impl PlanPage {
    fn in_person_test_required(&self, code: &str) -> bool {
        self.in_person_test.iter().any(|c| c.0 == code)
    }
}

pub async fn index(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
    Query(q): Query<FyQuery>,
) -> Result<Response, AppError> {
    user.require(Action::ViewPlan)?;
    let fy = fiscal_year(q.fy.as_deref());
    let plan = kenshu_db::plans::plan(&mut conn, user.session.institution_id, fy).await?;
    let lines = match &plan {
        Some(p) => lines(&state, &mut conn, p).await?,
        None => Vec::new(),
    };
    let may_draft = user.may(Action::DraftPlan);
    let (edit, addable) = match &plan {
        Some(p) if may_draft && !p.plan.approved => {
            let mut addable = Vec::new();
            for v in kenshu_db::content::versions(&mut conn)
                .await?
                .into_iter()
                .filter(|v| v.current)
            {
                if !p.plan.courses.iter().any(|c| c.code == v.course_code) {
                    addable.push((v.course_code, v.title));
                }
            }
            (edit_lines(p, &lines), addable)
        }
        _ => (Vec::new(), Vec::new()),
    };
    let in_person_test = match &plan {
        Some(p) => {
            let codes = kenshu_db::in_person::test_required_courses(
                &mut conn,
                user.session.institution_id,
                p.id,
            )
            .await?;
            p.plan
                .courses
                .iter()
                .zip(&lines)
                .filter(|(c, _)| codes.contains(&c.code))
                .map(|(c, l)| (c.code.clone(), l.title.clone()))
                .collect()
        }
        None => Vec::new(),
    };
    render(&PlanPage {
        in_person_test,
        edit,
        addable,
        chrome: Chrome::for_user(&user, JA.plan_title),
        t: &JA,
        fy,
        fy_label: fy.to_string(),
        approved_at: plan
            .as_ref()
            .and_then(|p| p.approved_at)
            .map(jdate)
            .unwrap_or_default(),
        plan,
        lines,
        may_draft,
        may_approve: user.may(Action::ApprovePlan),
        error: match q.error.as_deref() {
            Some("no-previous") => Some(JA.plan_no_previous),
            Some("exists") => Some(JA.plan_exists),
            _ => None,
        },
    })
}

#[derive(Deserialize)]
pub struct CreateForm {
    fy: i32,
    from: String,
}

/// Drafts a plan: the standard one, or a copy of last year's.
pub async fn create(
    user: CurrentUser,
    Conn(mut conn): Conn,
    Form(form): Form<CreateForm>,
) -> Result<Response, AppError> {
    user.require(Action::DraftPlan)?;
    let fy = FiscalYear(form.fy);
    let inst = user.session.institution_id;
    let me = Some(user.session.user_id);
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    if kenshu_db::plans::plan(&mut tx, inst, fy).await?.is_some() {
        return Ok(Redirect::to(&format!("/plans?fy={}&error=exists", fy.0)).into_response());
    }
    match form.from.as_str() {
        "previous" => {
            if kenshu_db::plans::copy_previous(&mut tx, inst, fy, me)
                .await?
                .is_none()
            {
                return Ok(
                    Redirect::to(&format!("/plans?fy={}&error=no-previous", fy.0)).into_response(),
                );
            }
        }
        _ => {
            kenshu_db::plans::create_standard(&mut tx, inst, fy, false, me).await?;
        }
    }
    user.actor()
        .record(
            &mut tx,
            AuditAction::PlanCreated,
            &fy.0.to_string(),
            &form.from,
        )
        .await?;
    tx.commit().await?;
    tracing::info!(fiscal_year = fy.0, "training plan drafted");
    Ok(Redirect::to(&format!("/plans?fy={}", fy.0)).into_response())
}

/// The chief officer approves the draft; from then on it assigns courses.
pub async fn approve(
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path(fy): Path<i32>,
) -> Result<Response, AppError> {
    user.require(Action::ApprovePlan)?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let inst = user.session.institution_id;
    let plan = kenshu_db::plans::plan(&mut tx, inst, FiscalYear(fy))
        .await?
        .ok_or(AppError::NotFound)?;
    kenshu_db::plans::approve(&mut tx, inst, plan.id, Some(user.session.user_id)).await?;
    user.actor()
        .record(&mut tx, AuditAction::PlanApproved, &fy.to_string(), "")
        .await?;
    tx.commit().await?;
    tracing::info!(fiscal_year = fy, "training plan approved");
    Ok(Redirect::to(&format!("/plans?fy={fy}")).into_response())
}

pub struct Officer {
    pub role: &'static str,
    pub name: String,
    pub division: String,
}

#[derive(Template)]
#[template(path = "plan/document.html")]
struct DocumentPage {
    chrome: Chrome,
    t: &'static Catalogue,
    institution: String,
    fy_label: String,
    plan: PlanRecord,
    lines: Vec<CourseLine>,
    officers: Vec<Officer>,
    approved_at: String,
}

/// 研修計画書: purpose, courses, audiences, period, method, responsible officers. Prints on A4.
pub async fn document(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path(fy): Path<i32>,
) -> Result<Response, AppError> {
    user.require(Action::ViewPlan)?;
    let fy = FiscalYear(fy);
    let inst = user.session.institution_id;
    let plan = kenshu_db::plans::plan(&mut conn, inst, fy)
        .await?
        .ok_or(AppError::NotFound)?;
    let lines = lines(&state, &mut conn, &plan).await?;
    let officers = kenshu_db::plans::officers(&mut conn, inst)
        .await?
        .into_iter()
        .map(|(role, name, division)| Officer {
            role: role.parse::<Role>().map(Role::label_ja).unwrap_or(""),
            name,
            division,
        })
        .collect();
    render(&DocumentPage {
        chrome: Chrome::for_user(&user, JA.plan_document),
        t: &JA,
        institution: user.session.institution_name.clone(),
        fy_label: fy.to_string(),
        approved_at: plan.approved_at.map(jdate).unwrap_or_default(),
        plan,
        lines,
        officers,
    })
}

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
            audience: std::iter::once(Target::Everyone)
                .chain(DesignationKind::ALL.into_iter().map(Target::Designated))
                .map(|t| (t.as_str(), t.label_ja(), c.audience.contains(&t)))
                .collect(),
            starts_on: c.starts_on.to_string(),
            deadline: c.deadline.to_string(),
            retake_until: c.retake_until.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect()
}

async fn draft_of<'c>(
    conn: &'c mut sqlx::PgConnection,
    user: &CurrentUser,
    fy: i32,
) -> Result<(kenshu_db::Transaction<'c, kenshu_db::Postgres>, PlanRecord), AppError> {
    user.require(Action::DraftPlan)?;
    let mut tx = sqlx::Connection::begin(conn).await?;
    let plan = kenshu_db::plans::plan(&mut tx, user.session.institution_id, FiscalYear(fy))
        .await?
        .ok_or(AppError::NotFound)?;
    if plan.plan.approved {
        return Err(AppError::BadRequest(JA.plan_locked.into()));
    }
    Ok((tx, plan))
}

/// Saves one course of a draft: audience, period, deadline, re-attendance window.
pub async fn put_course(
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path((fy, code)): Path<(i32, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (mut tx, plan) = draft_of(&mut conn, &user, fy).await?;
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    };
    let audience: Vec<Target> = fields
        .iter()
        .filter(|(k, _)| k == "audience")
        .filter_map(|(_, v)| Target::parse(v))
        .collect();
    if audience.is_empty() {
        return Err(AppError::BadRequest(JA.plan_audience_fix.into()));
    }
    let date = |k: &str, label: &str| {
        parse_date(get(k)).ok_or_else(|| AppError::BadRequest(format!("{label}: {}", JA.date_fix)))
    };
    let starts_on = date("starts_on", JA.plan_period)?;
    let deadline = date("deadline", JA.deadline)?;
    let retake_until = match get("retake_until") {
        "" => None,
        _ => Some(date("retake_until", JA.plan_retake)?),
    };
    if deadline < starts_on || retake_until.is_some_and(|r| r < deadline) {
        return Err(AppError::BadRequest(JA.plan_dates_fix.into()));
    }
    if kenshu_db::content::current_version(&mut tx, &code)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    let course = kenshu_core::plan::PlanCourse {
        code,
        audience,
        starts_on,
        deadline,
        retake_until,
    };
    kenshu_db::plans::put_course(&mut tx, user.session.institution_id, plan.id, &course).await?;
    kenshu_db::in_person::set_test_required(
        &mut tx,
        user.session.institution_id,
        plan.id,
        &course.code,
        get("in_person_test") == "on",
    )
    .await?;
    user.actor()
        .record(
            &mut tx,
            AuditAction::PlanChanged,
            &fy.to_string(),
            &format!("course {}", course.code),
        )
        .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/plans?fy={fy}")).into_response())
}

pub async fn remove_course(
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path((fy, code)): Path<(i32, String)>,
) -> Result<Response, AppError> {
    let (mut tx, plan) = draft_of(&mut conn, &user, fy).await?;
    kenshu_db::plans::remove_course(&mut tx, user.session.institution_id, plan.id, &code).await?;
    user.actor()
        .record(
            &mut tx,
            AuditAction::PlanChanged,
            &fy.to_string(),
            &format!("removed {code}"),
        )
        .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/plans?fy={fy}")).into_response())
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
}

pub async fn put_details(
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path(fy): Path<i32>,
    Form(f): Form<DetailsForm>,
) -> Result<Response, AppError> {
    let (mut tx, plan) = draft_of(&mut conn, &user, fy).await?;
    let days: i32 = f
        .newcomer_days
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=365).contains(d))
        .ok_or_else(|| AppError::BadRequest(JA.plan_newcomer_fix.into()))?;
    for (label, text) in [(JA.plan_purpose, &f.purpose), (JA.plan_method, &f.method)] {
        if text.chars().count() > MAX_PLAN_TEXT {
            return Err(AppError::BadRequest(format!(
                "{label}: {MAX_PLAN_TEXT}文字以内にしてください（いまは{}文字です）。 (at most {MAX_PLAN_TEXT} characters)",
                text.chars().count()
            )));
        }
        if kenshu_core::my_number::contains_my_number(text) {
            return Err(AppError::BadRequest(format!(
                "{label}: {}",
                JA.my_number_refused
            )));
        }
    }
    let before_text = f
        .reminder_days_before
        .unwrap_or_else(|| plan.reminders.before_text());
    let every_text = f
        .reminder_overdue_every
        .unwrap_or_else(|| plan.reminders.overdue_every.to_string());
    let before: Vec<i32> = Schedule::parse_before(&before_text)
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "{}: {}",
                JA.plan_reminder_before, JA.plan_reminder_before_fix
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
                JA.plan_reminder_every, JA.plan_reminder_every_fix
            ))
        })?;
    kenshu_db::plans::put_details(
        &mut tx,
        user.session.institution_id,
        plan.id,
        &kenshu_db::plans::Details {
            purpose: f.purpose.trim(),
            method: f.method.trim(),
            newcomer_days: days,
            reminder_days_before: &before,
            reminder_overdue_every: every,
        },
    )
    .await?;
    user.actor()
        .record(
            &mut tx,
            AuditAction::PlanChanged,
            &fy.to_string(),
            "details",
        )
        .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/plans?fy={fy}")).into_response())
}
