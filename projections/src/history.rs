//! Reading the event history for auditors: filtered pages, offline export with a manifest,
//! and checking an export against the store.

use std::io::{BufRead, Write};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::event::COLUMNS;
use crate::{Checkpoint, Error, StoredEvent};

/// Which events to read. Every part is optional and they combine with AND. `aggregate_id`
/// selects one stream and, for a person (a resident's account, a staff account), also their
/// sign-ins, which are streams of their own (`domain::sign_in`) found by their actor.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct HistoryFilter {
    pub aggregate_type: Option<String>,
    pub aggregate_id: Option<String>,
    pub actor_id: Option<String>,
    pub event_type: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub from_position: Option<i64>,
    pub to_position: Option<i64>,
}

/// A page of the history in the projector's order (commit-safe, so a cursor never has an
/// event appear behind it later), after `after`.
pub async fn page(
    pool: &PgPool,
    filter: &HistoryFilter,
    after: Option<Checkpoint>,
    limit: i64,
) -> Result<Vec<StoredEvent>, Error> {
    let after = after.unwrap_or_default();
    let sql = format!(
        "SELECT {COLUMNS} FROM events
          WHERE (transaction_id, global_position) > ($1::text::xid8, $2)
            AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            AND ($3::text IS NULL OR aggregate_type = $3)
            AND ($4::text IS NULL OR aggregate_id = $4
                 OR (aggregate_type = 'SignIn' AND metadata->>'actor_id' = $4))
            AND ($5::text IS NULL OR metadata->>'actor_id' = $5)
            AND ($6::text IS NULL OR event_type = $6)
            AND ($7::timestamptz IS NULL OR recorded_at >= $7)
            AND ($8::timestamptz IS NULL OR recorded_at <= $8)
            AND ($9::bigint IS NULL OR global_position >= $9)
            AND ($10::bigint IS NULL OR global_position <= $10)
          ORDER BY events.transaction_id, events.global_position
          LIMIT $11"
    );
    Ok(sqlx::query_as(&sql)
        .bind(after.transaction_id.to_string())
        .bind(after.position)
        .bind(&filter.aggregate_type)
        .bind(&filter.aggregate_id)
        .bind(&filter.actor_id)
        .bind(&filter.event_type)
        .bind(filter.from)
        .bind(filter.to)
        .bind(filter.from_position)
        .bind(filter.to_position)
        .bind(limit)
        .fetch_all(pool)
        .await?)
}

/// One line of an export: the event as stored (sealed fields and all).
pub type ExportedEvent = StoredEvent;

/// What an export contains, written beside it as `<file>.manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportManifest {
    pub lines: u64,
    /// SHA-256 (hex) of the export file's bytes.
    pub sha256: String,
    pub first_position: Option<i64>,
    pub last_position: Option<i64>,
    /// The hash chain's head when exported (empty if the chain had not reached it).
    pub chain_head: String,
    pub filter: HistoryFilter,
    pub exported_at: DateTime<Utc>,
}

/// Writes the filtered history as JSON Lines (one event a line, projector order) and returns
/// the manifest of what was written. Only the protected form leaves: events are written as
/// stored, and one stored before sealing existed has its personal fields sealed on the way
/// out (under its subject's data key, as a new event would be), so no export holds them in
/// clear and an erasure makes them unreadable in every export too.
pub async fn export(
    pool: &PgPool,
    vault: &commands::Vault,
    filter: &HistoryFilter,
    out: &mut impl Write,
) -> Result<ExportManifest, Error> {
    let mut hasher = Sha256::new();
    let mut lines = 0u64;
    let (mut first, mut last) = (None, None);
    let mut after = None;
    loop {
        let events = page(pool, filter, after, 5000).await?;
        let Some(next) = events.last().map(StoredEvent::checkpoint) else { break };
        for mut event in events {
            if !event.is_sealed() {
                vault.seal(event.parts()).await.map_err(|e| Error::Sealed(e.to_string()))?;
            }
            first.get_or_insert(event.global_position);
            last = Some(event.global_position);
            let mut line = serde_json::to_vec(&event).map_err(|e| Error::Export(e.to_string()))?;
            line.push(b'\n');
            hasher.update(&line);
            out.write_all(&line).map_err(|e| Error::Export(e.to_string()))?;
            lines += 1;
        }
        after = Some(next);
    }
    let chain_head: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT event_hash FROM event_chain ORDER BY chain_index DESC LIMIT 1")
            .fetch_optional(pool)
            .await?;
    Ok(ExportManifest {
        lines,
        sha256: hex(&hasher.finalize()),
        first_position: first,
        last_position: last,
        chain_head: chain_head.map(|h| hex(&h)).unwrap_or_default(),
        filter: filter.clone(),
        exported_at: Utc::now(),
    })
}

/// Checks an export: its bytes against the manifest, then every line against the store.
/// Returns the problems found (empty when the export matches).
pub async fn verify_export(
    pool: &PgPool,
    vault: &commands::Vault,
    manifest: &ExportManifest,
    file: impl BufRead,
) -> Result<Vec<String>, Error> {
    let mut problems = Vec::new();
    let mut hasher = Sha256::new();
    let mut lines = 0u64;
    for (number, line) in file.lines().enumerate() {
        let line = line.map_err(|e| Error::Export(e.to_string()))?;
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
        lines += 1;
        let exported: ExportedEvent = match serde_json::from_str(&line) {
            Ok(e) => e,
            Err(e) => {
                problems.push(format!("line {}: not an exported event ({e})", number + 1));
                continue;
            }
        };
        let stored: Option<StoredEvent> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM events WHERE global_position = $1"))
                .bind(exported.global_position)
                .fetch_optional(pool)
                .await?;
        match stored {
            Some(stored) if stored == exported => {}
            // Stored in clear and sealed on export: equal once the export's copy is opened.
            Some(stored) if sealed_on_export(vault, &stored, &exported).await? => {}
            Some(_) => problems.push(format!(
                "line {}: position {} differs from the store",
                number + 1,
                exported.global_position
            )),
            None => {
                problems.push(format!("line {}: position {} is not in the store", number + 1, exported.global_position))
            }
        }
    }
    if hex(&hasher.finalize()) != manifest.sha256 {
        problems.push("the file's SHA-256 does not match its manifest: the export was altered".into());
    }
    if lines != manifest.lines {
        problems.push(format!("the manifest lists {} lines, the file has {lines}", manifest.lines));
    }
    Ok(problems)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn sealed_on_export(
    vault: &commands::Vault,
    stored: &StoredEvent,
    exported: &StoredEvent,
) -> Result<bool, Error> {
    if stored.is_sealed() || !exported.is_sealed() {
        return Ok(false);
    }
    let mut opened = [exported.clone()];
    Ok(crate::event::open(vault, &mut opened).await.is_ok() && opened[0] == *stored)
}
