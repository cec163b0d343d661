//! The `dukcapil` command line: `serve`, `migrate`, `replay`, `create-admin`, `print-schema`.

use std::io::{BufRead, IsTerminal};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use domain::CommandMetadata;
use domain::staff::Role;
use sqlx::PgPool;
use uuid::Uuid;

use crate::Config;
use crate::startup::{self, Application};

/// Layanan Online Dukcapil Kabupaten Kapuas Hulu — back end.
#[derive(Debug, Parser)]
#[command(name = "dukcapil", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations, then run the API and the projector until Ctrl-C / SIGTERM.
    Serve,
    /// Create the database if needed and apply pending migrations.
    Migrate,
    /// Rebuild every read model from the first event.
    Replay {
        /// Events per batch.
        #[arg(long, default_value_t = 5000)]
        batch_size: i64,
        /// Rebuild into shadow tables and compare with the live ones row by row instead of
        /// swapping; exits non-zero on any difference.
        #[arg(long)]
        verify: bool,
    },
    /// Recompute the hash chain over the history and compare it with the recorded hashes;
    /// exits non-zero if any event was altered, removed or inserted.
    VerifyChain,
    /// Write the history (or part of it) as JSON Lines, with a SHA-256 manifest beside it
    /// (`<out>.manifest.json`).
    ExportHistory {
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long)]
        from_position: Option<i64>,
        #[arg(long)]
        to_position: Option<i64>,
        #[arg(long)]
        aggregate_type: Option<String>,
    },
    /// Check an export against its manifest and the store; exits non-zero on any difference.
    VerifyHistory {
        #[arg(long)]
        file: std::path::PathBuf,
    },
    /// Create an ADMIN staff account. The password is read from the terminal (asked twice)
    /// or, when stdin is not a terminal, from its first line. Never pass it as an argument.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "Administrator")]
        display_name: String,
    },
    /// Import accounts of the old portal from its export: a JSON array
    /// `[{"nik", "name", "phone", "documents": [{"title", "file"}]}]` or a CSV with the header
    /// `nik,name,phone,document_title,document_file` (one row per document). Document paths are
    /// relative to the export file. Already imported NIKs are skipped, so it can be re-run.
    ImportLegacy {
        /// The export file (`.json` or `.csv`).
        #[arg(long)]
        file: std::path::PathBuf,
    },
    /// Print the GraphQL schema (SDL), as kept in docs/schema.graphql.
    PrintSchema,
    /// Wrap every residents' data key again with the first of PERSONAL_DATA_KEYS, so that an
    /// older key-encryption key can then be removed from the list (key rotation).
    RewrapPersonalKeys,
}

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command {
        Command::PrintSchema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Migrate => {
            let pool = startup::connect(&config).await?;
            startup::migrate(&pool).await?;
            println!("Migrasi selesai.");
            Ok(())
        }
        Command::Serve => {
            let pool = startup::connect(&config).await?;
            startup::migrate(&pool).await?;
            let app = Application::build(&config, pool).await?;
            app.run(startup::shutdown_signal()).await
        }
        Command::Replay { batch_size, verify } => {
            let pool = startup::connect(&config).await?;
            startup::migrate(&pool).await?;
            let vault = vault_of(&config, &pool)?;
            if verify {
                verify_replay(&pool, &vault, batch_size).await
            } else {
                replay(&pool, &vault, batch_size).await
            }
        }
        Command::RewrapPersonalKeys => {
            let pool = startup::connect(&config).await?;
            startup::migrate(&pool).await?;
            let rewrapped = vault_of(&config, &pool)?.keys().rewrap().await?;
            println!(
                "{rewrapped} kunci data dibungkus ulang dengan kunci pertama PERSONAL_DATA_KEYS; kunci lama boleh dihapus dari daftar."
            );
            Ok(())
        }
        Command::VerifyChain => {
            let pool = startup::connect(&config).await?;
            startup::migrate(&pool).await?;
            let report = projections::chain::verify_chain(&pool).await?;
            for problem in &report.problems {
                println!("MASALAH: {problem}");
            }
            if !report.problems.is_empty() {
                bail!("rantai hash tidak utuh: {} masalah pada {} event", report.problems.len(), report.checked);
            }
            println!("Rantai hash utuh: {} event diperiksa. Kepala rantai: {}", report.checked, report.head);
            Ok(())
        }
        Command::ExportHistory { out, from_position, to_position, aggregate_type } => {
            let pool = startup::connect(&config).await?;
            startup::migrate(&pool).await?;
            let filter = projections::history::HistoryFilter {
                from_position,
                to_position,
                aggregate_type,
                ..Default::default()
            };
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(&out).with_context(|| format!("cannot create {}", out.display()))?,
            );
            let manifest = projections::history::export(&pool, &vault_of(&config, &pool)?, &filter, &mut file).await?;
            std::io::Write::flush(&mut file)?;
            let manifest_path = manifest_path(&out);
            std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest)?)?;
            println!(
                "{} event diekspor ke {} (SHA-256 {}), manifest {}",
                manifest.lines,
                out.display(),
                manifest.sha256,
                manifest_path.display()
            );
            Ok(())
        }
        Command::VerifyHistory { file } => {
            let pool = startup::connect(&config).await?;
            startup::migrate(&pool).await?;
            let manifest: projections::history::ExportManifest = serde_json::from_slice(
                &std::fs::read(manifest_path(&file))
                    .with_context(|| format!("no manifest beside {}", file.display()))?,
            )?;
            let reader = std::io::BufReader::new(std::fs::File::open(&file)?);
            let vault = vault_of(&config, &pool)?;
            let problems = projections::history::verify_export(&pool, &vault, &manifest, reader).await?;
            for problem in &problems {
                println!("MASALAH: {problem}");
            }
            if !problems.is_empty() {
                bail!("ekspor tidak sesuai dengan penyimpanan: {} masalah", problems.len());
            }
            println!("Ekspor sesuai: {} event cocok dengan manifest dan penyimpanan.", manifest.lines);
            Ok(())
        }
        Command::ImportLegacy { file } => {
            let pool = startup::connect(&config).await?;
            startup::migrate(&pool).await?;
            let settings = config.command_settings().map_err(|e| anyhow::anyhow!(e))?;
            let commands = commands::Commands::new(pool, settings);
            let report = crate::legacy_import::import_file(&commands.legacy, &file).await?;
            println!(
                "Impor selesai: {} akun diimpor ({} dokumen), {} sudah ada sebelumnya.",
                report.imported, report.documents, report.skipped
            );
            Ok(())
        }
        Command::CreateAdmin { username, display_name } => {
            let pool = startup::connect(&config).await?;
            startup::migrate(&pool).await?;
            let password = read_password(std::io::stdin().lock(), std::io::stdin().is_terminal())?;
            let vault = vault_of(&config, &pool)?;
            let profile = create_admin(&pool, &vault, &username, &display_name, &password).await?;
            println!("Akun admin '{}' dibuat (id {}).", profile.username, profile.id);
            Ok(())
        }
    }
}

