//! `bench`: measures the service next to what PostgreSQL itself does, in one run on one
//! machine, and prints one table. See docs/PERFORMANCE.md.
//!
//! It creates (and drops) its own database. The server under test is this same binary
//! re-executed as a child (`--child-serve`), so its peak memory can be read from /proc.

use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use clap::Parser;
use commands::Executor;
use domain::CommandMetadata;
use domain::account::{Account, AccountCommand, AccountEvent, AccountId};
use domain::catalogue::{Catalogue, DocumentCode, FileType, ServiceCode, SubmittedDocument};
use domain::document::{FileId, IdentityDocumentKind, IdentityDocuments};
use domain::nik::Nik;
use domain::person::FullName;
use domain::phone::PhoneNumber;
use domain::request::{RequestEvent, RequestId, RequestNumber, ReuploadItem, SubmittedRequest};
use domain::sign_in::SignInEvent;
use domain::staff::StaffId;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

mod flood;

#[derive(Parser, Debug)]
#[command(name = "bench", about = "Benchmarks the Dukcapil back end against PostgreSQL on this machine")]
struct Args {
    /// Tiny sizes, for CI: proves the harness runs, measures nothing meaningful.
    #[arg(long)]
    quick: bool,
    /// Events to seed for the scale measurements (default 1 000 000).
    #[arg(long)]
    events: Option<u64>,
    /// Only the denial-of-service floods of the security review (docs/RELIABILITY.md).
    #[arg(long)]
    flood: bool,
    /// Concurrent clients (default 1,8,32).
    #[arg(long, value_delimiter = ',')]
    clients: Option<Vec<usize>>,
    /// Seconds per baseline measurement (default 5).
    #[arg(long)]
    seconds: Option<u64>,
    /// Submissions each client makes (default 60).
    #[arg(long)]
    requests_per_client: Option<usize>,
    /// PostgreSQL server (the bench creates its own database on it).
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@localhost:5432/postgres")]
    database_url: String,
    #[arg(long, hide = true)]
    child_serve: Option<String>,
    #[arg(long, hide = true)]
    child_replay: Option<String>,
    #[arg(long, hide = true)]
    child_verify: Option<String>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(|a, b| a.total_cmp(b));
    values
}

/// Peak resident memory of a process, in MiB.
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The service's allocator (`api/src/main.rs`), so the served and replaying children measure
/// what the `dukcapil` binary runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(spec) = &args.child_serve {
        return child_serve(spec).await;
    }
    if let Some(url) = &args.child_replay {
        return child_replay(url).await;
    }
    if let Some(url) = &args.child_verify {
        return child_verify(url).await;
    }
    run(args).await
}

async fn child_serve(spec: &str) -> anyhow::Result<()> {
    let parts: Vec<&str> = spec.split('|').collect();
    let [url, bind, data] = parts.as_slice() else { bail!("bad child spec") };
    let config = api::Config::from_args([
        "--database-url",
        url,
        "--bind-addr",
        bind,
        "--data-dir",
        data,
        "--log-format",
        "json",
        "--projector-poll-ms",
        "200",
    ])?;
    api::telemetry::init(config.log_format);
    let pool = api::startup::connect(&config).await?;
    let app = api::Application::build(&config, pool).await?;
    app.run(api::startup::shutdown_signal()).await
}

/// The vault of the served configuration (the development keys, as the served child has).
fn served_vault(pool: &PgPool) -> anyhow::Result<commands::Vault> {
    let dir = std::env::temp_dir().join("dukcapil-bench-config");
    let config = api::Config::from_args(["--data-dir", dir.to_str().context("path")?])?;
    api::cli::vault_of(&config, pool)
}

async fn child_replay(url: &str) -> anyhow::Result<()> {
    let pool = PgPool::connect(url).await?;
    let report = projections::replay(&pool, &served_vault(&pool)?, &projections::all(), 5000, |_| {}).await?;
    println!("{}", json!({ "events": report.events, "seconds": report.elapsed.as_secs_f64() }));
    Ok(())
}

/// `replay --verify`'s work: a rebuild in the shadow compared row by row with the live tables.
async fn child_verify(url: &str) -> anyhow::Result<()> {
    let pool = PgPool::connect(url).await?;
    let started = Instant::now();
    let mut events = 0;
    let differences =
        projections::verify(&pool, &served_vault(&pool)?, &projections::all(), 5000, Duration::from_secs(60), |p| {
            events = p.events
        })
        .await?;
    anyhow::ensure!(differences.is_empty(), "verify found differences: {differences:?}");
    println!("{}", json!({ "events": events, "seconds": started.elapsed().as_secs_f64() }));
    Ok(())
}

struct Database {
    url: String,
    name: String,
    admin_url: String,
}

impl Database {
    async fn create(server_url: &str) -> anyhow::Result<Self> {
        Self::create_with(server_url, "").await
    }

