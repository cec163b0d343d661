use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::PgConnection;

use crate::{Error, StoredEvent};

/// Why events are being applied: live projection tells listeners about changed rows, a
/// rebuild (in a shadow schema nobody listens to) does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Live,
    Rebuild,
}

/// A read model fed by the projector.
///
/// `apply_batch` runs inside the projector's transaction, which also moves the projection's
/// checkpoint: the rows and the checkpoint commit together or not at all. It must derive
/// everything from the events (never `now()`), so a replay rebuilds exactly the same rows.
pub trait Projection: Send + Sync {
    /// Stable name, the key of its checkpoint.
    fn name(&self) -> &'static str;

    /// The tables this projection owns (emptied before a replay).
    fn tables(&self) -> &'static [&'static str];

    /// Whether `replay` may drop and rebuild it. Evidence (the hash chain) is not rebuilt:
    /// rebuilding it from altered events would bless the alteration.
    fn rebuildable(&self) -> bool {
        true
    }

    /// Applies `events`, in order; events of no interest are ignored. Busy projections fold
    /// the batch in memory and write each table once (a statement per event made the projector
    /// the bottleneck), cutting it with [`crate::runs::pieces`]; quiet ones apply event by
    /// event with [`each_event`].
    fn apply_batch<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        events: &'a [StoredEvent],
        mode: Mode,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

/// One event applied by a projection that works event by event.
pub type ApplyEvent<P> = for<'c> fn(&'c P, &'c mut PgConnection, &'c StoredEvent) -> BoxFuture<'c, Result<(), Error>>;

/// `apply_batch` for a projection that works event by event: `apply` on each of `events`, in
/// order (still in the projector's one transaction).
pub fn each_event<'a, P: Sync + ?Sized>(
    projection: &'a P,
    conn: &'a mut PgConnection,
    events: &'a [StoredEvent],
    apply: ApplyEvent<P>,
) -> BoxFuture<'a, Result<(), Error>> {
    async move {
        for event in events {
            apply(projection, conn, event).await?;
        }
        Ok(())
    }
    .boxed()
}
