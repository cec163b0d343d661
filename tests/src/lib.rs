//! Support for end-to-end tests: the real application on a real port, over a fresh
//! PostgreSQL database per test, driven through real HTTP.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use sqlx::PgPool;

/// WhatsApp contacts configured for tests.
pub const TEST_CONTACTS: &str = "Admin Verifikasi Akun=0812-3456-7890;Layanan Akta=+6281298765432";

/// A running application.
pub struct TestApp {
    pub address: SocketAddr,
    pub pool: PgPool,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _data_dir: TempDir,
}

impl TestApp {
    /// Starts the application (API + projector) on an ephemeral port over `pool`, which
    /// `#[sqlx::test]` has created and migrated.
    pub async fn spawn(pool: PgPool) -> anyhow::Result<Self> {
        let data_dir = TempDir::new()?;
        let config = api::Config::from_args([
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
        ])?;
        let app = api::Application::build(&config, pool.clone()).await?;
        let address = app.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run(async move {
            let _ = stopped.await;
        }));
        Ok(Self { address, pool, stop: Some(stop), task: Some(task), _data_dir: data_dir })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// A new browser-like client with its own cookie jar.
    pub fn client(&self) -> anyhow::Result<Client> {
        let http = reqwest::Client::builder().cookie_store(true).timeout(Duration::from_secs(30)).build()?;
        Ok(Client { http, endpoint: self.url("/graphql") })
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

/// A GraphQL client with a cookie jar.
pub struct Client {
    pub http: reqwest::Client,
    endpoint: String,
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
    /// Sends a GraphQL operation.
    pub async fn gql(&self, query: &str, variables: Value) -> anyhow::Result<Reply> {
        let response =
            self.http.post(&self.endpoint).json(&json!({ "query": query, "variables": variables })).send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await?;
        Ok(Reply { status, headers, body })
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
    for _ in 0..200 {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    bail!("timed out waiting for {what}")
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
