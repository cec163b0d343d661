//! Races through HTTP, every contender released at once by a barrier: exactly one winner each
//! time, the losers get the documented code (never `CONCURRENT_MODIFICATION` or
//! `INTERNAL_ERROR`), and the event store holds exactly one event per race.
//!
//! - `operators_race_for_the_same_requests`: 8 operators on 20 requests: all claim at once;
//!   then each sends two finishing commands at once (two completions, two re-upload demands,
//!   or one of each); the requests sent back to the resident are answered and claimed by all 8
//!   again.
//! - `registrations_of_one_nik_and_verifiers_race`: 16 registrations of one NIK at once (the
//!   service-level version with 6 is `commands/tests/event_store.rs::
//!   simultaneous_registrations_of_one_nik_have_exactly_one_winner`); 8 verifiers approving and
//!   rejecting each of 6 waiting accounts at once.
//! - `one_submission_sent_many_times_at_once_is_one_request`: a resident's "Kirim" sent 8 times
//!   at once with one idempotency key (double clicks, a retrying client) is one request, and
//!   every answer is that request.
//!
//! Figures are printed (`--no-capture` to see them).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::Context;
use domain::staff::Role;
use e2e::{Client, Reply, TestApp, active_resident, birth_certificate_input, eventually, jpeg, pdf, upload_as};
use serde_json::{Value, json};
use sqlx::PgPool;

const OPERATORS: usize = 8;
const REQUESTS: usize = 20;

const SUBMIT: &str =
    "mutation($i: SubmitServiceRequestInput!) { submitServiceRequest(input: $i) { requestId number } }";
const CLAIM: &str = "mutation($r: ID!) { claimRequest(requestId: $r) }";
const DEMAND: &str = "mutation($r: ID!, $i: [ReuploadItemInput!]!) { demandReupload(requestId: $r, items: $i) }";
const COMPLETE: &str = "mutation($r: ID!, $u: [ID!]!) { completeRequest(requestId: $r, uploadIds: $u) }";
const REUPLOAD: &str =
    "mutation($r: ID!, $d: [DocumentUploadInput!]!) { reuploadDocuments(requestId: $r, documents: $d) }";
const REGISTER: &str = "mutation($i: RegisterAccountInput!) { registerAccount(input: $i) { nikMasked } }";

/// The application, with each test client counted as its own client address.
async fn spawn(pool: PgPool) -> anyhow::Result<TestApp> {
    TestApp::spawn_with_options(pool, Arc::new(commands::SystemClock), &["--trust-forwarded-for"]).await
}

/// One GraphQL call of a race: who sends what.
struct Call {
    client: Client,
    query: &'static str,
    variables: Value,
}

/// Sends every call at once: each on its own task, all released by one barrier.
async fn race(calls: Vec<Call>) -> anyhow::Result<Vec<Reply>> {
    let barrier = Arc::new(tokio::sync::Barrier::new(calls.len()));
    let tasks: Vec<_> = calls
        .into_iter()
        .map(|call| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                call.client.gql(call.query, call.variables).await
            })
        })
        .collect();
    let mut replies = Vec::with_capacity(tasks.len());
    for task in tasks {
        replies.push(task.await??);
    }
    Ok(replies)
}

/// Outcomes of a series of races.
#[derive(Debug, Default)]
struct Tally {
    races: usize,
    winners: usize,
    losers: BTreeMap<String, usize>,
}

impl Tally {
    /// Records one race; exactly one reply must have won, every other must carry one of `codes`.
    /// Returns the index of the winner.
    fn race(&mut self, what: &str, replies: &[Reply], codes: &[&str]) -> anyhow::Result<usize> {
        self.races += 1;
        let mut winner = None;
        for (i, reply) in replies.iter().enumerate() {
            match reply.error_code() {
                None => {
                    reply.data()?;
                    anyhow::ensure!(winner.is_none(), "{what}: two winners");
                    winner = Some(i);
                    self.winners += 1;
                }
                Some(code) => {
                    anyhow::ensure!(codes.contains(&code), "{what}: a loser got {code}: {}", reply.body);
                    *self.losers.entry(code.to_owned()).or_default() += 1;
                }
            }
        }
        winner.with_context(|| format!("{what}: no winner"))
    }
}

