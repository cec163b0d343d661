//! The resident portal and staff console: the Preact build (`web/dist`) served by the binary
//! itself, so one process and one origin serve both the pages and the API they call (the CSRF
//! rule is "same origin as `PUBLIC_URL`"). Every page path answers `index.html`, which routes in
//! the browser; hashed assets are cached for good; precompressed `.br`/`.gz` siblings are sent
//! to browsers that accept them; every answer carries a strict Content-Security-Policy.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use rust_embed::{EmbeddedFile, RustEmbed};

use super::AppState;

/// The portal as built when the binary was compiled (`api/build.rs` picks the folder). Release
/// builds carry the bytes; debug builds read the folder at run time.
#[derive(RustEmbed)]
#[folder = "$DUKCAPIL_WEB_DIST"]
struct Dist;

/// Only this origin's scripts, styles, fonts and connections (`'self'` covers the same-origin
/// websocket in CSP3); no plugins, no framing, no `<base>` tricks. Pages must carry no inline
/// script or style, so an injected one does not run.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' \
                                           data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
                                           base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The selfie input may use the camera; nothing needs the microphone or the location.
const PERMISSIONS_POLICY: &str = "camera=(self), microphone=(), geolocation=()";

/// Paths the API owns: never answered with a page, so a typo in an API path is a plain 404.
const API_PATHS: [&str; 8] =
    ["/graphql", "/uploads", "/files", "/receipts", "/healthz", "/readyz", "/metrics", "/graphiql"];

/// What a browser is told when the binary was built before the portal.
const NOT_BUILT_PAGE: &str = "<!doctype html>\n<html lang=\"id\">\n<head>\n<meta charset=\"utf-8\">\n<meta \
                              name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Portal \
                              belum dibangun</title>\n</head>\n<body>\n<main>\n<h1>Layanan Online Dukcapil Kapuas \
                              Hulu</h1>\n<p>Portal belum dibangun: jalankan scripts/serve</p>\n<p>Layanan API tetap \
                              berjalan di /graphql.</p>\n</main>\n</body>\n</html>\n";

/// Where the portal's files come from, and how its answers are marked.
#[derive(Debug, Clone)]
pub struct Portal {
    source: Source,
    /// `PUBLIC_URL` is https: tell browsers never to use plain http for this host.
    hsts: bool,
}

#[derive(Debug, Clone)]
enum Source {
    /// Compiled into the binary.
    Embedded,
    /// A folder read at request time (`--web-dir`): a portal rebuilt while the binary runs, and
    /// tests with a fixture build.
    Directory(PathBuf),
}

/// How long a browser may keep a file without asking again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caching {
    /// Vite's content-hashed `/assets/…`: a new build has new names.
    Immutable,
    /// `index.html`: must be revalidated, or a browser would keep loading last build's assets.
    Revalidate,
    /// Other files at the root (icons, manifest): unhashed, but rarely changed.
    Short,
}

impl Caching {
    fn header(self) -> &'static str {
        match self {
            Caching::Immutable => "public, max-age=31536000, immutable",
            Caching::Revalidate => "no-cache",
            Caching::Short => "public, max-age=3600",
        }
    }
}

/// A precompressed sibling (`file.br`, `file.gz`) and its `Content-Encoding`, best first.
const ENCODINGS: [(&str, &str); 2] = [("br", ".br"), ("gzip", ".gz")];

impl Portal {
    /// The portal compiled into the binary.
    pub fn embedded(hsts: bool) -> Self {
        Self { source: Source::Embedded, hsts }
    }

    /// The portal in `dir` (a `web/dist`), read at request time.
    pub fn directory(dir: impl Into<PathBuf>, hsts: bool) -> Self {
        Self { source: Source::Directory(dir.into()), hsts }
    }

