//! Crash safety with the real `dukcapil serve` binary, under load:
//!
//! - `kill_9_under_load_loses_nothing_acknowledged`: residents submit requests, a registrar
//!   registers new residents, operators claim, demand re-uploads, complete and approve
//!   accounts, all through HTTP against one `serve`. At moments drawn from a seeded generator
//!   (by number of commands sent) the process is killed with SIGKILL and restarted on the same
//!   port; clients send again, unchanged, what got no answer (a submission with the same
//!   idempotency key and the same uploads must then succeed). At the end every acknowledged command (HTTP 200 with data, no errors) has its events in the store,
//!   no stream has a duplicate or a gap, no idempotency key has two submissions, `replay
//!   --verify` of the real binary finds the live read models equal to a rebuild, and a full
//!   `replay` changes nothing.
//! - `two_instances_one_projector_and_takeover_under_load`: two `serve` processes on one
//!   database, commands sent to both in turn; exactly one projector is active (both `/readyz`
//!   and `pg_locks`), sampled all through the load; the active one is killed with SIGKILL mid-load,
//!   the other takes over; the read models equal a rebuild, and every acknowledged command is
//!   visible through the survivor's API.
//!
//! Quick mode (default, CI): 300 commands and 3 kills; two instances: 240 commands, 1 kill.
//! Full mode: `CRASH_FULL=1 cargo nextest run -p e2e --test crash --no-capture` (3000
//! commands, 10 kills; 2000 commands for two instances). `CRASH_SEED=<n>` changes the seed
//! (default 20261125). Figures are printed (`--no-capture` to see them).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use e2e::process::{Database, Remote, Server, projector_lock_holders, wait_until};
use e2e::{Client, Reply, Site, active_resident, birth_certificate_form, jpeg, next_client_address, pdf, read_models};
use serde_json::{Value, json};
use sqlx::PgPool;

const ADMIN_PASSWORD: &str = "sandi admin kuat 2026";

/// The environment every `serve` of these tests gets: each test client is its own client
/// address (as behind a proxy), and a small pool so two servers and other tests fit.
const SERVE_ENV: &[(&str, &str)] = &[("TRUST_FORWARDED_FOR", "true"), ("DATABASE_MAX_CONNECTIONS", "10")];

/// Size of a run.
#[derive(Debug, Clone, Copy)]
struct Mode {
    commands: usize,
    kills: usize,
    residents: usize,
    operators: usize,
    registrars: usize,
    seed: u64,
}

fn full_mode() -> bool {
    std::env::var("CRASH_FULL").is_ok_and(|v| v == "1")
}

fn seed() -> u64 {
    std::env::var("CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_125)
}

/// SplitMix64: a small deterministic generator, so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..high`.
    fn range(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() % (high - low).max(1) as u64) as usize
    }
}

/// A command the server acknowledged, with what must be in the event store because of it.
#[derive(Debug, Clone)]
enum Ack {
    Submitted { request: String, key: String, account: String },
    // A registration is found by its NIK: one sent again after a lost answer gets the first
    // one's receipt (no account enumeration), not an event of its own.
    Registered { nik: String },
    Claimed { request: String, by: String },
    Demanded { request: String, by: String },
    Completed { request: String, by: String },
    Approved { account: String, by: String },
}

/// What happened to a command.
enum Outcome {
    /// HTTP 200 with data and no errors.
    Acked(Reply),
    /// Refused with an error code.
    Refused(String),
    /// No usable answer: the process died (connection refused or reset), or a non-GraphQL reply.
    Lost,
}

/// The servers commands go to, in turn.
struct Routes {
    bases: RwLock<Vec<String>>,
    next: AtomicUsize,
}

impl Routes {
    fn new(bases: Vec<String>) -> Self {
        Self { bases: RwLock::new(bases), next: AtomicUsize::new(0) }
    }

    fn pick(&self) -> String {
        let bases = self.bases.read().map(|b| b.clone()).unwrap_or_default();
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        bases.get(n % bases.len().max(1)).cloned().unwrap_or_default()
    }

    fn remove(&self, base: &str) {
        if let Ok(mut bases) = self.bases.write() {
            bases.retain(|b| b != base);
        }
    }
}

/// The load: shared counters, the ledger of acknowledged commands, and the hand-over of
/// submitted requests to operators.
struct Load {
    routes: Routes,
    pool: PgPool,
    budget: usize,
    sent: AtomicUsize,
    sent_by_base: Mutex<BTreeMap<String, usize>>,
    lost: AtomicUsize,
    retried_after_loss: AtomicUsize,
    refused: Mutex<BTreeMap<String, usize>>,
    ledger: Mutex<Vec<Ack>>,
    queue: Mutex<VecDeque<String>>,
    registered: AtomicUsize,
}

