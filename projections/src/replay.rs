//! Rebuilding read models from position 0, and checking that the live ones are exactly what
//! the history says.
//!
//! Both work in a shadow schema: every rebuildable projection's tables (and the checkpoints)
//! are created empty in `replay_shadow` like the live ones, and each transaction's
//! `search_path` puts that schema first, so the projections' own SQL writes the shadow copies
//! while `events` is still read from `public`. Readers of the live tables are not disturbed;
//! one advisory lock lets only one replay or verification use the shadow at a time.
//!
//! A shadow table starts with the unique indexes and constraints of its live table and the
//! indexes its projection folds with ([`Projection::folding_indexes`]); the indexes only
//! readers use are built once it is full (a verification, which only compares, never builds
//! them). Every index keeps its live name, so a swapped-in table is indexed exactly as the
//! migrations made it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection, PgPool, Postgres, Transaction};

use crate::projector::{apply_batch, fetch_safe};
use crate::{Checkpoint, Context, Error, Mode, Projection, StoredEvent, checkpoint};

const SHADOW: &str = "replay_shadow";

/// Connections a replay applies batches on at once, each to its share of the projections:
/// measured on 2 cores (docs/PERFORMANCE.md), 1 → 2 → 3 gave 31k → 38k → 41k events/s.
const APPLIERS: usize = 3;

/// The connections a replay applies batches on: `lock`'s (which holds the replay lock) and
/// [`APPLIERS`]` - 1` more.
async fn appliers(pool: &PgPool) -> Result<Vec<PgConnection>, Error> {
    let mut helpers = Vec::with_capacity(APPLIERS - 1);
    for _ in 1..APPLIERS {
        helpers.push(PgConnection::connect_with(&pool.connect_options()).await?);
    }
    Ok(helpers)
}

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
/// in with one short transaction: readers see the old rows until the new ones are complete.
/// A live projector working meanwhile finds its checkpoint moved, rolls back and resumes
/// from the rebuilt checkpoint, so no event is applied twice.
///
/// The shadow is built in committed chunks of `batch_size` events into unlogged tables (no
/// reader ever looks at them, and a crash only leaves a shadow the next replay drops), then
/// made logged, analysed, caught up to the end of the history and swapped in. One
/// transaction over the whole history made every upsert leave a dead row version nothing
/// could prune until the end, so each batch was slower than the one before
/// (docs/PERFORMANCE.md).
pub async fn replay(
    pool: &PgPool,
    vault: &commands::Vault,
    projections: &[Arc<dyn Projection>],
    batch_size: i64,
    on_progress: impl FnMut(ReplayProgress),
) -> Result<ReplayProgress, Error> {
    let rebuildable: Vec<&Arc<dyn Projection>> = projections.iter().filter(|p| p.rebuildable()).collect();
    let mut conn = exclusive_connection(pool).await?;
    let outcome = async {
        let mut reader = PgConnection::connect_with(&pool.connect_options()).await?;
        let mut helpers = appliers(pool).await?;
        let mut conns: Vec<&mut PgConnection> = std::iter::once(&mut conn).chain(helpers.iter_mut()).collect();
        let report = build_shadow(&mut conns, &mut reader, vault, &rebuildable, batch_size, on_progress).await?;
        reader.close().await.ok();
        for helper in helpers {
            helper.close().await.ok();
        }
        make_durable(&mut conn, &rebuildable).await?;
        let mut tx = conn.begin().await?;
        write_to_shadow(&mut tx).await?;
        let from = min_checkpoint(&mut tx, SHADOW, &rebuildable).await?;
        continue_in_shadow(&mut tx, vault, &rebuildable, batch_size, from).await?;
        swap_in(&mut tx, &rebuildable).await?;
        tx.commit().await?;
        Ok(report)
    }
    .await;
    finish(conn, outcome.is_err()).await;
    outcome
}

