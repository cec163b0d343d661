//! The real `dukcapil` binary as an operator runs it: database created on first use,
//! migrations, `create-admin` reading the password from stdin, `serve` with JSON logs and a
//! graceful SIGTERM, and the auditors' tools. (Two `serve` processes sharing the projector role,
//! and `kill -9` under load: `crash.rs`.)

use std::time::Duration;

use anyhow::Context;
use e2e::process::{Database, Server, run_with_stdin, wait_until};
use serde_json::{Value, json};

#[tokio::test]
async fn operator_lifecycle_with_the_real_binary() -> anyhow::Result<()> {
    let db = Database::new();

    let migrate = db.command(&["migrate"])?.output()?;
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));

    let created = run_with_stdin(db.command(&["create-admin", "--username", "admin"])?, "sandi admin kuat\n")?;
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert!(String::from_utf8_lossy(&created.stdout).contains("Akun admin 'admin' dibuat"));

    let again = run_with_stdin(db.command(&["create-admin", "--username", "ADMIN"])?, "sandi admin lain\n")?;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("sudah dipakai"));

    let as_argument = db.command(&["create-admin", "--username", "x", "--password", "sandi admin kuat"])?.output()?;
    assert_eq!(as_argument.status.code(), Some(2), "a password argument must not exist");

    let mut server = Server::start(&db)?;
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    wait_until("serve ready", Duration::from_secs(30), async || {
        server.readyz(&client).await.is_some_and(|r| r["status"] == "ready")
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

    assert!(server.terminate(Duration::from_secs(15)).await?, "graceful shutdown exits 0");
    let logs = server.logs();
    let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.iter().all(|l| serde_json::from_str::<Value>(l).is_ok()), "JSON logs only:\n{logs}");
    assert!(logs.contains("\"stopped\""), "{logs}");
    assert!(!logs.contains("sandi admin kuat"), "a password reached the logs");

    // The read models can be rebuilt from the history at any time.
    let replay = db.command(&["replay", "--batch-size", "1"])?.output()?;
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
    let imported = db.command(&["import-legacy", "--file", file.to_str().context("path")?])?.output()?;
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    assert!(String::from_utf8_lossy(&imported.stdout).contains("2 akun diimpor (2 dokumen), 0 sudah ada"));
    let again = db.command(&["import-legacy", "--file", file.to_str().context("path")?])?.output()?;
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 akun diimpor (0 dokumen), 2 sudah ada"));
    let _ = std::fs::remove_dir_all(&export);
    Ok(())
}

#[tokio::test]
async fn auditors_tools_catch_altered_read_models_events_and_exports() -> anyhow::Result<()> {
    let db = Database::new();
    let created = run_with_stdin(db.command(&["create-admin", "--username", "admin"])?, "sandi admin kuat\n")?;
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let again = run_with_stdin(db.command(&["create-admin", "--username", "admin2"])?, "sandi admin kedua\n")?;
    assert!(again.status.success());

    // Let a real serve project everything (the hash chain is written only by the live projector).
    let server = Server::start(&db)?;
    let client = reqwest::Client::new();
    let pool = sqlx::PgPool::connect(&db.url).await?;
    wait_until("chain written", Duration::from_secs(30), async || {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM event_chain").fetch_one(&pool).await.unwrap_or(0) == 2
            && server.readyz(&client).await.is_some_and(|r| r["projector"]["pendingEvents"] == 0)
    })
    .await?;
    drop(server);

    let out = |args: &[&str]| db.run(args);

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
