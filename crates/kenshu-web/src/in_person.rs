//! In-person sessions (集合研修): officers schedule sessions for their divisions (the chief
//! officer also for the whole institution), nominate people, and record attendance on a
//! checklist or with a QR code the attendees scan (`checkin`); staff sign up (`staff`).
//! Attendance is taken only while the session happens: the checklist from its start, the QR
//! code in a window around it (`kenshu_core::in_person`). An attendance recorded wrongly is
//! withdrawn with a reason (`correction`).
//!
//! Attendance completes the course for the person (method `in_person`), unless the plan asks
//! for the course's test on top of attendance: then the course completes when they pass it.

pub mod checkin;
pub mod correction;
pub mod detail;
pub mod qr;
pub mod staff;

pub use detail::show;
use detail::show_page;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kenshu_app::in_person;
use kenshu_db::PgConnection;
use kenshu_db::in_person::Session;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};
use uuid::Uuid;

use crate::lang::t;
use crate::page::{Chrome, jtime, render};
use crate::policy::{Action, Scope};
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use crate::year::ThisYear;
use crate::{AppError, AppState};
use kenshu_core::i18n::Catalogue;

/// A session as pages show it.
pub struct SessionView {
    pub id: Uuid,
    pub course_code: String,
    pub course: String,
    pub when: String,
    pub place: String,
    pub capacity: i32,
    pub signed_up: i64,
    pub attended: i64,
    pub seats_left: i64,
    pub division: String,
    pub cancelled: bool,
}

impl SessionView {
    pub fn of(s: &Session) -> Self {
        let end = s.ends_at.to_offset(kenshu_core::fiscal_year::JST);
        SessionView {
            id: s.id,
            course_code: s.course_code.clone(),
            course: s.course_title.clone(),
            when: format!(
                "{}{}{:02}:{:02}",
                jtime(s.starts_at),
                t().range_sep,
                end.hour(),
                end.minute()
            ),
            place: s.place.clone(),
            capacity: s.capacity,
            signed_up: s.signed_up,
            attended: s.attended,
            seats_left: (i64::from(s.capacity) - s.signed_up).max(0),
            division: s
                .division_name
                .clone()
                .unwrap_or_else(|| t().ip_whole_institution.to_string()),
            cancelled: s.cancelled,
        }
    }
}

/// The session, if it is the officer's to manage: 404 outside the institution, 403 outside
/// their scope.
async fn managed(
    conn: &mut PgConnection,
    user: &CurrentUser,
    id: Uuid,
) -> Result<Session, AppError> {
    managed_for(conn, user, id, Action::ManageSessions).await
}

/// The session, if the officer may do `action` to it (the policy decides, by its division).
async fn managed_for(
    conn: &mut PgConnection,
    user: &CurrentUser,
    id: Uuid,
    action: Action,
) -> Result<Session, AppError> {
    user.require(action)?;
    let session = kenshu_db::in_person::get(conn, user.session.institution_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    user.require_session_for(action, session.division_id)?;
    Ok(session)
}

/// The same, refused with a message when the session has been cancelled: for changes.
async fn managed_open(
    conn: &mut PgConnection,
    user: &CurrentUser,
    id: Uuid,
) -> Result<Session, AppError> {
    let session = managed(conn, user, id).await?;
    if session.cancelled {
        return Err(AppError::BadRequest(t().ip_closed.into()));
    }
    Ok(session)
}

#[derive(Template)]
#[template(path = "in_person/index.html")]
struct IndexPage {
    chrome: Chrome,
    t: &'static Catalogue,
    sessions: Vec<SessionView>,
    courses: Vec<(String, String)>,
    divisions: Vec<(String, String)>,
    whole_institution: bool,
    today: String,
}

/// Sessions within the officer's scope, and the form to schedule one.
pub async fn index(
    user: CurrentUser,
    ThisYear(fy): ThisYear,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ManageSessions)?;
    let inst = user.session.institution_id;
    let scope = user.scope();
    let (divisions, _) = user.scoped_divisions(&mut conn, None).await?;
    let sessions = match &scope {
        Scope::All => kenshu_db::in_person::list(&mut conn, inst, None).await?,
        _ => {
            let ids: Vec<Uuid> = divisions.iter().map(|d| d.id).collect();
            kenshu_db::in_person::list(&mut conn, inst, Some(&ids)).await?
        }
    };
    let plan = kenshu_db::plan::plan(&mut conn, inst, fy).await?;
    let titles = kenshu_db::content::course_titles(&mut conn).await?;
    let courses = plan
        .map(|p| p.plan.courses)
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            let title = titles
                .get(&c.code)
                .cloned()
                .unwrap_or_else(|| c.code.clone());
            (c.code, title)
        })
        .collect();
    render(&IndexPage {
        chrome: Chrome::for_user(&user, t().ip_title),
        t: t(),
        sessions: sessions.iter().map(SessionView::of).collect(),
        courses,
        divisions: divisions.into_iter().map(|d| (d.code, d.name)).collect(),
        whole_institution: scope == Scope::All,
        today: kenshu_core::japan_today().to_string(),
    })
}

#[derive(serde::Deserialize)]
pub struct ScheduleForm {
    course: String,
    date: String,
    starts: String,
    ends: String,
    place: String,
    capacity: String,
    division: String,
}

fn clock(s: &str) -> Option<Time> {
    let (h, m) = s.trim().split_once(':')?;
    Time::from_hms(h.parse().ok()?, m.get(..2)?.parse().ok()?, 0).ok()
}

fn at(date: Date, t: Time) -> OffsetDateTime {
    PrimitiveDateTime::new(date, t).assume_offset(kenshu_core::fiscal_year::JST)
}

