//! `bench --flood`: the denial-of-service floods of the security review, replayed against the
//! server (a child process, so its peak memory is its own) at the review's sizes, with the
//! figures it reported beside ours: concurrent oversized photos, concurrent photos at the
//! largest accepted size, and tens of thousands of idle connections.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;
use sqlx::PgPool;

use crate::{Database, peak_rss_mib, residents, spawn_child, stop};

/// Sizes of one run.
pub struct Sizes {
    /// Concurrent uploads per flood (the review: 16).
    pub uploads: usize,
    /// Side of the oversized photos (the review: 8000).
    pub oversized_side: u32,
    /// Side of the photos at the largest accepted size (25 MP: 5000).
    pub largest_side: u32,
    /// Idle connections held open from one address (the review: ~20 000).
    pub idle_connections: usize,
    /// Whether the oversized photos are real ones (else a small JPEG whose header claims the
    /// size: the server refuses both from the header, and a debug build is slow to make them).
    pub real_oversized: bool,
}

impl Sizes {
    pub fn new(quick: bool) -> Self {
        if quick {
            Self { uploads: 4, oversized_side: 8000, largest_side: 600, idle_connections: 300, real_oversized: false }
        } else {
            Self {
                uploads: 16,
                oversized_side: 8000,
                largest_side: 5000,
                idle_connections: 20_000,
                real_oversized: true,
            }
        }
    }
}

/// Runs the floods and returns the table rows.
pub async fn run(db: &Database, sizes: &Sizes) -> anyhow::Result<Vec<(String, String)>> {
    let pool = PgPool::connect(&db.url).await?;
    api::MIGRATOR.run(&pool).await?;
    let data_dir = std::env::temp_dir().join(format!("{}-flood", db.name));
    std::fs::create_dir_all(&data_dir)?;
    // The flooding side needs descriptors too.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let spec = format!("{}|127.0.0.1:{port}|{}", db.url, data_dir.display());
    let mut server = spawn_child(&["--child-serve", &spec])?;
    let base = format!("http://127.0.0.1:{port}");
    let outcome = floods(&pool, &data_dir, &base, port, server.id(), sizes).await;
    stop(&mut server);
    pool.close().await;
    let _ = std::fs::remove_dir_all(&data_dir);
    outcome
}

async fn floods(
    pool: &PgPool,
    data_dir: &std::path::Path,
    base: &str,
    port: u16,
    pid: u32,
    sizes: &Sizes,
) -> anyhow::Result<Vec<(String, String)>> {
    let http = reqwest::Client::new();
    wait_until_up(&http, base).await?;
    let resident = residents(pool, data_dir, 9001, 1, 0).await?.pop().context("a resident")?;
    let mut rows = Vec::new();
    let idle_rss = peak_rss_mib(pid).unwrap_or(0.0);
    rows.push(("server peak RSS before the floods".into(), format!("{idle_rss:.1} MiB")));

    let oversized = if sizes.real_oversized { photo(sizes.oversized_side)? } else { claiming(sizes.oversized_side)? };
    for (what, side, photo) in [
        ("oversized", sizes.oversized_side, oversized),
        ("largest accepted", sizes.largest_side, photo(sizes.largest_side)?),
    ] {
        let started = Instant::now();
        let statuses = upload_at_once(&http, base, &resident.cookie, &photo, sizes.uploads).await?;
        let took = started.elapsed().as_secs_f64();
        let rss = peak_rss_mib(pid).unwrap_or(0.0);
        rows.push((
            format!(
                "{} concurrent {side}×{side} JPEGs ({what}, {:.1} MB each)",
                sizes.uploads,
                photo.len() as f64 / 1e6
            ),
            format!(
                "answers {statuses:?} in {took:.1} s; server peak RSS {rss:.1} MiB (review: 8.1 GB for 16 × 8000²)"
            ),
        ));
    }

    // The flooding side must keep descriptors for the monitor (this machine may cap both).
    let room = rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft).saturating_sub(512);
    let attempts = sizes.idle_connections.min(usize::try_from(room).unwrap_or(usize::MAX));
    let started = Instant::now();
    let mut idle = Vec::with_capacity(attempts);
    let mut refused = 0;
    for _ in 0..attempts {
        match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            Ok(stream) => idle.push(stream),
            Err(_) => refused += 1,
        }
    }
    let opened = started.elapsed().as_secs_f64();
    let monitor = reqwest::Client::builder().local_address(Some([127, 0, 0, 2].into())).build()?;
    let mut latencies = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let status = monitor.get(format!("{base}/healthz")).timeout(Duration::from_secs(10)).send().await?.status();
        anyhow::ensure!(status.is_success(), "/healthz answered {status} during the idle flood");
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let latencies = crate::sorted(latencies);
    let metrics = monitor.get(format!("{base}/metrics")).send().await?.text().await?;
    let open_server_side =
        metrics.lines().find(|l| l.starts_with("dukcapil_websockets_open")).unwrap_or_default().to_owned();
    drop(idle);
    rows.push((
        format!(
            "{} idle connections from one address (opened in {opened:.1} s, {refused} refused at connect)",
            sizes.idle_connections
        ),
        format!(
            "/healthz from another address: p50 {:.1} ms, max {:.1} ms, 20/20 answered (review: no answer, EMFILE); {}",
            crate::percentile(&latencies, 0.5),
            latencies.last().copied().unwrap_or(0.0),
            open_server_side.trim()
        ),
    ));
    rows.push(("server peak RSS after the floods".into(), format!("{:.1} MiB", peak_rss_mib(pid).unwrap_or(0.0))));
    Ok(rows)
}

async fn wait_until_up(http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    for _ in 0..300 {
        if http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the server did not come up")
}

/// A photo-like JPEG of `side` × `side` (smooth, so it stays small on the wire, as the
/// review's ~1 MB 8000 × 8000 ones did).
fn photo(side: u32) -> anyhow::Result<Vec<u8>> {
    let image = image::RgbImage::from_fn(side, side, |x, y| {
        image::Rgb([(x * 255 / side) as u8, (y * 255 / side) as u8, ((x + y) * 127 / side) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image).write_to(&mut out, image::ImageFormat::Jpeg)?;
    Ok(out.into_inner())
}

/// A small JPEG whose header claims `side` × `side` pixels.
fn claiming(side: u32) -> anyhow::Result<Vec<u8>> {
    let mut bytes = photo(16)?;
    let at = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).context("no SOF0")?;
    let side = u16::try_from(side)?.to_be_bytes();
    bytes[at + 5..at + 7].copy_from_slice(&side);
    bytes[at + 7..at + 9].copy_from_slice(&side);
    Ok(bytes)
}

/// `n` uploads of `photo` at once with the resident's session; their statuses, counted.
async fn upload_at_once(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    photo: &[u8],
    n: usize,
) -> anyhow::Result<std::collections::BTreeMap<u16, usize>> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (http, url, cookie, photo) =
                (http.clone(), format!("{base}/uploads"), cookie.to_owned(), photo.to_vec());
            tokio::spawn(async move {
                let part = reqwest::multipart::Part::bytes(photo).file_name(format!("foto{i}.jpg"));
                let form = reqwest::multipart::Form::new().part("file", part);
                let response = http
                    .post(url)
                    .header("cookie", cookie)
                    .header("x-requested-with", "bench")
                    .multipart(form)
                    .send()
                    .await?;
                let status = response.status().as_u16();
                let _: Value = response.json().await.unwrap_or_default();
                Ok::<_, anyhow::Error>(status)
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::new();
    for task in tasks {
        *statuses.entry(task.await??).or_insert(0) += 1;
    }
    Ok(statuses)
}