const SUBMIT: &str =
    "mutation($i: SubmitServiceRequestInput!) { submitServiceRequest(input: $i) { requestId number } }";
const REGISTER: &str = "mutation($i: RegisterAccountInput!) { registerAccount(input: $i) { nikMasked } }";
const CLAIM: &str = "mutation($r: ID!) { claimRequest(requestId: $r) }";
const DEMAND: &str = "mutation($r: ID!, $i: [ReuploadItemInput!]!) { demandReupload(requestId: $r, items: $i) }";
const COMPLETE: &str = "mutation($r: ID!, $u: [ID!]!) { completeRequest(requestId: $r, uploadIds: $u) }";
const APPROVE: &str = "mutation($a: ID!) { approveAccount(accountId: $a) { accountId } }";

/// Pause after a lost command, while the server restarts.
const RETRY_PAUSE: Duration = Duration::from_millis(50);

impl Load {
    fn new(routes: Routes, pool: PgPool, budget: usize) -> Self {
        Self {
            routes,
            pool,
            budget,
            sent: AtomicUsize::new(0),
            sent_by_base: Mutex::default(),
            lost: AtomicUsize::new(0),
            retried_after_loss: AtomicUsize::new(0),
            refused: Mutex::default(),
            ledger: Mutex::default(),
            queue: Mutex::default(),
            registered: AtomicUsize::new(0),
        }
    }

    fn done(&self) -> bool {
        self.sent.load(Ordering::Relaxed) >= self.budget
    }

    fn record(&self, ack: Ack) {
        if let Ok(mut ledger) = self.ledger.lock() {
            ledger.push(ack);
        }
    }

    fn refusal(&self, code: &str) {
        if let Ok(mut refused) = self.refused.lock() {
            *refused.entry(code.to_owned()).or_default() += 1;
        }
    }

