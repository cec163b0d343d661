//! Cross-cutting HTTP behaviour: request ids, metrics and access logs, CSRF defence.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::AppState;

/// The id of one HTTP request; also the correlation id of every event it causes.
#[derive(Debug, Clone, Copy)]
pub struct RequestId(pub Uuid);

const REQUEST_ID: &str = "x-request-id";

/// Assigns the request id (a caller's valid UUID is kept), records metrics, logs one line.
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or_else(Uuid::new_v4);
    request.extensions_mut().insert(RequestId(id));
    let method = request.method().clone();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let mut response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.observe_http(method.as_str(), &route, status, elapsed);
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    if route != "/metrics" && route != "/healthz" {
        tracing::info!(request_id = %id, %method, route, status, latency_ms = elapsed.as_secs_f64() * 1000.0, "request");
    }
    response
}

/// CSRF defence for the cookie-authenticated GraphQL endpoint: only `application/json`
/// bodies are accepted. A cross-site form cannot send that content type without a CORS
/// preflight, which this service never grants.
pub async fn require_json(request: Request, next: Next) -> Response {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false);
    if is_json {
        return next.run(request).await;
    }
    let body = serde_json::json!({
        "errors": [{
            "message": "Permintaan ditolak: gunakan Content-Type application/json.",
            "extensions": { "code": "CSRF_REJECTED" }
        }]
    });
    (StatusCode::UNSUPPORTED_MEDIA_TYPE, [(header::CONTENT_TYPE, "application/json")], Body::from(body.to_string()))
        .into_response()
}

/// The client's address: the socket peer, or the first `X-Forwarded-For` entry when the
/// service sits behind a trusted proxy.
pub fn client_address(headers: &HeaderMap, peer: SocketAddr, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for
        && let Some(forwarded) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
    {
        return forwarded.to_owned();
    }
    peer.ip().to_string()
}
