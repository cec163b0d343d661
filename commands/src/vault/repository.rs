//! The event repository commands use: postgres-es's reads with every event opened on its way
//! out, so aggregates only ever see clear values, and our own append (`crate::append`), which
//! seals every event on its way in.

use cqrs_es::Aggregate;
use cqrs_es::persist::{PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot};
use postgres_es::PostgresEventRepository;
use serde_json::Value;

use super::{EventIdentity, EventParts, Vault};

/// [`PostgresEventRepository`] behind the [`Vault`].
pub struct SealingRepository {
    inner: PostgresEventRepository,
    pool: sqlx::PgPool,
    vault: Vault,
}

impl SealingRepository {
    pub fn new(pool: sqlx::PgPool, vault: Vault) -> Self {
        Self { inner: PostgresEventRepository::new(pool.clone()), pool, vault }
    }

    async fn opened(&self, mut events: Vec<SerializedEvent>) -> Result<Vec<SerializedEvent>, PersistenceError> {
        let mut parts: Vec<EventParts<'_>> = events.iter_mut().map(parts_of).collect();
        self.vault.open(&mut parts).await.map_err(unknown)?;
        Ok(events)
    }
}

/// The parts of a serialized event the vault seals and opens.
pub(crate) fn parts_of(event: &mut SerializedEvent) -> EventParts<'_> {
    EventParts {
        identity: EventIdentity {
            aggregate_type: &event.aggregate_type,
            aggregate_id: &event.aggregate_id,
            sequence: i64::try_from(event.sequence).unwrap_or(i64::MAX),
        },
        event_version: &mut event.event_version,
        payload: &mut event.payload,
        metadata: &mut event.metadata,
    }
}

fn unknown(error: crate::Error) -> PersistenceError {
    PersistenceError::UnknownError(Box::new(error))
}

impl PersistedEventRepository for SealingRepository {
    async fn get_events<A: Aggregate>(&self, aggregate_id: &str) -> Result<Vec<SerializedEvent>, PersistenceError> {
        self.opened(self.inner.get_events::<A>(aggregate_id).await?).await
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        self.opened(self.inner.get_last_events::<A>(aggregate_id, last_sequence).await?).await
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        // No snapshots are taken (streams stay short: docs/PERFORMANCE.md); were there any,
        // they would hold clear state and would have to be sealed too.
        self.inner.get_snapshot::<A>(aggregate_id).await
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        if snapshot_update.is_some() {
            return Err(PersistenceError::UnknownError("this store takes no snapshots".into()));
        }
        match crate::append::seal_and_append(&self.pool, &self.vault, events, None).await {
            Ok(()) => Ok(()),
            Err(crate::Error::Conflict) => Err(PersistenceError::OptimisticLockError),
            Err(e) => Err(unknown(e)),
        }
    }

    async fn stream_events<A: Aggregate>(&self, aggregate_id: &str) -> Result<ReplayStream, PersistenceError> {
        let events = self.get_events::<A>(aggregate_id).await?;
        let (mut feed, stream) = ReplayStream::new(events.len().max(1));
        for event in events {
            feed.push(Ok(event)).await?;
        }
        Ok(stream)
    }

    /// Not offered: the whole store is read by the projector (`projections`), which opens
    /// sealed fields in batches; nothing on the command side replays every stream.
    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        Err(PersistenceError::UnknownError("reading every stream goes through the projector".into()))
    }
}