    fn acks(&self) -> Vec<Ack> {
        self.ledger.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Sends one command to the next server.
    async fn command(&self, client: &Client, query: &str, variables: Value) -> Outcome {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let base = self.routes.pick();
        if let Ok(mut by_base) = self.sent_by_base.lock() {
            *by_base.entry(base.clone()).or_default() += 1;
        }
        match client.at(&base).gql(query, variables).await {
            Ok(reply) if reply.status == 200 && reply.body.get("errors").is_none() && reply.data().is_ok() => {
                Outcome::Acked(reply)
            }
            Ok(reply) => match reply.error_code() {
                Some(code) => Outcome::Refused(code.to_owned()),
                None => {
                    self.lost.fetch_add(1, Ordering::Relaxed);
                    Outcome::Lost
                }
            },
            Err(_) => {
                self.lost.fetch_add(1, Ordering::Relaxed);
                Outcome::Lost
            }
        }
    }

    /// A request that is not a command (upload, captcha): retried until the server answers.
    async fn patiently<T, F, Fut>(&self, mut attempt: F) -> anyhow::Result<T>
    where
        F: FnMut(String) -> Fut,
        Fut: Future<Output = anyhow::Result<T>>,
    {
        let started = Instant::now();
        loop {
            match attempt(self.routes.pick()).await {
                Ok(value) => return Ok(value),
                Err(error) if started.elapsed() > Duration::from_secs(60) => return Err(error),
                Err(_) => tokio::time::sleep(RETRY_PAUSE).await,
            }
        }
    }

    async fn upload(&self, client: &Client, bytes: Vec<u8>, name: &str) -> anyhow::Result<String> {
        self.patiently(|base| {
            let bytes = bytes.clone();
            async move {
                let (status, body) = client.upload(&base, None, bytes, name).await?;
                ensure!(status == 201, "upload {name}: {status} {body}");
                Ok(body["uploadId"].as_str().context("uploadId")?.to_owned())
            }
        })
        .await
    }

    /// A resident: submits birth-certificate requests with fresh keys; a submission that got no
    /// answer is sent again as it was (same key, same uploads), as a browser would.
    async fn resident(&self, client: Client, account: String, worker: usize) -> anyhow::Result<()> {
        let mut n = 0;
        while !self.done() {
            n += 1;
            let key = format!("crash-{worker}-{n:05}");
            let documents = self.birth_documents(&client).await?;
            loop {
                match self.command(&client, SUBMIT, birth_certificate_form(&documents, &key)).await {
                    Outcome::Acked(reply) => {
                        let data = reply.data()?;
                        let request = data.pointer("/submitServiceRequest/requestId").and_then(Value::as_str);
                        let request = request.context("requestId")?.to_owned();
                        self.record(Ack::Submitted { request: request.clone(), key, account: account.clone() });
                        if let Ok(mut queue) = self.queue.lock() {
                            queue.push_back(request);
                        }
                        break;
                    }
                    Outcome::Lost => {
                        self.retried_after_loss.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(RETRY_PAUSE).await;
                    }
                    Outcome::Refused(code) => bail!("submission {key} refused: {code}"),
                }
            }
        }
        Ok(())
    }

    async fn birth_documents(&self, client: &Client) -> anyhow::Result<[String; 3]> {
        Ok([
            self.upload(client, pdf(), "surat.pdf").await?,
            self.upload(client, jpeg(60, 40), "kk.jpg").await?,
            self.upload(client, jpeg(60, 40), "ktp.jpg").await?,
        ])
    }

    /// Registers new residents (NIKs from `first_serial` on), each from its own address.
    async fn registrar(&self, first_serial: usize) -> anyhow::Result<()> {
        let mut serial = first_serial;
        while !self.done() {
            serial += 1;
            let nik = format!("6106010101{:02}{:04}", 80 + serial / 10_000, serial % 10_000);
            let client = &Client::new(&self.routes.pick(), Some(&next_client_address()))?;
            let documents = self.registration_documents(client).await?;
            loop {
                let (captcha, answer) =
                    self.patiently(|base| async move { client.at(&base).solve_captcha(&self.pool).await }).await?;
                let variables = json!({ "i": {
                    "nik": nik, "fullName": "Warga Kapuas Hulu", "phone": "081234567890", "password": e2e::RESIDENT_PASSWORD,
                    "documents": { "identityDocumentKind": "KTP_EL", "identityUploadId": documents.1[0],
                                   "familyCardUploadId": documents.1[1], "selfieUploadId": documents.1[2] },
                    "uploadToken": documents.0, "captchaId": captcha, "captchaAnswer": answer } });
                match self.command(client, REGISTER, variables).await {
                    Outcome::Acked(_) => {
                        self.record(Ack::Registered { nik: nik.clone() });
                        self.registered.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    // Sent again; if the lost attempt was recorded after all, the answer is the
                    // same receipt (a registration never tells whether the NIK has an account).
                    Outcome::Lost => {
                        self.retried_after_loss.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(RETRY_PAUSE).await;
                    }
                    Outcome::Refused(code) => bail!("registration of serial {serial} refused: {code}"),
                }
            }
        }
        Ok(())
    }

    async fn registration_documents(&self, client: &Client) -> anyhow::Result<(String, [String; 3])> {
        let token = self.patiently(|base| async move { client.at(&base).upload_token(&self.pool).await }).await?;
        let mut ids = Vec::new();
        for name in ["ktp.jpg", "kk.jpg", "selfie.jpg"] {
            let id = self
                .patiently(|base| {
                    let token = token.clone();
                    async move {
                        let (status, body) = client.upload(&base, Some(&token), jpeg(60, 40), name).await?;
                        ensure!(status == 201, "upload {name}: {status} {body}");
                        Ok(body["uploadId"].as_str().context("uploadId")?.to_owned())
                    }
                })
                .await?;
            ids.push(id);
        }
        let ids: [String; 3] = ids.try_into().map_err(|_| anyhow::anyhow!("three uploads"))?;
        Ok((token, ids))
    }

    /// An operator: takes submitted requests, claims each, then completes it or asks for a
    /// document again; in between approves accounts waiting for verification.
    async fn operator(&self, client: Client, staff_id: String, seed: u64) -> anyhow::Result<()> {
        let mut rng = Rng(seed);
        while !self.done() {
            let next = self.queue.lock().ok().and_then(|mut q| q.pop_front());
            if let Some(request) = next {
                if !self.retry(&client, CLAIM, json!({ "r": request }), "REQUEST_ALREADY_CLAIMED").await? {
                    continue;
                }
                self.record(Ack::Claimed { request: request.clone(), by: staff_id.clone() });
                if rng.range(0, 3) == 0 {
                    let items =
                        json!([{ "documentCode": "KARTU_KELUARGA", "reason": "Foto KK buram, mohon foto ulang" }]);
                    if self
                        .retry(&client, DEMAND, json!({ "r": request, "i": items }), "REQUEST_NOT_CLAIMED_BY_YOU")
                        .await?
                    {
                        self.record(Ack::Demanded { request, by: staff_id.clone() });
                    }
                } else {
                    // Sent again as it was after a loss (same PDF); REQUEST_CLOSED then means
                    // the lost attempt took effect.
                    let signed = self.upload(&client, pdf(), "akta-ttd.pdf").await?;
                    if self.retry(&client, COMPLETE, json!({ "r": request, "u": [signed] }), "REQUEST_CLOSED").await? {
                        self.record(Ack::Completed { request, by: staff_id.clone() });
                    }
                }
            } else if let Some(account) = self.waiting_account(&client, &mut rng).await {
                if self.retry(&client, APPROVE, json!({ "a": account }), "ACCOUNT_NOT_AWAITING_VERIFICATION").await? {
                    self.record(Ack::Approved { account, by: staff_id.clone() });
                }
            } else {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Ok(())
    }

    /// Sends a command until it gets an answer. `Ok(true)` when acknowledged, `Ok(false)` when
    /// refused with `expected_refusal` (another operator was first, or a lost attempt took
    /// effect after all).
    async fn retry(
        &self,
        client: &Client,
        query: &str,
        variables: Value,
        expected_refusal: &str,
    ) -> anyhow::Result<bool> {
        loop {
            match self.command(client, query, variables.clone()).await {
                Outcome::Acked(_) => return Ok(true),
                Outcome::Lost => {
                    self.retried_after_loss.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                Outcome::Refused(code) if code == expected_refusal => {
                    self.refusal(&code);
                    return Ok(false);
                }
                Outcome::Refused(code) => bail!("{query} refused with {code}"),
            }
        }
    }

    /// One of the first accounts in the verification queue (a read model: may lag).
    async fn waiting_account(&self, client: &Client, rng: &mut Rng) -> Option<String> {
        let reply = client
            .at(&self.routes.pick())
            .gql("{ accountVerificationQueue(first: 5) { edges { node { accountId } } } }", json!({}))
            .await
            .ok()?;
        let edges = reply.data().ok()?.pointer("/accountVerificationQueue/edges")?.as_array()?.clone();
        if edges.is_empty() {
            return None;
        }
        edges[rng.range(0, edges.len())]["node"]["accountId"].as_str().map(str::to_owned)
    }
}

/// A running deployment as [`Site`]: the first route and the database.
/// Staff and residents to drive the load: operators created by the admin through the API,
/// residents registered and approved through the API.
struct Cast {
    operators: Vec<(Client, String)>,
    residents: Vec<(Client, String)>,
}

async fn cast(site: &Remote<'_>, mode: &Mode) -> anyhow::Result<Cast> {
    api::cli::create_admin(site.pool, &e2e::development_vault(site.pool)?, "admin", "Admin Dinas", ADMIN_PASSWORD)
        .await?;
    let admin = site.client()?;
    admin.staff_login("admin", ADMIN_PASSWORD).await?;
    let mut operators = Vec::new();
    for i in 0..mode.operators {
        let username = format!("petugas{i}");
        let password = format!("sandi {username} 2026");
        let created = admin
            .gql(
                "mutation($i: CreateStaffInput!) { createStaff(input: $i) { id } }",
                json!({ "i": { "username": username, "displayName": format!("Petugas {i}"), "role": "OPERATOR", "password": password } }),
            )
            .await?;
        let id = created.data()?.pointer("/createStaff/id").and_then(Value::as_str).context("staff id")?.to_owned();
        let client = site.client()?;
        client.staff_login(&username, &password).await?;
        operators.push((client, id));
    }
    let mut residents = Vec::new();
    for i in 0..mode.residents {
        let nik = format!("61060152059{:05}", i + 1);
        residents.push(active_resident(site, &operators[0].0, &nik, "Siti Aminah").await?);
    }
    Ok(Cast { operators, residents })
}

/// Runs the load until `budget` commands were sent, with `during` running beside it.
async fn drive(
    load: &Arc<Load>,
    cast: &Cast,
    mode: &Mode,
    during: impl Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let mut workers = Vec::new();
    for (i, (client, account)) in cast.residents.iter().enumerate() {
        let (load, client, account) = (load.clone(), client.clone(), account.clone());
        workers.push(tokio::spawn(async move { load.resident(client, account, i).await }));
    }
    for (i, (client, id)) in cast.operators.iter().enumerate() {
        let (load, client, id) = (load.clone(), client.clone(), id.clone());
        let seed = mode.seed ^ (i as u64 + 1);
        workers.push(tokio::spawn(async move { load.operator(client, id, seed).await }));
    }
    for i in 0..mode.registrars {
        let load = load.clone();
        workers.push(tokio::spawn(async move { load.registrar(i * 1000).await }));
    }
    let during = during.await;
    let mut failures = Vec::new();
    for worker in workers {
        if let Err(error) = worker.await? {
            failures.push(format!("{error:#}"));
        }
    }
    during?;
    ensure!(failures.is_empty(), "load workers failed: {failures:?}");
    Ok(())
}

/// What the event store holds for the acknowledged commands.
#[derive(Debug, Default)]
struct Found {
    acknowledged: usize,
    found: usize,
    missing: Vec<String>,
}

/// Every acknowledged command's events are in the store; no stream has a duplicate or a gap;
/// one submission per idempotency key.
async fn check_event_store(pool: &PgPool, acks: &[Ack]) -> anyhow::Result<Found> {
    let mut found = Found { acknowledged: acks.len(), ..Found::default() };
    let mut keys: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for ack in acks {
        let (present, what) = match ack {
            Ack::Submitted { request, key, account } => {
                keys.entry((account.clone(), key.clone())).or_default().insert(request.clone());
                let n: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM events WHERE aggregate_type = 'ServiceRequest' AND aggregate_id = $1
                        AND event_type = 'RequestSubmitted'",
                )
                .bind(request)
                .fetch_one(pool)
                .await?;
                ensure!(n <= 1, "request {request} submitted {n} times");
                (n == 1, format!("submission {key} → {request}"))
            }
            Ack::Registered { nik } => {
                // The NIK is sealed at rest; its account stream is the keyed hash of it.
                let account = e2e::development_settings()?.secrets.account_id(&domain::nik::Nik::parse(nik)?);
                let n: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM events WHERE event_type = 'AccountRegistered' AND aggregate_id = $1",
                )
                .bind(account.to_string())
                .fetch_one(pool)
                .await?;
                ensure!(n <= 1, "NIK {nik} registered {n} times");
                (n == 1, format!("registration of {nik}"))
            }
            Ack::Claimed { request, by } => {
                (event_by(pool, request, "RequestClaimed", by).await?, format!("claim of {request}"))
            }
            Ack::Demanded { request, by } => {
                (event_by(pool, request, "ReuploadDemanded", by).await?, format!("re-upload demand on {request}"))
            }
            Ack::Completed { request, by } => {
                (event_by(pool, request, "RequestCompleted", by).await?, format!("completion of {request}"))
            }
            Ack::Approved { account, by } => {
                (event_by(pool, account, "AccountApproved", by).await?, format!("approval of {account}"))
            }
        };
        if present {
            found.found += 1;
        } else {
            found.missing.push(what);
        }
    }
    for ((_, key), requests) in &keys {
        ensure!(requests.len() == 1, "idempotency key {key} answered with several requests: {requests:?}");
    }
    let duplicates: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT 1 FROM events GROUP BY aggregate_type, aggregate_id, sequence HAVING count(*) > 1) d",
    )
    .fetch_one(pool)
    .await?;
    ensure!(duplicates == 0, "{duplicates} duplicate (aggregate_type, aggregate_id, sequence)");
    let gaps: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT 1 FROM events GROUP BY aggregate_type, aggregate_id
                                HAVING max(sequence) <> count(*) OR min(sequence) <> 1) g",
    )
    .fetch_one(pool)
    .await?;
    ensure!(gaps == 0, "{gaps} streams with a gap in their sequence");
    // Without releases and rejections in the load, each of these happens at most once per stream.
    let repeated: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT aggregate_id, event_type, count(*) FROM events
          WHERE event_type IN ('RequestSubmitted', 'RequestClaimed', 'RequestCompleted', 'ReuploadDemanded',
                               'AccountRegistered', 'AccountApproved')
          GROUP BY aggregate_id, event_type HAVING count(*) > 1",
    )
    .fetch_all(pool)
    .await?;
    ensure!(repeated.is_empty(), "events repeated within a stream: {repeated:?}");
    Ok(found)
}

