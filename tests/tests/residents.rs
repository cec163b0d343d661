//! Resident accounts end to end, through the real HTTP server, real files and a fresh database:
//! registration with documents, verification, login, `me`, file access, forgotten password,
//! legacy access with an injectable clock, and the bad input of each step.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Duration};
use commands::ManualClock;
use domain::staff::Role;
use e2e::{Client, TestApp, eventually, jpeg, pdf};
use serde_json::{Value, json};
use sqlx::PgPool;

const NIK: &str = "6106015205900001";
const PASSWORD: &str = "rumah panjang 2026";

const REGISTER: &str =
    "mutation($i: RegisterAccountInput!) { registerAccount(input: $i) { nikMasked message whatsapp { link } } }";

/// Uploads KTP, KK and selfie with a fresh token; returns the token and the three ids.
async fn upload_documents(app: &TestApp, client: &Client) -> anyhow::Result<(String, [String; 3])> {
    e2e::identity_uploads(app, client).await
}

fn registration(nik: &str, name: &str, phone: &str, token: &str, ids: &[String; 3], captcha: (&str, &str)) -> Value {
    json!({ "i": {
        "nik": nik, "fullName": name, "phone": phone, "email": "siti@example.co.id", "password": PASSWORD,
        "documents": { "identityDocumentKind": "KTP_EL", "identityUploadId": ids[0], "familyCardUploadId": ids[1], "selfieUploadId": ids[2] },
        "uploadToken": token, "captchaId": captcha.0, "captchaAnswer": captcha.1,
    }})
}

/// Registers a resident through the API; returns the account id from the operator's queue.
async fn register(app: &TestApp, nik: &str, name: &str) -> anyhow::Result<()> {
    let client = app.client()?;
    let (token, ids) = upload_documents(app, &client).await?;
    let (captcha, answer) = client.solve_captcha(&app.pool).await?;
    let reply =
        client.gql(REGISTER, registration(nik, name, "0812-3456-7890", &token, &ids, (&captcha, &answer))).await?;
    reply.data()?;
    Ok(())
}

async fn queued_account(operator: &Client, nik_masked: &str) -> anyhow::Result<Value> {
    eventually("account in the verification queue", || async {
        let reply = operator
            .gql(
                "{ accountVerificationQueue(first: 50) { totalCount edges { node { accountId nikMasked fullName phone waitingWorkingHours documents { kind identityUrl familyCardUrl selfieUrl } } } } }",
                json!({}),
            )
            .await?;
        let edges = reply.data()?.pointer("/accountVerificationQueue/edges").and_then(Value::as_array).cloned().unwrap_or_default();
        Ok(edges.into_iter().map(|e| e["node"].clone()).find(|n| n["nikMasked"] == nik_masked))
    })
    .await
}

async fn approve(operator: &Client, account_id: &str) -> anyhow::Result<()> {
    operator
        .gql("mutation($a: ID!) { approveAccount(accountId: $a) { accountId } }", json!({ "a": account_id }))
        .await?
        .data()?;
    Ok(())
}

/// The message inside a `wa.me` link to the test residents' number, decoded.
fn whatsapp_text(link: &Value) -> anyhow::Result<String> {
    let link = link.as_str().context("no WhatsApp link")?;
    let encoded = link.strip_prefix("https://wa.me/6281234567890?text=").context("not to the registered number")?;
    let mut bytes = Vec::new();
    let mut rest = encoded.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' && tail.len() >= 2 {
            bytes.push(u8::from_str_radix(std::str::from_utf8(&tail[..2])?, 16)?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    Ok(String::from_utf8(bytes)?)
}

async fn get(client: &Client, app: &TestApp, path: &str) -> anyhow::Result<(u16, String, Vec<u8>)> {
    let response = client.http.get(app.url(path)).send().await?;
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    Ok((status, content_type, response.bytes().await?.to_vec()))
}

async fn count(pool: &PgPool, sql: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(sql).fetch_one(pool).await?)
}

