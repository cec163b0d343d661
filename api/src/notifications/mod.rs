//! Telling residents: the senders of each channel and the worker that delivers the outbox.

pub mod channel;
pub mod config;
pub mod email;
pub mod log;
pub mod whatsapp_cloud;
pub mod worker;

pub use channel::{Outgoing, SendError, Sender};
pub use config::{EmailMode, NotificationConfig, Senders, WhatsAppMode};
