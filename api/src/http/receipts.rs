//! `GET /receipts/{request id}`: the submission's receipt as a PDF, for the resident who
//! submitted it (anyone else: the same 404 as a request that does not exist).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use commands::SubjectKind;
use domain::document::Disposition;
use uuid::Uuid;

use super::AppState;
use super::files::error_response;
use crate::error::ApiError;
use crate::receipt::Receipt;

pub async fn download(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let not_found = || {
        error_response(StatusCode::NOT_FOUND, ApiError::new("RECEIPT_NOT_FOUND", "Bukti pengajuan tidak ditemukan."))
    };
    let session = match super::session_of(&state, &headers).await {
        Ok(Some(session)) => session,
        Ok(None) => return error_response(StatusCode::UNAUTHORIZED, ApiError::unauthenticated()),
        Err(e) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let Ok(request_id) = Uuid::parse_str(&id) else { return not_found() };
    if session.subject_kind != SubjectKind::Resident {
        return not_found();
    }
    let request = match state.commands.requests.load(request_id).await {
        Ok(request) => request,
        Err(e) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, e.into()),
    };
    let owned = request.submitted().is_some_and(|s| s.account_id.0 == session.subject_id);
    let Some(receipt) = owned.then(|| Receipt::of(&request, &state.public_url)).flatten() else {
        return not_found();
    };
    let disposition = receipt.name().content_disposition("pdf", Disposition::Attachment);
    // Subsetting the fonts is a few milliseconds of CPU: off the async workers.
    let rendered = tokio::task::spawn_blocking(move || receipt.pdf()).await;
    let pdf = match rendered {
        Ok(Ok(pdf)) => pdf,
        Ok(Err(e)) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, ApiError::internal(e)),
        Err(e) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, ApiError::internal(e)),
    };
    let mut response = Body::from(pdf).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
