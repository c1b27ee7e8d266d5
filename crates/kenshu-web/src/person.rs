//! One person as their protection officer (or the chief officer) sees them: designations,
//! assignments and statuses for the year, and exemptions with their reason and who decided.

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use kenshu_core::my_number::contains_my_number;
use kenshu_core::plan::DesignationKind;
use kenshu_db::exam;
use kenshu_db::learning::{self, Learner};
use serde::Deserialize;

use crate::AppError;
use crate::flash::Done;
use crate::lang::t;
use crate::page::{Chrome, jdate, render};
use crate::policy::Action;
use crate::refused::{Form as _, Refused};
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use crate::year::ThisYear;
use kenshu_app::follow_up::{self, FollowUp, Person, retake_deadline};
use kenshu_app::learning::{CourseStanding, assignment_status, assignments_and_rules_of};
use kenshu_core::i18n::Catalogue;

pub struct Row {
    pub retake: bool,
    pub code: String,
    pub title: String,
    pub status_key: &'static str,
    pub status: &'static str,
    pub deadline: String,
    pub individual: bool,
    pub done: bool,
}

#[derive(Template)]
#[template(path = "person/show.html")]
struct PersonPage {
    chrome: Chrome,
    t: &'static Catalogue,
    login: String,
    name: String,
    fy_label: String,
    rows: Vec<Row>,
    designations: Vec<(&'static str, String)>,
    exemptions: Vec<(String, String, String, String)>,
    may_exempt: bool,
    follow_ups: Vec<(String, &'static str, String, String)>,
    attempts: Vec<(String, String, String, bool)>,
    methods: [(&'static str, &'static str); 4],
    today: String,
    reminders: Vec<crate::reminder::ReminderRow>,
    /// A course not done or a rule not acknowledged: the reminder form is offered.
    any_untrained: bool,
    refused: Option<Refused>,
    /// The rules the plan requires of them, and where they stand with each.
    rules: Vec<RuleRow>,
}

/// One required rule on the person page.
pub struct RuleRow {
    pub code: String,
    pub title: String,
    pub version: String,
    pub state_key: &'static str,
    pub state: &'static str,
    pub deadline: String,
    pub acknowledged_at: String,
    /// An earlier version they acknowledged, when the current one is not.
    pub earlier: String,
}

impl crate::refused::Form for PersonPage {
    fn refused(&self) -> Option<&Refused> {
        self.refused.as_ref()
    }
}

/// Follow-up methods: identifier and name in the request's language (口頭, 電話, メール, 文書).
pub fn methods() -> [(&'static str, &'static str); 4] {
    let t = t();
    [
        ("oral", t.follow_up_oral),
        ("phone", t.follow_up_phone),
        ("email", t.follow_up_email),
        ("document", t.follow_up_document),
    ]
}

fn method_label(m: &str) -> &'static str {
    methods()
        .iter()
        .find(|(k, _)| *k == m)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// The person and their current division, 403 when outside the viewer's divisions.
async fn person(
    conn: &mut kenshu_db::PgConnection,
    user: &CurrentUser,
    login: &str,
    action: Action,
) -> Result<(uuid::Uuid, String), AppError> {
    user.require(action)?;
    // Unknown people answer 403 like people elsewhere: nothing tells them apart.
    let (id, division, name) =
        kenshu_db::person::by_login(conn, user.session.institution_id, login)
            .await?
            .ok_or(AppError::Forbidden)?;
    user.require_division(action, division)?;
    Ok((id, name))
}

pub async fn show(
    user: CurrentUser,
    Path(login): Path<String>,
    ThisYear(fy): ThisYear,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let (id, name) = person(&mut conn, &user, &login, Action::ViewDashboard).await?;
    if id != user.session.user_id {
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        follow_up::viewed(&mut tx, &user.actor(), &login).await?;
        tx.commit().await?;
    }
    page(&user, &mut conn, (login, id, name), fy, None).await
}

/// The person page again with a refused form as it was typed, answered 422.
pub async fn refuse(
    user: &CurrentUser,
    tx: Tx,
    login: String,
    fy: kenshu_core::FiscalYear,
    refused: Refused,
) -> Result<Response, AppError> {
    let crate::session::Conn(mut conn) = tx.rollback()?;
    let (id, name) = person(&mut conn, user, &login, Action::ViewDashboard).await?;
    let mut res = page(user, &mut conn, (login, id, name), fy, Some(refused)).await?;
    *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

/// The page of a person the viewer may see (the caller checked: `person`).
async fn page(
    user: &CurrentUser,
    conn: &mut kenshu_db::PgConnection,
    (login, id, name): (String, uuid::Uuid, String),
    fy: kenshu_core::FiscalYear,
    refused: Option<Refused>,
) -> Result<Response, AppError> {
    let inst = user.session.institution_id;
    // The rules the plan requires of them come with the plan, in the same statement.
    let (_, assigned, required) = assignments_and_rules_of(&mut *conn, inst, id, fy).await?;
    let rules: Vec<RuleRow> = required
        .into_iter()
        .map(|r| RuleRow {
            // The badge's colours: the courses' statuses'.
            state_key: match r.state {
                kenshu_core::plan::RuleState::Acknowledged => "completed",
                kenshu_core::plan::RuleState::Pending => "not_started",
                kenshu_core::plan::RuleState::Overdue => "overdue",
            },
            state: t().rule_state(r.state),
            version: t().rule_version(r.version),
            deadline: crate::page::day(r.deadline),
            acknowledged_at: r
                .acknowledged_at
                .map(crate::page::jtime)
                .unwrap_or_default(),
            earlier: r
                .last_version
                .filter(|v| *v != r.version)
                .map(|v| t().rule_version(v))
                .unwrap_or_default(),
            code: r.code,
            title: r.title,
        })
        .collect();
    let codes: Vec<&str> = assigned.iter().map(|a| a.code.as_str()).collect();
    let who = Learner {
        institution_id: inst,
        user_id: id,
        fiscal_year: fy,
    };
    let today = kenshu_core::japan_today();
    let rows: Vec<Row> = learning::summaries(&mut *conn, who, &codes)
        .await?
        .into_iter()
        .map(|s| {
            let a = assigned.iter().find(|a| a.code == s.code);
            let CourseStanding {
                status: st,
                deadline,
                retake,
            } = assignment_status(&s, a, today);
            Row {
                code: s.code,
                title: s.title,
                status_key: st.as_str(),
                status: t().status(st),
                deadline: deadline.map(crate::page::day).unwrap_or_default(),
                retake,
                individual: a.is_some_and(|a| a.individual),
                done: st.is_done(),
            }
        })
        .collect();
    let designations = kenshu_db::designation::for_person(&mut *conn, inst, id)
        .await?
        .into_iter()
        .map(|d| {
            (
                DesignationKind::parse(&d.kind)
                    .map(|k| crate::lang::t().designation_kind(k))
                    .unwrap_or(""),
                format!(
                    "{} {} {}",
                    crate::page::day(d.valid_from),
                    crate::lang::t().range_sep,
                    d.valid_to.map(crate::page::day).unwrap_or_default()
                ),
            )
        })
        .collect();
    let exemptions = kenshu_db::plan::exemptions(&mut *conn, inst, id, fy)
        .await?
        .into_iter()
        .map(|(c, reason, by, at)| (c, reason, by, jdate(at)))
        .collect();
    let attempts = exam::attempt_history(&mut *conn, who)
        .await?
        .into_iter()
        .map(|(title, at, score, total, passed)| {
            (
                title,
                crate::page::jtime(at),
                format!("{score} / {total}"),
                passed,
            )
        })
        .collect();
    let follow_ups = kenshu_db::follow_up::for_person(&mut *conn, inst, id)
        .await?
        .into_iter()
        .map(|f| {
            (
                crate::page::day(f.happened_on),
                method_label(&f.method),
                f.note,
                f.recorded_by,
            )
        })
        .collect();
    let rule_titles: Vec<(&str, &str)> = rules
        .iter()
        .map(|r| (r.code.as_str(), r.title.as_str()))
        .collect();
    let reminders = crate::reminder::rows(
        &mut *conn,
        inst,
        id,
        false,
        &crate::reminder::Shown {
            finished: &[],
            rule_titles: &rule_titles,
            pending_rules_only: false,
        },
    )
    .await?;
    // Something to remind them of: a course not done or a rule not acknowledged.
    let any_untrained =
        rows.iter().any(|r| !r.done) || rules.iter().any(|r| r.state_key != "completed");
    render(&PersonPage {
        rules,
        reminders,
        any_untrained,
        refused,
        chrome: Chrome::for_user(user, name.clone()),
        t: t(),
        login,
        name,
        fy_label: crate::lang::t().fy_label(fy),
        rows,
        designations,
        exemptions,
        may_exempt: user.may(Action::ManageDesignations),
        follow_ups,
        attempts,
        methods: methods(),
        today: kenshu_core::japan_today().to_string(),
    })
}

#[derive(Deserialize)]
pub struct ExemptForm {
    course: String,
    reason: String,
}

/// Exempts a person from a course this year; the reason is required, and who decided is kept.
pub async fn exempt(
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    mut tx: Tx,
    Path(login): Path<String>,
    Form(f): Form<ExemptForm>,
) -> Result<Response, AppError> {
    let (id, _) = person(&mut tx, &user, &login, Action::ManageDesignations).await?;
    let reason = f.reason.trim();
    let problem = if reason.is_empty() || reason.chars().count() > 500 {
        Some(t().exempt_reason_fix.to_string())
    } else if contains_my_number(reason) {
        Some(t().my_number_refused.to_string())
    } else {
        None
    };
    if let Some(reason) = problem {
        let typed = vec![("course", f.course.clone()), ("reason", f.reason.clone())];
        let refused = Refused::new("reason", reason, typed);
        return refuse(&user, tx, login, fy, refused).await;
    }
    let whom = Person { login: &login, id };
    follow_up::exempt(&mut tx, &user.actor(), fy, whom, &f.course, reason).await?;
    tx.commit().await?;
    Ok(back(&login, Done::Exempted))
}

#[derive(Deserialize)]
pub struct FollowUpForm {
    on: String,
    method: String,
    #[serde(default)]
    note: String,
}

/// Records a follow-up (対応記録). The note never holds a My Number.
pub async fn follow_up(
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    mut tx: Tx,
    Path(login): Path<String>,
    Form(f): Form<FollowUpForm>,
) -> Result<Response, AppError> {
    let (id, _) = person(&mut tx, &user, &login, Action::ManageDesignations).await?;
    let on = kenshu_core::roster::parse_date(&f.on);
    let note = f.note.trim();
    let problem = if on.is_none() {
        Some(("fu-on", t().date_fix.to_string()))
    } else if !methods().iter().any(|(k, _)| *k == f.method) {
        Some(("fu-method", t().follow_up_method_fix.to_string()))
    } else if note.chars().count() > 2000 {
        Some(("fu-note", t().follow_up_note_fix.to_string()))
    } else if contains_my_number(note) {
        Some(("fu-note", t().my_number_refused.to_string()))
    } else {
        None
    };
    if let Some((field, reason)) = problem {
        let typed = vec![
            ("fu-on", f.on.clone()),
            ("fu-method", f.method.clone()),
            ("fu-note", f.note.clone()),
        ];
        let refused = Refused::new(field, reason, typed);
        return refuse(&user, tx, login, fy, refused).await;
    }
    let on = on.ok_or_else(|| AppError::BadRequest(t().date_fix.into()))?;
    let recorded = FollowUp {
        on,
        method: &f.method,
        note,
    };
    follow_up::record_follow_up(&mut tx, &user.actor(), id, &recorded).await?;
    tx.commit().await?;
    Ok(back(&login, Done::FollowUpRecorded))
}

#[derive(Deserialize)]
pub struct RetakeForm {
    course: String,
    deadline: String,
}

/// Gives one person a new deadline for a course (再受講の機会).
pub async fn retake(
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    mut tx: Tx,
    Path(login): Path<String>,
    Form(f): Form<RetakeForm>,
) -> Result<Response, AppError> {
    let (id, _) = person(&mut tx, &user, &login, Action::ManageDesignations).await?;
    let deadline = match retake_deadline(&f.deadline, kenshu_core::japan_today()) {
        Ok(d) => d,
        Err(e) => {
            let typed = vec![
                ("retake-course", f.course.clone()),
                ("retake-deadline", f.deadline.clone()),
            ];
            let refused = Refused::of(e.into(), "retake-deadline", typed)?;
            return refuse(&user, tx, login, fy, refused).await;
        }
    };
    let whom = Person { login: &login, id };
    follow_up::grant_retake(&mut tx, &user.actor(), fy, whom, &f.course, deadline).await?;
    tx.commit().await?;
    Ok(back(&login, Done::RetakeGranted))
}

/// Back to the person's page, saying what was done.
fn back(login: &str, done: Done) -> Response {
    crate::flash::redirect(
        &format!("/people/{}", crate::error::url_escape(login)),
        done,
    )
}
