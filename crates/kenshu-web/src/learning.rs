//! A person's own training: "My training", course and section pages, certificates.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_app::learning::{CourseStanding, assignment_status, assignments_of};
use kenshu_core::FiscalYear;
use kenshu_core::assignment::Status;
use kenshu_core::content::CoursePackage;
use kenshu_core::plan::Assignment;
use kenshu_db::PgConnection;
use kenshu_db::learning::{self, CourseProgress, Learner};
use serde::Deserialize;

use crate::lang::t;
use crate::page::{Chrome, jdate, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use crate::year::{ThisYear, Year};
use crate::{AppError, AppState};
use kenshu_core::i18n::Catalogue;

#[derive(Deserialize, Default)]
pub struct FyQuery {
    password: Option<String>,
}

/// What the approved plan assigns the signed-in person for a fiscal year.
pub async fn assignments(
    conn: &mut PgConnection,
    user: &CurrentUser,
    fy: FiscalYear,
) -> Result<(bool, Vec<Assignment>), AppError> {
    Ok(assignments_of(conn, user.session.institution_id, user.session.user_id, fy).await?)
}

/// The current package of a course with the learner's progress; 404 for an unknown course.
pub async fn course_for(
    state: &AppState,
    conn: &mut PgConnection,
    who: Learner,
    code: &str,
) -> Result<(Arc<CoursePackage>, CourseProgress), AppError> {
    kenshu_app::learning::course_for(&state.catalog, conn, who, code)
        .await?
        .ok_or(AppError::NotFound)
}

pub struct CourseRow {
    pub deadline: String,
    pub retake: bool,
    pub individual: bool,
    pub code: String,
    pub title: String,
    pub status: Status,
    pub status_label: &'static str,
    pub sections: usize,
    pub sections_read: i64,
    pub completed_on: Option<String>,
    pub score: Option<String>,
}

#[derive(Template)]
#[template(path = "learning/my_training.html")]
struct MyTrainingPage {
    chrome: Chrome,
    t: &'static Catalogue,
    fiscal_year: String,
    rows: Vec<CourseRow>,
    done: usize,
    password_changed: bool,
    has_plan: bool,
    /// Reminders the person has not acknowledged yet (督促のお知らせ).
    notices: Vec<crate::reminder::ReminderRow>,
    /// The follow-up courses of mail drills whose link they opened: (code, title, deadline,
    /// done, overdue).
    follow_ups: Vec<(String, String, String, bool, bool)>,
    /// The rules (規程) the plan requires of them and they have not acknowledged (the
    /// current version).
    rules: Vec<PendingRule>,
}

/// A required rule still to acknowledge, as `/my` lists it.
pub struct PendingRule {
    pub code: String,
    pub title: String,
    pub version: String,
    pub deadline: String,
    pub overdue: bool,
}

pub async fn home(viewer: axum::Extension<crate::session::Viewer>) -> Redirect {
    Redirect::to(if viewer.0.0.is_some() {
        "/my"
    } else {
        "/login"
    })
}

pub async fn my_training(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
    Year(fy): Year,
    Query(q): Query<FyQuery>,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    // The required rules come with the plan, the drill follow-ups with the facts: no statement
    // more than the courses need.
    let kenshu_app::learning::Training {
        planned: has_plan,
        assigned,
        rules: required,
        follow_ups,
    } = kenshu_app::learning::training_of(
        &mut conn,
        user.session.institution_id,
        user.session.user_id,
        fy,
    )
    .await?;
    let rules: Vec<PendingRule> = required
        .into_iter()
        .filter(|r| !r.done())
        .map(|r| PendingRule {
            version: t().rule_version(r.version),
            deadline: crate::page::day(r.deadline),
            overdue: r.state == kenshu_core::plan::RuleState::Overdue,
            code: r.code,
            title: r.title,
        })
        .collect();
    let codes: Vec<&str> = assigned.iter().map(|a| a.code.as_str()).collect();
    let summaries = learning::summaries(&mut conn, user.learner(fy), &codes).await?;
    let today = kenshu_core::japan_today();
    let follow_ups = follow_ups
        .into_iter()
        .map(|f| {
            let overdue = !f.done && f.deadline < today;
            (
                f.code,
                f.title,
                crate::page::day(f.deadline),
                f.done,
                overdue,
            )
        })
        .collect();
    let mut rows = Vec::with_capacity(summaries.len());
    for s in summaries {
        let package = state.catalog.package(&mut conn, s.version_id).await?;
        let a = assigned.iter().find(|a| a.code == s.code);
        let CourseStanding {
            status: st,
            deadline,
            retake,
        } = assignment_status(&s, a, today);
        rows.push(CourseRow {
            deadline: deadline.map(crate::page::day).unwrap_or_default(),
            retake,
            individual: a.is_some_and(|a| a.individual),
            status: st,
            status_label: t().status(st),
            sections: package.sections.len(),
            sections_read: s.sections_read.min(package.sections.len() as i64),
            completed_on: s.completion.as_ref().map(|c| jdate(c.completed_at)),
            score: s
                .completion
                .as_ref()
                .and_then(|c| Some(format!("{} / {}", c.score?, c.total?))),
            code: s.code,
            title: s.title,
        });
    }
    let done = rows.iter().filter(|r| r.status.is_done()).count();
    // The reminders not yet acknowledged, less the courses completed and the rules
    // acknowledged since: a reminder with all done is not shown.
    let finished: Vec<&str> = rows
        .iter()
        .filter(|r| r.status.is_done())
        .map(|r| r.code.as_str())
        .collect();
    // A rule is named while it is still to acknowledge.
    let pending_rules: Vec<(&str, &str)> = rules
        .iter()
        .map(|r| (r.code.as_str(), r.title.as_str()))
        .collect();
    let notices = crate::reminder::rows(
        &mut conn,
        user.session.institution_id,
        user.session.user_id,
        true,
        &crate::reminder::Shown {
            finished: &finished,
            rule_titles: &pending_rules,
            pending_rules_only: true,
        },
    )
    .await?;
    render(&MyTrainingPage {
        rules,
        notices,
        follow_ups,
        chrome: Chrome::for_user(&user, t().my_training),
        t: t(),
        fiscal_year: crate::lang::t().fy_label(fy),
        rows,
        done,
        has_plan,
        password_changed: q.password.as_deref() == Some("changed"),
    })
}

/// One course of the catalogue (研修一覧).
pub struct CatalogueRow {
    pub code: String,
    pub title: String,
    pub description: String,
    pub sections: usize,
    pub test: Option<String>,
    /// The deadline, when the plan assigns the course to this person.
    pub assigned: Option<String>,
    pub status: Status,
    pub status_label: &'static str,
}

#[derive(Template)]
#[template(path = "learning/catalogue.html")]
struct CataloguePage {
    chrome: Chrome,
    t: &'static Catalogue,
    fiscal_year: String,
    has_plan: bool,
    rows: Vec<CatalogueRow>,
}

/// 研修一覧: every course of the portal, for self-study, whether or not the plan assigns it
/// (and before any plan is approved); each with what the plan asks of this person and where
/// they stand. Reading and tests count for the current fiscal year, as on the course pages.
pub async fn catalogue(
    State(state): State<AppState>,
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let (has_plan, assigned) = assignments(&mut conn, &user, fy).await?;
    let titles = kenshu_db::content::course_titles(&mut conn).await?;
    let codes: Vec<&str> = titles.keys().map(String::as_str).collect();
    let summaries = learning::summaries(&mut conn, user.learner(fy), &codes).await?;
    let today = kenshu_core::japan_today();
    let mut rows = Vec::with_capacity(summaries.len());
    for s in summaries {
        let package = state.catalog.package(&mut conn, s.version_id).await?;
        let a = assigned.iter().find(|a| a.code == s.code);
        let standing = assignment_status(&s, a, today);
        rows.push(CatalogueRow {
            title: s.title.clone(),
            description: package.description.clone(),
            sections: package.sections.len(),
            test: package.test.as_ref().map(|t| t.title.clone()),
            assigned: a.map(|_| standing.deadline.map(crate::page::day).unwrap_or_default()),
            status: standing.status,
            status_label: t().status(standing.status),
            code: s.code,
        });
    }
    render(&CataloguePage {
        chrome: Chrome::for_user(&user, t().catalogue_title),
        t: t(),
        fiscal_year: t().fy_label(fy),
        has_plan,
        rows,
    })
}

pub struct SectionLink {
    pub slug: String,
    pub title: String,
    pub read: bool,
}

#[derive(Template)]
#[template(path = "learning/course.html")]
struct CoursePage {
    chrome: Chrome,
    t: &'static Catalogue,
    course: Arc<CoursePackage>,
    sections: Vec<SectionLink>,
    read_count: usize,
    test_passed: bool,
    completed_on: Option<String>,
    resume: Option<String>,
    missing_prerequisites: Vec<String>,
}

pub async fn course(
    State(state): State<AppState>,
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    Conn(mut conn): Conn,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let who = user.learner(fy);
    let (package, progress) = course_for(&state, &mut conn, who, &code).await?;
    let sections: Vec<SectionLink> = package
        .sections
        .iter()
        .map(|s| SectionLink {
            slug: s.slug.clone(),
            title: s.title.clone(),
            read: progress.read_slugs.contains(&s.slug),
        })
        .collect();
    let read_count = sections.iter().filter(|s| s.read).count();
    let resume = resume_url(&package, &progress);
    let requires: Vec<&str> = package.requires.iter().map(String::as_str).collect();
    let missing_prerequisites = if requires.is_empty() {
        Vec::new()
    } else {
        learning::summaries(&mut conn, who, &requires)
            .await?
            .into_iter()
            .filter(|s| s.completion.is_none())
            .map(|s| s.title)
            .collect()
    };
    render(&CoursePage {
        chrome: Chrome::for_user(&user, package.title.clone()),
        t: t(),
        sections,
        read_count,
        test_passed: progress.test_passed,
        completed_on: progress.completed_at.map(jdate),
        resume,
        missing_prerequisites,
        course: package,
    })
}

/// Where to go on with a course not yet completed: the first section not read, else the
/// test; None once completed.
fn resume_url(package: &CoursePackage, progress: &CourseProgress) -> Option<String> {
    if progress.completed_at.is_some() {
        return None;
    }
    match package
        .sections
        .iter()
        .find(|s| !progress.read_slugs.contains(&s.slug))
    {
        Some(s) => Some(format!("/courses/{}/sections/{}", package.code, s.slug)),
        None => package
            .test
            .as_ref()
            .map(|_| format!("/courses/{}/test", package.code)),
    }
}

/// 受講を始める / 続きから受講する on "My training": straight to the first section not yet
/// read (or the test), without a stop at the course page; the course page once completed.
pub async fn continue_course(
    State(state): State<AppState>,
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    Conn(mut conn): Conn,
    Path(code): Path<String>,
) -> Result<Redirect, AppError> {
    user.require(Action::TakeTraining)?;
    let (package, progress) = course_for(&state, &mut conn, user.learner(fy), &code).await?;
    Ok(Redirect::to(
        &resume_url(&package, &progress).unwrap_or_else(|| format!("/courses/{code}")),
    ))
}

#[derive(Deserialize)]
pub struct NextQuery {
    after: Option<String>,
}

/// 次の研修へ進む, after a course is completed: the first assigned course of the year not yet
/// done (other than the one just finished), where it was left off; "My training" when none is
/// left.
pub async fn next_course(
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    Conn(mut conn): Conn,
    Query(q): Query<NextQuery>,
) -> Result<Redirect, AppError> {
    user.require(Action::TakeTraining)?;
    let (_, assigned) = assignments(&mut conn, &user, fy).await?;
    let codes: Vec<&str> = assigned.iter().map(|a| a.code.as_str()).collect();
    let summaries = learning::summaries(&mut conn, user.learner(fy), &codes).await?;
    let today = kenshu_core::japan_today();
    let next = summaries.iter().find(|s| {
        Some(&s.code) != q.after.as_ref() && {
            let a = assigned.iter().find(|a| a.code == s.code);
            !assignment_status(s, a, today).status.is_done()
        }
    });
    Ok(Redirect::to(&match next {
        Some(s) => format!("/courses/{}/continue", s.code),
        None => "/my".to_string(),
    }))
}

#[derive(Template)]
#[template(path = "learning/section.html")]
struct SectionPage {
    chrome: Chrome,
    t: &'static Catalogue,
    course: Arc<CoursePackage>,
    index: usize,
    total: usize,
    read: bool,
    prev: Option<String>,
    next: Option<String>,
}

impl SectionPage {
    fn section(&self) -> &kenshu_core::content::Section {
        &self.course.sections[self.index]
    }
}

pub async fn section(
    State(state): State<AppState>,
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    Path((code, slug)): Path<(String, String)>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let who = user.learner(fy);
    let (version_id, read) = learning::section_progress(&mut conn, who, &code, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let package = state.catalog.package(&mut conn, version_id).await?;
    let (index, s) = package.section(&slug).ok_or(AppError::NotFound)?;
    let link = |i: usize| {
        format!(
            "/courses/{}/sections/{}",
            package.code, package.sections[i].slug
        )
    };
    let page = SectionPage {
        chrome: Chrome::for_user(&user, s.title.clone()),
        t: t(),
        index,
        total: package.sections.len(),
        read,
        prev: index.checked_sub(1).map(link),
        next: (index + 1 < package.sections.len()).then(|| link(index + 1)),
        course: package.clone(),
    };
    render(&page)
}

/// Marks a section read and moves on: to the next section, then the test, then the course page.
pub async fn mark_read(
    State(state): State<AppState>,
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    mut tx: Tx,
    Path((code, slug)): Path<(String, String)>,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let who = user.learner(fy);
    let (package, index) =
        kenshu_app::learning::mark_read(&mut tx, &state.catalog, who, &code, &slug).await?;
    tx.commit().await?;
    let target = match package.sections.get(index + 1) {
        Some(next) => format!("/courses/{code}/sections/{}", next.slug),
        None if package.test.is_some() => format!("/courses/{code}/test"),
        None => format!("/courses/{code}"),
    };
    Ok(Redirect::to(&target).into_response())
}

#[derive(Template)]
#[template(path = "learning/certificate.html")]
struct CertificatePage {
    chrome: Chrome,
    t: &'static Catalogue,
    name: String,
    division: String,
    course_title: String,
    fiscal_year: String,
    completed_on: String,
    score: Option<String>,
    version: i32,
    number: String,
    issuer: String,
    verify_url: String,
}

pub async fn certificate(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path(code): Path<String>,
    Year(fy): Year,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let summary = learning::summaries(&mut conn, user.learner(fy), &[code.as_str()])
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    let completion = summary.completion.ok_or(AppError::NotFound)?;
    let s = &user.session;
    render(&CertificatePage {
        chrome: Chrome::for_user(&user, t().certificate),
        t: t(),
        name: s.name.clone(),
        division: s.division_name.clone(),
        course_title: summary.title,
        fiscal_year: crate::lang::t().fy_label(fy),
        completed_on: jdate(completion.completed_at),
        score: completion
            .score
            .zip(completion.total)
            .map(|(a, b)| format!("{a} / {b}")),
        version: completion.version,
        number: kenshu_core::certificate::number(
            &s.institution_code,
            fy.year(),
            &completion.certificate_no,
        ),
        issuer: t()
            .certificate_issuer
            .replace("{institution}", &s.institution_name),
        verify_url: format!(
            "{}/certificates/verify",
            state.settings.public_url.trim_end_matches('/')
        ),
    })
}

#[derive(Deserialize)]
pub struct VerifyQuery {
    no: Option<String>,
}

/// What the verification page found.
pub enum Verdict {
    /// Nothing asked yet.
    Ask,
    Malformed,
    NotFound,
    Issued {
        name: String,
        course: String,
        completed_on: String,
    },
}

#[derive(Template)]
#[template(path = "learning/verify.html")]
struct VerifyPage {
    chrome: Chrome,
    t: &'static Catalogue,
    no: String,
    verdict: Verdict,
}

/// 修了証の確認: anyone (signed in or not: another office checking a printed certificate)
/// types a certificate number and learns whether it was issued, and to whom for which course
/// on which day; nothing else. The numbers are random, so the page cannot be walked.
pub async fn verify_certificate(
    user: Result<CurrentUser, AppError>,
    Conn(mut conn): Conn,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, AppError> {
    let no =
        q.no.unwrap_or_default()
            .chars()
            .take(80)
            .collect::<String>();
    let verdict = if no.trim().is_empty() {
        Verdict::Ask
    } else {
        match kenshu_core::certificate::parse(&no) {
            None => Verdict::Malformed,
            Some((inst, fy, own)) => {
                match learning::verify_certificate(&mut conn, &inst, fy, &own).await? {
                    None => Verdict::NotFound,
                    Some(v) => Verdict::Issued {
                        name: v.name,
                        course: v.course_title,
                        completed_on: jdate(v.completed_at),
                    },
                }
            }
        }
    };
    let title = t().verify_title;
    let chrome = match &user {
        Ok(u) => Chrome::for_user(u, title),
        Err(_) => Chrome::anonymous(title, String::new()),
    };
    render(&VerifyPage {
        chrome,
        t: t(),
        no: no.trim().to_string(),
        verdict,
    })
}
