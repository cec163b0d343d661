//! The durable projector: tails the event store and keeps every read model up to date.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::{Connection, PgConnection, PgPool};

use crate::event::COLUMNS;
use crate::{Checkpoint, Context, Error, Mode, Projection, StoredEvent, checkpoint};

/// Key of the advisory lock that makes one projector active per database (`pg_locks` shows
/// it as `classid` = high 32 bits, `objid` = low 32 bits).
pub const LOCK_KEY: i64 = 0x6475_6b63_6170_696c; // "dukcapil"

/// The channel appenders notify after their commit (`commands::wakeup::CHANNEL`, checked
/// equal by a test; this crate does not depend on `commands`).
pub const CHANNEL: &str = "events_appended";

/// How long to wait before looking again when events exist that are not yet safe to read
/// (an older transaction is still running).
const UNSAFE_RETRY: Duration = Duration::from_millis(5);

/// Tuning of the projector.
#[derive(Debug, Clone, Copy)]
pub struct ProjectorConfig {
    /// Events read and applied per transaction.
    pub batch_size: i64,
    /// Polling fallback when no notification arrives.
    pub poll_interval: Duration,
    /// How often a passive projector tries to become active.
    pub standby_interval: Duration,
    /// Pause after a failure before trying again.
    pub error_backoff: Duration,
}

impl Default for ProjectorConfig {
    fn default() -> Self {
        Self {
            batch_size: 500,
            poll_interval: Duration::from_secs(1),
            standby_interval: Duration::from_secs(2),
            error_backoff: Duration::from_secs(2),
        }
    }
}

/// What the projector is doing, for health checks and metrics.
#[derive(Debug, Default)]
pub struct ProjectorState {
    active: AtomicBool,
    events_applied: AtomicU64,
    last_position: AtomicI64,
    failures: AtomicU64,
}

impl ProjectorState {
    /// Whether this process holds the projector lock.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// Events applied by this process since it started.
    pub fn events_applied(&self) -> u64 {
        self.events_applied.load(Ordering::Relaxed)
    }

    /// Global position of the last event this process applied.
    pub fn last_position(&self) -> i64 {
        self.last_position.load(Ordering::Relaxed)
    }

    /// Failed batches since start.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }
}

/// Tails the `events` table and applies every event to every projection, exactly once.
pub struct Projector {
    pool: PgPool,
    vault: commands::Vault,
    projections: Vec<Arc<dyn Projection>>,
    config: ProjectorConfig,
    state: Arc<ProjectorState>,
}

impl Projector {
    /// A projector for these projections over `pool`'s database, opening sealed fields with
    /// `vault`.
    pub fn new(
        pool: PgPool,
        vault: commands::Vault,
        projections: Vec<Arc<dyn Projection>>,
        config: ProjectorConfig,
    ) -> Self {
        Self { pool, vault, projections, config, state: Arc::default() }
    }

    /// Shared view of what this projector is doing.
    pub fn state(&self) -> Arc<ProjectorState> {
        self.state.clone()
    }

