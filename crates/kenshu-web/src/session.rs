//! Sessions and CSRF, decided once per request by one middleware: it reads the session
//! (one query) and refuses any state-changing request whose form does not carry the right
//! token. Handlers then get the signed-in person from the `CurrentUser` extractor.

use std::sync::Arc;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kenshu_core::audit::AuditKey;
use kenshu_core::person::Role;
use kenshu_db::requests::Lease;
use kenshu_db::session::SessionUser;

use crate::{AppError, AppState};

pub const SESSION_COOKIE: &str = "kenshu_session";
/// A browser the person has signed in with (sign-in throttling: README, Security).
pub const DEVICE_COOKIE: &str = "kenshu_device";
/// Over TLS every cookie name takes this prefix: the browser then accepts the cookie only with
/// `Secure`, `Path=/` and no `Domain`, so no other host or plain-http page can plant it.
const HOST_PREFIX: &str = "__Host-";
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

/// A cookie of the portal by its base name: `__Host-NAME` when served over TLS, `NAME` on plain
/// http. Over TLS the unprefixed name is ignored.
pub fn read_cookie<'a>(state: &AppState, headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    if is_secure(state, headers) {
        cookie(headers, &format!("{HOST_PREFIX}{name}"))
    } else {
        cookie(headers, name)
    }
}

/// The browser's device token (sign-in throttling), when its cookie holds one of ours (64 hex
/// digits).
pub fn device_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    read_cookie(state, headers, DEVICE_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
}

/// The session token's hash, for handlers that end the session.
#[derive(Clone)]
struct TokenHash(Vec<u8>);

pub use kenshu_db::token::{hash as token_hash, new as new_token};

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How long a client may take to send a form's body. A slow body holds no database
/// connection (the body is read before the session is loaded), only this request's task.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Loads the session and checks CSRF on every request that is not GET or HEAD.
///
/// No request holds a pooled connection while it waits for something else: a form's body is
/// read before the session is loaded, and the connection that loaded the session is handed to
/// the handler (the `Conn` extractor) only when nothing is left to read. A file upload's body
/// is read by its handler, so its session is loaded on a connection that is returned at once.
/// Handlers take at most one connection at a time (`Conn`); a second one only if it is free
/// (`Conn::spare`), never by waiting for it.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.db_health.is_down() {
        return AppError::Unavailable.into_response();
    }
    let multipart = is_multipart(req.headers());
    let reads_body = !matches!(*req.method(), Method::GET | Method::HEAD);
    let (req, form) = if reads_body && !multipart {
        match buffer_body(req).await {
            Ok(pair) => pair,
            Err(e) => return e.into_response(),
        }
    } else {
        (req, None)
    };
    let mut held = None;
    let token = read_cookie(&state, req.headers(), SESSION_COOKIE)
        .filter(|t| !t.is_empty())
        .map(token_hash);
    let viewer = match &token {
        Some(hash) => match state.sessions.get(hash) {
            // Vouched for by the database within the minute, and nothing announced since.
            Some(session) => Some(session),
            None => {
                let ticket = state.sessions.ticket();
                let mut conn = match state.requests.acquire().await {
                    Ok(c) => c,
                    Err(e) => return AppError::from(e).into_response(),
                };
                let idle = state.settings.idle_minutes;
                let loaded = match kenshu_db::session::load(&mut conn, hash, idle).await {
                    Ok(s) => s,
                    Err(e) => return AppError::from(e).into_response(),
                };
                let touched = loaded.as_ref().is_some_and(|s| s.stale());
                if touched && let Err(e) = kenshu_db::session::touch(&mut conn, hash).await {
                    return AppError::from(e).into_response();
                }
                if let (Some(ticket), Some(s)) = (ticket, &loaded) {
                    state.sessions.keep(ticket, hash, s, s.fresh_for(touched));
                }
                if !multipart {
                    held = Some(conn);
                }
                loaded.map(Arc::new)
            }
        },
        None => None,
    };
    // The person's own choice of language wins over the browser's (`lang`'s order).
    if let Some(lang) = viewer.as_deref().and_then(SessionUser::language) {
        crate::lang::set(lang);
    }
    let mut req = if reads_body {
        match check_csrf(&state, req, form, viewer.as_deref()) {
            Ok(req) => req,
            Err(e) => return e.into_response(),
        }
    } else {
        req
    };
    let signed_in = viewer.clone();
    let secure = is_secure(&state, req.headers());
    let came = crate::flash::incoming(&state, req.headers());
    req.extensions_mut().insert(came);
    req.extensions_mut().insert(Viewer(viewer));
    req.extensions_mut()
        .insert(TokenHash(token.unwrap_or_default()));
    // The handler may take over this connection (the `Conn` extractor): one checkout per
    // request instead of two, since every checkout costs a round trip when it is returned.
    req.extensions_mut()
        .insert(HeldConn(Arc::new(std::sync::Mutex::new(held))));
    let mut res = next.run(req).await;
    crate::flash::settle(&mut res, came, secure);
    // An error page keeps the site's navigation for whoever is signed in.
    match signed_in {
        Some(session)
            if res.extensions().get::<crate::error::Shown>().is_some()
                && !session.must_change_password =>
        {
            match session.role.parse::<Role>() {
                Ok(role) => {
                    let user = CurrentUser {
                        session,
                        role,
                        // The page only renders: nothing it does needs the token.
                        token_hash: Vec::new(),
                        audit_key: state.settings.audit_key.clone(),
                        flash: None,
                    };
                    crate::error::with_navigation(res, &user)
                }
                Err(_) => res,
            }
        }
        _ => res,
    }
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