#[sqlx::test(migrations = "../migrations")]
async fn register_wait_for_verification_login_and_see_only_your_own_files(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let resident = app.client()?;
    let (token, ids) = upload_documents(&app, &resident).await?;
    let (captcha, answer) = resident.solve_captcha(&pool).await?;
    let receipt = resident
        .gql(REGISTER, registration(NIK, "Siti Aminah", "0812-3456-7890", &token, &ids, (&captcha, &answer)))
        .await?;
    let receipt = receipt.data()?["registerAccount"].clone();
    assert_eq!(receipt["nikMasked"], "6106********0001");
    assert!(receipt["message"].as_str().unwrap_or_default().contains("WhatsApp"));
    assert_eq!(receipt["whatsapp"][0]["link"], "https://wa.me/6281234567890");

    // Login before verification: refused, saying why (the password was right).
    let refused = resident.resident_login(&pool, NIK, PASSWORD).await?;
    assert_eq!(refused.error_code(), Some("ACCOUNT_AWAITING_VERIFICATION"));

    // The operator sees the account, opens the selfie (logged), and approves.
    let operator = app.staff("budi", Role::Operator).await?;
    let item = queued_account(&operator, "6106********0001").await?;
    assert_eq!(item["fullName"], "Siti Aminah");
    assert_eq!(item["phone"], "6281234567890");
    assert!(item["waitingWorkingHours"].as_f64().is_some_and(|h| (0.0..1.0).contains(&h)));
    let selfie_url = item["documents"]["selfieUrl"].as_str().context("selfie url")?.to_owned();
    let (status, content_type, bytes) = get(&operator, &app, &selfie_url).await?;
    assert_eq!((status, content_type.as_str()), (200, "image/jpeg"));
    assert!(image::load_from_memory(&bytes).is_ok(), "the stored photo decodes");
    let logged = count(
        &pool,
        "SELECT count(*) FROM document_access_log WHERE purpose = 'verification' AND viewer_kind = 'STAFF'",
    )
    .await?;
    assert_eq!(logged, 1);
    // Stored encrypted: the bytes on disk are not the photo.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT sha256 FROM stored_files WHERE file_id = $1::uuid")
        .bind(selfie_url.trim_start_matches("/files/"))
        .fetch_one(&pool)
        .await?;
    assert_eq!(stored.len(), 32);

    let account_id = item["accountId"].as_str().context("account id")?.to_owned();
    approve(&operator, &account_id).await?;
    let login = resident.resident_login(&pool, NIK, PASSWORD).await?;
    assert_eq!(login.data()?.pointer("/login/resident/status"), Some(&json!("ACTIVE")));
    let me = resident
        .gql("{ me { accountId nikMasked fullName phone email status legacyDocuments { title } } }", json!({}))
        .await?;
    assert_eq!(
        me.data()?["me"],
        json!({ "accountId": account_id, "nikMasked": "6106********0001", "fullName": "Siti Aminah", "phone": "6281234567890",
                "email": "siti@example.co.id", "status": "ACTIVE", "legacyDocuments": [] })
    );
    let (status, _, _) = get(&resident, &app, &selfie_url).await?;
    assert_eq!(status, 200, "a resident sees their own documents");

    // Another resident cannot read these files; nobody anonymous can.
    register(&app, "6106010101900002", "Budi Santoso").await?;
    let other_item = queued_account(&operator, "6106********0002").await?;
    approve(&operator, other_item["accountId"].as_str().context("id")?).await?;
    let other = app.client()?;
    other.resident_login(&pool, "6106010101900002", PASSWORD).await?.data()?;
    let (status, _, body) = get(&other, &app, &selfie_url).await?;
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    let (status, _, _) = get(&app.client()?, &app, &selfie_url).await?;
    assert_eq!(status, 401);
    // Auditors and admins do not see residents' documents either.
    let auditor = app.staff("audit", Role::Auditor).await?;
    assert_eq!(get(&auditor, &app, &selfie_url).await?.0, 404);
    assert_eq!(count(&pool, "SELECT count(*) FROM document_access_log").await?, 2, "refused views are not views");

    // The same NIK cannot register twice — though the answer does not say so (no account
    // enumeration): nothing is recorded; wrong password and unknown NIK answer alike.
    let again = app.client()?;
    let (token, ids) = upload_documents(&app, &again).await?;
    let (captcha, answer) = again.solve_captcha(&pool).await?;
    let registrations = "SELECT count(*) FROM events WHERE event_type = 'AccountRegistered'";
    let before = count(&pool, registrations).await?;
    let twice = again
        .gql(REGISTER, registration(NIK, "Siti Aminah", "081234567890", &token, &ids, (&captcha, &answer)))
        .await?;
    assert!(twice.data().is_ok(), "{:?}", twice.body);
    assert_eq!(count(&pool, registrations).await?, before, "the second registration is not recorded");
    let wrong = app.client()?.resident_login(&pool, NIK, "bukan sandinya").await?;
    let unknown = app.client()?.resident_login(&pool, "6106010101900009", "bukan sandinya").await?;
    assert_eq!(wrong.error_code(), Some("INVALID_CREDENTIALS"));
    assert_eq!(wrong.body, unknown.body);
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_registration_input_is_reported_field_by_field_and_stores_nothing(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let client = app.client()?;
    let (token, ids) = upload_documents(&app, &client).await?;

    // Every failing field at once.
    let (captcha, answer) = client.solve_captcha(&pool).await?;
    let mut input = registration("61060152059000", "Siti 2", "0812", &token, &ids, (&captcha, &answer));
    input["i"]["email"] = json!("siti@");
    input["i"]["password"] = json!("password");
    let reply = client.gql(REGISTER, input).await?;
    assert_eq!(reply.error_code(), Some("INVALID_INPUT"));
    let fields: Vec<(String, String)> = reply
        .body
        .pointer("/errors/0/extensions/fields")
        .and_then(Value::as_array)
        .map(|f| {
            f.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let expected = [
        ("nik", "NIK_LENGTH"),
        ("fullName", "FULL_NAME_CHARACTERS"),
        ("phone", "INVALID_PHONE"),
        ("email", "INVALID_EMAIL"),
        ("password", "PASSWORD_TOO_COMMON"),
    ];
    assert_eq!(fields, expected.map(|(f, c)| (f.to_owned(), c.to_owned())).to_vec());

    // Each NIK and phone rule, one at a time.
    for (nik, code) in [
        ("610601520590000", "NIK_LENGTH"),
        ("61060152059000012", "NIK_LENGTH"),
        ("61060152O5900001", "NIK_NOT_DIGITS"),
        ("6106013202900001", "NIK_BIRTH_DATE"),
        ("6106015205900000", "NIK_SERIAL"),
    ] {
        let (captcha, answer) = client.solve_captcha(&pool).await?;
        let reply = client
            .gql(REGISTER, registration(nik, "Siti Aminah", "081234567890", &token, &ids, (&captcha, &answer)))
            .await?;
        assert_eq!(reply.body.pointer("/errors/0/extensions/fields/0/code"), Some(&json!(code)), "{nik}");
    }
    for phone in ["0812345", "+6512345678", "02112345678"] {
        let (captcha, answer) = client.solve_captcha(&pool).await?;
        let reply =
            client.gql(REGISTER, registration(NIK, "Siti Aminah", phone, &token, &ids, (&captcha, &answer))).await?;
        assert_eq!(reply.body.pointer("/errors/0/extensions/fields/0/code"), Some(&json!("INVALID_PHONE")), "{phone}");
    }

    // Wrong and reused captchas.
    let (captcha, _) = client.solve_captcha(&pool).await?;
    let wrong = client
        .gql(REGISTER, registration(NIK, "Siti Aminah", "081234567890", &token, &ids, (&captcha, "salah")))
        .await?;
    assert_eq!(wrong.error_code(), Some("CAPTCHA_INVALID"));
    let reused = client
        .gql(REGISTER, registration(NIK, "Siti Aminah", "081234567890", &token, &ids, (&captcha, "k7m2p")))
        .await?;
    assert_eq!(reused.error_code(), Some("CAPTCHA_INVALID"), "a captcha is checked once, right or wrong");

    // Someone else's upload, and a selfie that is not a photo.
    let stranger = app.client()?;
    let (_, stranger_ids) = upload_documents(&app, &stranger).await?;
    let mixed = [ids[0].clone(), stranger_ids[1].clone(), ids[2].clone()];
    let (captcha, answer) = client.solve_captcha(&pool).await?;
    let reply = client
        .gql(REGISTER, registration(NIK, "Siti Aminah", "081234567890", &token, &mixed, (&captcha, &answer)))
        .await?;
    assert_eq!(reply.body.pointer("/errors/0/extensions/fields/0/field"), Some(&json!("familyCardUploadId")));
    assert_eq!(reply.body.pointer("/errors/0/extensions/fields/0/code"), Some(&json!("UPLOAD_NOT_USABLE")));
    let (status, body) = client.upload(&app.url(""), Some(&token), pdf(), "selfie.pdf").await?;
    assert_eq!(status, 201, "{body}");
    let pdf_selfie = [ids[0].clone(), ids[1].clone(), body["uploadId"].as_str().unwrap_or_default().to_owned()];
    let (captcha, answer) = client.solve_captcha(&pool).await?;
    let reply = client
        .gql(REGISTER, registration(NIK, "Siti Aminah", "081234567890", &token, &pdf_selfie, (&captcha, &answer)))
        .await?;
    assert_eq!(reply.body.pointer("/errors/0/extensions/fields/0/code"), Some(&json!("SELFIE_NOT_A_PHOTO")));

    assert_eq!(count(&pool, "SELECT count(*) FROM events").await?, 0, "nothing was registered");
    assert_eq!(count(&pool, "SELECT count(*) FROM stored_files WHERE attached_to IS NOT NULL").await?, 0);

    // Hostile uploads: refused with a code, nothing stored.
    let files_before = count(&pool, "SELECT count(*) FROM stored_files").await?;
    let upload_token = client.upload_token(&pool).await?;
    let whole = jpeg(200, 150);
    let mut bomb = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    bomb.extend_from_slice(&30000u32.to_be_bytes());
    bomb.extend_from_slice(&30000u32.to_be_bytes());
    bomb.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    let mut big = jpeg(64, 64);
    big.resize(6 * 1024 * 1024, 0);
    let cases: Vec<(Vec<u8>, &str, u16, &str)> = vec![
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00".to_vec(), "foto.jpg", 422, "UPLOAD_TYPE_NOT_ALLOWED"),
        (whole[..whole.len() / 2].to_vec(), "potong.jpg", 422, "UPLOAD_IMAGE_UNREADABLE"),
        (bomb, "bom.png", 422, "UPLOAD_IMAGE_TOO_LARGE"),
        (big, "besar.jpg", 413, "UPLOAD_TOO_LARGE"),
        (b"%PDF-1.4 /JavaScript (x) %%EOF".to_vec(), "skrip.pdf", 422, "UPLOAD_PDF_NOT_ALLOWED"),
    ];
    for (bytes, name, status, code) in cases {
        let (got, body) = client.upload(&app.url(""), Some(&upload_token), bytes, name).await?;
        assert_eq!(got, status, "{name}: {body}");
        assert!(
            body.pointer("/errors/0/extensions/code") == Some(&json!(code))
                || (code == "UPLOAD_IMAGE_TOO_LARGE"
                    && body.pointer("/errors/0/extensions/code") == Some(&json!("UPLOAD_IMAGE_UNREADABLE"))),
            "{name}: {body}"
        );
    }
    let (status, _) = client.upload(&app.url(""), Some("bukan-token"), jpeg(10, 10), "x.jpg").await?;
    assert_eq!(status, 401);
    let (status, _) = app.client()?.upload(&app.url(""), None, jpeg(10, 10), "x.jpg").await?;
    assert_eq!(status, 401, "no session, no token");
    assert_eq!(count(&pool, "SELECT count(*) FROM stored_files").await?, files_before);
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn forgotten_password_is_approved_by_an_operator_and_ends_old_sessions(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    register(&app, NIK, "Siti Aminah").await?;
    let item = queued_account(&operator, "6106********0001").await?;
    let account_id = item["accountId"].as_str().context("id")?.to_owned();
    approve(&operator, &account_id).await?;
    let phone_session = app.client()?;
    phone_session.resident_login(&pool, NIK, PASSWORD).await?.data()?;

    // The resident asks for a reset with documents.
    let resident = app.client()?;
    let (token, ids) = upload_documents(&app, &resident).await?;
    let (captcha, answer) = resident.solve_captcha(&pool).await?;
    let request = "mutation($i: RequestPasswordResetInput!) { requestPasswordReset(input: $i) }";
    let input = |nik: &str, captcha: &str, answer: &str| {
        json!({ "i": {
        "nik": nik, "fullName": "Siti  Aminah",
        "documents": { "identityDocumentKind": "KTP_EL", "identityUploadId": ids[0], "familyCardUploadId": ids[1], "selfieUploadId": ids[2] },
        "uploadToken": token, "captchaId": captcha, "captchaAnswer": answer } })
    };
    let answered = resident.gql(request, input(NIK, &captcha, &answer)).await?;
    let message = answered.data()?["requestPasswordReset"].as_str().unwrap_or_default().to_owned();
    // An unknown NIK gets the very same answer (with documents of its own).
    let (token2, ids2) = upload_documents(&app, &resident).await?;
    let (c2, a2) = resident.solve_captcha(&pool).await?;
    let mut unknown_input = input("6106010101900003", &c2, &a2);
    unknown_input["i"]["uploadToken"] = json!(token2);
    unknown_input["i"]["documents"] = json!({ "identityDocumentKind": "POLICE_LOSS_LETTER", "identityUploadId": ids2[0], "familyCardUploadId": ids2[1], "selfieUploadId": ids2[2] });
    let unknown = resident.gql(request, unknown_input).await?;
    assert_eq!(unknown.data()?["requestPasswordReset"], json!(message));

    let queued = eventually("reset request queued", || async {
        let reply = operator.gql("{ passwordResetQueue { totalCount edges { node { accountId registeredName givenName documents { selfieUrl } } } } }", json!({})).await?;
        Ok(reply.data()?.pointer("/passwordResetQueue/edges/0/node").cloned())
    })
    .await?;
    assert_eq!(
        (queued["registeredName"].as_str(), queued["givenName"].as_str()),
        (Some("Siti Aminah"), Some("Siti Aminah"))
    );
    // The waiting request is held sealed, like the profile it names.
    e2e::assert_copy_holds_none_of(&pool, &[NIK, "6106010101900003", "Siti Aminah", "6281234567890", "081234567890"])?;
    let approved = operator
        .gql(
            "mutation($a: ID!) { approvePasswordReset(accountId: $a) { code expiresAt whatsappLink } }",
            json!({ "a": account_id }),
        )
        .await?;
    let code =
        approved.data()?.pointer("/approvePasswordReset/code").and_then(Value::as_str).context("code")?.to_owned();
    let link =
        approved.data()?.pointer("/approvePasswordReset/whatsappLink").and_then(Value::as_str).unwrap_or_default();
    assert!(link.starts_with("https://wa.me/6281234567890?text=") && link.contains(&code), "{link}");
    let stored_plain =
        count(&pool, &format!("SELECT count(*) FROM events WHERE payload::text LIKE '%{code}%'")).await?;
    assert_eq!(stored_plain, 0, "only a keyed hash of the code is stored");

    let complete =
        "mutation($n: String!, $c: String!, $p: String!) { completePasswordReset(nik: $n, code: $c, newPassword: $p) }";
    let wrong = resident.gql(complete, json!({ "n": NIK, "c": "AAAAA-BBBBB", "p": "sandi baru siti" })).await?;
    assert_eq!(wrong.error_code(), Some("RESET_CODE_INVALID"));
    let done = resident.gql(complete, json!({ "n": NIK, "c": code.to_lowercase(), "p": "sandi baru siti" })).await?;
    assert_eq!(done.data()?["completePasswordReset"], json!(true));
    assert_eq!(
        phone_session.gql("{ me { accountId } }", json!({})).await?.error_code(),
        Some("UNAUTHENTICATED"),
        "old sessions end"
    );
    assert_eq!(
        resident.gql(complete, json!({ "n": NIK, "c": code, "p": "sandi lain lagi" })).await?.error_code(),
        Some("RESET_CODE_INVALID")
    );
    assert_eq!(app.client()?.resident_login(&pool, NIK, PASSWORD).await?.error_code(), Some("INVALID_CREDENTIALS"));
    let fresh = app.client()?;
    fresh.resident_login(&pool, NIK, "sandi baru siti").await?.data()?;
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn legacy_documents_are_visible_for_24_hours_after_a_grant(pool: PgPool) -> anyhow::Result<()> {
    let clock = ManualClock::default();
    let app = TestApp::spawn_with_clock(pool.clone(), Arc::new(clock.clone())).await?;

    // The old portal's export: JSON with a PDF beside it.
    let export = e2e::TempDir::new()?;
    std::fs::write(export.path().join("akta.pdf"), pdf())?;
    std::fs::write(
        export.path().join("ekspor.json"),
        json!([{ "nik": NIK, "name": "Siti Aminah", "phone": "081234567890", "documents": [{ "title": "Akta Kelahiran", "file": "akta.pdf" }] }]).to_string(),
    )?;
    let report = api::legacy_import::import_file(&app.commands.legacy, &export.path().join("ekspor.json")).await?;
    assert_eq!((report.imported, report.documents, report.skipped), (1, 1, 0));
    let again = api::legacy_import::import_file(&app.commands.legacy, &export.path().join("ekspor.json")).await?;
    assert_eq!(again.skipped, 1, "re-running the import changes nothing");

    let operator = app.staff("budi", Role::Operator).await?;
    register(&app, NIK, "Siti Aminah").await?;
    let item = queued_account(&operator, "6106********0001").await?;
    let account_id = item["accountId"].as_str().context("id")?.to_owned();
    approve(&operator, &account_id).await?;
    let resident = app.client()?;
    resident.resident_login(&pool, NIK, PASSWORD).await?.data()?;
    let me = "{ me { legacyDocuments { title url availableUntil } } }";
    assert_eq!(resident.gql(me, json!({})).await?.data()?.pointer("/me/legacyDocuments"), Some(&json!([])));

    let legacy = eventually("legacy account projected", || async {
        let reply = operator
            .gql("query($n: String!) { legacyAccount(nik: $n) { id fullName documentTitles } }", json!({ "n": NIK }))
            .await?;
        Ok(reply.data()?.get("legacyAccount").filter(|v| !v.is_null()).cloned())
    })
    .await?;
    assert_eq!(legacy["documentTitles"], json!(["Akta Kelahiran"]));
    let granted = operator
        .gql(
            "mutation($l: ID!, $a: ID!) { grantLegacyAccess(legacyAccountId: $l, accountId: $a) { until } }",
            json!({ "l": legacy["id"], "a": account_id }),
        )
        .await?;
    granted.data()?;

    let documents =
        resident.gql(me, json!({})).await?.data()?.pointer("/me/legacyDocuments").cloned().unwrap_or_default();
    assert_eq!(documents[0]["title"], "Akta Kelahiran");
    let url = documents[0]["url"].as_str().context("url")?.to_owned();
    let (status, content_type, bytes) = get(&resident, &app, &url).await?;
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    assert_eq!(bytes, pdf());
    assert_eq!(count(&pool, "SELECT count(*) FROM document_access_log WHERE purpose = 'legacy-access'").await?, 1);

    // 23 hours later still there; after 24 hours gone, with no job run. (Sessions live by the
    // same clock: a day later everyone signs in again.)
    clock.advance(Duration::hours(23));
    resident.resident_login(&pool, NIK, PASSWORD).await?.data()?;
    assert_eq!(
        resident.gql(me, json!({})).await?.data()?.pointer("/me/legacyDocuments/0/title"),
        Some(&json!("Akta Kelahiran"))
    );
    clock.advance(Duration::hours(1));
    assert_eq!(resident.gql(me, json!({})).await?.data()?.pointer("/me/legacyDocuments"), Some(&json!([])));
    assert_eq!(get(&resident, &app, &url).await?.0, 404);
    operator.staff_login("budi", "sandi budi 2026").await?;

    // A grant needs the same NIK.
    register(&app, "6106010101900002", "Budi Santoso").await?;
    let other = queued_account(&operator, "6106********0002").await?;
    approve(&operator, other["accountId"].as_str().context("id")?).await?;
    let mismatch = operator
        .gql(
            "mutation($l: ID!, $a: ID!) { grantLegacyAccess(legacyAccountId: $l, accountId: $a) { until } }",
            json!({ "l": legacy["id"], "a": other["accountId"] }),
        )
        .await?;
    assert_eq!(mismatch.error_code(), Some("LEGACY_NIK_MISMATCH"));
    // The old portal's accounts are held sealed too.
    e2e::caught_up(&pool).await?;
    e2e::assert_copy_holds_none_of(&pool, &[NIK, "Siti Aminah", "Budi Santoso", "6281234567890", "081234567890"])?;
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn repeated_failed_logins_are_throttled(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let client = app.client()?;
    let mut codes = Vec::new();
    for _ in 0..8 {
        codes.push(client.resident_login(&pool, NIK, "bukan sandinya").await?.error_code().map(str::to_owned));
    }
    let throttled = codes.iter().filter(|c| c.as_deref() == Some("TOO_MANY_ATTEMPTS")).count();
    assert_eq!(codes[..5].iter().filter(|c| c.as_deref() == Some("INVALID_CREDENTIALS")).count(), 5, "{codes:?}");
    assert!(throttled >= 2, "{codes:?}");
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn the_verification_queue_pages_oldest_first_without_gaps_or_repeats(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("petugas", Role::Operator).await?;
    let niks = ["6106015205900011", "6106015205900012", "6106015205900013"];
    for (i, nik) in niks.iter().enumerate() {
        register(&app, nik, &format!("Penduduk {}", ["Satu", "Dua", "Tiga"][i])).await?;
    }
    eventually("three accounts queued", || async {
        let reply = operator.gql("{ accountVerificationQueue(first: 1) { totalCount } }", json!({})).await?;
        Ok((reply.data()?.pointer("/accountVerificationQueue/totalCount") == Some(&json!(3))).then_some(()))
    })
    .await?;
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let reply = operator
            .gql(
                "query($after: String) { accountVerificationQueue(first: 1, after: $after) {
                    edges { node { fullName } } pageInfo { hasNextPage endCursor } } }",
                json!({ "after": after }),
            )
            .await?;
        let page = reply.data()?.pointer("/accountVerificationQueue").cloned().context("page")?;
        for edge in page["edges"].as_array().context("edges")? {
            seen.push(edge["node"]["fullName"].as_str().context("name")?.to_owned());
        }
        anyhow::ensure!(seen.len() <= 3, "the pages repeat: {seen:?}");
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, ["Penduduk Satu", "Penduduk Dua", "Penduduk Tiga"], "oldest first, each once");
    Ok(())
}

/// One captcha per registration: the live upload token the documents came with (issued only
/// against a solved captcha) stands in for a second one. A form without a captcha and without
/// a live token is refused and stores nothing.
#[sqlx::test(migrations = "../migrations")]
async fn a_registration_sent_with_its_live_upload_token_needs_no_second_captcha(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let client = app.client()?;
    let (token, ids) = upload_documents(&app, &client).await?;
    let without_captcha = |token: &str| {
        let mut input = registration(NIK, "Siti Aminah", "081234567890", token, &ids, ("", ""));
        let form = input["i"].as_object_mut().map(|form| {
            form.remove("captchaId");
            form.remove("captchaAnswer");
        });
        assert!(form.is_some());
        input
    };

    let forged = client.gql(REGISTER, without_captcha("0123456789abcdef")).await?;
    assert_eq!(forged.error_code(), Some("UPLOAD_TOKEN_INVALID"));
    assert_eq!(count(&pool, "SELECT count(*) FROM events WHERE aggregate_type = 'Account'").await?, 0);

    // A wrong captcha still refuses, even with a live token.
    let mut wrong = registration(NIK, "Siti Aminah", "081234567890", &token, &ids, ("", "salah"));
    wrong["i"]["captchaId"] = json!(uuid::Uuid::new_v4().to_string());
    assert_eq!(client.gql(REGISTER, wrong).await?.error_code(), Some("CAPTCHA_INVALID"));

    let reply = client.gql(REGISTER, without_captcha(&token)).await?;
    assert_eq!(reply.data()?.pointer("/registerAccount/nikMasked").and_then(Value::as_str), Some("6106********0001"));
    assert_eq!(count(&pool, "SELECT count(*) FROM events WHERE aggregate_type = 'Account'").await?, 1);

    // Expired: the token's hour is over.
    sqlx::query("UPDATE upload_tokens SET expires_at = now() - interval '1 minute'").execute(&pool).await?;
    let late = client.gql(REGISTER, without_captcha(&token)).await?;
    assert_eq!(late.error_code(), Some("UPLOAD_TOKEN_INVALID"));
    Ok(())
}

const FIND: &str = "query($q: String!) { findResidents(query: $q) { matchedBy hasMore residents { accountId nikMasked fullName phone status registeredAt awaitingVerification awaitingPasswordReset } } }";

/// Siti (active, asking for a password reset) and Dewi (waiting for verification) both wrote
/// from 0812-3456-7890; the officer finds them by NIK, by that number or by name, and every
/// look-up is in the audit log with the NIK masked.
#[sqlx::test(migrations = "../migrations")]
async fn officers_find_residents_by_nik_number_or_name_and_every_look_up_is_audited(
    pool: PgPool,
) -> anyhow::Result<()> {
    let (logs, _guard) = e2e::CapturedLogs::install("info");
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let supervisor = app.staff("kepala", Role::Supervisor).await?;
    register(&app, NIK, "Siti Aminah").await?;
    let siti = queued_account(&operator, "6106********0001").await?["accountId"].as_str().context("id")?.to_owned();
    approve(&operator, &siti).await?;
    let dewi_nik = "6106014804950002";
    register(&app, dewi_nik, "Dewi Sartika").await?;
    let dewi = queued_account(&operator, "6106********0002").await?["accountId"].as_str().context("id")?.to_owned();
    let resident = app.client()?;
    let (token, ids) = upload_documents(&app, &resident).await?;
    let (captcha, answer) = resident.solve_captcha(&pool).await?;
    resident
        .gql(
            "mutation($i: RequestPasswordResetInput!) { requestPasswordReset(input: $i) }",
            json!({ "i": { "nik": NIK, "fullName": "Siti Aminah",
                "documents": { "identityDocumentKind": "KTP_EL", "identityUploadId": ids[0], "familyCardUploadId": ids[1], "selfieUploadId": ids[2] },
                "uploadToken": token, "captchaId": captcha, "captchaAnswer": answer } }),
        )
        .await?
        .data()?;
    let found = |client: &Client, query: &str| {
        let (client, query) = (client.clone(), query.to_owned());
        async move {
            let reply = client.gql(FIND, json!({ "q": query })).await?;
            anyhow::Ok(reply.data()?["findResidents"].clone())
        }
    };
    eventually("reset request projected", || async {
        let search = found(&operator, NIK).await?;
        Ok((search["residents"][0]["awaitingPasswordReset"] == true).then_some(()))
    })
    .await?;

    // By NIK, typed as residents write it: exactly one account.
    let by_nik = found(&operator, "6106 0152 0590 0001").await?;
    assert_eq!(by_nik["matchedBy"], "NIK");
    let residents = by_nik["residents"].as_array().cloned().unwrap_or_default();
    assert_eq!(residents.len(), 1, "{by_nik}");
    let registered_at = residents[0]["registeredAt"].as_str().unwrap_or_default().to_owned();
    assert!(DateTime::parse_from_rfc3339(&registered_at).is_ok(), "{registered_at}");
    let siti_match = json!({ "accountId": siti, "nikMasked": "6106********0001", "fullName": "Siti Aminah",
        "phone": "6281234567890", "status": "ACTIVE", "registeredAt": registered_at,
        "awaitingVerification": false, "awaitingPasswordReset": true });
    assert_eq!(residents[0], siti_match);

    // By WhatsApp number, in any spelling: both accounts, by name.
    let by_phone = found(&supervisor, "+62 812-3456-7890").await?;
    assert_eq!((&by_phone["matchedBy"], &by_phone["hasMore"]), (&json!("PHONE"), &json!(false)));
    let listed: Vec<(&str, &str, bool)> = by_phone["residents"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|m| {
                    let text = |k: &str| m[k].as_str().unwrap_or_default();
                    (text("fullName"), text("status"), m["awaitingVerification"].as_bool().unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(listed, vec![("Dewi Sartika", "AWAITING_VERIFICATION", true), ("Siti Aminah", "ACTIVE", false)]);

    // By the beginnings of the name's words, in any order and case (names are sealed: the
    // look-up goes through keyed hashes of word prefixes); the middle of a word finds no one.
    let by_name = found(&operator, "aminah").await?;
    assert_eq!((&by_name["matchedBy"], &by_name["residents"]), (&json!("NAME"), &json!([siti_match])));
    let by_prefixes = found(&operator, "ami SIT").await?;
    assert_eq!(by_prefixes["residents"], json!([siti_match]));
    assert_eq!(found(&operator, "minah").await?["residents"], json!([]));
    let nobody = found(&operator, "6106010101900003").await?;
    assert_eq!(nobody["residents"], json!([]), "a NIK without an account finds nothing");

    // What cannot be read, and who may not ask (nothing of either is logged as a look-up).
    for (query, code) in
        [("ab", "LOOKUP_TOO_SHORT"), ("12345", "INVALID_PHONE"), ("6106013205900001", "NIK_BIRTH_DATE")]
    {
        assert_eq!(operator.gql(FIND, json!({ "q": query })).await?.error_code(), Some(code), "{query}");
    }
    let auditor = app.staff("audit", Role::Auditor).await?;
    let admin = app.staff("admin", Role::Admin).await?;
    for refused in [&auditor, &admin] {
        assert_eq!(refused.gql(FIND, json!({ "q": NIK })).await?.error_code(), Some("FORBIDDEN"));
    }
    assert_eq!(app.client()?.gql(FIND, json!({ "q": NIK })).await?.error_code(), Some("UNAUTHENTICATED"));

    // Every answered look-up is in the audit log, with who asked and what they found.
    let audited: Vec<(String, String)> =
        sqlx::query_as("SELECT viewer_role, subject FROM audit_log WHERE action = 'findResidents' ORDER BY audit_id")
            .fetch_all(&pool)
            .await?;
    let look_ups = audited.len();
    assert!(look_ups >= 7, "{audited:?}");
    assert_eq!(
        audited[look_ups - 6..].to_vec(),
        vec![
            ("OPERATOR".to_owned(), format!("nik:6106********0001 -> [Account:{siti}]")),
            ("SUPERVISOR".to_owned(), format!("phone:6281*******90 -> [Account:{dewi}, Account:{siti}]")),
            ("OPERATOR".to_owned(), format!("name:a. -> [Account:{siti}]")),
            ("OPERATOR".to_owned(), format!("name:a. S. -> [Account:{siti}]")),
            ("OPERATOR".to_owned(), "name:m. -> []".to_owned()),
            ("OPERATOR".to_owned(), "nik:6106********0003 -> []".to_owned()),
        ]
    );
    // The full NIK is in no audit row and no log line.
    let full_nik_rows = count(
        &pool,
        &format!("SELECT count(*) FROM audit_log WHERE subject LIKE '%{NIK}%' OR subject LIKE '%{dewi_nik}%'"),
    )
    .await?;
    assert_eq!(full_nik_rows, 0);
    let text = logs.text()?;
    assert!(!text.is_empty(), "logs were captured");
    assert!(!text.contains(NIK) && !text.contains("6106 0152 0590 0001"), "a full NIK was logged");
    app.stop().await
}

/// The officer who checked a resident's identity grants the old portal's documents by the NIK
/// alone; the resident then sees them.
#[sqlx::test(migrations = "../migrations")]
async fn a_legacy_grant_by_nik_needs_no_ids(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let export = e2e::TempDir::new()?;
    std::fs::write(export.path().join("akta.pdf"), pdf())?;
    let unregistered = "6106010101900003";
    std::fs::write(
        export.path().join("ekspor.json"),
        json!([
            { "nik": NIK, "name": "Siti Aminah", "phone": "081234567890", "documents": [{ "title": "Akta Kelahiran", "file": "akta.pdf" }] },
            { "nik": unregistered, "name": "Budi Santoso", "phone": "081234567891", "documents": [{ "title": "Kartu Keluarga", "file": "akta.pdf" }] },
        ])
        .to_string(),
    )?;
    api::legacy_import::import_file(&app.commands.legacy, &export.path().join("ekspor.json")).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, _) = e2e::active_resident(&app, &operator, NIK, "Siti Aminah").await?;
    let me = "{ me { legacyDocuments { title url availableUntil } } }";
    assert_eq!(resident.gql(me, json!({})).await?.data()?.pointer("/me/legacyDocuments"), Some(&json!([])));

    let grant = "mutation($n: String!) { grantLegacyAccessByNik(nik: $n) { until whatsappLink } }";
    let auditor = app.staff("audit", Role::Auditor).await?;
    assert_eq!(auditor.gql(grant, json!({ "n": NIK })).await?.error_code(), Some("FORBIDDEN"));
    let until = operator.gql(grant, json!({ "n": "6106-0152-0590-0001" })).await?;
    let granted = until.data()?["grantLegacyAccessByNik"].clone();
    let until = granted["until"].as_str().context("until")?.to_owned();
    let told = whatsapp_text(&granted["whatsappLink"])?;
    assert!(told.contains("6106********0001") && told.contains("WIB") && !told.contains(NIK), "{told}");
    let documents = eventually("legacy documents visible", || async {
        let reply = resident.gql(me, json!({})).await?;
        let documents = reply.data()?.pointer("/me/legacyDocuments").cloned().unwrap_or_default();
        Ok((documents.as_array().is_some_and(|d| !d.is_empty())).then_some(documents))
    })
    .await?;
    assert_eq!((&documents[0]["title"], &documents[0]["availableUntil"]), (&json!("Akta Kelahiran"), &json!(until)));
    let url = documents[0]["url"].as_str().context("url")?.to_owned();
    assert_eq!(get(&resident, &app, &url).await?.0, 200);

    // No old account for the NIK; an old account but no new one; not a NIK.
    let none = operator.gql(grant, json!({ "n": "6106014804950002" })).await?;
    assert_eq!(none.error_code(), Some("LEGACY_ACCOUNT_NOT_FOUND"));
    let no_account = operator.gql(grant, json!({ "n": unregistered })).await?;
    assert_eq!(no_account.error_code(), Some("ACCOUNT_NOT_FOUND"));
    assert_eq!(operator.gql(grant, json!({ "n": "12345" })).await?.error_code(), Some("NIK_LENGTH"));
    app.stop().await
}

/// Every decision on an account gives the officer a message to send: the link opens the
/// registered number's chat with an Indonesian text that names the resident, shows the NIK
/// masked and, for a refusal, carries the reason.
#[sqlx::test(migrations = "../migrations")]
async fn each_decision_on_an_account_comes_with_a_prefilled_whatsapp_message(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let refused_nik = "6106014804950002";
    register(&app, NIK, "Siti Aminah").await?;
    register(&app, refused_nik, "Rina Marlina").await?;
    let approved = queued_account(&operator, "6106********0001").await?;
    let refused = queued_account(&operator, "6106********0002").await?;

    let reply = operator
        .gql(
            "mutation($a: ID!) { approveAccount(accountId: $a) { accountId whatsappLink } }",
            json!({ "a": approved["accountId"] }),
        )
        .await?;
    let decision = reply.data()?["approveAccount"].clone();
    assert_eq!(decision["accountId"], approved["accountId"]);
    let text = whatsapp_text(&decision["whatsappLink"])?;
    assert!(text.starts_with("Halo Siti Aminah,") && text.contains("sudah diverifikasi"), "{text}");
    assert!(text.contains("6106********0001") && !text.contains(NIK) && text.contains("/masuk"), "{text}");

    let reply = operator
        .gql(
            "mutation($a: ID!, $r: String!) { rejectAccount(accountId: $a, reason: $r) { whatsappLink } }",
            json!({ "a": refused["accountId"], "r": "Foto KTP buram" }),
        )
        .await?;
    let text = whatsapp_text(&reply.data()?["rejectAccount"]["whatsappLink"])?;
    assert!(
        text.starts_with("Halo Rina Marlina,") && text.contains("belum dapat kami setujui: Foto KTP buram. "),
        "{text}"
    );
    assert!(!text.contains(refused_nik) && text.contains("/daftar"), "{text}");

    // A second decision on the same account is refused and gives no message.
    let again = operator
        .gql(
            "mutation($a: ID!) { approveAccount(accountId: $a) { whatsappLink } }",
            json!({ "a": approved["accountId"] }),
        )
        .await?;
    assert!(again.error_code().is_some(), "{again:?}");
    app.stop().await
}
