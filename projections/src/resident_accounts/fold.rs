//! Account events applied to in-memory rows: a batch costs one read of the profiles it touches
//! and one write per table, however many events it holds.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use commands::vault::{Field, Personal, contact};
use domain::account::{AccountEvent, AccountStatus};
use domain::document::{IdentityDocumentKind, IdentityDocuments};
use domain::nik::Nik;
use domain::privacy::ERASED;
use uuid::Uuid;

/// A `resident_accounts` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(super) struct Profile {
    pub account_id: Uuid,
    pub nik_masked: String,
    pub full_name: Personal,
    pub phone: Personal,
    pub email: Option<Personal>,
    /// The blind indexes officers find the resident by (`commands::vault::search`), keyed
    /// when the batch is sealed from the clear values.
    pub phone_key: Option<i64>,
    pub name_keys: Vec<i64>,
    #[sqlx(try_from = "String")]
    pub status: AccountStatus,
    pub registered_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
    pub last_signed_in: Option<DateTime<Utc>>,
    /// An erasure filed and waiting for approval.
    pub erasure_requested_at: Option<DateTime<Utc>>,
}

/// An `account_verification_queue` row.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Queued {
    pub account_id: Uuid,
    pub nik_masked: String,
    pub full_name: Personal,
    pub phone: Personal,
    pub email: Option<Personal>,
    pub identity_kind: &'static str,
    pub identity_file: Uuid,
    pub family_card_file: Uuid,
    pub selfie_file: Uuid,
    pub registered_at: DateTime<Utc>,
}

/// A `password_reset_queue` row.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ResetEntry {
    pub account_id: Uuid,
    pub nik_masked: String,
    pub registered_name: Personal,
    pub given_name: Personal,
    pub phone: Personal,
    pub identity_kind: &'static str,
    pub identity_file: Uuid,
    pub family_card_file: Uuid,
    pub selfie_file: Uuid,
    pub requested_at: DateTime<Utc>,
}

/// What a batch does to one account's password-reset entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct ResetChange {
    /// The stored entry goes (the request was decided).
    pub delete_stored: bool,
    /// The entry to write; over a stored one, only the request's own fields replace it.
    pub upsert: Option<ResetEntry>,
}

/// A `legacy_access_grants` row.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Grant {
    pub account_id: Uuid,
    pub legacy_account_id: Uuid,
    pub granted_at: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// The rows a batch of account events touches.
#[derive(Debug, Default)]
pub(super) struct AccountRows {
    /// Profiles as loaded, then changed.
    pub profiles: HashMap<Uuid, Profile>,
    /// Verification-queue entries to end with: `Some` (re)written, `None` removed.
    pub verification: HashMap<Uuid, Option<Queued>>,
    pub resets: HashMap<Uuid, ResetChange>,
    pub grants: Vec<Grant>,
}

pub(super) fn kind_str(kind: IdentityDocumentKind) -> &'static str {
    match kind {
        IdentityDocumentKind::KtpEl => "KTP_EL",
        IdentityDocumentKind::PoliceLossLetter => "POLICE_LOSS_LETTER",
    }
}

impl AccountRows {
    /// Every personal value of the rows, with whom it is about: what the batch seals before
    /// it writes.
    pub fn personal_mut(&mut self) -> impl Iterator<Item = (Uuid, Field, &mut Personal)> {
        let profiles = (self.profiles.values_mut())
            .flat_map(|p| contact(p.account_id, &mut p.full_name, &mut p.phone, p.email.as_mut()));
        let queued = (self.verification.values_mut().flatten())
            .flat_map(|q| contact(q.account_id, &mut q.full_name, &mut q.phone, q.email.as_mut()));
        let resets = self.resets.values_mut().filter_map(|c| c.upsert.as_mut()).flat_map(|r| {
            let id = r.account_id;
            [
                (id, Field::Name, &mut r.registered_name),
                (id, Field::Name, &mut r.given_name),
                (id, Field::Phone, &mut r.phone),
            ]
        });
        profiles.chain(queued).chain(resets)
    }

