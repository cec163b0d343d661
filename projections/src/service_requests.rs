//! Read models `status_board` (the resident's view) and `work_queue` (the staff queue with SLA
//! due times), and the SLA clock's own copy of the office calendar.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use cqrs_es::Aggregate;
use domain::calendar::{CalendarEvent, OfficeCalendar};
use domain::request::{RequestEvent, RequestStatus, ServiceRequest};
use domain::working_time::{Outage, WorkingCalendar};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{Error, Projection, StoredEvent};

/// "Paling lambat 1×24 jam di hari dan jam kerja": one working day.
pub const SLA: Duration = Duration::hours(8);

/// Channel notified (on commit) whenever a request's rows change: `{"request_id", "account_id"}`.
pub const CHANNEL: &str = "request_changed";

/// Projects request and calendar events.
pub struct ServiceRequests;

impl Projection for ServiceRequests {
    fn name(&self) -> &'static str {
        "service_requests"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["status_board", "work_queue", "sla_closed_days", "sla_outages"]
    }

    fn apply<'a>(&'a self, conn: &'a mut PgConnection, event: &'a StoredEvent) -> BoxFuture<'a, Result<(), Error>> {
        async move {
            if event.aggregate_type == ServiceRequest::TYPE {
                let id = Uuid::parse_str(&event.aggregate_id).map_err(|e| Error::Decode {
                    position: event.global_position,
                    event_type: event.event_type.clone(),
                    reason: e.to_string(),
                })?;
                apply_request(conn, id, event.decode()?).await
            } else if event.aggregate_type == OfficeCalendar::TYPE {
                apply_calendar(conn, event.decode()?).await
            } else {
                Ok(())
            }
        }
        .boxed()
    }
}

fn status_str(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::New => "NEW",
        RequestStatus::Submitted => "SUBMITTED",
        RequestStatus::InReview => "IN_REVIEW",
        RequestStatus::AwaitingReupload => "AWAITING_REUPLOAD",
        RequestStatus::Completed => "COMPLETED",
        RequestStatus::ReadyForPickup => "READY_FOR_PICKUP",
        RequestStatus::Collected => "COLLECTED",
        RequestStatus::Rejected => "REJECTED",
        RequestStatus::Cancelled => "CANCELLED",
    }
}