    /// Runs until `shutdown` completes: passive while another process holds the lock,
    /// active (projecting) once it gets it, and back to passive after any failure.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        loop {
            let wait = match self.activate().await {
                Ok(Some(mut session)) => {
                    self.state.active.store(true, Ordering::Relaxed);
                    tracing::info!("projector active");
                    let outcome = tokio::select! {
                        outcome = self.project(&mut session) => Some(outcome),
                        () = &mut shutdown => None,
                    };
                    self.state.active.store(false, Ordering::Relaxed);
                    // Closing the connection releases the advisory lock at once.
                    session.close().await;
                    match outcome {
                        None => return,
                        Some(Err(error)) => {
                            self.state.failures.fetch_add(1, Ordering::Relaxed);
                            tracing::error!(%error, "projector failed; retrying");
                            self.config.error_backoff
                        }
                        Some(Ok(())) => self.config.error_backoff,
                    }
                }
                Ok(None) => {
                    tracing::debug!("another process runs the projector; standing by");
                    self.config.standby_interval
                }
                Err(error) => {
                    tracing::warn!(%error, "projector cannot reach the database");
                    self.config.error_backoff
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut shutdown => return,
            }
        }
    }

    /// Takes the projector lock on a dedicated connection, or `None` if another process has it.
    /// All projection work happens on this connection: if it dies, the lock and any
    /// uncommitted work die with it, so two projectors can never both commit.
    pub async fn activate(&self) -> Result<Option<ActiveProjector<'_>>, Error> {
        let mut conn = PgConnection::connect_with(&self.pool.connect_options()).await?;
        let locked: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(LOCK_KEY).fetch_one(&mut conn).await?;
        if !locked {
            conn.close().await.ok();
            return Ok(None);
        }
        let names: Vec<&'static str> = self.projections.iter().map(|p| p.name()).collect();
        let checkpoints = checkpoint::load(&mut conn, &names).await?;
        Ok(Some(ActiveProjector { projector: self, conn, checkpoints }))
    }

    async fn project(&self, session: &mut ActiveProjector<'_>) -> Result<(), Error> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        loop {
            if session.step().await? > 0 {
                continue;
            }
            if session.has_unsafe_pending().await? {
                tokio::time::sleep(UNSAFE_RETRY).await;
                continue;
            }
            tokio::select! {
                notification = listener.recv() => { notification?; }
                () = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
    }
}

/// A projector holding the lock: it may apply events.
pub struct ActiveProjector<'p> {
    projector: &'p Projector,
    conn: PgConnection,
    checkpoints: HashMap<&'static str, Checkpoint>,
}

impl ActiveProjector<'_> {
    /// Applies one batch of safe events to every projection and moves their checkpoints, all
    /// in one transaction (one commit per batch, not one per projection: each commit waits for
    /// a WAL flush). Returns how many events the batch held (0 when caught up).
    pub async fn step(&mut self) -> Result<usize, Error> {
        let start = self.checkpoints.values().min().copied().unwrap_or_default();
        let events = fetch_safe(&mut self.conn, start, self.projector.config.batch_size).await?;
        let Some(last) = events.last().map(StoredEvent::checkpoint) else {
            return Ok(0);
        };
        let opened = crate::event::opened(&self.projector.vault, &events).await?;
        let mut tx = self.conn.begin().await?;
        let mut moved = Vec::new();
        for projection in &self.projector.projections {
            let from = self.checkpoints.get(projection.name()).copied().unwrap_or_default();
            if from >= last {
                continue;
            }
            let batch: &[StoredEvent] = if projection.reads_stored_form() { &events } else { &opened };
            let cx = Context { mode: Mode::Live, vault: &self.projector.vault, from, to: last };
            apply_batch(&mut tx, projection.as_ref(), batch, cx).await?;
            moved.push((projection.name(), from));
        }
        checkpoint::advance_all(&mut tx, &moved, last).await?;
        tx.commit().await?;
        for (name, _) in moved {
            self.checkpoints.insert(name, last);
        }
        let state = &self.projector.state;
        state.events_applied.fetch_add(events.len() as u64, Ordering::Relaxed);
        state.last_position.store(last.position, Ordering::Relaxed);
        Ok(events.len())
    }

    /// Steps until caught up; returns the number of events applied.
    pub async fn drain(&mut self) -> Result<usize, Error> {
        let mut total = 0;
        loop {
            match self.step().await? {
                0 => return Ok(total),
                n => total += n,
            }
        }
    }

    /// Whether committed events exist beyond the checkpoints that are not yet safe to read.
    pub async fn has_unsafe_pending(&mut self) -> Result<bool, Error> {
        let start = self.checkpoints.values().min().copied().unwrap_or_default();
        let pending: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM events WHERE (transaction_id, global_position) > ($1::text::xid8, $2))",
        )
        .bind(start.transaction_id.to_string())
        .bind(start.position)
        .fetch_one(&mut self.conn)
        .await?;
        Ok(pending)
    }

    /// Gives the lock up.
    pub async fn close(self) {
        if let Err(error) = self.conn.close().await {
            tracing::debug!(%error, "closing the projector connection");
        }
    }
}

