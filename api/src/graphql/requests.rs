//! Service requests: the resident's submission and status board, the staff work queue and the
//! steps of processing.

use std::collections::BTreeMap;

use async_graphql::connection::{Connection, Edge, query};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use commands::requests::{DocumentUpload, SubmissionForm};
use domain::staff::{Permission, StaffId};
use futures::{Stream, StreamExt};
use projections::office_calendar::OutageRow;
use projections::service_requests::{BoardRow, QueueFilter};
use uuid::Uuid;

use super::paging::{Page, PageSize, decode_time_cursor, decode_timed_cursor, encode_time_cursor};
use super::resident::RequireResident;
use super::{Require, parse_uuid, request, shared, staff_metadata, staff_session};
use crate::error::ApiError;

/// Where a request stands: `domain::request::RequestStatus` itself (the conversions both ways
/// are generated, so the GraphQL enum cannot drift from the domain's).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "domain::request::RequestStatus")]
pub enum RequestStatus {
    Submitted,
    InReview,
    AwaitingReupload,
    Completed,
    ReadyForPickup,
    Collected,
    Rejected,
    Cancelled,
}

impl RequestStatus {
    fn domain(self) -> domain::request::RequestStatus {
        self.into()
    }

    /// Still with the office or the resident (not finished, withdrawn or collected).
    fn is_open(self) -> bool {
        !self.domain().is_closed()
    }
}

/// A document the resident must upload again.
#[derive(SimpleObject, Clone)]
pub struct ReuploadItem {
    document_code: String,
    label: String,
    reason: String,
    answered: bool,
}

/// Where and from when a card can be collected.
#[derive(SimpleObject, Clone)]
pub struct PickupNotice {
    place: String,
    available_from: DateTime<Utc>,
    message: String,
}

/// One request on the resident's status board.
#[derive(SimpleObject, Clone)]
pub struct StatusBoardEntry {
    request_id: ID,
    number: String,
    service_code: String,
    service_name: String,
    status: RequestStatus,
    status_label: String,
    submitted_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// Pending items while the status is AWAITING_REUPLOAD.
    reupload_items: Vec<ReuploadItem>,
    /// `/files/{id}` of the finished documents.
    download_urls: Vec<String>,
    pickup: Option<PickupNotice>,
    /// For downloadable documents: they may also be printed at the kecamatan or the Dinas.
    print_note: Option<String>,
    rejection_reason: Option<String>,
    /// `/receipts/{id}`: the submission's receipt (PDF) with its QR code; absent for requests
    /// submitted before receipts existed.
    receipt_url: Option<String>,
    /// While an outage declared in the office calendar lasts, on every open request: the
    /// office cannot process it and its SLA clock is stopped ("Layanan terganggu: …").
    notice: Option<String>,
}

const PRINT_NOTE: &str = "Dokumen dapat diunduh pada kolom Download, atau dicetakkan di kantor kecamatan sesuai domisili \
     maupun langsung di Dinas Dukcapil.";

/// The notice an open request shows during an outage.
fn outage_notice(outage: &OutageRow) -> String {
    let reason = outage.reason.trim().trim_end_matches(['.', ',', ';', ' ']);
    format!("Layanan terganggu: {reason}, waktu proses dihentikan sementara.")
}

impl StatusBoardEntry {
    /// The entry of a board row, with the outage in progress (if any).
    fn new(row: BoardRow, outage: Option<&OutageRow>) -> Self {
        let status = RequestStatus::from(row.status);
        let notice = outage.filter(|_| status.is_open()).map(outage_notice);
        let reupload_items = row
            .reupload_items
            .items
            .iter()
            .map(|item| ReuploadItem {
                label: row.reupload_items.label(&item.code).to_owned(),
                reason: item.reason.clone(),
                answered: item.answered,
                document_code: item.code.clone(),
            })
            .collect();
        let download_urls = row.result_files.iter().map(|f| format!("/files/{f}")).collect();
        let pickup = match (row.pickup_place, row.pickup_from) {
            (Some(place), Some(from)) => Some(PickupNotice {
                message: format!(
                    "Dokumen Anda sudah selesai dan dapat diambil di {place} mulai {} pada hari dan jam kerja.",
                    domain::working_time::format_wib(from)
                ),
                place,
                available_from: from,
            }),
            _ => None,
        };
        Self {
            request_id: ID(row.request_id.to_string()),
            number: row.number,
            service_code: row.service_code,
            service_name: row.service_name,
            status,
            status_label: status.domain().resident_label().to_owned(),
            submitted_at: row.submitted_at,
            updated_at: row.updated_at,
            reupload_items,
            download_urls,
            pickup,
            print_note: (row.outcome == domain::catalogue::Outcome::Download).then(|| PRINT_NOTE.to_owned()),
            rejection_reason: row.rejection_reason,
            receipt_url: row.receipt_code.is_some().then(|| format!("/receipts/{}", row.request_id)),
            notice,
        }
    }
}

