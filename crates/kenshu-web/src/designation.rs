//! Designations (指定), managed by protection officers for their divisions and by the chief
//! officer for all: who is a clerk, a file handler, a system administrator — and since when.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kenshu_app::designation::{self, Designate};
use kenshu_core::my_number::contains_my_number;
use kenshu_core::plan::DesignationKind;
use kenshu_core::roster::parse_date;
use kenshu_db::institution::Division;
use serde::Deserialize;
use uuid::Uuid;

use crate::flash::Done;
use crate::lang::t;
use crate::page::{Chrome, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use crate::{AppError, AppState};
use kenshu_core::i18n::Catalogue;

pub struct Line {
    pub id: Uuid,
    pub kind: &'static str,
    pub period: String,
    pub active: bool,
    pub note: String,
}

pub struct Person {
    pub login: String,
    pub name: String,
    pub lines: Vec<Line>,
}

#[derive(Template)]
#[template(path = "designation/index.html")]
struct DesignationPage {
    chrome: Chrome,
    t: &'static Catalogue,
    divisions: Vec<Division>,
    division: Division,
    people: Vec<Person>,
    kinds: Vec<(&'static str, &'static str)>,
    today: String,
    /// For the chief officer: protection officers of other divisions responsible for this one
    /// (id, login, name, home division, period), and who could be.
    visiting: Vec<(Uuid, String, String, String, String)>,
    candidates: Vec<(String, String, String, Uuid)>,
    may_assign: bool,
    /// The add form as typed, when it was refused, and why.
    kept: AddForm,
    refused: Option<Refused>,
}

/// Why the add form was refused: the field (its input's id) and what to do.
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

#[derive(Deserialize)]
pub struct DivisionQuery {
    division: Option<String>,
}

pub async fn index(
    user: CurrentUser,
    Conn(mut conn): Conn,
    Query(q): Query<DivisionQuery>,
) -> Result<Response, AppError> {
    user.require(Action::ManageDesignations)?;
    page(&user, &mut conn, q.division.as_deref(), None).await
}

/// The designations page of a division; with a refused add form, that form as typed and the
/// reason next to its field (422).
async fn page(
    user: &CurrentUser,
    conn: &mut sqlx::PgConnection,
    division: Option<&str>,
    refused: Option<(AddForm, Refused)>,
) -> Result<Response, AppError> {
    let inst = user.session.institution_id;
    let (divisions, division) = user.scoped_divisions(&mut *conn, division).await?;
    let conn = &mut *conn;
    let today = kenshu_core::japan_today();
    let people = kenshu_db::designation::for_division(&mut *conn, inst, division.id)
        .await?
        .into_iter()
        .map(|p| Person {
            login: p.login_id,
            name: p.name,
            lines: p
                .designations
                .into_iter()
                .map(|d| Line {
                    id: d.id,
                    kind: DesignationKind::parse(&d.kind)
                        .map(|k| crate::lang::t().designation_kind(k))
                        .unwrap_or(""),
                    period: format!(
                        "{} {} {}",
                        crate::page::day(d.valid_from),
                        crate::lang::t().range_sep,
                        d.valid_to.map(crate::page::day).unwrap_or_default()
                    ),
                    active: d.valid_from <= today && d.valid_to.is_none_or(|t| today <= t),
                    note: d.note.unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let may_assign = user.may(Action::AssignOfficers);
    let (visiting, candidates) = if may_assign {
        (
            kenshu_db::designation::visiting_officers(&mut *conn, inst, division.id, today)
                .await?
                .into_iter()
                .map(|v| {
                    (
                        v.id,
                        v.login_id,
                        v.name,
                        v.home_division,
                        format!(
                            "{} {} {}",
                            crate::page::day(v.valid_from),
                            crate::lang::t().range_sep,
                            v.valid_to.map(crate::page::day).unwrap_or_default()
                        ),
                    )
                })
                .collect(),
            kenshu_db::designation::officers_outside(&mut *conn, inst, division.id).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let (kept, refused) = match refused {
        Some((kept, why)) => (kept, Some(why)),
        None => (
            AddForm {
                from: today.to_string(),
                ..AddForm::default()
            },
            None,
        ),
    };
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = render(&DesignationPage {
        kept,
        refused,
        visiting,
        candidates,
        may_assign,
        chrome: Chrome::for_user(user, t().designations_title),
        t: t(),
        // The division picker only when there is more than one to pick from.
        divisions: if divisions.len() > 1 {
            divisions
        } else {
            Vec::new()
        },
        division,
        people,
        kinds: DesignationKind::ALL
            .iter()
            .filter(|k| !k.is_officer())
            .map(|k| (k.as_str(), crate::lang::t().designation_kind(*k)))
            .collect(),
        today: today.to_string(),
    })?;
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Deserialize, Default)]
pub struct AddForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
}

fn bad(field: &str, fix: &str) -> AppError {
    AppError::BadRequest(format!("{field}: {fix}"))
}

/// A designation's period from the form: a start, and an end (blank: open) not before it.
fn period(from: &str, to: &str) -> Result<(time::Date, Option<time::Date>), Refused> {
    let from =
        parse_date(from).ok_or_else(|| Refused::new("from", t().designation_from, t().date_fix))?;
    let to = match to.trim() {
        "" => None,
        s => Some(
            parse_date(s).ok_or_else(|| Refused::new("to", t().designation_to, t().date_fix))?,
        ),
    };
    if to.is_some_and(|t| t < from) {
        return Err(Refused::new(
            "to",
            t().designation_to,
            t().designation_to_fix,
        ));
    }
    Ok((from, to))
}

pub async fn add(
    State(state): State<AppState>,
    user: CurrentUser,
    mut tx: Tx,
    Form(f): Form<AddForm>,
) -> Result<Response, AppError> {
    user.require(Action::ManageDesignations)?;
    let inst = user.session.institution_id;
    let kind = DesignationKind::parse(&f.kind);
    if kind.is_some_and(DesignationKind::is_officer) {
        user.require(Action::AssignOfficers)?;
    }
    let login = f.login.trim().to_string();
    let Some((user_id, division, _)) = kenshu_db::person::by_login(&mut tx, inst, &login).await?
    else {
        let why = Refused::new("login", t().login_id, t().person_unknown);
        return refuse(&user, tx, None, f, why).await;
    };
    // The person's division decides who may designate them.
    user.require_division(Action::ManageDesignations, division)?;
    let code = division_code(&mut tx, inst, division).await?;
    let checked = check(kind, &f);
    let (kind, from, to) = match checked {
        Ok(v) => v,
        Err(why) => return refuse(&user, tx, Some(&code), f, why).await,
    };
    let note = f.note.trim();
    let asked = Designate {
        login: &login,
        user_id,
        division_id: division,
        kind,
        from,
        to,
        note: (!note.is_empty()).then_some(note),
    };
    match designation::add(&mut tx, &user.actor(), &asked).await {
        Ok(_) => {}
        // The person holds it already for part of the period: said by the start date.
        Err(designation::DesignationError::Overlap) => {
            let why = Refused::new("from", t().designation_from, t().designation_overlap);
            return refuse(&user, tx, Some(&code), f, why).await;
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    // This instance shows the change at once; the others when they hear it.
    state.sessions.forget_institution(inst);
    Ok(to_division(&code, Done::DesignationAdded))
}

/// The add form's fields, or the first that cannot be accepted.
fn check(
    kind: Option<DesignationKind>,
    f: &AddForm,
) -> Result<(DesignationKind, time::Date, Option<time::Date>), Refused> {
    let kind =
        kind.ok_or_else(|| Refused::new("kind", t().designation_kind, t().designation_kind_fix))?;
    let (from, to) = period(&f.from, &f.to)?;
    if contains_my_number(&f.note) {
        return Err(Refused::new(
            "note",
            t().designation_note,
            t().my_number_refused,
        ));
    }
    Ok((kind, from, to))
}

/// The page again with the form as typed and the reason by its field; nothing was saved.
async fn refuse(
    user: &CurrentUser,
    tx: Tx,
    division: Option<&str>,
    mut kept: AddForm,
    why: Refused,
) -> Result<Response, AppError> {
    // A My Number typed into the note is refused, and not sent back either.
    kept.note = kenshu_core::my_number::mask_my_numbers(&kept.note);
    let Conn(mut conn) = tx.rollback()?;
    page(user, &mut conn, division, Some((kept, why))).await
}

#[derive(Deserialize)]
pub struct EndForm {
    on: String,
}

pub async fn end(
    State(state): State<AppState>,
    user: CurrentUser,
    mut tx: Tx,
    Path(id): Path<Uuid>,
    Form(f): Form<EndForm>,
) -> Result<Response, AppError> {
    user.require(Action::ManageDesignations)?;
    let inst = user.session.institution_id;
    let on = parse_date(&f.on).ok_or_else(|| bad(t().designation_to, t().date_fix))?;
    let (division, kind) = kenshu_db::designation::holder_division(&mut tx, inst, id)
        .await?
        .ok_or(AppError::NotFound)?;
    user.require_division(Action::ManageDesignations, division)?;
    if DesignationKind::parse(&kind).is_some_and(DesignationKind::is_officer) {
        user.require(Action::AssignOfficers)?;
    }
    designation::end(&mut tx, &user.actor(), id, &kind, on).await?;
    let Conn(mut conn) = tx.commit().await?;
    // This instance shows the change at once; the others when they hear it.
    state.sessions.forget_institution(inst);
    back(&mut conn, inst, division, Done::DesignationEnded).await
}

#[derive(Deserialize)]
pub struct OfficerForm {
    division: String,
    login: String,
    from: String,
    #[serde(default)]
    to: String,
}

/// 兼務: makes a protection officer of another division responsible for this one too, from a
/// date (and until one). Their dashboard then reaches it.
pub async fn assign_officer(
    State(state): State<AppState>,
    user: CurrentUser,
    mut tx: Tx,
    Form(f): Form<OfficerForm>,
) -> Result<Response, AppError> {
    user.require(Action::AssignOfficers)?;
    let (from, to) = period(&f.from, &f.to).map_err(|r| AppError::BadRequest(r.message))?;
    let division = designation::assign_officer(
        &mut tx,
        &user.actor(),
        &f.division,
        f.login.trim(),
        from,
        to,
    )
    .await?;
    tx.commit().await?;
    // This instance shows the change at once; the others when they hear it.
    state
        .sessions
        .forget_institution(user.session.institution_id);
    Ok(to_division(&division.code, Done::OfficerAssigned))
}

async fn back(
    conn: &mut sqlx::PgConnection,
    inst: Uuid,
    division: Uuid,
    done: Done,
) -> Result<Response, AppError> {
    let code = division_code(conn, inst, division).await?;
    Ok(to_division(&code, done))
}

/// A division's code, for the URL of its page.
async fn division_code(
    conn: &mut sqlx::PgConnection,
    inst: Uuid,
    division: Uuid,
) -> Result<String, AppError> {
    Ok(kenshu_db::institution::divisions(conn, inst)
        .await?
        .into_iter()
        .find(|d| d.id == division)
        .map(|d| d.code)
        .unwrap_or_default())
}

/// Back to the designations page of a division, saying what was done.
fn to_division(code: &str, done: Done) -> Response {
    crate::flash::redirect(
        &format!("/designations?division={}", crate::error::url_escape(code)),
        done,
    )
}
