//! The real `dukcapil` binary as an operator runs it: its own database, `serve` processes that
//! can be stopped with a signal or killed outright, and the one-shot subcommands (`migrate`,
//! `replay`, `create-admin`, …).

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

/// The `dukcapil` executable, built once per test process.
///
/// `DUKCAPIL_BIN` names a prebuilt one. Otherwise `cargo test --workspace --no-run` runs: the
/// very build `cargo test` / `cargo nextest run --workspace` (`scripts/test`) has just done, so
/// there it finds everything fresh and builds nothing, and the binary has the same features as
/// there. (A test crate cannot depend on another package's binary, and a binary left over from
/// an earlier build could be stale.)
pub fn binary() -> anyhow::Result<PathBuf> {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BINARY.get_or_init(|| build_binary().map_err(|e| format!("{e:#}"))).clone().map_err(anyhow::Error::msg)
}

fn build_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("DUKCAPIL_BIN") {
        return Ok(path.into());
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    // What cargo sets for the running test (CARGO_PKG_NAME=e2e, …) must not reach the build:
    // some build scripts (ring's) rerun when those change, and everything above them would be
    // rebuilt, here and again by the next `cargo test`.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let set_for_the_test = ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CRATE_", "CARGO_BIN_", "CARGO_CFG_"]
            .iter()
            .any(|prefix| key.starts_with(prefix))
            || ["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "CARGO_RUSTC_CURRENT_DIR", "OUT_DIR"]
                .contains(&key.as_ref());
        if set_for_the_test {
            command.env_remove(key.as_ref());
        }
    }
    let output = command
        .args(["test", "--workspace", "--no-run", "--message-format=json-render-diagnostics"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo to build the dukcapil binary")?;
    if !output.status.success() {
        bail!("cargo test --workspace --no-run failed");
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| {
            message["reason"] == "compiler-artifact"
                && message["target"]["name"] == "dukcapil"
                && message["profile"]["test"] == false
        })
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .context("cargo did not report the dukcapil executable")
}

/// A database of its own (created by the binary on first use), dropped at the end with its
/// data directory.
pub struct Database {
    pub url: String,
    pub name: String,
}

impl Database {
    pub fn new() -> Self {
        let name = format!("dukcapil_bin_{}", uuid::Uuid::new_v4().simple());
        let base =
            std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let server = base.rsplit_once('/').map_or(base.as_str(), |(server, _)| server).to_owned();
        Self { url: format!("{server}/{name}"), name }
    }

    /// The directory every `serve` of this database stores files in (shared storage).
    pub fn data_dir(&self) -> PathBuf {
        std::env::temp_dir().join(&self.name)
    }

    /// Creates and migrates the database with `dukcapil migrate`, then connects.
    pub async fn migrated(&self) -> anyhow::Result<sqlx::PgPool> {
        let migrate = self.command(&["migrate"])?.output()?;
        if !migrate.status.success() {
            bail!("migrate failed: {}", String::from_utf8_lossy(&migrate.stderr));
        }
        self.pool().await
    }

    /// A small pool on the database (which must exist).
    pub async fn pool(&self) -> anyhow::Result<sqlx::PgPool> {
        Ok(sqlx::postgres::PgPoolOptions::new().max_connections(5).connect(&self.url).await?)
    }

    /// `dukcapil <args>` on this database, with JSON logs.
    pub fn command(&self, args: &[&str]) -> anyhow::Result<Command> {
        let mut command = Command::new(binary()?);
        command
            .args(args)
            .env("DATABASE_URL", &self.url)
            .env("DATA_DIR", self.data_dir())
            .env("LOG_FORMAT", "json")
            .env("PROJECTOR_POLL_MS", "100")
            // Every test client is 127.0.0.1: per-address limits are for tests that set them.
            .env("MAX_CONNECTIONS_PER_PEER", "100000")
            .env("CAPTCHAS_PER_ADDRESS_PER_MINUTE", "100000")
            // Load tests upload far more per resident than a person would.
            .env("UPLOADS_PER_ACCOUNT_PER_HOUR", "100000")
            .env("UPLOAD_MB_PER_ACCOUNT_PER_HOUR", "100000")
            .env_remove("RUST_LOG");
        Ok(command)
    }

    /// Runs `dukcapil <args>` to the end; returns whether it succeeded and its stdout + stderr.
    pub fn run(&self, args: &[&str]) -> anyhow::Result<(bool, String)> {
        let output = self.command(args)?.stdin(Stdio::null()).output()?;
        Ok((
            output.status.success(),
            format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
        ))
    }
}

impl Default for Database {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.data_dir());
        let admin = self.url.replace(&self.name, "postgres");
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.ok()
            })
        })
        .join();
    }
}

