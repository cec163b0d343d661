//! `dukcapil`: the back end of Layanan Online Dukcapil Kabupaten Kapuas Hulu.

use std::process::ExitCode;

use api::cli::{self, Cli};
use clap::Parser;

/// mimalloc instead of the C library's allocator: the service allocates and frees many small
/// JSON values per event and per request, and glibc's malloc took about a quarter of a
/// replay's own CPU time (docs/PERFORMANCE.md, round five).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    api::telemetry::init(cli.config.log_format);
    match cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "command failed");
            eprintln!("Gagal: {error:#}");
            ExitCode::FAILURE
        }
    }
}
