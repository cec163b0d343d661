//! The portal as the binary serves it, through the real HTTP server: page paths answer the
//! shell, assets are cached for good and negotiated between their precompressed siblings, every
//! answer carries the security headers, API paths stay the API's, and a binary built before the
//! portal says so. The real `web/dist` may not exist when these tests are built, so the server
//! reads a fixture build from a folder (`--web-dir`, the same code path as the embedded build
//! after the bytes are found).

use anyhow::Context;
use e2e::{TempDir, TestApp};
use sqlx::PgPool;

const INDEX: &str = "<!doctype html><html lang=\"id\"><head><title>Layanan Dukcapil</title>\
                     <script type=\"module\" src=\"/assets/app-abc123.js\"></script></head><body></body></html>";
const SCRIPT: &str = "console.log('portal');";
// The server never decodes the siblings, so distinct bytes show which one was chosen.
const SCRIPT_BR: &[u8] = b"brotli bytes of app-abc123.js";
const SCRIPT_GZ: &[u8] = b"gzip bytes of app-abc123.js";
const INDEX_BR: &[u8] = b"brotli bytes of index.html";

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                   connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
                   frame-ancestors 'none'";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A `web/dist` as Vite and `scripts/compress.mjs` leave it, in `dist/` of a temporary folder
