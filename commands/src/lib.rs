//! The command side: every state change goes through here, as a command executed against an
//! aggregate loaded from the PostgreSQL event store (cqrs-es + postgres-es), with metadata.
//!
//! This crate also owns the services commands need that are not aggregates: password hashing
//! (off the async threads) and server-side sessions.

pub mod accounts;
mod append;
pub mod audit;
mod calendar;
pub mod captcha;
pub mod clock;
pub mod erasure;
mod error;
mod executor;
pub mod file_access;
pub mod files;
pub mod legacy;
pub mod passwords;
pub mod rate_limit;
pub mod requests;
pub mod retention;
pub mod secrets;
pub mod sessions;
mod sign_ins;
mod staff;
pub mod throttle;
pub mod vault;
pub mod wakeup;

use std::sync::Arc;

use sqlx::PgPool;

pub use accounts::AccountService;
pub use calendar::{CalendarService, RecordedHoliday};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use erasure::ErasureService;
pub use error::{Error, FieldError};
pub use executor::{Executor, Loaded, Outcome};
pub use legacy::LegacyService;
pub use requests::RequestService;
pub use secrets::Secrets;
pub use sessions::{Session, SessionPolicy, SessionStore, SubjectKind};
pub use sign_ins::SignIns;
pub use staff::{SignedIn, StaffProfile, StaffService};
pub use vault::Vault;

/// The resident a resident's command acts for: read from its metadata's actor, the one record of
/// who acts, never passed beside it. Reaching a resident's command without one is a bug in the
/// caller, not a user's mistake.
pub(crate) fn acting_resident(metadata: &domain::CommandMetadata) -> Result<domain::account::AccountId, Error> {
    metadata
        .actor
        .resident()
        .ok_or_else(|| Error::Internal("a resident's command was sent without a resident actor".into()))
}

/// Everything the API needs to change state, built once at start-up.
#[derive(Clone)]
pub struct Commands {
    pub staff: StaffService,
    pub calendar: CalendarService,
    pub accounts: AccountService,
    pub legacy: LegacyService,
    pub requests: RequestService,
    pub erasure: ErasureService,
    pub retention: retention::Retention,
    pub audit: audit::AuditLog,
    pub sessions: SessionStore,
    pub files: files::FileStore,
    pub upload_tokens: files::UploadTokens,
    pub captchas: captcha::Captchas,
    pub throttle: throttle::Throttle,
    pub rate_limits: rate_limit::RateLimits,
    pub clock: SharedClock,
    /// Seals and opens the personal fields of events; the projector and the auditors' tools
    /// open what they read with it.
    pub vault: Vault,
}

/// What the command side is configured with.
#[derive(Clone)]
pub struct Settings {
    pub session_policy: SessionPolicy,
    pub secrets: Secrets,
    /// The key-encryption keys of the subjects' data keys (`PERSONAL_DATA_KEYS`).
    pub personal_data_keys: files::FileKeys,
    pub objects: Arc<dyn object_store::ObjectStore>,
    pub upload_limits: files::UploadLimits,
    pub captcha_limits: captcha::CaptchaLimits,
    /// How long attached files are kept once their purpose is fulfilled.
    pub retention: retention::RetentionPeriods,
    pub clock: SharedClock,
    pub catalogue: Arc<domain::catalogue::Catalogue>,
}

impl Settings {
    /// Settings for tests and tools: files in memory, fixed development keys, real clock.
    pub fn for_tests() -> Self {
        Self {
            session_policy: SessionPolicy::default(),
            secrets: Secrets::new([7; 32], files::FileKeys::single("test", [9; 32])),
            personal_data_keys: files::FileKeys::single("test-kek", vault::TEST_KEK),
            objects: Arc::new(object_store::memory::InMemory::new()),
            upload_limits: files::UploadLimits::default(),
            captcha_limits: captcha::CaptchaLimits::default(),
            retention: retention::RetentionPeriods::default(),
            clock: Arc::new(SystemClock),
            catalogue: Arc::new(
                domain::catalogue::Catalogue::from_toml(include_str!("../../catalogue/services.toml"))
                    .unwrap_or_else(|e| panic!("the shipped catalogue must parse: {e}")),
            ),
        }
    }
}

impl Commands {
    /// Wires every service to one connection pool.
    pub fn new(pool: PgPool, settings: Settings) -> Self {
        let Settings {
            session_policy,
            secrets,
            personal_data_keys,
            objects,
            upload_limits,
            captcha_limits,
            retention,
            clock,
            catalogue,
        } = settings;
        let vault = Vault::new(pool.clone(), personal_data_keys, &secrets);
        let sessions = SessionStore::new(pool.clone(), session_policy, clock.clone());
        let upload_tokens = files::UploadTokens::new(pool.clone(), upload_limits.uploads_per_token);
        let files = files::FileStore::new(pool.clone(), objects, secrets.file_keys.clone(), upload_limits);
        let captchas = captcha::Captchas::new(pool.clone(), captcha_limits);
        let throttle = throttle::Throttle::new(pool.clone());
        Self {
            staff: StaffService::new(pool.clone(), &vault, sessions.clone()),
            calendar: CalendarService::new(pool.clone(), &vault, clock.clone()),
            accounts: AccountService::new(
                pool.clone(),
                &vault,
                files.clone(),
                upload_tokens.clone(),
                captchas.clone(),
                sessions.clone(),
                throttle.clone(),
                secrets.clone(),
                clock.clone(),
            ),
            legacy: LegacyService::new(pool.clone(), &vault, files.clone(), secrets.clone(), clock.clone()),
            requests: RequestService::new(pool.clone(), &vault, files.clone(), catalogue, clock.clone()),
            retention: retention::Retention::new(pool.clone(), files.clone(), retention),
            erasure: ErasureService::new(pool.clone(), &vault, files.clone(), sessions.clone(), secrets, clock.clone()),
            audit: audit::AuditLog::new(pool.clone()),
            upload_tokens: upload_tokens.clone(),
            sessions,
            files,
            captchas,
            throttle,
            rate_limits: rate_limit::RateLimits::new(pool),
            clock,
            vault,
        }
    }
}
