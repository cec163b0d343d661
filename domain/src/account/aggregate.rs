use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{AccountCommand, AccountError, AccountEvent, AccountId, NotificationPreferences};
use crate::legacy::LegacyAccountId;
use crate::nik::Nik;
use crate::password::PasswordHash;
use crate::person::FullName;
use crate::phone::PhoneNumber;

/// How long a granted look at the old portal's documents lasts (FAQ 2: "1×24 jam").
pub const LEGACY_ACCESS_DURATION: Duration = Duration::hours(24);

crate::spelled::spelled_enum! {
    /// Where an account stands. Spelled once: serde, `as_str` and `FromStr` agree, and
    /// an unknown spelling is an error.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    pub enum AccountStatus: UnknownAccountStatus("account status") {
        /// No registration (or none since the stream began).
        #[default]
        Unregistered = "UNREGISTERED",
        /// Registered, waiting for an operator.
        AwaitingVerification = "AWAITING_VERIFICATION",
        /// Verified: may sign in.
        Active = "ACTIVE",
        /// Refused by an operator; the resident may register again.
        Rejected = "REJECTED",
        /// Personal data erased (UU PDP); the NIK may register again, as a new person.
        Erased = "ERASED",
    }
}

/// A resident account's state, folded from its events.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Account {
    status: AccountStatus,
    id: Option<AccountId>,
    nik: Option<Nik>,
    full_name: Option<FullName>,
    phone: Option<PhoneNumber>,
    password_hash: Option<PasswordHash>,
    reset: Reset,
    rejection_reason: Option<String>,
    legacy_grants: Vec<(LegacyAccountId, DateTime<Utc>)>,
    #[serde(default)]
    notifications: NotificationPreferences,
    /// The officer who filed an erasure still waiting for approval.
    #[serde(default)]
    erasure_requested_by: Option<crate::staff::StaffId>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
enum Reset {
    #[default]
    None,
    Requested,
    Approved {
        code_hash: String,
        expires_at: DateTime<Utc>,
        failed_attempts: u32,
    },
}

impl Account {
    /// Where the account stands.
    pub fn status(&self) -> AccountStatus {
        self.status
    }

    /// The stream id, once registered.
    pub fn id(&self) -> Option<AccountId> {
        self.id
    }

    /// The NIK, once registered.
    pub fn nik(&self) -> Option<&Nik> {
        self.nik.as_ref()
    }

    /// The registered name.
    pub fn full_name(&self) -> Option<&FullName> {
        self.full_name.as_ref()
    }

