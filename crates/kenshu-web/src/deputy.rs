//! Deputies (代理者の指定): who receives an absent officer's weekly digest, for a period. The
//! chief officer names, ends and removes them; the audit officer reads the list. Validated and
//! audited as on the command line (`kenshu user deputy`), by `kenshu_app::digest::deputy`.

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use kenshu_app::digest::deputy::{self, DeputyError};
use kenshu_core::i18n::Catalogue;
use kenshu_core::my_number::{contains_my_number, mask_my_numbers};
use kenshu_core::roster::parse_date;
use serde::Deserialize;
use uuid::Uuid;

use crate::AppError;
use crate::flash::Done;
use crate::lang::t;
use crate::page::{Chrome, day, render_form};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;

const PAGE: &str = "/officer/deputies";

/// One deputy as listed.
pub struct Shown {
    pub id: Uuid,
    pub officer: String,
    pub deputy: String,
    pub period: String,
    pub note: String,
    pub set_by: String,
    /// Still in force or to come: it may be ended.
    pub current: bool,
    /// Not started: it may be removed.
    pub upcoming: bool,
}

#[derive(Template)]
#[template(path = "digest/deputies.html")]
struct DeputiesPage {
    chrome: Chrome,
    t: &'static Catalogue,
    deputies: Vec<Shown>,
    may_manage: bool,
    /// (login, name) of those whose digest a deputy may take.
    officers: Vec<(String, String)>,
    today: String,
    kept: NameForm,
    refused: Option<Refused>,
}

/// Why the form was refused: the field (its input's id) and what to do.
pub struct Refused {
    pub field: &'static str,
    pub message: String,
}

