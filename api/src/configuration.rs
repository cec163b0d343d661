//! One typed configuration, read once at start-up from the environment (or the matching
//! command-line flags). Every setting and its default is documented in the README.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line (for log collectors).
    Json,
    /// Human-readable lines (for a developer's terminal).
    Pretty,
}

/// The service's configuration.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// PostgreSQL connection URL; the database is created on first start if missing.
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@localhost:5432/dukcapil", global = true)]
    pub database_url: String,

    /// Maximum connections in the pool.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 16, global = true)]
    pub database_max_connections: u32,

    /// Signed-in mutations (commands) executing at once; the others wait, holding nothing, so
    /// the projector and the readers keep their turn on a small machine. Default: the number
    /// of cores.
    #[arg(long, env = "MAX_CONCURRENT_MUTATIONS", global = true)]
    pub max_concurrent_mutations: Option<usize>,

    /// Address the HTTP server listens on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080", global = true)]
    pub bind_addr: SocketAddr,

    /// The address residents use to reach the service. Session cookies are `Secure` unless its
    /// host is localhost / 127.0.0.1.
    #[arg(long, env = "PUBLIC_URL", default_value = "http://localhost:8080", global = true)]
    pub public_url: String,

    /// Directory for stored files (uploads, finished documents).
    #[arg(long, env = "DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// Service catalogue file; the built-in `catalogue/services.toml` when unset.
    #[arg(long, env = "CATALOGUE_FILE", global = true)]
    pub catalogue_file: Option<PathBuf>,

    /// WhatsApp contacts shown to residents: `Label=number` pairs separated by `;`, e.g.
    /// `Admin Verifikasi Akun=081234567890;Layanan Akta=081298765432`.
    #[arg(long, env = "WHATSAPP_NUMBERS", default_value = "", global = true)]
    pub whatsapp_numbers: String,

    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Json, global = true)]
    pub log_format: LogFormat,

    /// A session unused for this many minutes ends.
    #[arg(long, env = "SESSION_IDLE_MINUTES", default_value_t = 120, global = true)]
    pub session_idle_minutes: i64,

    /// No session lives longer than this many hours.
    #[arg(long, env = "SESSION_MAX_HOURS", default_value_t = 12, global = true)]
    pub session_max_hours: i64,

    /// Events per projector transaction.
    #[arg(long, env = "PROJECTOR_BATCH_SIZE", default_value_t = 500, global = true)]
    pub projector_batch_size: i64,

    /// Projector polling fallback, in milliseconds (LISTEN/NOTIFY wakes it sooner).
    #[arg(long, env = "PROJECTOR_POLL_MS", default_value_t = 1000, global = true)]
    pub projector_poll_ms: u64,

    /// `/readyz` fails when the oldest unprojected event is older than this.
    #[arg(long, env = "READY_MAX_LAG_SECONDS", default_value_t = 30.0, global = true)]
    pub ready_max_lag_seconds: f64,

    /// Where encrypted files are stored: `file:///path` or `s3://bucket/prefix` (S3-compatible;
    /// credentials and endpoint from `AWS_*` variables). Default: `file://<DATA_DIR>/files`.
    #[arg(long, env = "FILE_STORE_URL", global = true)]
    pub file_store_url: Option<String>,

    /// File encryption keys, `id:hex32bytes` separated by commas; the first encrypts new files,
    /// all decrypt (rotation). Required outside localhost.
    #[arg(long, env = "FILE_ENCRYPTION_KEYS", default_value = "", hide_env_values = true, global = true)]
    pub file_encryption_keys: String,

    /// Key-encryption keys of the residents' data keys (the personal fields of the history are
    /// sealed with those: docs/SECURITY.md), `id:hex32bytes` separated by commas; the first
    /// wraps new data keys, all unwrap (rotation). Keep them apart from the file keys and from
    /// database backups. Required outside localhost.
    #[arg(long, env = "PERSONAL_DATA_KEYS", default_value = "", hide_env_values = true, global = true)]
    pub personal_data_keys: String,

    /// Days identity photos (KTP-el or police letter, KK, selfie) are kept after the
    /// registration or password reset was decided (docs/SECURITY.md, UU PDP).
    #[arg(long, env = "IDENTITY_DOCUMENT_RETENTION_DAYS", default_value_t = 30, global = true)]
    pub identity_document_retention_days: u32,

    /// Days a request's documents are kept after the request was closed.
    #[arg(long, env = "REQUEST_DOCUMENT_RETENTION_DAYS", default_value_t = 30, global = true)]
    pub request_document_retention_days: u32,

    /// Days a finished document stays downloadable after the request was completed.
    #[arg(long, env = "RESULT_DOCUMENT_RETENTION_DAYS", default_value_t = 90, global = true)]
    pub result_document_retention_days: u32,

    /// Key for keyed hashes of NIKs (account ids, reset codes), 32 bytes in hex. Never change
    /// it once accounts exist. Required outside localhost.
    #[arg(long, env = "NIK_HASH_KEY", default_value = "", hide_env_values = true, global = true)]
    pub nik_hash_key: String,

    /// Largest upload, in MiB.
    #[arg(long, env = "MAX_UPLOAD_MB", default_value_t = 5, global = true)]
    pub max_upload_mb: u64,

    /// Memory all concurrent upload checks and image re-encodings may use together, in MiB;
    /// uploads beyond it wait their turn.
    #[arg(long, env = "DECODE_MEMORY_MB", default_value_t = 512, global = true)]
    pub decode_memory_mb: u64,

    /// Uploads one signed-in account may make per hour.
    #[arg(long, env = "UPLOADS_PER_ACCOUNT_PER_HOUR", default_value_t = 60, global = true)]
    pub uploads_per_account_per_hour: i64,

    /// Megabytes one signed-in account may upload per hour.
    #[arg(long, env = "UPLOAD_MB_PER_ACCOUNT_PER_HOUR", default_value_t = 100, global = true)]
    pub upload_mb_per_account_per_hour: i64,

    /// Uploads one client address may make per hour without an account (registration and
    /// password reset, with upload tokens). Sized for a warnet, a kecamatan office's wifi or a
    /// mobile carrier's shared address: see docs/SECURITY.md. Signed-in uploads count against
    /// their account instead.
    #[arg(long, env = "ANONYMOUS_UPLOADS_PER_ADDRESS_PER_HOUR", default_value_t = 300, global = true)]
    pub anonymous_uploads_per_address_per_hour: i64,

    /// Megabytes one client address may upload per hour without an account.
    #[arg(long, env = "ANONYMOUS_UPLOAD_MB_PER_ADDRESS_PER_HOUR", default_value_t = 600, global = true)]
    pub anonymous_upload_mb_per_address_per_hour: i64,

    /// Uploads one upload token (one solved captcha) allows; at least 3, one form's documents.
    #[arg(long, env = "UPLOADS_PER_TOKEN", default_value_t = 8, global = true)]
    pub uploads_per_token: i32,

    /// Uploads are refused while the local file store's disk has less free space than this
    /// (MiB), so a flood cannot fill the disk the database and logs share.
    #[arg(long, env = "MIN_FREE_DISK_MB", default_value_t = 1024, global = true)]
    pub min_free_disk_mb: u64,

    /// Captchas one client address may create per minute.
    #[arg(long, env = "CAPTCHAS_PER_ADDRESS_PER_MINUTE", default_value_t = 30, global = true)]
    pub captchas_per_address_per_minute: i64,

    /// Captchas the whole service creates per minute at most.
    #[arg(long, env = "CAPTCHAS_PER_MINUTE", default_value_t = 1200, global = true)]
    pub captchas_per_minute: i64,

    /// Take the client address from `X-Forwarded-For` (only behind a trusted reverse proxy).
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false, global = true)]
    pub trust_forwarded_for: bool,

    /// How many proxies in front of the service append to `X-Forwarded-For`: the client is the
    /// entry this far from the right (what the outermost trusted proxy appended). Entries to
    /// its left are the client's own and are never believed.
    #[arg(long, env = "TRUSTED_PROXY_HOPS", default_value_t = 1, global = true)]
    pub trusted_proxy_hops: usize,

    /// Open connections in all (lowered to what the open-file limit leaves room for).
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 10_000, global = true)]
    pub max_connections: usize,

    /// Open connections from one peer address. Behind a reverse proxy every connection comes
    /// from the proxy: raise this to `MAX_CONNECTIONS` there and let the proxy limit clients.
    #[arg(long, env = "MAX_CONNECTIONS_PER_PEER", default_value_t = 256, global = true)]
    pub max_connections_per_peer: usize,

    /// A connection must send a request's headers within this many seconds (idle keep-alive
    /// connections too), or it is closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10, global = true)]
    pub header_read_timeout_seconds: u64,

    /// Largest websocket message a client may send, in KiB (as the GraphQL body limit).
    #[arg(long, env = "WS_MAX_MESSAGE_KB", default_value_t = 64, global = true)]
    pub ws_max_message_kb: usize,

    /// Subscriptions one websocket may hold at once.
    #[arg(long, env = "WS_MAX_SUBSCRIPTIONS", default_value_t = 10, global = true)]
    pub ws_max_subscriptions: usize,

    /// Websockets one session may hold open (one per open tab).
    #[arg(long, env = "WS_MAX_PER_SESSION", default_value_t = 4, global = true)]
    pub ws_max_per_session: usize,

    /// Websockets one client address may hold open (many residents may share one address).
    #[arg(long, env = "WS_MAX_PER_ADDRESS", default_value_t = 200, global = true)]
    pub ws_max_per_address: usize,

    /// How often an open websocket re-checks its session, in seconds, besides the immediate
    /// close when any instance ends the session.
    #[arg(long, env = "WS_RECHECK_SECONDS", default_value_t = 60, global = true)]
    pub ws_recheck_seconds: u64,

    /// Serve the portal from this folder (a `web/dist` built by `npm run build`, read at
    /// request time) instead of the copy built into the binary: for working on the portal
    /// without rebuilding the binary, and for tests.
    #[arg(long, env = "WEB_DIR", global = true)]
    pub web_dir: Option<PathBuf>,

    /// Serve GraphiQL at `/graphiql`. Default: only when `PUBLIC_URL` is localhost — its page loads
    /// scripts from a CDN, which must not run on the production origin beside staff sessions.
    #[arg(long, env = "GRAPHIQL", global = true)]
    pub graphiql: Option<bool>,

    /// Answer GraphQL introspection (`__schema`, `__type`). Default: only when `PUBLIC_URL` is
    /// localhost (GraphiQL needs it); the schema is published in `docs/schema.graphql`.
    #[arg(long, env = "GRAPHQL_INTROSPECTION", global = true)]
    pub graphql_introspection: Option<bool>,

    /// Notification channels, templates and delivery (`NOTIFY_*`, `WHATSAPP_*`, `SMTP_URL`, …).
    #[command(flatten)]
    pub notifications: crate::notifications::NotificationConfig,
}