async fn event_by(pool: &PgPool, aggregate: &str, event_type: &str, actor: &str) -> anyhow::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_id = $1 AND event_type = $2 AND metadata->>'actor_id' = $3",
    )
    .bind(aggregate)
    .bind(event_type)
    .bind(actor)
    .fetch_one(pool)
    .await?;
    Ok(n == 1)
}

/// Waits until the projector has applied everything.
async fn caught_up(pool: &PgPool) -> anyhow::Result<()> {
    wait_until("read models caught up", Duration::from_secs(60), async || {
        projections::lag(pool, &projections::all()).await.is_ok_and(|lag| lag.pending_events == 0)
    })
    .await
}

/// `dukcapil replay --verify`: the live read models equal a rebuild from the history.
fn replay_verify(db: &Database) -> anyhow::Result<()> {
    let (ok, text) = db.run(&["replay", "--verify"])?;
    ensure!(ok && text.contains("Semua read model sesuai"), "replay --verify found differences:\n{text}");
    Ok(())
}

/// `dukcapil replay` (a full rebuild, swapped in) leaves every read model as it was.
async fn replay_changes_nothing(db: &Database, pool: &PgPool) -> anyhow::Result<()> {
    let before = read_models(pool).await?;
    let (ok, text) = db.run(&["replay", "--batch-size", "37"])?;
    ensure!(ok, "replay failed:\n{text}");
    let after = read_models(pool).await?;
    for ((table, live), (_, rebuilt)) in before.iter().zip(&after) {
        ensure!(live == rebuilt, "{table} changed by a replay");
    }
    ensure!(before.len() == after.len());
    Ok(())
}

