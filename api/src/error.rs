//! The one error type of the edge: a stable code for `extensions.code` and an Indonesian
//! message. Internal failures are logged in full and shown as a generic message.

use async_graphql::ErrorExtensions;
use domain::ErrorCode;

/// A user-facing error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    /// An error with a code and an Indonesian message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// No valid session.
    pub fn unauthenticated() -> Self {
        Self::new("UNAUTHENTICATED", "Silakan masuk (login) terlebih dahulu.")
    }

    /// Signed in, but the role does not allow this.
    pub fn forbidden() -> Self {
        Self::new("FORBIDDEN", "Anda tidak memiliki hak akses untuk tindakan ini.")
    }

    /// Something broke on our side; the details are in the log.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new("INTERNAL_ERROR", "Terjadi kesalahan pada sistem. Silakan coba beberapa saat lagi.")
    }

    /// A malformed id argument.
    pub fn invalid_id() -> Self {
        Self::new("INVALID_ID", "Format ID tidak valid.")
    }
}

impl From<commands::Error> for ApiError {
    fn from(error: commands::Error) -> Self {
        match error {
            commands::Error::Internal(detail) => Self::internal(detail),
            other => Self::new(other.code(), other.to_string()),
        }
    }
}

impl From<projections::Error> for ApiError {
    fn from(error: projections::Error) -> Self {
        Self::internal(error)
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let code = error.code;
        async_graphql::Error::new(error.message).extend_with(|_, ext| ext.set("code", code))
    }
}

/// Gives every error of a GraphQL response a code: ours already have one; parse, validation
/// and limit errors raised by async-graphql itself get `GRAPHQL_VALIDATION_FAILED`.
pub fn ensure_codes(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let has_code = error.extensions.as_ref().is_some_and(|ext| ext.get("code").is_some());
        if !has_code {
            let mut ext = error.extensions.take().unwrap_or_default();
            ext.set("code", "GRAPHQL_VALIDATION_FAILED");
            error.extensions = Some(ext);
        }
    }
}
