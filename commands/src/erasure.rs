//! Erasure of a resident's personal data (UU PDP): filed by an officer, approved by another
//! supervisor, then carried out by destroying the resident's data keys (crypto-shredding: every
//! sealed field of their history reads as erased) and deleting their files' bytes. The events
//! stay — types, times, actors, hashes — so the hash chain and replays still verify.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::CommandMetadata;
use domain::account::{Account, AccountCommand, AccountEvent, AccountId, AccountStatus, Reason};
use domain::legacy::LegacyAccountId;
use domain::staff::StaffId;
use sqlx::PgPool;
use uuid::Uuid;

use crate::clock::SharedClock;
use crate::files::{FileOwner, FileStore};
use crate::secrets::Secrets;
use crate::sessions::{SessionStore, SubjectKind};
use crate::vault::Vault;
use crate::{Error, Executor};

/// What carrying out an erasure removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    /// Data keys destroyed (the account's, and the old portal's account of the same NIK).
    pub keys: u64,
    /// Files whose bytes were deleted.
    pub files: u64,
    /// Sessions ended.
    pub sessions: u64,
}

/// A recorded erasure: what it covers, by the command's clock (files are attached by it) and
/// by the database's (data keys are created by it).
struct Recorded {
    legacy: Option<LegacyAccountId>,
    at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
}

/// Files, approves and carries out erasures.
#[derive(Clone)]
pub struct ErasureService {
    executor: Arc<Executor<Account>>,
    pool: PgPool,
    vault: Vault,
    files: FileStore,
    sessions: SessionStore,
    secrets: Secrets,
    clock: SharedClock,
}

impl ErasureService {
    pub fn new(
        pool: PgPool,
        vault: &Vault,
        files: FileStore,
        sessions: SessionStore,
        secrets: Secrets,
        clock: SharedClock,
    ) -> Self {
        Self {
            executor: Arc::new(Executor::new(pool.clone(), vault, ())),
            pool,
            vault: vault.clone(),
            files,
            sessions,
            secrets,
            clock,
        }
    }

    /// Files the erasure of a resident's personal data, with the reason (an officer).
    pub async fn request(
        &self,
        account: Uuid,
        by: StaffId,
        reason: &str,
        metadata: &CommandMetadata,
    ) -> Result<Account, Error> {
        let command = AccountCommand::RequestErasure { by, reason: Reason::parse(reason)?, at: self.clock.now() };
        Ok(self.executor.execute(&account.to_string(), command, metadata).await?.aggregate)
    }

    /// Approves a filed erasure (a supervisor other than the one who filed it) and carries it
    /// out. Approving an account already erased carries the erasure out again (idempotent), so
    /// an erasure interrupted after it was recorded is finished by asking once more.
    pub async fn approve(&self, account: Uuid, by: StaffId, metadata: &CommandMetadata) -> Result<Erased, Error> {
        let id = account.to_string();
        let loaded = self.executor.load_for_command(&id).await?;
        if loaded.state().status() != AccountStatus::Erased {
            // The NIK is known only until the erasure: the old portal's account is found by it now.
            let legacy_account_id = loaded.state().nik().map(|nik| self.secrets.legacy_account_id(nik));
            let command = AccountCommand::ApproveErasure { by, legacy_account_id, at: self.clock.now() };
            self.executor.execute_loaded(loaded, command, metadata).await?;
        }
        self.finish_recorded(account).await
    }

    /// Carries out every recorded erasure whose keys are still live (a crash between recording
    /// and carrying out); the daily housekeeping calls it. Returns what it removed.
    pub async fn finish_interrupted(&self) -> Result<Erased, Error> {
        let pending: Vec<Uuid> = sqlx::query_scalar(
            "SELECT DISTINCT k.subject_id FROM events e JOIN subject_keys k ON k.subject_id::text = e.aggregate_id
              WHERE e.aggregate_type = 'Account' AND e.event_type = 'AccountErased'
                AND k.destroyed_at IS NULL AND k.created_at <= e.recorded_at",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut total = Erased::default();
        for account in pending {
            let done = self.finish_recorded(account).await?;
            total.keys += done.keys;
            total.files += done.files;
            total.sessions += done.sessions;
        }
        Ok(total)
    }

    /// Destroys the keys and deletes the files the account's last recorded erasure covers.
    async fn finish_recorded(&self, account: Uuid) -> Result<Erased, Error> {
        let Some(Recorded { legacy, at, recorded_at }) = self.last_erasure(account).await? else {
            return Err(Error::Internal(format!("account {account} has no recorded erasure")));
        };
        // The account's own key goes last: while it is live, [`Self::finish_interrupted`] finds
        // the erasure unfinished, whatever step a crash cut short.
        let sessions = self.sessions.revoke_all(SubjectKind::Resident, account, None).await?;
        let mut owners = vec![FileOwner::Account(AccountId(account))];
        let mut keys = 0;
        if let Some(legacy) = legacy {
            keys += self.vault.keys().destroy_created_until(legacy.0, recorded_at).await?;
            owners.push(FileOwner::LegacyAccount(legacy));
        }
        let files = self.files.erase_attached(&owners, at).await?;
        keys += self.vault.keys().destroy_created_until(account, recorded_at).await?;
        tracing::info!(%account, keys, files, sessions, "personal data erased");
        Ok(Erased { keys, files, sessions })
    }

    async fn last_erasure(&self, account: Uuid) -> Result<Option<Recorded>, Error> {
        let row: Option<(serde_json::Value, DateTime<Utc>)> = sqlx::query_as(
            "SELECT payload, recorded_at FROM events
              WHERE aggregate_type = 'Account' AND aggregate_id = $1 AND event_type = 'AccountErased'
              ORDER BY sequence DESC LIMIT 1",
        )
        .bind(account.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some((payload, recorded_at)) = row else { return Ok(None) };
        match serde_json::from_value(payload) {
            Ok(AccountEvent::AccountErased { legacy_account_id, at, .. }) => {
                Ok(Some(Recorded { legacy: legacy_account_id, at, recorded_at }))
            }
            Ok(_) | Err(_) => Err(Error::Internal(format!("the erasure of account {account} does not decode"))),
        }
    }
}