    /// A second database beside the first, told apart by `suffix`.
    async fn create_with(server_url: &str, suffix: &str) -> anyhow::Result<Self> {
        let name = format!("dukcapil_bench_{}{suffix}", std::process::id());
        let base = server_url.rsplit_once('/').map_or(server_url, |(b, _)| b).to_owned();
        let admin_url = format!("{base}/postgres");
        let mut conn = PgConnection::connect(&admin_url).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
        Ok(Self { url: format!("{base}/{name}"), name, admin_url })
    }

    async fn drop_it(&self) -> anyhow::Result<()> {
        let mut conn = PgConnection::connect(&self.admin_url).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut conn).await?;
        Ok(())
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let quick = args.quick;
    let clients = args.clients.clone().unwrap_or(if quick { vec![1, 4] } else { vec![1, 8, 32] });
    let seconds = args.seconds.unwrap_or(if quick { 1 } else { 5 });
    let per_client = args.requests_per_client.unwrap_or(if quick { 3 } else { 60 });
    let events = args.events.unwrap_or(if quick { 20_000 } else { 1_000_000 });
    let db = Database::create(&args.database_url).await?;
    // `--quick` runs the floods too (tiny), so that their harness cannot rot either.
    let result = if args.flood {
        flood::run(&db, &flood::Sizes::new(quick)).await.map(|rows| (rows, Vec::new()))
    } else {
        match measure(&db, &clients, seconds, per_client, events).await {
            Ok((mut rows, growth)) if quick => match flood::run(&db, &flood::Sizes::new(true)).await {
                Ok(more) => {
                    rows.extend(more);
                    Ok((rows, growth))
                }
                Err(error) => Err(error),
            },
            other => other,
        }
    };
    db.drop_it().await?;
    let (rows, growth) = result?;
    println!();
    println!("| measurement | figure |");
    println!("| --- | --- |");
    for (name, value) in rows {
        println!("| {name} | {value} |");
    }
    if !growth.is_empty() {
        println!();
        println!(
            "| events | replay events/s | replay peak RSS | verify events/s | verify peak RSS | workQueue p99 | myRequests p99 | open requests | events table | read models |"
        );
        println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for g in growth {
            println!(
                "| {} | {:.0} | {:.1} MiB | {:.0} | {:.1} MiB | {:.2} ms | {:.2} ms | {} | {:.0} MiB | {:.0} MiB |",
                g.events,
                g.replay,
                g.replay_rss,
                g.verify,
                g.verify_rss,
                g.queue_p99,
                g.board_p99,
                g.open,
                g.events_mib,
                g.models_mib
            );
        }
    }
    Ok(())
}

async fn measure(
    db: &Database,
    clients: &[usize],
    seconds: u64,
    per_client: usize,
    events: u64,
) -> anyhow::Result<(Vec<(String, String)>, Vec<Growth>)> {
    let pool = PgPool::connect(&db.url).await?;
    api::MIGRATOR.run(&pool).await?;
    let mut rows = Vec::new();
    let payload = sample_payload()?;

    eprintln!("baseline: raw single-row INSERTs into an identical events table…");
    let mut baseline = BTreeMap::new();
    for &n in clients {
        let rate = baseline_rate(&db.url, n, seconds, &payload).await?;
        baseline.insert(n, rate);
        rows.push((format!("baseline INSERT, {n} connections"), format!("{rate:.0} rows/s")));
    }

    eprintln!("commands over HTTP…");
    let data_dir = std::env::temp_dir().join(&db.name);
    std::fs::create_dir_all(&data_dir)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let spec = format!("{}|127.0.0.1:{port}|{}", db.url, data_dir.display());
    let mut server = spawn_child(&["--child-serve", &spec])?;
    let mut outcome = command_throughput(&pool, port, &data_dir, clients, per_client, &baseline, &mut rows).await;
    if outcome.is_ok() {
        outcome = me_latency(&pool, port, &data_dir, &mut rows).await;
    }
    let server_rss = peak_rss_mib(server.id());
    stop(&mut server);
    outcome?;
    rows.push(("server peak RSS during the command load".into(), format!("{:.1} MiB", server_rss.unwrap_or(0.0))));

    let mut seeder = Seeder::new()?;
    let mut growth = Vec::new();
    for size in growth_sizes(events) {
        eprintln!("seeding up to {size} events with COPY…");
        let started = Instant::now();
        let before: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
        seeder.seed(&pool, size.saturating_sub(before as u64).max(1)).await?;
        let seeded = started.elapsed().as_secs_f64();
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
        rows.push((
            format!("history seeded (COPY) up to {total} events"),
            format!("{} events in {seeded:.1} s ({:.0} events/s)", total - before, (total - before) as f64 / seeded),
        ));
        eprintln!("replaying {total} events…");
        let (replayed, replay_secs, replay_rss) = child_run("--child-replay", &db.url).await?;
        eprintln!("verifying {total} events…");
        let (verified, verify_secs, verify_rss) = child_run("--child-verify", &db.url).await?;
        let (queue, board, open) = first_pages(&pool, seeder.resident()?).await?;
        let (events_mib, models_mib) = sizes_on_disk(&pool).await?;
        growth.push(Growth {
            events: total,
            replay: replayed / replay_secs,
            replay_rss,
            verify: verified / verify_secs,
            verify_rss,
            queue_p99: percentile(&queue, 0.99),
            board_p99: percentile(&board, 0.99),
            open,
            events_mib,
            models_mib,
        });
    }
    if let Some(first) = growth.first() {
        eprintln!("the cost of sealing personal fields…");
        sealing_cost(db, first.events as u64, &mut rows).await?;
    }
    if let (Some(first), Some(last)) = (growth.first(), growth.last()) {
        rows.push((
            format!("replay at {} vs {} events", last.events, first.events),
            format!("{:.0} vs {:.0} events/s = {:.2} ×", last.replay, first.replay, last.replay / first.replay),
        ));
        rows.push((
            format!("replay --verify at {} vs {} events", last.events, first.events),
            format!("{:.0} vs {:.0} events/s = {:.2} ×", last.verify, first.verify, last.verify / first.verify),
        ));
        rows.push(("replay peak RSS at the largest size".into(), format!("{:.1} MiB", last.replay_rss)));
        let (queue, board) = (last.queue_p99, last.board_p99);
        rows.push((format!("workQueue first page p99 ({} open requests)", last.open), format!("{queue:.2} ms")));
        rows.push(("myRequests first page p99".into(), format!("{board:.2} ms")));
    }
    pool.close().await;
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok((rows, growth))
}

