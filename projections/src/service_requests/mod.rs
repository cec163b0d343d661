//! Read models `status_board` (the resident's view) and `work_queue` (the staff queue with SLA
//! due times), and the SLA clock's own copy of the office calendar.

mod fold;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use commands::vault::Field;
use cqrs_es::Aggregate;
use domain::calendar::{CalendarEvent, OfficeCalendar};
use domain::catalogue::Outcome;
use domain::request::{RequestEvent, RequestStatus, ServiceRequest};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use self::fold::{QueueState, Rows};
use crate::carried::Carried;
use crate::runs::{Piece, pieces};
use crate::sla::{CalendarTables, SlaCalendar};
pub use crate::sla::{SLA, is_late};
use crate::{Context, Error, Mode, Projection, StoredEvent};

/// This projection's copy of the office calendar (see [`crate::sla`]).
const CALENDAR: CalendarTables = CalendarTables { closed_days: "sla_closed_days", outages: "sla_outages" };

/// Channel notified (on commit) whenever a request's rows change: `{"request_id", "account_id"}`.
pub const CHANNEL: &str = "request_changed";

/// Projects request and calendar events.
#[derive(Default)]
pub struct ServiceRequests {
    /// The SLA calendar as the last batch left it.
    calendar: Carried<SlaCalendar>,
}

impl Projection for ServiceRequests {
    fn name(&self) -> &'static str {
        "service_requests"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["status_board", "work_queue", "sla_closed_days", "sla_outages"]
    }

    /// Runs of request events are folded in memory ([`fold`]) and written once; a calendar
    /// event ends a run, since it moves the due time of every open request.
    fn apply_batch<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        events: &'a [StoredEvent],
        cx: Context<'a>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        async move {
            let mut calendar = self.calendar.take(&cx);
            for piece in pieces(events, &[ServiceRequest::TYPE], &[OfficeCalendar::TYPE, ACCOUNT_ERASED]) {
                match piece {
                    Piece::Run(run) => {
                        let calendar = CALENDAR.loaded(conn, &mut calendar).await?;
                        apply_requests(conn, run.decode()?, calendar, cx).await?
                    }
                    Piece::Single(event) if event.aggregate_type == OfficeCalendar::TYPE => {
                        calendar = Some(apply_calendar(conn, event.decode()?, cx).await?)
                    }
                    Piece::Single(event) => erase_applicant(conn, event.aggregate_uuid()?).await?,
                }
            }
            if let Some(calendar) = calendar {
                self.calendar.keep(&cx, calendar);
            }
            Ok(())
        }
        .boxed()
    }
}

async fn apply_requests(
    conn: &mut PgConnection,
    run: Vec<(Uuid, RequestEvent)>,
    calendar: &SlaCalendar,
    cx: Context<'_>,
) -> Result<(), Error> {
    let mut ids: Vec<Uuid> = run.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut rows = load_rows(conn, &ids).await?;
    for (id, event) in run {
        rows.apply(id, event, calendar);
    }
    write_board(conn, rows.board.values(), cx.mode == Mode::Live).await?;
    write_queue(conn, cx.vault, &mut rows.queue).await
}

/// The erasure of a resident (an account event): their name leaves the queue; the requests
/// themselves, their numbers and times stay.
const ACCOUNT_ERASED: &str = "Account/AccountErased";

