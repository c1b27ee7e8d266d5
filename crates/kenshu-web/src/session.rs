//! Sessions and CSRF, decided once per request by one middleware: it reads the session
//! (one query) and refuses any state-changing request whose form does not carry the right
//! token. Handlers then get the signed-in person from the `CurrentUser` extractor.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kenshu_core::audit::AuditKey;
use kenshu_core::people::Role;
use kenshu_db::sessions::SessionUser;
use sqlx::Postgres;
use sqlx::pool::PoolConnection;

use crate::{AppError, AppState};

pub const SESSION_COOKIE: &str = "kenshu_session";
/// Before sign-in there is no session to hold the CSRF token, so the sign-in form's token is
/// kept in this cookie and compared with the form (double submit).
pub const PRE_SESSION_COOKIE: &str = "kenshu_csrf";
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The session behind the request, if any; put in the request's extensions by `layer`.
#[derive(Clone)]
pub struct Viewer(pub Option<Arc<SessionUser>>);

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub use kenshu_db::token::{hash as token_hash, new as new_token};

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Loads the session and checks CSRF on every request that is not GET or HEAD.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut held = None;
    let viewer = match cookie(req.headers(), SESSION_COOKIE) {
        Some(token) if !token.is_empty() => {
            let mut conn = match state.pool.acquire().await {
                Ok(c) => c,
                Err(e) => return AppError::from(e).into_response(),
            };
            let loaded = match kenshu_db::sessions::load(&mut conn, &token_hash(token)).await {
                Ok(s) => s.map(Arc::new),
                Err(e) => return AppError::from(e).into_response(),
            };
            held = Some(conn);
            loaded
        }
        _ => None,
    };
    let mut req = if matches!(*req.method(), Method::GET | Method::HEAD) {
        req
    } else {
        match check_csrf(req, viewer.as_deref()).await {
            Ok(req) => req,
            Err(e) => return e.into_response(),
        }
    };
    req.extensions_mut().insert(Viewer(viewer));
    // The handler may take over this connection (the `Conn` extractor): one checkout per
    // request instead of two, since every checkout costs a round trip when it is returned.
    req.extensions_mut()
        .insert(HeldConn(Arc::new(std::sync::Mutex::new(held))));
    next.run(req).await
}

#[derive(Clone)]
struct HeldConn(Arc<std::sync::Mutex<Option<PoolConnection<Postgres>>>>);

/// A database connection for the handler: the one the session check used, or a new one.
pub struct Conn(pub PoolConnection<Postgres>);

impl FromRequestParts<AppState> for Conn {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let held = parts
            .extensions
            .get::<HeldConn>()
            .and_then(|h| h.0.lock().ok().and_then(|mut slot| slot.take()));
        match held {
            Some(conn) => Ok(Conn(conn)),
            None => Ok(Conn(state.pool.acquire().await?)),
        }
    }
}

async fn check_csrf(req: Request, viewer: Option<&SessionUser>) -> Result<Request, AppError> {
    let expected = match viewer {
        Some(s) => s.csrf_token.clone(),
        None => cookie(req.headers(), PRE_SESSION_COOKIE)
            .unwrap_or_default()
            .to_string(),
    };
    // File uploads are not buffered here: their form carries the token in the URL.
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        let given = req.uri().query().and_then(|q| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .ok()?
                .into_iter()
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v)
        });
        return match given {
            Some(g)
                if !expected.is_empty() && constant_time_eq(g.as_bytes(), expected.as_bytes()) =>
            {
                Ok(req)
            }
            _ => Err(AppError::Csrf),
        };
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, MAX_FORM_BYTES).await.map_err(|_| {
        AppError::BadRequest("送信されたデータが大きすぎます。 (request too large)".into())
    })?;
    let from_header = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let given = from_header.or_else(|| {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v)
    });
    match given {
        Some(given)
            if !expected.is_empty() && constant_time_eq(given.as_bytes(), expected.as_bytes()) =>
        {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(AppError::Csrf),
    }
}

/// The signed-in person. Extracting it sends strangers to sign-in, and people who must choose
/// a new password to the password page.
#[derive(Clone)]
pub struct CurrentUser {
    pub session: Arc<SessionUser>,
    pub role: Role,
    pub token_hash: Vec<u8>,
    /// The key what they do is recorded under in the audit log (`crate::audit::record`).
    pub audit_key: AuditKey,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_string();
        let Some(Viewer(Some(session))) = parts.extensions.get::<Viewer>().cloned() else {
            return Err(AppError::SignInRequired { next });
        };
        if session.must_change_password && parts.uri.path() != "/password" {
            return Err(AppError::MustChangePassword);
        }
        let role: Role = session
            .role
            .parse()
            .map_err(|e| AppError::Internal(format!("{e}")))?;
        let token_hash = cookie(&parts.headers, SESSION_COOKIE)
            .map(token_hash)
            .unwrap_or_default();
        Ok(CurrentUser {
            session,
            role,
            token_hash,
            audit_key: state.settings.audit_key.clone(),
        })
    }
}

/// A `Set-Cookie` value. `Secure` when the settings say so or the request came over https.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_secs: i64,
    secure: bool,
    same_site: &str,
) -> String {
    let mut c =
        format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age_secs}");
    if secure {
        c.push_str("; Secure");
    }
    c
}

pub fn is_secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.settings.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            == Some("https")
}