async fn set_status(conn: &mut PgConnection, id: Uuid, status: RequestStatus, at: DateTime<Utc>) -> Result<(), Error> {
    let closed = status.is_closed();
    sqlx::query("UPDATE status_board SET status = $2, updated_at = $3 WHERE request_id = $1")
        .bind(id)
        .bind(status_str(status))
        .bind(at)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE work_queue SET status = $2, updated_at = $3,
                closed_at = CASE WHEN $4 THEN $3 ELSE NULL END,
                claimed_by = CASE WHEN $2 IN ('SUBMITTED', 'AWAITING_REUPLOAD') OR $4 THEN NULL ELSE claimed_by END
          WHERE request_id = $1",
    )
    .bind(id)
    .bind(status_str(status))
    .bind(at)
    .bind(closed)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn apply_request(conn: &mut PgConnection, id: Uuid, event: RequestEvent) -> Result<(), Error> {
    use RequestEvent as E;
    match event {
        E::RequestSubmitted(s) => {
            let outcome = serde_json::to_value(s.outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_uppercase))
                .unwrap_or_default();
            sqlx::query(
                "INSERT INTO status_board (request_id, account_id, number, service_code, service_name, outcome, status,
                     submitted_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'SUBMITTED', $7, $7)",
            )
            .bind(id)
            .bind(s.account_id.0)
            .bind(s.number.as_str())
            .bind(s.service_code.as_str())
            .bind(&s.service_name)
            .bind(outcome)
            .bind(s.submitted_at)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "INSERT INTO work_queue (request_id, number, service_code, service_name, account_id, applicant_name, status,
                     submitted_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'SUBMITTED', $7, $7)",
            )
            .bind(id)
            .bind(s.number.as_str())
            .bind(s.service_code.as_str())
            .bind(&s.service_name)
            .bind(s.account_id.0)
            .bind(&s.applicant_name)
            .bind(s.submitted_at)
            .execute(&mut *conn)
            .await?;
            // Labels of documents, for naming re-upload items later.
            let labels: Value = s
                .requirements
                .iter()
                .map(|r| (r.code.to_string(), Value::from(r.label.clone())))
                .collect::<serde_json::Map<_, _>>()
                .into();
            sqlx::query("UPDATE status_board SET reupload_items = jsonb_build_object('labels', $2::jsonb, 'items', '[]'::jsonb) WHERE request_id = $1")
                .bind(id)
                .bind(labels)
                .execute(&mut *conn)
                .await?;
            recompute_due(conn, Some(id)).await?;
        }
        E::RequestClaimed { by, at } | E::RequestReassigned { to: by, at, .. } => {
            set_status(conn, id, RequestStatus::InReview, at).await?;
            sqlx::query("UPDATE work_queue SET claimed_by = $2 WHERE request_id = $1")
                .bind(id)
                .bind(by.0)
                .execute(&mut *conn)
                .await?;
        }
        E::RequestReleased { at, .. } => set_status(conn, id, RequestStatus::Submitted, at).await?,
        E::ReuploadDemanded { items, at, .. } => {
            set_status(conn, id, RequestStatus::AwaitingReupload, at).await?;
            let items: Vec<Value> = items
                .iter()
                .map(|i| json!({ "code": i.code.as_str(), "reason": i.reason.as_str(), "answered": false }))
                .collect();
            sqlx::query("UPDATE status_board SET reupload_items = jsonb_set(reupload_items, '{items}', $2::jsonb) WHERE request_id = $1")
                .bind(id)
                .bind(Value::from(items))
                .execute(&mut *conn)
                .await?;
            sqlx::query("UPDATE work_queue SET pauses = pauses || jsonb_build_array(jsonb_build_array($2::timestamptz, null)) WHERE request_id = $1")
                .bind(id)
                .bind(at)
                .execute(&mut *conn)
                .await?;
            recompute_due(conn, Some(id)).await?;
        }
        E::DocumentsReuploaded { documents, all_answered, at } => {
            for document in &documents {
                sqlx::query(
                    "UPDATE status_board SET reupload_items = jsonb_set(reupload_items, '{items}',
                        (SELECT coalesce(jsonb_agg(CASE WHEN item->>'code' = $2 THEN item || '{\"answered\": true}' ELSE item END), '[]')
                           FROM jsonb_array_elements(reupload_items->'items') item)),
                        updated_at = $3
                      WHERE request_id = $1",
                )
                .bind(id)
                .bind(document.code.as_str())
                .bind(at)
                .execute(&mut *conn)
                .await?;
            }
            if all_answered {
                set_status(conn, id, RequestStatus::Submitted, at).await?;
                sqlx::query("UPDATE status_board SET reupload_items = jsonb_set(reupload_items, '{items}', '[]') WHERE request_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                // Close the open pause: the clock runs again from here, keeping the time used.
                sqlx::query(
                    "UPDATE work_queue SET pauses = (
                        SELECT coalesce(jsonb_agg(CASE WHEN p->>1 IS NULL THEN jsonb_build_array(p->0, to_jsonb($2::timestamptz)) ELSE p END), '[]')
                          FROM jsonb_array_elements(pauses) p)
                      WHERE request_id = $1",
                )
                .bind(id)
                .bind(at)
                .execute(&mut *conn)
                .await?;
                recompute_due(conn, Some(id)).await?;
            }
        }
        E::RequestCompleted { files, at, .. } => {
            set_status(conn, id, RequestStatus::Completed, at).await?;
            let files: Vec<Value> = files.iter().map(|f| Value::from(f.0.to_string())).collect();
            sqlx::query("UPDATE status_board SET result_files = $2 WHERE request_id = $1")
                .bind(id)
                .bind(Value::from(files))
                .execute(&mut *conn)
                .await?;
        }
        E::ReadyForPickup { place, available_from, at, .. } => {
            set_status(conn, id, RequestStatus::ReadyForPickup, at).await?;
            sqlx::query("UPDATE status_board SET pickup_place = $2, pickup_from = $3 WHERE request_id = $1")
                .bind(id)
                .bind(place.as_str())
                .bind(available_from)
                .execute(&mut *conn)
                .await?;
        }
        E::DocumentCollected { at, .. } => {
            set_status(conn, id, RequestStatus::Collected, at).await?;
            sqlx::query("UPDATE status_board SET collected_at = $2 WHERE request_id = $1")
                .bind(id)
                .bind(at)
                .execute(&mut *conn)
                .await?;
        }
        E::RequestRejected { reason, at, .. } => {
            set_status(conn, id, RequestStatus::Rejected, at).await?;
            sqlx::query("UPDATE status_board SET rejection_reason = $2 WHERE request_id = $1")
                .bind(id)
                .bind(reason.as_str())
                .execute(&mut *conn)
                .await?;
        }
        E::RequestCancelled { at } => set_status(conn, id, RequestStatus::Cancelled, at).await?,
    }
    sqlx::query("SELECT pg_notify($1, json_build_object('request_id', request_id, 'account_id', account_id)::text) FROM status_board WHERE request_id = $2")
        .bind(CHANNEL)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn apply_calendar(conn: &mut PgConnection, event: CalendarEvent) -> Result<(), Error> {
    match event {
        CalendarEvent::HolidayAdded { date, .. } => {
            sqlx::query("INSERT INTO sla_closed_days (closed_day) VALUES ($1)").bind(date).execute(&mut *conn).await?;
        }
        CalendarEvent::HolidayRemoved { date } => {
            sqlx::query("DELETE FROM sla_closed_days WHERE closed_day = $1").bind(date).execute(&mut *conn).await?;
        }
        CalendarEvent::OutageDeclared { declared_at, .. } => {
            sqlx::query("INSERT INTO sla_outages (declared_at) VALUES ($1)")
                .bind(declared_at)
                .execute(&mut *conn)
                .await?;
        }
        CalendarEvent::OutageEnded { declared_at, ended_at } => {
            sqlx::query("UPDATE sla_outages SET ended_at = $2 WHERE declared_at = $1")
                .bind(declared_at)
                .bind(ended_at)
                .execute(&mut *conn)
                .await?;
        }
    }
    // The calendar moved: every open request's due time may have moved with it.
    recompute_due(conn, None).await?;
    sqlx::query("SELECT pg_notify($1, '{}')").bind(CHANNEL).execute(&mut *conn).await?;
    Ok(())
}

