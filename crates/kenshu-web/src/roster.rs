//! Roster import in the browser (portal admin, chief officer): upload, see the dry run, apply
//! exactly what was previewed.

use askama::Template;
use axum::Form;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::Response;
use kenshu_db::roster::ImportReport;
use serde::Deserialize;
use uuid::Uuid;

use crate::lang::t;
use crate::page::{Chrome, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use crate::{AppError, AppState};
use kenshu_core::i18n::Catalogue;

/// Largest roster accepted: 100,000 staff take about 12 MB. The upload is held in memory while
/// it is checked, so this also bounds what one upload costs the server.
pub const MAX_UPLOAD: usize = 24 * 1024 * 1024;

pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_UPLOAD)
}

/// A report section with its title in the request's language.
pub struct Section {
    pub key: &'static str,
    pub title: &'static str,
    pub total: usize,
    pub lines: Vec<String>,
}

#[derive(Template)]
#[template(path = "roster/index.html")]
struct RosterPage {
    chrome: Chrome,
    t: &'static Catalogue,
    report: Option<ImportReport>,
    sections: Vec<Section>,
    file_name: String,
    upload: Option<Uuid>,
    tree: Vec<TreeLine>,
    pending: Vec<PendingLine>,
}

/// A scheduled transfer or leaving, in words.
pub struct PendingLine {
    pub due: String,
    pub who: String,
    pub what: String,
}

/// A division in the organisation tree, indented by depth.
pub struct TreeLine {
    pub depth: usize,
    pub code: String,
    pub name: String,
    pub people: i64,
}

/// Orders divisions parent-first, depth-first (部 → 課 → 係).
fn tree_lines(all: Vec<(kenshu_db::institution::Division, i64)>) -> Vec<TreeLine> {
    fn walk(
        all: &[(kenshu_db::institution::Division, i64)],
        parent: Option<Uuid>,
        depth: usize,
        out: &mut Vec<TreeLine>,
    ) {
        for (d, n) in all.iter().filter(|(d, _)| d.parent_id == parent) {
            out.push(TreeLine {
                depth,
                code: d.code.clone(),
                name: d.name.clone(),
                people: *n,
            });
            if depth < 16 {
                walk(all, Some(d.id), depth + 1, out);
            }
        }
    }
    let mut out = Vec::with_capacity(all.len());
    walk(&all, None, 0, &mut out);
    out
}

fn title(key: &str) -> &'static str {
    match key {
        "new_divisions" => t().roster_new_divisions,
        "changed_divisions" => t().roster_changed_divisions,
        "new_staff" => t().roster_new_staff,
        "transfers" => t().roster_transfers,
        "leavers" => t().roster_leavers,
        "changed" => t().roster_changed,
        _ => t().roster_errors,
    }
}

async fn page(
    conn: &mut sqlx::PgConnection,
    user: &CurrentUser,
    report: Option<ImportReport>,
    file_name: String,
    upload: Option<Uuid>,
) -> Result<Response, AppError> {
    let tree = tree_lines(kenshu_db::institution::tree(conn, user.session.institution_id).await?);
    let pending = kenshu_db::roster::pending(conn, user.session.institution_id)
        .await?
        .into_iter()
        .map(|p| {
            let (due, what) = match p.division {
                Some(d) => (
                    crate::page::day(p.due),
                    format!("{}{d}", t().roster_pending_transfer),
                ),
                None => (
                    crate::page::day(p.due.previous_day().unwrap_or(p.due)),
                    t().roster_pending_leave.to_string(),
                ),
            };
            PendingLine {
                due,
                who: format!("{} {}", p.login_id, p.name),
                what,
            }
        })
        .collect();
    // Errors first: they are what the clerk must act on.
    let sections = report
        .iter()
        .flat_map(|r| &r.sections)
        .filter(|s| s.key == "errors")
        .chain(
            report
                .iter()
                .flat_map(|r| &r.sections)
                .filter(|s| s.key != "errors"),
        )
        .map(|s| Section {
            key: s.key,
            title: title(s.key),
            total: s.total,
            lines: s.lines.clone(),
        })
        .collect();
    render(&RosterPage {
        chrome: Chrome::for_user(user, t().roster_title),
        t: t(),
        report,
        sections,
        file_name,
        upload,
        tree,
        pending,
    })
}

