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
use crate::refused::{Form as _, Refused};
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use crate::year::{ThisYear, Year};
use kenshu_app::follow_up::{Whom, grant_retakes, retake_deadline};
use kenshu_core::i18n::Catalogue;

#[derive(Deserialize, Default, Clone)]
pub struct DashboardQuery {
    pub division: Option<String>,
    pub show: Option<String>,
    pub sort: Option<String>,
    /// How many were just reminded, to say so.
    pub reminded: Option<usize>,
}

impl DashboardQuery {
    /// The view a dashboard form was sent from (its hidden fields), to show it again.
    pub fn view(division: &str, show: &str, sort: &str) -> Self {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        DashboardQuery {
            division: some(division),
            show: some(show),
            sort: some(sort),
            reminded: None,
        }
    }

    /// The dashboard's address for this view.
    pub fn url(&self) -> String {
        let reminded = self.reminded.map(|n| n.to_string());
        let params: Vec<String> = [
            ("division", self.division.as_ref()),
            ("show", self.show.as_ref()),
            ("sort", self.sort.as_ref()),
            ("reminded", reminded.as_ref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some(format!("{k}={}", crate::error::url_escape(v?))))
        .collect();
        format!("/officer?{}", params.join("&"))
    }
}

/// One course of one person, in that person's row.
pub struct Cell {
    /// The value of its re-attendance checkbox (`login|code`).
    pub pick: String,
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
    /// A group form (reminders, re-attendance) refused as typed.
    refused: Option<Refused>,
    /// The rules the plan requires, counted in this division.
    rules: Vec<RuleCount>,
}

/// One required rule counted in a division: people asked, acknowledged (the current
/// version), overdue, and who is overdue.
pub struct RuleCount {
    pub title: String,
    pub version: String,
    pub required: u64,
    pub acknowledged: u64,
    pub overdue: u64,
    pub pending: u64,
    pub overdue_people: Vec<(String, String)>,
}

/// The rule counts of a standing, by rule in the plan's order.
pub fn rule_counts(standing: &kenshu_app::standing::Standing) -> Vec<RuleCount> {
    let mut out: Vec<(String, kenshu_app::rules::RuleCounts, RuleCount)> = Vec::new();
    for l in &standing.rules {
        let r = &l.required;
        let i = match out.iter().position(|(code, _, _)| *code == r.code) {
            Some(i) => i,
            None => {
                out.push((
                    r.code.clone(),
                    kenshu_app::rules::RuleCounts::default(),
                    RuleCount {
                        title: r.title.clone(),
                        version: t().rule_version(r.version),
                        required: 0,
                        acknowledged: 0,
                        overdue: 0,
                        pending: 0,
                        overdue_people: Vec::new(),
                    },
                ));
                out.len() - 1
            }
        };
        out[i].1.add(r);
        if r.state == kenshu_core::plan::RuleState::Overdue {
            let p = &standing.people[l.person];
            out[i]
                .2
                .overdue_people
                .push((p.login.clone(), p.name.clone()));
        }
    }
    out.into_iter()
        .map(|(_, c, line)| RuleCount {
            required: c.required,
            acknowledged: c.acknowledged,
            overdue: c.overdue,
            pending: c.pending(),
            ..line
        })
        .collect()
}

impl crate::refused::Form for DashboardPage {
    fn refused(&self) -> Option<&Refused> {
        self.refused.as_ref()
    }
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
    page(&state, &user, fy, q, &mut conn, None).await
}

/// The dashboard again with a refused group form as it was typed, answered 422.
pub async fn refuse(
    state: &crate::AppState,
    user: &CurrentUser,
    tx: Tx,
    view: DashboardQuery,
    refused: Refused,
) -> Result<Response, AppError> {
    let Conn(mut conn) = tx.rollback()?;
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today());
    let mut res = page(state, user, fy, view, &mut conn, Some(refused)).await?;
    *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

async fn page(
    state: &crate::AppState,
    user: &CurrentUser,
    fy: kenshu_core::FiscalYear,
    q: DashboardQuery,
    conn: &mut kenshu_db::PgConnection,
    refused: Option<Refused>,
) -> Result<Response, AppError> {
    user.require(Action::ViewDashboard)?;
    let inst = user.session.institution_id;
    let (divisions, division) = user
        .scoped_divisions(&mut *conn, q.division.as_deref())
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
    let ((facts, followed, reminded), (progress, titles)) = match Conn::spare(state).await {
        Some(Conn(mut other)) => tokio::try_join!(first(&mut *conn), second(&mut other))?,
        None => (first(&mut *conn).await?, second(&mut *conn).await?),
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
                    pick: format!("{}|{}", person.login, c.code),
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
        chrome: Chrome::for_user(user, t().dashboard_title),
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
        refused,
        rules: rule_counts(&standing),
    })
}

#[derive(Deserialize)]
pub struct RetakesForm {
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    pick: Vec<String>,
    /// The dashboard's view, to return to.
    #[serde(default)]
    division: String,
    #[serde(default)]
    show: String,
    #[serde(default)]
    sort: String,
}

/// Gives everyone selected on the dashboard a new deadline (再受講の機会). A bad date or no
/// course picked shows the dashboard again as it was, with the reason (422).
pub async fn retakes(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    mut tx: Tx,
    axum_extra::extract::Form(f): axum_extra::extract::Form<RetakesForm>,
) -> Result<axum::response::Response, AppError> {
    user.require(Action::ManageDesignations)?;
    let view = DashboardQuery::view(&f.division, &f.show, &f.sort);
    let typed = || {
        let mut typed = vec![("group-deadline", f.deadline.clone())];
        typed.extend(f.pick.iter().map(|p| ("retake-pick", p.clone())));
        typed
    };
    let deadline = match retake_deadline(&f.deadline, kenshu_core::japan_today()) {
        Ok(d) => d,
        Err(e) => {
            let refused = Refused::of(e.into(), "group-deadline", typed())?;
            return refuse(&state, &user, tx, view, refused).await;
        }
    };
    let inst = user.session.institution_id;
    // Re-attendance is per course: bare logins are left out.
    let with_course: Vec<(String, Option<String>)> = picks(&f.pick)
        .into_iter()
        .filter(|(_, c)| c.is_some())
        .collect();
    let picked = picked_people(&mut tx, &user, &with_course).await?;
    let Some(first_division) = picked.first().map(|p| p.division) else {
        let refused = Refused::new("retake-picks", t().retake_none.into(), typed());
        return refuse(&state, &user, tx, view, refused).await;
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
    let back = DashboardQuery {
        division: Some(division_code),
        ..view
    };
    Ok(crate::flash::redirect(
        &back.url(),
        crate::flash::Done::RetakeGranted,
    ))
}
