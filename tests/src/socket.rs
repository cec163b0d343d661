//! The GraphQL websocket (graphql-transport-ws) as a page of the service opens it.

use std::time::Duration;

use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::TestApp;

/// The origin of the test application's pages (its default `PUBLIC_URL`).
pub const PAGE_ORIGIN: &str = "http://localhost:8080";

/// An open websocket.
pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket, or the upgrade's refusal (status and JSON body).
pub enum Opened {
    Open(Box<Socket>),
    Refused(u16, Value),
}

/// Opens the websocket with `cookie` if any and completes the handshake (`connection_init`
/// answered by `connection_ack`); an upgrade the server refuses is an answer, not an error.
pub async fn open(app: &TestApp, cookie: Option<&str>) -> anyhow::Result<Opened> {
    let mut request = format!("ws://{}/graphql/ws", app.address).into_client_request()?;
    let headers = request.headers_mut();
    headers.insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    headers.insert("origin", PAGE_ORIGIN.parse()?);
    if let Some(cookie) = cookie {
        headers.insert("cookie", cookie.parse()?);
    }
    let mut socket = match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => socket,
        Err(tungstenite::Error::Http(response)) => {
            let body = response.body().as_deref().map(serde_json::from_slice).transpose()?;
            return Ok(Opened::Refused(response.status().as_u16(), body.unwrap_or_default()));
        }
        Err(error) => return Err(error.into()),
    };
    send(&mut socket, json!({ "type": "connection_init" })).await?;
    let ack = next_message(&mut socket, Duration::from_secs(10)).await?.context("no connection_ack")?;
    anyhow::ensure!(ack["type"] == "connection_ack", "{ack}");
    Ok(Opened::Open(Box::new(socket)))
}

/// Opens the websocket and subscribes with `query` (id "1"); a refused upgrade is an error.
pub async fn subscribe(app: &TestApp, cookie: Option<&str>, query: &str) -> anyhow::Result<Socket> {
    match open(app, cookie).await? {
        Opened::Open(mut socket) => {
            start(&mut socket, "1", query).await?;
            Ok(*socket)
        }
        Opened::Refused(status, body) => bail!("upgrade refused: {status} {body}"),
    }
}

/// Sends a `subscribe` message for `query` with `id`.
pub async fn start(socket: &mut Socket, id: &str, query: &str) -> anyhow::Result<()> {
    send(socket, json!({ "id": id, "type": "subscribe", "payload": { "query": query } })).await
}

/// Sends one JSON message.
pub async fn send(socket: &mut Socket, message: Value) -> anyhow::Result<()> {
    socket.send(Message::Text(message.to_string().into())).await?;
    Ok(())
}

/// The next protocol message, or `None` if none came within `wait`; a closed socket is an error.
pub async fn next_message(socket: &mut Socket, wait: Duration) -> anyhow::Result<Option<Value>> {
    loop {
        match tokio::time::timeout(wait, socket.next()).await {
            Err(_) => return Ok(None),
            Ok(None) => bail!("socket closed"),
            Ok(Some(message)) => match message? {
                Message::Text(text) => return Ok(Some(serde_json::from_str(&text)?)),
                Message::Close(frame) => bail!("socket closed: {frame:?}"),
                _ => {}
            },
        }
    }
}

/// Waits up to `wait` for the server to close the socket; returns its close code (`None` if
/// the connection just ended). Messages before the close are skipped.
pub async fn closed_with(socket: &mut Socket, wait: Duration) -> anyhow::Result<Option<u16>> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => bail!("the socket stayed open for {wait:?}"),
            Ok(None) | Ok(Some(Err(_))) => return Ok(None),
            Ok(Some(Ok(Message::Close(frame)))) => return Ok(frame.map(|f| u16::from(f.code))),
            Ok(Some(Ok(_))) => {}
        }
    }
}