/// Schedules a session. Every field is checked and a mistake named with its fix.
pub async fn create(
    user: CurrentUser,
    Conn(mut conn): Conn,
    Form(f): Form<ScheduleForm>,
) -> Result<Response, AppError> {
    user.require(Action::ManageSessions)?;
    let inst = user.session.institution_id;
    let bad = |m: &str| AppError::BadRequest(m.to_string());
    let division_id = match f.division.trim() {
        "" => None,
        code => Some(
            kenshu_db::institution::find_division(&mut conn, inst, code)
                .await?
                .ok_or_else(|| bad(t().ip_fix_division))?
                .id,
        ),
    };
    user.require_session(division_id)?;
    let date = kenshu_core::roster::parse_date(&f.date).ok_or_else(|| bad(t().ip_fix_date))?;
    let (starts, ends) = match (clock(&f.starts), clock(&f.ends)) {
        (Some(s), Some(e)) if e > s => (at(date, s), at(date, e)),
        _ => return Err(bad(t().ip_fix_time)),
    };
    let place = f.place.trim();
    if place.is_empty() || place.chars().count() > 200 {
        return Err(bad(t().ip_fix_place));
    }
    if kenshu_core::my_number::contains_my_number(place) {
        return Err(AppError::BadRequest(format!(
            "{}: {}",
            t().ip_place,
            t().my_number_refused
        )));
    }
    let capacity: i32 = f
        .capacity
        .trim()
        .parse()
        .ok()
        .filter(|c| (1..=10000).contains(c))
        .ok_or_else(|| bad(t().ip_fix_capacity))?;
    let asked = in_person::Schedule {
        course: f.course.trim(),
        starts_at: starts,
        ends_at: ends,
        place,
        capacity,
        division_id,
    };
    let id = in_person::schedule(&mut conn, &user.actor(), &asked).await?;
    Ok(crate::flash::redirect(
        &format!("/officer/sessions/{id}"),
        crate::flash::Done::SessionScheduled,
    ))
}

#[derive(serde::Deserialize)]
pub struct NominateForm {
    /// Ticked people.
    #[serde(default)]
    pick: Vec<String>,
    /// Login IDs typed, separated by spaces, commas or 、.
    #[serde(default)]
    logins: Vec<String>,
}

/// Nominates people (ticked, or typed as login IDs) of the session's division — anyone of
/// the institution for an institution-wide session — within its capacity.
pub async fn nominate(
    user: CurrentUser,
    Path(id): Path<Uuid>,
    mut tx: Tx,
    axum_extra::extract::Form(f): axum_extra::extract::Form<NominateForm>,
) -> Result<Response, AppError> {
    let session = managed_open(&mut tx, &user, id).await?;
    let logins: Vec<String> = f
        .pick
        .iter()
        .chain(&f.logins)
        .flat_map(|v| {
            v.split(|c: char| c.is_whitespace() || c == ',' || c == '、')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    if logins.is_empty() {
        return Err(AppError::BadRequest(t().ip_nominate_none.into()));
    }
    let left_out = in_person::nominate(&mut tx, &user.actor(), &session, &logins).await?;
    let Conn(mut conn) = tx.commit().await?;
    let (unknown, full) = (left_out.unknown, left_out.full);
    if unknown.is_empty() && full.is_empty() {
        return Ok(crate::flash::redirect(
            &format!("/officer/sessions/{id}"),
            crate::flash::Done::Nominated,
        ));
    }
    let mut notice = Vec::new();
    if !full.is_empty() {
        notice.push(format!(
            "{}{}",
            t().ip_nominate_full,
            full.join(t().list_sep)
        ));
    }
    if !unknown.is_empty() {
        notice.push(format!(
            "{}{}",
            t().ip_nominate_unknown,
            unknown.join(t().list_sep)
        ));
    }
    let session = managed(&mut conn, &user, id).await?;
    let mut res = show_page(&mut conn, &user, &session, Some(notice.join(" "))).await?;
    *res.status_mut() = if full.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::CONFLICT
    };
    Ok(res)
}

#[derive(serde::Deserialize)]
pub struct AttendanceForm {
    /// The ids of the participants ticked present (an id that is not one changes nothing).
    #[serde(default)]
    present: Vec<String>,
}

/// The checklist: records attendance of every ticked participant and settles their course.
/// Not before the session's start (409, and nothing recorded); after its end it still records.
pub async fn attendance(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    mut tx: Tx,
    axum_extra::extract::Form(f): axum_extra::extract::Form<AttendanceForm>,
) -> Result<Response, AppError> {
    let session = managed_open(&mut tx, &user, id).await?;
    let present: Vec<Uuid> = f
        .present
        .iter()
        .filter_map(|v| Uuid::parse_str(v).ok())
        .collect();
    let actor = user.actor();
    match in_person::checklist(&mut tx, &state.catalog, &actor, &session, &present).await {
        Ok(_) => {}
        Err(in_person::InPersonError::NotStarted) => {
            let Conn(mut conn) = tx.rollback()?;
            let notice = format!(
                "{} {}: {}",
                t().ip_checklist_not_yet,
                t().ip_starts,
                jtime(session.starts_at)
            );
            let mut res = show_page(&mut conn, &user, &session, Some(notice)).await?;
            *res.status_mut() = StatusCode::CONFLICT;
            return Ok(res);
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(crate::flash::redirect(
        &format!("/officer/sessions/{id}"),
        crate::flash::Done::AttendanceRecorded,
    ))
}

/// Cancels a session; its people and any attendance already recorded stay on record.
pub async fn cancel(
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let session = managed(&mut conn, &user, id).await?;
    in_person::cancel(&mut conn, &user.actor(), session.id).await?;
    Ok(crate::flash::redirect(
        &format!("/officer/sessions/{id}"),
        crate::flash::Done::SessionCancelled,
    ))
}
