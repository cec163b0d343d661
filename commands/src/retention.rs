//! Retention of attached files (UU PDP): once the purpose a file was collected for is fulfilled
//! (`projections::file_retention`), its bytes are kept for a configured time and then deleted;
//! the record — type, size, SHA-256 — stays, so the history that names the file still verifies.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::Error;
use crate::files::FileStore;

/// How long files are kept after their purpose was fulfilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPeriods {
    /// Identity photos (KTP-el or police letter, KK, selfie) after the registration or reset
    /// was decided.
    pub identity: Duration,
    /// A request's documents after the request was closed.
    pub request: Duration,
    /// A result document after the request was completed (the resident's time to download it).
    pub result: Duration,
}

impl Default for RetentionPeriods {
    /// 30 days after a decision leaves time for an objection or a complaint about it (and for
    /// the auditors' periodic review); 90 days to download a finished document, which the
    /// office can issue again from SIAK.
    fn default() -> Self {
        Self { identity: Duration::days(30), request: Duration::days(30), result: Duration::days(90) }
    }
}

/// What one run deleted, per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub identity: u64,
    pub request: u64,
    pub result: u64,
}

/// Deletes the files whose retention ended. Idempotent: a file already deleted is not seen
/// again, and a run cut short is finished by the next.
#[derive(Clone)]
pub struct Retention {
    pool: PgPool,
    files: FileStore,
    periods: RetentionPeriods,
}

/// Files deleted per statement round trip, so one run never holds a long transaction.
const CHUNK: i64 = 500;

impl Retention {
    pub fn new(pool: PgPool, files: FileStore, periods: RetentionPeriods) -> Self {
        Self { pool, files, periods }
    }

    /// Deletes every file whose purpose ended longer ago than its kind's period at `now`.
    pub async fn run(&self, now: DateTime<Utc>) -> Result<RetentionReport, Error> {
        Ok(RetentionReport {
            identity: self.expire("IDENTITY", now - self.periods.identity).await?,
            request: self.expire("REQUEST", now - self.periods.request).await?,
            result: self.expire("RESULT", now - self.periods.result).await?,
        })
    }

    async fn expire(&self, kind: &str, ended_before: DateTime<Utc>) -> Result<u64, Error> {
        let mut total = 0;
        loop {
            let due: Vec<Uuid> = sqlx::query_scalar(
                "SELECT r.file_id FROM file_retention r JOIN stored_files f USING (file_id)
                  WHERE r.kind = $1 AND r.purpose_ended_at < $2 AND f.erased_at IS NULL
                  LIMIT $3",
            )
            .bind(kind)
            .bind(ended_before)
            .bind(CHUNK)
            .fetch_all(&self.pool)
            .await?;
            if due.is_empty() {
                return Ok(total);
            }
            total += self.files.erase(&due).await?;
        }
    }
}
