//! The one error type of the web layer. User mistakes become a page that says what to fix;
//! internal errors are logged once, here, and shown as a generic Japanese error page.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use kenshu_core::i18n::Catalogue;

mod use_cases;

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
    /// A field of a well-formed form that cannot be accepted as it is (the database refused the
    /// fact it states): 422, naming the field and what to do.
    #[error("invalid field {field}")]
    Invalid {
        field: &'static str,
        fix: &'static str,
    },
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("template error")]
    Template(#[from] askama::Error),
    /// Anything else that went wrong on our side; the cause is kept for the log.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Too many password checks are waiting: refused at once rather than queued.
    #[error("busy")]
    Busy,
    /// Sign-in attempts from one address faster than anyone types.
    #[error("too many attempts")]
    TooManyAttempts,
    /// An upload over its limit.
    #[error("too large")]
    TooLarge,
    /// The database does not answer (the probe says so): refused at once.
    #[error("database unavailable")]
    Unavailable,
}

impl From<kenshu_app::auth::AuthError> for AppError {
    fn from(e: kenshu_app::auth::AuthError) -> Self {
        use kenshu_app::auth::AuthError;
        match e {
            AuthError::Busy => AppError::Busy,
            AuthError::Database(e) => AppError::Database(e),
            e @ AuthError::Hashing(_) => AppError::internal(e),
        }
    }
}

impl From<kenshu_app::reminder::RemindError> for AppError {
    fn from(e: kenshu_app::reminder::RemindError) -> Self {
        use kenshu_app::reminder::RemindError;
        match e {
            RemindError::MessageTooLong => AppError::BadRequest(format!(
                "{}: {}",
                crate::lang::t().reminder_message,
                crate::lang::t().reminder_message_fix
            )),
            RemindError::MyNumber => AppError::BadRequest(format!(
                "{}: {}",
                crate::lang::t().reminder_message,
                crate::lang::t().my_number_refused
            )),
            RemindError::Nobody => AppError::BadRequest(crate::lang::t().reminder_nobody.into()),
            RemindError::Database(e) => AppError::Database(e),
        }
    }
}

impl From<kenshu_app::exam::ExamError> for AppError {
    fn from(e: kenshu_app::exam::ExamError) -> Self {
        use kenshu_app::exam::ExamError;
        match e {
            ExamError::NotFound => AppError::NotFound,
            ExamError::NoSuchQuestion | ExamError::BadAnswer => {
                AppError::BadRequest(crate::lang::t().answer_missing.into())
            }
            e @ ExamError::Draw(_) => AppError::Internal(e.into()),
            ExamError::Conflict => AppError::BadRequest(crate::lang::t().attempt_conflict.into()),
            ExamError::Database(e) => AppError::Database(e),
        }
    }
}

impl From<kenshu_app::follow_up::DeadlineError> for AppError {
    fn from(e: kenshu_app::follow_up::DeadlineError) -> Self {
        use kenshu_app::follow_up::DeadlineError;
        match e {
            DeadlineError::Past => AppError::BadRequest(crate::lang::t().retake_past.into()),
            DeadlineError::NotADate => AppError::BadRequest(format!(
                "{}: {}",
                crate::lang::t().plan_retake,
                crate::lang::t().date_fix
            )),
        }
    }
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
        let t = crate::lang::t();
        let (status, heading, message): (StatusCode, &str, String) = match &self {
            AppError::SignInRequired { next } => {
                let target = if crate::auth::is_local_path(next) {
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
            AppError::Invalid { field, fix } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                t.err_bad_request_title,
                format!("{field}: {fix}"),
            ),
            AppError::Busy => {
                kenshu_app::metrics::sign_in_refused(kenshu_app::metrics::Refusal::Busy);
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    t.err_busy_title,
                    t.err_busy.to_string(),
                )
            }
            AppError::TooManyAttempts => {
                kenshu_app::metrics::sign_in_refused(kenshu_app::metrics::Refusal::Flood);
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    t.err_busy_title,
                    t.err_too_many.to_string(),
                )
            }
            AppError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                t.err_bad_request_title,
                t.err_too_large.to_string(),
            ),
            AppError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                t.err_unavailable_title,
                t.err_unavailable.to_string(),
            ),
            AppError::Database(e) if unavailable(e) => {
                kenshu_db::requests::suspect(e);
                tracing::error!(error = %chain(&self), "database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    t.err_unavailable_title,
                    t.err_unavailable.to_string(),
                )
            }
            AppError::Database(_) | AppError::Template(_) | AppError::Internal(_) => {
                if let AppError::Database(e) = &self {
                    kenshu_db::requests::suspect(e);
                }
                tracing::error!(error = %chain(&self), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    t.err_internal_title,
                    t.err_internal.to_string(),
                )
            }
        };
        error_page(status, heading, &message)
    }
}

