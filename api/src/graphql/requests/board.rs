//! The resident's screens: the status board ("Status Pengajuan"), the submission form and the
//! answers to a re-upload demand.

use std::collections::BTreeMap;

use async_graphql::connection::{Connection, Edge, query};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use commands::requests::{DocumentUpload, SubmissionForm};
use projections::office_calendar::OutageRow;
use projections::service_requests::BoardRow;

use super::{RequestStatus, resident, resident_metadata, status_of};
use crate::error::ApiError;
use crate::graphql::paging::{PageSize, decode_timed_cursor, encode_time_cursor};
use crate::graphql::resident::RequireResident;
use crate::graphql::{parse_uuid, shared};

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
    pub(super) status: RequestStatus,
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
    /// The last message about this request on each channel, e.g. "Pemberitahuan terkirim via
    /// WhatsApp 02-12-2026 10.32 WIB".
    notifications: Vec<crate::graphql::notifications::NotificationDelivery>,
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
    pub(super) fn new(row: BoardRow, outage: Option<&OutageRow>) -> Self {
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
            notifications: Vec::new(),
        }
    }
}

/// Board entries of `rows`, with what became of each request's messages (one query for all).
pub(super) async fn board_entries(
    pool: &sqlx::PgPool,
    rows: Vec<BoardRow>,
    outage: Option<&OutageRow>,
) -> Result<Vec<StatusBoardEntry>, projections::Error> {
    let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.request_id).collect();
    let deliveries = projections::notifications::outbox::deliveries(pool, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let id = row.request_id;
            let mut entry = StatusBoardEntry::new(row, outage);
            entry.notifications = deliveries
                .iter()
                .filter(|d| d.request_id == id)
                .map(crate::graphql::notifications::NotificationDelivery::from)
                .collect();
            entry
        })
        .collect())
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

/// The resident's board.
#[derive(Default)]
pub struct BoardQuery;

#[Object]
impl BoardQuery {
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
            let cursors: Vec<String> =
                page.rows.iter().map(|row| encode_time_cursor(Some(row.submitted_at), row.request_id)).collect();
            let entries = board_entries(&pool, page.rows, outage.as_ref()).await.map_err(ApiError::from)?;
            let mut connection = Connection::new(after.is_some(), page.has_next);
            connection.edges.extend(cursors.into_iter().zip(entries).map(|(cursor, entry)| Edge::new(cursor, entry)));
            Ok::<_, async_graphql::Error>(connection)
        })
        .await
    }
}

/// What a resident does with a request.
#[derive(Default)]
pub struct BoardMutation;

#[Object]
impl BoardMutation {
    /// Submits a request ("Kirim"). The same idempotency key returns the same request.
    #[graphql(guard = "RequireResident")]
    async fn submit_service_request(
        &self,
        ctx: &Context<'_>,
        input: SubmitServiceRequestInput,
    ) -> Result<SubmissionReceipt, ApiError> {
        let form = SubmissionForm {
            service_code: input.service_code,
            fields: field_map(input.fields)?,
            documents: input.documents.into_iter().map(Into::into).collect(),
            idempotency_key: input.idempotency_key,
        };
        let request = shared(ctx)?.commands.requests.submit(form, &resident_metadata(ctx)?).await?;
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
        let documents: Vec<DocumentUpload> = documents.into_iter().map(Into::into).collect();
        let metadata = resident_metadata(ctx)?;
        let request = shared(ctx)?.commands.requests.reupload(parse_uuid(&request_id)?, &documents, &metadata).await?;
        status_of(&request)
    }

    /// Withdraws a request that is not finished.
    #[graphql(guard = "RequireResident")]
    async fn cancel_request(&self, ctx: &Context<'_>, request_id: ID) -> Result<RequestStatus, ApiError> {
        let metadata = resident_metadata(ctx)?;
        let request = shared(ctx)?.commands.requests.cancel(parse_uuid(&request_id)?, &metadata).await?;
        status_of(&request)
    }
}
