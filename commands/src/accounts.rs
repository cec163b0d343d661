//! Resident accounts: registration, verification, sign-in, forgotten password, legacy access.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use domain::account::{
    Account, AccountCommand, AccountError, AccountEvent, AccountId, AccountStatus, NotificationPreferences, Reason,
};
use domain::document::{self, DocumentProblem, FileId, IdentityDocumentKind, IdentityDocuments};
use domain::legacy::{LegacyAccount, LegacyAccountId};
use domain::nik::Nik;
use domain::password::Password;
use domain::person::{Email, FullName};
use domain::phone::PhoneNumber;
use domain::sign_in::SignInSubject;
use domain::{Actor, CommandMetadata};
use rand::Rng;
use sqlx::PgPool;
use uuid::Uuid;

use crate::captcha::Captchas;
use crate::clock::SharedClock;
use crate::error::FieldError;
use crate::files::{FileOwner, FileStore, UploadTokens, UploadedBy, stream_ref};
use crate::secrets::Secrets;
use crate::sessions::{Session, SessionStore, SubjectKind};
use crate::throttle::{Throttle, ThrottlePolicy};
use crate::vault::Vault;
use crate::{Error, Executor, SignIns, passwords};

/// How long a one-time reset code is valid.
pub const RESET_CODE_VALIDITY: Duration = Duration::hours(24);
/// The least time a registration or a reset request takes to answer, whatever the NIK: the
/// work differs between a NIK with an account and one without (13 ms against 6 ms, fully
/// separable before), and the answer must not tell them apart.
pub const ANSWER_FLOOR: std::time::Duration = std::time::Duration::from_millis(250);
/// Alphabet of reset codes: no 0/O, 1/I/L.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// The registration form.
#[derive(Debug, Clone)]
pub struct RegistrationForm {
    pub nik: String,
    pub full_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub password: String,
    pub documents: DocumentForm,
    pub upload_token: String,
    /// Optional: see [`AccountService::prove_human`].
    pub captcha: Option<CaptchaAnswer>,
}

/// A captcha and the answer typed for it.
#[derive(Debug, Clone)]
pub struct CaptchaAnswer {
    pub id: String,
    pub answer: String,
}

/// The three identity documents of a form, as upload ids.
#[derive(Debug, Clone)]
pub struct DocumentForm {
    pub identity_kind: IdentityDocumentKind,
    /// Absent or blank: the document was not sent (`DOCUMENT_REQUIRED`).
    pub identity_upload_id: Option<String>,
    pub family_card_upload_id: Option<String>,
    pub selfie_upload_id: Option<String>,
}

/// The forgotten-password form.
#[derive(Debug, Clone)]
pub struct PasswordResetForm {
    pub nik: String,
    pub full_name: String,
    pub documents: DocumentForm,
    pub upload_token: String,
    /// Optional: see [`AccountService::prove_human`].
    pub captcha: Option<CaptchaAnswer>,
}

/// What a successful registration tells the resident.
#[derive(Debug, Clone)]
pub struct RegistrationReceipt {
    pub account_id: AccountId,
    pub nik_masked: String,
}

/// A successful resident sign-in.
#[derive(Debug)]
pub struct ResidentSignedIn {
    pub token: String,
    pub session: Session,
    pub account_id: AccountId,
}

/// An approved password reset: the code to send the resident on WhatsApp.
#[derive(Debug)]
pub struct ResetCode {
    pub code: String,
    pub expires_at: DateTime<Utc>,
    /// The account as decided (its registered number receives the code).
    pub account: Account,
}

/// Commands on resident accounts.
/// An old-portal grant: until when, and the account that received it.
#[derive(Debug)]
pub struct LegacyGrant {
    pub until: DateTime<Utc>,
    pub account: Account,
}

#[derive(Clone)]
pub struct AccountService {
    executor: Arc<Executor<Account>>,
    legacy: Arc<Executor<LegacyAccount>>,
    sign_ins: SignIns,
    files: FileStore,
    captchas: Captchas,
    upload_tokens: UploadTokens,
    sessions: SessionStore,
    throttle: Throttle,
    secrets: Secrets,
    clock: SharedClock,
}

