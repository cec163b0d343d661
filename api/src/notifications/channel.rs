//! The contract between the delivery worker and a channel. A sender renders the message its
//! own way (WhatsApp: template name and ordered parameters; e-mail: subject, text and HTML; log:
//! masked text) and reports whether trying again could help.

use domain::notification::{Channel, Params, Template};
use futures::future::BoxFuture;

/// One message to deliver, as the outbox holds it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Stable per (event, channel): sent along (`Idempotency-Key`, `Message-ID`) so the far
    /// side can drop a duplicate that a crash between send and record caused.
    pub key: String,
    pub channel: Channel,
    /// `628…` for WhatsApp, an address for e-mail.
    pub to: String,
    pub template: Template,
    pub params: Params,
}

/// Why a delivery did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The far side refused this message for good (a 4xx: bad number, unknown address):
    /// retrying sends the same refusal, so it goes to the dead letters at once.
    #[error("refused: {0}")]
    Refused(String),
    /// The far side failed or did not answer in time (a 5xx, a timeout, a closed connection):
    /// retried with backoff.
    #[error("failed: {0}")]
    Failed(String),
}

/// A channel's way out.
pub trait Sender: Send + Sync {
    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<(), SendError>>;
}