/// What sealing personal fields costs: the same history replayed from two fresh databases, once
/// stored in clear (as events written before sealing are) and once sealed (as the service
/// writes them), side by side; and sealing and opening one submission in process.
async fn sealing_cost(db: &Database, size: u64, rows: &mut Vec<(String, String)>) -> anyhow::Result<()> {
    let mut rates = Vec::new();
    for (suffix, sealed) in [("_clear", false), ("_sealed", true)] {
        let other = Database::create_with(&db.admin_url, suffix).await?;
        let result = async {
            let pool = PgPool::connect(&other.url).await?;
            api::MIGRATOR.run(&pool).await?;
            let mut seeder = if sealed { Seeder::sealing(served_vault(&pool)?)? } else { Seeder::new()? };
            seeder.seed(&pool, size).await?;
            pool.close().await;
            let (events, seconds, _) = child_run("--child-replay", &other.url).await?;
            Ok::<_, anyhow::Error>(events / seconds)
        }
        .await;
        other.drop_it().await?;
        rates.push(result?);
    }
    rows.push((
        format!("replay of {size} events stored in clear vs sealed"),
        format!("{:.0} vs {:.0} events/s = {:.2} ×", rates[0], rates[1], rates[1] / rates[0]),
    ));
    let pool = PgPool::connect(&db.url).await?;
    let vault = served_vault(&pool)?;
    let payload = sample_payload()?;
    let metadata = json!({ "actor_id": Uuid::new_v4(), "actor_role": "RESIDENT", "client_address": "10.20.30.40" });
    const N: i64 = 2000;
    let mut sealed = Vec::with_capacity(N as usize);
    let started = Instant::now();
    for sequence in 1..=N {
        let (mut version, mut payload, mut metadata) = ("1.0".to_owned(), payload.clone(), metadata.clone());
        let identity = commands::vault::EventIdentity { aggregate_type: "ServiceRequest", aggregate_id: "r", sequence };
        let parts = commands::vault::EventParts {
            identity,
            event_version: &mut version,
            payload: &mut payload,
            metadata: &mut metadata,
        };
        vault.seal(parts).await?;
        sealed.push((sequence, version, payload, metadata));
    }
    let seal = started.elapsed().as_secs_f64() * 1e6 / N as f64;
    let started = Instant::now();
    let mut parts: Vec<_> = sealed
        .iter_mut()
        .map(|(sequence, version, payload, metadata)| commands::vault::EventParts {
            identity: commands::vault::EventIdentity {
                aggregate_type: "ServiceRequest",
                aggregate_id: "r",
                sequence: *sequence,
            },
            event_version: version,
            payload,
            metadata,
        })
        .collect();
    vault.open(&mut parts).await?;
    let open = started.elapsed().as_secs_f64() * 1e6 / N as f64;
    rows.push((
        "sealing / opening one submission's personal fields and address (in process)".into(),
        format!("{seal:.1} µs / {open:.1} µs"),
    ));
    pool.close().await;
    Ok(())
}

/// One row of the growth curve: what the same work costs at one history size.
struct Growth {
    events: i64,
    replay: f64,
    replay_rss: f64,
    verify: f64,
    verify_rss: f64,
    queue_p99: f64,
    board_p99: f64,
    open: i64,
    events_mib: f64,
    models_mib: f64,
}

