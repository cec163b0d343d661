//! The projector's guarantees, against a real PostgreSQL (one fresh database per test):
//! (a) out-of-order commits are seen exactly once, (b) a crash between or inside batches
//! resumes from the checkpoint with no duplicate and no gap, (c) replay = live projection.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use futures::FutureExt;
use futures::future::BoxFuture;
use projections::{Error, EventByEvent, Projection, Projector, ProjectorConfig, StoredEvent};
use sqlx::{PgConnection, PgPool};

/// A test projection that logs every event it sees; the primary key makes a duplicate fail.
/// It can be told to fail once at one position (a crash mid-batch) or to be slow.
struct EventLog {
    fail_at: AtomicI64,
    delay: Duration,
}

impl EventLog {
    fn new() -> Arc<Self> {
        Arc::new(Self { fail_at: AtomicI64::new(-1), delay: Duration::ZERO })
    }
}

impl EventByEvent for EventLog {
    fn name(&self) -> &'static str {
        "test_event_log"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["test_event_log"]
    }

    fn apply_event<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        event: &'a StoredEvent,
    ) -> BoxFuture<'a, Result<(), Error>> {
        async move {
            if self.fail_at.compare_exchange(event.global_position, -1, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                return Err(Error::CheckpointMoved("simulated crash".into()));
            }
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            sqlx::query("INSERT INTO test_event_log (position) VALUES ($1)")
                .bind(event.global_position)
                .execute(conn)
                .await?;
            Ok(())
        }
        .boxed()
    }
}

async fn create_log(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query("CREATE TABLE test_event_log (position bigint PRIMARY KEY, applied serial NOT NULL)")
        .execute(pool)
        .await?;
    Ok(())
}

async fn append(conn: &mut PgConnection, stream: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('Test', $1, 1, 'Tested', '1.0', '{}', '{}') RETURNING global_position",
    )
    .bind(stream)
    .fetch_one(conn)
    .await?)
}

/// Positions in the order the projection applied them.
async fn logged(pool: &PgPool) -> anyhow::Result<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT position FROM test_event_log ORDER BY applied").fetch_all(pool).await?)
}

fn config(batch_size: i64) -> ProjectorConfig {
    ProjectorConfig {
        batch_size,
        poll_interval: Duration::from_millis(50),
        standby_interval: Duration::from_millis(50),
        error_backoff: Duration::from_millis(50),
    }
}

