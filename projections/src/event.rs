use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{FromRow, Row};

use crate::{Checkpoint, Error};

/// One row of the event store, as the projector reads it (and as an export writes it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredEvent {
    pub global_position: i64,
    pub transaction_id: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: Value,
    pub recorded_at: DateTime<Utc>,
}

/// The columns [`StoredEvent`] is read from; `transaction_id` as bigint (xid8 has no
/// direct sqlx type; an epoch-extended xid fits comfortably). Because of that alias, a query
/// must order by `events.transaction_id`: a bare `ORDER BY transaction_id` means the bigint
/// output column, which no index has, and sorted every event after the checkpoint on every
/// batch (what made replay slow down as history grew).
pub(crate) const COLUMNS: &str = "global_position, transaction_id::text::bigint AS transaction_id, aggregate_type, \
     aggregate_id, sequence, event_type, event_version, payload, metadata, recorded_at";

impl<'r> FromRow<'r, PgRow> for StoredEvent {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            global_position: row.try_get("global_position")?,
            transaction_id: row.try_get("transaction_id")?,
            aggregate_type: row.try_get("aggregate_type")?,
            aggregate_id: row.try_get("aggregate_id")?,
            sequence: row.try_get("sequence")?,
            event_type: row.try_get("event_type")?,
            event_version: row.try_get("event_version")?,
            payload: row.try_get("payload")?,
            metadata: row.try_get("metadata")?,
            recorded_at: row.try_get("recorded_at")?,
        })
    }
}

/// Opens the sealed personal fields of `events` in place (`commands::vault`): a field of an
/// erased subject reads as `domain::privacy::ERASED`.
pub async fn open(vault: &commands::Vault, events: &mut [StoredEvent]) -> Result<(), Error> {
    let mut parts: Vec<_> = events.iter_mut().filter(|e| e.is_sealed()).map(StoredEvent::parts).collect();
    if parts.is_empty() {
        return Ok(());
    }
    vault.open(&mut parts).await.map_err(|e| Error::Sealed(e.to_string()))
}

/// The batch as projections read it: a copy with sealed fields opened, or the batch itself when
/// nothing in it is sealed.
pub(crate) async fn opened<'e>(
    vault: &commands::Vault,
    events: &'e [StoredEvent],
) -> Result<std::borrow::Cow<'e, [StoredEvent]>, Error> {
    if !events.iter().any(StoredEvent::is_sealed) {
        return Ok(std::borrow::Cow::Borrowed(events));
    }
    let mut copy = events.to_vec();
    open(vault, &mut copy).await?;
    Ok(std::borrow::Cow::Owned(copy))
}

impl StoredEvent {
    /// Whether the event holds sealed fields (personal payload fields or the client address).
    pub fn is_sealed(&self) -> bool {
        self.event_version.ends_with(commands::vault::SEALED_VERSION_SUFFIX)
            || self.metadata.get(commands::vault::SEALED_ADDRESS).is_some()
    }

    pub(crate) fn parts(&mut self) -> commands::vault::EventParts<'_> {
        commands::vault::EventParts {
            identity: commands::vault::EventIdentity {
                aggregate_type: &self.aggregate_type,
                aggregate_id: &self.aggregate_id,
                sequence: self.sequence,
            },
            event_version: &mut self.event_version,
            payload: &mut self.payload,
            metadata: &mut self.metadata,
        }
    }

    /// The projector-order position of this event.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint { transaction_id: self.transaction_id, position: self.global_position }
    }

    /// The stream id, for aggregates whose ids are UUIDs.
    pub fn aggregate_uuid(&self) -> Result<uuid::Uuid, Error> {
        uuid::Uuid::parse_str(&self.aggregate_id).map_err(|e| Error::Decode {
            position: self.global_position,
            event_type: self.event_type.clone(),
            reason: format!("aggregate id: {e}"),
        })
    }

    /// The payload as the domain's event type. This is the one place events are decoded on
    /// the read side, so it is where upcasting of old versions belongs.
    pub fn decode<E: DeserializeOwned>(&self) -> Result<E, Error> {
        let decoded = if domain::upcast::needs_upcast(&self.event_type, &self.event_version) {
            let (_, payload) = domain::upcast::upcast(&self.event_type, &self.event_version, self.payload.clone());
            E::deserialize(payload)
        } else {
            // The common case borrows the payload instead of copying it.
            E::deserialize(&self.payload)
        };
        decoded.map_err(|e| Error::Decode {
            position: self.global_position,
            event_type: self.event_type.clone(),
            reason: e.to_string(),
        })
    }
}
