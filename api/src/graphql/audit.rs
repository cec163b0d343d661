//! Auditors (and admins): the event history, one record's timeline, the document access log.

use std::collections::{HashMap, HashSet};

use async_graphql::connection::{Connection, Edge, query};
use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use domain::metadata::keys;
use domain::nik::Nik;
use domain::privacy::{EVENT_TYPES, redact};
use domain::staff::Permission;
use projections::history::HistoryFilter;
use projections::staff_directory::StaffName;
use projections::{Checkpoint, StoredEvent};
use sqlx::PgPool;
use uuid::Uuid;

use super::paging::{Page, PageSize, invalid_cursor};
use super::{Require, parse_uuid, shared, staff_session};
use crate::error::ApiError;

/// One event as auditors read it.
#[derive(SimpleObject)]
pub struct HistoryEvent {
    /// Global position (append order).
    position: i64,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    event_version: String,
    /// Personal fields masked unless a single record was asked for; secrets never shown.
    payload: Json<serde_json::Value>,
    actor_id: Option<String>,
    /// The role the actor acted in, as recorded with the event.
    actor_role: Option<String>,
    /// The staff member's display name (absent for residents and the system).
    actor_name: Option<String>,
    actor_username: Option<String>,
    correlation_id: Option<String>,
    client_address: Option<String>,
    recorded_at: DateTime<Utc>,
}

impl HistoryEvent {
    fn new(event: StoredEvent, mask: bool, names: &StaffNames) -> Self {
        let meta = |key: &str| event.metadata.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let actor_id = meta(keys::ACTOR_ID);
        let name = actor_id.as_deref().and_then(|id| names.of(id));
        Self {
            actor_name: name.map(|n| n.display_name.clone()),
            actor_username: name.map(|n| n.username.clone()),
            actor_id,
            actor_role: meta(keys::ACTOR_ROLE),
            correlation_id: meta(keys::CORRELATION_ID),
            client_address: meta(keys::CLIENT_ADDRESS),
            position: event.global_position,
            payload: Json(redact(&event.payload, mask)),
            aggregate_type: event.aggregate_type,
            aggregate_id: event.aggregate_id,
            sequence: event.sequence,
            event_type: event.event_type,
            event_version: event.event_version,
            recorded_at: event.recorded_at,
        }
    }
}

/// Which events to list. `aggregateId`, `requestNumber` or `nik` select a single record, whose
/// personal data is then shown unmasked (and that view is written to the audit log).
#[derive(InputObject, Default)]
pub struct EventHistoryFilter {
    aggregate_type: Option<String>,
    aggregate_id: Option<String>,
    request_number: Option<String>,
    nik: Option<String>,
    actor_id: Option<ID>,
    event_type: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

/// Which access-log rows to list.
#[derive(InputObject, Default)]
pub struct AccessLogFilter {
    file_id: Option<ID>,
    viewer_id: Option<ID>,
    purpose: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

/// One view or download of a personal document.
#[derive(SimpleObject)]
pub struct DocumentAccess {
    access_id: i64,
    file_id: ID,
    viewer_kind: String,
    viewer_id: ID,
    /// The role the viewer had, as recorded at the view.
    viewer_role: String,
    /// The staff member's display name (absent when a resident viewed their own document).
    viewer_name: Option<String>,
    viewer_username: Option<String>,
    purpose: String,
    client_address: Option<String>,
    viewed_at: DateTime<Utc>,
}

/// The staff among one page's actors, named in one query.
struct StaffNames(HashMap<Uuid, StaffName>);

impl StaffNames {
    async fn load(pool: &PgPool, ids: impl IntoIterator<Item = Uuid>) -> Result<Self, ApiError> {
        let ids: Vec<Uuid> = ids.into_iter().collect::<HashSet<_>>().into_iter().collect();
        Ok(Self(projections::staff_directory::names(pool, &ids).await?))
    }

    /// Names the actors of stored events (their metadata's actor id).
    async fn of_events(pool: &PgPool, events: &[StoredEvent]) -> Result<Self, ApiError> {
        let ids = events.iter().filter_map(|e| e.metadata.get(keys::ACTOR_ID)?.as_str()?.parse::<Uuid>().ok());
        Self::load(pool, ids).await
    }

