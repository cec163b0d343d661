//! The real `dukcapil` binary as an operator runs it: database created on first use,
//! migrations, `create-admin` reading the password from stdin, `serve` with JSON logs and a
//! graceful SIGTERM, and two `serve` processes sharing one projector role.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_dukcapil");

/// A database name of its own, dropped at the end.
struct Database {
    url: String,
    name: String,
}

impl Database {
    fn new() -> Self {
        let name = format!("dukcapil_bin_{}", uuid::Uuid::new_v4().simple());
        let base =
            std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let server = base.rsplit_once('/').map_or(base.as_str(), |(server, _)| server).to_owned();
        Self { url: format!("{server}/{name}"), name }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(std::env::temp_dir().join(&self.name));
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

fn dukcapil(db: &Database, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("DATA_DIR", std::env::temp_dir().join(&db.name))
        .env("LOG_FORMAT", "json")
        .env("PROJECTOR_POLL_MS", "100")
        .env_remove("RUST_LOG");
    command
}

fn run_with_stdin(mut command: Command, stdin: &str) -> anyhow::Result<Output> {
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    child.stdin.take().context("stdin")?.write_all(stdin.as_bytes())?;
    Ok(child.wait_with_output()?)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(db: &Database) -> anyhow::Result<Self> {
        let port = free_port()?;
        let child = dukcapil(db, &["serve"])
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        Ok(Self { child, port })
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let status = Command::new("kill").arg(signal).arg(self.child.id().to_string()).status()?;
        if !status.success() {
            bail!("kill {signal} failed");
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn readyz(client: &reqwest::Client, server: &Server) -> Option<Value> {
    client.get(server.url("/readyz")).send().await.ok()?.json().await.ok()
}

async fn wait_until(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> bool) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if check().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("timed out waiting for {what}")
}

#[tokio::test]
async fn operator_lifecycle_with_the_real_binary() -> anyhow::Result<()> {
    let db = Database::new();

    let migrate = dukcapil(&db, &["migrate"]).output()?;
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));

    let created = run_with_stdin(dukcapil(&db, &["create-admin", "--username", "admin"]), "sandi admin kuat\n")?;
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert!(String::from_utf8_lossy(&created.stdout).contains("Akun admin 'admin' dibuat"));

    let again = run_with_stdin(dukcapil(&db, &["create-admin", "--username", "ADMIN"]), "sandi admin lain\n")?;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("sudah dipakai"));

    let as_argument = dukcapil(&db, &["create-admin", "--username", "x", "--password", "sandi admin kuat"]).output()?;
    assert_eq!(as_argument.status.code(), Some(2), "a password argument must not exist");

    let mut server = Server::start(&db)?;
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    wait_until("serve ready", Duration::from_secs(30), async || {
        readyz(&client, &server).await.is_some_and(|r| r["status"] == "ready")
    })
    .await?;
    let login = client
        .post(server.url("/graphql"))
        .json(&json!({ "query": "mutation { staffLogin(username: \"admin\", password: \"sandi admin kuat\") { staff { role } } }" }))
        .send()
        .await?
        .json::<Value>()
        .await?;
    assert_eq!(login.pointer("/data/staffLogin/staff/role"), Some(&json!("ADMIN")));

    server.signal("-TERM")?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait()? {
            break status;
        }
        if started.elapsed() > Duration::from_secs(15) {
            bail!("serve did not stop on SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "graceful shutdown exits 0");
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut server.child.stderr.take().context("stderr")?, &mut logs)?;
    let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.iter().all(|l| serde_json::from_str::<Value>(l).is_ok()), "JSON logs only:\n{logs}");
    assert!(logs.contains("\"stopped\""), "{logs}");
    assert!(!logs.contains("sandi admin kuat"), "a password reached the logs");

    // The read models can be rebuilt from the history at any time.
    let replay = dukcapil(&db, &["replay", "--batch-size", "1"]).output()?;
    assert!(replay.status.success(), "{}", String::from_utf8_lossy(&replay.stderr));
    let report = String::from_utf8_lossy(&replay.stdout);
    assert!(report.contains("dari 2 event") && report.contains("Selesai: 2 event"), "{report}");

    // The old portal's CSV export: two documents of one account, one account without any.
    let export = std::env::temp_dir().join(format!("{}-export", db.name));
    std::fs::create_dir_all(&export)?;
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    std::fs::write(export.join("akta.pdf"), pdf)?;
    std::fs::write(export.join("kk.pdf"), pdf)?;
    std::fs::write(
        export.join("ekspor.csv"),
        "nik,name,phone,document_title,document_file\n\
         6106015205900001,Siti Aminah,081234567890,Akta Kelahiran,akta.pdf\n\
         6106015205900001,Siti Aminah,081234567890,\"Kartu Keluarga, lama\",kk.pdf\n\
         6106010101900002,Budi Santoso,,,\n",
    )?;
    let file = export.join("ekspor.csv");
    let imported = dukcapil(&db, &["import-legacy", "--file", file.to_str().context("path")?]).output()?;
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    assert!(String::from_utf8_lossy(&imported.stdout).contains("2 akun diimpor (2 dokumen), 0 sudah ada"));
    let again = dukcapil(&db, &["import-legacy", "--file", file.to_str().context("path")?]).output()?;
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 akun diimpor (0 dokumen), 2 sudah ada"));
    let _ = std::fs::remove_dir_all(&export);
    Ok(())
}

#[tokio::test]
async fn second_serve_stays_passive_and_takes_over_when_the_first_dies() -> anyhow::Result<()> {
    let db = Database::new();
    let migrate = dukcapil(&db, &["migrate"]).output()?;
    assert!(migrate.status.success());
    let client = reqwest::Client::new();

    let first = Server::start(&db)?;
    wait_until("first active", Duration::from_secs(30), async || {
        readyz(&client, &first).await.is_some_and(|r| r["projector"]["activeInThisProcess"] == true)
    })
    .await?;
    let second = Server::start(&db)?;
    wait_until("second up", Duration::from_secs(30), async || readyz(&client, &second).await.is_some()).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let passive = readyz(&client, &second).await.context("second readyz")?;
    assert_eq!(passive["projector"]["activeInThisProcess"], false, "only one projector may be active");

    first.signal("-KILL")?;
    wait_until("second takes over", Duration::from_secs(30), async || {
        readyz(&client, &second).await.is_some_and(|r| r["projector"]["activeInThisProcess"] == true)
    })
    .await?;

    // Work committed through the survivor is projected by it.
    let created = run_with_stdin(dukcapil(&db, &["create-admin", "--username", "admin2"]), "sandi admin kedua\n")?;
    assert!(created.status.success());
    let ask = json!({ "query": "mutation { staffLogin(username: \"admin2\", password: \"sandi admin kedua\") { expiresAt } }" });
    let login = client.post(second.url("/graphql")).json(&ask).send().await?.json::<Value>().await?;
    assert!(login.pointer("/data/staffLogin/expiresAt").is_some(), "{login}");
    let pool = sqlx::PgPool::connect(&db.url).await?;
    wait_until("sign-in projected by the survivor", Duration::from_secs(30), async || {
        sqlx::query_scalar::<_, bool>(
            "SELECT last_signed_in IS NOT NULL FROM staff_directory WHERE username = 'admin2'",
        )
        .fetch_optional(&pool)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
    })
    .await?;
    pool.close().await;
    drop(first);
    Ok(())
}

#[tokio::test]
async fn auditors_tools_catch_altered_read_models_events_and_exports() -> anyhow::Result<()> {
    let db = Database::new();
    let created = run_with_stdin(dukcapil(&db, &["create-admin", "--username", "admin"]), "sandi admin kuat\n")?;
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let again = run_with_stdin(dukcapil(&db, &["create-admin", "--username", "admin2"]), "sandi admin kedua\n")?;
    assert!(again.status.success());

    // Let a real serve project everything (the hash chain is written only by the live projector).
    let server = Server::start(&db)?;
    let client = reqwest::Client::new();
    let pool = sqlx::PgPool::connect(&db.url).await?;
    wait_until("chain written", Duration::from_secs(30), async || {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM event_chain").fetch_one(&pool).await.unwrap_or(0) == 2
            && readyz(&client, &server).await.is_some_and(|r| r["projector"]["pendingEvents"] == 0)
    })
    .await?;
    drop(server);

    let out = |args: &[&str]| -> anyhow::Result<(bool, String)> {
        let output = dukcapil(&db, args).output()?;
        Ok((
            output.status.success(),
            format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
        ))
    };

    let (ok, text) = out(&["replay", "--verify"])?;
    assert!(ok && text.contains("Semua read model sesuai"), "{text}");
    sqlx::query("UPDATE staff_directory SET display_name = 'Disunting' WHERE username = 'admin2'")
        .execute(&pool)
        .await?;
    let (ok, text) = out(&["replay", "--verify"])?;
    assert!(!ok && text.contains("BERBEDA staff_directory") && text.contains("Disunting"), "{text}");

    let export = std::env::temp_dir().join(format!("{}-history.jsonl", db.name));
    let path = export.to_str().context("path")?;
    let (ok, text) = out(&["export-history", "--out", path])?;
    assert!(ok && text.contains("2 event diekspor"), "{text}");
    let (ok, text) = out(&["verify-history", "--file", path])?;
    assert!(ok && text.contains("Ekspor sesuai"), "{text}");
    let tampered = std::fs::read_to_string(&export)?.replace("admin2", "mallory");
    std::fs::write(&export, tampered)?;
    let (ok, text) = out(&["verify-history", "--file", path])?;
    assert!(!ok && text.contains("SHA-256"), "{text}");

    let (ok, text) = out(&["verify-chain"])?;
    assert!(ok && text.contains("Rantai hash utuh: 2 event"), "{text}");
    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete").execute(&pool).await?;
    sqlx::query("UPDATE events SET payload = jsonb_set(payload, '{StaffAccountCreated,role}', '\"OPERATOR\"') WHERE aggregate_id = (SELECT aggregate_id FROM events ORDER BY global_position DESC LIMIT 1)")
        .execute(&pool)
        .await?;
    let (ok, text) = out(&["verify-chain"])?;
    assert!(!ok && text.contains("StaffAccountCreated"), "{text}");
    pool.close().await;
    let _ = std::fs::remove_file(&export);
    let _ = std::fs::remove_file(format!("{path}.manifest.json"));
    Ok(())
}
