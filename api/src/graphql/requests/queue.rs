//! The officers' work queue and the page of one request.

use async_graphql::connection::{Connection, Edge, query};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use domain::staff::Permission;
use projections::service_requests::QueueFilter;

use super::{RequestStatus, me_as_staff};
use crate::error::ApiError;
use crate::graphql::paging::{Page, PageSize, decode_time_cursor, encode_time_cursor};
use crate::graphql::{Require, parse_uuid, shared};

/// A request in the staff work queue.
#[derive(SimpleObject)]
pub struct WorkQueueItem {
    request_id: ID,
    number: String,
    service_code: String,
    service_name: String,
    applicant_name: String,
    status: RequestStatus,
    /// The status in the officers' words.
    status_label: String,
    claimed_by: Option<ID>,
    claimed_by_name: Option<String>,
    submitted_at: DateTime<Utc>,
    /// Null while the service clock is stopped (re-upload open, or an outage in progress).
    due_at: Option<DateTime<Utc>>,
    overdue: bool,
    /// Working hours (office calendar) until `dueAt`; negative once overdue, by as many hours.
    /// Null while the clock is stopped. The console colours due times by it.
    working_hours_left: Option<f64>,
}

/// Count of open requests in one status.
#[derive(SimpleObject)]
pub struct StatusCount {
    status: RequestStatus,
    /// The status in the officers' words (the console's filter lists these).
    label: String,
    count: i64,
}

/// Totals of the work queue.
#[derive(SimpleObject)]
pub struct QueueSummary {
    /// Open requests per status: every status, in lifecycle order, zero included (closed
    /// statuses count 0 by definition, and are listed so the console's filter can offer them).
    counts: Vec<StatusCount>,
}

/// Filters of the work queue.
#[derive(InputObject, Default)]
pub struct WorkQueueFilter {
    /// One status (closed ones included); default: every open request.
    status: Option<RequestStatus>,
    service_code: Option<String>,
    assigned_to_me: Option<bool>,
    overdue: Option<bool>,
}

/// A submitted form value.
#[derive(SimpleObject)]
pub struct FieldValue {
    name: String,
    value: String,
}

/// A submitted document, for the operator.
#[derive(SimpleObject)]
pub struct SubmittedDocumentLink {
    code: String,
    url: String,
}

/// The details an operator works from.
#[derive(SimpleObject)]
pub struct RequestDetails {
    request_id: ID,
    number: String,
    service_code: String,
    service_name: String,
    applicant_name: String,
    catalogue_version: u32,
    /// Where it stands now (from the event store, as the rest of this record).
    status: RequestStatus,
    /// The status in the officers' words.
    status_label: String,
    claimed_by: Option<ID>,
    fields: Vec<FieldValue>,
    documents: Vec<SubmittedDocumentLink>,
}

/// The queue and a request's details.
#[derive(Default)]
pub struct QueueQuery;

