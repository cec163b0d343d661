//! Support for end-to-end tests: the real application on a real port, over a fresh
//! PostgreSQL database per test, driven through real HTTP.

pub mod gateway;
pub mod process;
pub mod smtp;
pub mod socket;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use sqlx::PgPool;

/// WhatsApp contacts configured for tests.
pub const TEST_CONTACTS: &str = "Admin Verifikasi Akun=0812-3456-7890;Layanan Akta=+6281298765432";

/// Options for tests that jump the clock by days while their callers stay signed in: sessions
/// live by the injected clock, so the default 2-hour idle timeout would end them.
pub const LONG_SESSIONS: &[&str] = &["--session-idle-minutes", "5256000", "--session-max-hours", "87600"];

/// A running application.
pub struct TestApp {
    pub address: SocketAddr,
    pub pool: PgPool,
    /// The command side as the server has it (same keys, files and clock).
    pub commands: commands::Commands,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _data_dir: TempDir,
}

impl TestApp {
    /// Starts the application (API + projector) on an ephemeral port over `pool`, which
    /// `#[sqlx::test]` has created and migrated.
    pub async fn spawn(pool: PgPool) -> anyhow::Result<Self> {
        Self::spawn_with_clock(pool, std::sync::Arc::new(commands::SystemClock)).await
    }

    /// Like [`Self::spawn`], with a clock the test controls.
    pub async fn spawn_with_clock(pool: PgPool, clock: commands::SharedClock) -> anyhow::Result<Self> {
        Self::spawn_with_options(pool, clock, &[]).await
    }

    /// Like [`Self::spawn`], with more command-line settings (e.g. `--public-url`).
    pub async fn spawn_with_args(pool: PgPool, args: &[&str]) -> anyhow::Result<Self> {
        Self::spawn_with_options(pool, std::sync::Arc::new(commands::SystemClock), args).await
    }

    /// Like [`Self::spawn_with_clock`], with more command-line options (e.g.
    /// `--trust-forwarded-for`, so that each [`Client`] counts as its own client address).
    pub async fn spawn_with_options(
        pool: PgPool,
        clock: commands::SharedClock,
        options: &[&str],
    ) -> anyhow::Result<Self> {
        suite_logs();
        let data_dir = TempDir::new()?;
        let mut args = vec![
            "--bind-addr",
            "127.0.0.1:0",
            "--data-dir",
            data_dir.path_str()?,
            "--whatsapp-numbers",
            TEST_CONTACTS,
            "--projector-poll-ms",
            "100",
            "--log-format",
            "pretty",
            // Every test client is 127.0.0.1 (unless `--trust-forwarded-for`): per-address
            // limits are for the tests that set them (later arguments win).
            "--max-connections-per-peer",
            "100000",
            "--captchas-per-address-per-minute",
            "100000",
        ];
        args.extend_from_slice(options);
        let config = api::Config::from_args(args)?;
        let mut settings = config.command_settings().map_err(|e| anyhow::anyhow!(e))?;
        settings.clock = clock;
        let commands = commands::Commands::new(pool.clone(), settings.clone());
        let app = api::Application::build_with(&config, pool.clone(), settings).await?;
        let address = app.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run(async move {
            let _ = stopped.await;
        }));
        Ok(Self { address, pool, commands, stop: Some(stop), task: Some(task), _data_dir: data_dir })
    }

    /// The server's data directory (stored files live under `files/`).
    pub fn data_dir(&self) -> &std::path::Path {
        self._data_dir.path()
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// A new browser-like client with its own cookie jar (and its own client address, when
    /// the server trusts `X-Forwarded-For`).
    pub fn client(&self) -> anyhow::Result<Client> {
        Client::new(&self.url(""), Some(&next_client_address()))
    }

    /// A staff member of `role`, created directly on the command side, signed in.
    pub async fn staff(&self, username: &str, role: domain::staff::Role) -> anyhow::Result<Client> {
        self.staff_named(username, username, role).await
    }

    /// [`Self::staff`] with a display name other than the username.
    pub async fn staff_named(
        &self,
        username: &str,
        display_name: &str,
        role: domain::staff::Role,
    ) -> anyhow::Result<Client> {
        let metadata = domain::CommandMetadata::system(uuid::Uuid::new_v4());
        let password = format!("sandi {username} 2026");
        self.commands.staff.create(username, display_name, role, &password, &metadata).await?;
        let client = self.client()?;
        client.staff_login(username, &password).await?;
        Ok(client)
    }

    /// Stops gracefully and reports how the server ended.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.context("server task panicked")?,
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Where tests find a running application: its URLs, its database, new clients.
/// [`TestApp`] is one; so is a real `serve` process.
pub trait Site {
    /// `base + path`, e.g. `http://127.0.0.1:41234/uploads`.
    fn url(&self, path: &str) -> String;
    /// The application's database.
    fn pool(&self) -> &PgPool;
    /// A new client with its own cookie jar.
    fn client(&self) -> anyhow::Result<Client>;
}

impl Site for TestApp {
    fn url(&self, path: &str) -> String {
        TestApp::url(self, path)
    }

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn client(&self) -> anyhow::Result<Client> {
        TestApp::client(self)
    }
}

/// A distinct private address per call (`10.x.y.z`), sent as `X-Forwarded-For`, so that
/// per-address limits (anonymous uploads, sign-in throttling) see many clients.
pub fn next_client_address() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}