/// The history sizes of the growth curve, up to `largest`.
fn growth_sizes(largest: u64) -> Vec<u64> {
    let mut sizes: Vec<u64> = [largest / 10, largest * 2 / 5].into_iter().filter(|&s| s > 0).collect();
    sizes.push(largest);
    sizes
}

/// Runs a replay or a verification as a child process; (events, seconds, peak RSS in MiB).
async fn child_run(flag: &str, url: &str) -> anyhow::Result<(f64, f64, f64)> {
    let mut child = spawn_child_piped(&[flag, url])?;
    let pid = child.id();
    let mut rss = 0.0f64;
    while child.try_wait()?.is_none() {
        rss = rss.max(peak_rss_mib(pid).unwrap_or(0.0));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let output = child.wait_with_output()?;
    anyhow::ensure!(output.status.success(), "{flag} failed");
    let report: Value = serde_json::from_slice(&output.stdout).context("child report")?;
    let events = report["events"].as_f64().unwrap_or(0.0);
    let secs = report["seconds"].as_f64().unwrap_or(1.0).max(1e-9);
    Ok((events, secs, rss))
}

/// First pages of the work queue and of one resident's board, 200 times each (sorted ms), and
/// how many requests are open.
async fn first_pages(pool: &PgPool, resident: Uuid) -> anyhow::Result<(Vec<f64>, Vec<f64>, i64)> {
    let filter = projections::service_requests::QueueFilter::default();
    let vault = served_vault(pool)?;
    let mut queue = Vec::new();
    let mut board = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        projections::service_requests::queue_page(pool, &vault, &filter, None, 20).await?;
        queue.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        projections::service_requests::board_page(pool, resident, None, 20).await?;
        board.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let open: i64 =
        sqlx::query_scalar("SELECT count(*) FROM work_queue WHERE closed_at IS NULL").fetch_one(pool).await?;
    Ok((sorted(queue), sorted(board), open))
}

/// The events table and all rebuildable read models on disk (with indexes), in MiB.
async fn sizes_on_disk(pool: &PgPool) -> anyhow::Result<(f64, f64)> {
    let tables: Vec<String> = projections::all()
        .iter()
        .filter(|p| p.rebuildable())
        .flat_map(|p| p.tables().iter().map(|t| (*t).to_owned()))
        .collect();
    let (events, models): (i64, i64) = sqlx::query_as(
        "SELECT pg_total_relation_size('events'),
                (SELECT coalesce(sum(pg_total_relation_size(t::regclass)), 0)::bigint FROM unnest($1::text[]) t)",
    )
    .bind(&tables)
    .fetch_one(pool)
    .await?;
    let mib = |b: i64| b as f64 / (1024.0 * 1024.0);
    Ok((mib(events), mib(models)))
}

fn spawn_child(args: &[&str]) -> anyhow::Result<Child> {
    Ok(Command::new(std::env::current_exe()?)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?)
}

fn spawn_child_piped(args: &[&str]) -> anyhow::Result<Child> {
    Ok(Command::new(std::env::current_exe()?).args(args).env("RUST_LOG", "warn").stdout(Stdio::piped()).spawn()?)
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let _ = child.wait();
}

fn catalogue() -> anyhow::Result<Catalogue> {
    Catalogue::from_toml(api::startup::BUILT_IN_CATALOGUE).map_err(|e| anyhow::anyhow!("{e}"))
}

/// A RequestSubmitted payload as the service writes it: the size the baseline inserts.
fn sample_payload() -> anyhow::Result<Value> {
    let event = RequestEvent::RequestSubmitted(Box::new(submitted(
        &catalogue()?,
        AccountId(Uuid::new_v4()),
        Uuid::new_v4(),
        1,
    )?));
    Ok(serde_json::to_value(event)?)
}

fn submitted(
    catalogue: &Catalogue,
    account: AccountId,
    request: Uuid,
    number: i64,
) -> anyhow::Result<SubmittedRequest> {
    let service = catalogue.service(&ServiceCode::parse("AKTA_KELAHIRAN")?).cloned().context("service")?;
    let fields = [
        ("nama_anak", "Dayang Sumbi"),
        ("jenis_kelamin", "Perempuan"),
        ("tempat_lahir", "Putussibau"),
        ("tanggal_lahir", "2026-11-01"),
        ("anak_ke", "1"),
        ("nik_ibu", "6106015205900001"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let documents = ["SURAT_KETERANGAN_LAHIR", "KARTU_KELUARGA", "KTP_ORANG_TUA"]
        .iter()
        .map(|code| {
            Ok(SubmittedDocument {
                code: DocumentCode::parse(code)?,
                file: FileId(Uuid::new_v4()),
                file_type: FileType::Pdf,
            })
        })
        .collect::<Result<Vec<_>, domain::catalogue::CatalogueError>>()?;
    Ok(SubmittedRequest {
        request_id: RequestId(request),
        account_id: account,
        applicant_name: "Siti Aminah".into(),
        number: RequestNumber::new(2026, number),
        service_code: service.code.clone(),
        service_name: service.name.clone(),
        outcome: service.outcome,
        catalogue_version: catalogue.version,
        fields,
        documents,
        requirements: service.documents.clone(),
        submitted_at: Utc::now(),
        receipt_code: Some(receipt_code()),
    })
}

/// A random receipt code (from a v4 uuid's random bytes).
fn receipt_code() -> domain::request::ReceiptCode {
    let mut bytes = [0u8; 10];
    bytes.copy_from_slice(&Uuid::new_v4().as_bytes()[..10]);
    domain::request::ReceiptCode::from_random(bytes)
}

async fn baseline_rate(url: &str, connections: usize, seconds: u64, payload: &Value) -> anyhow::Result<f64> {
    let mut setup = PgConnection::connect(url).await?;
    sqlx::query("DROP TABLE IF EXISTS bench_baseline").execute(&mut setup).await?;
    sqlx::query("CREATE TABLE bench_baseline (LIKE events INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)")
        .execute(&mut setup)
        .await?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let url = url.to_owned();
            let payload = payload.clone();
            tokio::spawn(async move {
                let mut conn = PgConnection::connect(&url).await?;
                let mut done = 0u64;
                while Instant::now() < deadline {
                    sqlx::query(
                        "INSERT INTO bench_baseline (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
                         VALUES ('ServiceRequest', $1, 1, 'RequestSubmitted', '1.0', $2, $3)",
                    )
                    .bind(Uuid::new_v4().to_string())
                    .bind(&payload)
                    .bind(json!({ "actor_id": Uuid::new_v4(), "actor_role": "RESIDENT", "correlation_id": Uuid::new_v4() }))
                    .execute(&mut conn)
                    .await?;
                    done += 1;
                }
                Ok::<u64, anyhow::Error>(done)
            })
        })
        .collect();
    let started = Instant::now();
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

struct Resident {
    account_id: AccountId,
    cookie: String,
    uploads: Vec<[String; 3]>,
}

/// Active residents with sessions and pre-made uploads, created on the command side; their
/// NIKs' serials count from `first_serial`.
async fn residents(
    pool: &PgPool,
    data_dir: &std::path::Path,
    first_serial: usize,
    count: usize,
    per_client: usize,
) -> anyhow::Result<Vec<Resident>> {
    let config = api::Config::from_args(["--data-dir", data_dir.to_str().context("path")?])?;
    let settings = config.command_settings().map_err(|e| anyhow::anyhow!(e))?;
    let commands = commands::Commands::new(pool.clone(), settings);
    let accounts = Executor::<Account>::new(pool.clone(), &commands.vault, ());
    let hash = commands::passwords::hash(domain::password::Password::parse("rumah panjang 2026")?).await?;
    let system = CommandMetadata::system(Uuid::new_v4());
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec();
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let nik = Nik::parse(&format!("610601010190{:04}", first_serial + i))?;
        let account_id = commands.accounts.account_id_of(&nik);
        let documents = IdentityDocuments {
            identity_kind: IdentityDocumentKind::KtpEl,
            identity: FileId(Uuid::new_v4()),
            family_card: FileId(Uuid::new_v4()),
            selfie: FileId(Uuid::new_v4()),
        };
        let register = AccountCommand::Register {
            account_id,
            nik,
            full_name: FullName::parse("Siti Aminah")?,
            phone: PhoneNumber::parse("081234567890")?,
            email: None,
            password_hash: hash.clone(),
            documents,
            at: Utc::now(),
        };
        accounts.execute(&account_id.to_string(), register, &system).await?;
        accounts.execute(&account_id.to_string(), AccountCommand::Approve { at: Utc::now() }, &system).await?;
        let generation = commands.sessions.generation(commands::SubjectKind::Resident, account_id.0).await?;
        let (token, _) =
            commands.sessions.create(commands::SubjectKind::Resident, account_id.0, "RESIDENT", generation).await?;
        let uploader = commands::files::UploadedBy::Resident(account_id);
        let mut uploads = Vec::with_capacity(per_client);
        for _ in 0..per_client {
            let mut ids = Vec::with_capacity(3);
            for _ in 0..3 {
                ids.push(
                    commands.files.store_upload(pdf.clone(), &uploader, None, Utc::now()).await?.file_id.to_string(),
                );
            }
            uploads.push([ids[0].clone(), ids[1].clone(), ids[2].clone()]);
        }
        out.push(Resident { account_id, cookie: format!("dukcapil_session={token}"), uploads });
    }
    Ok(out)
}

async fn command_throughput(
    pool: &PgPool,
    port: u16,
    data_dir: &std::path::Path,
    clients: &[usize],
    per_client: usize,
    baseline: &BTreeMap<usize, f64>,
    rows: &mut Vec<(String, String)>,
) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..300 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let max_clients = clients.iter().copied().max().unwrap_or(1);
    let total_uploads = clients.iter().sum::<usize>() * per_client;
    eprintln!("  preparing {max_clients} residents and {} uploads…", total_uploads * 3);
    let mut prepared = residents(pool, data_dir, 1, clients.iter().sum(), per_client).await?;
    for (round, &n) in clients.iter().enumerate() {
        let batch: Vec<Resident> = prepared.drain(..n).collect();
        // Every second acknowledged submission is watched by one observer, which polls the
        // work queue for all of them at once: the submitting client goes straight on, so the
        // throughput is the commands' own and the lag is measured without holding a client.
        let (acks, watched) = tokio::sync::mpsc::unbounded_channel::<(Uuid, Instant)>();
        let observer = tokio::spawn(observe_lag(pool.clone(), watched));
        let started = Instant::now();
        let tasks: Vec<_> = batch
            .into_iter()
            .enumerate()
            .map(|(c, resident)| {
                let http = http.clone();
                let base = base.clone();
                let acks = acks.clone();
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    for (k, ids) in resident.uploads.iter().enumerate() {
                        let body = json!({ "query": "mutation($i: SubmitServiceRequestInput!) { submitServiceRequest(input: $i) { requestId } }",
                            "variables": { "i": { "serviceCode": "AKTA_KELAHIRAN", "idempotencyKey": format!("bench-{round}-{c}-{k}"),
                                "fields": [ { "name": "nama_anak", "value": "Dayang" }, { "name": "jenis_kelamin", "value": "Perempuan" },
                                            { "name": "tempat_lahir", "value": "Putussibau" }, { "name": "tanggal_lahir", "value": "2026-11-01" },
                                            { "name": "anak_ke", "value": "1" }, { "name": "nik_ibu", "value": "6106015205900001" } ],
                                "documents": [ { "code": "SURAT_KETERANGAN_LAHIR", "uploadId": ids[0] }, { "code": "KARTU_KELUARGA", "uploadId": ids[1] },
                                               { "code": "KTP_ORANG_TUA", "uploadId": ids[2] } ] } } });
                        let t = Instant::now();
                        let reply: Value = http.post(format!("{base}/graphql")).header("cookie", &resident.cookie).json(&body).send().await?.json().await?;
                        let acked = Instant::now();
                        latencies.push((acked - t).as_secs_f64() * 1000.0);
                        let id = reply.pointer("/data/submitServiceRequest/requestId").and_then(Value::as_str).context(format!("submit failed: {reply}"))?;
                        if k % 2 == 0 {
                            let _ = acks.send((Uuid::parse_str(id)?, acked));
                        }
                    }
                    Ok::<Vec<f64>, anyhow::Error>(latencies)
                })
            })
            .collect();
        drop(acks);
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await??);
        }
        let elapsed = started.elapsed().as_secs_f64();
        let lags = sorted(observer.await??);
        let rate = latencies.len() as f64 / elapsed;
        let latencies = sorted(latencies);
        let ratio = baseline.get(&n).map(|b| rate / b).unwrap_or(0.0);
        rows.push((
            format!("submitServiceRequest over HTTP, {n} clients"),
            format!(
                "{rate:.0} req/s = {ratio:.3} × baseline; latency p50 {:.1} ms, p99 {:.1} ms",
                percentile(&latencies, 0.5),
                percentile(&latencies, 0.99)
            ),
        ));
        rows.push((
            format!("projection lag (ack → work queue), {n} clients"),
            format!(
                "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                percentile(&lags, 0.5),
                percentile(&lags, 0.99),
                lags.last().copied().unwrap_or(0.0)
            ),
        ));
    }
    Ok(())
}

