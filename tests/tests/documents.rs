//! Documents of every form, end to end: a document that was not sent is `DOCUMENT_REQUIRED`
//! on its field wherever it is asked for (registration, a request form, completion), and an
//! upload id that was sent but cannot be used is `UPLOAD_NOT_USABLE`; nothing is written
//! either way.

use anyhow::Context;
use domain::staff::Role;
use e2e::{Client, Reply, TestApp, active_resident, birth_certificate_input, eventually, identity_uploads};
use serde_json::{Value, json};
use sqlx::PgPool;

const SUBMIT: &str =
    "mutation($i: SubmitServiceRequestInput!) { submitServiceRequest(input: $i) { requestId number } }";

/// `(field, code, message)` of each field error.
fn field_errors(reply: &Reply) -> Vec<(String, String, String)> {
    reply
        .body
        .pointer("/errors/0/extensions/fields")
        .and_then(Value::as_array)
        .map(|fields| {
            fields
                .iter()
                .map(|f| {
                    let text = |key: &str| f[key].as_str().unwrap_or_default().to_owned();
                    (text("field"), text("code"), text("message"))
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn count(pool: &PgPool, sql: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(sql).fetch_one(pool).await?)
}

async fn claimed_request(app: &TestApp, resident: &Client, operator: &Client) -> anyhow::Result<String> {
    let input = birth_certificate_input(app, resident, "kunci-dokumen-001").await?;
    let reply = resident.gql(SUBMIT, input).await?;
    let request_id =
        reply.data()?.pointer("/submitServiceRequest/requestId").and_then(Value::as_str).context("id")?.to_owned();
    eventually("request claimed", || async {
        let reply =
            operator.gql("mutation($r: ID!) { claimRequest(requestId: $r) }", json!({ "r": request_id })).await?;
        Ok((reply.error_code().is_none()).then_some(()))
    })
    .await?;
    Ok(request_id)
}

#[sqlx::test(migrations = "../migrations")]
async fn a_document_not_sent_is_document_required_everywhere_and_changes_nothing(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, _) = active_resident(&app, &operator, "6106015205900001", "Siti Aminah").await?;
    let request_id = claimed_request(&app, &resident, &operator).await?;
    let events = || count(&pool, "SELECT count(*) FROM events");
    let attached = || count(&pool, "SELECT count(*) FROM stored_files WHERE attached_to IS NOT NULL");
    let (events_before, attached_before) = (events().await?, attached().await?);

    // Registration: the KK left blank and the selfie left out are not sent; a made-up id was
    // sent and cannot be used.
    let newcomer = app.client()?;
    let (token, ids) = identity_uploads(&app, &newcomer).await?;
    let (captcha, answer) = newcomer.solve_captcha(&pool).await?;
    let registration = json!({ "i": {
        "nik": "6106010101900002", "fullName": "Budi Santoso", "phone": "081234567890", "password": "rumah panjang 2026",
        "documents": { "identityDocumentKind": "KTP_EL", "identityUploadId": ids[0], "familyCardUploadId": " " },
        "uploadToken": token, "captchaId": captcha, "captchaAnswer": answer } });
    let reply = newcomer
        .gql("mutation($i: RegisterAccountInput!) { registerAccount(input: $i) { nikMasked } }", registration)
        .await?;
    assert_eq!(reply.error_code(), Some("INVALID_INPUT"), "{:?}", reply.body);
    assert_eq!(
        field_errors(&reply),
        [
            ("familyCardUploadId".into(), "DOCUMENT_REQUIRED".into(), "Foto Kartu Keluarga wajib diunggah.".into()),
            ("selfieUploadId".into(), "DOCUMENT_REQUIRED".into(), "Foto selfie wajib diunggah.".into()),
        ]
    );

    // A request form: the KK listed without an id, or left out, is required; a made-up id is
    // not usable.
    let mut input = birth_certificate_input(&app, &resident, "kunci-dokumen-002").await?;
    input["i"]["documents"][1]["uploadId"] = Value::Null;
    let reply = resident.gql(SUBMIT, input.clone()).await?;
    assert_eq!(
        field_errors(&reply),
        [("documents.KARTU_KELUARGA".into(), "DOCUMENT_REQUIRED".into(), "Kartu Keluarga wajib diunggah.".into())]
    );
    input["i"]["documents"].as_array_mut().context("documents")?.remove(1);
    let reply = resident.gql(SUBMIT, input.clone()).await?;
    assert_eq!(
        field_errors(&reply),
        [("documents.KARTU_KELUARGA".into(), "DOCUMENT_REQUIRED".into(), "Kartu Keluarga wajib diunggah.".into())]
    );
    input["i"]["documents"][0]["uploadId"] = json!(uuid::Uuid::new_v4().to_string());
    let reply = resident.gql(SUBMIT, input).await?;
    let problems = field_errors(&reply);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        (problems[0].0.as_str(), problems[0].1.as_str()),
        ("documents.SURAT_KETERANGAN_LAHIR", "UPLOAD_NOT_USABLE")
    );
    assert!(problems[0].2.contains("bukan milik Anda"), "only a sent id gets the four causes: {problems:?}");

    // Completion without a result file, whether `uploadIds` is empty, blank or left out.
    for (query, variables) in [
        ("mutation($r: ID!) { completeRequest(requestId: $r, uploadIds: []) }", json!({ "r": request_id })),
        ("mutation($r: ID!) { completeRequest(requestId: $r, uploadIds: [\"\"]) }", json!({ "r": request_id })),
        ("mutation($r: ID!) { completeRequest(requestId: $r) }", json!({ "r": request_id })),
    ] {
        let reply = operator.gql(query, variables).await?;
        assert_eq!(reply.error_code(), Some("INVALID_INPUT"), "{query}: {:?}", reply.body);
        assert_eq!(
            field_errors(&reply),
            [("uploadIds".into(), "DOCUMENT_REQUIRED".into(), "Dokumen hasil (PDF) wajib diunggah.".into())],
            "{query}"
        );
    }

    assert_eq!(events().await?, events_before, "no event was written");
    assert_eq!(attached().await?, attached_before, "no upload was attached");
    app.stop().await
}

/// `Content-Disposition` of `GET path` as `client`.
async fn disposition(app: &TestApp, client: &Client, path: &str) -> anyhow::Result<String> {
    let response = client.http.get(app.url(path)).send().await?;
    anyhow::ensure!(response.status().as_u16() == 200, "{path}: {}", response.status());
    Ok(response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .context("content-disposition")?
        .to_owned())
}

fn named(kind: &str, file: &str) -> String {
    format!("{kind}; filename=\"{file}\"; filename*=UTF-8''{file}")
}

#[sqlx::test(migrations = "../migrations")]
async fn downloads_are_named_by_service_and_request_number(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, account_id) = active_resident(&app, &operator, "6106015205900001", "Siti Aminah").await?;
    let request_id = claimed_request(&app, &resident, &operator).await?;
    let details = operator
        .gql(
            "query($r: ID!) { serviceRequest(requestId: $r) { number documents { code url } } }",
            json!({ "r": request_id }),
        )
        .await?;
    let request = details.data()?.pointer("/serviceRequest").context("request")?.clone();
    let number = request["number"].as_str().context("number")?.to_owned();
    let url_of = |code: &str| {
        request["documents"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["code"] == code))
            .and_then(|d| d["url"].as_str())
    };

    // A resident's upload, by its document and the request number, its extension from its content.
    let kk = url_of("KARTU_KELUARGA").context("kk")?;
    assert_eq!(disposition(&app, &operator, kk).await?, named("inline", &format!("kartu-keluarga-{number}.jpg")));
    let letter = url_of("SURAT_KETERANGAN_LAHIR").context("letter")?;
    assert_eq!(
        disposition(&app, &operator, &format!("{letter}?download=1")).await?,
        named("attachment", &format!("surat-keterangan-lahir-{number}.pdf"))
    );

    // Registration's documents, by what they are and the file's short id (never the NIK).
    let identity: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT file_id, content_type FROM stored_files WHERE attached_to = $1 ORDER BY created_at")
            .bind(format!("Account:{account_id}"))
            .fetch_all(&pool)
            .await?;
    let registration: Vec<_> = identity.iter().filter(|(_, kind)| kind == "image/jpeg").take(3).collect();
    assert_eq!(registration.len(), 3, "{identity:?}");
    for ((file, _), what) in registration.iter().zip(["ktp-el", "kartu-keluarga", "selfie"]) {
        let short = &file.simple().to_string()[..8];
        let header = disposition(&app, &operator, &format!("/files/{file}")).await?;
        assert_eq!(header, named("inline", &format!("{what}-{short}.jpg")));
    }

    // The result PDFs, by service and request number; the resident's "Unduh" saves them.
    let mut signed = Vec::new();
    for name in ["akta-1.pdf", "akta-2.pdf"] {
        signed.push(e2e::upload_as(&app, &operator, e2e::pdf(), name).await?);
    }
    let reply = operator
        .gql(
            "mutation($r: ID!, $u: [ID!]!) { completeRequest(requestId: $r, uploadIds: $u) }",
            json!({ "r": request_id, "u": signed }),
        )
        .await?;
    reply.data()?;
    let urls = eventually("downloads on the board", || async {
        let reply = resident.gql("{ myRequests { edges { node { downloadUrls } } } }", json!({})).await?;
        let urls = reply.data()?.pointer("/myRequests/edges/0/node/downloadUrls").and_then(Value::as_array).cloned();
        Ok(urls.filter(|u| u.len() == 2))
    })
    .await?;
    let first = urls[0].as_str().context("url")?;
    assert_eq!(
        disposition(&app, &resident, &format!("{first}?download=1")).await?,
        named("attachment", &format!("akta-kelahiran-{number}-1.pdf"))
    );
    assert_eq!(disposition(&app, &resident, first).await?, named("inline", &format!("akta-kelahiran-{number}-1.pdf")));
    let second = urls[1].as_str().context("url")?;
    assert_eq!(disposition(&app, &resident, second).await?, named("inline", &format!("akta-kelahiran-{number}-2.pdf")));
    app.stop().await
}
