//! Auditors end to end: the history with actors, masking and its audit log, one record's
//! timeline, the document access log, and bad filters.

use anyhow::Context;
use domain::staff::Role;
use e2e::{TestApp, active_resident, eventually};
use serde_json::{Value, json};
use sqlx::PgPool;

const HISTORY: &str = "query($f: EventHistoryFilter, $a: String) { eventHistory(filter: $f, first: 50, after: $a) { pageInfo { hasNextPage endCursor } edges { cursor node { position eventType payload actorId actorRole actorName actorUsername correlationId } } } }";

#[sqlx::test(migrations = "../migrations")]
async fn auditors_see_who_did_what_and_who_looked_at_what(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let auditor = app.staff("audit", Role::Auditor).await?;
    let supervisor = app.staff_named("sri", "Sri Wahyuni", Role::Supervisor).await?;
    let operator = app.staff_named("budi", "Budi Santoso", Role::Operator).await?;
    let (_, account_id) = active_resident(&app, &operator, "6106015205900001", "Siti Aminah").await?;

    // A staff action, with its actor.
    let day = (domain::working_time::office_date(chrono::Utc::now()) + chrono::Duration::days(10)).to_string();
    supervisor
        .gql("mutation($d: String!) { addHoliday(date: $d, name: \"Libur daerah\") { date } }", json!({ "d": day }))
        .await?
        .data()?;
    let sri_id = supervisor
        .gql("{ currentStaff { id } }", json!({}))
        .await?
        .data()?
        .pointer("/currentStaff/id")
        .cloned()
        .context("id")?;
    let reply = eventually("holiday in history", || async {
        let reply = auditor.gql(HISTORY, json!({ "f": { "eventType": "HolidayAdded" } })).await?;
        let edges = reply.data()?.pointer("/eventHistory/edges").and_then(Value::as_array).cloned().unwrap_or_default();
        Ok((!edges.is_empty()).then_some(edges))
    })
    .await?;
    assert_eq!(reply[0]["node"]["actorId"], sri_id);
    assert_eq!(reply[0]["node"]["actorRole"], "SUPERVISOR");
    assert_eq!(reply[0]["node"]["actorName"], "Sri Wahyuni", "auditors read names, not only ids");
    assert_eq!(reply[0]["node"]["actorUsername"], "sri");
    assert!(reply[0]["node"]["correlationId"].is_string());

    // The whole history pages by cursor; personal data is masked, secrets hidden.
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = auditor.gql(HISTORY, json!({ "a": after })).await?;
        let data = page.data()?["eventHistory"].clone();
        seen.extend(data["edges"].as_array().cloned().unwrap_or_default().into_iter().map(|e| e["node"].clone()));
        if data["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = data["pageInfo"]["endCursor"].clone();
    }
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
    assert_eq!(seen.len() as i64, total, "every event exactly once across pages");
    let registered = seen.iter().find(|e| e["eventType"] == "AccountRegistered").context("registration")?;
    assert_eq!(registered["payload"]["AccountRegistered"]["nik"], "6106********0001");
    assert_eq!(registered["payload"]["AccountRegistered"]["password_hash"], "[disembunyikan]");
    assert_eq!(registered["payload"]["AccountRegistered"]["full_name"], "S. A.");
    assert_eq!(registered["actorRole"], "RESIDENT");
    assert_eq!(registered["actorName"], Value::Null, "a resident's name is personal data: never an actor name");
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_log").fetch_one(&pool).await?, 0);

    // One record by NIK: unmasked, and the look is logged.
    let single = auditor.gql(HISTORY, json!({ "f": { "nik": "6106015205900001" } })).await?;
    let first = single
        .data()?
        .pointer("/eventHistory/edges/0/node/payload/AccountRegistered")
        .cloned()
        .context("registered")?;
    assert_eq!(first["nik"], "6106015205900001");
    assert_eq!(first["password_hash"], "[disembunyikan]");
    let logged: (String, String) = sqlx::query_as("SELECT action, subject FROM audit_log").fetch_one(&pool).await?;
    assert_eq!(logged, ("eventHistory".to_owned(), account_id.clone()));

    let timeline = auditor
        .gql(
            "query($a: ID!) { recordHistory(accountId: $a) { eventType actorRole actorName } }",
            json!({ "a": account_id }),
        )
        .await?;
    let approval = timeline.data()?["recordHistory"]
        .as_array()
        .and_then(|t| t.iter().find(|e| e["eventType"] == "AccountApproved"))
        .cloned()
        .context("approval")?;
    assert_eq!(approval["actorRole"], "OPERATOR");
    assert_eq!(approval["actorName"], "Budi Santoso");
    let types: Vec<&str> = timeline.data()?["recordHistory"]
        .as_array()
        .map(|t| t.iter().filter_map(|e| e["eventType"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(types, ["AccountRegistered", "AccountApproved", "ResidentSignedIn"]);

    // An operator opens a selfie: the auditor sees it in the access log.
    let queue = operator.gql("{ accountVerificationQueue { totalCount } }", json!({})).await?;
    assert_eq!(queue.data()?.pointer("/accountVerificationQueue/totalCount"), Some(&json!(0)));
    let file: String = sqlx::query_scalar("SELECT file_id::text FROM stored_files WHERE attached_to = $1 LIMIT 1")
        .bind(format!("Account:{account_id}"))
        .fetch_one(&pool)
        .await?;
    assert_eq!(operator.http.get(app.url(&format!("/files/{file}"))).send().await?.status().as_u16(), 200);
    let log = auditor
        .gql("query($f: ID!) { documentAccessLog(filter: { fileId: $f }) { edges { node { viewerRole viewerName viewerUsername purpose fileId } } } }", json!({ "f": file }))
        .await?;
    assert_eq!(
        log.data()?.pointer("/documentAccessLog/edges/0/node"),
        Some(&json!({
            "viewerRole": "OPERATOR",
            "viewerName": "Budi Santoso",
            "viewerUsername": "budi",
            "purpose": "verification",
            "fileId": file
        }))
    );

    // Bad filters and the wrong people.
    let bad = [
        (json!({ "f": { "from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z" } }), "INVALID_RANGE"),
        (json!({ "f": { "eventType": "SesuatuTerjadi" } }), "UNKNOWN_EVENT_TYPE"),
        (json!({ "a": "bukan-cursor" }), "INVALID_CURSOR"),
        (json!({ "f": { "nik": "123" } }), "NIK_LENGTH"),
        (json!({ "f": { "requestNumber": "KH-2026-999999" } }), "REQUEST_NOT_FOUND"),
    ];
    for (variables, code) in bad {
        assert_eq!(auditor.gql(HISTORY, variables.clone()).await?.error_code(), Some(code), "{variables}");
    }
    assert_eq!(operator.gql(HISTORY, json!({})).await?.error_code(), Some("FORBIDDEN"));
    assert_eq!(
        supervisor.gql("{ documentAccessLog { edges { cursor } } }", json!({})).await?.error_code(),
        Some("FORBIDDEN")
    );
    app.stop().await
}