impl AccountService {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        pool: PgPool,
        vault: &Vault,
        files: FileStore,
        upload_tokens: UploadTokens,
        captchas: Captchas,
        sessions: SessionStore,
        throttle: Throttle,
        secrets: Secrets,
        clock: SharedClock,
    ) -> Self {
        Self {
            executor: Arc::new(Executor::new(pool.clone(), vault, ())),
            sign_ins: SignIns::new(pool.clone(), vault, sessions.clone()),
            legacy: Arc::new(Executor::new(pool, vault, ())),
            upload_tokens,
            files,
            captchas,
            sessions,
            throttle,
            secrets,
            clock,
        }
    }

    /// The stream id of the account of a NIK.
    pub fn account_id_of(&self, nik: &Nik) -> AccountId {
        self.secrets.account_id(nik)
    }

    /// Registers an account awaiting verification. Every wrong field is reported at once;
    /// nothing is stored unless everything is right.
    ///
    /// A NIK whose account is active or awaiting verification gets the very answer a new one
    /// gets, after as long ([`ANSWER_FLOOR`]), and its uploads stay attached for the account's
    /// stream just as a recorded registration leaves them (sending them again answers alike;
    /// housekeeping uses them up within the hour): the form cannot tell anyone whether a NIK
    /// has an account. The owner learns it by signing in; someone else using their NIK is
    /// never verified (the documents must match).
    pub async fn register(
        &self,
        form: RegistrationForm,
        metadata: &CommandMetadata,
    ) -> Result<RegistrationReceipt, Error> {
        at_least(ANSWER_FLOOR, self.register_now(form, metadata)).await
    }

    async fn register_now(
        &self,
        form: RegistrationForm,
        metadata: &CommandMetadata,
    ) -> Result<RegistrationReceipt, Error> {
        let now = self.clock.now();
        self.prove_human(form.captcha.as_ref(), &form.upload_token, now).await?;
        let mut errors = Vec::new();
        let nik = collect(&mut errors, "nik", "NIK", Nik::parse(&form.nik));
        let full_name = collect(&mut errors, "fullName", "Nama lengkap", FullName::parse(&form.full_name));
        let phone = collect(&mut errors, "phone", "Nomor HP/WhatsApp", PhoneNumber::parse(&form.phone));
        let email = match form.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(raw) => collect(&mut errors, "email", "E-mail", Email::parse(raw)).map(Some),
            None => Some(None),
        };
        let password = collect(&mut errors, "password", "Kata sandi", Password::parse(&form.password));
        let uploader = UploadTokens::uploader(&form.upload_token);
        let account = nik.as_ref().map(|nik| self.secrets.account_id(nik));
        let documents = self.check_documents(&form.documents, &uploader, account, &mut errors).await?;
        let (Some(nik), Some(full_name), Some(phone), Some(email), Some(password), Some(documents)) =
            (nik, full_name, phone, email, password, documents)
        else {
            return Err(Error::InvalidFields(errors));
        };
        let account_id = self.secrets.account_id(&nik);
        let nik_masked = nik.masked();
        let password_hash = passwords::hash(password).await?;
        let (owner, stream) = (FileOwner::Account(account_id), stream_ref::<Account>(account_id));
        let files = documents.named_files();
        let command =
            AccountCommand::Register { account_id, nik, full_name, phone, email, password_hash, documents, at: now };
        let metadata = metadata.clone().with_actor(Actor::Resident(account_id));
        let run = || async {
            match self.executor.execute(&account_id.to_string(), command, &metadata).await {
                Ok(_) => Ok(()),
                Err(Error::Account(AccountError::AlreadyRegistered | AccountError::AwaitingVerification)) => {
                    tracing::info!(nik = %nik_masked, "registration for a NIK that has an account: answered as usual");
                    Ok(())
                }
                Err(error) => Err(error),
            }
        };
        self.files.attached(&files, &uploader, owner, &stream, now, run).await?;
        Ok(RegistrationReceipt { account_id, nik_masked })
    }

    /// What stands in for a person at the registration and password-reset forms: a captcha
    /// solved for this form, or else the live upload token its documents were uploaded with —
    /// issued only against a solved captcha, so a resident solves one captcha, not two. A token
    /// carries at most [`UploadTokens::uploads_per_token`] uploads and every form needs three
    /// unused ones, so one solved captcha still bounds how many forms (and password hashes)
    /// a sender gets.
    async fn prove_human(
        &self,
        captcha: Option<&CaptchaAnswer>,
        upload_token: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        match captcha {
            Some(captcha) => self.captchas.verify(&captcha.id, &captcha.answer, now).await,
            None => self.upload_tokens.ensure_live(upload_token, now).await,
        }
    }

    /// Checks the three uploads exist, belong to `uploader`, are unused (or attached to
    /// `account` for its stream by an earlier sending of the same command), and are of the
    /// right kind (the selfie must be a photo).
    async fn check_documents(
        &self,
        form: &DocumentForm,
        uploader: &UploadedBy,
        account: Option<AccountId>,
        errors: &mut Vec<FieldError>,
    ) -> Result<Option<IdentityDocuments>, Error> {
        let now = self.clock.now();
        let target = account.map(|id| (FileOwner::Account(id), stream_ref::<Account>(id)));
        let fields = [
            ("identityUploadId", "Foto KTP-el / surat kehilangan", form.identity_upload_id.as_deref(), false),
            ("familyCardUploadId", "Foto Kartu Keluarga", form.family_card_upload_id.as_deref(), false),
            ("selfieUploadId", "Foto selfie", form.selfie_upload_id.as_deref(), true),
        ];
        let mut ids = Vec::with_capacity(3);
        for (field, label, raw, must_be_photo) in fields {
            let id = match document::upload_id(raw, label) {
                Ok(id) => id,
                Err(problem) => {
                    errors.push(FieldError::new(field, label, &problem));
                    continue;
                }
            };
            let usable = self.files.find(id).await?.filter(|file| {
                file.attachable(uploader, target.as_ref().map(|(owner, stream)| (*owner, stream.as_str())), now)
            });
            match usable {
                Some(file) if must_be_photo && !file.kind().is_some_and(|k| k.is_image()) => errors.push(FieldError {
                    field: field.to_owned(),
                    label: label.to_owned(),
                    code: "SELFIE_NOT_A_PHOTO",
                    message: "Foto selfie harus berupa gambar JPEG atau PNG.".into(),
                }),
                Some(_) => ids.push(FileId(id)),
                None => errors.push(FieldError::new(field, label, &DocumentProblem::not_usable(label))),
            }
        }
        Ok(match ids.as_slice() {
            [identity, family_card, selfie] => Some(IdentityDocuments {
                identity_kind: form.identity_kind,
                identity: *identity,
                family_card: *family_card,
                selfie: *selfie,
            }),
            _ => None,
        })
    }

    /// Verifies an account (operator). Returns the account as decided, for the message to
    /// its holder.
    pub async fn approve(&self, account: Uuid, metadata: &CommandMetadata) -> Result<Account, Error> {
        let command = AccountCommand::Approve { at: self.clock.now() };
        Ok(self.executor.execute(&account.to_string(), command, metadata).await?.aggregate)
    }

    /// Refuses an account with a reason the resident sees (operator). Returns the account as
    /// decided.
    pub async fn reject(&self, account: Uuid, reason: &str, metadata: &CommandMetadata) -> Result<Account, Error> {
        let reason = Reason::parse(reason)?;
        let command = AccountCommand::Reject { reason, at: self.clock.now() };
        Ok(self.executor.execute(&account.to_string(), command, metadata).await?.aggregate)
    }

    /// Signs a resident in. Unknown NIK and wrong password: same answer, same work. Only with
    /// the right password does the resident learn the account awaits verification. The
    /// attempt is reserved against the NIK and the address before anything is checked, so
    /// parallel guesses cannot race past the throttle.
    pub async fn sign_in(
        &self,
        nik: &str,
        password: &str,
        captcha_id: &str,
        captcha_answer: &str,
        metadata: CommandMetadata,
    ) -> Result<ResidentSignedIn, Error> {
        let now = self.clock.now();
        let keys = self.throttle_keys(nik, metadata.client_address.as_deref());
        let attempt = self.throttle.reserve(&keys, ThrottlePolicy::RESIDENT, now).await?;
        if let Err(error) = self.captchas.verify(captcha_id, captcha_answer, now).await {
            self.throttle.release(attempt).await?;
            return Err(error);
        }
        let (account, generation) = match Nik::parse(nik) {
            Ok(nik) => {
                let id = self.secrets.account_id(&nik);
                // Read before the account: see `SessionStore::generation`.
                let generation = self.sessions.generation(SubjectKind::Resident, id.0).await?;
                (self.executor.load(&id.to_string()).await?, Some(generation))
            }
            Err(_) => (Account::default(), None),
        };
        let verified = passwords::verify(password.to_owned(), account.password_hash().cloned()).await?;
        let (Some(account_id), Some(generation)) = (account.id().filter(|_| verified), generation) else {
            return Err(Error::InvalidResidentCredentials);
        };
        self.throttle.succeeded(attempt, keys.first().map(String::as_str)).await?;
        match account.status() {
            AccountStatus::Active => {}
            AccountStatus::AwaitingVerification => return Err(Error::AwaitingVerification),
            AccountStatus::Rejected => {
                return Err(Error::RegistrationRejected(account.rejection_reason().unwrap_or_default().to_owned()));
            }
            AccountStatus::Unregistered | AccountStatus::Erased => return Err(Error::InvalidResidentCredentials),
        }
        let (token, session) =
            self.sessions.create(SubjectKind::Resident, account_id.0, "RESIDENT", generation).await?;
        let metadata = metadata.with_actor(Actor::Resident(account_id));
        self.sign_ins.record(SignInSubject::Resident(account_id), now, &session, &metadata).await?;
        Ok(ResidentSignedIn { token, session, account_id })
    }

    fn throttle_keys(&self, nik: &str, client_address: Option<&str>) -> Vec<String> {
        let digits: String = nik.chars().filter(char::is_ascii_digit).collect();
        crate::throttle::keys(self.secrets.nik_throttle_key(&digits), client_address)
    }

    /// Files a forgotten-password request. The answer is the same — after as long
    /// ([`ANSWER_FLOOR`]), with the uploads left attached the same way (see [`Self::register`])
    /// — whether or not the NIK has an active account, and whether or not a request is already
    /// waiting (which a stranger's request never replaces): the form cannot be used to find
    /// out who is registered.
    pub async fn request_password_reset(
        &self,
        form: PasswordResetForm,
        metadata: &CommandMetadata,
    ) -> Result<(), Error> {
        at_least(ANSWER_FLOOR, self.request_password_reset_now(form, metadata)).await
    }

    async fn request_password_reset_now(
        &self,
        form: PasswordResetForm,
        metadata: &CommandMetadata,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        self.prove_human(form.captcha.as_ref(), &form.upload_token, now).await?;
        let mut errors = Vec::new();
        let nik = collect(&mut errors, "nik", "NIK", Nik::parse(&form.nik));
        let full_name = collect(&mut errors, "fullName", "Nama lengkap", FullName::parse(&form.full_name));
        let uploader = UploadTokens::uploader(&form.upload_token);
        let account = nik.as_ref().map(|nik| self.secrets.account_id(nik));
        let documents = self.check_documents(&form.documents, &uploader, account, &mut errors).await?;
        let (Some(nik), Some(full_name), Some(documents)) = (nik, full_name, documents) else {
            return Err(Error::InvalidFields(errors));
        };
        let account_id = self.secrets.account_id(&nik);
        let (owner, stream) = (FileOwner::Account(account_id), stream_ref::<Account>(account_id));
        let files = documents.named_files();
        let metadata = metadata.clone().with_actor(Actor::Resident(account_id));
        let command = AccountCommand::RequestPasswordReset { full_name, documents, at: now };
        let run = || async {
            match self.executor.execute(&account_id.to_string(), command, &metadata).await {
                Ok(_) => Ok(()),
                Err(Error::Account(
                    AccountError::NotFound | AccountError::NotActive | AccountError::ResetAlreadyPending,
                )) => {
                    tracing::info!(nik = %nik, "password reset request not filed (no active account, or one waiting)");
                    Ok(())
                }
                Err(error) => Err(error),
            }
        };
        self.files.attached(&files, &uploader, owner, &stream, now, run).await
    }

    /// Approves a reset (operator): returns the one-time code to send; only its keyed hash is kept.
    pub async fn approve_password_reset(&self, account: Uuid, metadata: &CommandMetadata) -> Result<ResetCode, Error> {
        let code = new_code();
        let expires_at = self.clock.now() + RESET_CODE_VALIDITY;
        let code_hash = self.secrets.reset_code_hash(AccountId(account), &code);
        let sealed_code = Some(self.secrets.seal_reset_code(AccountId(account), &code)?);
        let command = AccountCommand::ApprovePasswordReset { code_hash, expires_at, sealed_code };
        let outcome = self.executor.execute(&account.to_string(), command, metadata).await?;
        Ok(ResetCode { code, expires_at, account: outcome.aggregate })
    }

    /// The resident's choice of channels for the messages they may turn off (signed in).
    pub async fn set_notification_preferences(
        &self,
        preferences: NotificationPreferences,
        metadata: &CommandMetadata,
    ) -> Result<Account, Error> {
        let account = crate::acting_resident(metadata)?.0;
        let command = AccountCommand::SetNotificationPreferences { preferences, at: self.clock.now() };
        Ok(self.executor.execute(&account.to_string(), command, metadata).await?.aggregate)
    }

    /// Refuses a reset (operator). Returns the account as decided.
    pub async fn reject_password_reset(
        &self,
        account: Uuid,
        reason: &str,
        metadata: &CommandMetadata,
    ) -> Result<Account, Error> {
        let reason = Reason::parse(reason)?;
        let command = AccountCommand::RejectPasswordReset { reason };
        Ok(self.executor.execute(&account.to_string(), command, metadata).await?.aggregate)
    }

    /// Sets a new password with the one-time code; every session of the account ends.
    ///
    /// Wrong codes are throttled by the guesser's address only: a per-NIK delay (or counting
    /// them on the account) would let a stranger lock the owner out of their own reset.
    pub async fn complete_password_reset(
        &self,
        nik: &str,
        code: &str,
        new_password: &str,
        metadata: &CommandMetadata,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        let keys = match metadata.client_address.as_deref() {
            Some(address) => vec![format!("reset-ip:{address}")],
            None => self.throttle_keys(nik, None),
        };
        let attempt = self.throttle.reserve(&keys, ThrottlePolicy::RESIDENT, now).await?;
        let password = match Password::parse(new_password) {
            Ok(password) => password,
            Err(error) => {
                self.throttle.release(attempt).await?;
                return Err(error.into());
            }
        };
        let Ok(nik) = Nik::parse(nik) else {
            return Err(AccountError::ResetCodeInvalid.into());
        };
        let account_id = self.secrets.account_id(&nik);
        let password_hash = passwords::hash(password).await?;
        let code_hash = self.secrets.reset_code_hash(account_id, code);
        let command = AccountCommand::CompletePasswordReset { code_hash, password_hash, now };
        let metadata = metadata.clone().with_actor(Actor::Resident(account_id));
        self.executor.execute(&account_id.to_string(), command, &metadata).await?;
        self.throttle.succeeded(attempt, None).await?;
        self.sessions.revoke_all(SubjectKind::Resident, account_id.0, None).await?;
        Ok(())
    }

    /// Lets a verified resident see a legacy account's documents for 24 hours (operator).
    /// Returns when the access ends and the account it was given to.
    pub async fn grant_legacy_access(
        &self,
        legacy: Uuid,
        account: Uuid,
        metadata: &CommandMetadata,
    ) -> Result<LegacyGrant, Error> {
        let legacy_account = self.legacy.load(&legacy.to_string()).await?;
        let legacy_nik = legacy_account.nik().cloned().ok_or(domain::legacy::LegacyError::NotFound)?;
        let command = AccountCommand::GrantLegacyAccess {
            legacy_account_id: LegacyAccountId(legacy),
            legacy_nik,
            at: self.clock.now(),
        };
        let outcome = self.executor.execute(&account.to_string(), command, metadata).await?;
        let until = outcome
            .events
            .iter()
            .find_map(|e| match e.payload {
                AccountEvent::LegacyAccessGranted { until, .. } => Some(until),
                _ => None,
            })
            .ok_or_else(|| Error::Internal("grant produced no event".into()))?;
        Ok(LegacyGrant { until, account: outcome.aggregate })
    }

    /// [`Self::grant_legacy_access`] by the resident's NIK: the old portal's account and the
    /// new one are both the NIK's keyed streams, so the officer who checked the resident's
    /// identity never handles an id.
    pub async fn grant_legacy_access_by_nik(
        &self,
        nik: &Nik,
        metadata: &CommandMetadata,
    ) -> Result<LegacyGrant, Error> {
        let (legacy, account) = (self.secrets.legacy_account_id(nik), self.secrets.account_id(nik));
        self.grant_legacy_access(legacy.0, account.0, metadata).await
    }

    /// The current state of an account, from the event store.
    pub async fn load(&self, account: Uuid) -> Result<Account, Error> {
        self.executor.load(&account.to_string()).await
    }

    /// The legacy account id of a NIK (operators look legacy accounts up by the resident's NIK).
    pub fn legacy_account_id_of(&self, nik: &Nik) -> LegacyAccountId {
        self.secrets.legacy_account_id(nik)
    }

    /// The clock in use.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// Runs `work` and answers no sooner than `floor` after it began, so that how long the answer
/// took says nothing about which way the work went.
async fn at_least<T>(floor: std::time::Duration, work: impl std::future::Future<Output = T>) -> T {
    let started = tokio::time::Instant::now();
    let answer = work.await;
    tokio::time::sleep_until(started + floor).await;
    answer
}

fn collect<T, E: domain::ErrorCode + std::fmt::Display>(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    label: &'static str,
    result: Result<T, E>,
) -> Option<T> {
    result.map_err(|e| errors.push(FieldError::new(field, label, &e))).ok()
}

fn new_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let chars: String = (0..10).map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())])).collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}