#[Object]
impl QueueQuery {
    /// The staff work queue, by due time (requests whose clock is stopped come last).
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn work_queue(
        &self,
        ctx: &Context<'_>,
        filter: Option<WorkQueueFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, WorkQueueItem, QueueSummary>> {
        let shared = shared(ctx)?;
        let pool = shared.pool.clone();
        let vault = &shared.commands.vault;
        let now = shared.commands.clock.now();
        let filter = filter.unwrap_or_default();
        let me = me_as_staff(ctx)?;
        let filter = QueueFilter {
            status: filter.status.map(RequestStatus::domain),
            service_code: filter.service_code,
            claimed_by: filter.assigned_to_me.unwrap_or(false).then_some(me.0),
            overdue_at: filter.overdue.unwrap_or(false).then_some(now),
        };
        query(after, None, first, None, |after: Option<String>, _: Option<String>, first, _| async move {
            let cursor = after.as_deref().map(decode_time_cursor).transpose()?;
            let Page { rows, has_next } = PageSize::STANDARD
                .fetch(first, |limit| projections::service_requests::queue_page(&pool, vault, &filter, cursor, limit))
                .await?;
            let open = projections::service_requests::queue_counts(&pool).await.map_err(ApiError::from)?;
            let counts = domain::request::RequestStatus::ALL
                .into_iter()
                .map(|status| StatusCount {
                    status: status.into(),
                    label: status.staff_label().to_owned(),
                    count: open.iter().find(|(s, _)| s == status.as_str()).map_or(0, |(_, n)| *n),
                })
                .collect();
            let left = working_hours_left(&pool, now, &rows).await?;
            let mut connection = Connection::with_additional_fields(after.is_some(), has_next, QueueSummary { counts });
            connection.edges.extend(rows.into_iter().zip(left).map(|(row, working_hours_left)| {
                let cursor = encode_time_cursor(row.due_at, row.request_id);
                Edge::new(
                    cursor,
                    WorkQueueItem {
                        request_id: ID(row.request_id.to_string()),
                        number: row.number,
                        service_code: row.service_code,
                        service_name: row.service_name,
                        applicant_name: row.applicant_name,
                        status: row.status.into(),
                        status_label: row.status.staff_label().to_owned(),
                        claimed_by: row.claimed_by.map(|c| ID(c.to_string())),
                        claimed_by_name: row.claimed_by_name,
                        submitted_at: row.submitted_at,
                        overdue: row.closed_at.is_none() && projections::service_requests::is_late(row.due_at, now),
                        due_at: row.due_at,
                        working_hours_left,
                    },
                )
            }));
            Ok::<_, async_graphql::Error>(connection)
        })
        .await
    }

    /// What a resident submitted, for the operator working on it. The form holds personal
    /// data in full (children's names, parents' NIKs): every look is in the audit log, as an
    /// auditor's unmasking is.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn service_request(&self, ctx: &Context<'_>, request_id: ID) -> Result<Option<RequestDetails>, ApiError> {
        let id = parse_uuid(&request_id)?;
        let request = shared(ctx)?.commands.requests.load(id).await?;
        if request.submitted().is_some() {
            crate::graphql::audit::log_unmasked(ctx, "serviceRequest", &format!("ServiceRequest:{id}")).await?;
        }
        Ok(request.submitted().zip(request.status()).map(|(s, status)| RequestDetails {
            request_id: ID(s.request_id.to_string()),
            number: s.number.as_str().to_owned(),
            service_code: s.service_code.as_str().to_owned(),
            service_name: s.service_name.clone(),
            applicant_name: s.applicant_name.clone(),
            catalogue_version: s.catalogue_version,
            status: status.into(),
            status_label: status.staff_label().to_owned(),
            claimed_by: request.claimed_by().map(|c| ID(c.to_string())),
            fields: s
                .fields
                .iter()
                .map(|(name, value)| FieldValue { name: name.clone(), value: value.clone() })
                .collect(),
            documents: s
                .documents
                .iter()
                .map(|d| SubmittedDocumentLink { code: d.code.as_str().to_owned(), url: format!("/files/{}", d.file) })
                .collect(),
        }))
    }
}

/// Working hours from `now` to each row's due time (negative when it has passed), by the office
/// calendar: the one rule that also makes the due times.
async fn working_hours_left(
    pool: &sqlx::PgPool,
    now: DateTime<Utc>,
    rows: &[projections::service_requests::QueueRow],
) -> Result<Vec<Option<f64>>, ApiError> {
    let dues: Vec<DateTime<Utc>> = rows.iter().filter(|r| r.closed_at.is_none()).filter_map(|r| r.due_at).collect();
    let (Some(first), Some(last)) = (dues.iter().min().copied(), dues.iter().max().copied()) else {
        return Ok(vec![None; rows.len()]);
    };
    let from = first.min(now);
    let days = (last.max(now) - from).num_days() + 2;
    let calendar = projections::office_calendar::working_calendar(pool, from, days).await?;
    let hours = |d: chrono::Duration| d.num_seconds() as f64 / 3600.0;
    Ok(rows
        .iter()
        .map(|row| {
            let due = row.due_at.filter(|_| row.closed_at.is_none())?;
            Some(if due >= now {
                hours(calendar.working_time_between(now, due))
            } else {
                -hours(calendar.working_time_between(due, now))
            })
        })
        .collect())
}
