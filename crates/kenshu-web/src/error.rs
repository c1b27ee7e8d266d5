//! The one error type of the web layer. User mistakes become a page that says what to fix;
//! internal errors are logged once, here, and shown as a generic Japanese error page.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::i18n::{Catalogue, JA};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not signed in")]
    SignInRequired { next: String },
    #[error("password change required")]
    MustChangePassword,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("csrf token missing or wrong")]
    Csrf,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("template: {0}")]
    Template(#[from] askama::Error),
    #[error("internal: {0}")]
    Internal(String),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'static Catalogue,
    status: u16,
    heading: &'a str,
    message: &'a str,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let t = &JA;
        let (status, heading, message): (StatusCode, &str, String) = match &self {
            AppError::SignInRequired { next } => {
                let target = if next.starts_with('/') && !next.starts_with("//") {
                    format!("/login?next={}", url_escape(next))
                } else {
                    "/login".to_string()
                };
                return Redirect::to(&target).into_response();
            }
            AppError::MustChangePassword => return Redirect::to("/password").into_response(),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                t.err_forbidden_title,
                t.err_forbidden.to_string(),
            ),
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                t.err_not_found_title,
                t.err_not_found.to_string(),
            ),
            AppError::Csrf => (
                StatusCode::FORBIDDEN,
                t.err_csrf_title,
                t.err_csrf.to_string(),
            ),
            AppError::BadRequest(msg) => (
                StatusCode::BAD_REQUEST,
                t.err_bad_request_title,
                msg.clone(),
            ),
            AppError::Database(_) | AppError::Template(_) | AppError::Internal(_) => {
                tracing::error!(error = %self, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    t.err_internal_title,
                    t.err_internal.to_string(),
                )
            }
        };
        let page = ErrorPage {
            t,
            status: status.as_u16(),
            heading,
            message: &message,
        };
        match page.render() {
            Ok(html) => (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response(),
            Err(_) => (status, message).into_response(),
        }
    }
}

/// Percent-encodes a path for use in a query string.
pub fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
