//! Building and running the application: database, migrations, projector, HTTP server.

use std::future::Future;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use commands::Commands;
use domain::catalogue::Catalogue;
use projections::Projector;
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::Config;
use crate::graphql::{self, Shared};
use crate::http::{self, AppState};
use crate::metrics::Metrics;

/// Every migration, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// The catalogue shipped with the code, used unless `CATALOGUE_FILE` is set.
pub const BUILT_IN_CATALOGUE: &str = include_str!("../../catalogue/services.toml");

/// How often expired captchas are purged: they live five minutes, and their creation rate is
/// limited, so purging every minute bounds the table.
const CAPTCHA_PURGE_INTERVAL: Duration = Duration::from_secs(60);
/// How often ended sessions, old failures, windows and uploads are purged (in captcha purges).
const PURGES_PER_HOUSEKEEPING: u32 = 60;
/// Purge rounds between retention runs: once a day (and at start-up).
const PURGES_PER_RETENTION: u32 = 24 * 60;

/// Connects to the configured database, creating it first if it does not exist.
pub async fn connect(config: &Config) -> anyhow::Result<PgPool> {
    let options =
        PgConnectOptions::from_str(&config.database_url).context("DATABASE_URL is not a valid PostgreSQL URL")?;
    if !Postgres::database_exists(&config.database_url).await.context("cannot reach PostgreSQL")? {
        tracing::info!(database = options.get_database().unwrap_or_default(), "creating database");
        Postgres::create_database(&config.database_url).await.context("cannot create the database")?;
    }
    PgPoolOptions::new()
        .max_connections(config.database_max_connections.max(2))
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .context("cannot connect to PostgreSQL")
}

/// Applies pending migrations.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("migrations failed")
}

/// Reads the configured catalogue (or the built-in one).
pub fn load_catalogue(config: &Config) -> anyhow::Result<Catalogue> {
    let source = match &config.catalogue_file {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
        None => BUILT_IN_CATALOGUE.to_owned(),
    };
    Catalogue::from_toml(&source).map_err(|e| anyhow::anyhow!("{e}"))
}

/// A built application, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    limits: http::ConnectionLimits,
    sockets: Arc<http::Sockets>,
    projector: Projector,
    commands: Commands,
    feed: graphql::requests::ChangeFeed,
    pool: PgPool,
    notifier: crate::notifications::worker::Worker,
    metrics: Arc<Metrics>,
}

impl Application {
    /// Builds everything on an existing, migrated pool and binds the listener.
    pub async fn build(config: &Config, pool: PgPool) -> anyhow::Result<Self> {
        let settings = config.command_settings().map_err(|e| anyhow::anyhow!(e))?;
        Self::build_with(config, pool, settings).await
    }

