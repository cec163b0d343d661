//! Importing the old portal's accounts and their finished documents.

use std::sync::Arc;

use domain::CommandMetadata;
use domain::document::{DocumentName, FileId};
use domain::legacy::{ImportLegacyAccount, LegacyAccount, LegacyAccountId, LegacyDocument, LegacyError};
use domain::nik::Nik;
use sqlx::PgPool;

use crate::clock::SharedClock;
use crate::files::{FileOwner, FileStore, UploadedBy};
use crate::secrets::Secrets;
use crate::{Error, Executor};

/// One account of the old portal's export.
#[derive(Debug, Clone)]
pub struct LegacyRecord {
    pub nik: String,
    pub full_name: String,
    pub phone: Option<String>,
    /// Title and bytes of each finished document.
    pub documents: Vec<(String, Vec<u8>)>,
}

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    Imported { id: LegacyAccountId, documents: usize },
    AlreadyImported,
}

/// Imports legacy accounts.
#[derive(Clone)]
pub struct LegacyService {
    executor: Arc<Executor<LegacyAccount>>,
    files: FileStore,
    secrets: Secrets,
    clock: SharedClock,
}

impl LegacyService {
    pub fn new(
        pool: PgPool,
        vault: &crate::vault::Vault,
        files: FileStore,
        secrets: Secrets,
        clock: SharedClock,
    ) -> Self {
        Self { executor: Arc::new(Executor::new(pool, vault, ())), files, secrets, clock }
    }

    /// Imports one record: stores its documents encrypted, then records the account.
    pub async fn import(&self, record: LegacyRecord, metadata: &CommandMetadata) -> Result<ImportOutcome, Error> {
        let nik = Nik::parse(&record.nik)
            .map_err(|e| Error::InvalidFields(vec![crate::error::FieldError::new("nik", "NIK", &e)]))?;
        let id = self.secrets.legacy_account_id(&nik);
        if self.executor.load(&id.to_string()).await?.nik().is_some() {
            return Ok(ImportOutcome::AlreadyImported);
        }
        let owner = FileOwner::LegacyAccount(id);
        let mut documents = Vec::with_capacity(record.documents.len());
        for (title, bytes) in record.documents {
            let stored = self
                .files
                .store_attached(bytes, &UploadedBy::Import, owner, DocumentName::new(&title).as_ref())
                .await?;
            documents.push(LegacyDocument { file: FileId(stored.file_id), title });
        }
        let count = documents.len();
        let command = ImportLegacyAccount {
            legacy_account_id: id,
            nik,
            full_name: record.full_name.trim().to_owned(),
            phone: record.phone.filter(|p| !p.trim().is_empty()),
            documents,
            at: self.clock.now(),
        };
        match self.executor.execute(&id.to_string(), command, metadata).await {
            Ok(_) => Ok(ImportOutcome::Imported { id, documents: count }),
            Err(Error::Legacy(LegacyError::AlreadyImported)) => Ok(ImportOutcome::AlreadyImported),
            Err(error) => Err(error),
        }
    }
}
