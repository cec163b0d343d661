//! Structured logs with `tracing`: JSON lines in production, readable lines in a terminal.
//! `RUST_LOG` filters (default `info`). Personal data never goes into a log field: NIKs are
//! masked, passwords and tokens are never logged.

use tracing_subscriber::EnvFilter;

use crate::configuration::LogFormat;

/// Installs the global subscriber. Safe to call once per process.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    if result.is_err() {
        tracing::debug!("tracing subscriber already installed");
    }
}
