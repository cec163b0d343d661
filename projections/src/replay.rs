//! Rebuilding read models from position 0, and checking that the live ones are exactly what
//! the history says.
//!
//! Both work in a shadow schema: every rebuildable projection's tables (and the checkpoints)
//! are created empty in `replay_shadow` with `LIKE … INCLUDING ALL`, and the transaction's
//! `search_path` puts that schema first, so the projections' own SQL writes the shadow copies
//! while `events` is still read from `public`. Readers of the live tables are not disturbed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection, PgPool, Postgres, Transaction};

use crate::projector::{apply_batch, fetch_safe};
use crate::{Checkpoint, Error, Mode, Projection, checkpoint};

const SHADOW: &str = "replay_shadow";

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

/// Rows that differ between a live table and its rebuilt copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDifference {
    pub table: String,
    /// Rows only in the live table (at most a few, as JSON).
    pub only_live: Vec<String>,
    /// Rows only in the rebuilt table (at most a few, as JSON).
    pub only_rebuilt: Vec<String>,
    pub only_live_count: i64,
    pub only_rebuilt_count: i64,
}

/// Rebuilds every rebuildable projection from position 0 into shadow tables, then swaps them
/// in with one short transaction step: readers see the old rows until the new ones are
/// complete. A live projector working meanwhile finds its checkpoint moved, rolls back and
/// resumes from the rebuilt checkpoint, so no event is applied twice.
pub async fn replay(
    pool: &PgPool,
    projections: &[Arc<dyn Projection>],
    batch_size: i64,
    on_progress: impl FnMut(ReplayProgress),
) -> Result<ReplayProgress, Error> {
    let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
    let mut tx = conn.begin().await?;
    let rebuildable: Vec<&Arc<dyn Projection>> = projections.iter().filter(|p| p.rebuildable()).collect();
    let report = rebuild_in_shadow(&mut tx, &rebuildable, batch_size, on_progress).await?;
    sqlx::query("SET LOCAL search_path = public").execute(&mut *tx).await?;
    for projection in &rebuildable {
        for table in projection.tables() {
            sqlx::query(&format!("DROP TABLE public.{table}")).execute(&mut *tx).await?;
            sqlx::query(&format!("ALTER TABLE {SHADOW}.{table} SET SCHEMA public")).execute(&mut *tx).await?;
        }
        sqlx::query(&format!(
            "UPDATE public.projection_checkpoints p
                SET last_transaction_id = s.last_transaction_id, last_position = s.last_position, updated_at = now()
               FROM {SHADOW}.projection_checkpoints s
              WHERE p.projection = s.projection AND p.projection = $1"
        ))
        .bind(projection.name())
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "INSERT INTO public.projection_checkpoints (projection, last_transaction_id, last_position)
             SELECT projection, last_transaction_id, last_position FROM {SHADOW}.projection_checkpoints
              WHERE projection = $1 ON CONFLICT (projection) DO NOTHING"
        ))
        .bind(projection.name())
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(&format!("DROP SCHEMA {SHADOW} CASCADE")).execute(&mut *tx).await?;
    tx.commit().await?;
    conn.close().await.ok();
    Ok(report)
}

