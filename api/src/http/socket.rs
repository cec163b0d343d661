//! `GET /graphql/ws`: GraphQL subscriptions (graphql-transport-ws) on a websocket that lives
//! no longer than its session and within bounds.
//!
//! The socket is authenticated by the session cookie of the upgrade. Before, the session was
//! read once at the upgrade and queries and *mutations* on an open socket ran with that
//! identity after logout, deactivation or a role change. Now:
//! - only subscriptions run on the socket (queries and mutations go to `POST /graphql`, which
//!   reads the session on every request);
//! - the session is re-checked before every subscription, every `recheck_interval`, at its
//!   expiry, and at once when any instance announces that sessions of its person ended
//!   (`sessions_ended`, see `commands::sessions`): an ended session closes the socket
//!   (4403);
//! - messages are limited in size (like the HTTP body), subscriptions per socket and sockets
//!   per session and per address are capped, and anonymous upgrades are refused (no
//!   subscription is public).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_graphql::http::{WebSocketProtocols, WsMessage};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use axum::Extension;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use commands::{Session, SubjectKind};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc, watch};
use uuid::Uuid;

use super::{AppState, RequestId, files::error_response, middleware};
use crate::error::ApiError;
use crate::graphql::{AppSchema, RequestContext};

/// The one subprotocol spoken (the older `graphql-ws` of Apollo is not).
const PROTOCOL: &str = "graphql-transport-ws";
/// Close code of a socket whose session ended (graphql-transport-ws's "Forbidden").
const SESSION_ENDED: u16 = 4403;
/// Close code when the server stops (RFC 6455 "going away").
const GOING_AWAY: u16 = 1001;

/// How sockets are bounded.
#[derive(Debug, Clone, Copy)]
pub struct SocketLimits {
    /// Largest message (and frame) a client may send.
    pub max_message_bytes: usize,
    /// Subscriptions one socket may hold at once.
    pub max_subscriptions: usize,
    /// Sockets one session may hold open.
    pub max_per_session: usize,
    /// Sockets one client address may hold open.
    pub max_per_address: usize,
    /// How often an open socket re-checks its session even if nothing was announced.
    pub recheck_interval: Duration,
}

/// What the sockets of this process share: their counts, and the announcements of ended
/// sessions and of shutdown.
pub struct Sockets {
    limits: SocketLimits,
    open: Mutex<HashMap<String, usize>>,
    /// A person whose sessions ended, or `None`: every socket should look.
    ended: broadcast::Sender<Option<(SubjectKind, Uuid)>>,
    stopping: watch::Sender<bool>,
}

impl Sockets {
    /// No sockets yet.
    pub fn new(limits: SocketLimits) -> Self {
        Self {
            limits,
            open: Mutex::new(HashMap::new()),
            ended: broadcast::channel(256).0,
            stopping: watch::channel(false).0,
        }
    }

    /// Tells the sockets that sessions of a person ended (the payload of
    /// [`commands::sessions::SESSIONS_ENDED_CHANNEL`]: `KIND:subject id`).
    pub fn sessions_ended(&self, payload: &str) {
        let person =
            payload.split_once(':').and_then(|(kind, id)| Some((SubjectKind::parse(kind)?, Uuid::parse_str(id).ok()?)));
        if let Some(person) = person {
            // No socket open is not an error.
            let _ = self.ended.send(Some(person));
        }
    }

    /// Makes every socket re-check its session (announcements may have been missed).
    pub fn recheck_all(&self) {
        let _ = self.ended.send(None);
    }

    /// Closes every socket (the server is stopping).
    pub fn close_all(&self) {
        self.stopping.send_replace(true);
    }

    /// How many sockets are open in all.
    pub fn open_count(&self) -> usize {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).get("all").copied().unwrap_or(0)
    }

    /// A place for one more socket of `session` from `address`, unless either is at its cap.
    fn admit(self: &Arc<Self>, session: &Session, address: &str) -> Option<Admission> {
        let keys = [format!("session:{}", hex::encode(session.key())), format!("address:{address}"), "all".to_owned()];
        let caps = [self.limits.max_per_session, self.limits.max_per_address, usize::MAX];
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if keys.iter().zip(caps).any(|(key, cap)| open.get(key).copied().unwrap_or(0) >= cap) {
            return None;
        }
        for key in &keys {
            *open.entry(key.clone()).or_insert(0) += 1;
        }
        Some(Admission { sockets: self.clone(), keys })
    }
}

