//! The protection officer's dashboard (the chief officer's for any division): counts by status
//! for the fiscal year, and who is still untrained, with deadlines and last activity.

use std::collections::HashMap;

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use kenshu_core::assignment::Status;
use kenshu_core::plan::Held;
use kenshu_db::institution::Division;
use serde::Deserialize;

use crate::AppError;
use crate::lang::t;
use crate::page::{Chrome, jtime, render};
use crate::picks::{picked_people, picks};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use crate::year::{ThisYear, Year};
use kenshu_app::follow_up::{Whom, grant_retakes, retake_deadline};
use kenshu_core::i18n::Catalogue;

#[derive(Deserialize, Default)]
pub struct DashboardQuery {
    division: Option<String>,
    show: Option<String>,
    sort: Option<String>,
    /// How many were just reminded, to say so.
    reminded: Option<usize>,
}

/// One course of one person, in that person's row.
pub struct Cell {
    pub code: String,
    pub course: String,
    pub status_key: &'static str,
    pub status: &'static str,
    pub deadline: String,
    pub retake: bool,
    pub individual: bool,
}

/// One person: a row of the table, with a cell for each course in `DashboardPage::columns`
/// (None where the person has no such course).
pub struct Row {
    pub login: String,
    pub name: String,
    pub designations: String,
    pub cells: Vec<Option<Cell>>,
    pub last_activity: String,
    pub last_follow_up: String,
    pub last_reminder: String,
    /// The most urgent status of the row (its position in `ORDER`).
    worst: usize,
    /// The nearest deadline of a course not done (the latest date when all are done).
    next_deadline: time::Date,
}

/// A course column of the table.
pub struct Column {
    pub code: String,
    pub title: String,
}

pub struct Count {
    pub key: &'static str,
    pub label: &'static str,
    pub n: usize,
}

#[derive(Template)]
#[template(path = "officer/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    t: &'static Catalogue,
    fy_label: String,
    divisions: Vec<Division>,
    division: Division,
    /// Assignments (件) by status.
    counts: Vec<Count>,
    assignments: usize,
    /// People (名): the division's members, those with a course this year, and those with one
    /// not done.
    members: usize,
    people: usize,
    untrained: usize,
    columns: Vec<Column>,
    rows: Vec<Row>,
    show: String,
    show_label: &'static str,
    sort: String,
    sort_label: &'static str,
    reminded: Option<usize>,
}

const ORDER: [Status; 6] = [
    Status::Overdue,
    Status::NotStarted,
    Status::InProgress,
    Status::Completed,
    Status::CompletedInPerson,
    Status::Exempt,
];

fn designation_labels(held: &[Held], on: time::Date) -> String {
    held.iter()
        .filter(|h| h.on(on))
        .map(|h| crate::lang::t().designation_kind(h.kind))
        .collect::<Vec<_>>()
        .join(crate::lang::t().list_sep)
}

/// Whether a course in this status is one the filter `show` asks for.
fn wanted(show: &str, status: Status, individual: bool) -> bool {
    match show {
        "all" => true,
        "untrained" => !status.is_done(),
        "newcomers" => individual && !status.is_done(),
        key => status.as_str() == key,
    }
}

/// The filter's name as the page says it (an unknown one shows as a status key would).
fn show_label(show: &str) -> &'static str {
    let t = t();
    match show {
        "all" => t.dashboard_all,
        "newcomers" => t.dashboard_newcomers,
        "untrained" => t.dashboard_untrained,
        key => ORDER
            .iter()
            .find(|s| s.as_str() == key)
            .map_or(t.dashboard_all, |s| t.status(*s)),
    }
}

fn sort_label(sort: &str) -> &'static str {
    let t = t();
    match sort {
        "name" => t.dashboard_sort_name,
        "status" => t.dashboard_sort_status,
        _ => t.dashboard_sort_deadline,
    }
}

