//! Rules read and acknowledged (規程の確認): everyone's list and reading page, the chief
//! officer's publishing page and who has acknowledged. The rules are `kenshu_app::rules`'s.

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kenshu_app::rules::{AckRefusal, DraftProblem};
use kenshu_core::i18n::Catalogue;
use serde::Deserialize;

use crate::AppError;
use crate::lang::t;
use crate::page::{Chrome, jtime, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};

pub struct MyRuleView {
    code: String,
    title: String,
    version: i32,
    pending: bool,
    acknowledged_at: String,
}

#[derive(Template)]
#[template(path = "rules/index.html")]
struct IndexPage {
    chrome: Chrome,
    t: &'static Catalogue,
    rules: Vec<MyRuleView>,
}

/// Every rule of the institution and whether the person has acknowledged its current version.
pub async fn index(user: CurrentUser, Conn(mut conn): Conn) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let rules =
        kenshu_db::rules::mine(&mut conn, user.session.institution_id, user.session.user_id)
            .await?
            .into_iter()
            .map(|r| MyRuleView {
                pending: r.pending(),
                acknowledged_at: r.acknowledged_at.map(jtime).unwrap_or_default(),
                code: r.code,
                title: r.title,
                version: r.version,
            })
            .collect();
    render(&IndexPage {
        chrome: Chrome::for_user(&user, t().rules_title),
        t: t(),
        rules,
    })
}

#[derive(Template)]
#[template(path = "rules/show.html")]
struct ShowPage {
    chrome: Chrome,
    t: &'static Catalogue,
    rule: kenshu_db::rules::RuleVersion,
    published_at: String,
    body_html: String,
    acknowledged_at: Option<String>,
    /// Seconds before the button may be pressed (the server's count).
    wait_secs: i64,
    error: Option<String>,
}

async fn show_page(
    user: &CurrentUser,
    conn: &mut kenshu_db::PgConnection,
    code: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    let s = &user.session;
    let rule = kenshu_db::rules::current(conn, s.institution_id, code)
        .await?
        .ok_or(AppError::NotFound)?;
    let read =
        kenshu_db::rules::opened(conn, s.institution_id, s.user_id, code, rule.version).await?;
    let acknowledged_at =
        kenshu_db::rules::acknowledged_at(conn, s.institution_id, s.user_id, code, rule.version)
            .await?
            .map(jtime);
    let refused = error.is_some();
    let page = ShowPage {
        chrome: Chrome::for_user(user, rule.title.clone()),
        t: t(),
        published_at: jtime(rule.published_at),
        body_html: kenshu_core::content::render_markdown(&rule.body),
        wait_secs: (i64::from(rule.min_read_secs) - read).max(0),
        acknowledged_at,
        rule,
        error,
    };
    crate::page::render_form(&page, refused)
}

/// A rule's current version, to read and acknowledge; the reading time counts from the first
/// time the person opens it.
pub async fn show(
    user: CurrentUser,
    Path(code): Path<String>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    show_page(&user, &mut conn, &code, None).await
}

#[derive(Deserialize)]
pub struct AckForm {
    version: i32,
}

/// Records the acknowledgement of the version read.
pub async fn acknowledge(
    user: CurrentUser,
    Path(code): Path<String>,
    Conn(mut conn): Conn,
    Form(form): Form<AckForm>,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let answer = kenshu_app::rules::acknowledge(&mut conn, &user.actor(), &code, form.version)
        .await?
        .ok_or(AppError::NotFound)?;
    match answer {
        Ok(_) => Ok(crate::flash::redirect(
            &format!("/rules/{code}"),
            crate::flash::Done::RuleAcknowledged,
        )),
        Err(refusal) => {
            let (error, status) = match refusal {
                AckRefusal::NotCurrent => (t().rules_not_current.to_string(), StatusCode::CONFLICT),
                AckRefusal::TooSoon { secs } => {
                    (t().rules_too_soon(secs), StatusCode::UNPROCESSABLE_ENTITY)
                }
            };
            let page = show_page(&user, &mut conn, &code, Some(error)).await?;
            Ok((status, page).into_response())
        }
    }
}

/// The publishing form's values, shown again when refused.
pub struct FormView {
    code: String,
    /// Publishing a new version of a known rule: the code is not asked.
    fixed_code: bool,
    title: String,
    body: String,
    min_read_secs: i32,
}

pub struct SummaryView {
    code: String,
    title: String,
    version: i32,
    published_at: String,
    acknowledged: i64,
    people: i64,
}

#[derive(Template)]
#[template(path = "rules/manage.html")]
struct ManagePage {
    chrome: Chrome,
    t: &'static Catalogue,
    rules: Vec<SummaryView>,
    may_publish: bool,
    form: FormView,
    error: Option<String>,
}