    /// The registered WhatsApp number.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        self.phone.as_ref()
    }

    /// The channels the resident accepts messages on.
    pub fn notification_preferences(&self) -> NotificationPreferences {
        self.notifications
    }

    /// The stored password hash, for sign-in verification.
    pub fn password_hash(&self) -> Option<&PasswordHash> {
        self.password_hash.as_ref()
    }

    /// The officer who filed an erasure waiting for approval.
    pub fn erasure_requested_by(&self) -> Option<crate::staff::StaffId> {
        self.erasure_requested_by
    }

    /// Why the last registration was refused, if it was.
    pub fn rejection_reason(&self) -> Option<&str> {
        self.rejection_reason.as_deref()
    }

    /// The legacy accounts whose documents this resident may see at `now`, with the end of
    /// each grant. Expiry needs no job: it is a comparison with the clock.
    pub fn legacy_access_at(&self, now: DateTime<Utc>) -> Vec<(LegacyAccountId, DateTime<Utc>)> {
        let mut live: Vec<(LegacyAccountId, DateTime<Utc>)> = Vec::new();
        for (legacy, until) in self.legacy_grants.iter().filter(|(_, until)| *until > now) {
            match live.iter_mut().find(|(l, _)| l == legacy) {
                Some(entry) => entry.1 = entry.1.max(*until),
                None => live.push((*legacy, *until)),
            }
        }
        live
    }

    fn require_active(&self) -> Result<(), AccountError> {
        match self.status {
            AccountStatus::Active => Ok(()),
            AccountStatus::Unregistered => Err(AccountError::NotFound),
            _ => Err(AccountError::NotActive),
        }
    }

    fn require_awaiting(&self) -> Result<(), AccountError> {
        match self.status {
            AccountStatus::AwaitingVerification => Ok(()),
            AccountStatus::Unregistered => Err(AccountError::NotFound),
            _ => Err(AccountError::NotAwaitingVerification),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl crate::decide::Decide for Account {
    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error> {
        use AccountCommand as C;
        use AccountEvent as E;
        match command {
            C::Register { account_id, nik, full_name, phone, email, password_hash, documents, at } => match self.status
            {
                AccountStatus::Active => Err(AccountError::AlreadyRegistered),
                AccountStatus::AwaitingVerification => Err(AccountError::AwaitingVerification),
                AccountStatus::Unregistered | AccountStatus::Rejected | AccountStatus::Erased => {
                    Ok(vec![E::AccountRegistered {
                        account_id,
                        nik: nik.into(),
                        full_name: full_name.into(),
                        phone: phone.into(),
                        email: email.map(Into::into),
                        password_hash,
                        documents,
                        registered_at: at,
                    }])
                }
            },
            C::Approve { at } => {
                self.require_awaiting()?;
                Ok(vec![E::AccountApproved { approved_at: at }])
            }
            C::Reject { reason, at } => {
                self.require_awaiting()?;
                Ok(vec![E::AccountRejected { reason, rejected_at: at }])
            }
            C::RequestPasswordReset { full_name, documents, at } => {
                self.require_active()?;
                // Anyone can file a request for any NIK: a waiting request, or an approved code
                // still valid, is the owner's and must not be replaced by a stranger's.
                match &self.reset {
                    Reset::Requested => Err(AccountError::ResetAlreadyPending),
                    Reset::Approved { expires_at, .. } if at < *expires_at => Err(AccountError::ResetAlreadyPending),
                    _ => {
                        Ok(vec![E::PasswordResetRequested { full_name: full_name.into(), documents, requested_at: at }])
                    }
                }
            }
            C::ApprovePasswordReset { code_hash, expires_at, sealed_code } => {
                self.require_active()?;
                match self.reset {
                    Reset::Requested => Ok(vec![E::PasswordResetApproved { code_hash, expires_at, sealed_code }]),
                    _ => Err(AccountError::NoResetRequested),
                }
            }
            C::RejectPasswordReset { reason } => {
                self.require_active()?;
                match self.reset {
                    Reset::Requested => Ok(vec![E::PasswordResetRejected { reason }]),
                    _ => Err(AccountError::NoResetRequested),
                }
            }
            C::CompletePasswordReset { code_hash: presented, password_hash, now } => {
                let Reset::Approved { code_hash, expires_at, .. } = &self.reset else {
                    return Err(AccountError::ResetCodeInvalid);
                };
                // A wrong code changes nothing: anyone can send codes for any NIK, so counting
                // them here would let a stranger void the owner's code. The guesser is
                // throttled by address instead (`commands`), against a space of 31^10 codes.
                if self.status != AccountStatus::Active
                    || now >= *expires_at
                    || !constant_time_eq(code_hash.as_bytes(), presented.as_bytes())
                {
                    return Err(AccountError::ResetCodeInvalid);
                }
                Ok(vec![E::PasswordChanged { password_hash, via_reset: true }])
            }
            C::GrantLegacyAccess { legacy_account_id, legacy_nik, at } => {
                self.require_active()?;
                if self.nik.as_ref() != Some(&legacy_nik) {
                    return Err(AccountError::LegacyNikMismatch);
                }
                Ok(vec![E::LegacyAccessGranted {
                    legacy_account_id,
                    granted_at: at,
                    until: at + LEGACY_ACCESS_DURATION,
                }])
            }
            C::RequestErasure { by, reason, at } => match self.status {
                AccountStatus::Unregistered | AccountStatus::Erased => Err(AccountError::NotFound),
                _ if self.erasure_requested_by.is_some() => Err(AccountError::ErasureAlreadyRequested),
                _ => Ok(vec![E::ErasureRequested { by, reason, at }]),
            },
            C::ApproveErasure { by, legacy_account_id, at } => match self.erasure_requested_by {
                None => Err(AccountError::NoErasureRequested),
                Some(requester) if requester == by => Err(AccountError::ErasureNeedsAnotherOfficer),
                Some(requested_by) => {
                    Ok(vec![E::AccountErased { requested_by, approved_by: by, legacy_account_id, at }])
                }
            },
            C::SetNotificationPreferences { preferences, at } => {
                self.require_active()?;
                if preferences == self.notifications {
                    return Ok(vec![]);
                }
                Ok(vec![E::NotificationPreferencesChanged {
                    whatsapp: preferences.whatsapp,
                    email: preferences.email,
                    at,
                }])
            }
        }
    }
}

crate::decide::decided_aggregate!(Account, "Account", AccountCommand, AccountEvent, AccountError);

impl Account {
    /// Folds one event into the state (cqrs-es's `Aggregate::apply`).
    fn fold(&mut self, event: AccountEvent) {
        use AccountEvent as E;
        match event {
            E::AccountRegistered { account_id, nik, full_name, phone, password_hash, .. } => {
                self.status = AccountStatus::AwaitingVerification;
                self.id = Some(account_id);
                self.nik = nik.known();
                self.full_name = full_name.known();
                self.phone = phone.known();
                self.password_hash = Some(password_hash);
                self.reset = Reset::None;
                self.rejection_reason = None;
            }
            E::AccountApproved { .. } => self.status = AccountStatus::Active,
            E::AccountRejected { reason, .. } => {
                self.status = AccountStatus::Rejected;
                self.rejection_reason = Some(reason.as_str().to_owned());
            }
            // Sign-ins are streams of their own now (`crate::sign_in`); older ones stay here.
            E::ResidentSignedIn { .. } => {}
            E::LegacyAccessGranted { legacy_account_id, until, .. } => {
                self.legacy_grants.push((legacy_account_id, until))
            }
            E::PasswordResetRequested { .. } => self.reset = Reset::Requested,
            E::NotificationPreferencesChanged { whatsapp, email, .. } => {
                self.notifications = NotificationPreferences { whatsapp, email };
            }
            E::PasswordResetApproved { code_hash, expires_at, .. } => {
                self.reset = Reset::Approved { code_hash, expires_at, failed_attempts: 0 };
            }
            E::PasswordResetRejected { .. } => self.reset = Reset::None,
            E::PasswordResetCodeRefused { attempts, voided } => {
                if voided {
                    self.reset = Reset::None;
                } else if let Reset::Approved { failed_attempts, .. } = &mut self.reset {
                    *failed_attempts = attempts;
                }
            }
            E::PasswordChanged { password_hash, .. } => {
                self.password_hash = Some(password_hash);
                self.reset = Reset::None;
            }
            E::ErasureRequested { by, .. } => self.erasure_requested_by = Some(by),
            // Nothing of the person is kept: the stream may begin again with a new registration.
            E::AccountErased { .. } => {
                *self = Self { status: AccountStatus::Erased, id: self.id, ..Self::default() };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::Aggregate;
    #[test]
    fn each_account_status_is_spelled_once_and_unknown_spellings_are_errors() {
        for status in super::AccountStatus::ALL {
            let serde = serde_json::to_value(status).unwrap_or_default();
            assert_eq!(serde.as_str(), Some(status.as_str()));
            assert_eq!(status.as_str().parse::<super::AccountStatus>(), Ok(status));
        }
        assert!("active".parse::<super::AccountStatus>().is_err());
    }

    use chrono::TimeZone;
    use cqrs_es::test::TestFramework;
    use uuid::Uuid;

    use super::*;
    use crate::account::Reason;
    use crate::document::{FileId, IdentityDocumentKind, IdentityDocuments};

    type Given = TestFramework<Account>;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).single().unwrap_or_default()
    }

    fn nik() -> Nik {
        Nik::parse("6106011205900001").unwrap_or_else(|e| panic!("{e}"))
    }

    fn docs() -> IdentityDocuments {
        IdentityDocuments {
            identity_kind: IdentityDocumentKind::KtpEl,
            identity: FileId(Uuid::from_u128(1)),
            family_card: FileId(Uuid::from_u128(2)),
            selfie: FileId(Uuid::from_u128(3)),
        }
    }

    fn id() -> AccountId {
        AccountId(Uuid::from_u128(42))
    }

    fn hash(tag: &str) -> PasswordHash {
        PasswordHash::from_phc(format!("$argon2id$test${tag}"))
    }

    fn name() -> FullName {
        FullName::parse("Siti Aminah").unwrap_or_else(|e| panic!("{e}"))
    }

    fn phone() -> PhoneNumber {
        PhoneNumber::parse("081234567890").unwrap_or_else(|e| panic!("{e}"))
    }

    fn register() -> AccountCommand {
        AccountCommand::Register {
            account_id: id(),
            nik: nik(),
            full_name: name(),
            phone: phone(),
            email: None,
            password_hash: hash("a"),
            documents: docs(),
            at: t0(),
        }
    }

    fn registered() -> AccountEvent {
        AccountEvent::AccountRegistered {
            account_id: id(),
            nik: nik().into(),
            full_name: name().into(),
            phone: phone().into(),
            email: None,
            password_hash: hash("a"),
            documents: docs(),
            registered_at: t0(),
        }
    }

    fn approved() -> AccountEvent {
        AccountEvent::AccountApproved { approved_at: t0() }
    }

    fn reason() -> Reason {
        Reason::parse("Foto KTP tidak terbaca").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn registration_awaits_verification() {
        Given::with(()).given_no_previous_events().when(register()).then_expect_events(vec![registered()]);
    }

    #[test]
    fn a_second_registration_while_waiting_is_refused() {
        Given::with(())
            .given(vec![registered()])
            .when(register())
            .then_expect_error(AccountError::AwaitingVerification);
    }

    #[test]
    fn an_active_nik_cannot_register_again() {
        Given::with(())
            .given(vec![registered(), approved()])
            .when(register())
            .then_expect_error(AccountError::AlreadyRegistered);
    }

    #[test]
    fn a_rejected_resident_may_register_again() {
        Given::with(())
            .given(vec![registered(), AccountEvent::AccountRejected { reason: reason(), rejected_at: t0() }])
            .when(register())
            .then_expect_events(vec![registered()]);
    }

    fn officer(n: u128) -> crate::staff::StaffId {
        crate::staff::StaffId(uuid::Uuid::from_u128(n))
    }

    fn erasure_requested() -> AccountEvent {
        AccountEvent::ErasureRequested { by: officer(1), reason: reason(), at: t0() }
    }

    #[test]
    fn an_erasure_is_filed_once_and_approved_by_another_officer() {
        Given::with(())
            .given(vec![registered(), approved()])
            .when(AccountCommand::RequestErasure { by: officer(1), reason: reason(), at: t0() })
            .then_expect_events(vec![erasure_requested()]);
        Given::with(())
            .given(vec![registered(), approved(), erasure_requested()])
            .when(AccountCommand::RequestErasure { by: officer(2), reason: reason(), at: t0() })
            .then_expect_error(AccountError::ErasureAlreadyRequested);
        Given::with(())
            .given(vec![registered(), approved(), erasure_requested()])
            .when(AccountCommand::ApproveErasure { by: officer(1), legacy_account_id: None, at: t0() })
            .then_expect_error(AccountError::ErasureNeedsAnotherOfficer);
        Given::with(())
            .given(vec![registered(), approved()])
            .when(AccountCommand::ApproveErasure { by: officer(2), legacy_account_id: None, at: t0() })
            .then_expect_error(AccountError::NoErasureRequested);
        Given::with(())
            .given(vec![registered(), approved(), erasure_requested()])
            .when(AccountCommand::ApproveErasure { by: officer(2), legacy_account_id: None, at: t0() })
            .then_expect_events(vec![AccountEvent::AccountErased {
                requested_by: officer(1),
                approved_by: officer(2),
                legacy_account_id: None,
                at: t0(),
            }]);
        Given::with(())
            .given_no_previous_events()
            .when(AccountCommand::RequestErasure { by: officer(1), reason: reason(), at: t0() })
            .then_expect_error(AccountError::NotFound);
    }

    #[test]
    fn an_erased_account_keeps_nothing_and_its_nik_may_register_again() {
        let erased = AccountEvent::AccountErased {
            requested_by: officer(1),
            approved_by: officer(2),
            legacy_account_id: None,
            at: t0(),
        };
        let mut account = Account::default();
        for event in [registered(), approved(), erasure_requested(), erased.clone()] {
            account.fold(event);
        }
        assert_eq!(account.status(), AccountStatus::Erased);
        assert!(account.nik().is_none() && account.full_name().is_none() && account.phone().is_none());
        assert!(account.password_hash().is_none(), "nobody signs in to an erased account");
        assert_eq!(account.id(), Some(id()));
        Given::with(())
            .given(vec![registered(), approved(), erasure_requested(), erased])
            .when(register())
            .then_expect_events(vec![registered()]);
    }

    #[test]
    fn a_history_whose_fields_were_erased_still_folds() {
        let stored = serde_json::json!({ "AccountRegistered": {
            "account_id": id().to_string(), "nik": crate::privacy::ERASED, "full_name": crate::privacy::ERASED,
            "phone": crate::privacy::ERASED, "email": crate::privacy::ERASED, "password_hash": "$argon2id$x",
            "documents": serde_json::to_value(docs()).unwrap_or_default(), "registered_at": t0() } });
        let event: Result<AccountEvent, _> = serde_json::from_value(stored);
        assert!(matches!(&event, Ok(AccountEvent::AccountRegistered { nik: crate::privacy::Erasable::Erased, .. })));
        let mut account = Account::default();
        if let Ok(event) = event {
            account.fold(event);
        }
        assert_eq!(account.status(), AccountStatus::AwaitingVerification);
        assert!(account.nik().is_none());
    }

    #[test]
    fn approve_and_reject_only_while_waiting() {
        Given::with(())
            .given(vec![registered()])
            .when(AccountCommand::Approve { at: t0() })
            .then_expect_events(vec![approved()]);
        Given::with(())
            .given(vec![registered(), approved()])
            .when(AccountCommand::Reject { reason: reason(), at: t0() })
            .then_expect_error(AccountError::NotAwaitingVerification);
        Given::with(())
            .given_no_previous_events()
            .when(AccountCommand::Approve { at: t0() })
            .then_expect_error(AccountError::NotFound);
    }

    #[test]
    fn sign_ins_recorded_in_the_account_stream_before_change_nothing() {
        let before = Given::with(()).given(vec![registered(), approved()]);
        before.when(AccountCommand::Approve { at: t0() }).then_expect_error(AccountError::NotAwaitingVerification);
        Given::with(())
            .given(vec![registered(), approved(), AccountEvent::ResidentSignedIn { at: t0() }])
            .when(AccountCommand::Approve { at: t0() })
            .then_expect_error(AccountError::NotAwaitingVerification);
    }

    fn reset_requested() -> AccountEvent {
        AccountEvent::PasswordResetRequested { full_name: name().into(), documents: docs(), requested_at: t0() }
    }

    fn reset_approved() -> AccountEvent {
        AccountEvent::PasswordResetApproved {
            code_hash: "c0de".into(),
            expires_at: t0() + Duration::hours(24),
            sealed_code: None,
        }
    }

    fn complete(code: &str, now: DateTime<Utc>) -> AccountCommand {
        AccountCommand::CompletePasswordReset { code_hash: code.into(), password_hash: hash("new"), now }
    }

    #[test]
    fn password_reset_happy_path() {
        Given::with(())
            .given(vec![registered(), approved()])
            .when(AccountCommand::RequestPasswordReset { full_name: name(), documents: docs(), at: t0() })
            .then_expect_events(vec![reset_requested()]);
        Given::with(())
            .given(vec![registered(), approved(), reset_requested()])
            .when(AccountCommand::ApprovePasswordReset {
                code_hash: "c0de".into(),
                expires_at: t0() + Duration::hours(24),
                sealed_code: None,
            })
            .then_expect_events(vec![reset_approved()]);
        Given::with(())
            .given(vec![registered(), approved(), reset_requested(), reset_approved()])
            .when(complete("c0de", t0() + Duration::hours(23)))
            .then_expect_events(vec![AccountEvent::PasswordChanged { password_hash: hash("new"), via_reset: true }]);
    }

    #[test]
    fn reset_needs_a_request_and_an_active_account() {
        Given::with(())
            .given(vec![registered(), approved()])
            .when(AccountCommand::ApprovePasswordReset { code_hash: "x".into(), expires_at: t0(), sealed_code: None })
            .then_expect_error(AccountError::NoResetRequested);
        Given::with(())
            .given(vec![registered()])
            .when(AccountCommand::RequestPasswordReset { full_name: name(), documents: docs(), at: t0() })
            .then_expect_error(AccountError::NotActive);
        Given::with(())
            .given(vec![registered(), approved(), reset_requested()])
            .when(complete("c0de", t0()))
            .then_expect_error(AccountError::ResetCodeInvalid);
    }

    #[test]
    fn reset_code_expires_after_24_hours_and_is_single_use() {
        let given = || Given::with(()).given(vec![registered(), approved(), reset_requested(), reset_approved()]);
        given().when(complete("c0de", t0() + Duration::hours(24))).then_expect_error(AccountError::ResetCodeInvalid);
        Given::with(())
            .given(vec![
                registered(),
                approved(),
                reset_requested(),
                reset_approved(),
                AccountEvent::PasswordChanged { password_hash: hash("new"), via_reset: true },
            ])
            .when(complete("c0de", t0()))
            .then_expect_error(AccountError::ResetCodeInvalid);
    }

    #[test]
    fn wrong_codes_change_nothing_and_never_void_the_owners_code() {
        Given::with(())
            .given(vec![registered(), approved(), reset_requested(), reset_approved()])
            .when(complete("wrong", t0()))
            .then_expect_error(AccountError::ResetCodeInvalid);
        // However many wrong codes came before (none is recorded), the right one still works.
        Given::with(())
            .given(vec![registered(), approved(), reset_requested(), reset_approved()])
            .when(complete("c0de", t0() + Duration::hours(23)))
            .then_expect_events(vec![AccountEvent::PasswordChanged { password_hash: hash("new"), via_reset: true }]);
        // Histories recorded before this rule still replay: a reset voided then stays void.
        let mut history = vec![registered(), approved(), reset_requested(), reset_approved()];
        history.push(AccountEvent::PasswordResetCodeRefused { attempts: 5, voided: true });
        Given::with(()).given(history).when(complete("c0de", t0())).then_expect_error(AccountError::ResetCodeInvalid);
    }

    #[test]
    fn a_waiting_or_approved_reset_is_not_replaced_by_a_new_request() {
        let request = |at| AccountCommand::RequestPasswordReset { full_name: name(), documents: docs(), at };
        Given::with(())
            .given(vec![registered(), approved(), reset_requested()])
            .when(request(t0()))
            .then_expect_error(AccountError::ResetAlreadyPending);
        Given::with(())
            .given(vec![registered(), approved(), reset_requested(), reset_approved()])
            .when(request(t0() + Duration::hours(23)))
            .then_expect_error(AccountError::ResetAlreadyPending);
        // Once the code has expired, or the request was decided, a new one may be filed.
        let requested_again = AccountEvent::PasswordResetRequested {
            full_name: name().into(),
            documents: docs(),
            requested_at: t0() + Duration::hours(24),
        };
        Given::with(())
            .given(vec![registered(), approved(), reset_requested(), reset_approved()])
            .when(request(t0() + Duration::hours(24)))
            .then_expect_events(vec![requested_again]);
        Given::with(())
            .given(vec![
                registered(),
                approved(),
                reset_requested(),
                AccountEvent::PasswordResetRejected { reason: reason() },
            ])
            .when(request(t0()))
            .then_expect_events(vec![reset_requested()]);
    }

    #[test]
    fn legacy_access_lasts_exactly_24_hours_and_needs_the_same_nik() {
        let legacy = LegacyAccountId(Uuid::from_u128(7));
        Given::with(())
            .given(vec![registered(), approved()])
            .when(AccountCommand::GrantLegacyAccess { legacy_account_id: legacy, legacy_nik: nik(), at: t0() })
            .then_expect_events(vec![AccountEvent::LegacyAccessGranted {
                legacy_account_id: legacy,
                granted_at: t0(),
                until: t0() + Duration::hours(24),
            }]);
        let other = Nik::parse("6106011205900002").unwrap_or_else(|e| panic!("{e}"));
        Given::with(())
            .given(vec![registered(), approved()])
            .when(AccountCommand::GrantLegacyAccess { legacy_account_id: legacy, legacy_nik: other, at: t0() })
            .then_expect_error(AccountError::LegacyNikMismatch);
        Given::with(())
            .given(vec![registered()])
            .when(AccountCommand::GrantLegacyAccess { legacy_account_id: legacy, legacy_nik: nik(), at: t0() })
            .then_expect_error(AccountError::NotActive);
    }

    #[test]
    fn legacy_access_is_visible_until_the_grant_ends() {
        let legacy = LegacyAccountId(Uuid::from_u128(7));
        let mut account = Account::default();
        account.apply(registered());
        account.apply(approved());
        account.apply(AccountEvent::LegacyAccessGranted {
            legacy_account_id: legacy,
            granted_at: t0(),
            until: t0() + LEGACY_ACCESS_DURATION,
        });
        assert_eq!(account.legacy_access_at(t0() + Duration::hours(23)), vec![(legacy, t0() + LEGACY_ACCESS_DURATION)]);
        assert!(account.legacy_access_at(t0() + Duration::hours(24)).is_empty());
    }

    #[test]
    fn reasons_are_checked() {
        assert_eq!(Reason::parse("ok"), Err(AccountError::InvalidReason));
        assert!(Reason::parse("Selfie tidak jelas").is_ok());
    }

    #[test]
    fn a_resident_turns_channels_off_and_an_unchanged_choice_records_nothing() {
        let off = NotificationPreferences { whatsapp: true, email: false };
        Given::with(())
            .given(vec![registered(), approved()])
            .when(AccountCommand::SetNotificationPreferences { preferences: off, at: t0() })
            .then_expect_events(vec![AccountEvent::NotificationPreferencesChanged {
                whatsapp: true,
                email: false,
                at: t0(),
            }]);
        Given::with(())
            .given(vec![registered(), approved()])
            .when(AccountCommand::SetNotificationPreferences {
                preferences: NotificationPreferences::default(),
                at: t0(),
            })
            .then_expect_events(vec![]);
        Given::with(())
            .given(vec![registered()])
            .when(AccountCommand::SetNotificationPreferences { preferences: off, at: t0() })
            .then_expect_error(AccountError::NotActive);
    }
}
