//! Retention of attached files (UU PDP): identity photos and a request's documents lose their
//! bytes a configured time after their purpose was fulfilled, a result document after its own
//! period; the records and hashes stay, the runs are idempotent and counted in the metrics.

use anyhow::Context;
use chrono::{Duration, Utc};
use commands::retention::RetentionReport;
use domain::staff::Role;
use e2e::{Client, TestApp, active_resident, birth_certificate_input, pdf, upload_as};
use serde_json::{Value, json};
use sqlx::PgPool;

const SUBMIT: &str = "mutation($i: SubmitServiceRequestInput!) { submitServiceRequest(input: $i) { requestId } }";

async fn status(client: &Client, app: &TestApp, file: &str) -> anyhow::Result<u16> {
    Ok(client.http.get(app.url(&format!("/files/{file}"))).send().await?.status().as_u16())
}

/// Files of `kind` in the retention read model, with whether their bytes are gone.
async fn files(pool: &PgPool, kind: &str) -> anyhow::Result<Vec<(String, bool)>> {
    Ok(sqlx::query_as(
        "SELECT r.file_id::text, f.erased_at IS NOT NULL FROM file_retention r JOIN stored_files f USING (file_id)
          WHERE r.kind = $1 ORDER BY 1",
    )
    .bind(kind)
    .fetch_all(pool)
    .await?)
}

#[sqlx::test(migrations = "../migrations")]
async fn files_lose_their_bytes_when_their_retention_ends_and_keep_their_records(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, _) = active_resident(&app, &operator, "6106015205900001", "Siti Aminah").await?;
    let input = birth_certificate_input(&app, &resident, "retensi-1").await?;
    let request = resident.gql(SUBMIT, input).await?;
    let request = request.data()?.pointer("/submitServiceRequest/requestId").and_then(Value::as_str).context("id")?;
    operator.gql("mutation($r: ID!) { claimRequest(requestId: $r) }", json!({ "r": request })).await?.data()?;
    let result = upload_as(&app, &operator, pdf(), "akta.pdf").await?;
    operator
        .gql(
            "mutation($r: ID!, $u: [ID!]!) { completeRequest(requestId: $r, uploadIds: $u) }",
            json!({ "r": request, "u": [result] }),
        )
        .await?
        .data()?;
    e2e::caught_up(&pool).await?;
    let identity = files(&pool, "IDENTITY").await?;
    assert_eq!(identity.len(), 3, "the three registration photos, decided at the approval");
    assert_eq!(files(&pool, "REQUEST").await?.len(), 3);
    assert_eq!(files(&pool, "RESULT").await?, vec![(result.clone(), false)]);

    let now = Utc::now();
    let retention = &app.commands.retention;
    assert_eq!(retention.run(now + Duration::days(29)).await?, RetentionReport::default(), "nothing is due yet");
    let first = retention.run(now + Duration::days(31)).await?;
    assert_eq!(first, RetentionReport { identity: 3, request: 3, result: 0 });
    assert!(files(&pool, "IDENTITY").await?.iter().chain(&files(&pool, "REQUEST").await?).all(|(_, gone)| *gone));
    assert_eq!(status(&operator, &app, &identity[0].0).await?, 404, "an expired photo is gone for everyone");
    assert_eq!(status(&resident, &app, &result).await?, 200, "the finished document is still downloadable");
    assert_eq!(retention.run(now + Duration::days(31)).await?, RetentionReport::default(), "idempotent");
    let kept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM stored_files WHERE erased_at IS NOT NULL AND length(sha256) = 32")
            .fetch_one(&pool)
            .await?;
    assert_eq!(kept, 6, "records and SHA-256 stay, so the history naming the files still verifies");

    let later = retention.run(now + Duration::days(91)).await?;
    assert_eq!(later, RetentionReport { identity: 0, request: 0, result: 1 });
    assert_eq!(status(&resident, &app, &result).await?, 404);

    // The read model is rebuilt from the events alone; the daily run at start-up is counted.
    e2e::assert_replay_rebuilds_live_read_models(&pool).await?;
    let metrics = reqwest::get(app.url("/metrics")).await?.text().await?;
    assert!(metrics.lines().any(|l| l.starts_with("dukcapil_retention_runs_total ")), "{metrics}");
    app.stop().await
}
