//! Accounts of the old portal, imported read-only. They cannot sign in; their finished
//! documents can be shown to a verified resident for 24 hours (see `account`).

use std::fmt;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ErrorCode;
use crate::document::FileId;
use crate::nik::Nik;

/// The stream id of a legacy account (a keyed hash of its NIK, like [`crate::account::AccountId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LegacyAccountId(pub Uuid);

impl fmt::Display for LegacyAccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A finished document of the old portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyDocument {
    pub file: FileId,
    /// e.g. "Akta Kelahiran a.n. Budi".
    pub title: String,
}

/// Import of one old account.
#[derive(Debug, Clone)]
pub struct ImportLegacyAccount {
    pub legacy_account_id: LegacyAccountId,
    pub nik: Nik,
    pub full_name: String,
    pub phone: Option<String>,
    pub documents: Vec<LegacyDocument>,
    pub at: DateTime<Utc>,
}

/// Facts about a legacy account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LegacyEvent {
    LegacyAccountImported {
        legacy_account_id: LegacyAccountId,
        nik: crate::privacy::Erasable<Nik>,
        full_name: String,
        phone: Option<String>,
        documents: Vec<LegacyDocument>,
        imported_at: DateTime<Utc>,
    },
}

impl DomainEvent for LegacyEvent {
    fn event_type(&self) -> String {
        "LegacyAccountImported".to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}

/// Why an import was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyError {
    #[error("Akun lama dengan NIK ini sudah pernah diimpor.")]
    AlreadyImported,
    #[error("Akun lama tidak ditemukan.")]
    NotFound,
}

impl ErrorCode for LegacyError {
    fn code(&self) -> &'static str {
        match self {
            Self::AlreadyImported => "LEGACY_ALREADY_IMPORTED",
            Self::NotFound => "LEGACY_ACCOUNT_NOT_FOUND",
        }
    }
}

/// A legacy account's state.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LegacyAccount {
    nik: Option<Nik>,
}

impl LegacyAccount {
    /// The NIK, once imported.
    pub fn nik(&self) -> Option<&Nik> {
        self.nik.as_ref()
    }
}

impl Aggregate for LegacyAccount {
    const TYPE: &'static str = "LegacyAccount";
    type Command = ImportLegacyAccount;
    type Event = LegacyEvent;
    type Error = LegacyError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if self.nik.is_some() {
            return Err(LegacyError::AlreadyImported);
        }
        let ImportLegacyAccount { legacy_account_id, nik, full_name, phone, documents, at } = command;
        let event = LegacyEvent::LegacyAccountImported {
            legacy_account_id,
            nik: nik.into(),
            full_name,
            phone,
            documents,
            imported_at: at,
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        let LegacyEvent::LegacyAccountImported { nik, .. } = event;
        self.nik = nik.known();
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;

    use super::*;

    fn import() -> ImportLegacyAccount {
        ImportLegacyAccount {
            legacy_account_id: LegacyAccountId(Uuid::from_u128(9)),
            nik: Nik::parse("6106011205900001").unwrap_or_else(|e| panic!("{e}")),
            full_name: "Siti Aminah".into(),
            phone: None,
            documents: vec![LegacyDocument { file: FileId(Uuid::from_u128(1)), title: "Akta Kelahiran".into() }],
            at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    fn imported() -> LegacyEvent {
        let c = import();
        LegacyEvent::LegacyAccountImported {
            legacy_account_id: c.legacy_account_id,
            nik: c.nik.into(),
            full_name: c.full_name,
            phone: c.phone,
            documents: c.documents,
            imported_at: c.at,
        }
    }

    #[test]
    fn imported_once_only() {
        TestFramework::<LegacyAccount>::with(())
            .given_no_previous_events()
            .when(import())
            .then_expect_events(vec![imported()]);
        TestFramework::<LegacyAccount>::with(())
            .given(vec![imported()])
            .when(import())
            .then_expect_error(LegacyError::AlreadyImported);
    }
}