/// A GraphQL client with a cookie jar.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    endpoint: String,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

/// A GraphQL response split into data and errors.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// `data`, failing if there were errors.
    pub fn data(&self) -> anyhow::Result<&Value> {
        if let Some(errors) = self.body.get("errors") {
            bail!("unexpected errors: {errors}");
        }
        self.body.get("data").context("no data")
    }

    /// `extensions.code` of the first error, if any.
    pub fn error_code(&self) -> Option<&str> {
        self.body.pointer("/errors/0/extensions/code").and_then(Value::as_str)
    }

    /// `message` of the first error, if any.
    pub fn error_message(&self) -> Option<&str> {
        self.body.pointer("/errors/0/message").and_then(Value::as_str)
    }
}

impl Client {
    /// A client of the application at `base` (e.g. `http://127.0.0.1:41234`), sending
    /// `X-Forwarded-For: forwarded_for` if given.
    pub fn new(base: &str, forwarded_for: Option<&str>) -> anyhow::Result<Self> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(address) = forwarded_for {
            headers.insert("x-forwarded-for", address.parse()?);
        }
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .default_headers(headers)
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Client { http, endpoint: format!("{base}/graphql"), jar })
    }

    /// The same client (same cookie jar and address) talking to the application at `base`.
    pub fn at(&self, base: &str) -> Client {
        Client { http: self.http.clone(), endpoint: format!("{base}/graphql"), jar: self.jar.clone() }
    }

    /// The `Cookie` header this client sends to the application (e.g. to open a websocket or
    /// to replay a session cookie after logout), if it holds any cookie.
    pub fn cookie_header(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = reqwest::Url::parse(&self.endpoint).ok()?;
        self.jar.cookies(&url).and_then(|value| value.to_str().ok().map(str::to_owned))
    }

    /// Sends a GraphQL operation.
    pub async fn gql(&self, query: &str, variables: Value) -> anyhow::Result<Reply> {
        let response =
            self.http.post(&self.endpoint).json(&json!({ "query": query, "variables": variables })).send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await?;
        Ok(Reply { status, headers, body })
    }

    /// Signs in as a resident, solving a fresh captcha.
    pub async fn resident_login(&self, pool: &PgPool, nik: &str, password: &str) -> anyhow::Result<Reply> {
        let (id, answer) = self.solve_captcha(pool).await?;
        self.gql(
            "mutation($n: String!, $p: String!, $c: ID!, $a: String!) { login(nik: $n, password: $p, captchaId: $c, captchaAnswer: $a) { resident { accountId status fullName nikMasked } expiresAt } }",
            json!({ "n": nik, "p": password, "c": id, "a": answer }),
        )
        .await
    }

    /// Gets a captcha through the API and "reads" it: the test cannot see the picture, so it
    /// sets the stored answer to one it knows, as a person who read the image would know it.
    pub async fn solve_captcha(&self, pool: &PgPool) -> anyhow::Result<(String, String)> {
        let reply = self.gql("mutation { createCaptcha { id image expiresAt } }", json!({})).await?;
        let data = reply.data()?;
        let id = data.pointer("/createCaptcha/id").and_then(Value::as_str).context("captcha id")?.to_owned();
        let image = data.pointer("/createCaptcha/image").and_then(Value::as_str).unwrap_or_default();
        if !image.starts_with("data:image/png;base64,") {
            bail!("captcha image is not a PNG data URL");
        }
        let answer = "k7m2p";
        sqlx::query("UPDATE captchas SET answer_hash = $2 WHERE captcha_id = $1::uuid")
            .bind(&id)
            .bind(commands::captcha::answer_hash(answer))
            .execute(pool)
            .await?;
        Ok((id, answer.to_owned()))
    }

    /// An upload token, via a solved captcha.
    pub async fn upload_token(&self, pool: &PgPool) -> anyhow::Result<String> {
        let (id, answer) = self.solve_captcha(pool).await?;
        let reply = self
            .gql(
                "mutation($c: ID!, $a: String!) { createUploadToken(captchaId: $c, captchaAnswer: $a) { token } }",
                json!({ "c": id, "a": answer }),
            )
            .await?;
        Ok(reply.data()?.pointer("/createUploadToken/token").and_then(Value::as_str).context("token")?.to_owned())
    }

    /// Uploads bytes as `file` with an upload token; returns status and JSON body.
    pub async fn upload(
        &self,
        base: &str,
        token: Option<&str>,
        bytes: Vec<u8>,
        name: &str,
    ) -> anyhow::Result<(u16, Value)> {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        let mut request = self.http.post(format!("{base}/uploads")).multipart(form);
        request = match token {
            Some(token) => request.header("x-upload-token", token),
            None => request.header("x-requested-with", "dukcapil-test"),
        };
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// Signs in as staff; fails unless it worked.
    pub async fn staff_login(&self, username: &str, password: &str) -> anyhow::Result<Reply> {
        let reply = self
            .gql(
                "mutation($u: String!, $p: String!) { staffLogin(username: $u, password: $p) { staff { id username role } expiresAt } }",
                json!({ "u": username, "p": password }),
            )
            .await?;
        reply.data()?;
        Ok(reply)
    }
}