fn refusals(load: &Load) -> BTreeMap<String, usize> {
    load.refused.lock().map(|r| r.clone()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_nothing_acknowledged() -> anyhow::Result<()> {
    let started = Instant::now();
    let full = full_mode();
    let mode = if full {
        Mode { commands: 3000, kills: 10, residents: 8, operators: 6, registrars: 2, seed: seed() }
    } else {
        Mode { commands: 300, kills: 3, residents: 4, operators: 4, registrars: 1, seed: seed() }
    };
    let db = Database::new();
    let pool = db.migrated().await?;
    let port = e2e::process::free_port()?;
    let mut server = Server::start_on(&db, port, SERVE_ENV)?;
    let probe = reqwest::Client::new();
    server.wait_answering(&probe, Duration::from_secs(30)).await?;
    let base = server.url("");
    let cast = cast(&Remote { base: base.clone(), pool: &pool }, &mode).await?;

    // Kill moments, by number of commands sent: seeded, spread over the middle of the run.
    let mut rng = Rng(mode.seed);
    let mut moments: Vec<usize> =
        (0..mode.kills).map(|_| rng.range(mode.commands / 10, mode.commands * 9 / 10)).collect();
    moments.sort_unstable();
    let load = Arc::new(Load::new(Routes::new(vec![base.clone()]), pool.clone(), mode.commands));
    let kills = AtomicUsize::new(0);
    let mut downtime = Duration::ZERO;
    let killer = async {
        for moment in &moments {
            while load.sent.load(Ordering::Relaxed) < *moment && !load.done() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            server.kill9()?;
            let down = Instant::now();
            kills.fetch_add(1, Ordering::Relaxed);
            server = Server::start_on(&db, port, SERVE_ENV)?;
            server.wait_answering(&probe, Duration::from_secs(30)).await?;
            downtime += down.elapsed();
        }
        Ok(())
    };
    drive(&load, &cast, &mode, killer).await?;
    let load_time = started.elapsed();

    caught_up(&pool).await?;
    let acks = load.acks();
    let found = check_event_store(&pool, &acks).await?;
    let refused = refusals(&load);
    println!(
        "crash ({}): seed {}, {} commands sent, {} acknowledged, {} found after {} kills at commands {:?} \
         (downtime {:.1} s); {} lost in flight, {} resent, refusals {:?}; {} residents registered; load {:.1} s",
        if full { "full" } else { "quick" },
        mode.seed,
        load.sent.load(Ordering::Relaxed),
        found.acknowledged,
        found.found,
        kills.load(Ordering::Relaxed),
        moments,
        downtime.as_secs_f64(),
        load.lost.load(Ordering::Relaxed),
        load.retried_after_loss.load(Ordering::Relaxed),
        refused,
        load.registered.load(Ordering::Relaxed),
        load_time.as_secs_f64(),
    );
    ensure!(found.missing.is_empty(), "acknowledged but not in the event store: {:?}", found.missing);
    assert_eq!(kills.load(Ordering::Relaxed), mode.kills);
    assert!(!refused.contains_key("INTERNAL_ERROR") && !refused.contains_key("CONCURRENT_MODIFICATION"), "{refused:?}");

    replay_verify(&db)?;
    ensure!(server.terminate(Duration::from_secs(15)).await?, "serve did not stop cleanly");
    replay_changes_nothing(&db, &pool).await?;
    println!("crash: total {:.1} s", started.elapsed().as_secs_f64());
    pool.close().await;
    Ok(())
}

/// The status a request has after its last event, as the board shows it.
fn status_after(event_type: &str) -> &'static str {
    match event_type {
        "RequestSubmitted" | "RequestReleased" => "SUBMITTED",
        "RequestClaimed" | "RequestReassigned" => "IN_REVIEW",
        "ReuploadDemanded" => "AWAITING_REUPLOAD",
        "RequestCompleted" => "COMPLETED",
        _ => "OTHER",
    }
}

/// Every request of `resident` on the status board (all pages): request id → status.
async fn board(resident: &Client) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let reply = resident
            .gql(
                "query($a: String) { myRequests(first: 100, after: $a) { pageInfo { hasNextPage endCursor } edges { node { requestId status } } } }",
                json!({ "a": after }),
            )
            .await?;
        let page = reply.data()?.pointer("/myRequests").cloned().context("myRequests")?;
        for edge in page["edges"].as_array().cloned().unwrap_or_default() {
            let id = edge["node"]["requestId"].as_str().context("id")?.to_owned();
            out.insert(id, edge["node"]["status"].as_str().unwrap_or_default().to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return Ok(out);
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_one_projector_and_takeover_under_load() -> anyhow::Result<()> {
    let started = Instant::now();
    let full = full_mode();
    let mode = if full {
        Mode { commands: 2000, kills: 1, residents: 6, operators: 4, registrars: 1, seed: seed() }
    } else {
        Mode { commands: 240, kills: 1, residents: 3, operators: 3, registrars: 1, seed: seed() }
    };
    let db = Database::new();
    let pool = db.migrated().await?;
    let probe = reqwest::Client::new();
    let first = Server::start_on(&db, e2e::process::free_port()?, SERVE_ENV)?;
    wait_until("first active", Duration::from_secs(30), async || first.projector_active(&probe).await == Some(true))
        .await?;
    let second = Server::start_on(&db, e2e::process::free_port()?, SERVE_ENV)?;
    second.wait_answering(&probe, Duration::from_secs(30)).await?;
    assert_eq!(second.projector_active(&probe).await, Some(false), "only one projector may be active");
    assert_eq!(projector_lock_holders(&pool).await?, 1);

    let cast = cast(&Remote { base: first.url(""), pool: &pool }, &mode).await?;
    let servers = Arc::new(Mutex::new(vec![Some(first), Some(second)]));
    let bases: Vec<String> =
        servers.lock().map(|s| s.iter().flatten().map(|s| s.url("")).collect()).unwrap_or_default();
    let load = Arc::new(Load::new(Routes::new(bases.clone()), pool.clone(), mode.commands));

    // All through the load, sample who is active: never two.
    let sampling = Arc::new(AtomicBool::new(true));
    let samples = Arc::new(Mutex::new(BTreeMap::<usize, usize>::new()));
    let sampler = {
        let (servers, sampling, samples, pool, probe) =
            (servers.clone(), sampling.clone(), samples.clone(), pool.clone(), probe.clone());
        let ports: Vec<u16> = servers.lock().map(|s| s.iter().flatten().map(|s| s.port).collect()).unwrap_or_default();
        tokio::spawn(async move {
            let count_active = async || {
                let mut active = 0;
                for port in &ports {
                    let url = format!("http://127.0.0.1:{port}/readyz");
                    let answer = async { probe.get(&url).send().await.ok()?.json::<Value>().await.ok() }.await;
                    let flag =
                        answer.and_then(|r| r.pointer("/projector/activeInThisProcess").and_then(Value::as_bool));
                    active += usize::from(flag == Some(true));
                }
                active
            };
            while sampling.load(Ordering::Relaxed) {
                let mut active = count_active().await;
                if active > 1 {
                    // The two answers are not one instant: a hand-over (after a projector
                    // failure) may fall between them. Two at once must persist to count.
                    active = count_active().await;
                }
                let holders = projector_lock_holders(&pool).await?;
                ensure!(active <= 1 && holders <= 1, "{active} active projectors, {holders} lock holders");
                if let Ok(mut samples) = samples.lock() {
                    *samples.entry(active).or_default() += 1;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok::<_, anyhow::Error>(())
        })
    };

    let kill_at = Rng(mode.seed).range(mode.commands * 3 / 10, mode.commands / 2);
    let mut takeover = Duration::ZERO;
    let mut killed_base = String::new();
    let killer = async {
        while load.sent.load(Ordering::Relaxed) < kill_at {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut victim = None;
        for (i, base) in bases.iter().enumerate() {
            let readyz = probe.get(format!("{base}/readyz")).send().await?.json::<Value>().await?;
            if readyz.pointer("/projector/activeInThisProcess") == Some(&json!(true)) {
                victim = Some(i);
            }
        }
        let victim = victim.context("no active projector to kill")?;
        let mut dead = servers.lock().ok().and_then(|mut s| s[victim].take()).context("victim")?;
        dead.kill9()?;
        let killed = Instant::now();
        killed_base = bases[victim].clone();
        load.routes.remove(&killed_base);
        let survivor_base = bases[1 - victim].clone();
        wait_until("the survivor takes over", Duration::from_secs(30), async || {
            let url = format!("{survivor_base}/readyz");
            let answer = async { probe.get(&url).send().await.ok()?.json::<Value>().await.ok() }.await;
            answer.and_then(|r| r.pointer("/projector/activeInThisProcess").cloned()) == Some(json!(true))
        })
        .await?;
        takeover = killed.elapsed();
        Ok(())
    };
    drive(&load, &cast, &mode, killer).await?;
    sampling.store(false, Ordering::Relaxed);
    sampler.await??;

    caught_up(&pool).await?;
    let acks = load.acks();
    let found = check_event_store(&pool, &acks).await?;
    ensure!(found.missing.is_empty(), "acknowledged but not in the event store: {:?}", found.missing);
    replay_verify(&db)?;

    // Every acknowledged command is visible through the survivor: each resident's board shows
    // each acknowledged submission with the status its last event gives; approved accounts
    // have left the verification queue.
    let survivor_base = bases.iter().find(|b| **b != killed_base).context("survivor")?.clone();
    let last_events: BTreeMap<String, String> = sqlx::query_as::<_, (String, String)>(
        "SELECT DISTINCT ON (aggregate_id) aggregate_id, event_type FROM events
          WHERE aggregate_type = 'ServiceRequest' ORDER BY aggregate_id, sequence DESC",
    )
    .fetch_all(&pool)
    .await?
    .into_iter()
    .collect();
    let mut visible = 0;
    for (client, account) in &cast.residents {
        let shown = board(&client.at(&survivor_base)).await?;
        for ack in &acks {
            if let Ack::Submitted { request, account: owner, .. } = ack
                && owner == account
            {
                let last = last_events.get(request).context("stream")?;
                assert_eq!(shown.get(request).map(String::as_str), Some(status_after(last)), "request {request}");
                visible += 1;
            }
        }
    }
    let (operator, _) = cast.operators.first().context("operator")?;
    let queue = operator
        .at(&survivor_base)
        .gql("{ accountVerificationQueue(first: 100) { totalCount edges { node { accountId } } } }", json!({}))
        .await?;
    let waiting: BTreeSet<String> = queue
        .data()?
        .pointer("/accountVerificationQueue/edges")
        .and_then(Value::as_array)
        .map(|e| e.iter().filter_map(|e| e["node"]["accountId"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    for ack in &acks {
        if let Ack::Approved { account, .. } = ack {
            assert!(!waiting.contains(account), "approved account {account} still queued on the survivor");
            visible += 1;
        }
    }
    let sent_by_base = load.sent_by_base.lock().map(|s| s.clone()).unwrap_or_default();
    println!(
        "two instances ({}): {} commands sent ({:?} per instance), {} acknowledged, {} found, {} submissions/approvals \
         checked through the survivor; active projector killed at command {}, takeover in {:.1} s; \
         samples by number of active projectors {:?}; refusals {:?}; total {:.1} s",
        if full { "full" } else { "quick" },
        load.sent.load(Ordering::Relaxed),
        sent_by_base.values().collect::<Vec<_>>(),
        found.acknowledged,
        found.found,
        visible,
        kill_at,
        takeover.as_secs_f64(),
        samples.lock().map(|s| s.clone()).unwrap_or_default(),
        refusals(&load),
        started.elapsed().as_secs_f64(),
    );
    let samples = samples.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(samples.get(&1).copied().unwrap_or(0) > 0, "the sampler saw an active projector");
    assert_eq!(projector_lock_holders(&pool).await?, 1);
    pool.close().await;
    Ok(())
}