    /// Like [`Self::build`], with the command side's settings given (e.g. a test clock).
    pub async fn build_with(config: &Config, pool: PgPool, settings: commands::Settings) -> anyhow::Result<Self> {
        let catalogue = settings.catalogue.clone();
        let contacts = crate::contact::parse_contacts(&config.whatsapp_numbers).map_err(|e| anyhow::anyhow!(e))?;
        if contacts.is_empty() {
            tracing::warn!("WHATSAPP_NUMBERS is empty: residents are shown no WhatsApp contact");
        }
        commands::passwords::prepare().await?;
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
        let secrets = settings.secrets.clone();
        let commands = Commands::new(pool.clone(), settings);
        let sealed = projections::notifications::seal_leftovers(&pool, &commands.vault).await?;
        if sealed > 0 {
            tracing::info!(sealed, "notification rows written in clear before sealing are sealed");
        }
        let pool_for_feed = pool.clone();
        let projector = Projector::new(pool.clone(), commands.vault.clone(), projections::all(), config.projector());
        let (feed, _) = tokio::sync::broadcast::channel(1024);
        let metrics = Arc::new(Metrics::default());
        let templates = Arc::new(config.notifications.templates()?);
        let senders = crate::notifications::Senders::from_config(&config.notifications, templates, &config.public_url)?;
        let notifier = crate::notifications::worker::Worker {
            pool: pool.clone(),
            clock: commands.clock.clone(),
            secrets,
            vault: commands.vault.clone(),
            senders,
            metrics: metrics.clone(),
            settings: config.notifications.worker(),
        };
        let schema = graphql::schema(
            Shared {
                commands: commands.clone(),
                pool: pool.clone(),
                catalogue,
                contacts,
                messages: crate::whatsapp::Messages::new(&config.public_url),
                metrics: metrics.clone(),
                cookie_secure: config.cookie_secure(),
            },
            feed.clone(),
            config.introspection(),
            config.concurrent_mutations(),
        );
        let sockets = Arc::new(http::Sockets::new(config.socket_limits()));
        let (limits, descriptors) = config.connection_limits().fit_to_descriptors();
        tracing::info!(
            open_file_limit = descriptors,
            max_connections = limits.max_connections,
            max_per_peer = limits.max_per_peer,
            "connection limits"
        );
        let state = AppState {
            schema,
            pool,
            sessions: commands.sessions.clone(),
            commands: commands.clone(),
            upload_body_limit: commands.files.max_bytes() as usize + 64 * 1024,
            allowed_origin: config.public_origin(),
            public_url: config.public_url.clone(),
            projector: projector.state(),
            projections: projections::all(),
            metrics: metrics.clone(),
            ready_max_lag_seconds: config.ready_max_lag_seconds,
            forwarded_for: config
                .trust_forwarded_for
                .then_some(http::ForwardedFor { trusted_hops: config.trusted_proxy_hops.max(1) }),
            sockets: sockets.clone(),
            graphiql: config.graphiql(),
            portal: Arc::new(config.portal()),
        };
        let listener = TcpListener::bind(config.bind_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind_addr))?;
        Ok(Self {
            listener,
            router: http::router(state),
            limits,
            sockets,
            projector,
            commands,
            feed,
            pool: pool_for_feed,
            notifier,
            metrics,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves HTTP and runs the projector until `shutdown` completes, then drains in-flight
    /// requests and stops the projector (its open transaction rolls back; nothing is lost).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            stop_tx.send_replace(true);
        });
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let projector = tokio::spawn(self.projector.run(stopped(stop_rx.clone())));
        let commands = self.commands.clone();
        let metrics = self.metrics.clone();
        let purge = tokio::spawn(async move {
            let mut tick = tokio::time::interval(CAPTCHA_PURGE_INTERVAL);
            for round in 0u32.. {
                tick.tick().await;
                let now = commands.clock.now();
                let mut purged = vec![("captchas", commands.captchas.purge(now).await)];
                if round % PURGES_PER_HOUSEKEEPING == 0 {
                    purged.extend([
                        ("sessions", commands.sessions.purge_ended().await),
                        ("sign-in failures", commands.throttle.purge(now).await),
                        ("rate-limit windows", commands.rate_limits.purge(now).await),
                        ("unrecorded attachments", commands.files.settle_attachments(now).await),
                        ("expired uploads", commands.files.purge_expired(now).await),
                    ]);
                }
                if round % PURGES_PER_RETENTION == 0 {
                    daily_housekeeping(&commands, &metrics, now).await;
                }
                for (what, result) in purged {
                    match result {
                        Ok(n) if n > 0 => tracing::info!(purged = n, what, "housekeeping"),
                        Ok(_) => {}
                        Err(error) => tracing::warn!(%error, what, "housekeeping failed"),
                    }
                }
            }
        });
        let notifier = tokio::spawn(self.notifier.run());
        let feed = tokio::spawn(forward_notifications(self.pool.clone(), self.feed.clone(), self.sockets.clone()));
        let address = self.listener.local_addr()?;
        tracing::info!(%address, "serving");
        let sockets = self.sockets.clone();
        let close_sockets = stopped(stop_rx.clone());
        tokio::spawn(async move {
            close_sockets.await;
            sockets.close_all();
        });
        http::serve(self.listener, self.router, self.limits, stop_rx).await;
        purge.abort();
        feed.abort();
        // A delivery cut short here keeps its lease until it runs out, then goes again with
        // the same idempotency key.
        notifier.abort();
        projector.await.context("projector task")?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The daily run (also at start-up): files whose retention ended lose their bytes, and an
/// erasure interrupted after it was recorded is carried out.
async fn daily_housekeeping(commands: &Commands, metrics: &Metrics, now: chrono::DateTime<chrono::Utc>) {
    match commands.retention.run(now).await {
        Ok(report) => {
            tracing::info!(identity = report.identity, request = report.request, result = report.result, "retention");
            metrics.retention_run(Some(report));
        }
        Err(error) => {
            tracing::warn!(%error, "retention run failed");
            metrics.retention_run(None);
        }
    }
    match commands.erasure.finish_interrupted().await {
        Ok(done) if done.keys + done.files > 0 => {
            tracing::info!(keys = done.keys, files = done.files, "interrupted erasures finished")
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "finishing interrupted erasures failed"),
    }
}

/// Relays the projector's `request_changed` notifications to this instance's subscriptions,
/// and the command side's `sessions_ended` to its open sockets.
async fn forward_notifications(pool: PgPool, feed: graphql::requests::ChangeFeed, sockets: Arc<http::Sockets>) {
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "change feed cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        let channels = [projections::service_requests::CHANNEL, commands::sessions::SESSIONS_ENDED_CHANNEL];
        if let Err(error) = listener.listen_all(channels).await {
            tracing::warn!(%error, "change feed cannot listen; retrying");
            tokio::time::sleep(Duration::from_secs(2)).await;
            continue;
        }
        // Reconnected: announcements may have been missed, so every socket looks again.
        sockets.recheck_all();
        while let Ok(notification) = listener.recv().await {
            if notification.channel() == commands::sessions::SESSIONS_ENDED_CHANNEL {
                sockets.sessions_ended(notification.payload());
                continue;
            }
            let payload: serde_json::Value = serde_json::from_str(notification.payload()).unwrap_or_default();
            let id = |key: &str| payload.get(key).and_then(|v| v.as_str()).and_then(|v| uuid::Uuid::parse_str(v).ok());
            // No subscriber is not an error.
            let _ = feed
                .send(graphql::requests::RequestChanged { request_id: id("request_id"), account_id: id("account_id") });
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown requested");
}