/// One socket's place in the counts, given back when it closes.
struct Admission {
    sockets: Arc<Sockets>,
    keys: [String; 3],
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut open = self.sockets.open.lock().unwrap_or_else(PoisonError::into_inner);
        for key in &self.keys {
            if let Some(count) = open.get_mut(key) {
                *count -= 1;
                if *count == 0 {
                    open.remove(key);
                }
            }
        }
    }
}

/// Upgrades to a subscription socket: same origin as `PUBLIC_URL` (no cross-site websocket
/// hijacking), a live session, and room under the caps.
pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !middleware::same_origin(&headers, &state.allowed_origin) {
        return error_response(
            StatusCode::FORBIDDEN,
            ApiError::new("ORIGIN_REJECTED", "Koneksi ditolak: asal (origin) tidak diizinkan."),
        );
    }
    let offered = headers.get(axum::http::header::SEC_WEBSOCKET_PROTOCOL).and_then(|v| v.to_str().ok());
    if !offered.is_some_and(|v| v.split(',').any(|p| p.trim() == PROTOCOL)) {
        return error_response(
            StatusCode::BAD_REQUEST,
            ApiError::new("WEBSOCKET_PROTOCOL_UNSUPPORTED", "Gunakan protokol websocket graphql-transport-ws."),
        );
    }
    let session = match super::session_of(&state, &headers).await {
        Ok(Some(session)) => session,
        Ok(None) => return error_response(StatusCode::UNAUTHORIZED, ApiError::unauthenticated()),
        Err(error) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, error),
    };
    let address = middleware::client_address(&headers, peer, state.forwarded_for);
    let Some(admission) = state.sockets.admit(&session, &address) else {
        return error_response(
            StatusCode::TOO_MANY_REQUESTS,
            ApiError::new(
                "TOO_MANY_CONNECTIONS",
                "Terlalu banyak koneksi langsung terbuka. Tutup tab lain lalu muat ulang halaman.",
            ),
        );
    };
    let limits = state.sockets.limits;
    let context =
        RequestContext { session: Some(session.clone()), correlation_id: request_id.0, client_address: Some(address) };
    let socket = Socket { state, session, context, limits, _admission: admission };
    upgrade
        .protocols([PROTOCOL])
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes)
        .on_upgrade(move |websocket| socket.serve(websocket))
}

/// One open socket.
struct Socket {
    state: AppState,
    session: Session,
    context: RequestContext,
    limits: SocketLimits,
    _admission: Admission,
}

/// Why a socket loop ended.
enum End {
    /// The client went away, or sent what cannot be read (too large, broken).
    Client,
    /// Closed by us with a code and a reason.
    Close(u16, &'static str),
}

impl Socket {
    /// Relays between the client and async-graphql's protocol machine, checking each client
    /// message first, until either side ends or the session does.
    async fn serve(self, websocket: WebSocket) {
        let (mut sink, mut source) = websocket.split();
        let (to_graphql, from_client) = mpsc::channel::<String>(8);
        let input = futures::stream::unfold(from_client, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
        let mut data = async_graphql::Data::default();
        data.insert(self.context.clone());
        let schema: AppSchema = self.state.schema.clone();
        let mut output = Box::pin(
            async_graphql::http::WebSocket::new(schema, input, WebSocketProtocols::GraphQLWS).connection_data(data),
        );
        let mut ended = self.state.sockets.ended.subscribe();
        let mut stopping = self.state.sockets.stopping.subscribe();
        let mut recheck = tokio::time::interval(self.limits.recheck_interval);
        recheck.tick().await;
        let until_expiry = (self.session.expires_at - self.state.sessions.now()).to_std().unwrap_or_default();
        let expiry = tokio::time::sleep(until_expiry);
        tokio::pin!(expiry);
        let mut active = HashSet::new();
        let end = loop {
            let step = tokio::select! {
                incoming = source.next() => match incoming {
                    Some(Ok(Message::Text(text))) => self.check_client_message(text.as_str(), &mut active, &to_graphql, &mut sink).await,
                    Some(Ok(Message::Binary(_))) => Err(End::Close(4400, "graphql-transport-ws sends text only")),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(()),
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Err(End::Client),
                },
                outgoing = output.next() => match outgoing {
                    Some(WsMessage::Text(text)) => {
                        forget_finished(&text, &mut active);
                        sink.send(Message::Text(text.into())).await.map_err(|_| End::Client)
                    }
                    Some(WsMessage::Close(code, reason)) => {
                        let _ = sink.send(close(code, &reason)).await;
                        Err(End::Client)
                    }
                    None => Err(End::Client),
                },
                person = ended.recv() => match person {
                    Ok(Some(person)) if person != (self.session.subject_kind, self.session.subject_id) => Ok(()),
                    // Ours, or announcements missed: look.
                    _ => self.still_live().await,
                },
                _ = recheck.tick() => self.still_live().await,
                () = &mut expiry => Err(End::Close(SESSION_ENDED, "Sesi telah berakhir.")),
                () = stopping_now(&mut stopping) => Err(End::Close(GOING_AWAY, "Server berhenti.")),
            };
            if let Err(end) = step {
                break end;
            }
        };
        if let End::Close(code, reason) = end {
            let _ = sink.send(close(code, reason)).await;
            tracing::info!(request_id = %self.context.correlation_id, route = "/graphql/ws", code, reason, "socket closed");
        }
    }

    /// `Err` to close the socket if its session is no longer live.
    async fn still_live(&self) -> Result<(), End> {
        match self.state.sessions.is_live(&self.session).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(End::Close(SESSION_ENDED, "Sesi telah berakhir.")),
            Err(error) => {
                // Fail closed: the client reconnects and is authenticated afresh.
                tracing::warn!(%error, "cannot re-check a socket's session");
                Err(End::Close(1011, "Sesi tidak dapat diperiksa."))
            }
        }
    }

