//! The audit log's viewer, with filters and the chain check, for the chief and audit officers.
//! Entries are recorded by the use cases (`kenshu_app::audit::Actor`).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use kenshu_core::audit::AuditAction;
use kenshu_core::audit::Verdict;
use kenshu_db::audit::Filter;
use serde::Deserialize;

use crate::lang::t;
use crate::page::{Chrome, jtime, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::{AppError, AppState};
use kenshu_core::i18n::Catalogue;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    subject: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
    verify: Option<String>,
}

pub struct Line {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit/index.html")]
struct AuditPage {
    chrome: Chrome,
    t: &'static Catalogue,
    actions: Vec<(&'static str, &'static str)>,
    action: String,
    actor: String,
    subject: String,
    from: String,
    to: String,
    lines: Vec<Line>,
    next: Option<String>,
    /// The chain check's result when asked: (intact, message).
    verified: Option<(bool, String)>,
}

const PAGE: i64 = 100;

fn some(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

pub async fn index(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ViewAudit)?;
    let inst = user.session.institution_id;
    let date = |s: &Option<String>, label: &str| -> Result<Option<time::Date>, AppError> {
        match some(s) {
            None => Ok(None),
            Some(d) => kenshu_core::roster::parse_date(&d)
                .map(Some)
                .ok_or_else(|| AppError::BadRequest(format!("{label}: {}", t().date_fix))),
        }
    };
    let filter = Filter {
        action: some(&q.action),
        actor: some(&q.actor),
        subject: some(&q.subject),
        from: date(&q.from, t().audit_from)?,
        to: date(&q.to, t().audit_to)?,
        before: q.before,
    };
    let rows = kenshu_db::audit::list(&mut conn, inst, &filter, PAGE).await?;
    let next = (rows.len() as i64 == PAGE)
        .then(|| rows.last().map(|r| r.seq))
        .flatten()
        .map(|seq| {
            let mut params: Vec<(&str, String)> = Vec::new();
            for (k, v) in [
                ("action", &filter.action),
                ("actor", &filter.actor),
                ("subject", &filter.subject),
            ] {
                if let Some(v) = v {
                    params.push((k, v.clone()));
                }
            }
            for (k, v) in [("from", &filter.from), ("to", &filter.to)] {
                if let Some(v) = v {
                    params.push((k, v.to_string()));
                }
            }
            params.push(("before", seq.to_string()));
            format!(
                "/audit?{}",
                serde_urlencoded::to_string(&params).unwrap_or_default()
            )
        });
    let verified = match q.verify.as_deref() {
        Some(_) => Some(verify(&state, &user, &mut conn).await?),
        None => None,
    };
    let lines = rows
        .into_iter()
        .map(|r| {
            // Stored as the code wrote them (they are part of the keyed chain); shown in words.
            let (subject, detail) = match AuditAction::parse(&r.action) {
                Some(a) => (
                    t().audit_subject(a, &r.subject),
                    t().audit_detail(a, &r.detail),
                ),
                None => (r.subject, r.detail),
            };
            Line {
                seq: r.seq,
                at: jtime(r.at),
                actor: r.actor,
                action: t().audit_action_of(&r.action).to_string(),
                subject,
                detail,
            }
        })
        .collect();
    render(&AuditPage {
        chrome: Chrome::for_user(&user, t().audit_title),
        t: t(),
        actions: AuditAction::ALL
            .iter()
            .map(|a| (a.as_str(), t().audit_action(*a)))
            .collect(),
        action: filter.action.unwrap_or_default(),
        actor: filter.actor.unwrap_or_default(),
        subject: filter.subject.unwrap_or_default(),
        from: filter.from.map(|d| d.to_string()).unwrap_or_default(),
        to: filter.to.map(|d| d.to_string()).unwrap_or_default(),
        lines,
        next,
        verified,
    })
}

/// The chain check under the installation's key and against the institution's checkpoints:
/// (intact, message).
async fn verify(
    state: &AppState,
    user: &CurrentUser,
    conn: &mut kenshu_db::PgConnection,
) -> Result<(bool, String), AppError> {
    let code = &user.session.institution_code;
    let checkpoints = match &state.settings.checkpoint_dir {
        Some(dir) => {
            let file = kenshu_db::audit_anchor::checkpoint_file(dir, code);
            kenshu_db::audit_anchor::read_checkpoints(&file, code)
                .await
                .map_err(|e| AppError::internal(format!("{}: {e}", file.display())))?
        }
        None => Vec::new(),
    };
    let verdict = kenshu_db::audit::verify(
        conn,
        &state.settings.audit_key,
        user.session.institution_id,
        &checkpoints,
    )
    .await?;
    Ok(match verdict {
        Verdict::Intact { entries, .. } => (
            true,
            format!(
                "{}{}{entries}{}{}",
                t().audit_intact,
                t().paren_open,
                t().audit_entries,
                t().paren_close
            ),
        ),
        Verdict::Broken(broken) => (
            false,
            format!("{}: {}", t().audit_broken, t().audit_broken_reason(&broken)),
        ),
    })
}