/// A form field value.
#[derive(InputObject)]
pub struct FieldValueInput {
    name: String,
    value: String,
}

/// A document of a form: its catalogue code and the id `POST /uploads` returned (null or
/// blank: not sent, answered `DOCUMENT_REQUIRED`).
#[derive(InputObject)]
pub struct DocumentUploadInput {
    code: String,
    upload_id: Option<ID>,
}

impl From<DocumentUploadInput> for DocumentUpload {
    fn from(d: DocumentUploadInput) -> Self {
        Self { code: d.code, upload_id: d.upload_id.map(|id| id.0) }
    }
}

/// A service request form.
#[derive(InputObject)]
pub struct SubmitServiceRequestInput {
    service_code: String,
    fields: Vec<FieldValueInput>,
    documents: Vec<DocumentUploadInput>,
    /// Chosen by the client (e.g. a UUID); retrying with the same key never submits twice.
    idempotency_key: String,
}

/// What "Pengajuan berhasil dikirim" shows.
#[derive(SimpleObject)]
pub struct SubmissionReceipt {
    request_id: ID,
    number: String,
    service_name: String,
    submitted_at: DateTime<Utc>,
    message: String,
}

/// A document to upload again and why.
#[derive(InputObject)]
pub struct ReuploadItemInput {
    document_code: String,
    reason: String,
}

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

/// A change to a request (for subscriptions).
#[derive(SimpleObject, Clone)]
pub struct WorkQueueChange {
    /// Null when the calendar moved and due times may have changed everywhere.
    request_id: Option<ID>,
}

/// The form's values by field name. A name sent twice is refused rather than letting one value
/// silently win.
fn field_map(fields: Vec<FieldValueInput>) -> Result<BTreeMap<String, String>, ApiError> {
    let mut values = BTreeMap::new();
    let mut repeated: Vec<commands::FieldError> = Vec::new();
    for FieldValueInput { name, value } in fields {
        if values.contains_key(&name) {
            if !repeated.iter().any(|e| e.label == name) {
                repeated.push(commands::FieldError {
                    field: format!("fields.{name}"),
                    message: format!("Isian '{name}' dikirim lebih dari sekali."),
                    label: name,
                    code: "DUPLICATE_FIELD",
                });
            }
            continue;
        }
        values.insert(name, value);
    }
    if repeated.is_empty() { Ok(values) } else { Err(commands::Error::InvalidFields(repeated).into()) }
}

fn resident(ctx: &Context<'_>) -> Result<Uuid, ApiError> {
    let session = request(ctx)?.session.as_ref().ok_or_else(ApiError::unauthenticated)?;
    if session.subject_kind == commands::SubjectKind::Resident {
        Ok(session.subject_id)
    } else {
        Err(ApiError::residents_only())
    }
}

fn resident_metadata(ctx: &Context<'_>) -> Result<domain::CommandMetadata, ApiError> {
    Ok(request(ctx)?.metadata(domain::Actor::Resident(domain::account::AccountId(resident(ctx)?))))
}

fn me_as_staff(ctx: &Context<'_>) -> Result<StaffId, ApiError> {
    Ok(StaffId(staff_session(ctx)?.0.subject_id))
}

#[derive(Default)]
pub struct RequestQuery;