impl Refused {
    fn new(field: &'static str, label: &str, fix: &str) -> Refused {
        Refused {
            field,
            message: format!("{label}: {fix}"),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct NameForm {
    #[serde(default)]
    officer: String,
    #[serde(default)]
    deputy: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
}

pub async fn index(user: CurrentUser, Conn(mut conn): Conn) -> Result<Response, AppError> {
    user.require(Action::ViewDeputies)?;
    page(&user, &mut conn, None).await
}

/// The list and (for the chief officer) the form; with a refused form, that form as typed
/// and the reason by its field (422).
async fn page(
    user: &CurrentUser,
    conn: &mut sqlx::PgConnection,
    refused: Option<(NameForm, Refused)>,
) -> Result<Response, AppError> {
    let inst = user.session.institution_id;
    let today = kenshu_core::japan_today();
    let t = t();
    let deputies = kenshu_db::digest::deputies(&mut *conn, inst, today)
        .await?
        .into_iter()
        .map(|d| Shown {
            id: d.id,
            officer: format!(
                "{}{}{}{}",
                d.officer_name, t.paren_open, d.officer_login, t.paren_close
            ),
            deputy: format!(
                "{}{}{}{}",
                d.deputy_name, t.paren_open, d.deputy_login, t.paren_close
            ),
            period: format!(
                "{} {} {}",
                day(d.valid_from),
                t.range_sep,
                d.valid_to.map(day).unwrap_or_default()
            ),
            note: d.note.unwrap_or_default(),
            set_by: d
                .created_by
                .unwrap_or_else(|| t.deputy_by_command.to_string()),
            current: d.valid_to.is_none_or(|to| to >= today),
            upcoming: d.valid_from > today,
        })
        .collect();
    let may_manage = user.may(Action::ManageDeputies);
    let officers = if may_manage {
        kenshu_db::digest::officer_choices(&mut *conn, inst).await?
    } else {
        Vec::new()
    };
    let (kept, refused) = match refused {
        Some((kept, why)) => (kept, Some(why)),
        None => (
            NameForm {
                from: today.to_string(),
                ..NameForm::default()
            },
            None,
        ),
    };
    let is_refused = refused.is_some();
    render_form(
        &DeputiesPage {
            chrome: Chrome::for_user(user, t.deputies_title),
            t,
            deputies,
            may_manage,
            officers,
            today: today.to_string(),
            kept,
            refused,
        },
        is_refused,
    )
}

/// The form's period and note, or the first field that cannot be accepted.
fn check(f: &NameForm) -> Result<(time::Date, Option<time::Date>), Refused> {
    let t = t();
    if f.officer.trim().is_empty() {
        return Err(Refused::new(
            "officer",
            t.deputy_officer,
            t.deputy_officer_fix,
        ));
    }
    if f.deputy.trim().is_empty() {
        return Err(Refused::new(
            "deputy",
            t.deputy_deputy,
            t.deputy_unknown_fix,
        ));
    }
    let from =
        parse_date(&f.from).ok_or_else(|| Refused::new("from", t.designation_from, t.date_fix))?;
    let to = match f.to.trim() {
        "" => None,
        s => Some(parse_date(s).ok_or_else(|| Refused::new("to", t.designation_to, t.date_fix))?),
    };
    if to.is_some_and(|to| to < from) {
        return Err(Refused::new("to", t.designation_to, t.designation_to_fix));
    }
    if contains_my_number(&f.note) {
        return Err(Refused::new(
            "note",
            t.designation_note,
            t.my_number_refused,
        ));
    }
    Ok((from, to))
}

/// Names a deputy: the chief officer only, in one transaction with its audit entry.
pub async fn name(
    user: CurrentUser,
    mut tx: Tx,
    Form(f): Form<NameForm>,
) -> Result<Response, AppError> {
    user.require(Action::ManageDeputies)?;
    let (from, to) = match check(&f) {
        Ok(period) => period,
        Err(why) => return refuse(&user, tx, f, why).await,
    };
    let officer = f.officer.trim();
    let login = f.deputy.trim();
    let note = f.note.trim();
    let named = deputy::name(
        &mut tx,
        &user.actor(),
        officer,
        login,
        from,
        to,
        (!note.is_empty()).then_some(note),
    )
    .await;
    let t = t();
    let why = match named {
        Ok(_) => {
            tx.commit().await?;
            return Ok(crate::flash::redirect(PAGE, Done::DeputyNamed));
        }
        Err(DeputyError::Unknown(who)) if who == officer => {
            Refused::new("officer", t.deputy_officer, t.deputy_officer_fix)
        }
        Err(DeputyError::NotAnOfficer(_)) => {
            Refused::new("officer", t.deputy_officer, t.deputy_officer_fix)
        }
        Err(DeputyError::Unknown(_)) => {
            Refused::new("deputy", t.deputy_deputy, t.deputy_unknown_fix)
        }
        Err(DeputyError::Themselves) => {
            Refused::new("deputy", t.deputy_deputy, t.deputy_themselves_fix)
        }
        Err(DeputyError::Period) => Refused::new("to", t.designation_to, t.designation_to_fix),
        // Another deputy for some of these days: said by the start date.
        Err(DeputyError::Overlap) => Refused::new("from", t.designation_from, t.deputy_overlap_fix),
        Err(e) => return Err(e.into()),
    };
    refuse(&user, tx, f, why).await
}

/// The page again with the form as typed and the reason by its field; nothing was saved.
async fn refuse(
    user: &CurrentUser,
    tx: Tx,
    mut kept: NameForm,
    why: Refused,
) -> Result<Response, AppError> {
    // A My Number typed into the note is refused, and not sent back either.
    kept.note = mask_my_numbers(&kept.note);
    let Conn(mut conn) = tx.rollback()?;
    page(user, &mut conn, Some((kept, why))).await
}

#[derive(Deserialize)]
pub struct EndForm {
    #[serde(default)]
    on: String,
}

/// Ends a deputy's period on the day given (the last day they stand in).
pub async fn end(
    user: CurrentUser,
    mut tx: Tx,
    Path(id): Path<Uuid>,
    Form(f): Form<EndForm>,
) -> Result<Response, AppError> {
    user.require(Action::ManageDeputies)?;
    let t = t();
    let bad = |fix: &str| AppError::BadRequest(format!("{}: {fix}", t.deputy_end_on));
    let on = parse_date(&f.on).ok_or_else(|| bad(t.date_fix))?;
    match deputy::end(&mut tx, &user.actor(), id, on).await {
        Ok(()) => {}
        Err(DeputyError::NotFound) => return Err(AppError::NotFound),
        Err(DeputyError::Period) => return Err(bad(t.deputy_end_fix)),
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(crate::flash::redirect(PAGE, Done::DeputyEnded))
}

/// Removes a deputy named by mistake, before their period starts.
pub async fn remove(
    user: CurrentUser,
    mut tx: Tx,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    user.require(Action::ManageDeputies)?;
    let today = kenshu_core::japan_today();
    match deputy::remove(&mut tx, &user.actor(), id, today).await {
        Ok(()) => {}
        Err(DeputyError::NotFound) => return Err(AppError::NotFound),
        Err(DeputyError::Started) => {
            return Err(AppError::BadRequest(t().deputy_started_fix.into()));
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(crate::flash::redirect(PAGE, Done::DeputyRemoved))
}
