//! The officer's page of one session: its people and their attendance (the checklist), the
//! form to withdraw an attendance and the history of such corrections, nominations.

use askama::Template;
use axum::extract::Path;
use axum::response::Response;
use kenshu_core::in_person::checklist_open;
use kenshu_db::PgConnection;
use kenshu_db::in_person::Session;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::AppError;
use crate::lang::t;
use crate::page::{Chrome, jtime, render};
use crate::session::{Conn, CurrentUser};
use kenshu_core::i18n::Catalogue;

use super::{SessionView, correction, managed};

/// One person of the session as the page lists them.
pub struct ParticipantRow {
    pub user_id: Uuid,
    pub login: String,
    pub name: String,
    pub division: String,
    pub nominated: bool,
    pub attended: Option<String>,
    pub via: &'static str,
    /// An attendance of theirs here was withdrawn (and not recorded again).
    pub withdrawn: bool,
}

#[derive(Template)]
#[template(path = "in_person/show.html")]
struct ShowPage {
    chrome: Chrome,
    t: &'static Catalogue,
    session: SessionView,
    participants: Vec<ParticipantRow>,
    candidates: Vec<(String, String)>,
    test_required: bool,
    notice: Option<String>,
    /// Before the start: when the checklist opens.
    checklist_opens: Option<String>,
    /// Whose attendance may be withdrawn: (user id, "name（login）").
    attendees: Vec<(Uuid, String)>,
    corrections: Vec<correction::CorrectionRow>,
}

pub(super) async fn show_page(
    conn: &mut PgConnection,
    user: &CurrentUser,
    session: &Session,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let inst = user.session.institution_id;
    let corrections =
        kenshu_db::in_person::corrections::of_session(&mut *conn, inst, session.id).await?;
    let participants: Vec<ParticipantRow> =
        kenshu_db::in_person::participants(&mut *conn, inst, session.id)
            .await?
            .into_iter()
            .map(|p| ParticipantRow {
                withdrawn: p.attended_at.is_none()
                    && corrections.iter().any(|c| c.user_id == p.user_id),
                user_id: p.user_id,
                login: p.login_id,
                name: p.name,
                division: p.division_name,
                nominated: p.nominated,
                attended: p.attended_at.map(jtime),
                via: via_label(p.attendance_via.as_deref()),
            })
            .collect();
    let attendees = participants
        .iter()
        .filter(|p| p.attended.is_some())
        .map(|p| {
            (
                p.user_id,
                format!("{}{}{}{}", p.name, t().paren_open, p.login, t().paren_close),
            )
        })
        .collect();
    let candidates = match session.division_id {
        Some(d) if !session.cancelled => {
            kenshu_db::in_person::candidates(&mut *conn, inst, session.id, d).await?
        }
        _ => Vec::new(),
    };
    render(&ShowPage {
        chrome: Chrome::for_user(user, session.course_title.clone()),
        t: t(),
        session: SessionView::of(session),
        participants,
        candidates,
        test_required: session.test_required,
        notice,
        checklist_opens: (!checklist_open(session.starts_at, OffsetDateTime::now_utc()))
            .then(|| jtime(session.starts_at)),
        attendees,
        corrections: corrections
            .iter()
            .map(correction::CorrectionRow::of)
            .collect(),
    })
}

/// How an attendance was recorded, as the pages name it.
pub(super) fn via_label(via: Option<&str>) -> &'static str {
    match via {
        Some("qr") => t().ip_via_qr,
        Some(_) => t().ip_via_checklist,
        None => "",
    }
}

/// One session: its people, the attendance checklist, nominations.
pub async fn show(
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let session = managed(&mut conn, &user, id).await?;
    show_page(&mut conn, &user, &session, None).await
}