#[Object]
impl RequestQuery {
    /// The resident's status board, newest first.
    #[graphql(guard = "RequireResident")]
    async fn my_requests(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, StatusBoardEntry>> {
        let account = resident(ctx)?;
        let pool = shared(ctx)?.pool.clone();
        let outage = projections::office_calendar::current_outage(&pool).await.map_err(ApiError::from)?;
        query(after, None, first, None, |after: Option<String>, _: Option<String>, first, _| async move {
            let cursor = after.as_deref().map(decode_timed_cursor).transpose()?;
            let page = PageSize::STANDARD
                .fetch(first, |limit| projections::service_requests::board_page(&pool, account, cursor, limit))
                .await?;
            let mut connection = Connection::new(after.is_some(), page.has_next);
            connection.edges.extend(page.rows.into_iter().map(|row| {
                let cursor = encode_time_cursor(Some(row.submitted_at), row.request_id);
                Edge::new(cursor, StatusBoardEntry::new(row, outage.as_ref()))
            }));
            Ok::<_, async_graphql::Error>(connection)
        })
        .await
    }

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
                .fetch(first, |limit| projections::service_requests::queue_page(&pool, &filter, cursor, limit))
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
            super::audit::log_unmasked(ctx, "serviceRequest", &format!("ServiceRequest:{id}")).await?;
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

#[derive(Default)]
pub struct RequestMutation;

#[Object]
impl RequestMutation {
    /// Submits a request ("Kirim"). The same idempotency key returns the same request.
    #[graphql(guard = "RequireResident")]
    async fn submit_service_request(
        &self,
        ctx: &Context<'_>,
        input: SubmitServiceRequestInput,
    ) -> Result<SubmissionReceipt, ApiError> {
        let account = resident(ctx)?;
        let form = SubmissionForm {
            service_code: input.service_code,
            fields: field_map(input.fields)?,
            documents: input.documents.into_iter().map(Into::into).collect(),
            idempotency_key: input.idempotency_key,
        };
        let request = shared(ctx)?.commands.requests.submit(account, form, &resident_metadata(ctx)?).await?;
        let submitted = request.submitted().ok_or_else(|| ApiError::internal("submitted request without data"))?;
        Ok(SubmissionReceipt {
            request_id: ID(submitted.request_id.to_string()),
            number: submitted.number.as_str().to_owned(),
            service_name: submitted.service_name.clone(),
            submitted_at: submitted.submitted_at,
            message: format!(
                "Pengajuan berhasil dikirim dengan nomor {}. Pengajuan akan diproses paling lambat 1×24 jam pada hari dan jam \
                 kerja. Pantau statusnya di Beranda Status Pengajuan.",
                submitted.number.as_str()
            ),
        })
    }

    /// Answers re-upload items with new uploads; when all are answered the request is back in the queue.
    #[graphql(guard = "RequireResident")]
    async fn reupload_documents(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        documents: Vec<DocumentUploadInput>,
    ) -> Result<RequestStatus, ApiError> {
        let account = resident(ctx)?;
        let documents: Vec<DocumentUpload> = documents.into_iter().map(Into::into).collect();
        let request = shared(ctx)?
            .commands
            .requests
            .reupload(parse_uuid(&request_id)?, account, &documents, &resident_metadata(ctx)?)
            .await?;
        status_of(&request)
    }

    /// Withdraws a request that is not finished.
    #[graphql(guard = "RequireResident")]
    async fn cancel_request(&self, ctx: &Context<'_>, request_id: ID) -> Result<RequestStatus, ApiError> {
        let account = resident(ctx)?;
        let request =
            shared(ctx)?.commands.requests.cancel(parse_uuid(&request_id)?, account, &resident_metadata(ctx)?).await?;
        status_of(&request)
    }

    /// Takes a request to work on it; only one operator at a time (`REQUEST_ALREADY_CLAIMED`).
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn claim_request(&self, ctx: &Context<'_>, request_id: ID) -> Result<RequestStatus, ApiError> {
        let request = shared(ctx)?
            .commands
            .requests
            .claim(parse_uuid(&request_id)?, me_as_staff(ctx)?, &staff_metadata(ctx)?)
            .await?;
        status_of(&request)
    }

    /// Puts a claimed request back in the queue.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn release_request(&self, ctx: &Context<'_>, request_id: ID) -> Result<RequestStatus, ApiError> {
        let request = shared(ctx)?
            .commands
            .requests
            .release(parse_uuid(&request_id)?, me_as_staff(ctx)?, &staff_metadata(ctx)?)
            .await?;
        status_of(&request)
    }

    /// Gives a request to another operator (supervisors).
    #[graphql(guard = "Require(Permission::SuperviseQueue)")]
    async fn reassign_request(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        staff_id: ID,
    ) -> Result<RequestStatus, ApiError> {
        let to = StaffId(parse_uuid(&staff_id)?);
        let request =
            shared(ctx)?.commands.requests.reassign(parse_uuid(&request_id)?, to, &staff_metadata(ctx)?).await?;
        status_of(&request)
    }

    /// Asks the resident to upload documents again, each with a reason; the service clock pauses.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn demand_reupload(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        items: Vec<ReuploadItemInput>,
    ) -> Result<RequestStatus, ApiError> {
        let items: Vec<(String, String)> = items.into_iter().map(|i| (i.document_code, i.reason)).collect();
        let request = shared(ctx)?
            .commands
            .requests
            .demand_reupload(parse_uuid(&request_id)?, me_as_staff(ctx)?, &items, &staff_metadata(ctx)?)
            .await?;
        status_of(&request)
    }