async fn manage_page(
    user: &CurrentUser,
    conn: &mut kenshu_db::PgConnection,
    form: FormView,
    error: Option<String>,
) -> Result<Response, AppError> {
    let rules = kenshu_db::rules::list(conn, user.session.institution_id)
        .await?
        .into_iter()
        .map(|r| SummaryView {
            published_at: jtime(r.published_at),
            code: r.code,
            title: r.title,
            version: r.version,
            acknowledged: r.acknowledged,
            people: r.people,
        })
        .collect();
    let refused = error.is_some();
    crate::page::render_form(
        &ManagePage {
            chrome: Chrome::for_user(user, t().rules_manage_title),
            t: t(),
            rules,
            may_publish: user.may(Action::PublishRules),
            form,
            error,
        },
        refused,
    )
}

/// The institution's rules with how many have acknowledged each, and the form to publish one.
pub async fn manage(user: CurrentUser, Conn(mut conn): Conn) -> Result<Response, AppError> {
    user.require(Action::ViewRuleStandings)?;
    let form = FormView {
        code: String::new(),
        fixed_code: false,
        title: String::new(),
        body: String::new(),
        min_read_secs: 60,
    };
    manage_page(&user, &mut conn, form, None).await
}

#[derive(Template)]
#[template(path = "rules/detail.html")]
struct DetailPage {
    chrome: Chrome,
    t: &'static Catalogue,
    rule: kenshu_db::rules::RuleVersion,
    published_at: String,
    standings: Vec<StandingView>,
    acknowledged: usize,
    may_publish: bool,
    form: FormView,
    error: Option<String>,
}

pub struct StandingView {
    login_id: String,
    name: String,
    division: String,
    acknowledged_at: Option<String>,
}

async fn detail_page(
    user: &CurrentUser,
    conn: &mut kenshu_db::PgConnection,
    code: &str,
    form: Option<FormView>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let inst = user.session.institution_id;
    let rule = kenshu_db::rules::current(conn, inst, code)
        .await?
        .ok_or(AppError::NotFound)?;
    let standings: Vec<StandingView> = kenshu_db::rules::standings(conn, inst, code, rule.version)
        .await?
        .into_iter()
        .map(|s| StandingView {
            login_id: s.login_id,
            name: s.name,
            division: s.division,
            acknowledged_at: s.acknowledged_at.map(jtime),
        })
        .collect();
    let acknowledged = standings
        .iter()
        .filter(|s| s.acknowledged_at.is_some())
        .count();
    let form = form.unwrap_or_else(|| FormView {
        code: rule.code.clone(),
        fixed_code: true,
        title: rule.title.clone(),
        body: rule.body.clone(),
        min_read_secs: rule.min_read_secs,
    });
    let refused = error.is_some();
    crate::page::render_form(
        &DetailPage {
            chrome: Chrome::for_user(user, rule.title.clone()),
            t: t(),
            published_at: jtime(rule.published_at),
            rule,
            standings,
            acknowledged,
            may_publish: user.may(Action::PublishRules),
            form,
            error,
        },
        refused,
    )
}

/// One rule: who has acknowledged its current version, and the form for a new version.
pub async fn detail(
    user: CurrentUser,
    Path(code): Path<String>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ViewRuleStandings)?;
    detail_page(&user, &mut conn, &code, None, None).await
}

#[derive(Deserialize)]
pub struct PublishForm {
    code: String,
    title: String,
    body: String,
    min_read_secs: String,
}

/// What a problem of a draft says.
fn problem(p: &DraftProblem) -> &'static str {
    match p {
        DraftProblem::Code => t().rules_err_code,
        DraftProblem::Title => t().rules_err_title,
        DraftProblem::Body => t().rules_err_body,
        DraftProblem::ReadSecs => t().rules_err_read_secs,
        DraftProblem::MyNumber => t().rules_err_my_number,
    }
}

/// Publishes a rule, or its next version.
pub async fn publish(
    user: CurrentUser,
    Conn(mut conn): Conn,
    Form(f): Form<PublishForm>,
) -> Result<Response, AppError> {
    user.require(Action::PublishRules)?;
    let code = f.code.trim().to_string();
    let min_read_secs = f.min_read_secs.trim().parse::<i32>().unwrap_or(-1);
    let draft = kenshu_app::rules::Draft {
        code: &code,
        title: &f.title,
        body: &f.body,
        min_read_secs,
    };
    match kenshu_app::rules::publish(&mut conn, &user.actor(), &draft).await? {
        Ok(_) => Ok(crate::flash::redirect(
            &format!("/manage/rules/{code}"),
            crate::flash::Done::RulePublished,
        )),
        Err(problems) => {
            let error = problems.iter().map(problem).collect::<Vec<_>>().join(" ");
            let known = kenshu_db::rules::current(&mut conn, user.session.institution_id, &code)
                .await?
                .is_some();
            // A My Number typed in never travels back to the browser.
            let form = FormView {
                code: code.chars().take(64).collect(),
                fixed_code: known,
                title: kenshu_core::my_number::mask_my_numbers(&f.title),
                body: kenshu_core::my_number::mask_my_numbers(&f.body),
                min_read_secs: min_read_secs.max(0),
            };
            if known {
                detail_page(&user, &mut conn, &code, Some(form), Some(error)).await
            } else {
                manage_page(&user, &mut conn, form, Some(error)).await
            }
        }
    }
}
