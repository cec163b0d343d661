//! Telling residents: the senders of each channel and the worker that delivers the outbox.

pub mod channel;
pub mod worker;