async fn staff_id(client: &Client) -> anyhow::Result<String> {
    let me = client.gql("{ currentStaff { id } }", json!({})).await?;
    Ok(me.data()?.pointer("/currentStaff/id").and_then(Value::as_str).context("id")?.to_owned())
}

async fn count_events(pool: &PgPool, aggregate: &str, event_types: &[&str]) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_id = $1 AND event_type = ANY($2)")
        .bind(aggregate)
        .bind(event_types)
        .fetch_one(pool)
        .await?)
}

#[sqlx::test(migrations = "../migrations")]
async fn operators_race_for_the_same_requests(pool: PgPool) -> anyhow::Result<()> {
    let app = spawn(pool.clone()).await?;
    let mut operators = Vec::new();
    for i in 0..OPERATORS {
        let client = app.staff(&format!("petugas{i}"), Role::Operator).await?;
        let id = staff_id(&client).await?;
        operators.push((client, id));
    }
    let mut residents = Vec::new();
    for (nik, name) in [("6106015205900001", "Siti Aminah"), ("6106010101900002", "Budi Santoso")] {
        residents.push(active_resident(&app, &operators[0].0, nik, name).await?.0);
    }
    let mut requests = Vec::new();
    for n in 0..REQUESTS {
        let resident = &residents[n % residents.len()];
        let input = birth_certificate_input(&app, resident, &format!("balapan-{n:04}")).await?;
        let receipt = resident.gql(SUBMIT, input).await?;
        let id = receipt.data()?.pointer("/submitServiceRequest/requestId").and_then(Value::as_str);
        requests.push((id.context("requestId")?.to_owned(), n % residents.len()));
    }
    let mut tally = Tally::default();

    // Every operator claims every request, all at once.
    let calls = requests
        .iter()
        .flat_map(|(request, _)| {
            operators.iter().map(move |(client, _)| Call {
                client: client.clone(),
                query: CLAIM,
                variables: json!({ "r": request }),
            })
        })
        .collect();
    let replies = race(calls).await?;
    let mut claimer = BTreeMap::new();
    for ((request, _), replies) in requests.iter().zip(replies.chunks(OPERATORS)) {
        let winner = tally.race(&format!("claim {request}"), replies, &["REQUEST_ALREADY_CLAIMED"])?;
        claimer.insert(request.clone(), winner);
    }

    // Every operator sends two finishing commands on every request, all at once (as with a
    // double click): on a third of the requests two completions (each with a signed PDF of
    // their own), on a third two re-upload demands, on the rest one of each. One of the
    // claimer's wins.
    let demand = |request: &str| json!({ "r": request, "i": [{ "documentCode": "KARTU_KELUARGA", "reason": "Foto KK buram, mohon foto ulang" }] });
    let mut calls = Vec::new();
    let mut kinds = Vec::new();
    for (r, (request, _)) in requests.iter().enumerate() {
        let pair = match r % 3 {
            0 => [COMPLETE, COMPLETE],
            1 => [DEMAND, DEMAND],
            _ => [COMPLETE, DEMAND],
        };
        for (client, _) in &operators {
            for query in pair {
                let variables = if query == COMPLETE {
                    json!({ "r": request, "u": [upload_as(&app, client, pdf(), "akta-ttd.pdf").await?] })
                } else {
                    demand(request)
                };
                calls.push(Call { client: client.clone(), query, variables });
                kinds.push(query);
            }
        }
    }
    let replies = race(calls).await?;
    let mut sent_back = Vec::new();
    let mut completed = 0;
    let per_request = OPERATORS * 2;
    for (r, ((request, resident), replies)) in requests.iter().zip(replies.chunks(per_request)).enumerate() {
        let winner =
            tally.race(&format!("finish {request}"), replies, &["REQUEST_NOT_CLAIMED_BY_YOU", "REQUEST_CLOSED"])?;
        assert_eq!(winner / 2, claimer[request], "only the claimer can finish {request}");
        if kinds[r * per_request + winner] == COMPLETE {
            completed += 1;
        } else {
            sent_back.push((request.clone(), *resident));
        }
        assert_eq!(count_events(&pool, request, &["RequestCompleted", "ReuploadDemanded"]).await?, 1, "{request}");
    }
    // The losers' PDFs were not attached to anything.
    let attached: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM stored_files WHERE uploaded_by LIKE 'staff:%' AND attached_to IS NOT NULL",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!(attached, completed);

    // The residents answer; each request is back with the operator who asked, and when all 8
    // claim it at once only that operator's claim succeeds (changing nothing).
    for (request, resident) in &sent_back {
        let kk = upload_as(&app, &residents[*resident], jpeg(60, 40), "kk-baru.jpg").await?;
        let answered = residents[*resident]
            .gql(REUPLOAD, json!({ "r": request, "d": [{ "code": "KARTU_KELUARGA", "uploadId": kk }] }))
            .await?;
        assert_eq!(answered.data()?["reuploadDocuments"], "IN_REVIEW");
    }
    let calls = sent_back
        .iter()
        .flat_map(|(request, _)| {
            operators.iter().map(move |(client, _)| Call {
                client: client.clone(),
                query: CLAIM,
                variables: json!({ "r": request }),
            })
        })
        .collect();
    let replies = race(calls).await?;
    for ((request, _), replies) in sent_back.iter().zip(replies.chunks(OPERATORS)) {
        let winner = tally.race(&format!("claim again {request}"), replies, &["REQUEST_ALREADY_CLAIMED"])?;
        assert_eq!(winner, claimer[request], "back with the operator who asked for the documents");
    }

    // Exactly one claim per request in the store: the return to the asking operator is part
    // of `DocumentsReuploaded`, and their claim again is a no-op.
    for (request, _) in &requests {
        assert_eq!(count_events(&pool, request, &["RequestClaimed"]).await?, 1, "{request}");
    }
    println!(
        "operators: {} races ({} requests × {OPERATORS} operators), {} winners, losers by code {:?}; \
         {completed} completed, {} sent back and claimed again",
        tally.races,
        requests.len(),
        tally.winners,
        tally.losers,
        sent_back.len()
    );
    assert_eq!(tally.winners, tally.races);
    app.stop().await
}

