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

pub struct Line {
    pub retake: bool,
    pub code: String,
    pub login: String,
    pub name: String,
    pub designations: String,
    pub course: String,
    pub status_key: &'static str,
    pub status: &'static str,
    pub deadline: String,
    deadline_sort: time::Date,
    pub individual: bool,
    pub last_activity: String,
    pub last_follow_up: String,
    pub last_reminder: String,
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
    counts: Vec<Count>,
    people: usize,
    lines: Vec<Line>,
    show: String,
    sort: String,
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
    let mut tally: HashMap<Status, usize> = HashMap::new();
    let mut lines = Vec::new();
    let show = q.show.clone().unwrap_or_else(|| "untrained".into());
    for l in &standing.lines {
        let st = l.status;
        let a = &l.assignment;
        let person = &standing.people[l.person];
        *tally.entry(st).or_default() += 1;
        let wanted = match show.as_str() {
            "all" => true,
            "untrained" => !st.is_done(),
            "newcomers" => a.individual && !st.is_done(),
            key => st.as_str() == key,
        };
        if wanted {
            lines.push(Line {
                login: person.login.clone(),
                name: person.name.clone(),
                designations: designation_labels(&person.facts.designations, standing.on),
                course: titles
                    .get(&a.code)
                    .cloned()
                    .unwrap_or_else(|| a.code.clone()),
                status_key: st.as_str(),
                status: t().status(st),
                deadline: crate::page::day(l.deadline),
                deadline_sort: l.deadline,
                retake: l.retake,
                code: a.code.clone(),
                individual: a.individual,
                last_activity: l.last_activity.map(jtime).unwrap_or_default(),
                last_reminder: reminded
                    .get(&person.id)
                    .map(|t| crate::page::jdate(*t))
                    .unwrap_or_default(),
                last_follow_up: followed
                    .get(&person.id)
                    .map(|d| crate::page::day(*d))
                    .unwrap_or_default(),
            });
        }
    }
    let sort = q.sort.clone().unwrap_or_else(|| "deadline".into());
    match sort.as_str() {
        "name" => lines.sort_by(|a, b| a.login.cmp(&b.login).then(a.course.cmp(&b.course))),
        "status" => lines.sort_by_key(|l| {
            (
                ORDER.iter().position(|s| s.as_str() == l.status_key),
                l.deadline_sort,
            )
        }),
        _ => lines.sort_by_key(|l| (l.deadline_sort, l.login.clone())),
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
        people: standing.people.len(),
        lines,
        show,
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
    use axum::response::IntoResponse;
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
    Ok(axum::response::Redirect::to(&format!(
        "/officer?division={}",
        crate::error::url_escape(&division_code)
    ))
    .into_response())
}
