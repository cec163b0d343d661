//! The one error type of the edge: a stable code for `extensions.code` and an Indonesian
//! message. Internal failures are logged in full and shown as a generic message.

use std::sync::Arc;

use async_graphql::ErrorExtensions;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe};
use domain::ErrorCode;
use domain::staff::Permission;
use futures::StreamExt;
use futures::stream::BoxStream;

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

    /// Signed in as staff whose role lacks `permission`: the message names the roles that have
    /// it (the wording lives beside the permission table, [`Permission::refusal`]).
    pub fn lacks(permission: Permission) -> Self {
        Self::new("FORBIDDEN", permission.refusal())
    }

    /// Signed in as a resident where only staff may go.
    pub fn staff_only() -> Self {
        Self::new("FORBIDDEN", "Hanya petugas yang dapat melakukan tindakan ini, melalui Konsol Petugas.")
    }

    /// Signed in as staff where only a resident may go (their own account and requests).
    pub fn residents_only() -> Self {
        Self::new("FORBIDDEN", "Hanya penduduk yang dapat melakukan tindakan ini, dengan akunnya sendiri.")
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

/// Schema extension: every response — over HTTP, and each message of a subscription over the
/// websocket — passes through [`ensure_codes`].
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> async_graphql::Response {
        let mut response = next.run(ctx).await;
        ensure_codes(&mut response);
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, async_graphql::Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, async_graphql::Response> {
        next.run(ctx, stream)
            .map(|mut response| {
                ensure_codes(&mut response);
                response
            })
            .boxed()
    }
}

/// Gives every error of a GraphQL response a code. Ours already have one. Parse, validation
/// and limit errors raised by async-graphql itself (before execution: no path) and its input
/// coercion errors get `GRAPHQL_VALIDATION_FAILED`, an Indonesian message, and their original
/// English text in `extensions.detail` for developers. Anything else without a code is a
/// resolver's unmapped failure (a `?` on a database error, say): it is logged and answered as
/// `INTERNAL_ERROR` with the generic message, so no internal text ever reaches a client.
fn ensure_codes(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let has_code = error.extensions.as_ref().is_some_and(|ext| ext.get("code").is_some());
        if has_code {
            continue;
        }
        let mut ext = error.extensions.take().unwrap_or_default();
        if is_request_error(error) {
            let message = graphql_message(&error.message);
            let detail = std::mem::replace(&mut error.message, message);
            ext.set("code", GRAPHQL_VALIDATION_FAILED);
            ext.set("detail", detail);
        } else {
            let internal =
                ApiError::internal(format_args!("uncoded resolver error at {:?}: {}", error.path, error.message));
            error.message = internal.message;
            ext.set("code", internal.code);
        }
        error.extensions = Some(ext);
    }
}

/// How async-graphql's input coercion errors begin (`InputValueError` and undefined
/// variables): the only errors it raises about the request once execution has begun.
const INPUT_ERROR_PREFIXES: [&str; 3] = ["Failed to parse \"", "Expected input type \"", "Variable "];

/// Whether async-graphql raised the error about the request itself: before execution (no
/// path), or while coercing an argument.
fn is_request_error(error: &async_graphql::ServerError) -> bool {
    error.path.is_empty() || INPUT_ERROR_PREFIXES.iter().any(|prefix| error.message.starts_with(prefix))
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

#[cfg(test)]
mod tests {
    use async_graphql::{PathSegment, Response, ServerError};

    use super::*;

    fn response_with(error: ServerError) -> Response {
        let mut response = Response::default();
        response.errors.push(error);
        ensure_codes(&mut response);
        response
    }

    fn code(response: &Response) -> Option<String> {
        let ext = response.errors[0].extensions.as_ref()?;
        match ext.get("code")? {
            async_graphql::Value::String(code) => Some(code.clone()),
            _ => None,
        }
    }

    #[test]
    fn request_errors_are_validation_failures_with_their_detail() {
        let response = response_with(ServerError::new("Unknown field \"x\" on type \"Query\".", None));
        assert_eq!(code(&response).as_deref(), Some(GRAPHQL_VALIDATION_FAILED));
        assert!(response.errors[0].message.starts_with("Permintaan GraphQL tidak valid"));
        for message in ["Failed to parse \"DateTime\": bad", "Expected input type \"Int\", found \"a\"."] {
            let mut coercion = ServerError::new(message, None);
            coercion.path = vec![PathSegment::Field("eventHistory".into())];
            assert_eq!(code(&response_with(coercion)).as_deref(), Some(GRAPHQL_VALIDATION_FAILED), "{message}");
        }
    }

    #[test]
    fn an_uncoded_resolver_error_is_internal_and_its_text_stays_in_the_log() {
        let mut error = ServerError::new("error returned from database: relation \"secrets\" does not exist", None);
        error.path = vec![PathSegment::Field("workQueue".into())];
        let response = response_with(error);
        assert_eq!(code(&response).as_deref(), Some("INTERNAL_ERROR"));
        let error = &response.errors[0];
        assert!(!error.message.contains("database"), "{}", error.message);
        assert!(error.extensions.as_ref().and_then(|e| e.get("detail")).is_none());
    }

    #[test]
    fn coded_errors_are_left_alone() {
        let error: async_graphql::Error = ApiError::forbidden().into();
        let response = response_with(error.into_server_error(async_graphql::Pos::default()));
        assert_eq!(code(&response).as_deref(), Some("FORBIDDEN"));
    }
}