    /// Completes a download service with the signed PDF(s) (uploaded with `POST /uploads`); none
    /// is answered `DOCUMENT_REQUIRED` on `uploadIds`.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn complete_request(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        #[graphql(default)] upload_ids: Vec<ID>,
    ) -> Result<RequestStatus, ApiError> {
        let ids: Vec<String> = upload_ids.into_iter().map(|i| i.0).collect();
        let request = shared(ctx)?
            .commands
            .requests
            .complete(parse_uuid(&request_id)?, me_as_staff(ctx)?, &ids, &staff_metadata(ctx)?)
            .await?;
        status_of(&request)
    }

    /// For KTP-el and KIA: the card can be collected at `place` from `availableFrom`.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn mark_ready_for_pickup(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        place: String,
        available_from: DateTime<Utc>,
    ) -> Result<RequestStatus, ApiError> {
        let request = shared(ctx)?
            .commands
            .requests
            .mark_ready_for_pickup(
                parse_uuid(&request_id)?,
                me_as_staff(ctx)?,
                &place,
                available_from,
                &staff_metadata(ctx)?,
            )
            .await?;
        status_of(&request)
    }

    /// The resident collected the card.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn mark_collected(&self, ctx: &Context<'_>, request_id: ID) -> Result<RequestStatus, ApiError> {
        let request = shared(ctx)?
            .commands
            .requests
            .mark_collected(parse_uuid(&request_id)?, me_as_staff(ctx)?, &staff_metadata(ctx)?)
            .await?;
        status_of(&request)
    }

    /// Refuses a claimed request with a reason the resident sees.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn reject_request(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        reason: String,
    ) -> Result<RequestStatus, ApiError> {
        let request = shared(ctx)?
            .commands
            .requests
            .reject(parse_uuid(&request_id)?, me_as_staff(ctx)?, &reason, &staff_metadata(ctx)?)
            .await?;
        status_of(&request)
    }
}

/// The status of a request a command just acted on (always submitted by then).
fn status_of(request: &domain::request::ServiceRequest) -> Result<RequestStatus, ApiError> {
    request.status().map(Into::into).ok_or_else(|| ApiError::internal("a request without a status after a command"))
}

/// Change notifications from the projector (through PostgreSQL NOTIFY, so every API
/// instance hears them, whichever runs the projector).
#[derive(Debug, Clone, Copy)]
pub struct RequestChanged {
    pub request_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
}

/// The broadcast every subscription listens to.
pub type ChangeFeed = tokio::sync::broadcast::Sender<RequestChanged>;

#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// The signed-in resident's status board entries, pushed whenever one changes; after a
    /// change of the office calendar (an outage declared or ended), every open one.
    #[graphql(guard = "RequireResident")]
    async fn my_request_updates(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = StatusBoardEntry>, ApiError> {
        let account = resident(ctx)?;
        let pool = shared(ctx)?.pool.clone();
        let feed = ctx.data::<ChangeFeed>().map_err(|e| ApiError::internal(e.message))?.subscribe();
        Ok(tokio_stream_from(feed)
            .then(move |change| {
                let pool = pool.clone();
                async move { changed_entries(&pool, account, change).await.unwrap_or_default() }
            })
            .flat_map(futures::stream::iter))
    }

    /// Any change to the work queue (a request, or the calendar that moves due times).
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn work_queue_changed(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = WorkQueueChange>, ApiError> {
        let feed = ctx.data::<ChangeFeed>().map_err(|e| ApiError::internal(e.message))?.subscribe();
        Ok(tokio_stream_from(feed)
            .map(|change| WorkQueueChange { request_id: change.request_id.map(|id| ID(id.to_string())) }))
    }
}

/// What one change means for a resident's board: the changed request if it is theirs; after a
/// calendar change, their open requests (whose outage notice may have come or gone).
async fn changed_entries(
    pool: &sqlx::PgPool,
    account: Uuid,
    change: RequestChanged,
) -> Result<Vec<StatusBoardEntry>, projections::Error> {
    let rows = match change.request_id {
        Some(id) if change.account_id == Some(account) => {
            projections::service_requests::board_row(pool, id).await?.into_iter().collect()
        }
        Some(_) => return Ok(Vec::new()),
        None => projections::service_requests::board_page(pool, account, None, PageSize::STANDARD.max as i64).await?,
    };
    let outage = projections::office_calendar::current_outage(pool).await?;
    let entries = rows.into_iter().map(|row| StatusBoardEntry::new(row, outage.as_ref()));
    Ok(match change.request_id {
        Some(_) => entries.collect(),
        None => entries.filter(|e| e.status.is_open()).collect(),
    })
}

/// A stream of broadcast messages; a lagging subscriber skips what it missed.
fn tokio_stream_from(receiver: tokio::sync::broadcast::Receiver<RequestChanged>) -> impl Stream<Item = RequestChanged> {
    use tokio::sync::broadcast::error::RecvError;
    futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(change) => return Some((change, receiver)),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    })
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