    fn of(&self, id: &str) -> Option<&StaffName> {
        self.0.get(&id.parse::<Uuid>().ok()?)
    }
}

fn encode(checkpoint: Checkpoint) -> String {
    format!("h{}.{}", checkpoint.transaction_id, checkpoint.position)
}

fn decode(cursor: &str) -> Result<Checkpoint, ApiError> {
    let (xid, position) = cursor.strip_prefix('h').and_then(|c| c.split_once('.')).ok_or_else(invalid_cursor)?;
    Ok(Checkpoint {
        transaction_id: xid.parse().map_err(|_| invalid_cursor())?,
        position: position.parse().map_err(|_| invalid_cursor())?,
    })
}

fn check_range(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Result<(), ApiError> {
    match (from, to) {
        (Some(from), Some(to)) if from > to => {
            Err(ApiError::new("INVALID_RANGE", "Rentang waktu tidak valid: 'from' harus sebelum 'to'."))
        }
        _ => Ok(()),
    }
}

/// Turns the filter into a store filter; returns it and the single record it names, if any.
async fn resolve(ctx: &Context<'_>, filter: EventHistoryFilter) -> Result<(HistoryFilter, Option<String>), ApiError> {
    check_range(filter.from, filter.to)?;
    if let Some(event_type) = &filter.event_type
        && !EVENT_TYPES.contains(&event_type.as_str())
    {
        return Err(ApiError::new("UNKNOWN_EVENT_TYPE", format!("Jenis event '{event_type}' tidak dikenal.")));
    }
    let shared = shared(ctx)?;
    let mut aggregate_id = filter.aggregate_id.clone();
    if let Some(number) = &filter.request_number {
        let id = projections::service_requests::request_id_by_number(&shared.pool, number.trim())
            .await?
            .ok_or_else(|| ApiError::new("REQUEST_NOT_FOUND", "Nomor pengajuan tidak ditemukan."))?;
        aggregate_id = Some(id.to_string());
    }
    if let Some(nik) = &filter.nik {
        let nik = Nik::parse(nik).map_err(|e| ApiError::new(domain::ErrorCode::code(&e), e.to_string()))?;
        aggregate_id = Some(shared.commands.accounts.account_id_of(&nik).to_string());
    }
    let actor_id = filter.actor_id.map(|a| parse_uuid(&a).map(|u| u.to_string())).transpose()?;
    let store_filter = HistoryFilter {
        aggregate_type: filter.aggregate_type,
        aggregate_id: aggregate_id.clone(),
        actor_id,
        event_type: filter.event_type,
        from: filter.from,
        to: filter.to,
        ..Default::default()
    };
    Ok((store_filter, aggregate_id))
}

/// Records in `audit_log` that the caller is about to see one record's personal data unmasked.
pub(super) async fn log_unmasked(ctx: &Context<'_>, action: &str, subject: &str) -> Result<(), ApiError> {
    let (session, role) = staff_session(ctx)?;
    shared(ctx)?.commands.audit.record(session.subject_id, role.as_str(), action, subject).await?;
    Ok(())
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The event history in global order (commit-safe: a cursor never sees an event appear
    /// behind it later).
    #[graphql(guard = "Require(Permission::Audit)")]
    async fn event_history(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventHistoryFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, HistoryEvent>> {
        let (filter, single) = resolve(ctx, filter.unwrap_or_default()).await?;
        if let Some(record) = &single {
            log_unmasked(ctx, "eventHistory", record).await?;
        }
        let (pool, vault) = (shared(ctx)?.pool.clone(), shared(ctx)?.commands.vault.clone());
        query(after, None, first, None, |after: Option<String>, _: Option<String>, first, _| async move {
            let cursor = after.as_deref().map(decode).transpose()?;
            let Page { rows: mut events, has_next } =
                PageSize::AUDIT.fetch(first, |limit| projections::history::page(&pool, &filter, cursor, limit)).await?;
            projections::open_sealed(&vault, &mut events).await?;
            let names = StaffNames::of_events(&pool, &events).await?;
            let mut connection = Connection::new(after.is_some(), has_next);
            connection.edges.extend(events.into_iter().map(|e| {
                let cursor = encode(e.checkpoint());
                Edge::new(cursor, HistoryEvent::new(e, single.is_none(), &names))
            }));
            Ok::<_, async_graphql::Error>(connection)
        })
        .await
    }

    /// One record's whole life (a request by number, or an account), unmasked; the view is
    /// written to the audit log.
    #[graphql(guard = "Require(Permission::Audit)")]
    async fn record_history(
        &self,
        ctx: &Context<'_>,
        request_number: Option<String>,
        account_id: Option<ID>,
    ) -> Result<Vec<HistoryEvent>, ApiError> {
        let filter = match (request_number, account_id) {
            (Some(number), None) => EventHistoryFilter { request_number: Some(number), ..Default::default() },
            (None, Some(id)) => {
                EventHistoryFilter { aggregate_id: Some(parse_uuid(&id)?.to_string()), ..Default::default() }
            }
            _ => return Err(ApiError::new("INVALID_FILTER", "Isi tepat satu: requestNumber atau accountId.")),
        };
        let (filter, single) = resolve(ctx, filter).await?;
        log_unmasked(ctx, "recordHistory", single.as_deref().unwrap_or_default()).await?;
        let (pool, vault) = (&shared(ctx)?.pool, &shared(ctx)?.commands.vault);
        let mut timeline = Vec::new();
        let mut after = None;
        loop {
            let mut events = projections::history::page(pool, &filter, after, 1000).await?;
            projections::open_sealed(vault, &mut events).await?;
            let Some(next) = events.last().map(StoredEvent::checkpoint) else { break };
            let names = StaffNames::of_events(pool, &events).await?;
            timeline.extend(events.into_iter().map(|e| HistoryEvent::new(e, false, &names)));
            after = Some(next);
        }
        Ok(timeline)
    }

    /// Every view and download of a personal document, oldest first.
    #[graphql(guard = "Require(Permission::Audit)")]
    async fn document_access_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AccessLogFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, DocumentAccess>> {
        let filter = filter.unwrap_or_default();
        check_range(filter.from, filter.to)?;
        let filter = commands::files::AccessFilter {
            file_id: filter.file_id.map(|f| parse_uuid(&f)).transpose()?,
            viewer_id: filter.viewer_id.map(|v| parse_uuid(&v)).transpose()?,
            purpose: filter.purpose,
            from: filter.from,
            to: filter.to,
        };
        let shared = shared(ctx)?;
        let (files, pool) = (shared.commands.files.clone(), shared.pool.clone());
        query(after, None, first, None, |after: Option<String>, _: Option<String>, first, _| async move {
            let after = after
                .as_deref()
                .map(|c| c.strip_prefix('a').and_then(|n| n.parse::<i64>().ok()).ok_or_else(invalid_cursor))
                .transpose()?;
            let Page { rows, has_next } =
                PageSize::AUDIT.fetch(first, |limit| files.access_log(&filter, after, limit)).await?;
            let names = StaffNames::load(&pool, rows.iter().map(|r| r.viewer_id)).await?;
            let mut connection = Connection::new(after.is_some(), has_next);
            connection.edges.extend(rows.into_iter().map(|r| {
                let name = names.0.get(&r.viewer_id);
                Edge::new(
                    format!("a{}", r.access_id),
                    DocumentAccess {
                        access_id: r.access_id,
                        file_id: ID(r.file_id.to_string()),
                        viewer_kind: r.viewer_kind,
                        viewer_id: ID(r.viewer_id.to_string()),
                        viewer_role: r.viewer_role,
                        viewer_name: name.map(|n| n.display_name.clone()),
                        viewer_username: name.map(|n| n.username.clone()),
                        purpose: r.purpose,
                        client_address: r.client_address,
                        viewed_at: r.viewed_at,
                    },
                )
            }));
            Ok::<_, async_graphql::Error>(connection)
        })
        .await
    }
}