pub async fn dashboard(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    user: CurrentUser,
    Year(fy): Year,
    Query(q): Query<DashboardQuery>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ViewDashboard)?;
    let inst = user.session.institution_id;
    let (divisions, division) = user
        .scoped_divisions(&mut conn, q.division.as_deref())
        .await?;
    let today = kenshu_core::japan_today();
    let d = division.id;
    let first = async |conn: &mut sqlx::PgConnection| {
        let facts = kenshu_app::standing::facts(conn, inst, d, fy, today).await?;
        let followed = kenshu_db::follow_up::latest_in_division(conn, inst, d).await?;
        let reminded = kenshu_db::reminder::latest_in_division(conn, inst, d).await?;
        Ok::<_, sqlx::Error>((facts, followed, reminded))
    };
    let second = async |conn: &mut sqlx::PgConnection| {
        let progress = kenshu_app::standing::progress(conn, inst, d, fy).await?;
        let titles = kenshu_db::content::course_titles(conn).await?;
        Ok::<_, sqlx::Error>((progress, titles))
    };
    // With a free second connection, the slowest two queries (people's facts and their
    // progress) run at the same time; without one, one after the other on this request's
    // connection. Never waiting for a second connection while holding one is what keeps a
    // busy morning from deadlocking the pool.
    let ((facts, followed, reminded), (progress, titles)) = match Conn::spare(&state).await {
        Some(Conn(mut other)) => tokio::try_join!(first(&mut conn), second(&mut other))?,
        None => (first(&mut conn).await?, second(&mut conn).await?),
    };
    let standing = kenshu_app::standing::assemble(facts, progress, fy, today);
    let followed: HashMap<uuid::Uuid, time::Date> = followed.into_iter().collect();
    let reminded: HashMap<uuid::Uuid, time::OffsetDateTime> = reminded.into_iter().collect();
    let show = q.show.clone().unwrap_or_else(|| "untrained".into());
    let sort = q.sort.clone().unwrap_or_else(|| "deadline".into());

    // The courses, in the order the plan lists them, as columns.
    let mut columns: Vec<Column> = Vec::new();
    for l in &standing.lines {
        if !columns.iter().any(|c| c.code == l.assignment.code) {
            columns.push(Column {
                title: titles
                    .get(&l.assignment.code)
                    .cloned()
                    .unwrap_or_else(|| l.assignment.code.clone()),
                code: l.assignment.code.clone(),
            });
        }
    }
    let mut tally: HashMap<Status, usize> = HashMap::new();
    let mut by_person: Vec<Vec<&kenshu_app::standing::Line>> =
        vec![Vec::new(); standing.people.len()];
    for l in &standing.lines {
        *tally.entry(l.status).or_default() += 1;
        by_person[l.person].push(l);
    }
    let people = by_person.iter().filter(|ls| !ls.is_empty()).count();
    let untrained = by_person
        .iter()
        .filter(|ls| ls.iter().any(|l| !l.status.is_done()))
        .count();
    let mut rows: Vec<Row> = Vec::new();
    for (i, lines) in by_person.iter().enumerate() {
        if !lines
            .iter()
            .any(|l| wanted(&show, l.status, l.assignment.individual))
        {
            continue;
        }
        let person = &standing.people[i];
        let cells = columns
            .iter()
            .map(|c| {
                let l = lines.iter().find(|l| l.assignment.code == c.code)?;
                Some(Cell {
                    code: c.code.clone(),
                    course: c.title.clone(),
                    status_key: l.status.as_str(),
                    status: t().status(l.status),
                    deadline: crate::page::day(l.deadline),
                    retake: l.retake,
                    individual: l.assignment.individual,
                })
            })
            .collect();
        let last = lines.iter().filter_map(|l| l.last_activity).max();
        rows.push(Row {
            login: person.login.clone(),
            name: person.name.clone(),
            designations: designation_labels(&person.facts.designations, standing.on),
            cells,
            last_activity: last.map(jtime).unwrap_or_default(),
            last_reminder: reminded
                .get(&person.id)
                .map(|t| crate::page::jdate(*t))
                .unwrap_or_default(),
            last_follow_up: followed
                .get(&person.id)
                .map(|d| crate::page::day(*d))
                .unwrap_or_default(),
            worst: lines
                .iter()
                .filter_map(|l| ORDER.iter().position(|s| *s == l.status))
                .min()
                .unwrap_or(ORDER.len()),
            next_deadline: lines
                .iter()
                .filter(|l| !l.status.is_done())
                .map(|l| l.deadline)
                .min()
                .unwrap_or(time::Date::MAX),
        });
    }
    match sort.as_str() {
        "name" => rows.sort_by(|a, b| a.login.cmp(&b.login)),
        "status" => rows.sort_by(|a, b| {
            (a.worst, a.next_deadline, &a.login).cmp(&(b.worst, b.next_deadline, &b.login))
        }),
        _ => rows.sort_by(|a, b| (a.next_deadline, &a.login).cmp(&(b.next_deadline, &b.login))),
    }
    let counts = ORDER
        .iter()
        .map(|s| Count {
            key: s.as_str(),
            label: t().status(*s),
            n: tally.get(s).copied().unwrap_or(0),
        })
        .collect();
    render(&DashboardPage {
        chrome: Chrome::for_user(&user, t().dashboard_title),
        t: t(),
        fy_label: crate::lang::t().fy_label(fy),
        // The division picker only when there is more than one to pick from.
        divisions: if divisions.len() > 1 {
            divisions
        } else {
            Vec::new()
        },
        division,
        counts,
        assignments: standing.lines.len(),
        members: standing.people.len(),
        people,
        untrained,
        columns,
        rows,
        show_label: show_label(&show),
        show,
        sort_label: sort_label(&sort),
        sort,
        reminded: q.reminded,
    })
}

#[derive(Deserialize)]
pub struct RetakesForm {
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    pick: Vec<String>,
}

/// Gives everyone selected on the dashboard a new deadline (再受講の機会).
pub async fn retakes(
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    mut tx: Tx,
    axum_extra::extract::Form(f): axum_extra::extract::Form<RetakesForm>,
) -> Result<axum::response::Response, AppError> {
    user.require(Action::ManageDesignations)?;
    let deadline = retake_deadline(&f.deadline, kenshu_core::japan_today())?;
    let inst = user.session.institution_id;
    // Re-attendance is per course: bare logins are left out.
    let with_course: Vec<(String, Option<String>)> = picks(&f.pick)
        .into_iter()
        .filter(|(_, c)| c.is_some())
        .collect();
    let picked = picked_people(&mut tx, &user, &with_course).await?;
    let Some(first_division) = picked.first().map(|p| p.division) else {
        return Err(AppError::BadRequest(t().retake_none.into()));
    };
    let division_code = kenshu_db::institution::divisions(&mut tx, inst)
        .await?
        .into_iter()
        .find(|d| d.id == first_division)
        .map(|d| d.code)
        .unwrap_or_default();
    let people: Vec<(uuid::Uuid, String)> = picked
        .into_iter()
        .filter_map(|p| Some((p.person, p.course?)))
        .collect();
    let whom = Whom::Division {
        code: &division_code,
        people: &people,
    };
    grant_retakes(&mut tx, &user.actor(), fy, whom, deadline).await?;
    tx.commit().await?;
    Ok(crate::flash::redirect(
        &format!(
            "/officer?division={}",
            crate::error::url_escape(&division_code)
        ),
        crate::flash::Done::RetakeGranted,
    ))
}
