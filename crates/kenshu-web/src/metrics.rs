//! Watching the portal: every request counted and timed by its matched route
//! ([`Record`]), a span and a log line per request ([`trace`]), and `/metrics` in the
//! Prometheus text format for the operator's scraper ([`scrape`]). Paths carry logins and ids,
//! so neither the metrics nor the log ever see one: only the router's template
//! (`/people/{login}`), the method and the status.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::{AppError, AppState};

mod access;

pub use access::{loopback, parse_networks};

/// The route of a request no route matched (a 404 of the fallback).
const UNMATCHED: &str = "unmatched";

fn route_of(req: &Request) -> &str {
    req.extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
}

/// Counts and times every request by method, matched route and status (the time to the
/// response's head). Added with `Router::layer`, so the route is known; a layer of its own
/// rather than `middleware::from_fn`, whose boxing per request cost more than the counting.
#[derive(Debug, Clone, Copy, Default)]
pub struct Record;

impl<S> Layer<S> for Record {
    type Service = Recorded<S>;

    fn layer(&self, inner: S) -> Recorded<S> {
        Recorded(inner)
    }
}

/// A service whose answers [`Record`] counts.
#[derive(Debug, Clone)]
pub struct Recorded<S>(S);

impl<S> Service<Request> for Recorded<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Recording<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let method = req.method().clone();
        let route = req.extensions().get::<MatchedPath>().cloned();
        Recording {
            inner: self.0.call(req),
            started: Instant::now(),
            method,
            route,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response of a [`Recorded`] service, counted when it is ready.
    pub struct Recording<F> {
        #[pin]
        inner: F,
        started: Instant,
        method: Method,
        route: Option<MatchedPath>,
    }
}

impl<F, E> Future for Recording<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut result = std::task::ready!(this.inner.poll(cx));
        if let Ok(res) = &mut result {
            let status = res.status();
            kenshu_app::metrics::observe_request(
                this.method.as_str(),
                this.route.as_ref().map_or(UNMATCHED, MatchedPath::as_str),
                status.as_u16(),
                this.started.elapsed(),
            );
            // Only for a response the trace will log: nothing for a 200 under `info`.
            if status.is_client_error()
                || status.is_server_error()
                || tracing::enabled!(tracing::Level::DEBUG)
            {
                res.extensions_mut().insert(Logged {
                    method: this.method.clone(),
                    route: this.route.take(),
                });
            }
        }
        Poll::Ready(result)
    }
}

/// The method and route of a response that the trace logs, left on it by [`Recorded`]: the
/// response event names them itself, since the request span is off under `info`.
#[derive(Clone)]
struct Logged {
    method: Method,
    route: Option<MatchedPath>,
}

/// The request tracing layer's type (named, so that `routes.rs` can add it).
pub type Trace = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request) -> Span,
    (),
    fn(&Response, Duration, &Span),
    (),
    (),
    (),
>;

/// A span per request with its method and matched route (never the URI: paths hold logins,
/// query strings hold more), at DEBUG; and one event when the response's head is ready, with
/// the method, route, status and latency: DEBUG for 1xx–3xx (the default `info` log is not
/// flooded at thousands of pages a second), INFO for 4xx, WARN for 5xx. Nothing else of the
/// request or the response is logged.
///
/// The span is DEBUG because under `info` an enabled span per request (opened, its fields
/// formatted, entered and left at every poll) cost the section page ~5–10% of its throughput;
/// off, it costs nothing, and the events that are logged carry the route themselves.
pub fn trace() -> Trace {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request) -> Span)
        .on_request(())
        .on_response(response_event as fn(&Response, Duration, &Span))
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

fn request_span(req: &Request) -> Span {
    tracing::debug_span!("request", method = %req.method(), route = route_of(req))
}

fn response_event(res: &Response, latency: Duration, _span: &Span) {
    let Some(logged) = res.extensions().get::<Logged>() else {
        return;
    };
    let method = logged.method.as_str();
    let route = logged.route.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
    let status = res.status().as_u16();
    // Whole microseconds, so that the log shows 0.693, not 0.6929069999999999.
    let latency_ms = latency.as_micros() as f64 / 1e3;
    if res.status().is_server_error() {
        tracing::warn!(method, route, status, latency_ms, "response");
    } else if res.status().is_client_error() {
        tracing::info!(method, route, status, latency_ms, "response");
    } else {
        tracing::debug!(method, route, status, latency_ms, "response");
    }
}

/// `GET /metrics`: the metrics for a scraper with the token (`Authorization: Bearer …`) or
/// from one of the operator's networks; anyone else gets the portal's 403 page and nothing
/// more. (403 rather than 404: the path is documented, hiding it protects nothing, and a
/// scraper misconfigured should say "forbidden", not "not found".)
pub async fn scrape(State(state): State<AppState>, req: Request) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if !access::may_read(&state.settings, req.headers(), peer) {
        tracing::debug!("metrics refused: no token and not from an allowed network");
        return AppError::Forbidden.into_response();
    }
    let gauges =
        kenshu_app::metrics::gather(&state.pool, &state.requests, !state.db_health.is_down()).await;
    let mut res = kenshu_app::metrics::render(&gauges).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// What the layers cost a request against a handler that does nothing, 64 requests at a time
/// on two threads (the machine's cores): `OVERHEAD_LOG=info,sqlx=warn cargo test --release -p
/// kenshu-web --lib overhead -- --ignored --nocapture` (the log's filter; `off` by default).
#[cfg(test)]
mod overhead {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    /// Wall-clock nanoseconds per request.
    async fn per_request(app: Router, tasks: u32, n: u32) -> f64 {
        let started = std::time::Instant::now();
        let mut handles = Vec::new();
        for _ in 0..tasks {
            let app = app.clone();
            handles.push(tokio::spawn(async move {
                for _ in 0..n {
                    let req = axum::http::Request::get("/static/x")
                        .body(Body::empty())
                        .expect("request");
                    let res = app.clone().oneshot(req).await.expect("response");
                    let _ = axum::body::to_bytes(res.into_body(), 1 << 20).await;
                    tokio::task::yield_now().await;
                }
            }));
        }
        for h in handles {
            h.await.expect("task");
        }
        started.elapsed().as_nanos() as f64 / f64::from(tasks * n)
    }

    #[test]
    #[ignore = "a measurement: run it alone, in release"]
    fn overhead_of_the_watch_layers() {
        let filter = std::env::var("OVERHEAD_LOG").unwrap_or_else(|_| "off".into());
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(&filter))
            .with_writer(std::io::sink)
            .finish();
        // Global: the runtime's threads must see it (the test runs alone).
        let _ = tracing::subscriber::set_global_default(subscriber);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("runtime");
        let base = || Router::new().route("/static/{name}", get(|| async { "ok" }));
        for round in 0..3 {
            let (tasks, n) = (64, 3_000);
            let p = rt.block_on(per_request(base(), tasks, n));
            let c = rt.block_on(per_request(base().layer(super::Record), tasks, n));
            let t = rt.block_on(per_request(base().layer(super::trace()), tasks, n));
            let b = rt.block_on(per_request(
                base().layer(super::Record).layer(super::trace()),
                tasks,
                n,
            ));
            println!(
                "log {filter}, round {round}: plain {p:.0} ns, counted +{:.0}, traced +{:.0}, both +{:.0}",
                c - p,
                t - p,
                b - p
            );
        }
    }
}
