//! The training plan (研修計画): see it, draft it from the standard or last year's, approve it,
//! and print it as the 研修計画書 that local bodies keep on file.

mod document;
mod edit;

pub use document::document;
use edit::{EditLine, RuleEditLine, edit_lines, rule_edit_lines};
pub use edit::{put_course, put_details, put_rule, remove_course, remove_rule};

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_app::plan::{self, PlanError};
use kenshu_core::FiscalYear;
use kenshu_db::plan::PlanRecord;
use serde::Deserialize;

use crate::lang::t;
use crate::page::{Chrome, jdate, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use crate::year::Year;
use crate::{AppError, AppState};
use kenshu_core::i18n::Catalogue;

/// One course line of a plan, as shown.
pub struct CourseLine {
    pub title: String,
    pub audience: String,
    pub period: String,
    pub retake: String,
}

/// One required rule of a plan, as shown.
pub struct RuleLine {
    pub title: String,
    pub version: String,
    pub audience: String,
    pub deadline: String,
}

fn rule_lines(plan: &PlanRecord) -> Vec<RuleLine> {
    plan.rules
        .iter()
        .map(|r| RuleLine {
            title: r.title.clone(),
            version: t().rule_version(r.version),
            audience: r
                .rule
                .audience
                .iter()
                .map(|a| t().target(*a))
                .collect::<Vec<_>>()
                .join(t().list_sep),
            deadline: crate::page::day(r.rule.deadline),
        })
        .collect()
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
                .map(|a| t().target(*a))
                .collect::<Vec<_>>()
                .join(t().list_sep),
            period: format!(
                "{} {} {}",
                crate::page::day(c.starts_on),
                crate::lang::t().range_sep,
                crate::page::day(c.deadline)
            ),
            retake: c
                .retake_until
                .map(crate::page::day)
                .unwrap_or_else(|| "—".into()),
        });
    }
    Ok(out)
}

#[derive(Deserialize, Default)]
pub struct FyQuery {
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
    /// The rules the plan requires, and (while a draft) their forms and the published rules
    /// not yet required.
    rules: Vec<RuleLine>,
    rule_edit: Vec<RuleEditLine>,
    rule_addable: Vec<(String, String)>,
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
    Year(fy): Year,
    Query(q): Query<FyQuery>,
) -> Result<Response, AppError> {
    user.require(Action::ViewPlan)?;
    let plan = kenshu_db::plan::plan(&mut conn, user.session.institution_id, fy).await?;
    let lines = match &plan {
        Some(p) => lines(&state, &mut conn, p).await?,
        None => Vec::new(),
    };
    let may_draft = user.may(Action::DraftPlan);
    let (edit, addable) = match &plan {
        Some(p) if may_draft && !p.plan.approved => {
            let mut addable = Vec::new();
            let inst = Some(user.session.institution_id);
            for (code, title, _) in kenshu_db::content::current_versions_of(&mut conn, inst).await?
            {
                if !p.plan.courses.iter().any(|c| c.code == code) {
                    addable.push((code, title));
                }
            }
            (edit_lines(p, &lines), addable)
        }
        _ => (Vec::new(), Vec::new()),
    };
    let (rule_edit, rule_addable) = match &plan {
        Some(p) if may_draft && !p.plan.approved => {
            let published = kenshu_db::rules::list(&mut conn, user.session.institution_id).await?;
            let addable = published
                .into_iter()
                .filter(|r| p.rule(&r.code).is_none())
                .map(|r| (r.code, r.title))
                .collect();
            (rule_edit_lines(p), addable)
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
        rules: plan.as_ref().map(rule_lines).unwrap_or_default(),
        rule_edit,
        rule_addable,
        in_person_test,
        edit,
        addable,
        chrome: Chrome::for_user(&user, t().plan_title),
        t: t(),
        fy,
        fy_label: crate::lang::t().fy_label(fy),
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
            Some("no-previous") => Some(t().plan_no_previous),
            Some("exists") => Some(t().plan_exists),
            _ => None,
        },
    })
}

#[derive(Deserialize)]
pub struct CreateForm {
    fy: FiscalYear,
    from: String,
}

/// Drafts a plan: the standard one, or a copy of last year's.
pub async fn create(
    user: CurrentUser,
    mut tx: Tx,
    Form(form): Form<CreateForm>,
) -> Result<Response, AppError> {
    user.require(Action::DraftPlan)?;
    let fy = form.fy;
    let from = plan::Source::parse(&form.from);
    match plan::create(&mut tx, &user.actor(), fy, from).await {
        Ok(_) => {}
        // Someone else drafted the same year, maybe a moment ago: the page says so by the
        // form.
        Err(PlanError::Exists) => return Ok(to_year(fy, "&error=exists")),
        Err(PlanError::NoPrevious) => return Ok(to_year(fy, "&error=no-previous")),
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(saved(fy, crate::flash::Done::PlanSaved))
}

/// The chief officer approves the draft; from then on it assigns courses.
pub async fn approve(
    user: CurrentUser,
    mut tx: Tx,
    Path(fy): Path<FiscalYear>,
) -> Result<Response, AppError> {
    user.require(Action::ApprovePlan)?;
    plan::approve(&mut tx, &user.actor(), fy).await?;
    tx.commit().await?;
    Ok(saved(fy, crate::flash::Done::PlanApproved))
}

/// Back to the plan page of a year, with `more` (`&error=…`) in its query.
fn to_year(fy: FiscalYear, more: &str) -> Response {
    Redirect::to(&format!("/plans?fy={}{more}", fy.year())).into_response()
}

/// Back to the year's plan, saying what was done.
pub(super) fn saved(fy: FiscalYear, done: crate::flash::Done) -> Response {
    crate::flash::redirect(&format!("/plans?fy={}", fy.year()), done)
}