/// Reads a form's body whole (bounded in size and time) and puts it back into the request.
async fn buffer_body(req: Request) -> Result<(Request, Option<Bytes>), AppError> {
    let (parts, body) = req.into_parts();
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, to_bytes(body, MAX_FORM_BYTES)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return Err(AppError::BadRequest(
                crate::lang::t().err_body_too_large.into(),
            ));
        }
        Err(_) => {
            return Err(AppError::BadRequest(
                crate::lang::t().err_body_timeout.into(),
            ));
        }
    };
    Ok((
        Request::from_parts(parts, Body::from(bytes.clone())),
        Some(bytes),
    ))
}

#[derive(Clone)]
struct HeldConn(Arc<std::sync::Mutex<Option<Lease>>>);

/// A database connection for the handler: the one the session check used, or a new one.
/// A request holds at most one; see [`layer`].
pub struct Conn(pub Lease);

impl Conn {
    /// A connection for a handler that has read its own body (a file upload) and holds none.
    pub async fn after_body(state: &AppState) -> Result<Conn, AppError> {
        Ok(Conn(state.requests.acquire().await?))
    }

    /// A second connection if one is free right now, to run independent queries side by
    /// side; never waits, so requests cannot deadlock on the pool.
    pub async fn spare(state: &AppState) -> Option<Conn> {
        state.requests.try_acquire().await.ok().flatten().map(Conn)
    }
}

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
            None => Ok(Conn(state.requests.acquire().await?)),
        }
    }
}

fn check_csrf(
    state: &AppState,
    req: Request,
    form: Option<Bytes>,
    viewer: Option<&SessionUser>,
) -> Result<Request, AppError> {
    let expected = match viewer {
        Some(s) => s.csrf_token.clone(),
        None => read_cookie(state, req.headers(), PRE_SESSION_COOKIE)
            .unwrap_or_default()
            .to_string(),
    };
    let from_header = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // File uploads are not buffered: their form carries the token in the URL.
    let given = from_header.or_else(|| {
        let pairs = match &form {
            Some(bytes) => serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).ok()?,
            None => serde_urlencoded::from_str::<Vec<(String, String)>>(req.uri().query()?).ok()?,
        };
        pairs.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v)
    });
    match given {
        Some(given)
            if !expected.is_empty() && constant_time_eq(given.as_bytes(), expected.as_bytes()) =>
        {
            Ok(req)
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
    /// The key what they do is recorded under in the audit log ([`CurrentUser::actor`]).
    pub audit_key: AuditKey,
    /// What the action before this page did, for the page to say ([`crate::flash`]).
    pub flash: Option<crate::flash::Done>,
}

impl CurrentUser {
    /// The person as a learner in fiscal year `fy`.
    pub fn learner(&self, fy: kenshu_core::FiscalYear) -> kenshu_db::learning::Learner {
        kenshu_db::learning::Learner {
            institution_id: self.session.institution_id,
            user_id: self.session.user_id,
            fiscal_year: fy,
        }
    }

    /// The person as the audit log names them.
    pub fn actor(&self) -> kenshu_app::audit::Actor<'_> {
        kenshu_app::audit::Actor::person(
            &self.audit_key,
            self.session.institution_id,
            self.session.user_id,
            &self.session.login_id,
        )
    }
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
        // Someone who must choose a new password may still do that, or sign out.
        if session.must_change_password && !matches!(parts.uri.path(), "/password" | "/logout") {
            return Err(AppError::MustChangePassword);
        }
        let role: Role = session.role.parse().map_err(AppError::internal)?;
        let token_hash = parts
            .extensions
            .get::<TokenHash>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let flash = parts
            .extensions
            .get::<crate::flash::Incoming>()
            .and_then(|f| f.0);
        Ok(CurrentUser {
            session,
            role,
            flash,
            token_hash,
            audit_key: state.settings.audit_key.clone(),
        })
    }
}

/// A `Set-Cookie` value. Over TLS (`secure`: the settings say so or the request came over
/// https) the name takes the `__Host-` prefix and the cookie is `Secure`.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_secs: i64,
    secure: bool,
    same_site: &str,
) -> String {
    let prefix = if secure { HOST_PREFIX } else { "" };
    let mut c = format!(
        "{prefix}{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age_secs}"
    );
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