/// Runs `command` with `stdin` written to it.
pub fn run_with_stdin(mut command: Command, stdin: &str) -> anyhow::Result<Output> {
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    child.stdin.take().context("stdin")?.write_all(stdin.as_bytes())?;
    Ok(child.wait_with_output()?)
}

/// A port nobody listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running `dukcapil serve`. Its log (stderr) goes to a file, so a busy server never blocks
/// on a full pipe. Killed (SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Server {
    /// Starts `serve` on a free port.
    pub fn start(db: &Database) -> anyhow::Result<Self> {
        Self::start_on(db, free_port()?, &[])
    }

    /// Starts `serve` on `port` with extra environment variables.
    pub fn start_on(db: &Database, port: u16, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        std::fs::create_dir_all(db.data_dir())?;
        let log = db.data_dir().join(format!("serve-{port}-{}.log", uuid::Uuid::new_v4().simple()));
        let mut command = db.command(&["serve"])?;
        command.env("BIND_ADDR", format!("127.0.0.1:{port}"));
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log)?))
            .spawn()?;
        Ok(Self { child, port, log })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sends a signal with `kill`, e.g. `-TERM`.
    pub fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let status = Command::new("kill").arg(signal).arg(self.child.id().to_string()).status()?;
        if !status.success() {
            bail!("kill {signal} failed");
        }
        Ok(())
    }

    /// `kill -9`: no shutdown of any kind, then reaps the process.
    pub fn kill9(&mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// SIGTERM, then waits up to `timeout` for the exit; returns whether it exited with 0.
    pub async fn terminate(&mut self, timeout: Duration) -> anyhow::Result<bool> {
        self.signal("-TERM")?;
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status.success());
            }
            if started.elapsed() > timeout {
                bail!("serve did not stop on SIGTERM within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What the process has logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `/readyz` as JSON, or `None` if the process does not answer.
    pub async fn readyz(&self, client: &reqwest::Client) -> Option<Value> {
        client.get(self.url("/readyz")).send().await.ok()?.json().await.ok()
    }

    /// Whether this process holds the projector lock, as `/readyz` says.
    pub async fn projector_active(&self, client: &reqwest::Client) -> Option<bool> {
        self.readyz(client).await?.pointer("/projector/activeInThisProcess").and_then(Value::as_bool)
    }

    /// Waits until `/readyz` answers at all (ready or not).
    pub async fn wait_answering(&self, client: &reqwest::Client, timeout: Duration) -> anyhow::Result<()> {
        wait_until("serve answering", timeout, async || self.readyz(client).await.is_some()).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` every 50 ms until it holds, failing after `timeout`.
pub async fn wait_until(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> bool) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if check().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("timed out waiting for {what}")
}

/// How many sessions hold the projector's advisory lock on `pool`'s database (`pg_locks`).
pub async fn projector_lock_holders(pool: &sqlx::PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks
          WHERE locktype = 'advisory' AND granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND ((classid::bigint << 32) | objid::bigint) = $1",
    )
    .bind(projections::PROJECTOR_LOCK_KEY)
    .fetch_one(pool)
    .await?)
}

/// A running `serve` seen as a [`crate::Site`]: its address and its database.
pub struct Remote<'a> {
    pub base: String,
    pub pool: &'a sqlx::PgPool,
}

impl crate::Site for Remote<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn pool(&self) -> &sqlx::PgPool {
        self.pool
    }

    fn client(&self) -> anyhow::Result<crate::Client> {
        crate::Client::new(&self.base, Some(&crate::next_client_address()))
    }
}
