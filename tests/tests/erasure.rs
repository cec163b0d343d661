//! Erasure of a resident (UU PDP) through the real server: filed by one officer, approved by
//! another supervisor, carried out by destroying the resident's data keys and deleting their
//! files; the history keeps its shape and still verifies, and a copy of the database holds
//! nothing readable of the person afterwards.

use anyhow::Context;
use domain::staff::Role;
use e2e::{TestApp, active_resident, birth_certificate_input, eventually};
use serde_json::json;
use sqlx::PgPool;

const NIK: &str = "6106015205900077";
const NAME: &str = "Dayang Kumala Sari";
const PHONE_LOCAL: &str = "081234567890";
const PHONE: &str = "6281234567890";
const REQUEST: &str = "mutation($a: ID!, $r: String!) { requestErasure(accountId: $a, reason: $r) }";
const APPROVE: &str =
    "mutation($a: ID!) { approveErasure(accountId: $a) { accountId keysDestroyed filesErased sessionsEnded } }";
const SUBMIT: &str = "mutation($i: SubmitServiceRequestInput!) { submitServiceRequest(input: $i) { requestId } }";

/// Every text column of the read models and the outbox about the account, in one string.
async fn rows_about(pool: &PgPool, account: &str) -> anyhow::Result<String> {
    let mut all = String::new();
    for table in ["resident_accounts", "work_queue", "status_board", "notification_recipients", "notification_outbox"] {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT row_to_json(t)::text FROM {table} t WHERE account_id = $1"))
                .bind(uuid::Uuid::parse_str(account)?)
                .fetch_all(pool)
                .await?;
        all.push_str(&rows.join("\n"));
    }
    Ok(all)
}