/// Polls `check` until it returns `Some`, for effects that arrive through the projector.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    // Generous: on a loaded machine (two cores shared by parallel tests) projection can lag.
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    bail!("timed out waiting for {what}")
}

/// The service's log lines in the production JSON format, kept for the test to read.
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Captures everything logged on this thread at `level` and up (HTTP and websocket client
    /// crates excluded) until the guard is dropped. `#[sqlx::test]` runs on one thread, so
    /// every task of the server logs through it.
    pub fn install(level: &str) -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_env_filter(tracing_subscriber::EnvFilter::new(format!(
                "{level},reqwest=off,hyper=off,hyper_util=off,cookie_store=off,tungstenite=off,tokio_tungstenite=off"
            )))
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    /// Everything captured so far.
    pub fn text(&self) -> anyhow::Result<String> {
        let bytes = self.0.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone();
        Ok(String::from_utf8(bytes)?)
    }

    /// The captured lines, parsed.
    pub fn lines(&self) -> anyhow::Result<Vec<Value>> {
        Ok(self.text()?.lines().filter_map(|line| serde_json::from_str(line).ok()).collect())
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut buffer = self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?;
        buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// When `E2E_LOG_DIR` is set (scripts/test sets it), everything this test process logs at debug
/// level and up goes, as JSON lines, to a file of its own there, for `scripts/scan-logs` to
/// check that no log of the whole suite holds a resident's NIK, number, e-mail or name. A test
/// that captures its own logs ([`CapturedLogs`]) keeps them.
fn suite_logs() {
    static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(|| {
        let Some(dir) = std::env::var_os("E2E_LOG_DIR") else { return };
        let path = std::path::Path::new(&dir).join(format!("{}.jsonl", std::process::id()));
        let Ok(file) = std::fs::File::create(&path) else { return };
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,reqwest=off,hyper=off,hyper_util=off,cookie_store=off,tungstenite=off,tokio_tungstenite=off",
            ))
            .with_writer(std::sync::Mutex::new(file))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// A temporary directory removed on drop.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    pub fn new() -> anyhow::Result<Self> {
        let path = std::env::temp_dir().join(format!("dukcapil-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn path_str(&self) -> anyhow::Result<&str> {
        self.0.to_str().context("temp path is not UTF-8")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A small real JPEG photo.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 3 % 256) as u8, (y * 5 % 256) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    let _ = image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg);
    out.into_inner()
}

/// A small JPEG whose frame header claims `width` × `height` pixels (a decompression bomb's
/// header, without the bytes).
pub fn jpeg_claiming(width: u16, height: u16) -> anyhow::Result<Vec<u8>> {
    let mut bytes = jpeg(16, 16);
    let at = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).context("no SOF0")?;
    bytes[at + 5..at + 7].copy_from_slice(&height.to_be_bytes());
    bytes[at + 7..at + 9].copy_from_slice(&width.to_be_bytes());
    Ok(bytes)
}

/// A small well-formed PDF.
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// A resident registered through the API, verified by `operator`, and signed in on a new client.
/// Returns the client and the account id.
pub async fn active_resident<S: Site + ?Sized>(
    app: &S,
    operator: &Client,
    nik: &str,
    name: &str,
) -> anyhow::Result<(Client, String)> {
    let client = registered_resident(app, nik, name).await?;
    let account_id = approve_queued(app, operator, nik).await?;
    client.resident_login(app.pool(), nik, RESIDENT_PASSWORD).await?.data()?;
    Ok((client, account_id))
}

/// Waits for the registration of `nik` in the verification queue and approves it as
/// `operator`. Returns the account id.
pub async fn approve_queued<S: Site + ?Sized>(_app: &S, operator: &Client, nik: &str) -> anyhow::Result<String> {
    let masked = format!("{}********{}", &nik[..4], &nik[12..]);
    let account_id = eventually("account queued", || async {
        let reply = operator
            .gql("{ accountVerificationQueue(first: 100) { edges { node { accountId nikMasked } } } }", json!({}))
            .await?;
        let edges = reply
            .data()?
            .pointer("/accountVerificationQueue/edges")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(edges
            .iter()
            .find(|e| e["node"]["nikMasked"] == masked.as_str())
            .and_then(|e| e["node"]["accountId"].as_str().map(str::to_owned)))
    })
    .await?;
    operator
        .gql("mutation($a: ID!) { approveAccount(accountId: $a) { accountId } }", json!({ "a": account_id }))
        .await?
        .data()?;
    Ok(account_id)
}

/// A resident registered through the API (three documents, captcha, [`RESIDENT_PASSWORD`]) and
/// waiting for verification. Returns the client that registered.
pub async fn registered_resident<S: Site + ?Sized>(app: &S, nik: &str, name: &str) -> anyhow::Result<Client> {
    registered_resident_with(app, nik, name, None).await
}

/// [`registered_resident`] with an e-mail address.
pub async fn registered_resident_with<S: Site + ?Sized>(
    app: &S,
    nik: &str,
    name: &str,
    email: Option<&str>,
) -> anyhow::Result<Client> {
    let client = app.client()?;
    let (token, ids) = identity_uploads(app, &client).await?;
    let (captcha, answer) = client.solve_captcha(app.pool()).await?;
    client
        .gql(
            "mutation($i: RegisterAccountInput!) { registerAccount(input: $i) { nikMasked } }",
            json!({ "i": {
                "nik": nik, "fullName": name, "phone": "081234567890", "email": email, "password": RESIDENT_PASSWORD,
                "documents": { "identityDocumentKind": "KTP_EL", "identityUploadId": ids[0], "familyCardUploadId": ids[1], "selfieUploadId": ids[2] },
                "uploadToken": token, "captchaId": captcha, "captchaAnswer": answer } }),
        )
        .await?
        .data()?;
    Ok(client)
}

/// The three identity photos of a registration or a password reset (KTP, KK, selfie),
/// uploaded by `client` with a fresh upload token. Returns the token and the upload ids.
pub async fn identity_uploads<S: Site + ?Sized>(app: &S, client: &Client) -> anyhow::Result<(String, [String; 3])> {
    let token = client.upload_token(app.pool()).await?;
    let mut ids = Vec::new();
    for name in ["ktp.jpg", "kk.jpg", "selfie.jpg"] {
        let (status, body) = client.upload(&app.url(""), Some(&token), jpeg(120, 80), name).await?;
        anyhow::ensure!(status == 201, "upload {name}: {status} {body}");
        ids.push(body["uploadId"].as_str().context("uploadId")?.to_owned());
    }
    let ids: [String; 3] = ids.try_into().map_err(|_| anyhow::anyhow!("three uploads"))?;
    Ok((token, ids))
}

/// The password `active_resident` registers with.
pub const RESIDENT_PASSWORD: &str = "rumah panjang 2026";

/// Every rebuildable read-model table as canonical JSON, independent of row order. (The hash
/// chain and the notification outbox are never rebuilt, and the outbox's delivery state moves
/// while a test looks.)
pub async fn read_models(pool: &PgPool) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for projection in projections::all().into_iter().filter(|p| p.rebuildable()) {
        for table in projection.tables() {
            let rows: String = sqlx::query_scalar(&format!(
                "SELECT coalesce(json_agg(t ORDER BY t::text), '[]')::text FROM {table} t"
            ))
            .fetch_one(pool)
            .await?;
            out.push((table.to_string(), rows));
        }
    }
    Ok(out)
}