/// Rebuilds every rebuildable projection into shadow tables and compares them row by row with
/// the live ones; nothing live is changed. Waits (up to `wait_for_live`) for the live
/// projections to reach the same point of the history before comparing.
pub async fn verify(
    pool: &PgPool,
    projections: &[Arc<dyn Projection>],
    batch_size: i64,
    wait_for_live: Duration,
    mut on_progress: impl FnMut(ReplayProgress),
) -> Result<Vec<TableDifference>, Error> {
    let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
    let mut tx = conn.begin().await?;
    let rebuildable: Vec<&Arc<dyn Projection>> = projections.iter().filter(|p| p.rebuildable()).collect();
    let started = Instant::now();
    rebuild_in_shadow(&mut tx, &rebuildable, batch_size, &mut on_progress).await?;
    // The live projector may be behind or (briefly) ahead: bring both to the same point.
    loop {
        let shadow = min_checkpoint(&mut tx, SHADOW, &rebuildable).await?;
        let live = min_checkpoint(&mut tx, "public", &rebuildable).await?;
        let shadow_max = max_checkpoint(&mut tx, SHADOW, &rebuildable).await?;
        let live_max = max_checkpoint(&mut tx, "public", &rebuildable).await?;
        if shadow == live && shadow_max == live_max {
            break;
        }
        if live > shadow {
            continue_in_shadow(&mut tx, &rebuildable, batch_size, shadow).await?;
            continue;
        }
        if started.elapsed() > wait_for_live {
            return Err(Error::LiveBehind);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut differences = Vec::new();
    for projection in &rebuildable {
        for table in projection.tables() {
            let diff = compare(&mut tx, table).await?;
            if diff.only_live_count > 0 || diff.only_rebuilt_count > 0 {
                differences.push(diff);
            }
        }
    }
    tx.rollback().await?;
    conn.close().await.ok();
    Ok(differences)
}

async fn rebuild_in_shadow(
    tx: &mut Transaction<'_, Postgres>,
    projections: &[&Arc<dyn Projection>],
    batch_size: i64,
    mut on_progress: impl FnMut(ReplayProgress),
) -> Result<ReplayProgress, Error> {
    let started = Instant::now();
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {SHADOW} CASCADE")).execute(&mut **tx).await?;
    sqlx::query(&format!("CREATE SCHEMA {SHADOW}")).execute(&mut **tx).await?;
    for projection in projections {
        for table in projection.tables() {
            sqlx::query(&format!("CREATE TABLE {SHADOW}.{table} (LIKE public.{table} INCLUDING ALL)"))
                .execute(&mut **tx)
                .await?;
        }
    }
    sqlx::query(&format!(
        "CREATE TABLE {SHADOW}.projection_checkpoints (LIKE public.projection_checkpoints INCLUDING ALL)"
    ))
    .execute(&mut **tx)
    .await?;
    sqlx::query(&format!("SET LOCAL search_path = {SHADOW}, public")).execute(&mut **tx).await?;
    for projection in projections {
        checkpoint::reset(tx, projection.name()).await?;
    }
    let mut events_done = 0u64;
    let mut position = Checkpoint::default();
    loop {
        let events = fetch_safe(tx, position, batch_size).await?;
        let Some(last) = events.last().map(|e| e.checkpoint()) else { break };
        for projection in projections {
            apply_batch(tx, projection.as_ref(), &events, position, Mode::Rebuild).await?;
            checkpoint::advance(tx, projection.name(), position, last).await?;
        }
        position = last;
        events_done += events.len() as u64;
        on_progress(ReplayProgress { events: events_done, elapsed: started.elapsed() });
    }
    Ok(ReplayProgress { events: events_done, elapsed: started.elapsed() })
}

/// Applies to the shadow what has become readable since `from`.
async fn continue_in_shadow(
    tx: &mut Transaction<'_, Postgres>,
    projections: &[&Arc<dyn Projection>],
    batch_size: i64,
    from: Checkpoint,
) -> Result<(), Error> {
    let mut position = from;
    loop {
        let events = fetch_safe(tx, position, batch_size).await?;
        let Some(last) = events.last().map(|e| e.checkpoint()) else { return Ok(()) };
        for projection in projections {
            apply_batch(tx, projection.as_ref(), &events, position, Mode::Rebuild).await?;
            checkpoint::advance(tx, projection.name(), position, last).await?;
        }
        position = last;
    }
}

async fn checkpoints_of(
    tx: &mut Transaction<'_, Postgres>,
    schema: &str,
    projections: &[&Arc<dyn Projection>],
) -> Result<Vec<Checkpoint>, Error> {
    let names: Vec<&str> = projections.iter().map(|p| p.name()).collect();
    let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT last_transaction_id::text::bigint, last_position FROM {schema}.projection_checkpoints WHERE projection = ANY($1)"
    ))
    .bind(&names)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|(transaction_id, position)| Checkpoint { transaction_id, position }).collect())
}

async fn min_checkpoint(
    tx: &mut Transaction<'_, Postgres>,
    schema: &str,
    projections: &[&Arc<dyn Projection>],
) -> Result<Checkpoint, Error> {
    Ok(checkpoints_of(tx, schema, projections).await?.into_iter().min().unwrap_or_default())
}

async fn max_checkpoint(
    tx: &mut Transaction<'_, Postgres>,
    schema: &str,
    projections: &[&Arc<dyn Projection>],
) -> Result<Checkpoint, Error> {
    Ok(checkpoints_of(tx, schema, projections).await?.into_iter().max().unwrap_or_default())
}

async fn compare(tx: &mut Transaction<'_, Postgres>, table: &str) -> Result<TableDifference, Error> {
    let side = |a: &str, b: &str| {
        format!(
            "WITH diff AS (SELECT * FROM {a}.{table} EXCEPT ALL SELECT * FROM {b}.{table})
             SELECT (SELECT count(*) FROM diff),
                    coalesce((SELECT array_agg(t) FROM (SELECT row_to_json(d)::text AS t FROM diff d LIMIT 5) s), '{{}}')"
        )
    };
    let (only_live_count, only_live): (i64, Vec<String>) =
        sqlx::query_as(&side("public", SHADOW)).fetch_one(&mut **tx).await?;
    let (only_rebuilt_count, only_rebuilt): (i64, Vec<String>) =
        sqlx::query_as(&side(SHADOW, "public")).fetch_one(&mut **tx).await?;
    Ok(TableDifference { table: table.to_owned(), only_live, only_rebuilt, only_live_count, only_rebuilt_count })
}