/// Parses a configuration from flags alone (environment variables still fill the rest); a
/// flag given twice takes its last value, so callers can override defaults they were handed.
#[derive(clap::Parser)]
#[command(args_override_self = true)]
struct Standalone {
    #[command(flatten)]
    config: Config,
}

impl Config {
    /// A configuration from command-line style arguments, e.g. for tests and tools.
    pub fn from_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::Parser;
        let argv = std::iter::once(std::ffi::OsString::from("dukcapil")).chain(args.into_iter().map(Into::into));
        Standalone::try_parse_from(argv).map(|s| s.config)
    }

    /// Whether session cookies must carry `Secure`.
    pub fn cookie_secure(&self) -> bool {
        let host = self
            .public_url
            .split_once("://")
            .map_or(self.public_url.as_str(), |(_, rest)| rest)
            .split(['/', ':'])
            .next()
            .unwrap_or_default();
        !matches!(host, "localhost" | "127.0.0.1" | "[")
    }

    /// Whether `/graphiql` serves GraphiQL.
    pub fn graphiql(&self) -> bool {
        self.graphiql.unwrap_or(!self.cookie_secure())
    }

    /// The portal: the folder of `WEB_DIR`, else the build inside the binary; HSTS when
    /// `PUBLIC_URL` is https (TLS ends at the proxy in front, but browsers go by the URL).
    pub fn portal(&self) -> crate::http::portal::Portal {
        let hsts = self.public_url.trim_start().to_ascii_lowercase().starts_with("https://");
        match &self.web_dir {
            Some(dir) => crate::http::portal::Portal::directory(dir, hsts),
            None => crate::http::portal::Portal::embedded(hsts),
        }
    }

    /// Whether GraphQL answers introspection.
    pub fn introspection(&self) -> bool {
        self.graphql_introspection.unwrap_or(!self.cookie_secure())
    }

    /// The command side's settings: keys, file storage, limits. Outside localhost, missing keys
    /// are an error; on localhost fixed development keys are used (with a warning).
    pub fn command_settings(&self) -> Result<commands::Settings, String> {
        let development = !self.cookie_secure();
        let nik_key = match self.nik_hash_key.trim() {
            "" if development => {
                tracing::warn!("NIK_HASH_KEY not set: using the development key (never in production)");
                [0x4b; 32]
            }
            "" => return Err("NIK_HASH_KEY is required outside localhost".into()),
            raw => parse_key(raw).map_err(|e| format!("NIK_HASH_KEY: {e}"))?,
        };
        let file_keys = key_list("FILE_ENCRYPTION_KEYS", &self.file_encryption_keys, development, [0x5a; 32])?;
        let personal_data_keys = key_list("PERSONAL_DATA_KEYS", &self.personal_data_keys, development, [0x6b; 32])?;
        let url =
            self.file_store_url.clone().unwrap_or_else(|| format!("file://{}", self.data_dir.join("files").display()));
        let objects = commands::files::object_store_from_url(&url)?;
        let max_bytes = self.max_upload_mb.clamp(1, 100) * 1024 * 1024;
        let upload_limits = commands::files::UploadLimits {
            max_bytes,
            // Room for at least one upload of the largest kind.
            decode_memory_bytes: (self.decode_memory_mb.max(1) * 1024 * 1024).max(max_bytes * 8),
            per_account_per_hour: self.uploads_per_account_per_hour.max(1),
            bytes_per_account_per_hour: self.upload_mb_per_account_per_hour.max(1) * 1024 * 1024,
            anonymous_per_address_per_hour: self.anonymous_uploads_per_address_per_hour.max(1),
            anonymous_bytes_per_address_per_hour: self.anonymous_upload_mb_per_address_per_hour.max(1) * 1024 * 1024,
            uploads_per_token: self.uploads_per_token.clamp(3, 100),
            local_dir: url.strip_prefix("file://").map(std::path::PathBuf::from),
            min_free_disk_bytes: self.min_free_disk_mb * 1024 * 1024,
        };
        Ok(commands::Settings {
            session_policy: self.session_policy(),
            secrets: commands::Secrets::new(nik_key, file_keys),
            personal_data_keys,
            objects,
            upload_limits,
            retention: commands::retention::RetentionPeriods {
                identity: chrono::Duration::days(self.identity_document_retention_days.into()),
                request: chrono::Duration::days(self.request_document_retention_days.into()),
                result: chrono::Duration::days(self.result_document_retention_days.into()),
            },
            captcha_limits: commands::captcha::CaptchaLimits {
                per_address_per_minute: self.captchas_per_address_per_minute.max(1),
                per_minute: self.captchas_per_minute.max(1),
            },
            clock: std::sync::Arc::new(commands::SystemClock),
            catalogue: std::sync::Arc::new(crate::startup::load_catalogue(self).map_err(|e| format!("{e:#}"))?),
        })
    }

    /// `scheme://host[:port]` of `PUBLIC_URL`: the only origin allowed to open a websocket.
    pub fn public_origin(&self) -> String {
        let url = self.public_url.trim_end_matches('/');
        match url.split_once("://") {
            Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or_default()),
            None => url.to_owned(),
        }
    }

    /// How many signed-in mutations execute at once ([`Config::max_concurrent_mutations`]).
    pub fn concurrent_mutations(&self) -> usize {
        self.max_concurrent_mutations
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
            .max(1)
    }

    /// Bounds of HTTP connections.
    pub fn connection_limits(&self) -> crate::http::ConnectionLimits {
        crate::http::ConnectionLimits {
            max_connections: self.max_connections.max(16),
            max_per_peer: self.max_connections_per_peer.max(1),
            header_read_timeout: Duration::from_secs(self.header_read_timeout_seconds.max(1)),
        }
    }

    /// Bounds of websockets.
    pub fn socket_limits(&self) -> crate::http::SocketLimits {
        crate::http::SocketLimits {
            max_message_bytes: self.ws_max_message_kb.clamp(1, 1024) * 1024,
            max_subscriptions: self.ws_max_subscriptions.max(1),
            max_per_session: self.ws_max_per_session.max(1),
            max_per_address: self.ws_max_per_address.max(1),
            recheck_interval: Duration::from_secs(self.ws_recheck_seconds.max(1)),
        }
    }

    /// Session lifetimes.
    pub fn session_policy(&self) -> commands::SessionPolicy {
        commands::SessionPolicy {
            idle_timeout: chrono::Duration::minutes(self.session_idle_minutes.max(1)),
            absolute_lifetime: chrono::Duration::hours(self.session_max_hours.max(1)),
        }
    }

    /// Projector tuning.
    pub fn projector(&self) -> projections::ProjectorConfig {
        projections::ProjectorConfig {
            batch_size: self.projector_batch_size.clamp(1, 10_000),
            poll_interval: Duration::from_millis(self.projector_poll_ms.max(10)),
            ..Default::default()
        }
    }
}

