//! Static assets, compiled into the binary so that the portal is one file to install and
//! never loads anything from elsewhere.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "kenshu.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../static/kenshu.css"),
    ),
    (
        "kenshu.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/kenshu.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../../static/favicon.svg"),
    ),
];

pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