/// Recomputes `due_at` of one request, or of every open request.
async fn recompute_due(conn: &mut PgConnection, only: Option<Uuid>) -> Result<(), Error> {
    let days: Vec<NaiveDate> =
        sqlx::query_scalar("SELECT closed_day FROM sla_closed_days").fetch_all(&mut *conn).await?;
    let outages: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> =
        sqlx::query_as("SELECT declared_at, ended_at FROM sla_outages").fetch_all(&mut *conn).await?;
    // Two statements, not one with `$1 IS NULL OR …`: a generic plan for that form cannot use
    // the primary key and scanned the whole queue for every submission (found by `bench`).
    let rows: Vec<(Uuid, DateTime<Utc>, Value)> =
        match only {
            Some(id) => sqlx::query_as(
                "SELECT request_id, submitted_at, pauses FROM work_queue WHERE request_id = $1 AND closed_at IS NULL",
            )
            .bind(id)
            .fetch_all(&mut *conn)
            .await?,
            None => {
                sqlx::query_as("SELECT request_id, submitted_at, pauses FROM work_queue WHERE closed_at IS NULL")
                    .fetch_all(&mut *conn)
                    .await?
            }
        };
    for (id, submitted_at, pauses) in rows {
        let pauses: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = serde_json::from_value(pauses).map_err(|e| {
            Error::Decode { position: 0, event_type: "work_queue.pauses".into(), reason: e.to_string() }
        })?;
        let calendar = WorkingCalendar::new(
            days.iter().copied(),
            outages.iter().chain(pauses.iter()).map(|(start, end)| Outage { start: *start, end: *end }),
        );
        let due = calendar.add_working_time(submitted_at, SLA);
        sqlx::query("UPDATE work_queue SET due_at = $2 WHERE request_id = $1")
            .bind(id)
            .bind(due)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A row of the status board.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BoardRow {
    pub request_id: Uuid,
    pub account_id: Uuid,
    pub number: String,
    pub service_code: String,
    pub service_name: String,
    pub outcome: String,
    pub status: String,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub reupload_items: Value,
    pub result_files: Value,
    pub pickup_place: Option<String>,
    pub pickup_from: Option<DateTime<Utc>>,
    pub collected_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
}

const BOARD_COLUMNS: &str = "request_id, account_id, number, service_code, service_name, outcome, status, submitted_at, \
     updated_at, reupload_items, result_files, pickup_place, pickup_from, collected_at, rejection_reason";

/// A resident's requests, newest first, after the keyset cursor.
pub async fn board_page(
    pool: &PgPool,
    account_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<BoardRow>, Error> {
    Ok(sqlx::query_as(&format!(
        "SELECT {BOARD_COLUMNS} FROM status_board
          WHERE account_id = $1 AND ($2::timestamptz IS NULL OR (submitted_at, request_id) < ($2, $3))
          ORDER BY submitted_at DESC, request_id DESC LIMIT $4"
    ))
    .bind(account_id)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// One request of the board.
pub async fn board_row(pool: &PgPool, request_id: Uuid) -> Result<Option<BoardRow>, Error> {
    Ok(sqlx::query_as(&format!("SELECT {BOARD_COLUMNS} FROM status_board WHERE request_id = $1"))
        .bind(request_id)
        .fetch_optional(pool)
        .await?)
}

/// A row of the work queue.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct QueueRow {
    pub request_id: Uuid,
    pub number: String,
    pub service_code: String,
    pub service_name: String,
    pub account_id: Uuid,
    pub applicant_name: String,
    pub status: String,
    pub claimed_by: Option<Uuid>,
    pub claimed_by_name: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// What to show of the queue.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub status: Option<String>,
    pub service_code: Option<String>,
    pub claimed_by: Option<Uuid>,
    /// Only requests past their due time at `now`.
    pub overdue_at: Option<DateTime<Utc>>,
}

/// Open requests (or those of one status) by due time; paused ones last.
pub async fn queue_page(
    pool: &PgPool,
    filter: &QueueFilter,
    after: Option<(Option<DateTime<Utc>>, Uuid)>,
    limit: i64,
) -> Result<Vec<QueueRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT q.request_id, q.number, q.service_code, q.service_name, q.account_id, q.applicant_name, q.status,
                q.claimed_by, s.display_name AS claimed_by_name, q.submitted_at, q.due_at, q.closed_at
           FROM work_queue q LEFT JOIN staff_directory s ON s.staff_id = q.claimed_by
          WHERE ($1::text IS NULL AND q.closed_at IS NULL OR q.status = $1)
            AND ($2::text IS NULL OR q.service_code = $2)
            AND ($3::uuid IS NULL OR q.claimed_by = $3)
            AND ($4::timestamptz IS NULL OR q.due_at < $4)
            AND ($6::uuid IS NULL
                 OR (coalesce(q.due_at, 'infinity'), q.request_id) > (coalesce($5::timestamptz, 'infinity'), $6))
          ORDER BY coalesce(q.due_at, 'infinity'), q.request_id
          LIMIT $7",
    )
    .bind(&filter.status)
    .bind(&filter.service_code)
    .bind(filter.claimed_by)
    .bind(filter.overdue_at)
    .bind(after.and_then(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// The request id of a receipt number.
pub async fn request_id_by_number(pool: &PgPool, number: &str) -> Result<Option<Uuid>, Error> {
    Ok(sqlx::query_scalar("SELECT request_id FROM status_board WHERE number = $1")
        .bind(number)
        .fetch_optional(pool)
        .await?)
}

/// Open requests per status.
pub async fn queue_counts(pool: &PgPool) -> Result<Vec<(String, i64)>, Error> {
    Ok(sqlx::query_as(
        "SELECT status, count(*) FROM work_queue WHERE closed_at IS NULL GROUP BY status ORDER BY status",
    )
    .fetch_all(pool)
    .await?)
}
