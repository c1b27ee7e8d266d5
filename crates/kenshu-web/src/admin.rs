//! Portal administration: course content versions, and the mail the portal sent (or, without
//! an SMTP server, wrote to the log).

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::lang::t;
use crate::page::{Chrome, jtime, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::{AppError, AppState};
use kenshu_core::i18n::Catalogue;

pub struct VersionRow {
    pub course: String,
    pub title: String,
    pub version: i32,
    pub sha: String,
    pub current: bool,
    pub loaded_at: String,
}

#[derive(Template)]
#[template(path = "admin/content.html")]
struct ContentPage {
    chrome: Chrome,
    t: &'static Catalogue,
    rows: Vec<VersionRow>,
}

pub async fn content(user: CurrentUser, Conn(mut conn): Conn) -> Result<Response, AppError> {
    user.require(Action::ManageContent)?;
    let rows = kenshu_db::content::versions(&mut conn)
        .await?
        .into_iter()
        .map(|v| VersionRow {
            course: v.course_code,
            title: v.title,
            version: v.version,
            sha: v.sha256.chars().take(12).collect(),
            current: v.current,
            loaded_at: jtime(v.loaded_at),
        })
        .collect();
    render(&ContentPage {
        chrome: Chrome::for_user(&user, t().admin_content),
        t: t(),
        rows,
    })
}

pub struct MailRow {
    pub created_at: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub state: &'static str,
    pub state_key: &'static str,
    pub attempts: i32,
    pub error: String,
}

#[derive(Template)]
#[template(path = "admin/mail.html")]
struct MailPage {
    chrome: Chrome,
    t: &'static Catalogue,
    transport: &'static str,
    rows: Vec<MailRow>,
}

/// The institution's latest 200 mails with what became of them.
pub async fn mail(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ManageContent)?;
    let rows = kenshu_db::reminder::outbox(&mut conn, user.session.institution_id, 200)
        .await?
        .into_iter()
        .map(|m| {
            let outcome = kenshu_db::reminder::mail_state(
                true,
                m.sent_via.as_deref(),
                m.attempts,
                m.gave_up_at.is_some(),
            );
            MailRow {
                created_at: jtime(m.created_at),
                to: m.to_address,
                subject: m.subject,
                body: m.body,
                state: crate::reminder::mail_label(outcome),
                state_key: outcome.key(),
                attempts: m.attempts,
                error: m.last_error.unwrap_or_default(),
            }
        })
        .collect();
    render(&MailPage {
        chrome: Chrome::for_user(&user, t().admin_mail),
        t: t(),
        // In words: whether mail leaves the portal at all.
        transport: if state.settings.mail_transport == "smtp" {
            t().mail_transport_smtp
        } else {
            t().mail_transport_log
        },
        rows,
    })
}

pub struct SignInRowView {
    pub code: String,
    pub name: String,
    pub password: bool,
    pub directory: bool,
    pub directory_url: Option<String>,
    pub oidc: bool,
    pub oidc_issuer: Option<String>,
    pub second_factor_required: bool,
    pub second_factor_trust_amr: bool,
}

#[derive(Template)]
#[template(path = "admin/sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    t: &'static Catalogue,
    rows: Vec<SignInRowView>,
    error: Option<String>,
}

async fn sign_in_page(
    conn: &mut kenshu_db::PgConnection,
    user: &CurrentUser,
    error: Option<String>,
) -> Result<Response, AppError> {
    let rows = kenshu_db::institution::sign_in_rows(conn)
        .await?
        .into_iter()
        .map(|r| {
            let m = kenshu_core::sign_in::SignInMethods::from_names(&r.methods);
            SignInRowView {
                code: r.code,
                name: r.name,
                password: m.password,
                directory: m.directory,
                directory_url: r.directory_url,
                oidc: m.oidc,
                oidc_issuer: r.oidc_issuer,
                second_factor_required: r.second_factor_required,
                second_factor_trust_amr: r.second_factor_trust_amr,
            }
        })
        .collect();
    let refused = error.is_some();
    crate::page::render_form(
        &SignInPage {
            chrome: Chrome::for_user(user, t().admin_sign_in),
            t: t(),
            rows,
            error,
        },
        refused,
    )
}

/// Every institution's sign-in methods, for the portal administrator.
pub async fn sign_in(user: CurrentUser, Conn(mut conn): Conn) -> Result<Response, AppError> {
    user.require(Action::ManageSignIn)?;
    sign_in_page(&mut conn, &user, None).await
}

#[derive(serde::Deserialize)]
pub struct MethodsForm {
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    directory: Option<String>,
    #[serde(default)]
    oidc: Option<String>,
    /// Require a second factor of those who see others' records.
    #[serde(default)]
    second_factor: Option<String>,
    /// Count the OpenID Connect provider's second factor (`amr`).
    #[serde(default)]
    trust_amr: Option<String>,
}

/// Sets an institution's sign-in methods: at least one, and the directory only where one is set.
pub async fn set_sign_in(
    user: CurrentUser,
    mut tx: crate::tx::Tx,
    axum::extract::Path(code): axum::extract::Path<String>,
    axum::Form(f): axum::Form<MethodsForm>,
) -> Result<Response, AppError> {
    user.require(Action::ManageSignIn)?;
    let inst = kenshu_db::institution::find_by_code(&mut tx, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let methods = kenshu_core::sign_in::SignInMethods {
        password: f.password.is_some(),
        directory: f.directory.is_some(),
        oidc: f.oidc.is_some(),
    };
    let problem = if !methods.password && !methods.directory && !methods.oidc {
        Some(t().admin_sign_in_none)
    } else if methods.directory && kenshu_db::directory::get(&mut tx, inst.id).await?.is_none() {
        Some(t().admin_sign_in_no_directory)
    } else if methods.oidc && kenshu_db::oidc::get(&mut tx, inst.id).await?.is_none() {
        Some(t().admin_sign_in_no_oidc)
    } else {
        None
    };
    if let Some(p) = problem {
        let crate::session::Conn(mut conn) = tx.rollback()?;
        return sign_in_page(&mut conn, &user, Some(format!("{code}: {p}"))).await;
    }
    let before = kenshu_db::institution::sign_in_methods(&mut tx, inst.id).await?;
    if before != methods {
        kenshu_db::institution::set_sign_in_methods(&mut tx, inst.id, &methods).await?;
        user.actor()
            .record(
                &mut tx,
                kenshu_core::audit::AuditAction::SignInMethodsChanged,
                &code,
                &methods.names().join(", "),
            )
            .await?;
    }
    let policy = kenshu_db::second_factor::Policy {
        required: f.second_factor.is_some(),
        trust_amr: f.trust_amr.is_some(),
    };
    if kenshu_db::second_factor::policy(&mut tx, inst.id).await? != policy {
        kenshu_db::second_factor::set_policy(&mut tx, inst.id, policy).await?;
        user.actor()
            .record(
                &mut tx,
                kenshu_core::audit::AuditAction::SecondFactorPolicyChanged,
                &code,
                &policy.describe(),
            )
            .await?;
    }
    tx.commit().await?;
    Ok(crate::flash::redirect(
        "/admin/sign-in",
        crate::flash::Done::SignInMethodsSaved,
    ))
}
