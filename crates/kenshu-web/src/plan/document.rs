//! The plan printed as the 研修計画書 that local bodies keep on file.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use kenshu_core::FiscalYear;
use kenshu_core::person::Role;
use kenshu_db::plan::PlanRecord;

use crate::lang::t;
use crate::page::{Chrome, jdate, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::{AppError, AppState};
use kenshu_core::i18n::Catalogue;

use super::{CourseLine, RuleLine, lines, rule_lines};

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
    rules: Vec<RuleLine>,
    officers: Vec<Officer>,
    approved_at: String,
}

/// 研修計画書: purpose, courses, audiences, period, method, responsible officers. Prints on A4.
pub async fn document(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path(fy): Path<FiscalYear>,
) -> Result<Response, AppError> {
    user.require(Action::ViewPlan)?;
    let inst = user.session.institution_id;
    let plan = kenshu_db::plan::plan(&mut conn, inst, fy)
        .await?
        .ok_or(AppError::NotFound)?;
    let lines = lines(&state, &mut conn, &plan).await?;
    let officers = kenshu_db::plan::officers(&mut conn, inst)
        .await?
        .into_iter()
        .map(|(role, name, division)| Officer {
            role: role.parse::<Role>().map(|r| t().role(r)).unwrap_or(""),
            name,
            division,
        })
        .collect();
    render(&DocumentPage {
        chrome: Chrome::for_user(&user, t().plan_document),
        t: t(),
        institution: user.session.institution_name.clone(),
        fy_label: crate::lang::t().fy_label(fy),
        approved_at: plan.approved_at.map(jdate).unwrap_or_default(),
        rules: rule_lines(&plan),
        plan,
        lines,
        officers,
    })
}
