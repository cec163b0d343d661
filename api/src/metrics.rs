//! Prometheus metrics: HTTP traffic, the projector, the connection pool, notifications.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use projections::{Lag, ProjectorState};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sqlx::PgPool;

/// How a receipt check was answered.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelValue)]
pub enum ReceiptAnswer {
    Genuine,
    Unknown,
    Malformed,
    Limited,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReceiptLabels {
    answer: ReceiptAnswer,
}

/// How a notification delivery attempt ended.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum DeliveryResult {
    /// Delivered.
    Sent,
    /// Failed; will be tried again.
    Failed,
    /// Given up on: a dead letter.
    Dead,
    /// No longer worth sending (an expired reset code).
    Skipped,
}

impl DeliveryResult {
    /// The label value: `sent`, `failed`, `dead`, `skipped`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Dead => "dead",
            Self::Skipped => "skipped",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    channel: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RetentionLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// All metrics of the process.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
    projector_active: Gauge,
    projector_events: Counter,
    projector_failures: Counter,
    projector_pending: Gauge,
    projector_lag: Gauge<f64, AtomicU64>,
    pool_size: Gauge,
    pool_idle: Gauge,
    decode_in_use: Gauge,
    decode_peak: Gauge,
    decode_budget: Gauge,
    sockets_open: Gauge,
    receipt_checks: Family<ReceiptLabels, Counter>,
    deliveries: Family<DeliveryLabels, Counter>,
    outbox_pending: Gauge,
    outbox_dead: Gauge,
    outbox_oldest: Gauge<f64, AtomicU64>,
    retention_erased: Family<RetentionLabels, Counter>,
    retention_runs: Counter,
    retention_failures: Counter,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 14))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("dukcapil");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let projector_active = Gauge::default();
        let projector_events = Counter::default();
        let projector_failures = Counter::default();
        let projector_pending = Gauge::default();
        let projector_lag = Gauge::<f64, AtomicU64>::default();
        let pool_size = Gauge::default();
        let pool_idle = Gauge::default();
        let (decode_in_use, decode_peak, decode_budget, sockets_open) =
            (Gauge::default(), Gauge::default(), Gauge::default(), Gauge::default());
        registry.register("upload_decode_bytes", "Decode memory reserved by uploads now", decode_in_use.clone());
        registry.register(
            "upload_decode_peak_bytes",
            "Most decode memory uploads ever reserved at once",
            decode_peak.clone(),
        );
        registry.register("upload_decode_budget_bytes", "The decode memory budget", decode_budget.clone());
        registry.register("websockets_open", "Open subscription websockets", sockets_open.clone());
        registry.register("http_requests", "HTTP requests by route and status", http_requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency", http_duration.clone());
        registry.register("projector_active", "1 if this process runs the projector", projector_active.clone());
        registry.register("projector_events_applied", "Events applied by this process", projector_events.clone());
        registry.register("projector_failures", "Failed projector batches", projector_failures.clone());
        registry.register(
            "projector_pending_events",
            "Events not yet projected (capped at 10000)",
            projector_pending.clone(),
        );
        registry.register("projector_lag_seconds", "Age of the oldest unprojected event", projector_lag.clone());
        registry.register("db_pool_connections", "Open database connections", pool_size.clone());
        registry.register("db_pool_idle_connections", "Idle database connections", pool_idle.clone());
        let receipt_checks = Family::<ReceiptLabels, Counter>::default();
        registry.register("receipt_checks", "Receipt verifications by answer", receipt_checks.clone());
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "notification_deliveries",
            "Notification delivery attempts by channel and result",
            deliveries.clone(),
        );
        let (outbox_pending, outbox_dead, outbox_oldest) =
            (Gauge::default(), Gauge::default(), Gauge::<f64, AtomicU64>::default());
        registry.register("notifications_pending", "Messages waiting to be delivered", outbox_pending.clone());
        registry.register("notifications_dead", "Dead letters waiting for a supervisor", outbox_dead.clone());
        registry.register(
            "notifications_oldest_pending_seconds",
            "Age of the oldest message waiting to be delivered",
            outbox_oldest.clone(),
        );
        let retention_erased = Family::<RetentionLabels, Counter>::default();
        registry.register(
            "retention_files_erased",
            "Files whose bytes housekeeping deleted when their retention ended, by kind",
            retention_erased.clone(),
        );
        let retention_runs = Counter::default();
        registry.register("retention_runs", "Daily retention runs completed", retention_runs.clone());
        let retention_failures = Counter::default();
        registry.register("retention_failures", "Daily retention runs that failed", retention_failures.clone());
        Self {
            registry,
            http_requests,
            http_duration,
            projector_active,
            projector_events,
            projector_failures,
            projector_pending,
            projector_lag,
            pool_size,
            pool_idle,
            decode_in_use,
            decode_peak,
            decode_budget,
            sockets_open,
            receipt_checks,
            deliveries,
            outbox_pending,
            outbox_dead,
            outbox_oldest,
            retention_erased,
            retention_runs,
            retention_failures,
        }
    }
}