    /// Applies one event of account `id`. Events about profiles that do not exist change
    /// nothing, as an `UPDATE` of no row would not.
    pub fn apply(&mut self, id: Uuid, event: AccountEvent) {
        match event {
            AccountEvent::AccountRegistered { nik, full_name, phone, email, documents, registered_at, .. } => {
                let email = email.map(|e| Personal::Clear(e.shown(|e| e.as_str().to_owned())));
                let (nik_masked, full_name, phone) = (
                    nik.shown(Nik::masked),
                    Personal::Clear(full_name.shown(|n| n.as_str().to_owned())),
                    Personal::Clear(phone.shown(|p| p.as_str().to_owned())),
                );
                let last_signed_in = self.profiles.get(&id).and_then(|p| p.last_signed_in);
                self.profiles.insert(
                    id,
                    Profile {
                        account_id: id,
                        nik_masked: nik_masked.clone(),
                        full_name: full_name.clone(),
                        phone: phone.clone(),
                        email: email.clone(),
                        phone_key: None,
                        name_keys: Vec::new(),
                        status: AccountStatus::AwaitingVerification,
                        registered_at,
                        decided_at: None,
                        rejection_reason: None,
                        last_signed_in,
                        erasure_requested_at: None,
                    },
                );
                self.verification.insert(
                    id,
                    Some(Queued {
                        account_id: id,
                        nik_masked,
                        full_name,
                        phone,
                        email,
                        identity_kind: kind_str(documents.identity_kind),
                        identity_file: documents.identity.0,
                        family_card_file: documents.family_card.0,
                        selfie_file: documents.selfie.0,
                        registered_at,
                    }),
                );
            }
            AccountEvent::AccountApproved { approved_at } => self.decide(id, AccountStatus::Active, approved_at, None),
            AccountEvent::AccountRejected { reason, rejected_at } => {
                self.decide(id, AccountStatus::Rejected, rejected_at, Some(reason.as_str().to_owned()));
            }
            AccountEvent::ResidentSignedIn { at } => {
                if let Some(profile) = self.profiles.get_mut(&id) {
                    profile.last_signed_in = Some(at);
                }
            }
            AccountEvent::PasswordResetRequested { full_name, documents, requested_at } => {
                self.request_reset(id, &full_name.shown(|n| n.as_str().to_owned()), &documents, requested_at);
            }
            AccountEvent::PasswordResetApproved { .. } | AccountEvent::PasswordResetRejected { .. } => {
                self.resets.insert(id, ResetChange { delete_stored: true, upsert: None });
            }
            AccountEvent::AccountErased { at, .. } => {
                if let Some(profile) = self.profiles.get_mut(&id) {
                    profile.nik_masked = ERASED.to_owned();
                    profile.full_name = Personal::clear(ERASED);
                    profile.phone = Personal::clear(ERASED);
                    profile.email = None;
                    profile.phone_key = None;
                    profile.name_keys = Vec::new();
                    profile.status = AccountStatus::Erased;
                    profile.decided_at = Some(at);
                    profile.rejection_reason = None;
                    profile.erasure_requested_at = None;
                }
                self.verification.insert(id, None);
                self.resets.insert(id, ResetChange { delete_stored: true, upsert: None });
            }
            AccountEvent::PasswordResetCodeRefused { .. }
            | AccountEvent::PasswordChanged { .. }
            | AccountEvent::NotificationPreferencesChanged { .. } => {}
            AccountEvent::ErasureRequested { at, .. } => {
                if let Some(profile) = self.profiles.get_mut(&id) {
                    profile.erasure_requested_at = Some(at);
                }
            }
            AccountEvent::LegacyAccessGranted { legacy_account_id, granted_at, until } => {
                self.grants.push(Grant { account_id: id, legacy_account_id: legacy_account_id.0, granted_at, until });
            }
        }
    }

    fn decide(&mut self, id: Uuid, status: AccountStatus, at: DateTime<Utc>, reason: Option<String>) {
        if let Some(profile) = self.profiles.get_mut(&id) {
            profile.status = status;
            profile.decided_at = Some(at);
            profile.rejection_reason = reason;
        }
        self.verification.insert(id, None);
    }

