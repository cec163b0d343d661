//! Notifications end to end: the real server, a real SMTP server and a stand-in of the WhatsApp
//! Cloud API on loopback, with failures injected. Every message arrives once per idempotency
//! key (a repeat only with the same key), a refused number becomes a dead letter a supervisor
//! can send again, the reset code reaches the registered number, a killed sender loses nothing,
//! and a replay sends nothing.

use std::time::Duration;

use anyhow::Context;
use domain::staff::Role;
use e2e::gateway::WhatsAppGateway;
use e2e::process::{Database, Remote, Server, free_port, wait_until};
use e2e::smtp::SmtpPeer;
use e2e::{Client, Site, TestApp, active_resident, birth_certificate_input, eventually, pdf, upload_as};
use serde_json::{Value, json};
use sqlx::PgPool;

const NIK: &str = "6106015205900001";
const PHONE: &str = "6281234567890";
const EMAIL: &str = "siti.aminah@contoh.id";
const TOKEN: &str = "token-rahasia-gateway";
const WAIT: Duration = Duration::from_secs(30);

/// The channels pointed at the peers, with short waits so retries happen within a test.
fn channel_args(gateway: &WhatsAppGateway, smtp: &SmtpPeer) -> Vec<String> {
    [
        "--notify-whatsapp",
        "cloud",
        "--whatsapp-api-url",
        &gateway.url(),
        "--whatsapp-phone-number-id",
        "10987654321",
        "--whatsapp-token",
        TOKEN,
        "--notify-email",
        "smtp",
        "--smtp-url",
        &smtp.url(),
        "--email-from",
        "Dukcapil Kapuas Hulu <layanan@dukcapil.test>",
        "--notify-timeout-seconds",
        "1",
        "--notify-retry-base-seconds",
        "0.05",
        "--notify-retry-max-seconds",
        "0.2",
        "--notify-poll-ms",
        "50",
    ]
    .map(str::to_owned)
    .to_vec()
}

async fn spawn(pool: &PgPool, gateway: &WhatsAppGateway, smtp: &SmtpPeer) -> anyhow::Result<TestApp> {
    let args = channel_args(gateway, smtp);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    TestApp::spawn_with_args(pool.clone(), &args).await
}

async fn act(client: &Client, query: &str, variables: Value) -> anyhow::Result<Value> {
    Ok(client.gql(query, variables).await?.data()?.clone())
}

/// The outbox's rows as (template, channel, state), in order.
async fn outbox(pool: &PgPool) -> anyhow::Result<Vec<(String, String, String)>> {
    Ok(sqlx::query_as("SELECT template, channel, state FROM notification_outbox ORDER BY id").fetch_all(pool).await?)
}

async fn metrics(app: &TestApp) -> anyhow::Result<String> {
    Ok(reqwest::get(app.url("/metrics")).await?.text().await?)
}

/// The value of one sample of `/metrics`, e.g. `dukcapil_notifications_dead`.
fn sample(text: &str, series: &str) -> f64 {
    text.lines().find_map(|line| line.strip_prefix(series).and_then(|rest| rest.trim().parse().ok())).unwrap_or(0.0)
}