/// Projection lag of acknowledged submissions: from each acknowledgement until its request is
/// in the work queue (and the status board, written in the same transaction), polling every
/// millisecond for all that are not yet seen, until the senders are done and all are seen.
async fn observe_lag(
    pool: PgPool,
    mut acks: tokio::sync::mpsc::UnboundedReceiver<(Uuid, Instant)>,
) -> anyhow::Result<Vec<f64>> {
    let mut pending: HashMap<Uuid, Instant> = HashMap::new();
    let mut lags = Vec::new();
    let mut open = true;
    while open || !pending.is_empty() {
        loop {
            match acks.try_recv() {
                Ok((id, acked)) => {
                    pending.insert(id, acked);
                }
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
            }
        }
        if !pending.is_empty() {
            let ids: Vec<Uuid> = pending.keys().copied().collect();
            let seen: Vec<Uuid> = sqlx::query_scalar("SELECT request_id FROM work_queue WHERE request_id = ANY($1)")
                .bind(&ids)
                .fetch_all(&pool)
                .await?;
            for id in seen {
                if let Some(acked) = pending.remove(&id) {
                    lags.push(acked.elapsed().as_secs_f64() * 1000.0);
                }
            }
            pending.retain(|_, acked| {
                let late = acked.elapsed() > Duration::from_secs(10);
                if late {
                    lags.push(acked.elapsed().as_secs_f64() * 1000.0);
                }
                !late
            });
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(lags)
}

/// `me` for a resident signed in once, for one signed in 1 000 times (each sign-in its own
/// stream, as the service records them now), and for one whose 1 000 sign-ins sit in the
/// account stream (as they were recorded before: the load that grew with every sign-in).
async fn me_latency(
    pool: &PgPool,
    port: u16,
    data_dir: &std::path::Path,
    rows: &mut Vec<(String, String)>,
) -> anyhow::Result<()> {
    const SIGN_INS: usize = 1000;
    let prepared = residents(pool, data_dir, 8000, 3, 0).await?;
    let sessions = commands::SessionStore::new(
        pool.clone(),
        commands::SessionPolicy::default(),
        Arc::new(commands::SystemClock) as commands::SharedClock,
    );
    let sign_ins = commands::SignIns::new(pool.clone(), &served_vault(pool)?, sessions.clone());
    for (i, resident) in prepared.iter().enumerate().take(2) {
        let id = resident.account_id;
        let generation = sessions.generation(commands::SubjectKind::Resident, id.0).await?;
        let (_, session) = sessions.create(commands::SubjectKind::Resident, id.0, "RESIDENT", generation).await?;
        let metadata = CommandMetadata::system(Uuid::new_v4()).with_actor(domain::Actor::Resident(id));
        let times = if i == 0 { 1 } else { SIGN_INS };
        for _ in 0..times {
            let subject = domain::sign_in::SignInSubject::Resident(id);
            sign_ins.record(subject, Utc::now(), &session, &metadata).await?;
        }
    }
    let old_style = prepared[2].account_id.to_string();
    let payload = serde_json::to_value(AccountEvent::ResidentSignedIn { at: Utc::now() })?;
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         SELECT 'Account', $1, s, 'ResidentSignedIn', '1.0', $2, '{}' FROM generate_series(3, $3 + 2) s",
    )
    .bind(&old_style)
    .bind(&payload)
    .bind(SIGN_INS as i64)
    .execute(pool)
    .await?;
    let http = reqwest::Client::new();
    let body = json!({ "query": "{ me { accountId fullName status } }" });
    let labels = [
        "me, resident signed in once".to_owned(),
        format!("me, resident signed in {SIGN_INS} times (sign-ins in their own streams)"),
        format!("me, resident with {SIGN_INS} sign-ins in the account stream (as recorded before)"),
    ];
    for (resident, label) in prepared.iter().zip(labels) {
        let mut times = Vec::new();
        for _ in 0..300 {
            let t = Instant::now();
            let reply: Value = http
                .post(format!("http://127.0.0.1:{port}/graphql"))
                .header("cookie", &resident.cookie)
                .json(&body)
                .send()
                .await?
                .json()
                .await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            reply.pointer("/data/me/accountId").context(format!("me failed: {reply}"))?;
        }
        let times = sorted(times);
        rows.push((label, format!("p50 {:.2} ms, p99 {:.2} ms", percentile(&times, 0.5), percentile(&times, 0.99))));
    }
    Ok(())
}

/// Seeds a regency-like history with COPY, in steps: accounts (registered, approved, signed
/// in) each with requests (submitted, claimed, sometimes a re-upload round, completed, the
/// last ones open).
struct Seeder {
    catalogue: Catalogue,
    operator: StaffId,
    written: u64,
    account_no: u64,
    number: i64,
    first_account: Option<Uuid>,
    meta: Value,
    /// Seals every event as the service writes it (else: the clear form of older history).
    vault: Option<commands::Vault>,
    pending: Vec<(&'static str, String, usize, &'static str, Value)>,
}

impl Seeder {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            catalogue: catalogue()?,
            operator: StaffId(Uuid::new_v4()),
            written: 0,
            account_no: 0,
            number: 1_000_000,
            first_account: None,
            meta: json!({ "actor_id": Uuid::nil(), "actor_role": "SYSTEM", "correlation_id": Uuid::new_v4(),
                          "client_address": "10.20.30.40" }),
            vault: None,
            pending: Vec::new(),
        })
    }

    /// A seeder whose events are sealed by `vault`, as the service itself writes them.
    fn sealing(vault: commands::Vault) -> anyhow::Result<Self> {
        Ok(Self { vault: Some(vault), ..Self::new()? })
    }

    /// One resident's account id (with ten requests), for the myRequests query.
    fn resident(&self) -> anyhow::Result<Uuid> {
        self.first_account.context("no account seeded")
    }

    fn push(&mut self, kind: &'static str, id: &str, seq: usize, event_type: &'static str, payload: Value) {
        self.pending.push((kind, id.to_owned(), seq, event_type, payload));
    }

    /// The pending events as COPY rows, sealed first when this seeder seals.
    async fn rows(&mut self) -> anyhow::Result<String> {
        let mut buffer = String::new();
        for (kind, id, seq, event_type, mut payload) in std::mem::take(&mut self.pending) {
            let mut version = "1.0".to_owned();
            let mut meta = self.meta.clone();
            if let Some(vault) = &self.vault {
                let identity = commands::vault::EventIdentity {
                    aggregate_type: kind,
                    aggregate_id: &id,
                    sequence: i64::try_from(seq)?,
                };
                let parts = commands::vault::EventParts {
                    identity,
                    event_version: &mut version,
                    payload: &mut payload,
                    metadata: &mut meta,
                };
                vault.seal(parts).await?;
            }
            let payload = payload.to_string().replace('\\', "\\\\");
            let meta = meta.to_string().replace('\\', "\\\\");
            buffer.push_str(&format!("{kind}\t{id}\t{seq}\t{event_type}\t{version}\t{payload}\t{meta}\n"));
        }
        Ok(buffer)
    }

    /// Adds at least `count` events (whole accounts with their requests).
    async fn seed(&mut self, pool: &PgPool, count: u64) -> anyhow::Result<()> {
        let target = self.written + count;
        let mut conn = pool.acquire().await?;
        let mut rows_in_buffer = 0;
        while self.written < target {
            self.account_no += 1;
            let account = AccountId(Uuid::new_v4());
            self.first_account.get_or_insert(account.0);
            let n = self.account_no;
            let nik = Nik::parse(&format!("6106{:02}0101{:02}{:04}", n % 23 + 1, n % 90 + 10, n % 9999 + 1))?;
            let registered = AccountEvent::AccountRegistered {
                account_id: account,
                nik: nik.into(),
                full_name: FullName::parse("Siti Aminah")?.into(),
                phone: PhoneNumber::parse("081234567890")?.into(),
                email: None,
                password_hash: domain::password::PasswordHash::from_phc("$argon2id$seed".into()),
                documents: IdentityDocuments {
                    identity_kind: IdentityDocumentKind::KtpEl,
                    identity: FileId(Uuid::new_v4()),
                    family_card: FileId(Uuid::new_v4()),
                    selfie: FileId(Uuid::new_v4()),
                },
                registered_at: Utc::now(),
            };
            let id = account.to_string();
            self.push("Account", &id, 1, "AccountRegistered", serde_json::to_value(&registered)?);
            let approved = AccountEvent::AccountApproved { approved_at: Utc::now() };
            self.push("Account", &id, 2, "AccountApproved", serde_json::to_value(approved)?);
            // A sign-in is a stream of its own (domain::sign_in).
            let signed_in = SignInEvent::ResidentSignedIn { account_id: account, at: Utc::now() };
            let sign_in_stream = Uuid::new_v4().to_string();
            self.push("SignIn", &sign_in_stream, 1, "ResidentSignedIn", serde_json::to_value(signed_in)?);
            self.written += 3;
            rows_in_buffer += 3;
            for r in 0..10 {
                self.number += 1;
                let request = Uuid::new_v4();
                let rid = request.to_string();
                let operator = self.operator;
                let mut events: Vec<RequestEvent> = vec![
                    RequestEvent::RequestSubmitted(Box::new(submitted(
                        &self.catalogue,
                        account,
                        request,
                        self.number,
                    )?)),
                    RequestEvent::RequestClaimed { by: operator, at: Utc::now() },
                ];
                if r % 3 == 0 {
                    let code = DocumentCode::parse("KARTU_KELUARGA")?;
                    events.push(RequestEvent::ReuploadDemanded {
                        by: operator,
                        items: vec![ReuploadItem {
                            code: code.clone(),
                            reason: domain::account::Reason::parse("Foto buram")?,
                        }],
                        at: Utc::now(),
                    });
                    events.push(RequestEvent::DocumentsReuploaded {
                        documents: vec![SubmittedDocument {
                            code,
                            file: FileId(Uuid::new_v4()),
                            file_type: FileType::Pdf,
                        }],
                        all_answered: true,
                        returned_to: None,
                        at: Utc::now(),
                    });
                    events.push(RequestEvent::RequestClaimed { by: operator, at: Utc::now() });
                }
                // Most requests are finished; the last of each resident stays in the queue.
                if r < 9 {
                    events.push(RequestEvent::RequestCompleted {
                        by: operator,
                        files: vec![FileId(Uuid::new_v4())],
                        at: Utc::now(),
                    });
                }
                for (seq, event) in events.iter().enumerate() {
                    let event_type = domain::request::RequestEvent::event_type_of(event);
                    self.push("ServiceRequest", &rid, seq + 1, event_type, serde_json::to_value(event)?);
                }
                self.written += events.len() as u64;
                rows_in_buffer += events.len();
            }
            if rows_in_buffer >= 20_000 || self.written >= target {
                let buffer = self.rows().await?;
                let mut copy = conn
                    .copy_in_raw("COPY events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) FROM STDIN")
                    .await?;
                copy.send(buffer.as_bytes()).await?;
                copy.finish().await?;
                rows_in_buffer = 0;
            }
        }
        Ok(())
    }
}
