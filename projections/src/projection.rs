use futures::future::BoxFuture;
use sqlx::PgConnection;

use crate::{Error, StoredEvent};

/// A read model fed by the projector.
///
/// `apply` runs inside the projector's transaction, which also moves the projection's
/// checkpoint: the rows and the checkpoint commit together or not at all. It must derive
/// everything from the event (never `now()`), so a replay rebuilds exactly the same rows.
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

    /// Applies one event; events of no interest are ignored.
    fn apply<'a>(&'a self, conn: &'a mut PgConnection, event: &'a StoredEvent) -> BoxFuture<'a, Result<(), Error>>;
}