#[sqlx::test(migrations = "../migrations")]
async fn an_approved_erasure_shreds_the_person_and_keeps_the_history_verifiable(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let sari = app.staff("sari", Role::Supervisor).await?;
    let tono = app.staff("tono", Role::Supervisor).await?;
    let (resident, account) = active_resident(&app, &operator, NIK, NAME).await?;
    let input = birth_certificate_input(&app, &resident, "erasure-1").await?;
    resident.gql(SUBMIT, input).await?.data()?;
    e2e::caught_up(&pool).await?;
    let before = rows_about(&pool, &account).await?;
    assert!(!before.contains(NAME) && before.contains("sealed:"), "before: the read models hold the name sealed");
    let files_before: i64 = sqlx::query_scalar("SELECT count(*) FROM stored_files WHERE attached_to = $1")
        .bind(format!("Account:{account}"))
        .fetch_one(&pool)
        .await?;
    assert_eq!(files_before, 6, "three identity photos and three request documents");

    // Filed by one officer, approved only by a supervisor who did not file it.
    let vars = json!({ "a": account, "r": "Permintaan penduduk (UU PDP pasal 8)" });
    assert_eq!(resident.gql(REQUEST, vars.clone()).await?.error_code(), Some("FORBIDDEN"));
    assert_eq!(sari.gql(APPROVE, json!({ "a": account })).await?.error_code(), Some("ERASURE_NOT_REQUESTED"));
    sari.gql(REQUEST, vars.clone()).await?.data()?;
    let found = eventually("the look-up shows the filed erasure", || async {
        let reply = sari
            .gql(
                "query($q: String!) { findResidents(query: $q) { residents { erasureRequested } } }",
                json!({ "q": NIK }),
            )
            .await?;
        Ok(reply.data()?.pointer("/findResidents/residents/0/erasureRequested").cloned().filter(|v| v == &json!(true)))
    })
    .await?;
    assert_eq!(found, json!(true));
    assert_eq!(tono.gql(REQUEST, vars).await?.error_code(), Some("ERASURE_ALREADY_REQUESTED"));
    assert_eq!(operator.gql(APPROVE, json!({ "a": account })).await?.error_code(), Some("FORBIDDEN"));
    assert_eq!(sari.gql(APPROVE, json!({ "a": account })).await?.error_code(), Some("ERASURE_NEEDS_ANOTHER_OFFICER"));
    let outcome = tono.gql(APPROVE, json!({ "a": account })).await?;
    let outcome = outcome.data()?["approveErasure"].clone();
    assert_eq!(outcome["keysDestroyed"], 1);
    assert_eq!(outcome["filesErased"], 6);
    assert!(outcome["sessionsEnded"].as_u64().is_some_and(|n| n >= 1));
    let again = tono.gql(APPROVE, json!({ "a": account })).await?;
    assert_eq!(again.data()?["approveErasure"]["filesErased"], 0, "approving again finishes nothing twice");

    // The resident is signed out and cannot sign in; their files are gone, their records stay.
    assert_eq!(resident.gql("{ me { accountId } }", json!({})).await?.error_code(), Some("UNAUTHENTICATED"));
    assert_eq!(
        e2e::Client::new(&app.url(""), None)?.resident_login(&pool, NIK, e2e::RESIDENT_PASSWORD).await?.error_code(),
        Some("INVALID_CREDENTIALS")
    );
    let (kept, erased): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE erased_at IS NOT NULL AND download_name IS NULL) FROM stored_files
          WHERE attached_to = $1 AND sha256 IS NOT NULL",
    )
    .bind(format!("Account:{account}"))
    .fetch_one(&pool)
    .await?;
    assert_eq!((kept, erased), (6, 6), "records and hashes kept, bytes and names gone");
    let blobs = walk(&app.data_dir().join("files"))?;
    assert_eq!(blobs, 0, "no stored bytes left: {blobs}");

    // Every read model shows the person as erased.
    e2e::caught_up(&pool).await?;
    let rows = rows_about(&pool, &account).await?;
    assert!(!rows.contains(NAME) && !rows.contains(PHONE) && !rows.contains(PHONE_LOCAL), "{rows}");
    assert!(rows.contains(domain::privacy::ERASED));
    let status: String = sqlx::query_scalar("SELECT status FROM resident_accounts WHERE account_id = $1")
        .bind(uuid::Uuid::parse_str(&account)?)
        .fetch_one(&pool)
        .await?;
    assert_eq!(status, "ERASED");

    // The history keeps its shape: the chain verifies, a rebuild gives the same read models.
    let chain = projections::chain::verify_chain(&pool).await?;
    assert!(chain.problems.is_empty(), "{:?}", chain.problems);
    let differences = projections::verify(
        &pool,
        &app.commands.vault,
        &projections::all(),
        7,
        std::time::Duration::from_secs(20),
        |_| {},
    )
    .await?;
    assert!(differences.is_empty(), "{differences:?}");
    e2e::assert_replay_rebuilds_live_read_models(&pool).await?;
    let auditor = app.staff("audi", Role::Auditor).await?;
    let timeline = auditor
        .gql(
            "query($a: ID!) { recordHistory(accountId: $a) { eventType payload clientAddress } }",
            json!({ "a": account }),
        )
        .await?;
    let timeline = timeline.data()?["recordHistory"].as_array().cloned().unwrap_or_default();
    let types: Vec<&str> = timeline.iter().filter_map(|e| e["eventType"].as_str()).collect();
    assert!(types.contains(&"AccountRegistered") && types.ends_with(&["AccountErased"]), "{types:?}");
    let registered = timeline.iter().find(|e| e["eventType"] == "AccountRegistered").context("registration")?;
    assert_eq!(registered["payload"]["AccountRegistered"]["nik"], domain::privacy::ERASED);
    assert_eq!(registered["clientAddress"], domain::privacy::ERASED);

    // A copy of the database holds nothing readable of the person, even with the keys.
    let copy = e2e::pg_dump(&pool)?;
    assert!(copy.contains("AccountErased") && copy.contains(domain::privacy::ERASED), "the dump holds the data");
    for personal in [NIK, NAME, PHONE, PHONE_LOCAL, "Dayang Sumbi", "6106015205900001"] {
        assert!(!copy.contains(personal), "the dump still holds {personal}");
    }

    // The NIK may register again, as a new person with a new key.
    let newcomer = e2e::registered_resident(&app, NIK, "Dayang Kumala").await?;
    drop(newcomer);
    let keys: (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE destroyed_at IS NULL) FROM subject_keys WHERE subject_id = $1",
    )
    .bind(uuid::Uuid::parse_str(&account)?)
    .fetch_one(&pool)
    .await?;
    assert_eq!(keys, (2, 1), "the old key destroyed, a new one live");
    app.stop().await
}

/// How many files are stored under `dir`.
fn walk(dir: &std::path::Path) -> anyhow::Result<usize> {
    let mut count = 0;
    if !dir.exists() {
        return Ok(0);
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        count += if path.is_dir() { walk(&path)? } else { 1 };
    }
    Ok(count)
}
