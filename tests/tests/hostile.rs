//! Hostile input end to end: the corpus in `tests/corpus/` (NIKs, names, phones, passwords,
//! catalogue form values, malformed JSON, GraphQL abuse) and uploads made by the generators
//! below, against the real server over a fresh database. Every input must get a stable code and
//! an Indonesian message (or be accepted where it is acceptable), must not take the server down,
//! and must store nothing: events, stored-file rows and files on disk are counted before and
//! after. Each test prints how many inputs it tried.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use domain::nik::Nik;
use domain::staff::Role;
use e2e::{Client, RESIDENT_PASSWORD, TestApp, active_resident, jpeg, upload_as};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const REGISTER: &str = "mutation($i: RegisterAccountInput!) { registerAccount(input: $i) { nikMasked } }";
const SUBMIT: &str =
    "mutation($i: SubmitServiceRequestInput!) { submitServiceRequest(input: $i) { requestId number } }";
const RESIDENT_NIK: &str = "6106015205900001";

// ---------------------------------------------------------------------------------------------
// The corpus

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// Decodes the escapes of the corpus: `\\ \t \n \r \0 \s`, `\u{HEX}` and `\*N{TEXT}`.
fn decode(escaped: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next().context("dangling backslash")? {
            '\\' => out.push('\\'),
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            's' => out.push(' '),
            'u' => {
                ensure!(chars.next() == Some('{'), "\\u must be followed by {{");
                let hex: String = chars.by_ref().take_while(|c| *c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16)?).context("not a code point")?);
            }
            '*' => {
                let count: usize = chars.by_ref().take_while(|c| *c != '{').collect::<String>().parse()?;
                let (mut depth, mut inner) = (1, String::new());
                loop {
                    let c = chars.next().context("unclosed \\*N{")?;
                    match c {
                        '\\' => {
                            inner.push(c);
                            inner.push(chars.next().context("dangling backslash")?);
                            continue;
                        }
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    inner.push(c);
                }
                out.push_str(&decode(&inner)?.repeat(count));
            }
            other => bail!("unknown escape \\{other}"),
        }
    }
    Ok(out)
}

/// One line of a corpus file.
struct Case {
    /// `file:line`, for failure messages.
    at: String,
    expect: String,
    input: String,
    /// `SERVICE.field` lines of catalogue_fields.txt.
    service: String,
    field: String,
}

/// Reads `EXPECTED<TAB>INPUT` lines, or `SERVICE.field<TAB>EXPECTED<TAB>VALUE` lines.
fn corpus(file: &str) -> anyhow::Result<Vec<Case>> {
    let text = std::fs::read_to_string(corpus_dir().join(file)).with_context(|| format!("reading {file}"))?;
    let mut cases = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("{file}:{}", i + 1);
        let columns: Vec<&str> = line.split('\t').collect();
        let case = match columns.as_slice() {
            [expect, input] => Case {
                expect: (*expect).to_owned(),
                input: decode(input).with_context(|| at.clone())?,
                service: String::new(),
                field: String::new(),
                at,
            },
            [target, expect, input] => {
                let (service, field) = target.split_once('.').with_context(|| format!("{at}: SERVICE.field"))?;
                Case {
                    expect: (*expect).to_owned(),
                    input: decode(input).with_context(|| at.clone())?,
                    service: service.to_owned(),
                    field: decode(field).with_context(|| at.clone())?,
                    at,
                }
            }
            _ => bail!("{at}: expected two or three tab-separated columns"),
        };
        cases.push(case);
    }
    Ok(cases)
}

// ---------------------------------------------------------------------------------------------
// What was stored, and what the server said

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stored {
    events: i64,
    files: i64,
    on_disk: usize,
}

async fn stored(app: &TestApp) -> anyhow::Result<Stored> {
    let events = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&app.pool).await?;
    let files = sqlx::query_scalar("SELECT count(*) FROM stored_files").fetch_one(&app.pool).await?;
    Ok(Stored { events, files, on_disk: files_on_disk(app.data_dir())?.len() })
}

/// Every regular file under `dir`, relative to it.
fn files_on_disk(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        if !next.exists() {
            continue;
        }
        for entry in std::fs::read_dir(&next)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(dir)?.to_string_lossy().into_owned());
            }
        }
    }
    Ok(found)
}

/// Words every Indonesian message here contains one of, and English ones none may contain.
const INDONESIAN: [&str; 30] = [
    "tidak",
    "wajib",
    "terlalu",
    "harus",
    "silakan",
    "kirim",
    "hanya",
    "maksimal",
    "minimal",
    "salah",
    "ditolak",
    "pilih",
    "gunakan",
    "berkas",
    "isian",
    "permintaan",
    "kueri",
    "unggah",
    "dikenal",
    "diterima",
    "lebih",
    "karakter",
    "angka",
    "sandi",
    "nomor",
    "tanggal",
    "periksa",
    "dokumen",
    "rusak",
    "kosong",
];
const ENGLISH: [&str; 12] = [
    "error",
    "invalid",
    "expected",
    "failed",
    "unknown",
    "cannot",
    "must ",
    "not found",
    "the ",
    "query is",
    "exceed",
    "limit",
];

fn ensure_indonesian(message: &str, at: &str) -> anyhow::Result<()> {
    let lower = message.to_lowercase();
    ensure!(INDONESIAN.iter().any(|w| lower.contains(w)), "{at}: message is not Indonesian: {}", short(message));
    ensure!(!ENGLISH.iter().any(|w| lower.contains(w)), "{at}: English in the message: {}", short(message));
    Ok(())
}

fn short(text: &str) -> String {
    let cut: String = text.chars().take(300).collect();
    if cut.len() < text.len() { format!("{cut}…") } else { cut }
}