/// Waits until the live projector has applied every event.
pub async fn caught_up(pool: &PgPool) -> anyhow::Result<()> {
    eventually("projection caught up", || async {
        Ok((projections::lag(pool, &projections::all()).await?.pending_events == 0).then_some(()))
    })
    .await
}

/// The vault of a server started with the default configuration, as every test server is
/// (localhost: the development key-encryption key), for tools a test runs beside it.
/// `pg_dump` of the whole database's data, as a stolen backup would be.
pub fn pg_dump(pool: &PgPool) -> anyhow::Result<String> {
    let options = pool.connect_options();
    let output = std::process::Command::new("pg_dump")
        .args(["--data-only", "--no-owner", "-h", options.get_host(), "-p", &options.get_port().to_string()])
        .args(["-U", options.get_username(), options.get_database().context("database name")?])
        .output()
        .context("pg_dump must be installed (postgresql-client)")?;
    anyhow::ensure!(output.status.success(), "pg_dump: {}", String::from_utf8_lossy(&output.stderr));
    Ok(String::from_utf8(output.stdout)?)
}

/// Fails if a copy of the database holds any of `personal` (full NIKs, names, numbers,
/// e-mails, form values) anywhere, naming the tables whose rows hold it.
pub fn assert_copy_holds_none_of(pool: &PgPool, personal: &[&str]) -> anyhow::Result<()> {
    let copy = pg_dump(pool)?;
    anyhow::ensure!(copy.contains("COPY public.events"), "the dump holds the data");
    let mut found = Vec::new();
    let mut table = "";
    for line in copy.lines() {
        if let Some(rest) = line.strip_prefix("COPY ") {
            table = rest.split_whitespace().next().unwrap_or_default();
        }
        for value in personal {
            if line.contains(value) {
                found.push(format!("{value} in {table}"));
            }
        }
    }
    found.dedup();
    anyhow::ensure!(found.is_empty(), "a copy of the database holds personal data in clear: {found:?}");
    Ok(())
}

