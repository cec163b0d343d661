//! Rebuilding every read model from position 0.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection, PgPool};

use crate::projector::{apply_batch, fetch_safe};
use crate::{Checkpoint, Error, Projection, checkpoint};

/// Progress of a replay, reported after every batch.
#[derive(Debug, Clone, Copy)]
pub struct ReplayProgress {
    pub events: u64,
    pub elapsed: Duration,
}

impl ReplayProgress {
    /// Throughput so far.
    pub fn events_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { self.events as f64 / secs } else { 0.0 }
    }
}

/// Empties every projection's tables and re-applies the whole history, in one transaction:
/// readers see the old read models until the new ones are complete.
///
/// It needs no projector lock. A live projector working meanwhile finds its checkpoint moved
/// when it tries to commit, rolls back and resumes from the replayed checkpoint, so no event
/// is applied twice.
pub async fn replay(
    pool: &PgPool,
    projections: &[Arc<dyn Projection>],
    batch_size: i64,
    mut on_progress: impl FnMut(ReplayProgress),
) -> Result<ReplayProgress, Error> {
    let started = Instant::now();
    let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
    let mut tx = conn.begin().await?;
    let mut checkpoints: HashMap<&'static str, Checkpoint> = HashMap::new();
    for projection in projections {
        let tables = projection.tables().join(", ");
        if !tables.is_empty() {
            sqlx::query(&format!("TRUNCATE {tables}")).execute(&mut *tx).await?;
        }
        checkpoint::reset(&mut tx, projection.name()).await?;
        checkpoints.insert(projection.name(), Checkpoint::default());
    }
    let mut events_done = 0u64;
    let mut position = Checkpoint::default();
    loop {
        let events = fetch_safe(&mut tx, position, batch_size).await?;
        let Some(last) = events.last().map(|e| e.checkpoint()) else { break };
        for projection in projections {
            apply_batch(&mut tx, projection.as_ref(), &events, position).await?;
            checkpoint::advance(&mut tx, projection.name(), position, last).await?;
        }
        position = last;
        events_done += events.len() as u64;
        on_progress(ReplayProgress { events: events_done, elapsed: started.elapsed() });
    }
    tx.commit().await?;
    conn.close().await.ok();
    Ok(ReplayProgress { events: events_done, elapsed: started.elapsed() })
}