/// `(field, code)` of every entry of `extensions.fields`.
fn field_errors(body: &Value) -> Vec<(String, String)> {
    body.pointer("/errors/0/extensions/fields")
        .and_then(Value::as_array)
        .map(|fields| {
            fields
                .iter()
                .map(|f| {
                    (
                        f["field"].as_str().unwrap_or_default().to_owned(),
                        f["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Checks a response against `expect`: a top-level code; `OK` (no error at all, or, with
/// `field`, none for that field); or the code of `field`'s entry in `extensions.fields`. Every
/// error must have a stable code and an Indonesian message.
fn check(status: u16, body: &Value, expect: &str, field: Option<&str>, at: &str) -> anyhow::Result<()> {
    let shown = || short(&body.to_string());
    let errors = body.get("errors").and_then(Value::as_array).cloned().unwrap_or_default();
    for error in &errors {
        let code = error.pointer("/extensions/code").and_then(Value::as_str).unwrap_or_default();
        ensure!(
            !code.is_empty() && code.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
            "{at}: an error without a stable code: {}",
            shown()
        );
        ensure_indonesian(error["message"].as_str().unwrap_or_default(), at)?;
    }
    if let Some(fields) = body.pointer("/errors/0/extensions/fields").and_then(Value::as_array) {
        for entry in fields {
            ensure_indonesian(entry["message"].as_str().unwrap_or_default(), at)?;
        }
    }
    let top = errors.first().and_then(|e| e.pointer("/extensions/code")).and_then(Value::as_str);
    let fields = field_errors(body);
    match (expect, field) {
        ("OK", None) => ensure!(errors.is_empty() && status == 200, "{at}: expected success, got {status} {}", shown()),
        ("OK", Some(field)) => {
            ensure!(!fields.iter().any(|(f, _)| f == field), "{at}: {field} should be accepted: {}", shown());
            ensure!(top.is_none() || top == Some("INVALID_INPUT"), "{at}: unexpected refusal {}", shown());
        }
        (code, _) if top == Some(code) => {}
        (code, Some(field)) => ensure!(
            top == Some("INVALID_INPUT") && fields.iter().any(|(f, c)| f == field && c == code),
            "{at}: expected {field} = {code}, got {status} {}",
            shown()
        ),
        (code, None) => bail!("{at}: expected {code}, got {status} {}", shown()),
    }
    if expect == "REQUEST_TOO_LARGE" || expect == "UPLOAD_TOO_LARGE" {
        ensure!(status == 413, "{at}: {expect} must be HTTP 413, was {status}");
    }
    Ok(())
}

/// The server still answers, through HTTP and GraphQL.
async fn still_answers(app: &TestApp) -> anyhow::Result<()> {
    let health = reqwest::get(app.url("/healthz")).await?;
    ensure!(health.status().is_success(), "healthz: {}", health.status());
    let reply = app.client()?.gql("{ catalogueVersion }", json!({})).await?;
    ensure!(reply.data()?["catalogueVersion"].as_u64().is_some_and(|v| v >= 1));
    Ok(())
}

/// POSTs `body` to `/graphql` as JSON, unparsed.
async fn post_raw(app: &TestApp, client: &Client, body: Vec<u8>) -> anyhow::Result<(u16, Value)> {
    let response =
        client.http.post(app.url("/graphql")).header("content-type", "application/json").body(body).send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    let body = serde_json::from_str(&text).with_context(|| format!("answer is not JSON: {status} {}", short(&text)))?;
    Ok((status, body))
}

// ---------------------------------------------------------------------------------------------
// Registration and sign-in

/// Uploads KTP, KK and selfie with a fresh upload token.
async fn identity_uploads(app: &TestApp, client: &Client) -> anyhow::Result<(String, Vec<String>)> {
    let token = client.upload_token(&app.pool).await?;
    let mut ids = Vec::new();
    for name in ["ktp.jpg", "kk.jpg", "selfie.jpg"] {
        let (status, body) = client.upload(&app.url(""), Some(&token), jpeg(120, 80), name).await?;
        ensure!(status == 201, "upload {name}: {status} {body}");
        ids.push(body["uploadId"].as_str().context("uploadId")?.to_owned());
    }
    Ok((token, ids))
}

fn registration(values: &BTreeMap<&str, String>, token: &str, ids: &[String], captcha: (String, String)) -> Value {
    json!({ "i": {
        "nik": values["nik"], "fullName": values["fullName"], "phone": values["phone"], "password": values["password"],
        "documents": { "identityDocumentKind": "KTP_EL", "identityUploadId": ids[0], "familyCardUploadId": ids[1],
                       "selfieUploadId": ids[2] },
        "uploadToken": token, "captchaId": captcha.0, "captchaAnswer": captcha.1 } })
}

#[sqlx::test(migrations = "../migrations")]
async fn registration_refuses_hostile_niks_names_phones_and_passwords(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let client = app.client()?;
    let (token, ids) = identity_uploads(&app, &client).await?;
    let before = stored(&app).await?;
    let valid: BTreeMap<&str, String> = [
        ("nik", RESIDENT_NIK),
        ("fullName", "Siti Aminah"),
        ("phone", "081234567890"),
        ("password", RESIDENT_PASSWORD),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect();
    let mut tried = 0;
    for (file, field) in
        [("nik.txt", "nik"), ("names.txt", "fullName"), ("phone.txt", "phone"), ("passwords.txt", "password")]
    {
        let cases = corpus(file)?;
        for case in &cases {
            let mut values = valid.clone();
            values.insert(field, case.input.clone());
            // An acceptable value goes with a refused one elsewhere, so that nothing is stored.
            let (spoiled, spoiled_code) =
                if field == "password" { ("phone", "INVALID_PHONE") } else { ("password", "PASSWORD_TOO_COMMON") };
            if case.expect == "OK" {
                values.insert(spoiled, if field == "password" { "0".into() } else { "password".into() });
            }
            let captcha = client.solve_captcha(&pool).await?;
            let reply = client.gql(REGISTER, registration(&values, &token, &ids, captcha)).await?;
            check(reply.status, &reply.body, &case.expect, Some(field), &case.at)?;
            if case.expect == "OK" {
                let fields = field_errors(&reply.body);
                ensure!(fields == [(spoiled.to_owned(), spoiled_code.to_owned())], "{}: {fields:?}", case.at);
            }
        }
        println!("hostile input: registration {field}: {} inputs tried", cases.len());
        tried += cases.len();
        ensure!(stored(&app).await? == before, "{file}: something was stored");
    }
    still_answers(&app).await?;

    // Acceptable if odd: separators and Unicode spaces around the NIK, a name in Vietnamese with
    // runs of white space, a phone with brackets and dots, a password with a bidi override.
    let operator = app.staff("budi", Role::Operator).await?;
    let values: BTreeMap<&str, String> = [
        ("nik", "\u{A0}6106.0152-0590 0001\u{3000}"),
        ("fullName", "  \u{110}\u{1EB7}ng\tTh\u{1ECB}  Ng\u{1ECD}c H\u{E2}n "),
        ("phone", "(0812) 3456.7890"),
        ("password", "sandi\u{202E}rahasia"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect();
    let captcha = client.solve_captcha(&pool).await?;
    let reply = client.gql(REGISTER, registration(&values, &token, &ids, captcha)).await?;
    ensure!(reply.data()?["registerAccount"]["nikMasked"] == "6106********0001", "{:?}", reply.body);
    let queued = e2e::eventually("the account in the verification queue", || async {
        let reply = operator
            .gql("{ accountVerificationQueue(first: 10) { edges { node { fullName phone } } } }", json!({}))
            .await?;
        Ok(reply.data()?.pointer("/accountVerificationQueue/edges/0/node").cloned())
    })
    .await?;
    assert_eq!(queued["fullName"], "\u{110}\u{1EB7}ng Th\u{1ECB} Ng\u{1ECD}c H\u{E2}n", "white space folded");
    assert_eq!(queued["phone"], "6281234567890", "normalised to E.164 digits");
    let after = stored(&app).await?;
    assert!(after.events > before.events, "the acceptable registration was stored");
    println!("hostile input: registration: {tried} inputs tried in all, 1 odd but acceptable registration stored");
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn sign_in_answers_hostile_niks_and_passwords_one_way(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    active_resident(&app, &operator, RESIDENT_NIK, "Siti Aminah").await?;
    let resident = Nik::parse(RESIDENT_NIK).map_err(|e| anyhow::anyhow!("{e}"))?;
    let before = stored(&app).await?;
    let mut refusal: Option<Value> = None;
    let mut signed_in = 0;
    let mut attempts: Vec<(String, String, String, bool)> = Vec::new();
    for case in corpus("nik.txt")? {
        attempts.push((case.at, case.input, RESIDENT_PASSWORD.to_owned(), case.expect == "REQUEST_TOO_LARGE"));
    }
    for case in corpus("passwords.txt")? {
        attempts.push((case.at, RESIDENT_NIK.to_owned(), case.input, case.expect == "REQUEST_TOO_LARGE"));
    }
    for (at, nik, password, too_large) in &attempts {
        // Each attempt is judged on its own, not throttled by the previous ones (throttling has
        // its own tests).
        sqlx::query("DELETE FROM sign_in_failures").execute(&pool).await?;
        let client = app.client()?;
        let reply = client.resident_login(&pool, nik, password).await?;
        if *too_large {
            check(reply.status, &reply.body, "REQUEST_TOO_LARGE", None, at)?;
        } else if Nik::parse(nik).as_ref() == Ok(&resident) && password == RESIDENT_PASSWORD {
            check(reply.status, &reply.body, "OK", None, at)?;
            signed_in += 1;
        } else {
            check(reply.status, &reply.body, "INVALID_CREDENTIALS", None, at)?;
            ensure!(reply.headers.get("set-cookie").is_none(), "{at}: a refused sign-in set a cookie");
            // One answer for every refusal: nothing tells a malformed NIK from a wrong password.
            let errors = reply.body["errors"].clone();
            match &refusal {
                Some(first) => ensure!(*first == errors, "{at}: {errors} differs from {first}"),
                None => refusal = Some(errors),
            }
        }
    }
    ensure!(signed_in >= 5, "the NIK written with separators and spaces signs in ({signed_in})");
    let after = stored(&app).await?;
    assert_eq!(after.events - before.events, signed_in, "only successful sign-ins are recorded");
    assert_eq!((after.files, after.on_disk), (before.files, before.on_disk));
    still_answers(&app).await?;
    println!(
        "hostile input: sign-in: {} inputs tried, {signed_in} of them the right NIK (written in various ways) and password",
        attempts.len()
    );
    app.stop().await
}

// ---------------------------------------------------------------------------------------------
// Service requests: catalogue form values and malformed JSON

/// A PDF that is also an HTML page: acceptable as a PDF (no active content), harmless as HTML
/// because files are served with their sniffed type, `nosniff` and a sandboxing CSP.
fn pdf_html_polyglot() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
      <html><body><script>fetch('/graphql').then(r => alert(document.cookie))</script></body></html>\n\
      2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        .to_vec()
}

#[sqlx::test(migrations = "../migrations")]
async fn service_requests_refuse_hostile_form_values(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, _) = active_resident(&app, &operator, RESIDENT_NIK, "Siti Aminah").await?;
    let before = stored(&app).await?;
    let cases = corpus("catalogue_fields.txt")?;
    let mut failures = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        // Submitted alone: the other fields and every document are missing, so even an
        // acceptable value is refused as a whole and nothing is stored.
        let input = json!({ "i": {
            "serviceCode": case.service, "fields": [{ "name": case.field, "value": case.input }], "documents": [],
            "idempotencyKey": format!("kunci-hostile-{n:04}") } });
        let reply = resident.gql(SUBMIT, input).await?;
        let verdict = check(reply.status, &reply.body, &case.expect, Some(&format!("fields.{}", case.field)), &case.at)
            .and_then(|()| {
                let incomplete = case.expect != "OK" || reply.error_code() == Some("INVALID_INPUT");
                ensure!(incomplete, "{}: refused for what is missing", case.at);
                Ok(())
            });
        failures.extend(verdict.err().map(|e| e.to_string()));
    }
    ensure!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    ensure!(stored(&app).await? == before, "a refused submission stored something");
    still_answers(&app).await?;

    // Markup and SQL in free text are data: accepted, stored and shown verbatim. The document
    // is a PDF that is also an HTML page; it is served so that no browser runs it.
    let letter = upload_as(&app, &resident, pdf_html_polyglot(), "surat.pdf.html").await?;
    let kk = upload_as(&app, &resident, jpeg(100, 70), "kk.jpg").await?;
    let ktp = upload_as(&app, &resident, jpeg(100, 70), "ktp.jpg").await?;
    let script = "<script>alert(document.cookie)</script>";
    let sql = "Robert'); DROP TABLE events;--";
    let reply = resident
        .gql(
            SUBMIT,
            json!({ "i": {
                "serviceCode": "AKTA_KELAHIRAN",
                "fields": [
                    { "name": "nama_anak", "value": script }, { "name": "jenis_kelamin", "value": "Perempuan" },
                    { "name": "tempat_lahir", "value": sql }, { "name": "tanggal_lahir", "value": "2026-11-01" },
                    { "name": "anak_ke", "value": "1" }, { "name": "nik_ibu", "value": RESIDENT_NIK } ],
                "documents": [ { "code": "SURAT_KETERANGAN_LAHIR", "uploadId": letter },
                               { "code": "KARTU_KELUARGA", "uploadId": kk }, { "code": "KTP_ORANG_TUA", "uploadId": ktp } ],
                "idempotencyKey": "kunci-hostile-diterima" } }),
        )
        .await?;
    let request_id = reply.data()?.pointer("/submitServiceRequest/requestId").and_then(Value::as_str).context("id")?;
    let details = operator
        .gql(
            "query($r: ID!) { serviceRequest(requestId: $r) { fields { name value } documents { code url } } }",
            json!({ "r": request_id }),
        )
        .await?;
    let details = details.data()?["serviceRequest"].clone();
    let value = |name: &str| {
        details["fields"].as_array().and_then(|f| f.iter().find(|f| f["name"] == name)).map(|f| f["value"].clone())
    };
    assert_eq!(value("nama_anak"), Some(json!(script)));
    assert_eq!(value("tempat_lahir"), Some(json!(sql)));
    let url = details["documents"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["code"] == "SURAT_KETERANGAN_LAHIR"))
        .and_then(|d| d["url"].as_str())
        .context("letter url")?;
    let served = operator.http.get(app.url(url)).send().await?;
    let header = |name: &str| served.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(header("content-type"), "application/pdf");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(header("content-security-policy").contains("sandbox"));
    assert_eq!(served.bytes().await?.to_vec(), pdf_html_polyglot(), "a PDF is kept as it is");
    let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
    assert!(tables > before.events, "the table is still there, with the accepted request in it");
    println!(
        "hostile input: catalogue form values: {} inputs tried, 1 request with markup and SQL stored",
        cases.len()
    );
    app.stop().await
}

/// The submitServiceRequest body with `raw` (unparsed JSON text) at `target`.
fn json_body(target: &str, raw: &str) -> anyhow::Result<String> {
    const PLACEHOLDER: &str = "\"@RAW@\"";
    if target == "body" {
        return Ok(raw.to_owned());
    }
    let marker = json!("@RAW@");
    let mut input = json!({ "serviceCode": "AKTA_KELAHIRAN", "fields": [{ "name": "anak_ke", "value": "1" }],
                            "documents": [], "idempotencyKey": "kunci-json-0001" });
    let body = match target {
        "variables" => json!({ "query": SUBMIT, "variables": marker }),
        "input" => json!({ "query": SUBMIT, "variables": { "i": marker } }),
        _ => {
            match target {
                "service_code" => input["serviceCode"] = marker,
                "fields" => input["fields"] = marker,
                "field" => input["fields"][0] = marker,
                "field_name" => input["fields"][0]["name"] = marker,
                "field_value" => input["fields"][0]["value"] = marker,
                "documents" => input["documents"] = marker,
                "idempotency_key" => input["idempotencyKey"] = marker,
                other => bail!("unknown target {other}"),
            }
            json!({ "query": SUBMIT, "variables": { "i": input } })
        }
    };
    let text = serde_json::to_string(&body)?;
    ensure!(text.matches(PLACEHOLDER).count() == 1, "one placeholder");
    Ok(text.replace(PLACEHOLDER, raw))
}

#[sqlx::test(migrations = "../migrations")]
async fn malformed_json_gets_a_code_and_stores_nothing(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, _) = active_resident(&app, &operator, RESIDENT_NIK, "Siti Aminah").await?;
    let before = stored(&app).await?;
    let corpus: Value = serde_json::from_str(&std::fs::read_to_string(corpus_dir().join("json_fields.json"))?)?;
    let cases = corpus["cases"].as_array().context("cases")?;
    let mut failures = Vec::new();
    for case in cases {
        let at = format!("json_fields.json: {}", case["name"].as_str().unwrap_or_default());
        let times = case["times"].as_u64().unwrap_or(0) as usize;
        let raw = case["raw"]
            .as_str()
            .context("raw")?
            .replace("@@", &case["fill"].as_str().unwrap_or_default().repeat(times))
            .replace("@2@", &case["fill2"].as_str().unwrap_or_default().repeat(times));
        let body = json_body(case["target"].as_str().context("target")?, &raw)?;
        let (status, reply) = post_raw(&app, &resident, body.into_bytes()).await?;
        let expect = case["expect"].as_str().context("expect")?;
        let verdict = match case["field"].as_str() {
            // Refused by form validation: the named field's entry decides.
            Some(field) => check(status, &reply, case["field_code"].as_str().context("field_code")?, Some(field), &at)
                .and_then(|()| {
                    let top = reply.pointer("/errors/0/extensions/code");
                    ensure!(top == Some(&json!(expect)), "{at}: {}", short(&reply.to_string()));
                    Ok(())
                }),
            None => check(status, &reply, expect, None, &at),
        }
        .and_then(|()| match case["status"].as_u64() {
            Some(expected) if u64::from(status) != expected => bail!("{at}: HTTP {status}, expected {expected}"),
            _ => Ok(()),
        });
        failures.extend(verdict.err().map(|e| e.to_string()));
    }
    ensure!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    // Bytes that are not UTF-8 at all.
    let (status, reply) = post_raw(&app, &resident, b"{\"query\": \"{ catalogueVersion \xFF\xFE }\"}".to_vec()).await?;
    check(status, &reply, "GRAPHQL_BAD_REQUEST", None, "invalid UTF-8")?;
    ensure!(stored(&app).await? == before, "malformed JSON stored something");
    still_answers(&app).await?;
    println!("hostile input: JSON bodies and fields: {} inputs tried", cases.len() + 1);
    app.stop().await
}

// ---------------------------------------------------------------------------------------------
// GraphQL abuse

/// A request over a plain TCP connection: `head` (request line and headers, blank line
/// included), then each of `chunks` (HTTP/1.1 chunked framing when `chunked`), pausing `pause`
/// after each, until the server answers. Returns the status, the JSON body and the body bytes
/// sent before the answer arrived.
async fn raw_request(
    app: &TestApp,
    head: &str,
    chunked: bool,
    chunks: impl Iterator<Item = Vec<u8>>,
    pause: Duration,
) -> anyhow::Result<(u16, Value, usize)> {
    let stream = tokio::net::TcpStream::connect(app.address).await?;
    let (mut reader, mut writer) = stream.into_split();
    let answer = tokio::spawn(async move {
        let mut response = Vec::new();
        let mut buffer = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            response.extend_from_slice(&buffer[..n]);
            if response_complete(&response) {
                break;
            }
        }
        response
    });
    writer.write_all(head.as_bytes()).await?;
    let mut sent = 0;
    let mut finished = true;
    for chunk in chunks {
        if answer.is_finished() {
            finished = false;
            break;
        }
        let framed = if chunked {
            [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk.clone(), b"\r\n".to_vec()].concat()
        } else {
            chunk.clone()
        };
        if writer.write_all(&framed).await.is_err() {
            finished = false;
            break;
        }
        sent += chunk.len();
        tokio::time::sleep(pause).await;
    }
    if finished && chunked {
        let _ = writer.write_all(b"0\r\n\r\n").await;
    }
    // Bounded, so a server that never answers fails the test instead of hanging it.
    let response = tokio::time::timeout(Duration::from_secs(60), answer).await.context("no answer within 60 s")??;
    let text = String::from_utf8_lossy(&response);
    let status: u16 = text.split(' ').nth(1).context("status line")?.parse()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    Ok((status, serde_json::from_str(body).with_context(|| format!("{status} {}", short(body)))?, sent))
}

/// Whether `response` holds the headers and a body as long as its `content-length`.
fn response_complete(response: &[u8]) -> bool {
    let text = String::from_utf8_lossy(response);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
    let length = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
        .and_then(|v| v.parse::<usize>().ok());
    length.is_some_and(|length| body.len() >= length)
}

/// The `# expect: CODE` header of a corpus query file.
fn expected_of(query: &str) -> Option<&str> {
    query.lines().find_map(|l| l.strip_prefix("# expect:")).map(str::trim)
}

#[sqlx::test(migrations = "../migrations")]
async fn graphql_abuse_is_refused_cheaply(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let client = app.client()?;
    let before = stored(&app).await?;
    let mut cases: Vec<(String, String, String)> = Vec::new();
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(corpus_dir().join("graphql"))?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    files.sort();
    for path in files {
        let query = std::fs::read_to_string(&path)?;
        let expect = expected_of(&query).with_context(|| format!("{} has no # expect:", path.display()))?.to_owned();
        cases.push((path.file_name().unwrap_or_default().to_string_lossy().into_owned(), expect, query));
    }
    let stored_cases = cases.len();
    // Generated: too big to keep as files, or their size is the point.
    let generated = [
        (
            "12000 nested selections",
            "GRAPHQL_VALIDATION_FAILED",
            format!("{}{}", "{ a ".repeat(12_000), "}".repeat(12_000)),
        ),
        (
            "20000 nested list values",
            "GRAPHQL_VALIDATION_FAILED",
            format!("{{ holidays(year: {}1{}) {{ date }} }}", "[".repeat(20_000), "]".repeat(20_000)),
        ),
        (
            "10000 nested object values",
            "GRAPHQL_VALIDATION_FAILED",
            format!("{{ holidays(year: {}1{}) {{ date }} }}", "{a:".repeat(10_000), "}".repeat(10_000)),
        ),
        (
            "3000 aliases of __typename",
            "GRAPHQL_VALIDATION_FAILED",
            format!("{{ {} }}", (0..3000).map(|i| format!("t{i}: __typename ")).collect::<String>()),
        ),
        (
            "1500 aliases of a field",
            "GRAPHQL_VALIDATION_FAILED",
            format!("{{ {} }}", (0..1500).map(|i| format!("v{i}: catalogueVersion ")).collect::<String>()),
        ),
        ("5000 __typename", "GRAPHQL_VALIDATION_FAILED", format!("{{ {} }}", "__typename ".repeat(5000))),
        (
            "1200 unused fragments",
            "GRAPHQL_VALIDATION_FAILED",
            format!(
                "{} {{ catalogueVersion }}",
                (0..1200).map(|i| format!("fragment F{i} on Query {{ catalogueVersion }} ")).collect::<String>()
            ),
        ),
        (
            "4000 unused variables",
            "GRAPHQL_VALIDATION_FAILED",
            format!("query({}) {{ catalogueVersion }}", (0..4000).map(|i| format!("$v{i}: Int ")).collect::<String>()),
        ),
        (
            "a 60000-character string argument",
            "OK",
            format!("{{ service(code: \"{}\") {{ code }} }}", "A".repeat(60_000)),
        ),
        (
            "a query past the body limit",
            "REQUEST_TOO_LARGE",
            format!("{{ catalogueVersion }} # {}", "x".repeat(70_000)),
        ),
        ("directives on a fragment spread", "GRAPHQL_VALIDATION_FAILED", {
            format!("fragment F on Query {{ catalogueVersion }} {{ ...F {} }}", "@skip(if: false) ".repeat(200))
        }),
    ];
    for (name, expect, query) in generated {
        cases.push((name.to_owned(), expect.to_owned(), query));
    }
    let mut failures = Vec::new();
    for (name, expect, query) in &cases {
        let reply = client.gql(query, json!({})).await?;
        failures.extend(check(reply.status, &reply.body, expect, None, name).err().map(|e| e.to_string()));
    }
    ensure!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    // A body past the limit streamed without a length, slowly: cut off at the limit.
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.address
    );
    let total = 4 * 1024 * 1024;
    let chunks = std::iter::once(b"{\"query\": \"{ catalogueVersion }\", \"pad\": \"".to_vec())
        .chain(std::iter::repeat_n(vec![b'x'; 4096], total / 4096));
    let (status, body, sent) = raw_request(&app, &head, true, chunks, Duration::from_millis(2)).await?;
    check(status, &body, "REQUEST_TOO_LARGE", None, "streamed GraphQL body")?;
    ensure!(sent < total, "the server waited for the whole body ({sent} bytes)");
    ensure!(stored(&app).await? == before, "GraphQL abuse stored something");
    still_answers(&app).await?;
    println!(
        "hostile input: GraphQL: {} inputs tried ({stored_cases} corpus files, {} generated, 1 streamed); \
         {sent} of {total} bytes sent before the streamed body was refused",
        cases.len() + 1,
        cases.len() - stored_cases
    );
    app.stop().await
}

// ---------------------------------------------------------------------------------------------
// Uploads

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A PNG from its header fields and IDAT payload, with correct lengths and CRCs.
fn png(width: u32, height: u32, bit_depth: u8, color_type: u8, idat: &[u8]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let ihdr: Vec<u8> = [width.to_be_bytes(), height.to_be_bytes()]
        .concat()
        .into_iter()
        .chain([bit_depth, color_type, 0, 0, 0])
        .collect();
    for (kind, data) in [(b"IHDR", ihdr.as_slice()), (b"IDAT", idat), (b"IEND", &[])] {
        let chunk: Vec<u8> = kind.iter().chain(data).copied().collect();
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    out
}

/// A zlib stream of `n` zero bytes, about 160 times smaller than what it expands to (fixed
/// Huffman codes: one literal, then back-references of 258 bytes at distance 1).
fn zlib_zeros(n: usize) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let (mut bits, mut count) = (0u32, 0u32);
    let mut put = |out: &mut Vec<u8>, code: u32, len: u32, msb_first: bool| {
        for i in 0..len {
            let bit = if msb_first { (code >> (len - 1 - i)) & 1 } else { (code >> i) & 1 };
            bits |= bit << count;
            count += 1;
            if count == 8 {
                out.push(bits as u8);
                (bits, count) = (0, 0);
            }
        }
    };
    put(&mut out, 0b011, 3, false); // final block, fixed Huffman
    let mut left = n;
    if left > 0 {
        put(&mut out, 0x30, 8, true); // literal 0
        left -= 1;
    }
    while left >= 258 {
        put(&mut out, 0b1100_0101, 8, true); // length 258
        put(&mut out, 0, 5, true); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        put(&mut out, 0x30, 8, true);
    }
    put(&mut out, 0, 7, true); // end of block
    put(&mut out, 0, 7, false); // flush to a byte boundary
    let adler = (((n % 65_521) as u32) << 16) | 1;
    out.extend_from_slice(&adler.to_be_bytes());
    out
}

/// A tiny ZIP archive (one stored file).
fn zip() -> Vec<u8> {
    let mut out = b"PK\x03\x04\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
    out.extend_from_slice(&crc32(b"MZ").to_le_bytes());
    out.extend_from_slice(&[2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0]);
    out.extend_from_slice(b"a.exeMZ");
    out.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    out
}

/// One multipart part.
struct Part {
    field: &'static str,
    file_name: String,
    content_type: &'static str,
    bytes: Vec<u8>,
}

fn part(bytes: Vec<u8>, file_name: &str, content_type: &'static str) -> Part {
    Part { field: "file", file_name: file_name.to_owned(), content_type, bytes }
}

/// Uploads a multipart form as the signed-in user.
async fn upload_parts(app: &TestApp, client: &Client, parts: Vec<Part>) -> anyhow::Result<(u16, Value)> {
    let mut form = reqwest::multipart::Form::new();
    for p in parts {
        form = form
            .part(p.field, reqwest::multipart::Part::bytes(p.bytes).file_name(p.file_name).mime_str(p.content_type)?);
    }
    let response =
        client.http.post(app.url("/uploads")).header("x-requested-with", "test").multipart(form).send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).with_context(|| format!("{status} {}", short(&text)))?))
}

#[sqlx::test(migrations = "../migrations")]
async fn hostile_uploads_are_refused_and_leave_nothing_behind(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, _) = active_resident(&app, &operator, RESIDENT_NIK, "Siti Aminah").await?;
    let photo = jpeg(64, 48);
    let whole_png = {
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(image::RgbImage::new(40, 30)).write_to(&mut out, image::ImageFormat::Png)?;
        out.into_inner()
    };
    let pdf_with = |body: &str| format!("%PDF-1.4\n1 0 obj << {body} >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
    let mut big_zip_tail = photo.clone();
    big_zip_tail.extend(std::iter::repeat_n(zip(), 60).flatten());
    let mut oversize = photo.clone();
    oversize.resize(6 * 1024 * 1024, 0);
    let svg = "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\">\
               <script>alert(document.cookie)</script></svg>";
    let mut pe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    pe.resize(0x80, 0);
    pe.extend_from_slice(b"PE\x00\x00\x4c\x01");
    pe.resize(512, 0);
    // 8000 × 8000 RGBA at 16 bits: within the side limit, 512 MB once inflated, about 3 MB sent.
    let inflating = png(8000, 8000, 16, 6, &zlib_zeros(8000 * (1 + 8000 * 8)));
    let refused: Vec<(&str, Vec<Part>, u16, &str)> = vec![
        ("Windows executable named .jpg", vec![part(pe, "foto.jpg", "image/jpeg")], 422, "UPLOAD_TYPE_NOT_ALLOWED"),
        (
            "ELF executable named .png",
            vec![part(b"\x7fELF\x02\x01\x01\x00\x00\x00".repeat(20), "foto.png", "image/png")],
            422,
            "UPLOAD_TYPE_NOT_ALLOWED",
        ),
        (
            "shell script named .jpg",
            vec![part(b"#!/bin/sh\nrm -rf /\n".to_vec(), "foto.jpg", "image/jpeg")],
            422,
            "UPLOAD_TYPE_NOT_ALLOWED",
        ),
        (
            "SVG with a script",
            vec![part(svg.as_bytes().to_vec(), "foto.svg", "image/svg+xml")],
            422,
            "UPLOAD_TYPE_NOT_ALLOWED",
        ),
        (
            "SVG with a script named .png",
            vec![part(svg.as_bytes().to_vec(), "foto.png", "image/png")],
            422,
            "UPLOAD_TYPE_NOT_ALLOWED",
        ),
        (
            "HTML declared as a PDF",
            vec![part(b"<html><script>alert(1)</script></html>".to_vec(), "surat.pdf", "application/pdf")],
            422,
            "UPLOAD_TYPE_NOT_ALLOWED",
        ),
        (
            "HTML page with a PDF inside",
            vec![part(
                format!("<html>{}</html>", pdf_with("/Type /Catalog")).into_bytes(),
                "surat.pdf",
                "application/pdf",
            )],
            422,
            "UPLOAD_TYPE_NOT_ALLOWED",
        ),
        ("ZIP archive", vec![part(zip(), "dokumen.pdf", "application/pdf")], 422, "UPLOAD_TYPE_NOT_ALLOWED"),
        (
            "gzip stream",
            vec![part(
                b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec(),
                "foto.jpg",
                "image/jpeg",
            )],
            422,
            "UPLOAD_TYPE_NOT_ALLOWED",
        ),
        (
            "PDF with JavaScript",
            vec![part(
                pdf_with("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>").into_bytes(),
                "surat.pdf",
                "application/pdf",
            )],
            422,
            "UPLOAD_PDF_NOT_ALLOWED",
        ),
        (
            "PDF with JavaScript behind #xx escapes",
            vec![part(
                pdf_with("/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>").into_bytes(),
                "surat.pdf",
                "application/pdf",
            )],
            422,
            "UPLOAD_PDF_NOT_ALLOWED",
        ),
        (
            "PDF launching a program",
            vec![part(
                pdf_with("/OpenAction << /S /Launch /F (cmd.exe) >>").into_bytes(),
                "surat.pdf",
                "application/pdf",
            )],
            422,
            "UPLOAD_PDF_NOT_ALLOWED",
        ),
        (
            "PDF with an embedded file",
            vec![part(
                pdf_with("/Names << /EmbeddedFiles << /Names [(a.exe) 2 0 R] >> >>").into_bytes(),
                "surat.pdf",
                "application/pdf",
            )],
            422,
            "UPLOAD_PDF_NOT_ALLOWED",
        ),
        (
            "truncated PDF",
            vec![part(b"%PDF-1.4\n1 0 obj << /Type /Catalog".to_vec(), "surat.pdf", "application/pdf")],
            422,
            "UPLOAD_PDF_NOT_ALLOWED",
        ),
        (
            "truncated JPEG",
            vec![part(photo[..photo.len() / 2].to_vec(), "foto.jpg", "image/jpeg")],
            422,
            "UPLOAD_IMAGE_UNREADABLE",
        ),
        (
            "truncated PNG",
            vec![part(whole_png[..whole_png.len() - 20].to_vec(), "foto.png", "image/png")],
            422,
            "UPLOAD_IMAGE_UNREADABLE",
        ),
        (
            "JPEG followed by a large ZIP",
            vec![part(big_zip_tail, "foto.jpg", "image/jpeg")],
            422,
            "UPLOAD_IMAGE_UNREADABLE",
        ),
        (
            "PNG claiming 50000 × 50000 pixels",
            vec![part(png(50_000, 50_000, 8, 2, &zlib_zeros(1000)), "bom.png", "image/png")],
            422,
            "UPLOAD_IMAGE_TOO_LARGE",
        ),
        ("PNG inflating to 512 MB", vec![part(inflating, "bom.png", "image/png")], 422, "UPLOAD_IMAGE_TOO_LARGE"),
        (
            "JPEG claiming 60000 × 60000 pixels",
            vec![part(e2e::jpeg_claiming(60_000, 60_000)?, "bom.jpg", "image/jpeg")],
            422,
            "UPLOAD_IMAGE_TOO_LARGE",
        ),
        ("empty file", vec![part(Vec::new(), "kosong.jpg", "image/jpeg")], 422, "UPLOAD_EMPTY"),
        ("6 MB file", vec![part(oversize, "besar.jpg", "image/jpeg")], 413, "UPLOAD_TOO_LARGE"),
        (
            "no file field",
            vec![Part {
                field: "berkas",
                file_name: "foto.jpg".into(),
                content_type: "image/jpeg",
                bytes: photo.clone(),
            }],
            422,
            "UPLOAD_MISSING_FILE",
        ),
        (
            "two files",
            vec![part(photo.clone(), "a.jpg", "image/jpeg"), part(photo.clone(), "b.jpg", "image/jpeg")],
            422,
            "UPLOAD_MISSING_FILE",
        ),
    ];
    let refused_count = refused.len();
    for (name, parts, status, code) in refused {
        let before = stored(&app).await?;
        let (got, body) = upload_parts(&app, &resident, parts).await?;
        ensure!(got == status, "{name}: HTTP {got}, expected {status}: {body}");
        check(got, &body, code, None, name)?;
        ensure!(stored(&app).await? == before, "{name}: something was stored");
    }

    // Not a multipart form at all.
    let before = stored(&app).await?;
    for (name, content_type, body) in [
        ("JSON body", "application/json", b"{\"file\": \"/9j/4AAQ\"}".to_vec()),
        ("multipart without a boundary", "multipart/form-data", photo.clone()),
        ("multipart with garbage", "multipart/form-data; boundary=X", b"--Y\r\nnonsense".to_vec()),
    ] {
        let response = resident
            .http
            .post(app.url("/uploads"))
            .header("x-requested-with", "test")
            .header("content-type", content_type)
            .body(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        let body: Value = serde_json::from_str(&response.text().await?).with_context(|| name.to_owned())?;
        ensure!(status == 422, "{name}: {status}");
        check(status, &body, "UPLOAD_MISSING_FILE", None, name)?;
    }
    ensure!(stored(&app).await? == before, "malformed forms stored something");

    // Acceptable: identified by content whatever the name or declared type says; images are
    // re-encoded, so whatever rode along behind the picture is gone.
    let mut jpeg_zip = photo.clone();
    jpeg_zip.extend(zip());
    let accepted: Vec<(&str, Part, &str)> = vec![
        ("JPEG with a small ZIP behind it", part(jpeg_zip, "foto.jpg", "image/jpeg"), "image/jpeg"),
        ("JPEG declared a PDF", part(photo.clone(), "surat.pdf", "application/pdf"), "image/jpeg"),
        ("JPEG declared HTML", part(photo.clone(), "index.html", "text/html"), "image/jpeg"),
        ("PNG named .jpg", part(whole_png.clone(), "foto.jpg", "image/jpeg"), "image/png"),
        ("PDF that is also HTML", part(pdf_html_polyglot(), "surat.html", "text/html"), "application/pdf"),
        ("path traversal in the name", part(photo.clone(), "../../../../etc/passwd.jpg", "image/jpeg"), "image/jpeg"),
        ("bidi override in the name", part(photo.clone(), "foto\u{202E}gpj.exe", "image/jpeg"), "image/jpeg"),
        (
            "Windows path in the name",
            part(photo.clone(), "C:\\Windows\\System32\\foto.jpg", "image/jpeg"),
            "image/jpeg",
        ),
        ("10000-character name", part(photo.clone(), &"f".repeat(10_000), "image/jpeg"), "image/jpeg"),
    ];
    let accepted_count = accepted.len();
    for (name, part, content_type) in accepted {
        let before = stored(&app).await?;
        let (status, body) = upload_parts(&app, &resident, vec![part]).await?;
        ensure!(status == 201, "{name}: {status} {body}");
        ensure!(body["contentType"] == content_type, "{name}: {body}");
        let after = stored(&app).await?;
        ensure!(after.files == before.files + 1 && after.on_disk == before.on_disk + 1, "{name}: stored once");
        let id = uuid::Uuid::parse_str(body["uploadId"].as_str().context("uploadId")?)?;
        let file = app.commands.files.find(id).await?.context("record")?;
        let bytes = app.commands.files.read(&file).await?;
        ensure!(!bytes.windows(4).any(|w| w == b"PK\x03\x04"), "{name}: the ZIP rode along");
    }
    // Whatever the names said, files live only under files/, named by their id.
    for path in files_on_disk(app.data_dir())? {
        let parts: Vec<&str> = path.split('/').collect();
        ensure!(
            parts.len() == 4
                && parts[0] == "files"
                && parts[3].len() == 32
                && parts[3].chars().all(|c| c.is_ascii_hexdigit()),
            "unexpected file {path}"
        );
    }

    // Streamed slowly, past the limit, without a length: cut off at the limit.
    let token = app.client()?.upload_token(&pool).await?;
    let before = stored(&app).await?;
    let head = |extra: &str| {
        format!(
            "POST /uploads HTTP/1.1\r\nHost: {}\r\nX-Upload-Token: {token}\r\n\
             Content-Type: multipart/form-data; boundary=BATAS\r\n{extra}\r\n",
            app.address
        )
    };
    let preamble = b"--BATAS\r\nContent-Disposition: form-data; name=\"file\"; filename=\"besar.jpg\"\r\n\
                     Content-Type: image/jpeg\r\n\r\n"
        .to_vec();
    let total = 64 * 1024 * 1024;
    let chunks = std::iter::once([preamble.clone(), photo.clone()].concat())
        .chain(std::iter::repeat_n(vec![0u8; 32 * 1024], total / (32 * 1024)));
    let (status, body, sent) =
        raw_request(&app, &head("Transfer-Encoding: chunked\r\n"), true, chunks, Duration::from_millis(5)).await?;
    check(status, &body, "UPLOAD_TOO_LARGE", None, "slow oversize upload")?;
    ensure!(sent < total / 2, "the server kept reading: {sent} of {total} bytes sent before it answered");
    // Declared too large: refused before the body is read, though it never comes.
    let (status, body, _) =
        raw_request(&app, &head("Content-Length: 10000000000\r\n"), false, std::iter::once(preamble), Duration::ZERO)
            .await?;
    check(status, &body, "UPLOAD_TOO_LARGE", None, "upload declared 10 GB")?;
    ensure!(stored(&app).await? == before, "a streamed upload stored something");
    still_answers(&app).await?;
    println!(
        "hostile input: uploads: {} inputs tried ({refused_count} refused, 3 malformed forms, {accepted_count} accepted \
         after sniffing and re-encoding, 2 streamed); the slow 64 MB upload was cut off after {sent} bytes",
        refused_count + 3 + accepted_count + 2
    );
    app.stop().await
}

// ---------------------------------------------------------------------------------------------
// Fuzz seeds

/// `fuzz/corpus/<target>/` holds the corpus inputs of its parser as seeds. With
/// `UPDATE_FUZZ_SEEDS=1` the missing ones are written.
#[test]
fn fuzz_seeds_hold_the_hostile_corpus() -> anyhow::Result<()> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let update = std::env::var_os("UPDATE_FUZZ_SEEDS").is_some();
    let seeds = |file: &str| -> anyhow::Result<Vec<Vec<u8>>> {
        Ok(corpus(file)?.into_iter().map(|c| c.input.into_bytes()).filter(|s| s.len() <= 4096).collect())
    };
    // Whole forms too (values in field order, split at 0xFF), so that acceptance is reached.
    let mut forms = seeds("catalogue_fields.txt")?;
    forms.push(
        b"Dayang Sumbi\xffPerempuan\xffPutussibau\xff2020-01-31\xff1\xff6106015205900001\xff6106015205900001".to_vec(),
    );
    forms.push(b"abc\xff2020-01-31\xff6106015205900001\xff6106010101010001\xff-5\xff0\xffB b\xff081234567890".to_vec());
    let mut missing = Vec::new();
    for (target, inputs) in [
        ("nik", seeds("nik.txt")?),
        ("phone", seeds("phone.txt")?),
        ("text", seeds("names.txt")?),
        ("catalogue_fields", forms),
    ] {
        let dir = fuzz.join(target);
        for input in inputs {
            // FNV-1a: a stable name from the content.
            let hash =
                input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3));
            let path = dir.join(format!("hostile-{hash:016x}"));
            if std::fs::read(&path).ok().as_deref() == Some(input.as_slice()) {
                continue;
            }
            if update {
                std::fs::create_dir_all(&dir)?;
                std::fs::write(&path, &input)?;
            } else {
                missing.push(path.display().to_string());
            }
        }
    }
    ensure!(missing.is_empty(), "seeds missing (run with UPDATE_FUZZ_SEEDS=1): {missing:?}");
    Ok(())
}

#[test]
fn corpus_escapes_decode() -> anyhow::Result<()> {
    assert_eq!(decode(r"a\sb\t\0\u{202E}\\")?, "a b\t\0\u{202E}\\");
    assert_eq!(decode(r"\*3{ab}")?, "ababab");
    assert_eq!(decode(r"x\*2{\u{300}\*2{y}}")?, "x\u{300}yy\u{300}yy");
    assert!(decode(r"\q").is_err() && decode(r"\*2{a").is_err());
    Ok(())
}