/// Creates an ADMIN account on behalf of the command-line operator.
pub async fn create_admin(
    pool: &PgPool,
    vault: &commands::Vault,
    username: &str,
    display_name: &str,
    password: &str,
) -> anyhow::Result<commands::StaffProfile> {
    let sessions = commands::SessionStore::new(
        pool.clone(),
        commands::SessionPolicy::default(),
        std::sync::Arc::new(commands::SystemClock),
    );
    let staff = commands::StaffService::new(pool.clone(), vault, sessions);
    let metadata = CommandMetadata::system(Uuid::new_v4());
    staff.create(username, display_name, Role::Admin, password, &metadata).await.map_err(|e| anyhow::anyhow!("{e}"))
}

/// The vault of this configuration's personal-data keys, for tools that read or write events.
pub fn vault_of(config: &Config, pool: &PgPool) -> anyhow::Result<commands::Vault> {
    let settings = config.command_settings().map_err(|e| anyhow::anyhow!(e))?;
    Ok(commands::Vault::new(pool.clone(), settings.personal_data_keys, &settings.secrets))
}

/// Reads the new password: twice with no echo from a terminal, else one line from `input`.
pub fn read_password(mut input: impl BufRead, interactive: bool) -> anyhow::Result<String> {
    if interactive {
        let first = rpassword::prompt_password("Kata sandi admin: ")?;
        let second = rpassword::prompt_password("Ulangi kata sandi: ")?;
        if first != second {
            bail!("Kedua kata sandi tidak sama.");
        }
        return Ok(first);
    }
    let mut line = String::new();
    input.read_line(&mut line).context("cannot read the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("Kata sandi kosong: kirim kata sandi pada baris pertama stdin.");
    }
    Ok(password)
}