impl AppError {
    /// An internal error with its cause (an error, or a sentence when there is none).
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        AppError::Internal(cause.into())
    }
}

/// An error and each of its causes, `outer: inner: innermost`, for the log.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// What an error page said, kept on its response so that the session layer can say it again
/// inside the site's navigation for a signed-in person ([`with_navigation`]).
#[derive(Clone)]
pub struct Shown {
    heading: String,
    message: String,
}

#[derive(Template)]
#[template(path = "error_signed_in.html")]
struct SignedInErrorPage<'a> {
    chrome: crate::page::Chrome,
    status: u16,
    heading: &'a str,
    message: &'a str,
}

/// An error page again, inside the navigation of the person signed in, so that they can go on
/// from it; the status and headers stay. Any other response passes unchanged.
pub fn with_navigation(res: Response, user: &crate::session::CurrentUser) -> Response {
    let Some(shown) = res.extensions().get::<Shown>().cloned() else {
        return res;
    };
    let page = SignedInErrorPage {
        chrome: crate::page::Chrome::for_user(user, shown.heading.clone()),
        status: res.status().as_u16(),
        heading: &shown.heading,
        message: &shown.message,
    };
    match page.render() {
        Ok(html) => {
            let (parts, _) = res.into_parts();
            Response::from_parts(parts, axum::body::Body::from(html))
        }
        Err(_) => res,
    }
}

/// The portal's error page for a status, with `Retry-After` on 503; plain text only if the
/// page cannot be rendered.
fn error_page(status: StatusCode, heading: &str, message: &str) -> Response {
    let page = ErrorPage {
        t: crate::lang::t(),
        status: status.as_u16(),
        heading,
        message,
    };
    let mut res = match page.render() {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(_) => (status, message.to_string()).into_response(),
    };
    if status == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    }
    res.extensions_mut().insert(Shown {
        heading: heading.to_string(),
        message: message.to_string(),
    });
    res
}

/// Every error a person can meet is a Japanese page of the portal: the framework's own
/// rejections (a malformed id in the URL, a form that does not parse, a wrong method, a body
/// too large) come as English plain text, and are replaced here by the error page for their
/// status. The English detail goes to the debug log only.
pub async fn japanese_rejections(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // The request's language holds for everything below, this page included.
    let lang = crate::lang::of_request(req.headers());
    crate::lang::scope(lang, async move { page_for_rejection(next.run(req).await) }).await
}

/// A framework's plain-text rejection as the portal's error page, in the request's language.
fn page_for_rejection(res: Response) -> Response {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let plain = match res.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(v) => v.to_str().is_ok_and(|v| v.starts_with("text/plain")),
    };
    if !plain {
        return res;
    }
    tracing::debug!(
        status = status.as_u16(),
        "framework rejection shown as a page"
    );
    let t = crate::lang::t();
    let (heading, message) = match status {
        StatusCode::NOT_FOUND => (t.err_not_found_title, t.err_not_found),
        StatusCode::FORBIDDEN => (t.err_forbidden_title, t.err_forbidden),
        StatusCode::PAYLOAD_TOO_LARGE => (t.err_bad_request_title, t.err_too_large),
        s if s.is_server_error() => (t.err_internal_title, t.err_internal),
        _ => (t.err_bad_request_title, t.err_rejected),
    };
    error_page(status, heading, message)
}

/// Whether a database error means the database cannot be reached now (down, restarting, or
/// every connection busy), rather than a fault in the request.
fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 08*: connection
            c.starts_with("08") || c == "57P01" || c == "57P02" || c == "57P03"
        }),
        _ => false,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("writing the report")]
    struct Writing(#[source] std::io::Error);

    #[test]
    fn the_log_line_of_an_internal_error_names_every_cause() {
        let e = AppError::internal(Writing(std::io::Error::other("disk full")));
        assert_eq!(chain(&e), "internal error: writing the report: disk full");
    }
}
