//! Load → decide → append, with the command's metadata on every event.

use std::marker::PhantomData;

use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::{EventStoreAggregateContext, EventUpcaster, PersistedEventStore, SerializedEvent};
use cqrs_es::{Aggregate, AggregateContext, AggregateError, EventEnvelope, EventStore};
use domain::CommandMetadata;
use sqlx::PgPool;

use crate::Error;
use crate::append::{seal_and_append, serialize};
use crate::files::Attachment;
use crate::vault::{SealingRepository, Vault};
use crate::wakeup::AppendSignal;

/// How many times a command is re-decided after losing an optimistic-lock race. Re-deciding
/// is safe: the loser wrote nothing, and `handle` is a pure function of the new state (so a
/// lost race for a unique stream becomes the domain's own "already exists" answer).
const CONFLICT_RETRIES: usize = 3;

/// The result of a command: the events it appended (with their stream sequence) and the
/// aggregate state after them.
pub struct Outcome<A: Aggregate> {
    pub events: Vec<EventEnvelope<A>>,
    pub aggregate: A,
}

/// Executes commands of one aggregate type against the event store.
///
/// We drive cqrs-es's `PersistedEventStore` directly instead of `CqrsFramework` so the caller
/// gets the committed events and the new state back, and so no in-process `Query` dispatch
/// exists to be mistaken for a projection (read models are built by the durable projector).
pub struct Executor<A: Aggregate> {
    store: PersistedEventStore<SealingRepository, A>,
    pool: PgPool,
    vault: Vault,
    services: A::Services,
    appended: AppendSignal,
    _aggregate: PhantomData<A>,
}

impl<A> Executor<A>
where
    A: Aggregate,
    A::Command: Clone,
    A::Error: Into<Error>,
{
    /// An executor over the `events` table of `pool`, sealing personal fields with `vault`.
    pub fn new(pool: PgPool, vault: &Vault, services: A::Services) -> Self {
        let appended = AppendSignal::new(pool.clone());
        let repository = SealingRepository::new(pool.clone(), vault.clone());
        let store = PersistedEventStore::new_event_store(repository).with_upcasters(vec![Box::new(DomainUpcasters)]);
        Self { store, pool, vault: vault.clone(), services, appended, _aggregate: PhantomData }
    }

    /// Runs `command` on stream `id` and appends what it decides, tagged with `metadata`.
    pub async fn execute(
        &self,
        id: &str,
        command: A::Command,
        metadata: &CommandMetadata,
    ) -> Result<Outcome<A>, Error> {
        let loaded = self.load_for_command(id).await?;
        self.execute_loaded(loaded, command, metadata).await
    }

    /// Like [`Executor::execute`], deciding first on a state the caller already loaded (saves
    /// reading the stream twice); a stale state loses the optimistic lock and is reloaded.
    pub async fn execute_loaded(
        &self,
        loaded: Loaded<A>,
        command: A::Command,
        metadata: &CommandMetadata,
    ) -> Result<Outcome<A>, Error> {
        self.execute_attaching(loaded, command, metadata, None).await
    }

    /// Like [`Executor::execute_loaded`], taking `attachment`'s uploads in the statement that
    /// records the events (all or nothing: `UPLOAD_NOT_USABLE` records nothing). A command that
    /// decides nothing takes nothing.
    pub async fn execute_attaching(
        &self,
        loaded: Loaded<A>,
        command: A::Command,
        metadata: &CommandMetadata,
        attachment: Option<&Attachment<'_>>,
    ) -> Result<Outcome<A>, Error> {
        let id = loaded.0.aggregate_id.clone();
        let mut context = Some(loaded.0);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let current = match context.take() {
                Some(context) => context,
                None => self.store.load_aggregate(&id).await.map_err(map_error)?,
            };
            match self.try_execute(current, command.clone(), metadata, attachment).await {
                Err(Failure::Lost) if attempt <= CONFLICT_RETRIES => {
                    tracing::debug!(aggregate = A::TYPE, attempt, "optimistic lock lost, deciding again");
                }
                Err(Failure::Lost) => return Err(Error::Conflict),
                Err(Failure::Refused(error)) => return Err(error),
                Ok(outcome) => return Ok(outcome),
            }
        }
    }

    /// The current state of stream `id` (the default state if it has no events).
    pub async fn load(&self, id: &str) -> Result<A, Error> {
        let mut context = self.store.load_aggregate(id).await.map_err(map_error)?;
        Ok(std::mem::take(context.aggregate()))
    }

    /// Stream `id` as loaded, to inspect and then decide on with [`Executor::execute_loaded`].
    pub async fn load_for_command(&self, id: &str) -> Result<Loaded<A>, Error> {
        Ok(Loaded(self.store.load_aggregate(id).await.map_err(map_error)?))
    }

    async fn try_execute(
        &self,
        mut context: EventStoreAggregateContext<A>,
        command: A::Command,
        metadata: &CommandMetadata,
        attachment: Option<&Attachment<'_>>,
    ) -> Result<Outcome<A>, Failure> {
        let sink = EventSink::<A>::default();
        context.aggregate().handle(command, &self.services, &sink).await.map_err(|e| Failure::Refused(e.into()))?;
        let decided = sink.collect().await;
        let aggregate = std::mem::take(context.aggregate());
        if decided.is_empty() {
            return Ok(Outcome { events: Vec::new(), aggregate });
        }
        let metadata = metadata.to_map();
        let events: Vec<EventEnvelope<A>> = decided
            .into_iter()
            .zip(context.current_sequence + 1..)
            .map(|(payload, sequence)| EventEnvelope {
                aggregate_id: context.aggregate_id.clone(),
                sequence,
                payload,
                metadata: metadata.clone(),
            })
            .collect();
        let serialized = serialize(&events).map_err(Failure::Refused)?;
        match seal_and_append(&self.pool, &self.vault, &serialized, attachment).await {
            Ok(()) => {}
            Err(Error::Conflict) => return Err(Failure::Lost),
            Err(error) => return Err(Failure::Refused(error)),
        }
        self.appended.appended();
        Ok(Outcome { events, aggregate })
    }
}

