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
use crate::privacy::Erasable;
use crate::staff::StaffId;

/// Facts about a resident account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AccountEvent {
    /// Personal fields are [`Erasable`]: after an erasure they read as erased.
    AccountRegistered {
        account_id: AccountId,
        nik: Erasable<Nik>,
        full_name: Erasable<FullName>,
        phone: Erasable<PhoneNumber>,
        email: Option<Erasable<Email>>,
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
        full_name: Erasable<FullName>,
        documents: IdentityDocuments,
        requested_at: DateTime<Utc>,
    },
    PasswordResetApproved {
        code_hash: String,
        expires_at: DateTime<Utc>,
        /// The code sealed for the notification outbox (AEAD under the service's file keys,
        /// bound to the account), so the delivery worker can send it to the registered number
        /// while no one reading the history can. Absent on resets approved before
        /// notifications existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sealed_code: Option<String>,
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
    /// The resident's choice of channels for messages they may turn off.
    NotificationPreferencesChanged {
        whatsapp: bool,
        email: bool,
        at: DateTime<Utc>,
    },
    /// An officer asked for the resident's personal data to be erased (UU PDP), and why.
    ErasureRequested {
        by: StaffId,
        reason: Reason,
        at: DateTime<Utc>,
    },
    /// A supervisor other than the requester approved the erasure: the resident's data key is
    /// destroyed and their files deleted right after (`commands`), so every personal field of
    /// this stream, of their requests and of their sign-ins reads as erased from then on.
    AccountErased {
        requested_by: StaffId,
        approved_by: StaffId,
        /// The old portal's account of the same NIK, erased with it (a keyed hash, not the NIK),
        /// so an interrupted erasure can be finished from this event alone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        legacy_account_id: Option<LegacyAccountId>,
        at: DateTime<Utc>,
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
            Self::NotificationPreferencesChanged { .. } => "NotificationPreferencesChanged",
            Self::ErasureRequested { .. } => "ErasureRequested",
            Self::AccountErased { .. } => "AccountErased",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
