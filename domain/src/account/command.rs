use chrono::{DateTime, Utc};

use super::{AccountId, Reason};
use crate::document::IdentityDocuments;
use crate::legacy::LegacyAccountId;
use crate::nik::Nik;
use crate::password::PasswordHash;
use crate::person::{Email, FullName};
use crate::phone::PhoneNumber;

/// What can be asked of a resident account. Secrets arrive hashed; times are passed in.
#[derive(Debug, Clone)]
pub enum AccountCommand {
    Register {
        account_id: AccountId,
        nik: Nik,
        full_name: FullName,
        phone: PhoneNumber,
        email: Option<Email>,
        password_hash: PasswordHash,
        documents: IdentityDocuments,
        at: DateTime<Utc>,
    },
    Approve {
        at: DateTime<Utc>,
    },
    Reject {
        reason: Reason,
        at: DateTime<Utc>,
    },
    RequestPasswordReset {
        full_name: FullName,
        documents: IdentityDocuments,
        at: DateTime<Utc>,
    },
    ApprovePasswordReset {
        /// Keyed hash of the one-time code; the code itself is never stored.
        code_hash: String,
        expires_at: DateTime<Utc>,
        /// The code sealed for delivery to the registered number (see the event).
        sealed_code: Option<String>,
    },
    RejectPasswordReset {
        reason: Reason,
    },
    CompletePasswordReset {
        code_hash: String,
        password_hash: PasswordHash,
        now: DateTime<Utc>,
    },
    GrantLegacyAccess {
        legacy_account_id: LegacyAccountId,
        legacy_nik: Nik,
        at: DateTime<Utc>,
    },
    SetNotificationPreferences {
        preferences: NotificationPreferences,
        at: DateTime<Utc>,
    },
    /// An officer files the erasure of the resident's personal data.
    RequestErasure {
        by: crate::staff::StaffId,
        reason: Reason,
        at: DateTime<Utc>,
    },
    /// A supervisor approves a filed erasure (never their own).
    ApproveErasure {
        by: crate::staff::StaffId,
        /// The old portal's account of the resident's NIK (computed by the caller, who holds
        /// the NIK key), erased along.
        legacy_account_id: Option<LegacyAccountId>,
        at: DateTime<Utc>,
    },
}

/// Which channels a resident accepts messages on (the reset code ignores it: see
/// [`crate::notification::Template::can_opt_out`]). Both on until the resident says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NotificationPreferences {
    pub whatsapp: bool,
    pub email: bool,
}

impl Default for NotificationPreferences {
    fn default() -> Self {
        Self { whatsapp: true, email: true }
    }
}
