//! Receipts ("Bukti Pengajuan") end to end: the resident downloads the PDF from the board, the
//! printed address checks it with `verifyReceipt`, and nobody else gets the receipt or more
//! than a masked name.

use anyhow::Context;
use domain::staff::Role;
use e2e::{Client, TestApp, active_resident, birth_certificate_input, eventually};
use serde_json::{Value, json};
use sqlx::PgPool;

const SUBMIT: &str =
    "mutation($i: SubmitServiceRequestInput!) { submitServiceRequest(input: $i) { requestId number } }";
const VERIFY: &str = "query($c: String!) { verifyReceipt(code: $c) { genuine message number serviceName submittedOn statusLabel applicantMasked } }";

async fn receipt_url(resident: &Client) -> anyhow::Result<String> {
    eventually("receipt on the board", || async {
        let reply = resident.gql("{ myRequests { edges { node { receiptUrl } } } }", json!({})).await?;
        Ok(reply.data()?.pointer("/myRequests/edges/0/node/receiptUrl").and_then(Value::as_str).map(str::to_owned))
    })
    .await
}

/// The address the receipt prints and links: `PUBLIC_URL/verifikasi/<code>`.
fn verify_address(pdf: &[u8]) -> anyhow::Result<String> {
    let text = String::from_utf8_lossy(pdf);
    let start = text.find("/URI (").context("no link in the receipt")? + "/URI (".len();
    let end = text[start..].find(')').context("unterminated link")?;
    Ok(text[start..start + end].to_owned())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_receipt_is_downloaded_by_its_resident_and_checked_by_anyone(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, _) = active_resident(&app, &operator, "6106015205900001", "Siti Aminah").await?;
    let input = birth_certificate_input(&app, &resident, "kunci-bukti-0001").await?;
    let submitted = resident.gql(SUBMIT, input).await?.data()?["submitServiceRequest"].clone();
    let number = submitted["number"].as_str().context("number")?.to_owned();
    let request_id = submitted["requestId"].as_str().context("id")?.to_owned();

    let url = receipt_url(&resident).await?;
    assert_eq!(url, format!("/receipts/{request_id}"));
    let response = resident.http.get(app.url(&url)).send().await?;
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(header("content-type"), "application/pdf");
    assert_eq!(
        header("content-disposition"),
        format!("attachment; filename=\"bukti-pengajuan-{number}.pdf\"; filename*=UTF-8''bukti-pengajuan-{number}.pdf")
    );
    let pdf = response.bytes().await?;
    assert!(pdf.starts_with(b"%PDF-") && pdf.len() < 100_000, "{} bytes", pdf.len());
    assert!(!String::from_utf8_lossy(&pdf).contains("6106015205900001"), "no NIK on the receipt");
    let address = verify_address(&pdf)?;
    let code = address.rsplit('/').next().context("code")?.to_owned();
    assert!(address.ends_with(&format!("/verifikasi/{code}")) && code.len() == 19, "{address}");
    assert!(!address.contains(&request_id), "the code is not the request id");

    // Anyone (no session) checks it: genuine, the status now, the name masked.
    let anyone = app.client()?;
    let check = anyone.gql(VERIFY, json!({ "c": code })).await?.data()?["verifyReceipt"].clone();
    assert_eq!(check["genuine"], json!(true));
    assert_eq!(check["number"], json!(number));
    assert_eq!(check["serviceName"], json!("Akta Kelahiran"));
    assert_eq!(check["statusLabel"], json!("Menunggu diproses"));
    assert_eq!(check["applicantMasked"], json!("S*** A*****"));
    // Typed by hand: lower case, spaces instead of dashes.
    let typed = code.to_lowercase().replace('-', " ");
    assert_eq!(anyone.gql(VERIFY, json!({ "c": typed })).await?.data()?["verifyReceipt"]["genuine"], json!(true));

    // The status it reports follows the request.
    let claim = "mutation($r: ID!) { claimRequest(requestId: $r) }";
    eventually("claimable", || async {
        let reply = operator.gql(claim, json!({ "r": request_id })).await?;
        Ok(reply.data().ok().map(|_| ()))
    })
    .await?;
    eventually("the check follows the claim", || async {
        let now = anyone.gql(VERIFY, json!({ "c": code })).await?.data()?["verifyReceipt"].clone();
        Ok((now["statusLabel"] == "Sedang diproses").then_some(()))
    })
    .await?;

    // Unknown and malformed codes: the same shape, nothing in it.
    let mut flipped = code.clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    for wrong in [String::from_utf8(flipped)?, "bukan-kode".to_owned(), "'; DROP TABLE events; --".to_owned()] {
        let check = anyone.gql(VERIFY, json!({ "c": wrong })).await?.data()?["verifyReceipt"].clone();
        assert_eq!(check["genuine"], json!(false), "{wrong}");
        assert!(check["message"].as_str().unwrap_or_default().starts_with("Kode tidak dikenal"), "{check}");
        for field in ["number", "serviceName", "submittedOn", "statusLabel", "applicantMasked"] {
            assert_eq!(check[field], Value::Null, "{field}");
        }
    }

    // Nobody else gets the PDF: another resident, an officer, no session.
    let (stranger, _) = active_resident(&app, &operator, "6106014804950002", "Rina Marlina").await?;
    assert_eq!(stranger.http.get(app.url(&url)).send().await?.status(), 404);
    assert_eq!(operator.http.get(app.url(&url)).send().await?.status(), 404);
    assert_eq!(app.client()?.http.get(app.url(&url)).send().await?.status(), 401);
    assert_eq!(resident.http.get(app.url("/receipts/bukan-id")).send().await?.status(), 404);

    let metrics = anyone.http.get(app.url("/metrics")).send().await?.text().await?;
    let count = |answer: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with(&format!("dukcapil_receipt_checks_total{{answer=\"{answer}\"}}")))
            .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
    };
    // Genuine: three checks at least (the wait for the claim may have asked more than once).
    assert!(count("Genuine").is_some_and(|n| n >= 3), "{metrics}");
    assert_eq!((count("Unknown"), count("Malformed")), (Some(1), Some(2)), "{metrics}");
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn checking_receipts_is_limited_per_address(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn_with_args(pool, &["--trust-forwarded-for"]).await?;
    let walker = app.client()?;
    for _ in 0..30 {
        let check = walker.gql(VERIFY, json!({ "c": "ABCD-EFGH-JKMN-PQRS" })).await?;
        assert_eq!(check.data()?["verifyReceipt"]["genuine"], json!(false));
    }
    let limited = walker.gql(VERIFY, json!({ "c": "ABCD-EFGH-JKMN-PQRS" })).await?;
    assert_eq!(limited.error_code(), Some("TOO_MANY_ATTEMPTS"));
    // Another address is not held back by it.
    let clerk = app.client()?;
    assert_eq!(
        clerk.gql(VERIFY, json!({ "c": "ABCD-EFGH-JKMN-PQRS" })).await?.data()?["verifyReceipt"]["genuine"],
        json!(false)
    );
    app.stop().await
}
