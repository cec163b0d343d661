//! The event store's write path: a command's events, sealed, and the uploads the command takes,
//! recorded by one statement.
//!
//! postgres-es appends in a transaction of its own (`BEGIN`, one `INSERT` per event, `COMMIT`),
//! and attaching uploads was a second transaction before it: about seven round trips and two
//! commits per submission. One statement is one round trip and one commit, and it makes the
//! attachment and the events that reference it atomic: a refused or lost append leaves the
//! uploads exactly as they were.

use cqrs_es::persist::SerializedEvent;
use sqlx::PgPool;
use uuid::Uuid;

use crate::Error;
use crate::files::{ATTACH_UPLOADS, Attachment};
use crate::vault::{Vault, parts_of};

/// Seals `events` (which must all belong to one stream, in sequence order) and appends them,
/// attaching `attachment`'s uploads in the same statement. Nothing is written unless all of
/// it is: another command appended to the stream since it was loaded is
/// [`Error::Conflict`], an upload that cannot be taken [`Error::UploadNotUsable`].
pub(crate) async fn seal_and_append(
    pool: &PgPool,
    vault: &Vault,
    events: &[SerializedEvent],
    attachment: Option<&Attachment<'_>>,
) -> Result<(), Error> {
    let Some(first) = events.first() else {
        return Ok(());
    };
    let mut sealed = events.to_vec();
    for event in &mut sealed {
        vault.seal(parts_of(event)).await?;
    }
    let mut sequences = Vec::with_capacity(sealed.len());
    let (mut types, mut versions) = (Vec::with_capacity(sealed.len()), Vec::with_capacity(sealed.len()));
    let (mut payloads, mut metadata) = (Vec::with_capacity(sealed.len()), Vec::with_capacity(sealed.len()));
    for event in sealed {
        if event.aggregate_type != first.aggregate_type || event.aggregate_id != first.aggregate_id {
            return Err(Error::Internal("one append holds one stream's events".into()));
        }
        sequences.push(i64::try_from(event.sequence).unwrap_or(i64::MAX));
        types.push(event.event_type);
        versions.push(event.event_version);
        payloads.push(event.payload);
        metadata.push(event.metadata);
    }
    let none = Attachment::none();
    let attachment = attachment.unwrap_or(&none);
    let appended: Result<(bool, Vec<Uuid>, i64), sqlx::Error> = attachment
        .bind(sqlx::query_as(&append_sql()))
        .bind(&first.aggregate_type)
        .bind(&first.aggregate_id)
        .bind(&sequences)
        .bind(&types)
        .bind(&versions)
        .bind(&payloads)
        .bind(&metadata)
        .fetch_one(pool)
        .await;
    match appended {
        Ok((true, _, _)) => Ok(()),
        Ok((false, usable, _)) => Err(Error::UploadNotUsable(attachment.missing(&usable))),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("events_pkey") => Err(Error::Conflict),
        Err(e) => Err(e.into()),
    }
}

/// The attachment (parameters `$1`–`$6`) and the events (`$7`–`$13`) in one statement; the
/// events are inserted only when every upload could be taken.
fn append_sql() -> String {
    format!(
        "WITH {ATTACH_UPLOADS},
         appended AS (
           INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
           SELECT $7, $8, e.sequence, e.event_type, e.event_version, e.payload, e.metadata
             FROM unnest($9::bigint[], $10::text[], $11::text[], $12::jsonb[], $13::jsonb[])
                  AS e(sequence, event_type, event_version, payload, metadata)
            WHERE (SELECT ok FROM complete)
           RETURNING 1)
         SELECT (SELECT ok FROM complete), array(SELECT file_id FROM usable), (SELECT count(*) FROM appended)"
    )
}

/// The serialized form of decided events, as cqrs-es would store them.
pub(crate) fn serialize<A: cqrs_es::Aggregate>(
    envelopes: &[cqrs_es::EventEnvelope<A>],
) -> Result<Vec<SerializedEvent>, Error> {
    envelopes
        .iter()
        .map(|e| SerializedEvent::try_from(e).map_err(|e| Error::Internal(format!("event serialization: {e}"))))
        .collect()
}