impl Metrics {
    /// Counts one daily retention run: what it deleted, or that it failed.
    pub fn retention_run(&self, report: Option<commands::retention::RetentionReport>) {
        let Some(report) = report else {
            self.retention_failures.inc();
            return;
        };
        for (kind, n) in [("IDENTITY", report.identity), ("REQUEST", report.request), ("RESULT", report.result)] {
            self.retention_erased.get_or_create(&RetentionLabels { kind }).inc_by(n);
        }
        self.retention_runs.inc();
    }

    /// Counts one receipt verification.
    pub fn receipt_checked(&self, answer: ReceiptAnswer) {
        self.receipt_checks.get_or_create(&ReceiptLabels { answer }).inc();
    }

    /// Counts one notification delivery attempt.
    pub fn delivery(&self, channel: domain::notification::Channel, result: DeliveryResult) {
        self.deliveries.get_or_create(&DeliveryLabels { channel: channel.as_str(), result: result.as_str() }).inc();
    }

    /// Brings the outbox gauges up to date (called at scrape time).
    pub fn observe_outbox(&self, backlog: projections::notifications::outbox::Backlog) {
        self.outbox_pending.set(backlog.pending);
        self.outbox_dead.set(backlog.dead);
        self.outbox_oldest.set(backlog.oldest_pending_seconds);
    }

    /// Records one HTTP request.
    pub fn observe_http(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.http_requests
            .get_or_create(&HttpLabels { method: method.to_owned(), route: route.to_owned(), status })
            .inc();
        self.http_duration.get_or_create(&RouteLabels { route: route.to_owned() }).observe(elapsed.as_secs_f64());
    }

    /// Brings the projector and pool gauges up to date (called at scrape time).
    pub fn observe_projector(&self, state: &ProjectorState, lag: Option<Lag>, pool: &PgPool) {
        self.projector_active.set(i64::from(state.is_active()));
        let applied = state.events_applied();
        self.projector_events.inc_by(applied.saturating_sub(self.projector_events.get()));
        self.projector_failures.inc_by(state.failures().saturating_sub(self.projector_failures.get()));
        if let Some(lag) = lag {
            self.projector_pending.set(lag.pending_events);
            self.projector_lag.set(lag.oldest_pending_seconds);
        }
        self.pool_size.set(i64::from(pool.size()));
        self.pool_idle.set(pool.num_idle() as i64);
    }

    /// Brings the upload-decode and websocket gauges up to date (called at scrape time).
    pub fn observe_limits(&self, gate: &commands::files::DecodeGate, sockets_open: usize) {
        let gauge = |bytes: u64| i64::try_from(bytes).unwrap_or(i64::MAX);
        self.decode_in_use.set(gauge(gate.in_use_bytes()));
        self.decode_peak.set(gauge(gate.peak_bytes()));
        self.decode_budget.set(gauge(gate.capacity_bytes()));
        self.sockets_open.set(i64::try_from(sockets_open).unwrap_or(i64::MAX));
    }

    /// The OpenMetrics text of every metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
