//! Resident accounts: registration, verification by an operator, sign-in, forgotten
//! password, and time-boxed access to documents of the old portal.
//!
//! The stream id is a keyed hash of the NIK (computed by the command side, which holds the
//! key), so one NIK is one stream and two simultaneous registrations of it cannot both win.

mod aggregate;
mod command;
mod error;
mod event;
mod lookup;

use std::fmt;

pub use aggregate::{Account, AccountStatus, UnknownAccountStatus};
pub use command::{AccountCommand, NotificationPreferences};
pub use error::AccountError;
pub use event::AccountEvent;
pub use lookup::{LookupError, ResidentLookup};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The stream id of a resident account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub Uuid);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A staff member's reason for refusing something, shown to the resident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reason(String);

impl Reason {
    /// Trimmed, 3–500 characters, no control characters.
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        crate::text::clean_line(raw, 500)
            .filter(|r| r.chars().count() >= 3)
            .map(Self)
            .ok_or(AccountError::InvalidReason)
    }

    /// The reason.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
