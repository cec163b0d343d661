use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::PgConnection;

use crate::{Checkpoint, Error, StoredEvent};

/// Why events are being applied: live projection tells listeners about changed rows, a
/// rebuild (in a shadow schema nobody listens to) does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Live,
    Rebuild,
}

/// What a batch is applied with.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub mode: Mode,
    /// Seals the personal values a read model holds ([`commands::vault::Personal`]) and keys
    /// their blind indexes.
    pub vault: &'a commands::Vault,
    /// The projection's checkpoint before the batch: its tables hold the history up to here.
    pub from: Checkpoint,
    /// Its checkpoint once the batch commits.
    pub to: Checkpoint,
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

    /// The non-unique indexes of its tables that its own batches read. A rebuild creates
    /// these (and every unique index and constraint) before folding the history and the other
    /// indexes, which only readers use, once the tables are full: one sort per index instead
    /// of an insertion per row and index (docs/PERFORMANCE.md).
    fn folding_indexes(&self) -> &'static [&'static str] {
        &[]
    }

    /// Whether `replay` may drop and rebuild it. Evidence (the hash chain) is not rebuilt:
    /// rebuilding it from altered events would bless the alteration.
    fn rebuildable(&self) -> bool {
        true
    }

    /// Whether it reads events exactly as stored, personal fields sealed (the hash chain,
    /// which must hash what is in the table); every other projection reads them opened
    /// (`commands::vault`).
    fn reads_stored_form(&self) -> bool {
        false
    }

    /// Applies `events`, in order; events of no interest are ignored. Busy projections fold
    /// the batch in memory and write each table once (a statement per event made the projector
    /// the bottleneck), cutting it with [`crate::runs::pieces`]; quiet ones apply event by
    /// event with [`each_event`].
    fn apply_batch<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        events: &'a [StoredEvent],
        cx: Context<'a>,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

/// A projection that works event by event (the quiet read models). Every such type is a
/// [`Projection`] whose batch is its events applied in order, in the projector's one
/// transaction, so none of them writes the batch loop again.
pub trait EventByEvent: Send + Sync {
    /// Stable name, the key of its checkpoint.
    fn name(&self) -> &'static str;

    /// The tables this projection owns (emptied before a replay).
    fn tables(&self) -> &'static [&'static str];

    /// Applies one event; events of no interest are ignored.
    fn apply_event<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        event: &'a StoredEvent,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

impl<P: EventByEvent> Projection for P {
    fn name(&self) -> &'static str {
        EventByEvent::name(self)
    }

    fn tables(&self) -> &'static [&'static str] {
        EventByEvent::tables(self)
    }

    fn apply_batch<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        events: &'a [StoredEvent],
        _cx: Context<'a>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        async move {
            for event in events {
                self.apply_event(conn, event).await?;
            }
            Ok(())
        }
        .boxed()
    }
}