    fn request_reset(&mut self, id: Uuid, given_name: &str, documents: &IdentityDocuments, at: DateTime<Utc>) {
        let Some(profile) = self.profiles.get(&id) else { return };
        let change = self.resets.entry(id).or_default();
        match &mut change.upsert {
            // A request over a pending one replaces the request's fields, keeping who it is for.
            Some(entry) => {
                entry.given_name = Personal::clear(given_name);
                entry.identity_kind = kind_str(documents.identity_kind);
                entry.identity_file = documents.identity.0;
                entry.family_card_file = documents.family_card.0;
                entry.selfie_file = documents.selfie.0;
                entry.requested_at = at;
            }
            None => {
                change.upsert = Some(ResetEntry {
                    account_id: id,
                    nik_masked: profile.nik_masked.clone(),
                    registered_name: profile.full_name.clone(),
                    given_name: Personal::clear(given_name),
                    phone: profile.phone.clone(),
                    identity_kind: kind_str(documents.identity_kind),
                    identity_file: documents.identity.0,
                    family_card_file: documents.family_card.0,
                    selfie_file: documents.selfie.0,
                    requested_at: at,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use domain::account::{AccountId, Reason};
    use domain::document::FileId;
    use domain::password::PasswordHash;
    use domain::person::FullName;
    use domain::phone::PhoneNumber;

    use super::*;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 2, minute, 0).single().unwrap_or_default()
    }

    fn documents() -> IdentityDocuments {
        IdentityDocuments {
            identity_kind: IdentityDocumentKind::KtpEl,
            identity: FileId(Uuid::from_u128(1)),
            family_card: FileId(Uuid::from_u128(2)),
            selfie: FileId(Uuid::from_u128(3)),
        }
    }

    fn registered(id: Uuid, name: &str, minute: u32) -> AccountEvent {
        AccountEvent::AccountRegistered {
            account_id: AccountId(id),
            nik: Nik::parse("6106015205900001").expect("nik").into(),
            full_name: FullName::parse(name).expect("name").into(),
            phone: PhoneNumber::parse("081234567890").expect("phone").into(),
            email: None,
            password_hash: PasswordHash::from_phc("$argon2id$test".into()),
            documents: documents(),
            registered_at: at(minute),
        }
    }

    #[test]
    fn registration_queues_and_a_decision_dequeues_and_masks_the_nik() {
        let id = Uuid::from_u128(10);
        let mut rows = AccountRows::default();
        rows.apply(id, registered(id, "Siti Aminah", 0));
        let queued = rows.verification[&id].clone().expect("queued for verification");
        assert!(!queued.nik_masked.contains("6106015205900001"), "the queue never holds the full NIK");
        rows.apply(
            id,
            AccountEvent::AccountRejected { reason: Reason::parse("Foto buram").expect("r"), rejected_at: at(5) },
        );
        assert_eq!(rows.verification[&id], None);
        let profile = &rows.profiles[&id];
        assert_eq!((profile.status, profile.decided_at), (AccountStatus::Rejected, Some(at(5))));
        assert_eq!(profile.rejection_reason.as_deref(), Some("Foto buram"));
        // Registering again reopens the account and keeps when it last signed in.
        rows.profiles.get_mut(&id).expect("profile").last_signed_in = Some(at(6));
        rows.apply(id, registered(id, "Siti Aminah", 10));
        let profile = &rows.profiles[&id];
        assert_eq!(
            (profile.status, profile.decided_at, profile.last_signed_in),
            (AccountStatus::AwaitingVerification, None, Some(at(6)))
        );
        assert!(rows.verification[&id].is_some());
    }

    #[test]
    fn a_second_reset_request_keeps_who_it_is_for_and_a_decision_removes_it() {
        let id = Uuid::from_u128(11);
        let mut rows = AccountRows::default();
        let request = |name: &str, minute| AccountEvent::PasswordResetRequested {
            full_name: FullName::parse(name).expect("name").into(),
            documents: documents(),
            requested_at: at(minute),
        };
        rows.apply(id, request("Siti", 1));
        assert_eq!(rows.resets.get(&id), None, "no profile, no reset entry");
        rows.apply(id, registered(id, "Siti Aminah", 0));
        rows.apply(id, request("Siti A", 2));
        rows.apply(id, request("Siti Aminah", 3));
        let entry = rows.resets[&id].upsert.clone().expect("pending reset");
        assert_eq!((entry.registered_name.as_str(), entry.given_name.as_str()), ("Siti Aminah", "Siti Aminah"));
        assert_eq!(entry.requested_at, at(3));
        rows.apply(id, AccountEvent::PasswordResetRejected { reason: Reason::parse("Tidak cocok").expect("r") });
        assert_eq!(rows.resets[&id], ResetChange { delete_stored: true, upsert: None });
    }
}
