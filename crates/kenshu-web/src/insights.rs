//! 設問別の正答率: what the answers reveal, for the chief officer (every division) and each
//! protection officer (their divisions): per question of a course's test, the share of people
//! right on their first attempt this year and last, by division and by designation, and the
//! questions missed most with their explanations (`kenshu_core::insights`). Only counts: no
//! one's answers, and no figure of fewer than three people. Also as CSV.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use kenshu_core::content::{CoursePackage, SectionLink};
use kenshu_core::i18n::Catalogue;
use kenshu_core::insights::{
    Group, Review, Tallies, Tally, change, group_shown, partition_shown, percent, review,
};
use kenshu_core::plan::DesignationKind;
use kenshu_db::institution::Division;
use serde::Deserialize;
use std::sync::Arc;

use crate::lang::t;
use crate::page::{Chrome, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::year::Year;
use crate::{AppError, AppState};

#[derive(Deserialize, Default)]
pub struct InsightsQuery {
    course: Option<String>,
}

/// One question's row: its figures for everyone in view, last year's, and by division and
/// designation (`—` where withheld).
pub struct Row {
    pub number: u32,
    pub statement: String,
    pub people: u32,
    pub share: String,
    pub last_year: String,
    pub change: String,
    /// 見直し候補: too easy or unclear, by this year's figure.
    pub review: &'static str,
    pub by_division: Vec<String>,
    pub by_designation: Vec<String>,
}

/// A question missed most, with what teaches it.
pub struct Missed {
    pub number: u32,
    pub statement: String,
    pub share: String,
    pub explanation_html: String,
    pub reference: String,
    pub sections: Vec<SectionLink>,
}

#[derive(Template)]
#[template(path = "officer/insights.html")]
struct InsightsPage {
    chrome: Chrome,
    t: &'static Catalogue,
    fy_label: String,
    fy: i32,
    courses: Vec<(String, String)>,
    course: String,
    course_title: String,
    divisions: Vec<Division>,
    designations: Vec<&'static str>,
    rows: Vec<Row>,
    missed: Vec<Missed>,
}

/// The designations a breakdown shows, in the catalogue's order.
const KINDS: [DesignationKind; 4] = [
    DesignationKind::Clerk,
    DesignationKind::FileHandler,
    DesignationKind::SystemAdmin,
    DesignationKind::ProtectionOfficer,
];

fn shown(t: Tally) -> String {
    percent(t).unwrap_or_else(|| "—".into())
}

/// What a page and its CSV have in common: the courses with a test, the one chosen, its
/// package, the divisions in view and the tallies of this year and last.
struct Figures {
    courses: Vec<(String, String)>,
    course: String,
    course_title: String,
    package: Arc<CoursePackage>,
    divisions: Vec<Division>,
    now: Tallies,
    before: Tallies,
}

async fn figures(
    state: &AppState,
    user: &CurrentUser,
    fy: kenshu_core::FiscalYear,
    asked: Option<&str>,
    conn: &mut kenshu_db::PgConnection,
) -> Result<Figures, AppError> {
    user.require(Action::ViewDashboard)?;
    let inst = user.session.institution_id;
    let (divisions, _) = user.scoped_divisions(&mut *conn, None).await?;
    let ids: Vec<uuid::Uuid> = divisions.iter().map(|d| d.id).collect();
    let mut courses = Vec::new();
    let mut chosen = None;
    for (code, title, version) in
        kenshu_db::content::current_versions_of(&mut *conn, Some(user.session.institution_id))
            .await?
    {
        let package = state.catalog.package(&mut *conn, version).await?;
        if package.test.is_none() {
            continue;
        }
        if chosen.is_none() && asked.is_none_or(|a| a == code) {
            chosen = Some((code.clone(), title.clone(), package));
        }
        courses.push((code, title));
    }
    let (course, course_title, package) = chosen.ok_or(AppError::NotFound)?;
    let (now, before) =
        kenshu_db::insights::first_attempts(&mut *conn, inst, fy, &course, &ids).await?;
    Ok(Figures {
        now,
        before,
        courses,
        course,
        course_title,
        package,
        divisions,
    })
}

/// A question's figures by division, `None` where withheld ([`partition_shown`]).
fn by_division(tallies: &Tallies, divisions: &[Division], question: u32) -> Vec<Option<Tally>> {
    let cells: Vec<Tally> = divisions
        .iter()
        .map(|d| tallies.get(question, Group::Division(d.id)))
        .collect();
    cells
        .iter()
        .zip(partition_shown(&cells))
        .map(|(c, s)| s.then_some(*c))
        .collect()
}

/// A question's figures by designation, `None` where withheld ([`group_shown`]).
fn by_designation(tallies: &Tallies, question: u32) -> Vec<Option<Tally>> {
    let all = tallies.get(question, Group::All);
    KINDS
        .iter()
        .map(|k| {
            let c = tallies.get(question, Group::Designation(*k));
            group_shown(c, all).then_some(c)
        })
        .collect()
}

pub(crate) fn review_label(r: Review) -> &'static str {
    match r {
        Review::TooEasy => t().insights_too_easy,
        Review::Unclear => t().insights_unclear,
    }
}