    /// One file by its path relative to the build's root, if it exists and the path stays
    /// inside the root.
    async fn file(&self, path: &str) -> Option<EmbeddedFile> {
        if !is_safe_relative(path) {
            return None;
        }
        match &self.source {
            Source::Embedded => Dist::get(path),
            Source::Directory(dir) => {
                let full = dir.join(path);
                tokio::task::spawn_blocking(move || read_regular_file(&full)).await.ok().flatten()
            }
        }
    }

    /// `path` as a response (the best encoding the request accepts), or `None` if there is no
    /// such file. The compressed siblings themselves are never served under their own names.
    async fn respond(&self, path: &str, request: &HeaderMap, caching: Caching) -> Option<Response> {
        if ENCODINGS.iter().any(|(_, suffix)| path.ends_with(suffix)) {
            return None;
        }
        let plain = self.file(path).await?;
        let accepted = accepted_encodings(request);
        let mut chosen = (plain, None);
        for (coding, suffix) in ENCODINGS {
            if accepted.accepts(coding)
                && let Some(file) = self.file(&format!("{path}{suffix}")).await
            {
                chosen = (file, Some(coding));
                break;
            }
        }
        let (file, coding) = chosen;
        // Each encoding is its own representation, with its own tag.
        let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
        let mut response = if if_none_match(request, &etag) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let body = match file.data {
                Cow::Borrowed(bytes) => Body::from(Bytes::from_static(bytes)),
                Cow::Owned(bytes) => Body::from(bytes),
            };
            let mut response = body.into_response();
            if let Ok(value) = HeaderValue::from_str(&content_type(path)) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            if let Some(coding) = coding {
                response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
            }
            response
        };
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, value);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(caching.header()));
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        self.secure(headers);
        Some(response)
    }

    /// The page shell (`index.html`), or the not-built page.
    async fn shell(&self, request: &HeaderMap) -> Response {
        match self.respond("index.html", request, Caching::Revalidate).await {
            Some(response) => response,
            None => {
                let mut response = (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
                    NOT_BUILT_PAGE,
                )
                    .into_response();
                self.secure(response.headers_mut());
                response
            }
        }
    }

    fn not_found(&self) -> Response {
        let mut response = (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
            "Berkas tidak ditemukan.",
        )
            .into_response();
        self.secure(response.headers_mut());
        response
    }

    /// The headers every portal answer carries (GraphiQL's page has none of them: it loads a
    /// CDN and is served in development only).
    fn secure(&self, headers: &mut HeaderMap) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert("permissions-policy", HeaderValue::from_static(PERMISSIONS_POLICY));
        headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
        if self.hsts {
            headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
        }
    }
}

/// `GET /assets/{*path}`: a hashed asset, or a real 404 (never the page shell, which a browser
/// would try to run as a script).
pub async fn asset(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    match state.portal.respond(path, &headers, Caching::Immutable).await {
        Some(response) => response,
        None => state.portal.not_found(),
    }
}

/// Every other `GET`: a file at the build's root (`/favicon.svg`), else the page shell, which
/// routes `/beranda`, `/permohonan/…` in the browser. API paths are not pages.
pub async fn page(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if is_api_path(path) {
        return StatusCode::NOT_FOUND.into_response();
    }
    if path == "/assets" || path.starts_with("/assets/") {
        return state.portal.not_found();
    }
    let relative = path.trim_start_matches('/');
    if !relative.is_empty() {
        let caching = if relative == "index.html" { Caching::Revalidate } else { Caching::Short };
        if let Some(response) = state.portal.respond(relative, &headers, caching).await {
            return response;
        }
    }
    state.portal.shell(&headers).await
}

fn is_api_path(path: &str) -> bool {
    API_PATHS.iter().any(|api| path.strip_prefix(api).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
}

/// A path of plain segments: no `..`, no empty or dot segments, no backslash, no percent
/// escapes (the raw request path is used; Vite's names need none).
fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && !segment.contains(['\\', '%', '\0', ':'])
                && !segment.chars().any(char::is_control)
        })
}

fn read_regular_file(path: &Path) -> Option<EmbeddedFile> {
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    rust_embed::utils::read_file_from_fs(path).ok()
}