/// Uploads for a registration from a new client (its own address): token, ids, captcha.
async fn registration(app: &TestApp, nik: &str) -> anyhow::Result<Call> {
    let client = app.client()?;
    let token = client.upload_token(&app.pool).await?;
    let mut ids = Vec::new();
    for name in ["ktp.jpg", "kk.jpg", "selfie.jpg"] {
        let (status, body) = client.upload(&app.url(""), Some(&token), jpeg(60, 40), name).await?;
        anyhow::ensure!(status == 201, "upload {name}: {status} {body}");
        ids.push(body["uploadId"].as_str().context("uploadId")?.to_owned());
    }
    let (captcha, answer) = client.solve_captcha(&app.pool).await?;
    let variables = json!({ "i": {
        "nik": nik, "fullName": "Siti Aminah", "phone": "081234567890", "password": e2e::RESIDENT_PASSWORD,
        "documents": { "identityDocumentKind": "KTP_EL", "identityUploadId": ids[0], "familyCardUploadId": ids[1], "selfieUploadId": ids[2] },
        "uploadToken": token, "captchaId": captcha, "captchaAnswer": answer } });
    Ok(Call { client, query: REGISTER, variables })
}

#[sqlx::test(migrations = "../migrations")]
async fn registrations_of_one_nik_and_verifiers_race(pool: PgPool) -> anyhow::Result<()> {
    let app = spawn(pool.clone()).await?;
    let mut tally = Tally::default();

    // 16 registrations of one NIK at once.
    let mut calls = Vec::new();
    for _ in 0..16 {
        calls.push(registration(&app, "6106015205900001").await?);
    }
    // Every sender gets the same receipt: the answer never tells whether the NIK already has an
    // account (see docs/SECURITY.md); exactly one registration is recorded.
    let replies = race(calls).await?;
    for reply in &replies {
        reply.data()?;
    }
    let registered: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'AccountRegistered'")
        .fetch_one(&pool)
        .await?;
    assert_eq!(registered, 1);
    // Every sender's uploads are attached for the stream, as a recorded registration leaves
    // them (nothing tells the losers apart); housekeeping uses up the losers' within the hour.
    let attached: i64 =
        sqlx::query_scalar("SELECT count(*) FROM stored_files WHERE attached_to IS NOT NULL").fetch_one(&pool).await?;
    assert_eq!(attached, 48);
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    assert_eq!(app.commands.files.settle_attachments(later).await?, 45);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM stored_files").fetch_one(&pool).await?;
    assert_eq!(stored, 3, "the winner's three remain");

    // Six more accounts wait; eight verifiers approve (half) or reject (half) each, all at once.
    for serial in 2..=7 {
        let call = registration(&app, &format!("610601010190000{serial}")).await?;
        call.client.gql(call.query, call.variables).await?.data()?;
    }
    let mut verifiers = Vec::new();
    for i in 0..OPERATORS {
        verifiers.push(app.staff(&format!("verifikator{i}"), Role::Operator).await?);
    }
    let accounts: Vec<String> = eventually("seven accounts queued", || async {
        let reply = verifiers[0]
            .gql("{ accountVerificationQueue(first: 50) { edges { node { accountId } } } }", json!({}))
            .await?;
        let ids: Vec<String> = reply
            .data()?
            .pointer("/accountVerificationQueue/edges")
            .and_then(Value::as_array)
            .map(|e| e.iter().filter_map(|e| e["node"]["accountId"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        Ok((ids.len() == 7).then_some(ids))
    })
    .await?;
    let calls = accounts
        .iter()
        .flat_map(|account| {
            verifiers.iter().enumerate().map(move |(i, client)| {
                let (query, variables) = if i % 2 == 0 {
                    ("mutation($a: ID!) { approveAccount(accountId: $a) { accountId } }", json!({ "a": account }))
                } else {
                    (
                        "mutation($a: ID!, $r: String!) { rejectAccount(accountId: $a, reason: $r) { accountId } }",
                        json!({ "a": account, "r": "Foto KTP tidak terbaca" }),
                    )
                };
                Call { client: client.clone(), query, variables }
            })
        })
        .collect();
    let replies = race(calls).await?;
    let mut decisions = BTreeMap::<&str, usize>::new();
    for (account, replies) in accounts.iter().zip(replies.chunks(OPERATORS)) {
        let winner =
            tally.race(&format!("verification of {account}"), replies, &["ACCOUNT_NOT_AWAITING_VERIFICATION"])?;
        *decisions.entry(if winner % 2 == 0 { "approved" } else { "rejected" }).or_default() += 1;
        assert_eq!(count_events(&pool, account, &["AccountApproved", "AccountRejected"]).await?, 1, "{account}");
    }
    println!(
        "residents: {} races (16 registrations of one NIK; {} accounts × {OPERATORS} verifiers), {} winners, \
         losers by code {:?}; decisions {decisions:?}",
        tally.races,
        accounts.len(),
        tally.winners,
        tally.losers
    );
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn one_submission_sent_many_times_at_once_is_one_request(pool: PgPool) -> anyhow::Result<()> {
    let app = spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, _) = active_resident(&app, &operator, "6106015205900001", "Siti Aminah").await?;
    let mut numbers = BTreeSet::new();
    let mut answers = 0;
    for round in 0..3 {
        let input = birth_certificate_input(&app, &resident, &format!("kirim-ganda-{round}")).await?;
        let calls =
            (0..8).map(|_| Call { client: resident.clone(), query: SUBMIT, variables: input.clone() }).collect();
        let replies = race(calls).await?;
        let mut ids = BTreeSet::new();
        for reply in &replies {
            let receipt = reply.data()?.pointer("/submitServiceRequest").cloned().context("receipt")?;
            ids.insert(receipt["requestId"].as_str().context("id")?.to_owned());
            numbers.insert(receipt["number"].as_str().context("number")?.to_owned());
            answers += 1;
        }
        assert_eq!(ids.len(), 1, "round {round}: one key, one request: {ids:?}");
        let id = ids.first().context("id")?;
        assert_eq!(count_events(&pool, id, &["RequestSubmitted"]).await?, 1);
    }
    assert_eq!(numbers.len(), 3, "every answer of a round carries the same number: {numbers:?}");
    let attached: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM stored_files WHERE attached_to IS NOT NULL AND uploaded_by LIKE 'resident:%'",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!(attached, 9, "three documents per request");
    println!("submissions: 3 races of 8 identical submissions, {answers} answers, all with the request of their key");
    app.stop().await
}
