//! PDF active content end to end, through the real server over a fresh database: each hostile
//! PDF (URL, UNC and form-submitting actions, launched programs, additional actions, a script
//! hidden in a compressed object stream, embedded files, attachments, XML forms, encryption, an
//! unknown filter) gets 422 `UPLOAD_PDF_NOT_ALLOWED` and stores nothing; each harmless one (a
//! scanned page, the same with object streams, a signed form, internal links, the minimal PDF
//! the other suites upload) gets 201 and is stored byte for byte. The documents are the ones
//! the unit tests of `commands/src/files/pdf.rs` check, from the same file.

#[allow(dead_code)]
#[path = "../../commands/src/files/pdf/samples.rs"]
mod samples;

use std::sync::Arc;

use anyhow::{Context, ensure};
use commands::files::UploadError;
use e2e::{Client, TestApp};
use serde_json::{Value, json};
use sqlx::PgPool;

/// Uploads made as someone without an account, with upload tokens. Every few uploads it takes
/// a new client (its own address, since the server trusts `X-Forwarded-For`) and a new token,
/// to stay under the per-token and per-address limits.
struct Uploader<'a> {
    app: &'a TestApp,
    client: Client,
    token: String,
    uploads: usize,
}

impl<'a> Uploader<'a> {
    const PER_CLIENT: usize = 4;

    async fn new(app: &'a TestApp) -> anyhow::Result<Self> {
        let client = app.client()?;
        let token = client.upload_token(&app.pool).await?;
        Ok(Self { app, client, token, uploads: 0 })
    }

    async fn upload(&mut self, bytes: Vec<u8>) -> anyhow::Result<(u16, Value)> {
        if self.uploads == Self::PER_CLIENT {
            *self = Self::new(self.app).await?;
        }
        self.uploads += 1;
        self.client.upload(&self.app.url(""), Some(&self.token), bytes, "surat.pdf").await
    }
}

async fn spawn(pool: PgPool) -> anyhow::Result<TestApp> {
    TestApp::spawn_with_options(pool, Arc::new(commands::SystemClock), &["--trust-forwarded-for"]).await
}

async fn stored_files(app: &TestApp) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM stored_files").fetch_one(&app.pool).await?)
}

#[sqlx::test(migrations = "../migrations")]
async fn hostile_pdfs_are_refused_and_store_nothing(pool: PgPool) -> anyhow::Result<()> {
    let app = spawn(pool).await?;
    let mut uploader = Uploader::new(&app).await?;
    let hostile = samples::hostile()?;
    for (name, bytes) in &hostile {
        let (status, body) = uploader.upload(bytes.clone()).await?;
        ensure!(status == 422, "{name}: HTTP {status} {body}");
        let error = body.pointer("/errors/0").with_context(|| format!("{name}: no error in {body}"))?;
        ensure!(error.pointer("/extensions/code") == Some(&json!("UPLOAD_PDF_NOT_ALLOWED")), "{name}: {body}");
        ensure!(error["message"] == UploadError::PdfNotAllowed.to_string(), "{name}: {body}");
        ensure!(stored_files(&app).await? == 0, "{name}: a stored_files row was written");
    }
    println!("PDF active content: {} hostile PDFs refused", hostile.len());
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn passive_pdfs_are_stored_byte_for_byte(pool: PgPool) -> anyhow::Result<()> {
    let app = spawn(pool).await?;
    let mut uploader = Uploader::new(&app).await?;
    let mut accepted = samples::accepted()?;
    accepted.push(("the e2e helper's PDF", e2e::pdf()));
    for (n, (name, bytes)) in accepted.iter().enumerate() {
        let (status, body) = uploader.upload(bytes.clone()).await?;
        ensure!(status == 201, "{name}: HTTP {status} {body}");
        ensure!(body["contentType"] == "application/pdf", "{name}: {body}");
        ensure!(stored_files(&app).await? == n as i64 + 1, "{name}: one row more");
        let id = uuid::Uuid::parse_str(body["uploadId"].as_str().context("uploadId")?)?;
        let file = app.commands.files.find(id).await?.context("stored file")?;
        ensure!(app.commands.files.read(&file).await? == *bytes, "{name}: stored as uploaded");
    }
    println!("PDF active content: {} passive PDFs stored as they were", accepted.len());
    app.stop().await
}