/// Rebuilds every rebuildable projection into shadow tables and compares them row by row with
/// the live ones; nothing live is changed. Waits (up to `wait_for_live`) for the live
/// projections to reach the same point of the history before comparing.
pub async fn verify(
    pool: &PgPool,
    vault: &commands::Vault,
    projections: &[Arc<dyn Projection>],
    batch_size: i64,
    wait_for_live: Duration,
    on_progress: impl FnMut(ReplayProgress),
) -> Result<Vec<TableDifference>, Error> {
    let rebuildable: Vec<&Arc<dyn Projection>> = projections.iter().filter(|p| p.rebuildable()).collect();
    let mut conn = exclusive_connection(pool).await?;
    let outcome = async {
        let started = Instant::now();
        let mut reader = PgConnection::connect_with(&pool.connect_options()).await?;
        let mut helpers = appliers(pool).await?;
        let mut conns: Vec<&mut PgConnection> = std::iter::once(&mut conn).chain(helpers.iter_mut()).collect();
        build_shadow(&mut conns, &mut reader, vault, &rebuildable, batch_size, on_progress).await?;
        drop(conns);
        // The live projector may be behind or (briefly) ahead: bring both to the same point,
        // then compare in one read-only snapshot. Catching up commits like the build, so this
        // never holds a transaction id the live projector's horizon would wait for.
        loop {
            let mut tx = conn.begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
            let shadow = min_checkpoint(&mut tx, SHADOW, &rebuildable).await?;
            let live = min_checkpoint(&mut tx, "public", &rebuildable).await?;
            let shadow_max = max_checkpoint(&mut tx, SHADOW, &rebuildable).await?;
            let live_max = max_checkpoint(&mut tx, "public", &rebuildable).await?;
            if shadow == live && shadow_max == live_max {
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
                return Ok(differences);
            }
            tx.rollback().await?;
            if live > shadow {
                let mut conns: Vec<&mut PgConnection> = std::iter::once(&mut conn).chain(helpers.iter_mut()).collect();
                fold_into_shadow(&mut conns, &mut reader, vault, &rebuildable, batch_size, shadow, |_| {}).await?;
                continue;
            }
            if started.elapsed() > wait_for_live {
                return Err(Error::LiveBehind);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    .await;
    finish(conn, true).await;
    outcome
}

/// Key of the advisory lock that lets one replay or verification use the shadow schema.
pub const REPLAY_LOCK_KEY: i64 = 0x6475_6b63_7368_6477; // "dukcshdw"

/// A connection of its own holding the replay lock (released when it closes).
async fn exclusive_connection(pool: &PgPool) -> Result<PgConnection, Error> {
    let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
    let locked: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(REPLAY_LOCK_KEY).fetch_one(&mut conn).await?;
    if !locked {
        conn.close().await.ok();
        return Err(Error::ReplayRunning);
    }
    Ok(conn)
}

/// Drops what is left of the shadow (if asked) and closes the connection, which releases the
/// lock. A failure here leaves a shadow that the next replay drops first.
async fn finish(mut conn: PgConnection, drop_shadow: bool) {
    if drop_shadow
        && let Err(error) = sqlx::query(&format!("DROP SCHEMA IF EXISTS {SHADOW} CASCADE")).execute(&mut conn).await
    {
        tracing::warn!(%error, "dropping the replay shadow");
    }
    conn.close().await.ok();
}

/// Creates the shadow tables empty and folds the whole (safe) history into them, one
/// committed transaction per batch.
async fn build_shadow(
    conns: &mut [&mut PgConnection],
    reader: &mut PgConnection,
    vault: &commands::Vault,
    projections: &[&Arc<dyn Projection>],
    batch_size: i64,
    on_progress: impl FnMut(ReplayProgress),
) -> Result<ReplayProgress, Error> {
    let mut tx = conns[0].begin().await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {SHADOW} CASCADE")).execute(&mut *tx).await?;
    sqlx::query(&format!("CREATE SCHEMA {SHADOW}")).execute(&mut *tx).await?;
    // With nothing but the catalogue on the path, index definitions name their schema.
    sqlx::query("SET LOCAL search_path = pg_catalog").execute(&mut *tx).await?;
    let folding = folding_indexes(projections);
    for table in shadow_tables(projections) {
        sqlx::query(&format!(
            "CREATE UNLOGGED TABLE {SHADOW}.{table} (LIKE public.{table} INCLUDING ALL EXCLUDING INDEXES)"
        ))
        .execute(&mut *tx)
        .await?;
        for index in live_indexes(&mut tx, table).await? {
            if index.needed_while_folding(&folding) {
                index.create_in_shadow(&mut tx, table).await?;
            }
        }
    }
    write_to_shadow(&mut tx).await?;
    for projection in projections {
        checkpoint::reset(&mut tx, projection.name()).await?;
    }
    tx.commit().await?;
    fold_into_shadow(conns, reader, vault, projections, batch_size, Checkpoint::default(), on_progress).await
}

/// Folds the safe history after `from` into the shadow, one committed transaction per batch
/// and connection, until nothing more is safe to read; reports progress after each batch. The
/// next batch is read on `reader` while this one is applied, and the projections are applied in
/// shares on the connections of `conns` at once, so the database works on both cores while the
/// fold runs. Each share commits its rows with its own checkpoints, so no projection
/// is ever ahead of its checkpoint; this relies on projections never reading each other's
/// tables (each keeps its own copies of what it needs). The live projector keeps one
/// transaction.
async fn fold_into_shadow(
    conns: &mut [&mut PgConnection],
    reader: &mut PgConnection,
    vault: &commands::Vault,
    projections: &[&Arc<dyn Projection>],
    batch_size: i64,
    from: Checkpoint,
    mut on_progress: impl FnMut(ReplayProgress),
) -> Result<ReplayProgress, Error> {
    let started = Instant::now();
    let mut events_done = 0u64;
    let mut position = from;
    let n = conns.len().max(1);
    let shares: Vec<Vec<&Arc<dyn Projection>>> =
        (0..n).map(|i| projections.iter().skip(i).step_by(n).copied().collect()).collect();
    let mut events = fetch_opened(reader, vault, position, batch_size).await?;
    while let Some(last) = events.last().map(|e| e.checkpoint()) {
        let applied = futures::future::join_all(
            conns.iter_mut().zip(&shares).map(|(conn, share)| apply_share(conn, vault, share, &events, position, last)),
        );
        let (applied, next) = tokio::join!(applied, fetch_opened(reader, vault, last, batch_size));
        applied.into_iter().collect::<Result<Vec<()>, Error>>()?;
        position = last;
        events_done += events.len() as u64;
        on_progress(ReplayProgress { events: events_done, elapsed: started.elapsed() });
        events = next?;
    }
    Ok(ReplayProgress { events: events_done, elapsed: started.elapsed() })
}

/// Applies one batch to some of the shadow projections in a committed transaction of its own.
async fn apply_share(
    conn: &mut PgConnection,
    vault: &commands::Vault,
    projections: &[&Arc<dyn Projection>],
    events: &[StoredEvent],
    from: Checkpoint,
    to: Checkpoint,
) -> Result<(), Error> {
    if projections.is_empty() {
        return Ok(());
    }
    let mut tx = conn.begin().await?;
    write_to_shadow(&mut tx).await?;
    apply_to_shadow(&mut tx, vault, projections, events, from, to).await?;
    tx.commit().await?;
    Ok(())
}

/// The next safe batch with its sealed fields opened: what every rebuildable projection reads
/// (the one that reads the stored form, the hash chain, is never rebuilt).
async fn fetch_opened(
    conn: &mut PgConnection,
    vault: &commands::Vault,
    after: Checkpoint,
    limit: i64,
) -> Result<Vec<StoredEvent>, Error> {
    let mut events = fetch_safe(conn, after, limit).await?;
    crate::event::open(vault, &mut events).await?;
    Ok(events)
}

/// Applies one batch to every shadow projection and moves their checkpoints from `from` to
/// `to`, in the caller's transaction.
async fn apply_to_shadow(
    conn: &mut PgConnection,
    vault: &commands::Vault,
    projections: &[&Arc<dyn Projection>],
    events: &[StoredEvent],
    from: Checkpoint,
    to: Checkpoint,
) -> Result<(), Error> {
    for projection in projections {
        apply_batch(conn, projection.as_ref(), events, Context { mode: Mode::Rebuild, vault, from, to }).await?;
    }
    let moves: Vec<_> = projections.iter().map(|p| (p.name(), from)).collect();
    checkpoint::advance_all(conn, &moves, to).await
}

/// Points the transaction's unqualified table names at the shadow (`events` still resolves
/// to `public`).
async fn write_to_shadow(conn: &mut PgConnection) -> Result<(), Error> {
    sqlx::query(&format!("SET LOCAL search_path = {SHADOW}, public")).execute(conn).await?;
    Ok(())
}

/// Every table a replay builds: the projections' own and the checkpoints.
fn shadow_tables<'p>(projections: &'p [&Arc<dyn Projection>]) -> impl Iterator<Item = &'static str> + 'p {
    projections.iter().flat_map(|p| p.tables().iter().copied()).chain(["projection_checkpoints"])
}

/// Turns the rebuilt tables into ordinary (logged, crash-safe) ones, builds the indexes the
/// fold did without and gives the planner their statistics, before they replace the live
/// tables.
async fn make_durable(conn: &mut PgConnection, projections: &[&Arc<dyn Projection>]) -> Result<(), Error> {
    let folding = folding_indexes(projections);
    for table in shadow_tables(projections) {
        sqlx::query(&format!("ALTER TABLE {SHADOW}.{table} SET LOGGED")).execute(&mut *conn).await?;
        let mut tx = conn.begin().await?;
        sqlx::query("SET LOCAL search_path = pg_catalog").execute(&mut *tx).await?;
        for index in live_indexes(&mut tx, table).await? {
            if !index.needed_while_folding(&folding) {
                index.create_in_shadow(&mut tx, table).await?;
            }
        }
        tx.commit().await?;
        sqlx::query(&format!("ANALYZE {SHADOW}.{table}")).execute(&mut *conn).await?;
    }
    Ok(())
}

/// The non-unique indexes the projections' batches read ([`Projection::folding_indexes`]).
fn folding_indexes(projections: &[&Arc<dyn Projection>]) -> Vec<&'static str> {
    projections.iter().flat_map(|p| p.folding_indexes().iter().copied()).collect()
}

/// An index of a live table, as the catalogue defines it.
#[derive(sqlx::FromRow)]
struct LiveIndex {
    name: String,
    /// `CREATE [UNIQUE] INDEX name ON public.table USING …`.
    definition: String,
    /// The definition of the constraint it backs (a primary key, `UNIQUE`, `EXCLUDE`).
    constraint: Option<String>,
    unique: bool,
}

/// The indexes of `public.{table}`; call with `search_path = pg_catalog`, so that each
/// definition names the table's schema.
async fn live_indexes(conn: &mut PgConnection, table: &str) -> Result<Vec<LiveIndex>, Error> {
    Ok(sqlx::query_as(
        "SELECT i.relname::text AS name, pg_get_indexdef(x.indexrelid) AS definition,
                pg_get_constraintdef(c.oid) AS constraint, x.indisunique AS unique
           FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid
           LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
          WHERE x.indrelid = format('public.%I', $1::text)::regclass
          ORDER BY i.relname",
    )
    .bind(table)
    .fetch_all(conn)
    .await?)
}

impl LiveIndex {
    /// Whether the shadow needs it before the history is folded (the upserts need every
    /// unique index; `folding` names the others a fold reads), or only once it is full.
    fn needed_while_folding(&self, folding: &[&str]) -> bool {
        self.unique || folding.contains(&self.name.as_str())
    }

    /// Creates the same index, under the same name, on the shadow copy of `table`.
    async fn create_in_shadow(&self, conn: &mut PgConnection, table: &str) -> Result<(), Error> {
        let sql = match &self.constraint {
            Some(constraint) => format!("ALTER TABLE {SHADOW}.{table} ADD CONSTRAINT {} {constraint}", self.name),
            None => {
                let live = format!(" ON public.{table} USING ");
                if self.definition.matches(&live).count() != 1 {
                    return Err(Error::IndexDefinition(self.name.clone(), self.definition.clone()));
                }
                self.definition.replacen(&live, &format!(" ON {SHADOW}.{table} USING "), 1)
            }
        };
        sqlx::query(&sql).execute(conn).await?;
        Ok(())
    }
}

/// Replaces the live tables and checkpoints by the rebuilt ones, in the caller's transaction.
async fn swap_in(tx: &mut Transaction<'_, Postgres>, projections: &[&Arc<dyn Projection>]) -> Result<(), Error> {
    sqlx::query("SET LOCAL search_path = public").execute(&mut **tx).await?;
    for projection in projections {
        for table in projection.tables() {
            sqlx::query(&format!("DROP TABLE public.{table}")).execute(&mut **tx).await?;
            sqlx::query(&format!("ALTER TABLE {SHADOW}.{table} SET SCHEMA public")).execute(&mut **tx).await?;
        }
        sqlx::query(&format!(
            "INSERT INTO public.projection_checkpoints (projection, last_transaction_id, last_position)
             SELECT projection, last_transaction_id, last_position FROM {SHADOW}.projection_checkpoints
              WHERE projection = $1
             ON CONFLICT (projection) DO UPDATE
                SET last_transaction_id = excluded.last_transaction_id,
                    last_position = excluded.last_position, updated_at = now()"
        ))
        .bind(projection.name())
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(&format!("DROP SCHEMA {SHADOW} CASCADE")).execute(&mut **tx).await?;
    Ok(())
}

/// Applies to the shadow what has become readable since `from`.
async fn continue_in_shadow(
    tx: &mut Transaction<'_, Postgres>,
    vault: &commands::Vault,
    projections: &[&Arc<dyn Projection>],
    batch_size: i64,
    from: Checkpoint,
) -> Result<(), Error> {
    let mut position = from;
    loop {
        let events = fetch_opened(tx, vault, position, batch_size).await?;
        let Some(last) = events.last().map(|e| e.checkpoint()) else { return Ok(()) };
        apply_to_shadow(tx, vault, projections, &events, position, last).await?;
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