async fn erase_applicant(conn: &mut PgConnection, account: Uuid) -> Result<(), Error> {
    sqlx::query("UPDATE work_queue SET applicant_name = $2 WHERE account_id = $1")
        .bind(account)
        .bind(domain::privacy::ERASED)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Applies a calendar event and returns the calendar it leaves.
async fn apply_calendar(conn: &mut PgConnection, event: CalendarEvent, cx: Context<'_>) -> Result<SlaCalendar, Error> {
    CALENDAR.apply(conn, &event).await?;
    // The calendar moved: every open request's due time may have moved with it.
    let calendar = CALENDAR.load(conn).await?;
    let open: Vec<QueueState> =
        sqlx::query_as(&format!("SELECT {QUEUE_STATE_COLUMNS} FROM work_queue WHERE closed_at IS NULL"))
            .fetch_all(&mut *conn)
            .await?;
    let mut rows = Rows { queue: open.into_iter().map(|q| (q.request_id, q)).collect(), ..Rows::default() };
    rows.recompute_all(&calendar);
    write_queue(conn, cx.vault, &mut rows.queue).await?;
    if cx.mode == Mode::Live {
        sqlx::query("SELECT pg_notify($1, '{}')").bind(CHANNEL).execute(&mut *conn).await?;
    }
    Ok(calendar)
}

const QUEUE_STATE_COLUMNS: &str = "request_id, number, service_code, service_name, account_id, applicant_name, status, \
     claimed_by, submitted_at, pauses, due_at, closed_at, updated_at";

/// The board and queue rows of `ids` that exist.
async fn load_rows(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Rows, Error> {
    let board: Vec<BoardRow> =
        sqlx::query_as(&format!("SELECT {BOARD_COLUMNS} FROM status_board WHERE request_id = ANY($1)"))
            .bind(ids)
            .fetch_all(&mut *conn)
            .await?;
    let queue: Vec<QueueState> =
        sqlx::query_as(&format!("SELECT {QUEUE_STATE_COLUMNS} FROM work_queue WHERE request_id = ANY($1)"))
            .bind(ids)
            .fetch_all(&mut *conn)
            .await?;
    Ok(Rows {
        board: board.into_iter().map(|b| (b.request_id, b)).collect(),
        queue: queue.into_iter().map(|q| (q.request_id, q)).collect(),
    })
}

/// Inserts or overwrites board rows, all in one statement; with `notify`, the statement also
/// notifies [`CHANNEL`] of each row.
async fn write_board<'r>(
    conn: &mut PgConnection,
    rows: impl ExactSizeIterator<Item = &'r BoardRow>,
    notify: bool,
) -> Result<(), Error> {
    let n = rows.len();
    if n == 0 {
        return Ok(());
    }
    let mut request_id = Vec::with_capacity(n);
    let mut account_id = Vec::with_capacity(n);
    let mut number = Vec::with_capacity(n);
    let mut service_code = Vec::with_capacity(n);
    let mut service_name = Vec::with_capacity(n);
    let mut outcome = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    let mut submitted_at = Vec::with_capacity(n);
    let mut updated_at = Vec::with_capacity(n);
    let mut reupload_items = Vec::with_capacity(n);
    let mut result_files = Vec::with_capacity(n);
    let mut pickup_place = Vec::with_capacity(n);
    let mut pickup_from = Vec::with_capacity(n);
    let mut collected_at = Vec::with_capacity(n);
    let mut rejection_reason = Vec::with_capacity(n);
    let mut receipt_code = Vec::with_capacity(n);
    for r in rows {
        request_id.push(r.request_id);
        account_id.push(r.account_id);
        number.push(r.number.as_str());
        service_code.push(r.service_code.as_str());
        service_name.push(r.service_name.as_str());
        outcome.push(r.outcome.as_str());
        status.push(r.status.as_str());
        submitted_at.push(r.submitted_at);
        updated_at.push(r.updated_at);
        reupload_items.push(Json(&r.reupload_items));
        result_files.push(Json(&r.result_files));
        pickup_place.push(r.pickup_place.as_deref());
        pickup_from.push(r.pickup_from);
        collected_at.push(r.collected_at);
        rejection_reason.push(r.rejection_reason.as_deref());
        receipt_code.push(r.receipt_code.as_deref());
    }
    let upsert = format!(
        "INSERT INTO status_board ({BOARD_COLUMNS})
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                              $8::timestamptz[], $9::timestamptz[], $10::jsonb[], $11::jsonb[], $12::text[],
                              $13::timestamptz[], $14::timestamptz[], $15::text[], $16::text[])
         ON CONFLICT (request_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at,
             reupload_items = EXCLUDED.reupload_items, result_files = EXCLUDED.result_files,
             pickup_place = EXCLUDED.pickup_place, pickup_from = EXCLUDED.pickup_from,
             collected_at = EXCLUDED.collected_at, rejection_reason = EXCLUDED.rejection_reason"
    );
    // Live, the same statement tells the listeners (on commit) which rows changed.
    let sql = if notify {
        format!(
            "WITH written AS ({upsert} RETURNING request_id, account_id)
             SELECT count(pg_notify('{CHANNEL}', json_build_object('request_id', request_id,
                                                                   'account_id', account_id)::text))
               FROM written"
        )
    } else {
        upsert
    };
    sqlx::query(&sql)
        .bind(request_id)
        .bind(account_id)
        .bind(number)
        .bind(service_code)
        .bind(service_name)
        .bind(outcome)
        .bind(status)
        .bind(submitted_at)
        .bind(updated_at)
        .bind(reupload_items)
        .bind(result_files)
        .bind(pickup_place)
        .bind(pickup_from)
        .bind(collected_at)
        .bind(rejection_reason)
        .bind(receipt_code)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Inserts or overwrites queue rows, all in one statement, the applicants' names sealed.
async fn write_queue(
    conn: &mut PgConnection,
    vault: &commands::Vault,
    queue: &mut std::collections::HashMap<Uuid, QueueState>,
) -> Result<(), Error> {
    if queue.is_empty() {
        return Ok(());
    }
    let names = queue.values_mut().map(|q| (q.account_id, Field::Name, &mut q.applicant_name)).collect();
    vault.seal_personal(names).await?;
    let rows = queue.values();
    let mut request_id = Vec::new();
    let mut number = Vec::new();
    let mut service_code = Vec::new();
    let mut service_name = Vec::new();
    let mut account_id = Vec::new();
    let mut applicant_name = Vec::new();
    let mut status = Vec::new();
    let mut claimed_by = Vec::new();
    let mut submitted_at = Vec::new();
    let mut pauses = Vec::new();
    let mut due_at = Vec::new();
    let mut closed_at = Vec::new();
    let mut updated_at = Vec::new();
    for r in rows {
        request_id.push(r.request_id);
        number.push(r.number.clone());
        service_code.push(r.service_code.clone());
        service_name.push(r.service_name.clone());
        account_id.push(r.account_id);
        applicant_name.push(r.applicant_name.as_str());
        status.push(r.status.as_str());
        claimed_by.push(r.claimed_by);
        submitted_at.push(r.submitted_at);
        pauses.push(Json(&r.pauses));
        due_at.push(r.due_at);
        closed_at.push(r.closed_at);
        updated_at.push(r.updated_at);
    }
    sqlx::query(&format!(
        "INSERT INTO work_queue ({QUEUE_STATE_COLUMNS})
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[],
                              $8::uuid[], $9::timestamptz[], $10::jsonb[], $11::timestamptz[], $12::timestamptz[],
                              $13::timestamptz[])
         ON CONFLICT (request_id) DO UPDATE SET status = EXCLUDED.status, claimed_by = EXCLUDED.claimed_by,
             pauses = EXCLUDED.pauses, due_at = EXCLUDED.due_at, closed_at = EXCLUDED.closed_at,
             updated_at = EXCLUDED.updated_at"
    ))
    .bind(request_id)
    .bind(number)
    .bind(service_code)
    .bind(service_name)
    .bind(account_id)
    .bind(applicant_name)
    .bind(status)
    .bind(claimed_by)
    .bind(submitted_at)
    .bind(pauses)
    .bind(due_at)
    .bind(closed_at)
    .bind(updated_at)
    .execute(&mut *conn)
    .await?;
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
    #[sqlx(try_from = "String")]
    pub outcome: Outcome,
    #[sqlx(try_from = "String")]
    pub status: RequestStatus,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[sqlx(json)]
    pub reupload_items: Reupload,
    /// The finished documents (`RequestCompleted`'s files), in the order the officer sent them.
    #[sqlx(json)]
    pub result_files: Vec<Uuid>,
    pub pickup_place: Option<String>,
    pub pickup_from: Option<DateTime<Utc>>,
    pub collected_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
    /// The code on the submission's receipt (none before receipts existed).
    pub receipt_code: Option<String>,
}

/// The board's `reupload_items` column: the names of the request's documents (from the
/// submission, to name an item the officer asks for) and the items of the round in progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reupload {
    /// Label by document code ("KARTU_KELUARGA" → "Kartu Keluarga").
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Empty outside a re-upload round.
    #[serde(default)]
    pub items: Vec<ReuploadEntry>,
}

