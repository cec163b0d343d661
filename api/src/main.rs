//! `dukcapil`: the back end of Layanan Online Dukcapil Kabupaten Kapuas Hulu.

use std::process::ExitCode;

use api::cli::{self, Cli};
use clap::Parser;

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
