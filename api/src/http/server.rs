//! The HTTP/1.1 server loop: bounded connections instead of `axum::serve`'s unbounded accept.
//!
//! `axum::serve` accepts every connection and sets no timer, so hyper's header-read timeout
//! never runs: 20 000 idle connections that send nothing exhausted the file descriptors and
//! `/healthz` stopped answering. Here every connection holds a slot of a global cap (sized
//! below the descriptor limit, which start-up raises as far as allowed) and of a per-peer cap,
//! and hyper closes a connection that takes longer than the header-read timeout to send a
//! request's headers — idle keep-alive connections included. A websocket keeps its slots for
//! as long as it is open (they live with the connection's I/O).

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::Service;

/// Descriptors kept free of connections: the database pool, the projector, files, logs.
const RESERVED_DESCRIPTORS: u64 = 256;

/// How connections are bounded.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Open connections in all (websockets included).
    pub max_connections: usize,
    /// Open connections from one peer address (a proxy in front counts as one peer).
    pub max_per_peer: usize,
    /// A connection must send a request's headers within this time, also between requests.
    pub header_read_timeout: Duration,
}

impl ConnectionLimits {
    /// Raises the process's descriptor limit as far as allowed and lowers `max_connections`
    /// to what the limit leaves room for. Returns the limits in force and the descriptor limit.
    pub fn fit_to_descriptors(self) -> (Self, u64) {
        let descriptors = match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(limit) => limit,
            Err(error) => {
                tracing::warn!(%error, "cannot raise the open-file limit");
                rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
            }
        };
        let room = usize::try_from(descriptors.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX).max(16);
        (Self { max_connections: self.max_connections.min(room), ..self }, descriptors)
    }
}

/// Serves `router` on `listener` until `shutdown` turns true, then stops accepting, lets
/// requests in flight finish, and returns once every HTTP connection has ended.
pub async fn serve(listener: TcpListener, router: Router, limits: ConnectionLimits, shutdown: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let peers = Arc::new(PeerCounts::default());
    // Every connection task holds a receiver; all dropped = all connections ended.
    let (drained_tx, drained_rx) = watch::channel(());
    let mut stop = shutdown.clone();
    loop {
        // At the cap, wait for a slot before accepting: the kernel's backlog holds the rest,
        // and no descriptor is spent on them.
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = stopped(&mut stop) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // EMFILE and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stopped(&mut stop) => break,
        };
        let Some(peer_slot) = peers.admit(peer.ip(), limits.max_per_peer) else {
            // Closing at once costs the attacker a handshake and us nothing.
            drop(stream);
            continue;
        };
        let io = TokioIo::new(Bounded { stream, _slot: permit, _peer: peer_slot });
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().call(request)
        });
        let mut shutdown = shutdown.clone();
        let drained = drained_rx.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
            let connection = builder.serve_connection(io, service).with_upgrades();
            tokio::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => log_connection_end(result),
                () = stopped(&mut shutdown) => {
                    connection.as_mut().graceful_shutdown();
                    log_connection_end(connection.await);
                }
            }
            drop(drained);
        });
    }
    drop(drained_rx);
    drained_tx.closed().await;
}

/// Completes when `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

fn log_connection_end(result: Result<(), hyper::Error>) {
    if let Err(error) = result
        && !error.is_incomplete_message()
    {
        tracing::debug!(%error, "connection ended with an error");
    }
}

/// Open connections per peer address.
#[derive(Default)]
struct PeerCounts(Mutex<HashMap<IpAddr, usize>>);

impl PeerCounts {
    /// A slot for one more connection from `peer`, if it has fewer than `max`.
    fn admit(self: &Arc<Self>, peer: IpAddr, max: usize) -> Option<PeerSlot> {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(peer).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(PeerSlot { counts: self.clone(), peer })
    }
}

/// One connection's place in [`PeerCounts`], given back when the connection closes.
struct PeerSlot {
    counts: Arc<PeerCounts>,
    peer: IpAddr,
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.peer) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.peer);
            }
        }
    }
}

/// A connection's stream with the slots it holds: they are given back when the stream is
/// dropped, which for a websocket is when the socket closes.
struct Bounded {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
    _peer: PeerSlot,
}

impl AsyncRead for Bounded {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Bounded {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