/// that also holds a file outside the build (`secret.txt`).
fn fixture_build() -> anyhow::Result<TempDir> {
    let dir = TempDir::new()?;
    std::fs::write(dir.path().join("secret.txt"), "secret")?;
    let root = dir.path().join("dist");
    std::fs::create_dir_all(root.join("assets"))?;
    std::fs::write(root.join("index.html"), INDEX)?;
    std::fs::write(root.join("index.html.br"), INDEX_BR)?;
    std::fs::write(root.join("favicon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>")?;
    std::fs::write(root.join("assets/app-abc123.js"), SCRIPT)?;
    std::fs::write(root.join("assets/app-abc123.js.br"), SCRIPT_BR)?;
    std::fs::write(root.join("assets/app-abc123.js.gz"), SCRIPT_GZ)?;
    Ok(dir)
}

async fn spawn_with_build(pool: PgPool, build: &TempDir, more: &[&str]) -> anyhow::Result<TestApp> {
    let dist = build.path().join("dist");
    let dir = dist.to_str().context("temp path is not UTF-8")?;
    let mut args = vec!["--web-dir", dir];
    args.extend_from_slice(more);
    TestApp::spawn_with_args(pool, &args).await
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> anyhow::Result<Answer> {
    let mut request = app.client()?.http.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await?;
    Ok(Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await?.to_vec(),
    })
}

/// `GET <path>` sent as written, without a client's URL normalisation; the whole answer.
async fn raw_get(app: &TestApp, path: &str) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.address).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", app.address);
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// The headers every portal answer carries, whatever its status.
fn assert_security_headers(answer: &Answer, what: &str) {
    assert_eq!(answer.header("content-security-policy"), Some(CSP), "{what}");
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{what}");
    assert_eq!(answer.header("referrer-policy"), Some("same-origin"), "{what}");
    assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(answer.header("permissions-policy"), Some("camera=(self), microphone=(), geolocation=()"), "{what}");
    assert_eq!(answer.header("cross-origin-opener-policy"), Some("same-origin"), "{what}");
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_and_assets_carry_the_security_headers_and_their_caching(pool: PgPool) -> anyhow::Result<()> {
    let build = fixture_build()?;
    let app = spawn_with_build(pool, &build, &[]).await?;

    let shell = get(&app, "/", &[]).await?;
    assert_eq!((shell.status, shell.text().as_str()), (200, INDEX));
    assert_eq!(shell.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(shell.header("cache-control"), Some("no-cache"));
    assert_eq!(shell.header("strict-transport-security"), None, "no HSTS on a plain-http PUBLIC_URL");
    assert_security_headers(&shell, "/");

    let script = get(&app, "/assets/app-abc123.js", &[]).await?;
    assert_eq!((script.status, script.text().as_str()), (200, SCRIPT));
    assert_eq!(script.header("cache-control"), Some(IMMUTABLE));
    let content_type = script.header("content-type").unwrap_or_default();
    assert!(content_type.contains("javascript") && content_type.ends_with("charset=utf-8"), "{content_type}");
    assert_security_headers(&script, "asset");

    let icon = get(&app, "/favicon.svg", &[]).await?;
    assert_eq!(icon.status, 200);
    assert_eq!(icon.header("cache-control"), Some("public, max-age=3600"));
    assert_eq!(icon.header("content-type"), Some("image/svg+xml; charset=utf-8"));
    assert_security_headers(&icon, "root file");

    let index = get(&app, "/index.html", &[]).await?;
    assert_eq!((index.status, index.header("cache-control")), (200, Some("no-cache")));
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn precompressed_siblings_are_chosen_by_accept_encoding(pool: PgPool) -> anyhow::Result<()> {
    let build = fixture_build()?;
    let app = spawn_with_build(pool, &build, &[]).await?;
    let path = "/assets/app-abc123.js";
    let cases: [(Option<&str>, &[u8], Option<&str>); 7] = [
        (None, SCRIPT.as_bytes(), None),
        (Some("gzip, deflate, br, zstd"), SCRIPT_BR, Some("br")),
        (Some("gzip, deflate"), SCRIPT_GZ, Some("gzip")),
        (Some("br;q=0, gzip;q=0.8"), SCRIPT_GZ, Some("gzip")),
        (Some("identity"), SCRIPT.as_bytes(), None),
        (Some("*"), SCRIPT_BR, Some("br")),
        (Some("br;q=0, gzip;q=0"), SCRIPT.as_bytes(), None),
    ];
    for (accept, body, encoding) in cases {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept-encoding", a)).into_iter().collect();
        let answer = get(&app, path, &headers).await?;
        assert_eq!(answer.status, 200, "{accept:?}");
        assert_eq!(answer.body, body, "{accept:?}");
        assert_eq!(answer.header("content-encoding"), encoding, "{accept:?}");
        assert_eq!(answer.header("vary"), Some("Accept-Encoding"), "{accept:?}");
        // The type is the script's, whichever bytes carry it.
        assert!(answer.header("content-type").unwrap_or_default().contains("javascript"), "{accept:?}");
        assert_eq!(answer.header("cache-control"), Some(IMMUTABLE), "{accept:?}");
    }
    // A page path gets the shell's sibling too; a file without siblings is sent as it is.
    let page = get(&app, "/beranda", &[("accept-encoding", "br, gzip")]).await?;
    assert_eq!((page.body.as_slice(), page.header("content-encoding")), (INDEX_BR, Some("br")));
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    let icon = get(&app, "/favicon.svg", &[("accept-encoding", "br, gzip")]).await?;
    assert_eq!((icon.status, icon.header("content-encoding")), (200, None));

    // The siblings are never files of their own.
    for sibling in ["/assets/app-abc123.js.br", "/assets/app-abc123.js.gz"] {
        let answer = get(&app, sibling, &[("accept-encoding", "br, gzip")]).await?;
        assert_eq!(answer.status, 404, "{sibling}");
    }
    let sibling_as_page = get(&app, "/index.html.br", &[]).await?;
    assert_eq!((sibling_as_page.status, sibling_as_page.text().as_str()), (200, INDEX), "the shell, not the bytes");
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn page_paths_answer_the_shell_and_unknown_assets_are_not_found(pool: PgPool) -> anyhow::Result<()> {
    let build = fixture_build()?;
    let app = spawn_with_build(pool, &build, &[]).await?;
    for page in ["/beranda", "/permohonan/6d2f1a/unggah-ulang", "/beranda?tab=status", "/masuk/"] {
        let answer = get(&app, page, &[]).await?;
        assert_eq!((answer.status, answer.text().as_str()), (200, INDEX), "{page}");
        assert_eq!(answer.header("cache-control"), Some("no-cache"), "{page}");
        assert_security_headers(&answer, page);
    }
    for missing in ["/assets/x.js", "/assets/app-abc123.css", "/assets", "/assets/sub/../x.js"] {
        let answer = get(&app, missing, &[]).await?;
        assert_eq!(answer.status, 404, "{missing}");
        assert_ne!(answer.text(), INDEX, "{missing}: a missing script must not get the page");
        assert_security_headers(&answer, missing);
    }
    // Clients normalise `..` away; a raw request does not, and gets nothing outside the build.
    assert!(raw_get(&app, "/assets/app-abc123.js").await?.ends_with(SCRIPT), "the raw client works");
    for raw in [
        "/assets/../../secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/../secret.txt",
        "/assets/..%2f..%2fsecret.txt",
    ] {
        let answer = raw_get(&app, raw).await?;
        assert!(!answer.contains("secret\r\n") && !answer.ends_with("secret"), "{raw}: {answer}");
    }
    let head = app.client()?.http.head(app.url("/beranda")).send().await?;
    assert_eq!(head.status().as_u16(), 200);
    let post = app.client()?.http.post(app.url("/beranda")).body("x").send().await?;
    assert_eq!(post.status().as_u16(), 405, "pages are only read");
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn api_paths_are_not_pages(pool: PgPool) -> anyhow::Result<()> {
    let build = fixture_build()?;
    let app = spawn_with_build(pool, &build, &["--graphiql", "false"]).await?;
    let healthz = get(&app, "/healthz", &[]).await?;
    assert_eq!((healthz.status, healthz.text().as_str()), (200, "ok"));
    let readyz = get(&app, "/readyz", &[]).await?;
    assert!(readyz.header("content-type").unwrap_or_default().starts_with("application/json"));
    let metrics = get(&app, "/metrics", &[]).await?;
    assert!(metrics.text().contains("dukcapil_http_requests_total"));
    // GET on the POST-only routes gets the API's refusal, not a page.
    for path in ["/graphql", "/uploads"] {
        let answer = get(&app, path, &[]).await?;
        assert!((405..=415).contains(&answer.status), "{path}: {}", answer.status);
        assert_eq!(answer.header("content-security-policy"), None, "{path}");
    }
    for path in ["/graphql/nope", "/files", "/uploads/x", "/healthz/x", "/graphiql"] {
        let answer = get(&app, path, &[]).await?;
        assert_eq!(answer.status, 404, "{path}");
        assert_ne!(answer.text(), INDEX, "{path}");
    }
    let file = get(&app, &format!("/files/{}", uuid::Uuid::new_v4()), &[]).await?;
    assert_ne!(file.text(), INDEX);
    assert!(file.status >= 400, "{}", file.status);
    let graphql = app
        .client()?
        .http
        .post(app.url("/graphql"))
        .json(&serde_json::json!({ "query": "{ catalogueVersion }" }))
        .send()
        .await?;
    assert_eq!(graphql.status().as_u16(), 200);
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn a_binary_without_the_portal_says_how_to_build_it(pool: PgPool) -> anyhow::Result<()> {
    let empty = TempDir::new()?;
    let app = spawn_with_build(pool.clone(), &empty, &[]).await?;
    for page in ["/", "/beranda"] {
        let answer = get(&app, page, &[]).await?;
        assert_eq!(answer.status, 503, "{page}");
        assert_eq!(answer.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(answer.header("cache-control"), Some("no-store"));
        let text = answer.text();
        assert!(text.contains("Portal belum dibangun: jalankan scripts/serve"), "{text}");
        assert!(text.contains("lang=\"id\""));
        assert!(!text.contains("<script") && !text.contains("<style") && !text.contains("http"), "self-contained");
        assert_security_headers(&answer, page);
    }
    assert_eq!(get(&app, "/assets/app-abc123.js", &[]).await?.status, 404);
    assert_eq!(get(&app, "/healthz", &[]).await?.status, 200);
    app.stop().await?;

    // The build inside this binary: the real portal, or the same page when it was not built.
    let app = TestApp::spawn(pool).await?;
    let answer = get(&app, "/", &[]).await?;
    match answer.status {
        200 => assert!(answer.text().contains("<html"), "{}", answer.text()),
        503 => assert!(answer.text().contains("Portal belum dibangun")),
        other => panic!("GET / answered {other}"),
    }
    assert_security_headers(&answer, "embedded");
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn graphiql_lives_at_its_own_path_in_development_only(pool: PgPool) -> anyhow::Result<()> {
    let build = fixture_build()?;
    // PUBLIC_URL is localhost by default: development.
    let app = spawn_with_build(pool.clone(), &build, &[]).await?;
    let graphiql = get(&app, "/graphiql", &[]).await?;
    assert_eq!(graphiql.status, 200);
    assert!(graphiql.text().contains("graphiql"));
    assert_eq!(graphiql.header("content-security-policy"), None, "its CDN scripts would be refused");
    assert_eq!(get(&app, "/", &[]).await?.text(), INDEX, "the portal is at /");
    app.stop().await?;

    let key = "11".repeat(32);
    let file_key = format!("k1:{}", "22".repeat(32));
    let production = [
        "--public-url",
        "https://layanan.dukcapil.kapuashulukab.go.id",
        "--nik-hash-key",
        &key,
        "--file-encryption-keys",
        &file_key,
        "--personal-data-keys",
        &file_key,
    ];
    let app = spawn_with_build(pool, &build, &production).await?;
    assert_eq!(get(&app, "/graphiql", &[]).await?.status, 404);
    let shell = get(&app, "/", &[]).await?;
    assert_eq!(shell.text(), INDEX);
    assert_eq!(shell.header("strict-transport-security"), Some("max-age=31536000"), "https PUBLIC_URL");
    assert_security_headers(&shell, "production");
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn etags_let_browsers_revalidate(pool: PgPool) -> anyhow::Result<()> {
    let build = fixture_build()?;
    let app = spawn_with_build(pool, &build, &[]).await?;
    let path = "/assets/app-abc123.js";
    let br = get(&app, path, &[("accept-encoding", "br")]).await?;
    let plain = get(&app, path, &[]).await?;
    let br_tag = br.header("etag").context("etag")?.to_owned();
    let plain_tag = plain.header("etag").context("etag")?.to_owned();
    assert!(br_tag.starts_with('"') && br_tag.ends_with('"'), "{br_tag}");
    assert_ne!(br_tag, plain_tag, "each encoding is its own representation");

    let revalidated = get(&app, path, &[("accept-encoding", "br"), ("if-none-match", &br_tag)]).await?;
    assert_eq!(revalidated.status, 304);
    assert!(revalidated.body.is_empty());
    assert_eq!(revalidated.header("etag"), Some(br_tag.as_str()));
    assert_eq!(revalidated.header("cache-control"), Some(IMMUTABLE));
    assert_eq!(revalidated.header("vary"), Some("Accept-Encoding"));
    let weak = format!("\"other\", W/{br_tag}");
    assert_eq!(get(&app, path, &[("accept-encoding", "br"), ("if-none-match", &weak)]).await?.status, 304);
    let other_encoding = get(&app, path, &[("if-none-match", &br_tag)]).await?;
    assert_eq!((other_encoding.status, other_encoding.text().as_str()), (200, SCRIPT));

    let shell = get(&app, "/", &[]).await?;
    let tag = shell.header("etag").context("etag")?.to_owned();
    let again = get(&app, "/beranda", &[("if-none-match", &tag)]).await?;
    assert_eq!((again.status, again.header("cache-control")), (304, Some("no-cache")));

    // A rebuilt shell has a new tag.
    std::fs::write(build.path().join("dist/index.html"), INDEX.replace("abc123", "def456"))?;
    let rebuilt = get(&app, "/", &[("if-none-match", &tag)]).await?;
    assert_eq!(rebuilt.status, 200);
    assert_ne!(rebuilt.header("etag"), Some(tag.as_str()));
    app.stop().await
}
