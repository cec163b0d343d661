//! Waking the projector after appends, outside the appending transaction.
//!
//! A `NOTIFY` inside the appending transaction (the events table's trigger did that at first)
//! makes PostgreSQL serialise the commits of all notifying transactions on one cluster-wide
//! lock held through the commit's WAL flush, so concurrent commands could not share a flush
//! and throughput stopped growing beyond a few clients (docs/PERFORMANCE.md). Here the
//! command commits without notifying, then asks this signal to wake the projector: one
//! `NOTIFY` per burst of appends, from a task of its own, in a transaction that skips the
//! WAL flush (the notification needs no durability: the projector also polls).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::PgPool;
use tokio::sync::Notify;

/// The channel the projector listens on (`projections::projector`).
pub const CHANNEL: &str = "events_appended";

/// Coalescing wake-up of the projector; cheap to clone, one sender task per signal.
#[derive(Clone)]
pub struct AppendSignal {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    pending: Notify,
    started: AtomicBool,
}

impl AppendSignal {
    /// A signal that notifies through `pool`'s database. The sender task starts with the
    /// first append (so building services needs no runtime).
    pub fn new(pool: PgPool) -> Self {
        Self { inner: Arc::new(Inner { pool, pending: Notify::new(), started: AtomicBool::new(false) }) }
    }

    /// Events were committed. Returns at once; appends that arrive while a notification is
    /// being sent are covered by one more.
    pub fn appended(&self) {
        self.inner.pending.notify_one();
        if !self.inner.started.swap(true, Ordering::AcqRel) {
            let inner = self.inner.clone();
            tokio::spawn(async move { send_loop(inner).await });
        }
    }
}

async fn send_loop(inner: Arc<Inner>) {
    loop {
        inner.pending.notified().await;
        if inner.pool.is_closed() {
            return;
        }
        let sent = sqlx::query("SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, '')")
            .bind(CHANNEL)
            .execute(&inner.pool)
            .await;
        if let Err(error) = sent {
            // The projector's polling covers a lost wake-up.
            tracing::debug!(%error, "waking the projector");
        }
    }
}