pub async fn index(user: CurrentUser, Conn(mut conn): Conn) -> Result<Response, AppError> {
    user.require(Action::ImportRoster)?;
    page(&mut conn, &user, None, String::new(), None).await
}

/// Stores the upload and shows its dry run.
pub async fn preview(
    State(state): State<AppState>,
    user: CurrentUser,
    mut form: Multipart,
) -> Result<Response, AppError> {
    user.require(Action::ImportRoster)?;
    let (mut file, mut name, mut complete) = (None, String::new(), false);
    let refused = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge
        } else {
            tracing::debug!(error = %e, "roster upload unreadable");
            AppError::BadRequest(format!("{}: {}", t().roster_file, t().err_rejected))
        }
    };
    while let Some(field) = form.next_field().await.map_err(refused)? {
        match field.name() {
            Some("file") => {
                name = field.file_name().unwrap_or("roster.csv").to_string();
                file = Some(field.bytes().await.map_err(refused)?);
            }
            Some("complete") => complete = true,
            _ => {}
        }
    }
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        return Err(AppError::BadRequest(t().roster_no_file.into()));
    };
    // The upload has been read: only now take a connection.
    let mut tx = Tx::begin(Conn::after_body(&state).await?).await?;
    // The dry run plans as if a mass change were confirmed, so that it can show what would
    // happen and ask for the confirmation; applying it needs the box ticked.
    let checked = options(complete, true);
    let preview =
        kenshu_app::roster::preview(&mut tx, t(), &user.actor(), &name, &file, checked).await?;
    // Only an upload that can be applied is kept; a refused one is not stored at all.
    let Conn(mut conn) = if preview.kept.is_some() {
        tx.commit().await?
    } else {
        tx.rollback()?
    };
    page(&mut conn, &user, Some(preview.report), name, preview.kept).await
}

/// The import's options as the page gives them: today's date, in Japan.
fn options(complete: bool, allow_mass_change: bool) -> kenshu_core::roster::PlanOptions {
    let today = kenshu_core::japan_today();
    kenshu_core::roster::PlanOptions {
        complete,
        default_on: today,
        today,
        allow_mass_change,
    }
}

#[derive(Deserialize)]
pub struct ApplyForm {
    upload: Uuid,
    /// The box confirming a change that makes most of the institution new or leaving.
    #[serde(default)]
    confirm_mass_change: Option<String>,
}

/// Applies a previewed upload, all or nothing.
pub async fn apply(
    State(state): State<AppState>,
    user: CurrentUser,
    mut tx: Tx,
    Form(f): Form<ApplyForm>,
) -> Result<Response, AppError> {
    user.require(Action::ImportRoster)?;
    let confirmed = f.confirm_mass_change.is_some();
    let with = |complete| options(complete, confirmed);
    let kenshu_app::roster::Applied { name, report } =
        kenshu_app::roster::apply_upload(&mut tx, t(), &user.actor(), f.upload, with)
            .await?
            .ok_or(AppError::NotFound)?;
    let Conn(mut conn) = if report.applied {
        let conn = tx.commit().await?;
        state
            .sessions
            .forget_institution(user.session.institution_id);
        conn
    } else {
        tx.rollback()?
    };
    // Refused only for want of the confirmation: the same upload can be confirmed and applied.
    let again = (!report.applied && report.mass_change.is_some() && !confirmed).then_some(f.upload);
    page(&mut conn, &user, Some(report), name, again).await
}
