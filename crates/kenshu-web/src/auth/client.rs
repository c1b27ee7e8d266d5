//! Who is asking, for the sign-in throttle of one address across accounts.

use axum::extract::{ConnectInfo, FromRequestParts};

use crate::AppState;

/// The peer's address, or with a trusted proxy in front (`--trust-proxy`) the address it
/// appended to `X-Forwarded-For`.
pub struct Client(pub String);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let forwarded = state
            .settings
            .trust_proxy
            .then(|| {
                parts
                    .headers
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .map(str::trim)
                    .rfind(|v| !v.is_empty())
                    .and_then(|v| v.parse::<std::net::IpAddr>().ok())
            })
            .flatten();
        let peer = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Client(forwarded.or(peer).map_or_else(
            || "unknown".to_string(),
            |ip| ip.to_string(),
        )))
    }
}
