//! Staff and in-person sessions: the sessions open to them for the courses the plan assigns
//! them, sign-up and cancel within capacity, and the sessions they are in.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use kenshu_app::in_person;
use kenshu_db::in_person::Added;
use uuid::Uuid;

use crate::AppError;
use crate::lang::t;
use crate::page::{Chrome, fiscal_year, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use kenshu_core::i18n::Catalogue;

use super::SessionView;

pub struct OfferRow {
    pub s: SessionView,
    /// 出席済み, 修了, or awaiting the test; empty when not attended.
    pub state: &'static str,
    pub attended: bool,
}

#[derive(Template)]
#[template(path = "in_person/signup.html")]
struct SignupPage {
    chrome: Chrome,
    t: &'static Catalogue,
    mine: Vec<OfferRow>,
    open: Vec<OfferRow>,
    notice: Option<&'static str>,
}

async fn page(
    conn: &mut kenshu_db::PgConnection,
    user: &CurrentUser,
    notice: Option<&'static str>,
) -> Result<Response, AppError> {
    let fy = fiscal_year(None);
    let (_, assigned) = crate::learning::assignments(&mut *conn, user, fy).await?;
    let codes: Vec<String> = assigned.into_iter().map(|a| a.code).collect();
    let inst = user.session.institution_id;
    let offers = kenshu_db::in_person::offers(
        &mut *conn,
        inst,
        user.session.user_id,
        user.session.division_id,
        &codes,
    )
    .await?;
    let (mut mine, mut open) = (Vec::new(), Vec::new());
    for o in offers {
        let attended = o.attended_at.is_some();
        let state = match (attended, o.completed) {
            (false, _) => "",
            (true, true) => t().ip_completed,
            (true, false) => {
                if o.session.test_required {
                    t().ip_awaiting_test
                } else {
                    t().ip_attended_label
                }
            }
        };
        let row = OfferRow {
            s: SessionView::of(&o.session),
            state,
            attended,
        };
        if o.joined {
            mine.push(row)
        } else {
            open.push(row)
        }
    }
    render(&SignupPage {
        chrome: Chrome::for_user(user, t().ip_nav_signup),
        t: t(),
        mine,
        open,
        notice,
    })
}

/// The sessions a person may sign up for, and the ones they are in.
pub async fn index(user: CurrentUser, Conn(mut conn): Conn) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    page(&mut conn, &user, None).await
}

/// Signs the person up; a full or cancelled session says so and records nothing. A session
/// not open to them (another division's) is "not found".
pub async fn sign_up(
    user: CurrentUser,
    Path(id): Path<Uuid>,
    mut tx: Tx,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let division = user.session.division_id;
    let added = in_person::sign_up(&mut tx, &user.actor(), division, id).await?;
    let Conn(mut conn) = tx.commit().await?;
    let (status, notice) = match added {
        Added::Added | Added::AlreadyIn => {
            return Ok(crate::flash::redirect(
                "/sessions",
                crate::flash::Done::SignedUp,
            ));
        }
        Added::Full => (StatusCode::CONFLICT, t().ip_full),
        Added::Closed => (StatusCode::CONFLICT, t().ip_closed),
    };
    let mut res = page(&mut conn, &user, Some(notice)).await?;
    *res.status_mut() = status;
    Ok(res)
}

/// Withdraws the person's sign-up (not once attendance is recorded).
pub async fn withdraw(
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let division = user.session.division_id;
    in_person::withdraw(&mut conn, &user.actor(), division, id).await?;
    Ok(crate::flash::redirect(
        "/sessions",
        crate::flash::Done::Withdrawn,
    ))
}
