//! `POST /uploads` and `GET /files/{id}`: documents in and out, outside GraphQL.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Body;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{ConnectInfo, Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use commands::file_access::OpenedFile;
use commands::files::{UploadError, UploadedBy, Uploader};
use domain::document::Disposition;
use serde_json::json;
use uuid::Uuid;

use super::{AppState, middleware::client_address};
use crate::error::ApiError;

/// A REST error in the same shape as GraphQL errors.
pub fn error_response(status: StatusCode, error: ApiError) -> Response {
    let body = json!({ "errors": [{ "message": error.message, "extensions": { "code": error.code } }] });
    (status, Json(body)).into_response()
}

fn status_of(error: &commands::Error) -> StatusCode {
    match error {
        commands::Error::Upload(UploadError::TooLarge(_)) => StatusCode::PAYLOAD_TOO_LARGE,
        commands::Error::Upload(_) => StatusCode::UNPROCESSABLE_ENTITY,
        commands::Error::UploadTokenInvalid => StatusCode::UNAUTHORIZED,
        commands::Error::UploadRateLimited | commands::Error::UploadQuotaExceeded(_) => StatusCode::TOO_MANY_REQUESTS,
        commands::Error::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
        commands::Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn command_error(error: commands::Error) -> Response {
    let status = status_of(&error);
    error_response(status, ApiError::from(error))
}

/// Accepts one file (multipart field `file`). Authorised by a resident or staff session (with
/// an `X-Requested-With` header, so a cross-site form cannot post) or by an upload token in
/// `X-Upload-Token` (before an account exists).
pub async fn upload(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let address = client_address(&headers, peer, state.forwarded_for);
    let commands = &state.commands;
    let now = commands.clock.now();
    // A body declared too large is refused before anything is read (or a token use is spent);
    // one that only turns out too large is cut off while it streams in.
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > state.upload_body_limit as u64) {
        return command_error(UploadError::TooLarge(commands.files.max_bytes() / (1024 * 1024)).into());
    }
    let size = declared.unwrap_or(state.upload_body_limit as u64);
    let uploader = if let Some(token) = headers.get("x-upload-token").and_then(|v| v.to_str().ok()) {
        // The token first: a made-up or used-up token is refused without touching the address's
        // count, so no one can spend a shared address's uploads without solving captchas.
        let uploader = match commands.upload_tokens.spend(token, now).await {
            Ok(uploader) => uploader,
            Err(e) => return command_error(e),
        };
        let anonymous = Uploader::Anonymous { address: &address };
        if let Err(e) = commands.files.admit_upload(anonymous, size, now).await {
            return command_error(e);
        }
        uploader
    } else {
        match super::session_of(&state, &headers).await {
            Ok(Some(session)) if headers.contains_key("x-requested-with") => {
                let Some(uploader) = session.actor().and_then(UploadedBy::of) else {
                    return error_response(StatusCode::UNAUTHORIZED, ApiError::unauthenticated());
                };
                let account = Uploader::Account { uploaded_by: &uploader };
                if let Err(e) = commands.files.admit_upload(account, size, now).await {
                    return command_error(e);
                }
                uploader
            }
            Ok(Some(_)) => {
                return error_response(
                    StatusCode::FORBIDDEN,
                    ApiError::new("CSRF_REJECTED", "Permintaan ditolak: header X-Requested-With wajib ada."),
                );
            }
            Ok(None) => return error_response(StatusCode::UNAUTHORIZED, ApiError::unauthenticated()),
            Err(e) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, e),
        }
    };
    // Not multipart/form-data (or no boundary): answered like a form without its file.
    let Ok(multipart) = multipart else { return command_error(UploadError::MissingFile.into()) };
    let bytes = match read_single_file(multipart, commands.files.max_bytes()).await {
        Ok(bytes) => bytes,
        Err(e) => return command_error(e.into()),
    };
    match commands.files.store_upload(bytes, &uploader, Some(&address), now).await {
        Ok(file) => (
            StatusCode::CREATED,
            Json(json!({
                "uploadId": file.file_id,
                "contentType": file.content_type,
                "byteSize": file.byte_size,
                "sha256": hex::encode(&file.sha256),
                "attachBefore": file.attach_before,
            })),
        )
            .into_response(),
        Err(e) => command_error(e),
    }
}

/// Reads exactly one `file` field, refusing as soon as it (or the whole body) passes `limit`
/// bytes: nothing beyond the limit is read or kept.
async fn read_single_file(mut multipart: Multipart, limit: u64) -> Result<Vec<u8>, UploadError> {
    let too_large = UploadError::TooLarge(limit / (1024 * 1024));
    // The body limit surfaces as an error of whichever field is being read; anything else is a
    // malformed form.
    let refusal = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large.clone() } else { UploadError::MissingFile }
    };
    let mut file: Option<Vec<u8>> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(refusal)? {
        if field.name() != Some("file") {
            continue;
        }
        if file.is_some() {
            return Err(UploadError::MissingFile);
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(refusal)? {
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(too_large);
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some(bytes);
    }
    file.ok_or(UploadError::MissingFile)
}

/// Serves a stored document to whoever may see it, after recording the view, under its name
/// (`Content-Disposition`): `inline` for viewing, `attachment` with `?download=1`.
pub async fn download(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let not_found =
        || error_response(StatusCode::NOT_FOUND, ApiError::new("FILE_NOT_FOUND", "Berkas tidak ditemukan."));
    let session = match super::session_of(&state, &headers).await {
        Ok(Some(session)) => session,
        Ok(None) => return error_response(StatusCode::UNAUTHORIZED, ApiError::unauthenticated()),
        Err(e) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let Ok(file_id) = Uuid::parse_str(&id) else { return not_found() };
    // A session whose role this build does not know sees nothing, like a missing file.
    let Some(actor) = session.actor() else { return not_found() };
    let address = client_address(&headers, peer, state.forwarded_for);
    // Files one may not see look exactly like files that do not exist.
    let OpenedFile { file, bytes } = match state.commands.open_file(actor, file_id, Some(&address)).await {
        Ok(Some(opened)) => opened,
        Ok(None) => return not_found(),
        Err(e) => return command_error(e),
    };
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&file.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    let disposition = if query.as_deref().is_some_and(|q| q.split('&').any(|pair| pair == "download=1")) {
        Disposition::Attachment
    } else {
        Disposition::Inline
    };
    let extension = file.kind().map_or("bin", |kind| kind.extension());
    let value = HeaderValue::from_str(&file.name().content_disposition(extension, disposition))
        .unwrap_or_else(|_| HeaderValue::from_static("inline"));
    headers.insert(header::CONTENT_DISPOSITION, value);
    response
}