/// Drains until the log holds `expected` rows. Transactions of tests running in parallel
/// (other databases, same cluster) can hold the snapshot horizon back for a moment.
async fn drain_until(
    active: &mut projections::ActiveProjector<'_>,
    pool: &PgPool,
    expected: usize,
) -> anyhow::Result<()> {
    for _ in 0..500 {
        active.drain().await?;
        if logged(pool).await?.len() >= expected {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("projection never reached {expected} events")
}

#[sqlx::test(migrations = "../migrations")]
async fn out_of_order_commits_are_projected_exactly_once(pool: PgPool) -> anyhow::Result<()> {
    create_log(&pool).await?;
    let projector =
        Projector::new(pool.clone(), commands::Vault::for_tests(pool.clone()), vec![EventLog::new()], config(100));

    // `early` gets the lower transaction id but appends after `late`, so it holds the
    // higher position and commits first, while `late` (lower position) is still running.
    let mut early = pool.begin().await?;
    let early_xid: i64 = sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint").fetch_one(&mut *early).await?;
    let mut late = pool.begin().await?;
    let late_xid: i64 = sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint").fetch_one(&mut *late).await?;
    let late_position = append(&mut late, "late").await?;
    let early_position = append(&mut early, "early").await?;
    assert!(early_xid < late_xid && late_position < early_position, "scenario set up as intended");
    early.commit().await?;

    let mut active = projector.activate().await?.context("lock must be free")?;
    drain_until(&mut active, &pool, 1).await?;
    assert_eq!(logged(&pool).await?, vec![early_position], "the in-flight event is not visible yet");

    // A reader going by position alone would now be past `late_position` and never see it.
    late.commit().await?;
    drain_until(&mut active, &pool, 2).await?;
    assert_eq!(logged(&pool).await?, vec![early_position, late_position]);
    active.drain().await?;
    assert_eq!(logged(&pool).await?.len(), 2, "nothing applied twice");
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn crash_inside_a_batch_resumes_from_checkpoint_without_gap_or_duplicate(pool: PgPool) -> anyhow::Result<()> {
    create_log(&pool).await?;
    let mut conn = pool.acquire().await?;
    let mut positions = Vec::new();
    for i in 0..10 {
        positions.push(append(&mut conn, &format!("s{i}")).await?);
    }
    drop(conn);

    let log = EventLog::new();
    log.fail_at.store(positions[4], Ordering::SeqCst);
    let first = Projector::new(pool.clone(), commands::Vault::for_tests(pool.clone()), vec![log.clone()], config(3));
    let mut active = first.activate().await?.context("lock must be free")?;
    let mut steps = 0;
    let failure = loop {
        match active.step().await {
            Ok(0) => {
                steps += 1;
                if steps > 500 {
                    bail!("never reached the failing event");
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Ok(_) => {}
            Err(error) => break error,
        }
    };
    assert!(failure.to_string().contains("simulated crash"));
    // The batches before the failing one committed; the failing one died part-way and left
    // nothing. (Where batches start depends on what was visible when each was read: other
    // tests' open transactions on the same cluster can hold the horizon back, so a batch may
    // be shorter than 3.) The log and the checkpoint moved together, to the same event.
    let applied = logged(&pool).await?;
    assert!(applied.len() <= 4 && applied == positions[..applied.len()], "a gap-free prefix: {applied:?}");
    let checkpoint: i64 =
        sqlx::query_scalar("SELECT last_position FROM projection_checkpoints WHERE projection = 'test_event_log'")
            .fetch_optional(&pool)
            .await?
            .unwrap_or(0);
    assert_eq!(checkpoint, applied.last().copied().unwrap_or(0), "the checkpoint is where the log stops");
    active.close().await;

    // Restart: a new projector picks up from the checkpoint.
    let second = Projector::new(pool.clone(), commands::Vault::for_tests(pool.clone()), vec![log], config(3));
    let mut active = second.activate().await?.context("lock must be free after the crash")?;
    drain_until(&mut active, &pool, 10).await?;
    assert_eq!(logged(&pool).await?, positions, "every event once, in order");
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn process_killed_between_batches_resumes_exactly_once(pool: PgPool) -> anyhow::Result<()> {
    create_log(&pool).await?;
    let mut conn = pool.acquire().await?;
    let mut positions = Vec::new();
    for i in 0..60 {
        positions.push(append(&mut conn, &format!("s{i}")).await?);
    }
    drop(conn);

    let slow = Arc::new(EventLog { fail_at: AtomicI64::new(-1), delay: Duration::from_millis(3) });
    let running = Projector::new(pool.clone(), commands::Vault::for_tests(pool.clone()), vec![slow], config(4));
    let task = tokio::spawn(running.run(std::future::pending()));
    // Let it get some batches in, then kill it mid-flight.
    for _ in 0..500 {
        if logged(&pool).await?.len() >= 12 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    task.abort();
    let _ = task.await;
    let before_restart = logged(&pool).await?;
    assert!(before_restart.len() < positions.len(), "the kill happened mid-run");
    assert_eq!(before_restart, positions[..before_restart.len()].to_vec(), "no gap before the kill");

    let restarted =
        Projector::new(pool.clone(), commands::Vault::for_tests(pool.clone()), vec![EventLog::new()], config(4));
    // The killed connection may take a moment to be reaped and release the lock.
    let mut active = None;
    for _ in 0..200 {
        if let Some(a) = restarted.activate().await? {
            active = Some(a);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut active = active.context("lock released after the kill")?;
    drain_until(&mut active, &pool, positions.len()).await?;
    assert_eq!(logged(&pool).await?, positions, "no duplicate, no gap");
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn second_projector_stays_passive_while_the_first_is_active(pool: PgPool) -> anyhow::Result<()> {
    create_log(&pool).await?;
    let first =
        Projector::new(pool.clone(), commands::Vault::for_tests(pool.clone()), vec![EventLog::new()], config(10));
    let second =
        Projector::new(pool.clone(), commands::Vault::for_tests(pool.clone()), vec![EventLog::new()], config(10));
    let active = first.activate().await?.context("first takes the lock")?;
    assert!(second.activate().await?.is_none(), "second must stay passive");
    active.close().await;
    let mut taken = false;
    for _ in 0..100 {
        if let Some(a) = second.activate().await? {
            a.close().await;
            taken = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(taken, "second takes over once the first is gone");
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn lag_counts_what_the_slowest_projection_has_not_applied(pool: PgPool) -> anyhow::Result<()> {
    create_log(&pool).await?;
    let projections: Vec<Arc<dyn Projection>> = vec![EventLog::new()];
    let mut conn = pool.acquire().await?;
    for i in 0..5 {
        append(&mut conn, &format!("s{i}")).await?;
    }
    drop(conn);
    let before = projections::lag(&pool, &projections).await?;
    assert_eq!(before.pending_events, 5);
    assert!(before.oldest_pending_seconds >= 0.0);

    let projector =
        Projector::new(pool.clone(), commands::Vault::for_tests(pool.clone()), projections.clone(), config(2));
    let mut active = projector.activate().await?.context("lock")?;
    drain_until(&mut active, &pool, 5).await?;
    let after = projections::lag(&pool, &projections).await?;
    assert_eq!((after.pending_events, after.oldest_pending_seconds), (0, 0.0));
    Ok(())
}
