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

/// Assigns the request id, records metrics, logs one line. The id is always ours: a caller's
/// `X-Request-Id` would otherwise become the correlation id of the events the request causes
/// (a client could make its commands look like someone else's). A caller's id is logged
/// beside ours, so the two can be matched.
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = Uuid::new_v4();
    let client_request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_owned);
    request.extensions_mut().insert(RequestId(id));
    let method = request.method().clone();
    // Only the pages (portal and console, served by the fallback) have no matched route; one
    // label for them all keeps the metric's cardinality bounded whatever paths clients send.
    let route = request.extensions().get::<MatchedPath>().map_or_else(|| "page".to_owned(), |p| p.as_str().to_owned());
    let mut response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.observe_http(method.as_str(), &route, status, elapsed);
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    if route != "/metrics" && route != "/healthz" {
        tracing::info!(
            request_id = %id,
            client_request_id,
            %method,
            route,
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        );
    }
    response
}

/// Whether a request comes from a page of this service, judged as browsers allow: its `Origin`
/// must be `PUBLIC_URL`'s origin, or `PUBLIC_URL`'s scheme with the host the request was
/// addressed to (its `Host`: GraphiQL opened at `http://127.0.0.1:8080` while `PUBLIC_URL` says
/// `localhost`; never a plain-http page when `PUBLIC_URL` is https). `Origin: null` (sandboxed
/// frames, privacy redirects) is foreign. Without `Origin` — which browsers send
/// on every cross-origin POST and websocket upgrade — only a `Sec-Fetch-Site: cross-site` marks a
/// request as foreign; other clients (scripts, the tests, `curl`) are no CSRF vector.
pub fn same_origin(headers: &HeaderMap, allowed_origin: &str) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()).is_none_or(|site| site != "cross-site");
    };
    let Ok(origin) = origin.to_str() else { return false };
    if origin.eq_ignore_ascii_case(allowed_origin) {
        return true;
    }
    let scheme = allowed_origin.split_once("://").map_or("https", |(scheme, _)| scheme);
    let authority = origin.split_once("://").filter(|(s, _)| s.eq_ignore_ascii_case(scheme)).map(|(_, rest)| rest);
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    matches!((authority, host), (Some(authority), Some(host)) if authority.eq_ignore_ascii_case(host))
}

fn csrf_rejected(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": "CSRF_REJECTED" } }] });
    (status, [(header::CONTENT_TYPE, "application/json")], Body::from(body.to_string())).into_response()
}

const FOREIGN_ORIGIN: &str = "Permintaan ditolak: asal (origin) permintaan tidak diizinkan.";

/// CSRF defence for the cookie-authenticated GraphQL endpoint, two locks deep: a page of
/// another site is refused by its origin (403), and only `application/json` bodies are accepted
/// (415) — a cross-site form or `text/plain` "simple request" cannot carry that content type
/// without a CORS preflight, which this service never grants. The session cookie is also
/// `SameSite=Lax`, so a cross-site POST does not carry it in the first place.
pub async fn refuse_cross_site_graphql(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !same_origin(request.headers(), &state.allowed_origin) {
        return csrf_rejected(StatusCode::FORBIDDEN, FOREIGN_ORIGIN);
    }
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false);
    if is_json {
        return next.run(request).await;
    }
    csrf_rejected(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Permintaan ditolak: gunakan Content-Type application/json.")
}

/// CSRF defence for `POST /uploads` (multipart by nature): a page of another site is refused by
/// its origin; a session upload must also carry `X-Requested-With` (checked by the handler).
pub async fn refuse_foreign_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if same_origin(request.headers(), &state.allowed_origin) {
        next.run(request).await
    } else {
        csrf_rejected(StatusCode::FORBIDDEN, FOREIGN_ORIGIN)
    }
}

/// How the client address is read behind trusted proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardedFor {
    /// How many trusted proxies append to `X-Forwarded-For` (at least 1).
    pub trusted_hops: usize,
}

