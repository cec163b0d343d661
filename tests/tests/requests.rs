//! Service requests end to end, as the manual describes them: submit, status board, work
//! queue with SLA due times, re-upload, completion, pick-up; races; bad input; replay.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use commands::ManualClock;
use domain::staff::Role;
use domain::working_time::local_instant;
use e2e::{Client, TestApp, active_resident, birth_certificate_input, eventually, jpeg, pdf, upload_as};
use serde_json::{Value, json};
use sqlx::PgPool;

const SUBMIT: &str = "mutation($i: SubmitServiceRequestInput!) { submitServiceRequest(input: $i) { requestId number serviceName message } }";

async fn board(resident: &Client) -> anyhow::Result<Vec<Value>> {
    let reply = resident
        .gql(
            "{ myRequests { edges { node { requestId number status statusLabel reuploadItems { documentCode label reason answered } downloadUrls pickup { place message } printNote } } } }",
            json!({}),
        )
        .await?;
    Ok(reply
        .data()?
        .pointer("/myRequests/edges")
        .and_then(Value::as_array)
        .map(|e| e.iter().map(|e| e["node"].clone()).collect())
        .unwrap_or_default())
}

async fn board_status(resident: &Client, expected: &str) -> anyhow::Result<Value> {
    eventually(expected, || async {
        let entries = board(resident).await?;
        Ok(entries.into_iter().find(|e| e["statusLabel"] == expected))
    })
    .await
}

async fn queue_item(operator: &Client, request_id: &str, filter: Value) -> anyhow::Result<Value> {
    eventually("request in the work queue", || async {
        let reply = operator
            .gql(
                "query($f: WorkQueueFilter) { workQueue(filter: $f, first: 100) { counts { status count } edges { node { requestId number status statusLabel claimedBy claimedByName dueAt overdue workingHoursLeft applicantName } } } }",
                json!({ "f": filter }),
            )
            .await?;
        let edges = reply.data()?.pointer("/workQueue/edges").and_then(Value::as_array).cloned().unwrap_or_default();
        Ok(edges.into_iter().map(|e| e["node"].clone()).find(|n| n["requestId"] == request_id))
    })
    .await
}

async fn act(client: &Client, mutation: &str, variables: Value) -> anyhow::Result<Value> {
    let reply = client.gql(mutation, variables).await?;
    Ok(reply.data()?.clone())
}