pub fn development_vault(pool: &PgPool) -> anyhow::Result<commands::Vault> {
    let settings = development_settings()?;
    Ok(commands::Vault::new(pool.clone(), settings.personal_data_keys, &settings.secrets))
}

/// The command-side settings (keys) of a server started with the default configuration.
pub fn development_settings() -> anyhow::Result<commands::Settings> {
    let dir = std::env::temp_dir().join("dukcapil-test-config");
    let config = api::Config::from_args(vec!["--data-dir", dir.to_str().unwrap_or("/tmp")])?;
    config.command_settings().map_err(anyhow::Error::msg)
}

/// Waits until the live projector has applied every event, then checks that a full replay
/// rebuilds exactly the read models it built.
pub async fn assert_replay_rebuilds_live_read_models(pool: &PgPool) -> anyhow::Result<()> {
    eventually("caught up", || async {
        Ok((projections::lag(pool, &projections::all()).await?.pending_events == 0).then_some(()))
    })
    .await?;
    let live = read_models(pool).await?;
    projections::replay(pool, &development_vault(pool)?, &projections::all(), 3, |_| {}).await?;
    anyhow::ensure!(read_models(pool).await? == live, "replay rebuilt read models that differ from the live ones");
    Ok(())
}

/// Uploads `bytes` with the client's session (as a signed-in resident or staff member);
/// returns the upload id.
pub async fn upload_as<S: Site + ?Sized>(
    app: &S,
    client: &Client,
    bytes: Vec<u8>,
    name: &str,
) -> anyhow::Result<String> {
    let (status, body) = client.upload(&app.url(""), None, bytes, name).await?;
    anyhow::ensure!(status == 201, "upload {name}: {status} {body}");
    Ok(body["uploadId"].as_str().context("uploadId")?.to_owned())
}