    /// Checks one client message and passes it on, or answers it with an error.
    async fn check_client_message(
        &self,
        text: &str,
        active: &mut HashSet<String>,
        to_graphql: &mpsc::Sender<String>,
        sink: &mut futures::stream::SplitSink<WebSocket, Message>,
    ) -> Result<(), End> {
        let message: Value = serde_json::from_str(text).unwrap_or_default();
        let id = message.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        match message.get("type").and_then(Value::as_str) {
            Some("subscribe") => {
                self.still_live().await?;
                let query = message.pointer("/payload/query").and_then(Value::as_str).unwrap_or_default();
                let name = message.pointer("/payload/operationName").and_then(Value::as_str);
                let refusal = if operation_type(query, name).is_some_and(|ty| ty != OperationType::Subscription) {
                    Some((
                        "SUBSCRIPTIONS_ONLY",
                        "Koneksi langsung hanya untuk langganan (subscription); kirim query dan mutation lewat POST /graphql.",
                    ))
                } else if !active.contains(&id) && active.len() >= self.limits.max_subscriptions {
                    Some(("TOO_MANY_SUBSCRIPTIONS", "Terlalu banyak langganan pada satu koneksi."))
                } else {
                    None
                };
                tracing::info!(
                    request_id = %self.context.correlation_id,
                    route = "/graphql/ws",
                    operation = name.unwrap_or_default(),
                    refused = refusal.map(|(code, _)| code),
                    "socket subscribe"
                );
                if let Some((code, message)) = refusal {
                    let error = json!({ "id": id, "type": "error", "payload": [{ "message": message, "extensions": { "code": code } }] });
                    return sink.send(Message::Text(error.to_string().into())).await.map_err(|_| End::Client);
                }
                active.insert(id);
            }
            Some("complete") => {
                active.remove(&id);
            }
            _ => {}
        }
        to_graphql.send(text.to_owned()).await.map_err(|_| End::Client)
    }
}

async fn stopping_now(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// The type of the operation a subscribe message would run, if the query parses and names
/// one unambiguously (anything else is left to async-graphql to refuse).
fn operation_type(query: &str, name: Option<&str>) -> Option<OperationType> {
    let document = async_graphql::parser::parse_query(query).ok()?;
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(operation.node.ty),
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.iter().find(|(n, _)| n.as_str() == name).map(|(_, operation)| operation.node.ty)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// Drops from `active` a subscription the server has finished (`complete` or `error`).
fn forget_finished(text: &str, active: &mut HashSet<String>) {
    if let Ok(message) = serde_json::from_str::<Value>(text)
        && matches!(message.get("type").and_then(Value::as_str), Some("complete" | "error"))
        && let Some(id) = message.get("id").and_then(Value::as_str)
    {
        active.remove(id);
    }
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: reason.to_owned().into() }))
}
