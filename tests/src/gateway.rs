//! A local HTTP server playing the WhatsApp gateway (the Cloud API's
//! `POST /{phone_number_id}/messages`), on 127.0.0.1 and a free port. It keeps every message
//! it accepts once per `Idempotency-Key` (as a gateway honouring the key does; a repeat is
//! answered 200 and counted as a duplicate), and can be scripted: `503` to the next attempts,
//! one answer held back past the client's timeout (after accepting the message, as when the
//! answer is lost), `400` in the Cloud API's error shape for a number.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::bail;
use axum::Json;
use axum::extract::{Path, State as Extract};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::Notify;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct GatewayMessage {
    /// The `Idempotency-Key` header.
    pub key: Option<String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `{phone_number_id}` of the path.
    pub phone_number_id: String,
    /// The JSON body.
    pub body: Value,
}

impl GatewayMessage {
    /// `to` of the body.
    pub fn to(&self) -> &str {
        self.body["to"].as_str().unwrap_or_default()
    }

    /// The template's name.
    pub fn template(&self) -> &str {
        self.body["template"]["name"].as_str().unwrap_or_default()
    }

    /// The body parameters' texts, in order.
    pub fn parameters(&self) -> Vec<String> {
        self.body["template"]["components"][0]["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["text"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct State {
    accepted: Mutex<Vec<GatewayMessage>>,
    arrived: Notify,
    attempts: AtomicU32,
    duplicates: AtomicU32,
    unavailable: AtomicU32,
    hang: Mutex<Option<Duration>>,
    refused: Mutex<HashSet<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The running gateway; stops when dropped.
pub struct WhatsAppGateway {
    address: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl WhatsAppGateway {
    /// Listens on 127.0.0.1 and a free port.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let state = Arc::new(State::default());
        let router = axum::Router::new()
            .route("/{phone_number_id}/messages", axum::routing::post(messages))
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self { address, state, task })
    }

    /// The base URL, for `WHATSAPP_API_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The next `n` attempts get `503` (and are not accepted).
    pub fn fail_next(&self, n: u32) {
        self.state.unavailable.store(n, Ordering::SeqCst);
    }

    /// The next accepted message's answer is held back for `delay` (set it past the client's
    /// timeout): the message is kept, the client sees a timeout.
    pub fn hang_once(&self, delay: Duration) {
        *lock(&self.state.hang) = Some(delay);
    }

    /// Messages to this number get `400` with a Cloud API error (`#131026`, undeliverable).
    pub fn refuse(&self, number: &str) {
        lock(&self.state.refused).insert(number.to_owned());
    }

    /// Every request to the messages endpoint, whatever the answer.
    pub fn attempts(&self) -> u32 {
        self.state.attempts.load(Ordering::SeqCst)
    }

    /// Requests repeating an already accepted `Idempotency-Key`.
    pub fn duplicates(&self) -> u32 {
        self.state.duplicates.load(Ordering::SeqCst)
    }

    /// The accepted messages, one per idempotency key, in arrival order.
    pub fn accepted(&self) -> Vec<GatewayMessage> {
        lock(&self.state.accepted).clone()
    }

    /// Waits until at least `n` messages were accepted, and returns all of them.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> anyhow::Result<Vec<GatewayMessage>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.state.arrived.notified();
            let accepted = self.accepted();
            if accepted.len() >= n {
                return Ok(accepted);
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                bail!("{} of {n} WhatsApp messages arrived within {timeout:?}", accepted.len());
            }
        }
    }
}

impl Drop for WhatsAppGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn messages(
    Extract(state): Extract<Arc<State>>,
    Path(phone_number_id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    state.attempts.fetch_add(1, Ordering::SeqCst);
    if state.unavailable.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        return (StatusCode::SERVICE_UNAVAILABLE, "gateway busy").into_response();
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let message = GatewayMessage {
        key: header("idempotency-key"),
        authorization: header("authorization"),
        phone_number_id,
        body,
    };
    let to = message.to().to_owned();
    if lock(&state.refused).contains(&to) {
        let error = json!({ "error": {
            "message": "(#131026) Message undeliverable",
            "type": "OAuthException",
            "code": 131026,
            "error_data": { "messaging_product": "whatsapp", "details": "Receiver is incapable of receiving this message" },
            "fbtrace_id": "AbCdEfGh",
        } });
        return (StatusCode::BAD_REQUEST, Json(error)).into_response();
    }
    {
        let mut accepted = lock(&state.accepted);
        let repeat = message.key.is_some() && accepted.iter().any(|m| m.key == message.key);
        if repeat {
            state.duplicates.fetch_add(1, Ordering::SeqCst);
        } else {
            accepted.push(message);
        }
    }
    state.arrived.notify_waiters();
    let hang = lock(&state.hang).take();
    if let Some(delay) = hang {
        tokio::time::sleep(delay).await;
    }
    let id = format!("wamid.test{}", state.attempts.load(Ordering::SeqCst));
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": to, "wa_id": to }],
        "messages": [{ "id": id }],
    }))
    .into_response()
}