/// A list of keys with ids (`id:hex,id:hex`, the first in use), or the development key on
/// localhost when `raw` is empty.
fn key_list(name: &str, raw: &str, development: bool, dev_key: [u8; 32]) -> Result<commands::files::FileKeys, String> {
    match raw.trim() {
        "" if development => {
            tracing::warn!("{name} not set: using the development key (never in production)");
            Ok(commands::files::FileKeys::single("dev", dev_key))
        }
        "" => Err(format!("{name} is required outside localhost")),
        raw => {
            let keys = raw
                .split(',')
                .map(|entry| {
                    let (id, key) = entry.trim().split_once(':').ok_or("use id:hexkey")?;
                    Ok::<_, String>((id.to_owned(), parse_key(key)?))
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{name}: {e}"))?;
            commands::files::FileKeys::new(keys).map_err(|e| format!("{name}: {e}"))
        }
    }
}

fn parse_key(hex_key: &str) -> Result<[u8; 32], String> {
    let bytes = hex::decode(hex_key.trim()).map_err(|_| "not hexadecimal".to_owned())?;
    bytes.try_into().map_err(|_| "must be 32 bytes (64 hex digits)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Config {
        Config::from_args(args.iter().copied()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn defaults_target_the_local_server() {
        let config = parse(&[]);
        assert_eq!(config.bind_addr.to_string(), "127.0.0.1:8080");
        assert!(config.database_url.ends_with("localhost:5432/dukcapil") || std::env::var("DATABASE_URL").is_ok());
    }

    #[test]
    fn keys_are_required_outside_localhost_and_parsed_strictly() {
        let public = ["--public-url", "https://layanan.example.go.id", "--data-dir", "/tmp/dukcapil-config-test"];
        assert!(parse(&public).command_settings().is_err());
        let key = "ab".repeat(32);
        let mut args = public.to_vec();
        let keys = format!("k2:{key},k1:{key}");
        args.extend(["--nik-hash-key", key.as_str(), "--file-encryption-keys", keys.as_str()]);
        assert!(parse(&args).command_settings().is_err(), "the personal-data keys are required too");
        args.extend(["--personal-data-keys", keys.as_str()]);
        assert!(parse(&args).command_settings().is_ok());
        let mut bad = args.clone();
        bad.extend(["--personal-data-keys", "k1:abcd"]);
        assert!(parse(&bad).command_settings().is_err());
        let mut short = public.to_vec();
        short.extend(["--nik-hash-key", "abcd", "--file-encryption-keys", keys.as_str()]);
        assert!(parse(&short).command_settings().is_err());
        assert!(
            parse(&["--data-dir", "/tmp/dukcapil-config-test"]).command_settings().is_ok(),
            "localhost uses dev keys"
        );
    }

    #[test]
    fn cookies_are_secure_unless_localhost() {
        assert!(!parse(&["--public-url", "http://localhost:8080"]).cookie_secure());
        assert!(!parse(&["--public-url", "http://127.0.0.1:9000/x"]).cookie_secure());
        assert!(parse(&["--public-url", "https://layanan.dukcapil.kapuashulukab.go.id"]).cookie_secure());
        assert!(parse(&["--public-url", "http://10.1.1.1:8080"]).cookie_secure());
    }

    #[test]
    fn graphiql_only_in_development_unless_asked() {
        assert!(parse(&["--public-url", "http://localhost:8080"]).graphiql());
        assert!(!parse(&["--public-url", "https://layanan.dukcapil.kapuashulukab.go.id"]).graphiql());
        assert!(
            parse(&["--public-url", "https://layanan.dukcapil.kapuashulukab.go.id", "--graphiql", "true"]).graphiql()
        );
        assert!(!parse(&["--public-url", "http://localhost:8080", "--graphiql", "false"]).graphiql());
    }
}
