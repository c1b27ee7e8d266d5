//! The digest preview (取りまとめ通知の予定): who the next weekly digests go to, what they list,
//! and who is left out and why. The chief officer sees every digest; a protection officer
//! the ones that are theirs (as officer or as deputy) and the people of their divisions.

use askama::Template;
use axum::response::Response;
use kenshu_app::digest::{Digest, Kind, Skipped, Via};
use kenshu_core::digest::Line;
use kenshu_core::i18n::Catalogue;
use time::OffsetDateTime;

use crate::AppError;
use crate::lang::t;
use crate::page::{Chrome, render};
use crate::policy::{Action, Scope};
use crate::session::{Conn, CurrentUser};

/// One digest as the page shows it.
pub struct Shown {
    pub kind: &'static str,
    pub kind_key: &'static str,
    pub recipient: String,
    /// Set when a deputy receives it: "deputy of …".
    pub deputy_of: Option<String>,
    pub lines: Vec<(Line, String)>,
}

pub struct ShownSkip {
    pub who: String,
    pub division: String,
    pub course: String,
    pub reason: &'static str,
    pub reason_key: &'static str,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "digest/preview.html")]
struct PreviewPage {
    chrome: Chrome,
    t: &'static Catalogue,
    planned: bool,
    enabled: bool,
    next_day: String,
    sent_this_week: bool,
    digests: Vec<Shown>,
    skipped: Vec<ShownSkip>,
}

fn visible_digest(user: &CurrentUser, scope: &Scope, d: &Digest) -> bool {
    match scope {
        Scope::All => true,
        _ => {
            let me = user.session.user_id;
            d.kind == Kind::Officer && (d.officer.id == me || d.recipient.id == me)
        }
    }
}

fn visible_skip(user: &CurrentUser, scope: &Scope, s: &Skipped) -> bool {
    match (scope, s.division_id, s.officer_id) {
        (Scope::All, _, _) => true,
        (_, Some(division), _) => scope.covers(division),
        (_, None, Some(officer)) => officer == user.session.user_id,
        _ => false,
    }
}

pub async fn preview(user: CurrentUser, Conn(mut conn): Conn) -> Result<Response, AppError> {
    user.require(Action::PreviewDigests)?;
    let scope = user.scope();
    let p = kenshu_app::digest::preview(
        &mut conn,
        user.session.institution_id,
        OffsetDateTime::now_utc(),
    )
    .await?;
    let t = t();
    let (enabled, digests, skipped) = match &p.prepared {
        None => (false, Vec::new(), Vec::new()),
        Some(prepared) => (
            prepared.rules.enabled,
            prepared
                .digests
                .iter()
                .filter(|d| visible_digest(&user, &scope, d))
                .map(|d| Shown {
                    kind: match d.kind {
                        Kind::Officer => t.digest_kind_officer,
                        Kind::Chief => t.digest_kind_chief,
                    },
                    kind_key: d.kind.as_str(),
                    recipient: d.recipient.name.clone(),
                    deputy_of: match d.via {
                        Via::Officer => None,
                        Via::Deputy => Some(t.digest_as_deputy),
                        Via::Chief => Some(t.digest_as_chief_cover),
                    }
                    .map(|s| s.replace("{officer}", &d.officer.name)),
                    lines: d
                        .lines
                        .iter()
                        .map(|l| (l.clone(), t.date(l.deadline)))
                        .collect(),
                })
                .collect(),
            prepared
                .skipped
                .iter()
                .filter(|s| visible_skip(&user, &scope, s))
                .map(|s| ShownSkip {
                    who: s.who.clone(),
                    division: s.division.clone(),
                    course: s.course.clone(),
                    reason: t.digest_reason(s.reason),
                    reason_key: s.reason.key(),
                    detail: s.detail.clone(),
                })
                .collect(),
        ),
    };
    render(&PreviewPage {
        chrome: Chrome::for_user(&user, t.digest_preview_title),
        t,
        planned: p.prepared.is_some(),
        enabled,
        next_day: p.next_day.map(|d| t.date(d)).unwrap_or_default(),
        sent_this_week: p.sent_this_week,
        digests,
        skipped,
    })
}
