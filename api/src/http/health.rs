//! Liveness, readiness and Prometheus metrics.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;

/// Alive: the process answers. Says nothing about the database.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready: the database answers and the read models are not too far behind.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let database = tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(&state.pool)).await;
    let database_ok = matches!(database, Ok(Ok(_)));
    let lag = if database_ok { projections::lag(&state.pool, &state.projections).await.ok() } else { None };
    let lag_ok = lag.is_some_and(|l| l.oldest_pending_seconds <= state.ready_max_lag_seconds);
    let ready = database_ok && lag_ok;
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "database": if database_ok { "ok" } else { "unreachable" },
        "projector": {
            "activeInThisProcess": state.projector.is_active(),
            "pendingEvents": lag.map(|l| l.pending_events),
            "lagSeconds": lag.map(|l| l.oldest_pending_seconds),
            "maxLagSeconds": state.ready_max_lag_seconds,
        }
    });
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

/// Prometheus/OpenMetrics text.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let lag = projections::lag(&state.pool, &state.projections).await.ok();
    state.metrics.observe_projector(&state.projector, lag, &state.pool);
    state.metrics.observe_limits(state.commands.files.decode_gate(), state.sockets.open_count());
    match projections::notifications::outbox::backlog(&state.pool, state.commands.clock.now()).await {
        Ok(backlog) => state.metrics.observe_outbox(backlog),
        Err(error) => tracing::warn!(%error, "reading the notification backlog"),
    }
    match state.metrics.encode() {
        Ok(text) => ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "encoding metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