/// Reads up to `limit` events after `after` that no running transaction can still precede.
pub(crate) async fn fetch_safe(
    conn: &mut PgConnection,
    after: Checkpoint,
    limit: i64,
) -> Result<Vec<StoredEvent>, Error> {
    Ok(sqlx::query_as(&fetch_safe_sql())
        .bind(after.transaction_id.to_string())
        .bind(after.position)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// The projector's read, in the order of the `events_projector_order` index.
fn fetch_safe_sql() -> String {
    format!(
        "SELECT {COLUMNS} FROM events
          WHERE (transaction_id, global_position) > ($1::text::xid8, $2)
            AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY events.transaction_id, events.global_position
          LIMIT $3"
    )
}

/// Applies the events of `events` that lie beyond `cx.from` to one projection.
pub(crate) async fn apply_batch(
    conn: &mut PgConnection,
    projection: &dyn Projection,
    events: &[StoredEvent],
    cx: Context<'_>,
) -> Result<(), Error> {
    let unseen = events.partition_point(|e| e.checkpoint() <= cx.from);
    projection.apply_batch(conn, &events[unseen..], cx).await
}

/// How far the read models trail the event store.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lag {
    /// Events not yet applied by the slowest projection (counted up to 10 000).
    pub pending_events: i64,
    /// Age of the oldest such event, in seconds (0 when caught up).
    pub oldest_pending_seconds: f64,
}

/// Measures, from the database, how far the slowest of `projections` trails (any process can
/// ask, whichever runs the projector). A projection without a checkpoint yet counts from 0.
pub async fn lag(pool: &PgPool, projections: &[Arc<dyn Projection>]) -> Result<Lag, Error> {
    let names: Vec<&str> = projections.iter().map(|p| p.name()).collect();
    let (pending_events, oldest_pending_seconds): (i64, f64) = sqlx::query_as(
        "WITH slowest AS (
             SELECT coalesce(c.last_transaction_id, '0') AS last_transaction_id,
                    coalesce(c.last_position, 0) AS last_position
               FROM unnest($1::text[]) AS p(name)
               LEFT JOIN projection_checkpoints c ON c.projection = p.name
              ORDER BY 1, 2 LIMIT 1),
         pending AS (
             SELECT e.recorded_at FROM events e, slowest s
              WHERE (e.transaction_id, e.global_position) > (s.last_transaction_id, s.last_position)
              ORDER BY e.transaction_id, e.global_position LIMIT 10000)
         SELECT count(*), coalesce(extract(epoch FROM now() - min(recorded_at))::float8, 0) FROM pending",
    )
    .bind(&names)
    .fetch_one(pool)
    .await?;
    Ok(Lag { pending_events, oldest_pending_seconds })
}

#[cfg(test)]
mod tests {
    use sqlx::PgPool;

    /// Each batch must be read from the index, not by sorting everything after the
    /// checkpoint: a sort makes every batch cost the size of the rest of the history.
    #[sqlx::test(migrations = "../migrations")]
    async fn batches_are_read_in_index_order_without_a_sort(pool: PgPool) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             SELECT 'Test', g::text, 1, 'Tested', '1.0', '{}', '{}' FROM generate_series(1, 20000) g",
        )
        .execute(&pool)
        .await?;
        sqlx::query("ANALYZE events").execute(&pool).await?;
        let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {}", super::fetch_safe_sql()))
            .bind("0")
            .bind(0i64)
            .bind(500i64)
            .fetch_all(&pool)
            .await?;
        let plan = plan.join("\n");
        assert!(plan.contains("events_projector_order"), "{plan}");
        assert!(!plan.contains("Sort"), "{plan}");
        Ok(())
    }
}
