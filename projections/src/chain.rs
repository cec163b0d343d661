//! The hash chain over the event history: tamper evidence a database superuser cannot quietly
//! defeat. Each event's hash is SHA-256 over the previous hash and the event's canonical
//! content, computed once, when the event is first projected.

use futures::FutureExt;
use futures::future::BoxFuture;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use crate::carried::Carried;
use crate::projector::fetch_safe;
use crate::{Checkpoint, Context, Error, Projection, StoredEvent};

/// Hash of "nothing before": the chain's first `previous_hash`.
pub const GENESIS: [u8; 32] = [0; 32];

/// Projects every event into `event_chain`.
#[derive(Default)]
pub struct EventChain {
    /// The chain's next index and last hash as the last batch left them.
    head: Carried<(i64, Vec<u8>)>,
}

/// The canonical bytes of an event: every stored column, in a fixed order, with jsonb in
/// PostgreSQL's normalised text form.
pub fn event_hash(previous: &[u8], event: &StoredEvent) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    for part in [
        event.global_position.to_string(),
        event.aggregate_type.clone(),
        event.aggregate_id.clone(),
        event.sequence.to_string(),
        event.event_type.clone(),
        event.event_version.clone(),
        event.payload.to_string(),
        event.metadata.to_string(),
        event.recorded_at.timestamp_micros().to_string(),
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().to_vec()
}

impl Projection for EventChain {
    fn name(&self) -> &'static str {
        "event_chain"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["event_chain"]
    }

    fn rebuildable(&self) -> bool {
        false
    }

    fn reads_stored_form(&self) -> bool {
        true
    }

    /// One insert per batch, and a read of the chain's head when the batch before did not
    /// leave it ([`Carried`]).
    fn apply_batch<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        events: &'a [StoredEvent],
        cx: Context<'a>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        async move {
            if events.is_empty() {
                return Ok(());
            }
            let (mut index, mut previous) = match self.head.take(&cx) {
                Some(head) => head,
                None => head(conn).await?,
            };
            let mut indexes = Vec::with_capacity(events.len());
            let mut positions = Vec::with_capacity(events.len());
            let mut hashes = Vec::with_capacity(events.len());
            let mut previouses = Vec::with_capacity(events.len());
            for event in events {
                let hash = event_hash(&previous, event);
                indexes.push(index);
                positions.push(event.global_position);
                previouses.push(std::mem::replace(&mut previous, hash.clone()));
                hashes.push(hash);
                index += 1;
            }
            sqlx::query(
                "INSERT INTO event_chain (chain_index, global_position, event_hash, previous_hash)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[])",
            )
            .bind(indexes)
            .bind(positions)
            .bind(hashes)
            .bind(previouses)
            .execute(&mut *conn)
            .await?;
            self.head.keep(&cx, (index, previous));
            Ok(())
        }
        .boxed()
    }
}

/// The next chain index and the hash it follows, as the table holds them.
async fn head(conn: &mut PgConnection) -> Result<(i64, Vec<u8>), Error> {
    let last: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT chain_index, event_hash FROM event_chain ORDER BY chain_index DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    Ok(last.map_or((0, GENESIS.to_vec()), |(i, h)| (i + 1, h)))
}

/// What `verify_chain` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Events checked.
    pub checked: u64,
    /// Hex of the last hash: publish or export it to anchor the history.
    pub head: String,
    /// Problems, in history order (empty when the history is intact).
    pub problems: Vec<String>,
}

/// Recomputes the chain from the events and compares it with the hashes recorded when each
/// event was first projected.
pub async fn verify_chain(pool: &PgPool) -> Result<ChainReport, Error> {
    let mut conn = pool.acquire().await?;
    let mut position = Checkpoint::default();
    let mut previous = GENESIS.to_vec();
    let mut index = 0i64;
    let mut problems = Vec::new();
    let chained: i64 = sqlx::query_scalar("SELECT count(*) FROM event_chain").fetch_one(&mut *conn).await?;
    loop {
        let events = fetch_safe(&mut conn, position, 5000).await?;
        let Some(last) = events.last().map(StoredEvent::checkpoint) else { break };
        let rows: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT chain_index, global_position, event_hash FROM event_chain
              WHERE chain_index >= $1 ORDER BY chain_index LIMIT $2",
        )
        .bind(index)
        .bind(events.len() as i64)
        .fetch_all(&mut *conn)
        .await?;
        for event in &events {
            if index >= chained {
                break;
            }
            let expected = event_hash(&previous, event);
            match rows.iter().find(|(i, _, _)| *i == index) {
                Some((_, stored_position, stored)) if *stored_position == event.global_position => {
                    if *stored != expected {
                        problems.push(format!(
                            "event at position {} ({} {}) does not match its recorded hash: it was altered after it was recorded",
                            event.global_position, event.aggregate_type, event.event_type
                        ));
                    }
                    previous = stored.clone();
                }
                Some((_, stored_position, _)) => {
                    problems.push(format!(
                        "chain entry {index} is position {stored_position} but the history has position {} there: events were removed or inserted",
                        event.global_position
                    ));
                    previous = expected;
                }
                None => problems.push(format!("chain entry {index} is missing")),
            }
            index += 1;
        }
        position = last;
    }
    if index < chained {
        problems.push(format!("the chain records {chained} events but the history has {index}: events were removed"));
    }
    Ok(ChainReport { checked: index as u64, head: hex_of(&previous), problems })
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