/// Why an attempt recorded nothing: it lost the optimistic lock (and may be decided again), or
/// it was refused or failed.
enum Failure {
    Lost,
    Refused(Error),
}

/// A stream's state as loaded, with the sequence an append must follow.
pub struct Loaded<A: Aggregate>(EventStoreAggregateContext<A>);

impl<A: Aggregate> Loaded<A> {
    /// The state to inspect before deciding.
    pub fn state(&self) -> &A {
        &self.0.aggregate
    }

    /// The state, giving up the right to append.
    pub fn into_state(self) -> A {
        self.0.aggregate
    }
}

/// The domain's upcasters (`domain::upcast`) as cqrs-es applies them when loading aggregates.
struct DomainUpcasters;

impl EventUpcaster for DomainUpcasters {
    fn can_upcast(&self, event_type: &str, event_version: &str) -> bool {
        domain::upcast::needs_upcast(event_type, event_version)
    }

    fn upcast(&self, mut event: SerializedEvent) -> SerializedEvent {
        let (version, payload) = domain::upcast::upcast(&event.event_type, &event.event_version, event.payload);
        event.event_version = version;
        event.payload = payload;
        event
    }
}

fn map_error<E: Into<Error> + std::error::Error>(error: AggregateError<E>) -> Error {
    match error {
        AggregateError::UserError(e) => e.into(),
        AggregateError::AggregateConflict => Error::Conflict,
        AggregateError::DatabaseConnectionError(e) => Error::Internal(format!("event store: {e}")),
        AggregateError::DeserializationError(e) => Error::Internal(format!("event deserialization: {e}")),
        AggregateError::UnexpectedError(e) => Error::Internal(format!("event store: {e}")),
    }
}