#[sqlx::test(migrations = "../migrations")]
async fn residents_hear_of_each_decision_once_per_channel_through_failures(pool: PgPool) -> anyhow::Result<()> {
    let (gateway, smtp) = (WhatsAppGateway::start().await?, SmtpPeer::start().await?);
    // The gateway refuses the first two attempts and loses one answer (the message got
    // through; the sender times out and sends it again with the same key); the mail server
    // refuses the first mail for now.
    gateway.fail_next(2);
    gateway.hang_once(Duration::from_secs(3));
    smtp.fail_next(1);
    let app = spawn(&pool, &gateway, &smtp).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let resident = e2e::registered_resident_with(&app, NIK, "Siti Aminah", Some(EMAIL)).await?;
    let account_id = e2e::approve_queued(&app, &operator, NIK).await?;
    resident.resident_login(&pool, NIK, e2e::RESIDENT_PASSWORD).await?.data()?;

    // A request: the KK asked again, answered, then e-mail turned off before completion.
    let input = birth_certificate_input(&app, &resident, "kunci-pemberitahuan-1").await?;
    let submitted = act(
        &resident,
        "mutation($i: SubmitServiceRequestInput!) { submitServiceRequest(input: $i) { requestId number } }",
        input,
    )
    .await?;
    let request_id =
        submitted.pointer("/submitServiceRequest/requestId").and_then(Value::as_str).context("id")?.to_owned();
    let number =
        submitted.pointer("/submitServiceRequest/number").and_then(Value::as_str).context("number")?.to_owned();
    eventually("queued", || async {
        let reply =
            operator.gql("mutation($r: ID!) { claimRequest(requestId: $r) }", json!({ "r": request_id })).await?;
        Ok(reply.error_code().is_none().then_some(()))
    })
    .await?;
    act(
        &operator,
        "mutation($r: ID!, $i: [ReuploadItemInput!]!) { demandReupload(requestId: $r, items: $i) }",
        json!({ "r": request_id, "i": [{ "documentCode": "KARTU_KELUARGA", "reason": "Foto KK buram" }] }),
    )
    .await?;
    let new_kk = upload_as(&app, &resident, e2e::jpeg(100, 70), "kk2.jpg").await?;
    eventually("re-upload accepted", || async {
        let reply = resident
            .gql(
                "mutation($r: ID!, $d: [DocumentUploadInput!]!) { reuploadDocuments(requestId: $r, documents: $d) }",
                json!({ "r": request_id, "d": [{ "code": "KARTU_KELUARGA", "uploadId": new_kk }] }),
            )
            .await?;
        Ok(reply.error_code().is_none().then_some(()))
    })
    .await?;
    let off = act(&resident, "mutation { setNotificationPreferences(whatsapp: true, email: false) { notificationSettings { whatsapp email } } }", json!({})).await?;
    assert_eq!(
        off.pointer("/setNotificationPreferences/notificationSettings"),
        Some(&json!({ "whatsapp": true, "email": false }))
    );
    let akta = upload_as(&app, &operator, pdf(), "akta.pdf").await?;
    eventually("completed", || async {
        let reply = operator
            .gql(
                "mutation($r: ID!, $u: [ID!]!) { completeRequest(requestId: $r, uploadIds: $u) }",
                json!({ "r": request_id, "u": [akta] }),
            )
            .await?;
        Ok(reply.error_code().is_none().then_some(()))
    })
    .await?;

    // WhatsApp: approval, re-upload, completion; e-mail: approval and re-upload only. Every
    // delivery recorded first, so that no repeat is still on its way.
    gateway.wait_for(3, WAIT).await?;
    smtp.wait_for(2, WAIT).await?;
    let rows = eventually("all recorded", || async {
        let rows = outbox(&pool).await?;
        Ok((rows.len() == 6 && rows.iter().all(|(_, _, state)| state != "PENDING")).then_some(rows))
    })
    .await?;
    let messages = gateway.accepted();
    let mut mails = smtp.mails();
    mails.sort_by_key(|m| {
        m.message_id().and_then(|id| id.trim_start_matches('<').split('_').next()?.parse::<i64>().ok())
    });
    // Arrival order is the order retries allowed, not the order of the events.
    let mut messages = messages;
    messages.sort_by_key(|m| m.key.as_deref().and_then(|k| k.split(':').next()?.parse::<i64>().ok()));
    let templates: Vec<&str> = messages.iter().map(|m| m.template()).collect();
    assert_eq!(templates, ["akun_diverifikasi", "unggah_ulang_dokumen", "pengajuan_selesai"], "{templates:?}");
    let keys: std::collections::BTreeSet<_> = messages.iter().filter_map(|m| m.key.clone()).collect();
    assert_eq!(keys.len(), 3, "one idempotency key per message");
    for message in &messages {
        assert_eq!(message.to(), PHONE);
        assert_eq!(message.authorization.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
        assert_eq!(message.phone_number_id, "10987654321");
        assert!(!message.body.to_string().contains(NIK), "never the full NIK: {}", message.body);
    }
    assert!(messages[0].parameters().contains(&"6106********0001".to_owned()), "{:?}", messages[0].parameters());
    assert!(messages[1].parameters().iter().any(|p| p.contains("Kartu Keluarga") && p.contains("Foto KK buram")));
    assert!(messages[2].parameters().contains(&number));
    assert_eq!(gateway.duplicates(), 1, "the message whose answer was lost came again, with its key");
    assert_eq!(gateway.attempts(), 3 + 2 + 1, "three messages, two refused attempts, one repeat");
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|m| m.to == [EMAIL]));
    assert_eq!(mails[0].subject().as_deref(), Some("Akun Anda telah diverifikasi"));
    assert!(mails[1].part("text/plain").unwrap_or_default().contains(&number));
    assert!(mails[1].part("text/html").unwrap_or_default().contains("<a href="));
    let ids: std::collections::BTreeSet<_> = mails.iter().filter_map(|m| m.message_id()).collect();
    assert_eq!(ids.len(), 2, "Message-ID from each idempotency key");
    assert_eq!(smtp.attempts(), 3, "one refused for now, then both");

    // The outbox: five sent, the completion's e-mail skipped; the board says so.
    let states: Vec<(&str, &str, &str)> = rows.iter().map(|(t, c, s)| (t.as_str(), c.as_str(), s.as_str())).collect();
    assert_eq!(
        states,
        [
            ("account_approved", "WHATSAPP", "SENT"),
            ("account_approved", "EMAIL", "SENT"),
            ("reupload_demanded", "WHATSAPP", "SENT"),
            ("reupload_demanded", "EMAIL", "SENT"),
            ("request_completed", "WHATSAPP", "SENT"),
            ("request_completed", "EMAIL", "SKIPPED"),
        ]
    );
    let board = act(&resident, "{ myRequests { nodes { notifications { channel state label } } } }", json!({})).await?;
    let notes = board.pointer("/myRequests/nodes/0/notifications").cloned().unwrap_or_default();
    let whatsapp = notes.as_array().and_then(|n| n.iter().find(|n| n["channel"] == "WHATSAPP")).context("whatsapp")?;
    assert_eq!(whatsapp["state"], "SENT");
    let label = whatsapp["label"].as_str().unwrap_or_default();
    assert!(label.starts_with("Pemberitahuan terkirim via WhatsApp ") && label.ends_with(" WIB"), "{label}");
    let email = notes.as_array().and_then(|n| n.iter().find(|n| n["channel"] == "EMAIL")).context("email")?;
    assert_eq!(email["state"], "SKIPPED");

    // Metrics count what happened.
    let text = metrics(&app).await?;
    assert_eq!(
        sample(&text, "dukcapil_notification_deliveries_total{channel=\"WHATSAPP\",result=\"sent\"}"),
        3.0,
        "{text}"
    );
    assert_eq!(sample(&text, "dukcapil_notification_deliveries_total{channel=\"WHATSAPP\",result=\"failed\"}"), 3.0);
    assert_eq!(sample(&text, "dukcapil_notification_deliveries_total{channel=\"EMAIL\",result=\"failed\"}"), 1.0);
    assert_eq!(sample(&text, "dukcapil_notifications_pending"), 0.0);

    // A replay rebuilds the read models and sends nothing.
    let attempts = (gateway.attempts(), smtp.attempts());
    projections::replay(&pool, &e2e::development_vault(&pool)?, &projections::all(), 500, |_| {}).await?;
    e2e::assert_replay_rebuilds_live_read_models(&pool).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!((gateway.attempts(), smtp.attempts()), attempts, "a replay sends nothing");
    assert_eq!(outbox(&pool).await?, rows, "and leaves the outbox as it was");
    let _ = account_id;
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn the_reset_code_reaches_the_registered_number_and_opens_the_account(pool: PgPool) -> anyhow::Result<()> {
    let (gateway, smtp) = (WhatsAppGateway::start().await?, SmtpPeer::start().await?);
    let app = spawn(&pool, &gateway, &smtp).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, account_id) = active_resident(&app, &operator, NIK, "Siti Aminah").await?;
    // Turning WhatsApp off does not stop the code: it answers the resident's own request.
    act(&resident, "mutation { setNotificationPreferences(whatsapp: false, email: false) { accountId } }", json!({}))
        .await?;
    let (token, ids) = e2e::identity_uploads(&app, &resident).await?;
    let (captcha, answer) = resident.solve_captcha(&pool).await?;
    act(&resident, "mutation($i: RequestPasswordResetInput!) { requestPasswordReset(input: $i) }", json!({ "i": {
        "nik": NIK, "fullName": "Siti Aminah",
        "documents": { "identityDocumentKind": "KTP_EL", "identityUploadId": ids[0], "familyCardUploadId": ids[1], "selfieUploadId": ids[2] },
        "uploadToken": token, "captchaId": captcha, "captchaAnswer": answer } })).await?;
    let approved = eventually("reset queued", || async {
        let reply = operator
            .gql("mutation($a: ID!) { approvePasswordReset(accountId: $a) { code } }", json!({ "a": account_id }))
            .await?;
        Ok(reply.error_code().is_none().then(|| reply.data().ok().cloned()).flatten())
    })
    .await?;
    let code = approved.pointer("/approvePasswordReset/code").and_then(Value::as_str).context("code")?.to_owned();

    let messages = gateway.wait_for(2, WAIT).await?;
    let reset = messages.iter().find(|m| m.template() == "kode_reset_kata_sandi").context("reset message")?;
    let sent_code = reset.parameters().get(1).cloned().context("code parameter")?;
    assert_eq!(sent_code, code);
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT payload::text FROM events WHERE event_type = 'PasswordResetApproved'
         UNION ALL SELECT params::text || coalesce(sealed_secret, '') FROM notification_outbox",
    )
    .fetch_all(&pool)
    .await?;
    assert!(stored.iter().all(|s| !s.contains(&code)), "the code is stored sealed only");
    let done = app
        .client()?
        .gql("mutation($n: String!, $c: String!, $p: String!) { completePasswordReset(nik: $n, code: $c, newPassword: $p) }", json!({ "n": NIK, "c": sent_code, "p": "sandi baru dari wa" }))
        .await?;
    assert_eq!(done.data()?["completePasswordReset"], json!(true));
    assert!(smtp.mails().is_empty(), "no e-mail address, no mail");
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_refused_number_is_a_dead_letter_that_a_supervisor_sends_again(pool: PgPool) -> anyhow::Result<()> {
    let (gateway, smtp) = (WhatsAppGateway::start().await?, SmtpPeer::start().await?);
    gateway.refuse(PHONE);
    let app = spawn(&pool, &gateway, &smtp).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let supervisor = app.staff("sri", Role::Supervisor).await?;
    active_resident(&app, &operator, NIK, "Siti Aminah").await?;

    let dead = "{ notificationDeadLetters { nodes { id channel template recipient attempts reason lastError } } }";
    let letter = eventually("dead letter", || async {
        let reply = act(&supervisor, dead, json!({})).await?;
        Ok(reply.pointer("/notificationDeadLetters/nodes/0").cloned())
    })
    .await?;
    assert_eq!(letter["channel"], "WHATSAPP");
    assert_eq!(letter["template"], "account_approved");
    assert_eq!(letter["recipient"], "6281••••••890");
    assert_eq!(letter["attempts"], 1, "a refusal is not retried");
    assert_eq!(letter["reason"], "REFUSED");
    assert!(letter["lastError"].as_str().unwrap_or_default().contains("131026"), "{letter}");
    assert_eq!(gateway.attempts(), 1);
    let text = metrics(&app).await?;
    assert_eq!(sample(&text, "dukcapil_notifications_dead"), 1.0);

    // Sent again: tried once more (and refused again, the number still being bad).
    let id = letter["id"].as_str().context("id")?.to_owned();
    let retried = act(&supervisor, "mutation($i: ID!) { retryNotification(id: $i) }", json!({ "i": id })).await?;
    assert_eq!(retried["retryNotification"], true);
    wait_until("tried again", WAIT, async || gateway.attempts() == 2).await?;
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'NOTIFICATION_RETRIED' AND subject = $1")
            .bind(format!("notification:{id}"))
            .fetch_one(&pool)
            .await?;
    assert_eq!(audited, 1);
    let again = eventually("dead again", || async {
        let reply = act(&supervisor, dead, json!({})).await?;
        Ok(reply.pointer("/notificationDeadLetters/nodes/0").filter(|n| n["id"] == id.as_str()).cloned())
    })
    .await?;
    assert_eq!(again["attempts"], 1, "a fresh round of attempts");
    let not_dead = act(&supervisor, "mutation { retryNotification(id: \"999999\") }", json!({})).await?;
    assert_eq!(not_dead["retryNotification"], false);
    Ok(())
}