fn manifest_path(export: &std::path::Path) -> std::path::PathBuf {
    let mut name = export.as_os_str().to_owned();
    name.push(".manifest.json");
    std::path::PathBuf::from(name)
}

async fn verify_replay(pool: &PgPool, vault: &commands::Vault, batch_size: i64) -> anyhow::Result<()> {
    println!("Membangun ulang read model di tabel bayangan dan membandingkan…");
    let differences = projections::verify(
        pool,
        vault,
        &projections::all(),
        batch_size.clamp(1, 100_000),
        Duration::from_secs(30),
        |_| {},
    )
    .await?;
    for diff in &differences {
        println!(
            "BERBEDA {}: {} baris hanya di tabel aktif, {} baris hanya di hasil bangun ulang",
            diff.table, diff.only_live_count, diff.only_rebuilt_count
        );
        for row in &diff.only_live {
            println!("  aktif:       {row}");
        }
        for row in &diff.only_rebuilt {
            println!("  bangun ulang: {row}");
        }
    }
    if !differences.is_empty() {
        bail!("{} tabel read model tidak sesuai dengan riwayat event", differences.len());
    }
    println!("Semua read model sesuai dengan riwayat event.");
    Ok(())
}

async fn replay(pool: &PgPool, vault: &commands::Vault, batch_size: i64) -> anyhow::Result<()> {
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(pool).await?;
    println!("Membangun ulang semua read model dari {total} event…");
    let mut last_report = Instant::now();
    let report = projections::replay(pool, vault, &projections::all(), batch_size.clamp(1, 100_000), |progress| {
        if last_report.elapsed() >= Duration::from_secs(1) {
            last_report = Instant::now();
            let rate = progress.events_per_second();
            let left = (total as f64 - progress.events as f64).max(0.0);
            let eta = if rate > 0.0 { left / rate } else { 0.0 };
            println!("  {}/{total} event, {rate:.0} event/detik, sisa ±{eta:.0} detik", progress.events);
        }
    })
    .await?;
    println!(
        "Selesai: {} event dalam {:.2} detik ({:.0} event/detik).",
        report.events,
        report.elapsed.as_secs_f64(),
        report.events_per_second()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_the_first_line_of_piped_stdin() {
        let password = read_password("kopi susu gula aren\nignored\n".as_bytes(), false).ok();
        assert_eq!(password.as_deref(), Some("kopi susu gula aren"));
        let crlf = read_password("abc def ghi\r\n".as_bytes(), false).ok();
        assert_eq!(crlf.as_deref(), Some("abc def ghi"));
    }

    #[test]
    fn empty_stdin_is_refused() {
        assert!(read_password("".as_bytes(), false).is_err());
        assert!(read_password("\n".as_bytes(), false).is_err());
    }

    #[test]
    fn password_is_not_an_argument() {
        let parsed = Cli::try_parse_from(["dukcapil", "create-admin", "--username", "admin", "--password", "x"]);
        assert!(parsed.is_err());
    }
}
