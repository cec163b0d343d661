//! Service requests: submitted by a resident, worked by an operator against the one-working-day
//! deadline, paused for re-uploads, and completed with a download or a pick-up.
//!
//! The stream id is derived from the resident's account and the client's idempotency key, so
//! a retried submission is the same stream and answers with the same request.

mod aggregate;
mod command;
mod error;
mod event;
mod receipt;

use std::fmt;

pub use aggregate::{RESULT_FILES_LABEL, RequestStatus, ServiceRequest, UnknownStatus};
pub use command::RequestCommand;
pub use error::RequestError;
pub use event::{RequestEvent, ReuploadItem, SubmittedRequest};
pub use receipt::ReceiptCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::account::AccountId;

/// Namespace for request stream ids.
const REQUEST_NAMESPACE: Uuid = Uuid::from_u128(0x2d6b_41a0_7c3e_4f55_9b1d_0e8a_6c42_f713);

/// The stream id of a service request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub Uuid);

impl RequestId {
    /// The id of the submission `key` of `account`: the same key always gives the same request.
    pub fn for_submission(account: AccountId, key: &IdempotencyKey) -> Self {
        Self(Uuid::new_v5(&REQUEST_NAMESPACE, format!("{account}:{}", key.0).as_bytes()))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A client-chosen key that makes a submission safe to retry: 8–64 characters of letters,
/// digits, `-` and `_` (a UUID fits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, RequestError> {
        let raw = raw.trim();
        let ok =
            (8..=64).contains(&raw.len()) && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok { Ok(Self(raw.to_owned())) } else { Err(RequestError::InvalidIdempotencyKey) }
    }
}

/// The receipt number residents quote, e.g. `KH-2026-000123`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestNumber(String);

impl RequestNumber {
    /// From the submission year and a unique sequence value.
    pub fn new(year: i32, sequence: i64) -> Self {
        Self(format!("KH-{year}-{sequence:06}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The place and time a card can be collected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PickupPlace(String);

impl PickupPlace {
    /// Trimmed, 3–200 characters, no control characters.
    pub fn parse(raw: &str) -> Result<Self, RequestError> {
        crate::text::clean_line(raw, 200)
            .filter(|p| p.chars().count() >= 3)
            .map(Self)
            .ok_or(RequestError::InvalidPickupPlace)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_request_per_account() {
        let a = AccountId(Uuid::from_u128(1));
        let b = AccountId(Uuid::from_u128(2));
        let key = IdempotencyKey::parse("kunci-1234").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(RequestId::for_submission(a, &key), RequestId::for_submission(a, &key));
        assert_ne!(RequestId::for_submission(a, &key), RequestId::for_submission(b, &key));
        assert!(IdempotencyKey::parse("short").is_err());
        assert!(IdempotencyKey::parse("ada spasi di sini").is_err());
    }

    #[test]
    fn numbers_are_zero_padded() {
        assert_eq!(RequestNumber::new(2026, 123).as_str(), "KH-2026-000123");
    }
}
#[cfg(test)]
#[path = "tests.rs"]
mod state_machine_tests;
