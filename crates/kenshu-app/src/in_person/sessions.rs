//! An officer's sessions: scheduling one, cancelling it, nominating people and the checklist.
//! Whether the officer may manage the session (its division) is the caller's policy.

use kenshu_core::FiscalYear;
use kenshu_core::in_person::checklist_open;
use kenshu_db::PgConnection;
use kenshu_db::content::Catalog;
use kenshu_db::in_person::{Added, NewSession, Session};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{InPersonError, record_attendance};
use crate::audit::Actor;

/// A session to schedule, its fields checked by the caller.
pub struct Schedule<'a> {
    pub course: &'a str,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub place: &'a str,
    pub capacity: i32,
    /// None: for the whole institution.
    pub division_id: Option<Uuid>,
}

/// Schedules a session of a course of the catalogue; it belongs to the fiscal year of its day.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id))]
pub async fn schedule(
    conn: &mut PgConnection,
    actor: &Actor<'_>,
    s: &Schedule<'_>,
) -> Result<Uuid, InPersonError> {
    let created_by = actor.person_id("a session is scheduled")?;
    if kenshu_db::content::current_version_in(&mut *conn, actor.institution_id, s.course)
        .await?
        .is_none()
    {
        return Err(InPersonError::UnknownCourse);
    }
    let day = s.starts_at.to_offset(kenshu_core::fiscal_year::JST).date();
    let id = kenshu_db::in_person::create(
        conn,
        &NewSession {
            institution_id: actor.institution_id,
            course_code: s.course,
            fiscal_year: FiscalYear::of(day),
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            place: s.place,
            capacity: s.capacity,
            division_id: s.division_id,
            created_by,
        },
    )
    .await?;
    tracing::info!(session = %id, "in-person session scheduled");
    Ok(id)
}

/// Cancels a session; its people and any attendance already recorded stay on record.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, session = %session))]
pub async fn cancel(
    conn: &mut PgConnection,
    actor: &Actor<'_>,
    session: Uuid,
) -> Result<(), InPersonError> {
    kenshu_db::in_person::cancel(conn, actor.institution_id, session).await?;
    Ok(())
}

/// Who a nomination left out, by login ID.
#[derive(Debug, Default)]
pub struct Nominated {
    /// Not a person of the session's division (or of the institution).
    pub unknown: Vec<String>,
    /// No seat was left for them.
    pub full: Vec<String>,
}

/// Nominates people by login ID to `session` (of the session's division, anyone of the
/// institution for an institution-wide one) while there are seats, in the caller's transaction.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, session = %session.id, asked = logins.len()))]
pub async fn nominate(
    tx: &mut PgConnection,
    actor: &Actor<'_>,
    session: &Session,
    logins: &[String],
) -> Result<Nominated, InPersonError> {
    let inst = actor.institution_id;
    let mut out = Nominated::default();
    for login in logins {
        let person = kenshu_db::person::by_login(&mut *tx, inst, login).await?;
        let Some((person, _, _)) = person.filter(|p| session.division_id.is_none_or(|d| d == p.1))
        else {
            out.unknown.push(login.clone());
            continue;
        };
        if kenshu_db::in_person::add(&mut *tx, inst, session.id, person, actor.user_id).await?
            == Added::Full
        {
            out.full.push(login.clone());
        }
    }
    Ok(out)
}

/// The checklist: records the attendance of each participant in `present` (any other id
/// changes nothing) and settles their course, in the caller's transaction. Refused before the
/// session starts; after its end it still records. Returns how many were recorded now.
#[tracing::instrument(skip_all, fields(institution = %actor.institution_id, session = %session.id))]
pub async fn checklist(
    tx: &mut PgConnection,
    catalog: &Catalog,
    actor: &Actor<'_>,
    session: &Session,
    present: &[Uuid],
) -> Result<usize, InPersonError> {
    let recorded_by = actor.person_id("attendance is recorded")?;
    if !checklist_open(session.starts_at, OffsetDateTime::now_utc()) {
        return Err(InPersonError::NotStarted);
    }
    let inst = actor.institution_id;
    let mut n = 0;
    for person in present {
        if record_attendance(
            catalog,
            tx,
            session,
            inst,
            *person,
            recorded_by,
            "checklist",
        )
        .await?
        {
            n += 1;
        }
    }
    tracing::info!(recorded = n, "attendance recorded on the checklist");
    Ok(n)
}