/// The variables of `submitServiceRequest` for an Akta Kelahiran with these three uploads
/// (birth letter, family card, parent's KTP).
pub fn birth_certificate_form(documents: &[String; 3], key: &str) -> Value {
    json!({ "i": {
        "serviceCode": "AKTA_KELAHIRAN",
        "fields": [
            { "name": "nama_anak", "value": "Dayang Sumbi" }, { "name": "jenis_kelamin", "value": "Perempuan" },
            { "name": "tempat_lahir", "value": "Putussibau" }, { "name": "tanggal_lahir", "value": "2026-11-01" },
            { "name": "anak_ke", "value": "1" }, { "name": "nik_ibu", "value": "6106015205900001" } ],
        "documents": [ { "code": "SURAT_KETERANGAN_LAHIR", "uploadId": documents[0] },
                       { "code": "KARTU_KELUARGA", "uploadId": documents[1] },
                       { "code": "KTP_ORANG_TUA", "uploadId": documents[2] } ],
        "idempotencyKey": key } })
}

/// Uploads the three documents of an Akta Kelahiran as `resident` and returns the
/// `submitServiceRequest` variables.
pub async fn birth_certificate_input<S: Site + ?Sized>(app: &S, resident: &Client, key: &str) -> anyhow::Result<Value> {
    let letter = upload_as(app, resident, pdf(), "surat.pdf").await?;
    let kk = upload_as(app, resident, jpeg(60, 40), "kk.jpg").await?;
    let ktp = upload_as(app, resident, jpeg(60, 40), "ktp.jpg").await?;
    Ok(birth_certificate_form(&[letter, kk, ktp], key))
}