#[sqlx::test(migrations = "../migrations")]
async fn akta_kelahiran_walks_the_manual(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let resident =
        e2e::registered_resident_with(&app, "6106015205900001", "Siti Aminah", Some("siti@example.id")).await?;
    e2e::approve_queued(&app, &operator, "6106015205900001").await?;
    resident.resident_login(&pool, "6106015205900001", e2e::RESIDENT_PASSWORD).await?.data()?;

    // Submit ("Kirim") and the retried submit: one request.
    let input = birth_certificate_input(&app, &resident, "kunci-akta-0001").await?;
    let receipt = act(&resident, SUBMIT, input.clone()).await?["submitServiceRequest"].clone();
    let number = receipt["number"].as_str().context("number")?.to_owned();
    assert!(number.starts_with("KH-20") && number.len() == 14, "{number}");
    assert!(receipt["message"].as_str().unwrap_or_default().contains("Pengajuan berhasil dikirim"));
    let again = act(&resident, SUBMIT, input).await?["submitServiceRequest"].clone();
    assert_eq!(again["number"], json!(number), "the same key is the same request");
    let request_id = receipt["requestId"].as_str().context("id")?.to_owned();
    let submitted: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'RequestSubmitted'")
        .fetch_one(&pool)
        .await?;
    assert_eq!(submitted, 1);
    board_status(&resident, "Menunggu diproses").await?;

    // The operator claims it from the queue (due time set), and asks for the KK again.
    let item = queue_item(&operator, &request_id, Value::Null).await?;
    assert!(item["dueAt"].is_string() && item["applicantName"] == "Siti Aminah", "{item}");
    assert_eq!(item["statusLabel"], "Menunggu diproses", "officers read the status in words from the server");
    // The totals list every status in lifecycle order, with the officers' words, zero included.
    let totals = act(&operator, "{ workQueue(first: 1) { counts { status label count } } }", json!({})).await?;
    let counts = totals.pointer("/workQueue/counts").and_then(Value::as_array).cloned().unwrap_or_default();
    let statuses: Vec<&str> = counts.iter().filter_map(|c| c["status"].as_str()).collect();
    assert_eq!(
        statuses,
        [
            "SUBMITTED",
            "IN_REVIEW",
            "AWAITING_REUPLOAD",
            "COMPLETED",
            "READY_FOR_PICKUP",
            "COLLECTED",
            "REJECTED",
            "CANCELLED"
        ]
    );
    assert_eq!(counts[0], json!({ "status": "SUBMITTED", "label": "Menunggu diproses", "count": 1 }));
    assert_eq!(counts[2], json!({ "status": "AWAITING_REUPLOAD", "label": "Menunggu upload ulang", "count": 0 }));
    let completed_early = operator
        .gql(
            "mutation($r: ID!, $u: [ID!]!) { completeRequest(requestId: $r, uploadIds: $u) }",
            json!({ "r": request_id, "u": [] }),
        )
        .await?;
    assert_eq!(completed_early.error_code(), Some("REQUEST_NOT_CLAIMED_BY_YOU"));
    act(&operator, "mutation($r: ID!) { claimRequest(requestId: $r) }", json!({ "r": request_id })).await?;
    let details = act(&operator, "query($r: ID!) { serviceRequest(requestId: $r) { catalogueVersion status fields { name value } documents { code url } } }", json!({ "r": request_id })).await?;
    assert_eq!(details.pointer("/serviceRequest/catalogueVersion"), Some(&json!(1)));
    assert_eq!(details.pointer("/serviceRequest/status"), Some(&json!("IN_REVIEW")));
    let kk_url = details
        .pointer("/serviceRequest/documents")
        .and_then(Value::as_array)
        .and_then(|d| d.iter().find(|d| d["code"] == "KARTU_KELUARGA"))
        .and_then(|d| d["url"].as_str())
        .context("kk")?
        .to_owned();
    let response = operator.http.get(app.url(&kk_url)).send().await?;
    assert_eq!(response.status().as_u16(), 200);
    act(
        &operator,
        "mutation($r: ID!, $i: [ReuploadItemInput!]!) { demandReupload(requestId: $r, items: $i) }",
        json!({ "r": request_id, "i": [{ "documentCode": "KARTU_KELUARGA", "reason": "Foto KK buram, mohon foto ulang" }] }),
    )
    .await?;
    let waiting = board_status(&resident, "Perlu upload ulang dokumen").await?;
    assert_eq!(waiting["reuploadItems"][0]["label"], "Kartu Keluarga");
    assert_eq!(waiting["reuploadItems"][0]["reason"], "Foto KK buram, mohon foto ulang");
    let paused = queue_item(&operator, &request_id, json!({ "status": "AWAITING_REUPLOAD" })).await?;
    assert_eq!(paused["dueAt"], Value::Null, "the clock is stopped while the resident re-uploads");

    // The resident answers only what was asked.
    let ktp_again = upload_as(&app, &resident, jpeg(90, 60), "ktp2.jpg").await?;
    let not_asked = resident
        .gql(
            "mutation($r: ID!, $d: [DocumentUploadInput!]!) { reuploadDocuments(requestId: $r, documents: $d) }",
            json!({ "r": request_id, "d": [{ "code": "KTP_ORANG_TUA", "uploadId": ktp_again }] }),
        )
        .await?;
    assert_eq!(not_asked.error_code(), Some("REUPLOAD_NOT_REQUESTED"));
    let new_kk = upload_as(&app, &resident, jpeg(100, 70), "kk2.jpg").await?;
    let answered = act(
        &resident,
        "mutation($r: ID!, $d: [DocumentUploadInput!]!) { reuploadDocuments(requestId: $r, documents: $d) }",
        json!({ "r": request_id, "d": [{ "code": "KARTU_KELUARGA", "uploadId": new_kk }] }),
    )
    .await?;
    assert_eq!(answered["reuploadDocuments"], "IN_REVIEW", "back with the officer who asked");
    let back = queue_item(&operator, &request_id, json!({ "status": "IN_REVIEW" })).await?;
    assert!(back["dueAt"].is_string(), "the clock runs again");

    // Still the operator's (claiming again changes nothing), completed with the signed PDF;
    // the resident downloads it.
    act(&operator, "mutation($r: ID!) { claimRequest(requestId: $r) }", json!({ "r": request_id })).await?;
    let photo = upload_as(&app, &operator, jpeg(50, 50), "bukan-pdf.jpg").await?;
    let not_pdf = operator
        .gql(
            "mutation($r: ID!, $u: [ID!]!) { completeRequest(requestId: $r, uploadIds: $u) }",
            json!({ "r": request_id, "u": [photo] }),
        )
        .await?;
    assert_eq!(not_pdf.error_code(), Some("UPLOAD_TYPE_NOT_ALLOWED"));
    let signed = upload_as(&app, &operator, pdf(), "akta-ttd.pdf").await?;
    act(
        &operator,
        "mutation($r: ID!, $u: [ID!]!) { completeRequest(requestId: $r, uploadIds: $u) }",
        json!({ "r": request_id, "u": [signed] }),
    )
    .await?;
    let done = board_status(&resident, "Selesai – dokumen dapat diunduh").await?;
    assert!(done["printNote"].as_str().unwrap_or_default().contains("kecamatan"));
    let url = done["downloadUrls"][0].as_str().context("download")?.to_owned();
    let download = resident.http.get(app.url(&url)).send().await?;
    assert_eq!(download.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    assert_eq!(download.bytes().await?.to_vec(), pdf());
    let owner_views: i64 =
        sqlx::query_scalar("SELECT count(*) FROM document_access_log WHERE purpose = 'owner' AND file_id = $1::uuid")
            .bind(url.trim_start_matches("/files/"))
            .fetch_one(&pool)
            .await?;
    assert_eq!(owner_views, 1, "the download is in the access log");
    let closed = operator.gql("mutation($r: ID!) { claimRequest(requestId: $r) }", json!({ "r": request_id })).await?;
    assert_eq!(closed.error_code(), Some("REQUEST_CLOSED"));

    // Another resident sees nothing of it and cannot touch it.
    let (other, _) = active_resident(&app, &operator, "6106010101900002", "Budi Santoso").await?;
    assert!(board(&other).await?.is_empty());
    let cancel = other.gql("mutation($r: ID!) { cancelRequest(requestId: $r) }", json!({ "r": request_id })).await?;
    assert_eq!(cancel.error_code(), Some("REQUEST_NOT_YOURS"));
    assert_eq!(other.http.get(app.url(&url)).send().await?.status().as_u16(), 404);

    // Replay rebuilds exactly what live projection built.
    e2e::assert_replay_rebuilds_live_read_models(&pool).await?;

    // A copy of the database after the walk names no resident: events and read models hold
    // their details sealed, the look-ups' audit masked (UU PDP).
    let found = act(
        &operator,
        "query($q: String!) { findResidents(query: $q) { residents { fullName } } }",
        json!({ "q": "siti ami" }),
    )
    .await?;
    assert_eq!(found.pointer("/findResidents/residents/0/fullName"), Some(&json!("Siti Aminah")), "{found}");
    e2e::caught_up(&pool).await?;
    e2e::assert_copy_holds_none_of(
        &pool,
        &[
            "6106015205900001",
            "6106010101900002",
            "Siti Aminah",
            "Budi Santoso",
            "6281234567890",
            "081234567890",
            "siti@example.id",
            "Dayang Sumbi",
        ],
    )?;
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn ktp_el_is_ready_for_pickup_then_collected(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, _) = active_resident(&app, &operator, "6106015205900001", "Siti Aminah").await?;
    let letter = upload_as(&app, &resident, pdf(), "polisi.pdf").await?;
    let kk = upload_as(&app, &resident, jpeg(80, 60), "kk.jpg").await?;
    let input = json!({ "i": { "serviceCode": "KTP_EL_HILANG", "fields": [{ "name": "tanggal_kehilangan", "value": "2026-11-20" }],
        "documents": [{ "code": "SURAT_KEHILANGAN", "uploadId": letter }, { "code": "KARTU_KELUARGA", "uploadId": kk }], "idempotencyKey": "ktp-hilang-001" } });
    let request_id = act(&resident, SUBMIT, input)
        .await?
        .pointer("/submitServiceRequest/requestId")
        .and_then(Value::as_str)
        .context("id")?
        .to_owned();
    queue_item(&operator, &request_id, Value::Null).await?;
    act(&operator, "mutation($r: ID!) { claimRequest(requestId: $r) }", json!({ "r": request_id })).await?;
    let wrong = operator
        .gql(
            "mutation($r: ID!, $u: [ID!]!) { completeRequest(requestId: $r, uploadIds: $u) }",
            json!({ "r": request_id, "u": [] }),
        )
        .await?;
    assert_eq!(wrong.error_code(), Some("NOT_A_DOWNLOAD_SERVICE"));
    act(
        &operator,
        "mutation($r: ID!, $p: String!, $f: DateTime!) { markReadyForPickup(requestId: $r, place: $p, availableFrom: $f) }",
        json!({ "r": request_id, "p": "Loket 2 Disdukcapil Kapuas Hulu", "f": "2026-12-01T01:00:00Z" }),
    )
    .await?;
    let ready = board_status(&resident, "Siap diambil").await?;
    assert_eq!(ready["pickup"]["place"], "Loket 2 Disdukcapil Kapuas Hulu");
    assert!(ready["pickup"]["message"].as_str().unwrap_or_default().contains("01-12-2026 08.00 WIB"));
    assert_eq!(ready["printNote"], Value::Null);
    act(&operator, "mutation($r: ID!) { markCollected(requestId: $r) }", json!({ "r": request_id })).await?;
    board_status(&resident, "Sudah diambil").await?;
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn two_operators_claim_at_once_and_exactly_one_wins(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let budi = app.staff("budi", Role::Operator).await?;
    let sri = app.staff("sri", Role::Operator).await?;
    let (resident, _) = active_resident(&app, &budi, "6106015205900001", "Siti Aminah").await?;
    let mut outcomes = Vec::new();
    for round in 0..5 {
        let input = birth_certificate_input(&app, &resident, &format!("kunci-balapan-{round}")).await?;
        let request_id = act(&resident, SUBMIT, input)
            .await?
            .pointer("/submitServiceRequest/requestId")
            .and_then(Value::as_str)
            .context("id")?
            .to_owned();
        let claim = "mutation($r: ID!) { claimRequest(requestId: $r) }";
        let vars = json!({ "r": request_id });
        let (a, b) = tokio::join!(budi.gql(claim, vars.clone()), sri.gql(claim, vars.clone()));
        let codes = [a?.error_code().map(str::to_owned), b?.error_code().map(str::to_owned)];
        outcomes.push(codes.clone());
        let winners = codes.iter().filter(|c| c.is_none()).count();
        let losers = codes.iter().filter(|c| c.as_deref() == Some("REQUEST_ALREADY_CLAIMED")).count();
        assert_eq!((winners, losers), (1, 1), "round {round}: {codes:?}");
    }
    let claims: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'RequestClaimed'").fetch_one(&pool).await?;
    assert_eq!(claims, 5, "{outcomes:?}");

    // A supervisor reassigns the last one to Sri; an operator may not, and a non-operator is no target.
    let supervisor = app.staff("kepala", Role::Supervisor).await?;
    let system = domain::CommandMetadata::system(uuid::Uuid::new_v4());
    let auditor = app.commands.staff.create("audit", "Audit", Role::Auditor, "sandi audit 2026", &system).await?;
    let last: String = sqlx::query_scalar(
        "SELECT aggregate_id FROM events WHERE event_type = 'RequestSubmitted' ORDER BY global_position DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await?;
    // The supervisor picks Sri from the staff who work the queue (no auditor among them).
    let assignable = eventually("the new staff in the directory", || async {
        let reply = supervisor.gql("{ assignableStaff { id username } }", json!({})).await?;
        let staff = reply.data()?.pointer("/assignableStaff").and_then(Value::as_array).cloned().unwrap_or_default();
        Ok((staff.len() == 3).then_some(staff))
    })
    .await?;
    let names: Vec<&str> = assignable.iter().filter_map(|s| s["username"].as_str()).collect();
    assert_eq!(names, ["budi", "kepala", "sri"], "by display name, no auditor");
    let sri_id = assignable.iter().find(|s| s["username"] == "sri").map(|s| s["id"].clone()).context("sri")?;
    let reassign = "mutation($r: ID!, $s: ID!) { reassignRequest(requestId: $r, staffId: $s) }";
    assert_eq!(budi.gql(reassign, json!({ "r": last, "s": sri_id })).await?.error_code(), Some("FORBIDDEN"));
    let to_auditor = supervisor.gql(reassign, json!({ "r": last, "s": auditor.id.to_string() })).await?;
    assert_eq!(to_auditor.error_code(), Some("STAFF_NOT_FOUND"));
    assert_eq!(act(&supervisor, reassign, json!({ "r": last, "s": sri_id })).await?["reassignRequest"], "IN_REVIEW");
    eventually("reassignment projected", || async {
        let item = queue_item(&supervisor, &last, json!({ "status": "IN_REVIEW" })).await?;
        Ok((item["claimedBy"] == sri_id && item["claimedByName"] == "sri").then_some(()))
    })
    .await?;
    app.stop().await
}

fn wib(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    local_instant(date, NaiveTime::from_hms_opt(h, min, 0).unwrap_or_default()).unwrap_or_default()
}

fn due_of(item: &Value) -> Option<String> {
    let due = DateTime::parse_from_rfc3339(item["dueAt"].as_str()?).ok()?;
    Some(due.with_timezone(&domain::working_time::OFFICE_TZ).format("%a %d-%m %H:%M").to_string())
}

#[sqlx::test(migrations = "../migrations")]
async fn sla_due_time_crosses_a_weekend_a_holiday_and_an_outage(pool: PgPool) -> anyhow::Result<()> {
    let clock = ManualClock::default();
    let app = TestApp::spawn_with_options(pool.clone(), Arc::new(clock.clone()), e2e::LONG_SESSIONS).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let supervisor = app.staff("sri", Role::Supervisor).await?;
    // Friday 4 December 2026, 15:00 WIB.
    clock.set_to(wib(2026, 12, 4, 15, 0));
    let (resident, _) = active_resident(&app, &operator, "6106015205900001", "Siti Aminah").await?;
    let input = birth_certificate_input(&app, &resident, "kunci-sla-0001").await?;
    let request_id = act(&resident, SUBMIT, input)
        .await?
        .pointer("/submitServiceRequest/requestId")
        .and_then(Value::as_str)
        .context("id")?
        .to_owned();

    // One working hour on Friday, the weekend is closed: due Monday 15:00.
    let item = queue_item(&operator, &request_id, Value::Null).await?;
    assert_eq!(due_of(&item).as_deref(), Some("Mon 07-12 15:00"));
    let left = |item: &Value| item["workingHoursLeft"].as_f64().unwrap_or(f64::NAN);
    assert!((left(&item) - 8.0).abs() < 0.01, "Friday 15–16 and Monday 08–15: {item}");

    // Monday becomes a holiday: due Tuesday 15:00.
    act(
        &supervisor,
        "mutation { addHoliday(date: \"2026-12-07\", name: \"Libur daerah\", kind: OFFICE_CLOSURE) { date } }",
        json!({}),
    )
    .await?;
    let moved = eventually("due moved by the holiday", || async {
        let item = queue_item(&operator, &request_id, Value::Null).await?;
        Ok((due_of(&item).as_deref() == Some("Tue 08-12 15:00")).then_some(item))
    })
    .await?;
    assert_eq!(moved["overdue"], false);

    // Tuesday 09:00–11:00 the link to the data centre is down: two working hours later,
    // 6 h remain at 11:00 → 16:00 is 5 h, the last hour on Wednesday: due Wednesday 09:00.
    clock.set_to(wib(2026, 12, 8, 9, 0));
    act(
        &supervisor,
        "mutation { declareOutage(reason: \"Jaringan ke pusat data Dukcapil terputus\") { declaredAt } }",
        json!({}),
    )
    .await?;
    let stopped = eventually("clock stopped by the outage", || async {
        let item = queue_item(&operator, &request_id, Value::Null).await?;
        Ok(item["dueAt"].is_null().then_some(item))
    })
    .await?;
    assert_eq!(stopped["overdue"], false);
    clock.set_to(wib(2026, 12, 8, 11, 0));
    act(&supervisor, "mutation { endOutage { endedAt } }", json!({})).await?;
    eventually("due after the outage", || async {
        let item = queue_item(&operator, &request_id, Value::Null).await?;
        Ok((due_of(&item).as_deref() == Some("Wed 09-12 09:00")).then_some(()))
    })
    .await?;

    // Wednesday 10:00: overdue, and the overdue filter finds it.
    clock.set_to(wib(2026, 12, 9, 10, 0));
    let late = queue_item(&operator, &request_id, json!({ "overdue": true })).await?;
    assert!((left(&late) + 1.0).abs() < 0.01, "an hour past Wednesday 09:00: {late}");
    assert_eq!(late["overdue"], true);
    app.stop().await
}

/// A submission takes its uploads in the statement that records it: of several submissions
/// sent at once with the same uploads under different keys, exactly one is recorded and holds
/// them; the others are `UPLOAD_NOT_USABLE` and leave nothing, and the uploads stay the
/// winner's (none is left attached for a stream without an event).
#[sqlx::test(migrations = "../migrations")]
async fn submissions_racing_for_the_same_uploads_record_exactly_one(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, _) = active_resident(&app, &operator, "6106015205900001", "Siti Aminah").await?;
    let form = birth_certificate_input(&app, &resident, "balapan-000").await?;
    let tries = (0..6).map(|i| {
        let mut form = form.clone();
        form["i"]["idempotencyKey"] = json!(format!("balapan-00{i}"));
        let resident = resident.clone();
        async move { resident.gql(SUBMIT, form).await }
    });
    let replies = futures::future::try_join_all(tries).await?;
    let won = replies.iter().filter(|r| r.body.pointer("/data/submitServiceRequest/number").is_some()).count();
    let lost: Vec<_> = replies
        .iter()
        .filter_map(|r| {
            // Seen as taken by the look-up (a field error), or lost in the append itself.
            let field = r.body.pointer("/errors/0/extensions/fields/0/code");
            field.or_else(|| r.body.pointer("/errors/0/extensions/code")).and_then(Value::as_str)
        })
        .collect();
    assert_eq!(won, 1, "{replies:?}");
    assert_eq!(lost, vec!["UPLOAD_NOT_USABLE"; 5], "{replies:?}");
    let submitted: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'RequestSubmitted'")
        .fetch_one(&pool)
        .await?;
    assert_eq!(submitted, 1);
    // Every upload of the form is attached for the one recorded stream, which names it.
    let uploads: Vec<uuid::Uuid> = form["i"]["documents"]
        .as_array()
        .context("documents")?
        .iter()
        .filter_map(|d| d["uploadId"].as_str()?.parse().ok())
        .collect();
    assert_eq!(uploads.len(), 3);
    let streams: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT attached_for FROM stored_files WHERE file_id = ANY($1)")
            .bind(&uploads)
            .fetch_all(&pool)
            .await?;
    let recorded: String = sqlx::query_scalar(
        "SELECT aggregate_type || ':' || aggregate_id FROM events WHERE event_type = 'RequestSubmitted'",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!(streams, vec![recorded]);
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_submissions_are_refused_with_codes_and_write_nothing(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, _) = active_resident(&app, &operator, "6106015205900001", "Siti Aminah").await?;
    let (other, _) = active_resident(&app, &operator, "6106010101900002", "Budi Santoso").await?;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;

    let mut unknown = birth_certificate_input(&app, &resident, "kunci-salah-001").await?;
    unknown["i"]["serviceCode"] = json!("SURAT_SAKTI");
    assert_eq!(resident.gql(SUBMIT, unknown).await?.error_code(), Some("UNKNOWN_SERVICE"));

    let mut missing = birth_certificate_input(&app, &resident, "kunci-salah-002").await?;
    missing["i"]["documents"].as_array_mut().context("docs")?.retain(|d| d["code"] != "KARTU_KELUARGA");
    for field in missing["i"]["fields"].as_array_mut().context("fields")? {
        if field["name"] == "anak_ke" {
            field["value"] = json!("nol");
        }
    }
    let reply = resident.gql(SUBMIT, missing).await?;
    assert_eq!(reply.error_code(), Some("INVALID_INPUT"));
    let fields: Vec<&str> = reply
        .body
        .pointer("/errors/0/extensions/fields")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert!(fields.contains(&"documents.KARTU_KELUARGA") && fields.contains(&"fields.anak_ke"), "{fields:?}");

    let mut theirs = birth_certificate_input(&app, &resident, "kunci-salah-003").await?;
    let foreign = upload_as(&app, &other, jpeg(60, 60), "kk.jpg").await?;
    theirs["i"]["documents"][1]["uploadId"] = json!(foreign);
    let reply = resident.gql(SUBMIT, theirs).await?;
    assert_eq!(reply.body.pointer("/errors/0/extensions/fields/0/code"), Some(&json!("UPLOAD_NOT_USABLE")));

    let mut photo_letter = birth_certificate_input(&app, &resident, "kunci-salah-004").await?;
    let photo = upload_as(&app, &resident, jpeg(60, 60), "surat.jpg").await?;
    photo_letter["i"]["serviceCode"] = json!("KIA");
    photo_letter["i"]["fields"] = json!([{ "name": "nik_anak", "value": "6106015205150001" }, { "name": "nama_anak", "value": "Dayang" }, { "name": "tanggal_lahir_anak", "value": "2015-05-12" }]);
    photo_letter["i"]["documents"] = json!([{ "code": "AKTA_KELAHIRAN_ANAK", "uploadId": photo }]);
    let reply = resident.gql(SUBMIT, photo_letter).await?;
    let codes: Vec<&str> = reply
        .body
        .pointer("/errors/0/extensions/fields")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter_map(|e| e["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(codes.contains(&"DOCUMENT_REQUIRED"), "{codes:?}");

    let mut bad_key = birth_certificate_input(&app, &resident, "x").await?;
    bad_key["i"]["idempotencyKey"] = json!("x");
    assert_eq!(resident.gql(SUBMIT, bad_key).await?.error_code(), Some("INVALID_IDEMPOTENCY_KEY"));
    assert_eq!(
        operator.gql(SUBMIT, birth_certificate_input(&app, &resident, "kunci-salah-005").await?).await?.error_code(),
        Some("FORBIDDEN")
    );

    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
    assert_eq!(after, before, "nothing was written");
    let attached: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM stored_files WHERE attached_to LIKE 'Account:%' AND uploaded_by LIKE 'resident:%'",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!(attached, 0, "refused submissions leave their uploads unattached");
    app.stop().await
}

/// A request that comes back from re-upload returns to the officer who asked for the documents
/// (their claim, in review), so no colleague takes it in between and they need not find it
/// again; if that officer can no longer work the queue (deactivated meanwhile) it comes back
/// unclaimed, for anyone. Replay gives the same rows.
#[sqlx::test(migrations = "../migrations")]
async fn a_request_back_from_reupload_returns_to_the_officer_who_asked(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let admin = app.staff("kepala", Role::Admin).await?;
    let budi = app.staff("budi", Role::Operator).await?;
    let rina = app.staff("rina", Role::Operator).await?;
    let budi_id = act(&budi, "{ currentStaff { id } }", json!({})).await?["currentStaff"]["id"].clone();
    let (resident, _) = active_resident(&app, &rina, "6106015205900001", "Siti Aminah").await?;
    let demand = "mutation($r: ID!, $i: [ReuploadItemInput!]!) { demandReupload(requestId: $r, items: $i) }";
    let reupload = "mutation($r: ID!, $d: [DocumentUploadInput!]!) { reuploadDocuments(requestId: $r, documents: $d) }";
    let items = json!([{ "documentCode": "KARTU_KELUARGA", "reason": "Foto KK buram, mohon foto ulang" }]);
    let mut requests = Vec::new();
    for key in ["kunci-kembali-01", "kunci-kembali-02"] {
        let input = birth_certificate_input(&app, &resident, key).await?;
        let id = act(&resident, SUBMIT, input).await?["submitServiceRequest"]["requestId"].clone();
        act(&budi, "mutation($r: ID!) { claimRequest(requestId: $r) }", json!({ "r": id })).await?;
        act(&budi, demand, json!({ "r": id, "i": items })).await?;
        requests.push(id.as_str().context("id")?.to_owned());
    }

    // Budi asked; the answer comes back to Budi, in review, and Rina cannot take it.
    let kk = upload_as(&app, &resident, jpeg(100, 70), "kk2.jpg").await?;
    let answered =
        act(&resident, reupload, json!({ "r": requests[0], "d": [{ "code": "KARTU_KELUARGA", "uploadId": kk }] }))
            .await?;
    assert_eq!(answered["reuploadDocuments"], "IN_REVIEW");
    let back = queue_item(&budi, &requests[0], json!({ "status": "IN_REVIEW" })).await?;
    assert_eq!((&back["claimedBy"], &back["claimedByName"]), (&budi_id, &json!("budi")), "{back}");
    assert!(back["dueAt"].is_string(), "the clock runs again");
    let mine = queue_item(&budi, &requests[0], json!({ "assignedToMe": true })).await?;
    assert_eq!(mine["requestId"], json!(requests[0]), "in Budi's own list");
    let taken = rina.gql("mutation($r: ID!) { claimRequest(requestId: $r) }", json!({ "r": requests[0] })).await?;
    assert_eq!(taken.error_code(), Some("REQUEST_ALREADY_CLAIMED"));
    board_status(&resident, "Sedang diproses").await?;
    // Budi may release it as any claim.
    act(&budi, "mutation($r: ID!) { releaseRequest(requestId: $r) }", json!({ "r": requests[0] })).await?;
    queue_item(&rina, &requests[0], json!({ "status": "SUBMITTED" })).await?;

    // Budi is deactivated before the second answer arrives: it comes back unclaimed.
    act(&admin, "mutation($s: ID!) { deactivateStaff(staffId: $s) { id } }", json!({ "s": budi_id })).await?;
    let kk = upload_as(&app, &resident, jpeg(100, 70), "kk3.jpg").await?;
    let answered =
        act(&resident, reupload, json!({ "r": requests[1], "d": [{ "code": "KARTU_KELUARGA", "uploadId": kk }] }))
            .await?;
    assert_eq!(answered["reuploadDocuments"], "SUBMITTED");
    let back = queue_item(&rina, &requests[1], json!({ "status": "SUBMITTED" })).await?;
    assert_eq!(back["claimedBy"], Value::Null, "{back}");
    act(&rina, "mutation($r: ID!) { claimRequest(requestId: $r) }", json!({ "r": requests[1] })).await?;

    // Replay rebuilds exactly what live projection built.
    e2e::assert_replay_rebuilds_live_read_models(&pool).await?;

    app.stop().await
}

/// While an outage declared in the office calendar lasts, every open request on the resident's
/// board says so (the reason, and that the processing time is stopped), in the board's query
/// and pushed over the subscription; a closed request does not, and once the outage ends the
/// notice is gone.
#[sqlx::test(migrations = "../migrations")]
async fn the_board_tells_residents_of_an_outage_while_it_lasts(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let supervisor = app.staff("sri", Role::Supervisor).await?;
    let (resident, _) = active_resident(&app, &operator, "6106015205900001", "Siti Aminah").await?;
    let mut ids = Vec::new();
    for key in ["kunci-gangguan-01", "kunci-gangguan-02"] {
        let input = birth_certificate_input(&app, &resident, key).await?;
        ids.push(act(&resident, SUBMIT, input).await?["submitServiceRequest"]["requestId"].clone());
    }
    act(&resident, "mutation($r: ID!) { cancelRequest(requestId: $r) }", json!({ "r": ids[1] })).await?;
    let notices = || async {
        let reply = resident.gql("{ myRequests { nodes { requestId status notice } } }", json!({})).await?;
        let nodes = reply.data()?.pointer("/myRequests/nodes").and_then(Value::as_array).cloned().unwrap_or_default();
        let of = |id: &Value| nodes.iter().find(|n| &n["requestId"] == id).map(|n| n["notice"].clone());
        Ok::<_, anyhow::Error>((of(&ids[0]), of(&ids[1])))
    };
    eventually("both on the board", || async {
        Ok((notices().await? == (Some(Value::Null), Some(Value::Null))).then_some(()))
    })
    .await?;
    // The cancellation projected before the socket opens, so its push cannot be taken for the
    // outage's.
    board_status(&resident, "Dibatalkan").await?;
    let cookie = resident.cookie_header().context("cookie")?;
    let mut socket =
        e2e::socket::subscribe(&app, Some(&cookie), "subscription { myRequestUpdates { requestId notice } }").await?;
    // Let the server start the subscription before anything happens.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    act(
        &supervisor,
        "mutation { declareOutage(reason: \"Jaringan ke pusat data Dukcapil terputus\") { declaredAt } }",
        json!({}),
    )
    .await?;
    let expected =
        json!("Layanan terganggu: Jaringan ke pusat data Dukcapil terputus, waktu proses dihentikan sementara.");
    let during = eventually("the notice on the open request", || async {
        let n = notices().await?;
        Ok((n.0.as_ref() == Some(&expected)).then_some(n))
    })
    .await?;
    assert_eq!(during.1, Some(Value::Null), "a cancelled request has nothing to wait for");
    let pushed = e2e::socket::next_message(&mut socket, std::time::Duration::from_secs(10)).await?.context("push")?;
    assert_eq!(pushed.pointer("/payload/data/myRequestUpdates/requestId"), Some(&ids[0]), "{pushed}");
    assert_eq!(pushed.pointer("/payload/data/myRequestUpdates/notice"), Some(&expected), "{pushed}");

    act(&supervisor, "mutation { endOutage { endedAt } }", json!({})).await?;
    eventually("the notice gone", || async {
        Ok((notices().await? == (Some(Value::Null), Some(Value::Null))).then_some(()))
    })
    .await?;
    let pushed = e2e::socket::next_message(&mut socket, std::time::Duration::from_secs(10)).await?.context("push")?;
    assert_eq!(pushed.pointer("/payload/data/myRequestUpdates/notice"), Some(&Value::Null), "{pushed}");
    app.stop().await
}
