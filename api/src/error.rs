//! The one error type of the edge: a stable code for `extensions.code` and an Indonesian
//! message. Internal failures are logged in full and shown as a generic message.

use async_graphql::ErrorExtensions;
use domain::ErrorCode;

/// A user-facing error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
    /// Per-field errors of a form (`extensions.fields`), all reported at once.
    pub fields: Vec<commands::FieldError>,
}

impl ApiError {
    /// An error with a code and an Indonesian message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), fields: Vec::new() }
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
            commands::Error::InvalidFields(fields) => {
                let message = commands::Error::InvalidFields(fields.clone()).to_string();
                Self { code: "INVALID_INPUT", message, fields }
            }
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
        let fields: Vec<async_graphql::Value> = error
            .fields
            .iter()
            .map(|f| {
                let mut field = async_graphql::indexmap::IndexMap::new();
                field.insert(async_graphql::Name::new("field"), async_graphql::Value::from(f.field.clone()));
                field.insert(async_graphql::Name::new("code"), async_graphql::Value::from(f.code));
                field.insert(async_graphql::Name::new("message"), async_graphql::Value::from(f.message.clone()));
                async_graphql::Value::Object(field)
            })
            .collect();
        async_graphql::Error::new(error.message).extend_with(|_, ext| {
            ext.set("code", code);
            if !fields.is_empty() {
                ext.set("fields", async_graphql::Value::List(fields.clone()));
            }
        })
    }
}

/// The code of errors async-graphql raises itself (parse, validation and limit errors).
pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";

/// Gives every error of a GraphQL response a code: ours already have one; parse, validation
/// and limit errors raised by async-graphql itself get `GRAPHQL_VALIDATION_FAILED`, an
/// Indonesian message, and their original English text in `extensions.detail` for developers.
pub fn ensure_codes(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let has_code = error.extensions.as_ref().is_some_and(|ext| ext.get("code").is_some());
        if !has_code {
            let message = graphql_message(&error.message);
            let detail = std::mem::replace(&mut error.message, message);
            let mut ext = error.extensions.take().unwrap_or_default();
            ext.set("code", GRAPHQL_VALIDATION_FAILED);
            ext.set("detail", detail);
            error.extensions = Some(ext);
        }
    }
}

/// An Indonesian message for an error async-graphql raised.
fn graphql_message(original: &str) -> String {
    use crate::graphql::{MAX_COMPLEXITY, MAX_DEPTH, MAX_DIRECTIVES};
    if original.starts_with("Query is too complex") {
        format!("Kueri GraphQL terlalu rumit (batas kompleksitas {MAX_COMPLEXITY}).")
    } else if original.starts_with("Query is nested too deep") {
        format!("Kueri GraphQL terlalu dalam (maksimal {MAX_DEPTH} tingkat).")
    } else if original.starts_with("The recursion depth") || original.starts_with("recursion limit exceeded") {
        "Kueri GraphQL terlalu dalam: terlalu banyak tingkat bersarang atau fragmen.".to_owned()
    } else if original.starts_with("The number of directives") {
        format!("Terlalu banyak direktif pada satu isian (maksimal {MAX_DIRECTIVES}).")
    } else {
        "Permintaan GraphQL tidak valid. Periksa kueri dan variabelnya.".to_owned()
    }
}