fn rows(f: &Figures) -> Vec<Row> {
    let Some(test) = &f.package.test else {
        return Vec::new();
    };
    test.questions
        .iter()
        .map(|q| {
            let all = f.now.get(q.number, Group::All);
            let last = f.before.get(q.number, Group::All);
            Row {
                number: q.number,
                statement: q.statement.clone(),
                people: all.people,
                share: shown(all),
                last_year: shown(last),
                change: change(all, last).unwrap_or_else(|| "—".into()),
                review: review(all).map_or("", review_label),
                by_division: by_division(&f.now, &f.divisions, q.number)
                    .into_iter()
                    .map(|c| c.map_or_else(|| "—".into(), shown))
                    .collect(),
                by_designation: by_designation(&f.now, q.number)
                    .into_iter()
                    .map(|c| c.map_or_else(|| "—".into(), shown))
                    .collect(),
            }
        })
        .collect()
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Year(fy): Year,
    Query(q): Query<InsightsQuery>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let f = figures(&state, &user, fy, q.course.as_deref(), &mut conn).await?;
    let rows = rows(&f);
    let numbers: Vec<u32> = rows.iter().map(|r| r.number).collect();
    let missed = f
        .now
        .most_missed(&numbers, 3)
        .into_iter()
        .filter_map(|n| {
            let q = f
                .package
                .test
                .as_ref()?
                .questions
                .iter()
                .find(|q| q.number == n)?;
            Some(Missed {
                number: n,
                statement: q.statement.clone(),
                share: shown(f.now.get(n, Group::All)),
                explanation_html: q.explanation_html.clone(),
                reference: q.reference.clone(),
                sections: q.sections.clone(),
            })
        })
        .collect();
    render(&InsightsPage {
        chrome: Chrome::for_user(&user, t().insights_title),
        t: t(),
        fy_label: t().fy_label(fy),
        fy: fy.year(),
        courses: f.courses.clone(),
        course: f.course.clone(),
        course_title: f.course_title.clone(),
        divisions: f.divisions.clone(),
        designations: KINDS.iter().map(|k| t().designation_kind(*k)).collect(),
        rows,
        missed,
    })
}

/// The figures a page shows, as a table for the files: a header, then one line per question
/// and group (everyone, each division, each designation), withheld as on the page.
fn table(f: &Figures) -> Vec<Vec<String>> {
    let t = t();
    let mut lines = vec![
        [
            t.insights_course,
            t.insights_question,
            t.insights_scope_all,
            t.insights_people,
            t.insights_share,
            t.insights_last_year,
            t.insights_change,
            t.insights_review,
        ]
        .map(String::from)
        .to_vec(),
    ];
    let questions = f
        .package
        .test
        .as_ref()
        .map(|t| t.questions.iter().map(|q| q.number).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut groups: Vec<String> = vec![t.insights_scope_all.to_string()];
    groups.extend(f.divisions.iter().map(|d| d.name.clone()));
    groups.extend(KINDS.iter().map(|k| t.designation_kind(*k).to_string()));
    for n in questions {
        // Withheld as on the page, this year and last alike.
        let visible = |tallies: &Tallies| -> Vec<Option<Tally>> {
            let mut cells = vec![Some(tallies.get(n, Group::All))];
            cells.extend(by_division(tallies, &f.divisions, n));
            cells.extend(by_designation(tallies, n));
            cells
        };
        let (now, before) = (visible(&f.now), visible(&f.before));
        for (i, name) in groups.iter().enumerate() {
            let (now, before) = (now[i], before[i]);
            let share = |c: Option<Tally>| c.and_then(percent).unwrap_or_default();
            lines.push(vec![
                f.course_title.clone(),
                n.to_string(),
                name.clone(),
                now.filter(|c| percent(*c).is_some())
                    .map(|c| c.people.to_string())
                    .unwrap_or_default(),
                share(now),
                share(before),
                now.zip(before)
                    .and_then(|(a, b)| change(a, b))
                    .unwrap_or_default(),
                // Reviewed by everyone's figure: a division's says where to teach again.
                match (i, now.and_then(review)) {
                    (0, Some(r)) => review_label(r).to_string(),
                    _ => String::new(),
                },
            ]);
        }
    }
    lines
}

/// The same figures as CSV (UTF-8 with a BOM, for Excel).
pub async fn csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Year(fy): Year,
    Query(q): Query<InsightsQuery>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let f = figures(&state, &user, fy, q.course.as_deref(), &mut conn).await?;
    download(&f, fy, File::Csv)
}

/// The same figures as an XLSX workbook.
pub async fn xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Year(fy): Year,
    Query(q): Query<InsightsQuery>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let f = figures(&state, &user, fy, q.course.as_deref(), &mut conn).await?;
    download(&f, fy, File::Xlsx)
}

enum File {
    Csv,
    Xlsx,
}

/// The figures' table as a file named after the course and the year.
fn download(f: &Figures, fy: kenshu_core::FiscalYear, file: File) -> Result<Response, AppError> {
    let (ext, content_type, bytes) = match file {
        File::Csv => {
            let mut out = String::from("\u{feff}");
            for line in table(f) {
                out.push_str(&kenshu_core::report::csv_line(&line));
            }
            ("csv", "text/csv; charset=utf-8", out.into_bytes())
        }
        File::Xlsx => {
            let title = format!(
                "{} {} {}",
                t().insights_title,
                f.course_title,
                t().fy_label(fy)
            );
            let bytes = kenshu_app::report::xlsx_table(t().insights_title, &title, &table(f))
                .map_err(AppError::internal)?;
            (
                "xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                bytes,
            )
        }
    };
    let name = format!("設問別正答率_{}_{}.{ext}", f.course, fy.year());
    let ascii = format!("insights_{}_{}.{ext}", f.course, fy.year());
    Ok(crate::report::attachment(
        content_type,
        crate::report::content_disposition(&name, &ascii),
        bytes,
    ))
}
