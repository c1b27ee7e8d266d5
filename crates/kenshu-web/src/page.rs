//! What every page shares: the layout's data and rendering.

use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use kenshu_core::FiscalYear;
use time::OffsetDateTime;

use crate::AppError;
use crate::lang::t;
use crate::policy::Action;
use crate::session::CurrentUser;
use kenshu_core::i18n::Catalogue;

/// The data of `base.html`: who is signed in, the CSRF token for forms, the navigation.
pub struct Chrome {
    pub t: &'static Catalogue,
    pub title: String,
    pub signed_in: bool,
    pub user_name: String,
    pub institution: String,
    pub role_label: &'static str,
    pub csrf: String,
    pub admin: bool,
    pub plans: bool,
    pub designations: bool,
    pub roster: bool,
    pub dashboard: bool,
    /// In-person sessions (集合研修): the officers' pages and staff sign-up.
    pub in_person_manage: bool,
    pub in_person_signup: bool,
    /// The audit log (監査ログ).
    pub audit: bool,
    pub overview: bool,
    pub reports: bool,
    /// 教材の管理: course packages (the chief officer's own, the administrator's shared).
    pub author: bool,
    /// The institution's rules: who acknowledged them (規程の管理).
    pub rules_manage: bool,
    /// Targeted-attack mail drills (標的型メール訓練).
    pub drills: bool,
    /// Deputies of absent officers (代理者の指定): the chief officer, and the audit officer reading.
    pub deputies: bool,
    /// What the action before this page did ([`crate::flash`]).
    pub flash: Option<&'static str>,
}

impl Chrome {
    pub fn for_user(user: &CurrentUser, title: impl Into<String>) -> Self {
        Chrome {
            t: t(),
            title: title.into(),
            signed_in: true,
            user_name: user.session.name.clone(),
            institution: user.session.institution_name.clone(),
            role_label: t().role(user.role),
            csrf: user.session.csrf_token.clone(),
            admin: user.may(Action::ManageContent),
            plans: user.may(Action::ViewPlan),
            designations: user.may(Action::ManageDesignations),
            roster: user.may(Action::ImportRoster),
            dashboard: user.may(Action::ViewDashboard),
            in_person_manage: user.may(Action::ManageSessions),
            in_person_signup: user.may(Action::TakeTraining),
            audit: user.may(Action::ViewAudit),
            overview: user.may(Action::ViewOverview),
            reports: user.may(Action::ExportReports),
            author: user.may(Action::AuthorCourses),
            rules_manage: user.may(Action::ViewRuleStandings),
            drills: user.may(Action::ViewDrills),
            deputies: user.may(Action::ViewDeputies),
            flash: user.flash.map(|d| d.message(t())),
        }
    }

    pub fn anonymous(title: impl Into<String>, csrf: String) -> Self {
        Chrome {
            t: t(),
            title: title.into(),
            signed_in: false,
            user_name: String::new(),
            institution: String::new(),
            role_label: "",
            csrf,
            admin: false,
            plans: false,
            designations: false,
            roster: false,
            dashboard: false,
            in_person_manage: false,
            in_person_signup: false,
            audit: false,
            overview: false,
            reports: false,
            author: false,
            rules_manage: false,
            drills: false,
            deputies: false,
            flash: None,
        }
    }
}

pub fn render(page: &impl Template) -> Result<Response, AppError> {
    Ok(Html(page.render()?).into_response())
}

/// A form page, answered 422 when it shows a refusal (the form again with what was typed).
pub fn render_form(page: &impl Template, refused: bool) -> Result<Response, AppError> {
    let mut res = render(page)?;
    if refused {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

pub fn render_with_cookie(
    page: &impl Template,
    cookie: Option<String>,
) -> Result<Response, AppError> {
    let mut res = render(page)?;
    if let Some(c) = cookie
        && let Ok(v) = c.parse()
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// The fiscal year a request is about: `?fy=2025`, or the current one in Japan.
pub fn fiscal_year(param: Option<&str>) -> FiscalYear {
    param
        .and_then(FiscalYear::parse)
        .unwrap_or_else(|| FiscalYear::of(kenshu_core::japan_today()))
}

/// The day of a timestamp in Japan, in the request's language: `令和7年4月1日`, `1 Apr 2025`.
pub fn jdate(at: OffsetDateTime) -> String {
    t().date_of(at)
}

/// A day in the request's language: `令和7年4月1日`, `1 Apr 2025`.
pub fn day(d: time::Date) -> String {
    t().date(d)
}

/// A moment in Japan time, in the request's language and in the same form as the dates
/// around it: `令和7年4月1日 09:30`, `1 Apr 2025 09:30` (never ISO next to 和暦).
pub fn jtime(at: OffsetDateTime) -> String {
    let at = at.to_offset(kenshu_core::fiscal_year::JST);
    format!(
        "{} {:02}:{:02}",
        t().date(at.date()),
        at.hour(),
        at.minute()
    )
}
