use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{AccountId, Reason};
use crate::document::IdentityDocuments;
use crate::legacy::LegacyAccountId;
use crate::nik::Nik;
use crate::password::PasswordHash;
use crate::person::{Email, FullName};
use crate::phone::PhoneNumber;

/// Facts about a resident account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AccountEvent {
    AccountRegistered {
        account_id: AccountId,
        nik: Nik,
        full_name: FullName,
        phone: PhoneNumber,
        email: Option<Email>,
        password_hash: PasswordHash,
        documents: IdentityDocuments,
        registered_at: DateTime<Utc>,
    },
    AccountApproved {
        approved_at: DateTime<Utc>,
    },
    AccountRejected {
        reason: Reason,
        rejected_at: DateTime<Utc>,
    },
    ResidentSignedIn {
        at: DateTime<Utc>,
    },
    PasswordResetRequested {
        full_name: FullName,
        documents: IdentityDocuments,
        requested_at: DateTime<Utc>,
    },
    PasswordResetApproved {
        code_hash: String,
        expires_at: DateTime<Utc>,
    },
    PasswordResetRejected {
        reason: Reason,
    },
    /// A wrong code was presented; after too many the reset was voided. No longer recorded
    /// (wrong codes change nothing now), kept so that older histories replay.
    PasswordResetCodeRefused {
        attempts: u32,
        voided: bool,
    },
    PasswordChanged {
        password_hash: PasswordHash,
        via_reset: bool,
    },
    LegacyAccessGranted {
        legacy_account_id: LegacyAccountId,
        granted_at: DateTime<Utc>,
        until: DateTime<Utc>,
    },
}

impl DomainEvent for AccountEvent {
    fn event_type(&self) -> String {
        match self {
            Self::AccountRegistered { .. } => "AccountRegistered",
            Self::AccountApproved { .. } => "AccountApproved",
            Self::AccountRejected { .. } => "AccountRejected",
            Self::ResidentSignedIn { .. } => "ResidentSignedIn",
            Self::PasswordResetRequested { .. } => "PasswordResetRequested",
            Self::PasswordResetApproved { .. } => "PasswordResetApproved",
            Self::PasswordResetRejected { .. } => "PasswordResetRejected",
            Self::PasswordResetCodeRefused { .. } => "PasswordResetCodeRefused",
            Self::PasswordChanged { .. } => "PasswordChanged",
            Self::LegacyAccessGranted { .. } => "LegacyAccessGranted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
