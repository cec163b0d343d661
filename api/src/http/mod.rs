//! HTTP routes: GraphQL, uploads and files, health, readiness and metrics, GraphiQL, and the
//! portal's pages and assets.

pub mod cookies;
mod files;
mod health;
mod middleware;
pub mod portal;
mod receipts;
mod server;
mod socket;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::GraphQLResponse;
use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use bytes::Bytes;
use commands::SessionStore;
use projections::ProjectorState;
use sqlx::PgPool;
use tower_http::timeout::TimeoutLayer;

use crate::graphql::{AppSchema, RequestContext};
use crate::metrics::Metrics;
pub use middleware::{ForwardedFor, RequestId};
pub use server::{ConnectionLimits, serve};
pub use socket::{SocketLimits, Sockets};

/// Largest GraphQL request body accepted.
const GRAPHQL_BODY_LIMIT: usize = 64 * 1024;
/// No request may take longer than this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What the HTTP handlers share.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub pool: PgPool,
    pub sessions: SessionStore,
    pub commands: commands::Commands,
    pub projector: Arc<ProjectorState>,
    /// The projections whose lag `/readyz` and `/metrics` report.
    pub projections: Vec<Arc<dyn projections::Projection>>,
    pub metrics: Arc<Metrics>,
    pub ready_max_lag_seconds: f64,
    /// `PUBLIC_URL`'s origin: pages of other origins may not post to `/graphql` or `/uploads`
    /// nor open the GraphQL websocket (see [`middleware::same_origin`]).
    pub allowed_origin: String,
    /// Largest request body on `/uploads` (the file limit plus multipart overhead).
    pub upload_body_limit: usize,
    /// How client addresses are read from `X-Forwarded-For` (`None`: not at all).
    pub forwarded_for: Option<middleware::ForwardedFor>,
    /// The open subscription sockets.
    pub sockets: Arc<Sockets>,
    /// Whether `/graphiql` serves GraphiQL (development only, by default).
    pub graphiql: bool,
    /// The portal's pages and assets.
    pub portal: Arc<portal::Portal>,
    /// `PUBLIC_URL`, for the addresses printed on receipts.
    pub public_url: String,
}

/// The router of the whole service.
pub fn router(state: AppState) -> Router {
    let graphql = Router::new()
        .route("/graphql", post(graphql))
        // `route_layer`: only the route, not the fallback (an unknown path is a 404, not a 415).
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), middleware::refuse_cross_site_graphql))
        // Enforced while the body is read, so the answer is our JSON error.
        .layer(DefaultBodyLimit::max(GRAPHQL_BODY_LIMIT));
    let uploads = Router::new()
        .route("/uploads", post(files::upload))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), middleware::refuse_foreign_origin))
        // Enforced while streaming the multipart body, so the answer is our JSON error.
        .layer(axum::extract::DefaultBodyLimit::max(state.upload_body_limit));
    // GraphiQL's page loads its scripts from a CDN: on the production origin such a script could
    // act with the session of any staff member who opened it, past every CSRF defence.
    let root = if state.graphiql { Router::new().route("/graphiql", get(graphiql)) } else { Router::new() };
    root.route("/files/{id}", get(files::download))
        .route("/receipts/{id}", get(receipts::download))
        .route("/graphql/ws", get(socket::upgrade))
        .merge(uploads)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .merge(graphql)
        .route("/assets/{*path}", get(portal::asset))
        // Any other GET is a page of the portal (it routes in the browser).
        .fallback(get(portal::page))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::observe))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .with_state(state)
}

async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").title("Layanan Online Dukcapil Kapuas Hulu").finish())
}

async fn graphql(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request = match graphql_request(body) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let session = match session_of(&state, &headers).await {
        Ok(session) => session,
        Err(error) => {
            return GraphQLResponse::from(async_graphql::Response::from_errors(vec![
                async_graphql::Error::from(error).into_server_error(Default::default()),
            ]))
            .into_response();
        }
    };
    let context = RequestContext {
        session,
        correlation_id: request_id.0,
        client_address: Some(middleware::client_address(&headers, peer, state.forwarded_for)),
    };
    let response = state.schema.execute(request.data(context)).await;
    GraphQLResponse::from(response).into_response()
}

/// Why a GraphQL request body was refused before GraphQL saw it.
struct BodyRefusal {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// What the parser said, for developers.
    detail: Option<String>,
}

impl IntoResponse for BodyRefusal {
    fn into_response(self) -> Response {
        let mut extensions = serde_json::json!({ "code": self.code });
        if let Some(detail) = self.detail {
            extensions["detail"] = serde_json::Value::String(detail);
        }
        let body = serde_json::json!({ "errors": [{ "message": self.message, "extensions": extensions }] });
        (self.status, Json(body)).into_response()
    }
}

/// One GraphQL operation from a JSON body of at most [`GRAPHQL_BODY_LIMIT`] bytes, or why the
/// body is refused (with a code and an Indonesian message).
fn graphql_request(body: Result<Bytes, BytesRejection>) -> Result<async_graphql::Request, BodyRefusal> {
    let unreadable = |detail: String| BodyRefusal {
        status: StatusCode::BAD_REQUEST,
        code: "GRAPHQL_BAD_REQUEST",
        message: "Permintaan GraphQL tidak dapat dibaca: kirim objek JSON berisi 'query' (teks) dan 'variables' \
                  (objek)."
            .to_owned(),
        detail: Some(detail),
    };
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            BodyRefusal {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "REQUEST_TOO_LARGE",
                message: format!("Permintaan terlalu besar (maksimal {} KB).", GRAPHQL_BODY_LIMIT / 1024),
                detail: None,
            }
        } else {
            unreadable(rejection.body_text())
        }
    })?;
    let batch: async_graphql::BatchRequest = serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))?;
    batch.into_single().map_err(|_| BodyRefusal {
        status: StatusCode::BAD_REQUEST,
        code: "GRAPHQL_BATCH_UNSUPPORTED",
        message: "Kirim satu operasi GraphQL per permintaan; permintaan berkelompok (batch) tidak didukung.".to_owned(),
        detail: None,
    })
}

/// The live session of the request's cookie, if any.
pub(crate) async fn session_of(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<commands::Session>, crate::error::ApiError> {
    match cookies::session_token(headers) {
        Some(token) => Ok(state.sessions.find(&token).await?),
        None => Ok(None),
    }
}