/// `kill -9` of the only sender while the gateway holds its answer: the lease runs out, the
/// restarted instance sends the message again with the same key, and nothing is lost.
#[tokio::test]
async fn a_sender_killed_mid_delivery_loses_no_message() -> anyhow::Result<()> {
    let db = Database::new();
    let pool = db.migrated().await?;
    let (gateway, smtp) = (WhatsAppGateway::start().await?, SmtpPeer::start().await?);
    gateway.hang_once(Duration::from_secs(60));
    let args = channel_args(&gateway, &smtp);
    let env: Vec<(String, String)> = args
        .chunks(2)
        .map(|pair| (pair[0].trim_start_matches("--").replace('-', "_").to_uppercase(), pair[1].clone()))
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let port = free_port()?;
    let mut server = Server::start_on(&db, port, &env)?;
    let probe = reqwest::Client::new();
    server.wait_answering(&probe, WAIT).await?;
    let site = Remote { base: server.url(""), pool: &pool };
    api::cli::create_admin(&pool, &e2e::development_vault(&pool)?, "admin", "Admin Dinas", "sandi admin dinas 2026")
        .await?;
    let admin = site.client()?;
    admin.staff_login("admin", "sandi admin dinas 2026").await?;
    act(&admin, "mutation($i: CreateStaffInput!) { createStaff(input: $i) { id } }", json!({ "i": { "username": "budi", "displayName": "Budi", "role": "OPERATOR", "password": "sandi budi 2026" } })).await?;
    let operator = site.client()?;
    operator.staff_login("budi", "sandi budi 2026").await?;
    active_resident(&site, &operator, NIK, "Siti Aminah").await?;

    // The message is at the gateway, its answer held back: the sender dies now.
    wait_until("message at the gateway", WAIT, async || gateway.attempts() == 1).await?;
    server.kill9()?;
    let mut server = Server::start_on(&db, port, &env)?;
    server.wait_answering(&probe, WAIT).await?;
    let state = eventually("delivered after the restart", || async {
        let row: Option<(String, i32)> =
            sqlx::query_as("SELECT state, attempts FROM notification_outbox WHERE state <> 'PENDING'")
                .fetch_optional(&pool)
                .await?;
        Ok(row)
    })
    .await?;
    assert_eq!(state, ("SENT".to_owned(), 2), "claimed again once the dead sender's lease ran out");
    assert_eq!(gateway.accepted().len(), 1, "one message");
    assert_eq!(gateway.duplicates(), 1, "sent twice, with the same key");
    server.terminate(Duration::from_secs(10)).await?;
    Ok(())
}