/// A document the officer asked for again, and whether the resident has sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReuploadEntry {
    pub code: String,
    pub reason: String,
    #[serde(default)]
    pub answered: bool,
}

impl Reupload {
    /// The label of a document code, the code itself for one the submission did not list.
    pub fn label<'a>(&'a self, code: &'a str) -> &'a str {
        self.labels.get(code).map_or(code, String::as_str)
    }
}

const BOARD_COLUMNS: &str = "request_id, account_id, number, service_code, service_name, outcome, status, submitted_at, \
     updated_at, reupload_items, result_files, pickup_place, pickup_from, collected_at, rejection_reason, receipt_code";

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

/// What a receipt's verification may show: the board row and the applicant's name (to be
/// masked by the caller), found by the receipt's code.
pub async fn by_receipt_code(
    pool: &PgPool,
    vault: &commands::Vault,
    code: &str,
) -> Result<Option<(BoardRow, String)>, Error> {
    let row: Option<BoardRow> =
        sqlx::query_as(&format!("SELECT {BOARD_COLUMNS} FROM status_board WHERE receipt_code = $1"))
            .bind(code)
            .fetch_optional(pool)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let name: Option<String> = sqlx::query_scalar("SELECT applicant_name FROM work_queue WHERE request_id = $1")
        .bind(row.request_id)
        .fetch_optional(pool)
        .await?;
    let mut name = name.unwrap_or_default();
    vault.open_personal(vec![(row.account_id, Field::Name, &mut name)]).await?;
    Ok(Some((row, name)))
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
    #[sqlx(try_from = "String")]
    pub status: RequestStatus,
    pub claimed_by: Option<Uuid>,
    pub claimed_by_name: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// What to show of the queue.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub status: Option<RequestStatus>,
    pub service_code: Option<String>,
    pub claimed_by: Option<Uuid>,
    /// Only requests past their due time at `now`.
    pub overdue_at: Option<DateTime<Utc>>,
}