/// The client's address: the socket peer, or — behind trusted proxies — the `X-Forwarded-For`
/// entry the outermost trusted proxy appended: `trusted_hops` from the right. Proxies append
/// to what the client sent, so everything further left is the client's own say and is never
/// believed (taking the leftmost entry let a client forge its address, escaping per-address
/// throttles and writing a false address into events). With fewer entries than proxies the
/// chain is not what was configured, and the peer is taken.
pub fn client_address(headers: &HeaderMap, peer: SocketAddr, forwarded: Option<ForwardedFor>) -> String {
    if let Some(ForwardedFor { trusted_hops }) = forwarded {
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let appended = entries.len().checked_sub(trusted_hops.max(1)).and_then(|i| entries.get(i));
        if let Some(address) = appended.and_then(|entry| entry.parse::<std::net::IpAddr>().ok()) {
            return address.to_string();
        }
    }
    peer.ip().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    const PUBLIC: &str = "https://layanan.dukcapil.kapuashulukab.go.id";

    #[test]
    fn pages_of_this_service_are_same_origin() {
        assert!(same_origin(&headers(&[("origin", PUBLIC)]), PUBLIC));
        let local = "http://localhost:8080";
        assert!(same_origin(&headers(&[("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")]), local));
        let proxied = headers(&[("origin", PUBLIC), ("host", "10.0.0.5:8080")]);
        assert!(same_origin(&proxied, PUBLIC), "a proxy may rewrite Host; PUBLIC_URL still counts");
        assert!(same_origin(&headers(&[]), PUBLIC), "no browser page: not a CSRF vector");
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")]), PUBLIC));
    }

    #[test]
    fn the_client_address_is_what_the_trusted_proxies_appended() {
        let peer: SocketAddr = ([10, 0, 0, 2], 40000).into();
        let one = Some(ForwardedFor { trusted_hops: 1 });
        let two = Some(ForwardedFor { trusted_hops: 2 });
        let forged = headers(&[("x-forwarded-for", "203.0.113.9, 198.51.100.7")]);
        assert_eq!(client_address(&forged, peer, one), "198.51.100.7", "the proxy's entry, not the client's");
        assert_eq!(client_address(&forged, peer, two), "203.0.113.9");
        assert_eq!(client_address(&forged, peer, None), "10.0.0.2", "not trusted: the peer");
        let mut split = HeaderMap::new();
        split.append("x-forwarded-for", HeaderValue::from_static("203.0.113.9"));
        split.append("x-forwarded-for", HeaderValue::from_static("198.51.100.7"));
        assert_eq!(client_address(&split, peer, one), "198.51.100.7", "several headers are one list");
        assert_eq!(client_address(&headers(&[]), peer, one), "10.0.0.2");
        assert_eq!(client_address(&headers(&[("x-forwarded-for", "198.51.100.7")]), peer, two), "10.0.0.2");
        assert_eq!(client_address(&headers(&[("x-forwarded-for", "1.2.3.4, bukan-alamat")]), peer, one), "10.0.0.2");
        let v6 = headers(&[("x-forwarded-for", "2001:db8::1")]);
        assert_eq!(client_address(&v6, peer, one), "2001:db8::1");
    }

    #[test]
    fn other_sites_null_and_lookalikes_are_foreign() {
        for origin in [
            "https://situs-jahat.example",
            "null",
            "https://layanan.dukcapil.kapuashulukab.go.id.situs-jahat.example",
            "http://layanan.dukcapil.kapuashulukab.go.id",
            "https://layanan.dukcapil.kapuashulukab.go.id:8443",
        ] {
            let mut h = headers(&[("host", "layanan.dukcapil.kapuashulukab.go.id")]);
            h.insert(header::ORIGIN, HeaderValue::from_static(origin));
            assert!(!same_origin(&h, PUBLIC), "{origin}");
        }
        assert!(!same_origin(
            &headers(&[("origin", "https://situs-jahat.example"), ("host", "127.0.0.1:8080")]),
            PUBLIC
        ));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")]), PUBLIC));
    }
}