/// The type browsers must see (with `nosniff` they go by it): by extension, as rust-embed does,
/// with UTF-8 for text.
fn content_type(path: &str) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let textual = mime.type_() == mime_guess::mime::TEXT
        || matches!(mime.subtype().as_str(), "javascript" | "json")
        || mime.suffix().is_some_and(|suffix| suffix == mime_guess::mime::JSON || suffix == mime_guess::mime::XML);
    if textual && mime.get_param(mime_guess::mime::CHARSET).is_none() {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

/// The content codings of `Accept-Encoding` (RFC 9110 §12.5.3) with their weights.
struct Accepted(Vec<(String, f32)>);

impl Accepted {
    /// Whether `coding` may be sent: listed with a non-zero weight, or covered by `*`.
    fn accepts(&self, coding: &str) -> bool {
        let weight = |name: &str| self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, q)| *q);
        weight(coding).or_else(|| weight("*")).is_some_and(|q| q > 0.0)
    }
}

fn accepted_encodings(headers: &HeaderMap) -> Accepted {
    let codings = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';');
            let name = parts.next()?.trim();
            if name.is_empty() {
                return None;
            }
            let weight = parts
                .filter_map(|param| param.trim().strip_prefix("q=").or_else(|| param.trim().strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((name.to_owned(), weight))
        })
        .collect();
    Accepted(codings)
}

/// Whether the browser's cached copy (`If-None-Match`) is the one we have.
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        // Weak comparison, as RFC 9110 prescribes for If-None-Match.
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Accepted {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        accepted_encodings(&headers)
    }

    #[test]
    fn accept_encoding_weights_and_wildcards() {
        assert!(accept("gzip, deflate, br, zstd").accepts("br"));
        assert!(accept("gzip, deflate, br, zstd").accepts("gzip"));
        assert!(!accept("gzip").accepts("br"));
        assert!(!accept("br;q=0, gzip").accepts("br"));
        assert!(accept("br;q=0, gzip").accepts("gzip"));
        assert!(accept("*").accepts("br"));
        assert!(!accept("*;q=0").accepts("gzip"));
        assert!(!accept("identity").accepts("gzip"));
        assert!(accept("BR; Q=0.5").accepts("br"));
        assert!(!accept("").accepts("gzip"));
    }

    #[test]
    fn only_plain_relative_paths_reach_the_files() {
        assert!(is_safe_relative("index.html"));
        assert!(is_safe_relative("assets/app-abc123.js"));
        for bad in ["", "/etc/passwd", "../secret", "assets/../../x", "a//b", "./a", "a\\b", "%2e%2e/x", "c:/x"] {
            assert!(!is_safe_relative(bad), "{bad}");
        }
    }

    #[test]
    fn api_paths_are_not_pages() {
        for api in ["/graphql", "/graphql/ws", "/files", "/files/abc", "/uploads", "/healthz", "/graphiql"] {
            assert!(is_api_path(api), "{api}");
        }
        for page in ["/", "/beranda", "/graphqlx", "/filesystem", "/permohonan/123"] {
            assert!(!is_api_path(page), "{page}");
        }
    }

    #[test]
    fn text_types_say_utf8() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert!(content_type("assets/app.js").ends_with("javascript; charset=utf-8"), "{}", content_type("a.js"));
        assert_eq!(content_type("assets/app.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("manifest.webmanifest"), "application/manifest+json; charset=utf-8");
        assert_eq!(content_type("icon.png"), "image/png");
        assert_eq!(content_type("icon.svg"), "image/svg+xml; charset=utf-8");
        assert_eq!(content_type("font.woff2"), "font/woff2");
    }

    #[test]
    fn if_none_match_compares_weakly_and_lists() {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"a\", W/\"b\""));
        assert!(if_none_match(&headers, "\"b\""));
        assert!(if_none_match(&headers, "\"a\""));
        assert!(!if_none_match(&headers, "\"c\""));
        assert!(!if_none_match(&HeaderMap::new(), "\"a\""));
    }
}