/// Open requests (or those of one status) by due time; paused ones last.
///
/// The SQL is assembled from the filters actually given, ordered exactly as the
/// `work_queue_due` / `work_queue_status` / `work_queue_claimed` indexes are, so the first page
/// reads 20 index entries instead of sorting the whole queue (`$n IS NULL OR …` and
/// `coalesce(due_at, …)` defeated the indexes).
pub async fn queue_page(
    pool: &PgPool,
    vault: &commands::Vault,
    filter: &QueueFilter,
    after: Option<(Option<DateTime<Utc>>, Uuid)>,
    limit: i64,
) -> Result<Vec<QueueRow>, Error> {
    let mut sql = QueryBuilder::<Postgres>::new(
        "SELECT q.request_id, q.number, q.service_code, q.service_name, q.account_id, q.applicant_name, q.status,
                q.claimed_by, s.display_name AS claimed_by_name, q.submitted_at, q.due_at, q.closed_at
           FROM work_queue q LEFT JOIN staff_directory s ON s.staff_id = q.claimed_by WHERE ",
    );
    match &filter.status {
        Some(status) => sql.push("q.status = ").push_bind(status.as_str()),
        None => sql.push("q.closed_at IS NULL"),
    };
    if let Some(code) = &filter.service_code {
        sql.push(" AND q.service_code = ").push_bind(code.clone());
    }
    if let Some(staff) = filter.claimed_by {
        sql.push(" AND q.claimed_by = ").push_bind(staff);
    }
    if let Some(now) = filter.overdue_at {
        sql.push(" AND q.due_at < ").push_bind(now);
    }
    match after {
        Some((Some(due), id)) => {
            sql.push(" AND (q.due_at > ").push_bind(due);
            sql.push(" OR q.due_at = ").push_bind(due).push(" AND q.request_id > ").push_bind(id);
            sql.push(" OR q.due_at IS NULL)");
        }
        Some((None, id)) => {
            sql.push(" AND q.due_at IS NULL AND q.request_id > ").push_bind(id);
        }
        None => {}
    }
    sql.push(" ORDER BY q.due_at NULLS LAST, q.request_id LIMIT ").push_bind(limit);
    let mut rows: Vec<QueueRow> = sql.build_query_as().fetch_all(pool).await?;
    let names = rows.iter_mut().map(|r| (r.account_id, Field::Name, &mut r.applicant_name)).collect();
    vault.open_personal(names).await?;
    Ok(rows)
}

/// The request id of a receipt number.
pub async fn request_id_by_number(pool: &PgPool, number: &str) -> Result<Option<Uuid>, Error> {
    Ok(sqlx::query_scalar("SELECT request_id FROM status_board WHERE number = $1")
        .bind(number)
        .fetch_optional(pool)
        .await?)
}

/// Open requests past their due time at `now`: the queue's `overdue` filter, counted. The
/// condition is [`is_late`] in SQL (a null due time, a stopped clock, is never late).
pub async fn overdue_count(pool: &PgPool, now: DateTime<Utc>) -> Result<i64, Error> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM work_queue WHERE closed_at IS NULL AND due_at < $1")
        .bind(now)
        .fetch_one(pool)
        .await?)
}

/// Open requests of one service.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ServiceBacklog {
    pub service_code: String,
    /// The name the newest of its open requests was submitted under.
    pub service_name: String,
    pub open: i64,
}

/// Open requests per service, by service code.
pub async fn backlog_by_service(pool: &PgPool) -> Result<Vec<ServiceBacklog>, Error> {
    Ok(sqlx::query_as(
        "SELECT service_code, (array_agg(service_name ORDER BY submitted_at DESC))[1] AS service_name, count(*) AS open
           FROM work_queue WHERE closed_at IS NULL GROUP BY service_code ORDER BY service_code",
    )
    .fetch_all(pool)
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
