//! Where files live: encrypted bytes in object storage, their record in `stored_files`.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::gate::DecodeGate;
use super::sanitize::decode_cost;
use super::{FileKeys, FileKind, FileOwner, UploadError, UploadedBy, sanitize};
use crate::Error;
use crate::rate_limit::{Limit, RateLimits};
use domain::document::{DocumentName, FileId};

/// How long an upload may wait to be attached before it expires.
pub const ATTACH_WINDOW: Duration = Duration::hours(24);

/// A stored file's record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredFile {
    pub file_id: Uuid,
    pub content_type: String,
    pub byte_size: i64,
    pub sha256: Vec<u8>,
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
    pub attach_before: Option<DateTime<Utc>>,
    pub attached_to: Option<String>,
    /// The stream the attachment was made for, until housekeeping has seen it recorded.
    pub attached_for: Option<String>,
    /// What it is saved as when downloaded (without extension), set when it was attached.
    pub download_name: Option<String>,
}

impl StoredFile {
    /// What the content turned out to be.
    pub fn kind(&self) -> Option<FileKind> {
        FileKind::from_content_type(&self.content_type)
    }

    /// Whose it is, once attached.
    pub fn owner(&self) -> Option<FileOwner> {
        self.attached_to.as_deref().and_then(FileOwner::parse)
    }

    /// The name it is downloaded under (without extension): the one recorded when it was
    /// attached, or `dokumen-<short id>`.
    pub fn name(&self) -> DocumentName {
        self.download_name
            .as_deref()
            .and_then(DocumentName::new)
            .unwrap_or_else(|| DocumentName::fallback(FileId(self.file_id)))
    }

    /// Whether `uploaded_by` may attach it at `now` for a command on `stream` (see
    /// [`stream_ref`]) that gives it to `owner`: unexpired, and unattached or already attached
    /// to `owner` for that very stream (the same command sent again). Without a target (the
    /// stream is not known yet) only an unattached upload will do. [`FileStore::attach`]
    /// applies the same rule atomically.
    pub fn attachable(&self, uploaded_by: &UploadedBy, target: Option<(FileOwner, &str)>, now: DateTime<Utc>) -> bool {
        self.uploaded_by == uploaded_by.to_string()
            && self.attach_before.is_some_and(|t| t > now)
            && match (self.owner(), target) {
                (None, _) => self.attached_to.is_none(),
                (Some(to), Some((owner, stream))) => to == owner && self.attached_for.as_deref() == Some(stream),
                (Some(_), None) => false,
            }
    }
}

/// How files name the stream a command is recorded on: `<aggregate type>:<id>`.
pub fn stream_ref<A: cqrs_es::Aggregate>(id: impl std::fmt::Display) -> String {
    format!("{}:{id}", A::TYPE)
}

/// Whether an event of stream `$n` (a [`stream_ref`]) mentions the file of row `f`.
const RECORDED: &str = "EXISTS (SELECT 1 FROM events e
     WHERE e.aggregate_type = split_part($n, ':', 1) AND e.aggregate_id = substr($n, strpos($n, ':') + 1)
       AND strpos(e.payload::text, f.file_id::text) > 0)";

/// Uploads a command takes: attached to `owner` for the command about to be recorded on
/// `stream` ([`stream_ref`]), each with the name it is downloaded under. The executor attaches
/// them in the statement that appends the command's events (`crate::append`).
#[derive(Debug, Clone, Copy)]
pub struct Attachment<'a> {
    pub files: &'a [(FileId, DocumentName)],
    pub uploaded_by: &'a UploadedBy,
    pub owner: FileOwner,
    pub stream: &'a str,
    pub now: DateTime<Utc>,
}

/// Whose uploads an empty attachment would take: no one's.
static NO_UPLOADER: UploadedBy = UploadedBy::Token(String::new());

impl Attachment<'_> {
    /// Takes no uploads.
    pub(crate) fn none() -> Attachment<'static> {
        Attachment {
            files: &[],
            uploaded_by: &NO_UPLOADER,
            owner: FileOwner::Account(domain::account::AccountId(Uuid::nil())),
            stream: "",
            now: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    /// Binds [`ATTACH_UPLOADS`]'s parameters `$1`–`$6` to `query`.
    pub(crate) fn bind<'q, O>(
        &'q self,
        query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
        let (file_ids, names): (Vec<Uuid>, Vec<&str>) =
            self.files.iter().map(|(file, name)| (file.0, name.as_str())).unzip();
        query
            .bind(file_ids)
            .bind(names)
            .bind(self.uploaded_by.to_string())
            .bind(self.owner.to_string())
            .bind(self.stream)
            .bind(self.now)
    }

    /// The first file that is not among the `usable` ones the statement found.
    pub(crate) fn missing(&self, usable: &[Uuid]) -> Uuid {
        self.files.iter().map(|(file, _)| file.0).find(|id| !usable.contains(id)).unwrap_or_default()
    }
}

/// The rule for taking uploads, as common table expressions over parameters `$1` (file ids),
/// `$2` (their download names), `$3` (uploader), `$4` (owner), `$5` (stream), `$6` (now):
/// `usable` locks the rows that may be taken (a concurrent attach of the same files waits, then
/// sees them attached), `complete.ok` says whether every file may, and `attached` takes the
/// free ones only then. Each upload must exist, come from the uploader, be unexpired, and be
/// unattached — or already attached to the same owner for the same stream (the same command
/// sent again, or twice at once). `usable` is driven by the wanted ids: written as
/// `file_id = ANY($1)` beside the other conditions, the cached generic plan of a busy server
/// OR-ed the partial indexes instead and read every waiting upload (14 400 rows per
/// submission in the bench).
pub(crate) const ATTACH_UPLOADS: &str = "wanted AS (SELECT * FROM unnest($1::uuid[], $2::text[]) AS w(file_id, name)),
     usable AS (
       SELECT f.file_id, f.attached_to IS NULL AS fresh FROM wanted w JOIN stored_files f ON f.file_id = w.file_id
        WHERE f.uploaded_by = $3 AND f.attach_before > $6
          AND (f.attached_to IS NULL OR (f.attached_to = $4 AND f.attached_for = $5))
          FOR UPDATE OF f),
     complete AS (SELECT NOT EXISTS (SELECT 1 FROM wanted w WHERE w.file_id NOT IN (SELECT file_id FROM usable)) AS ok),
     attached AS (
       UPDATE stored_files f SET attached_to = $4, attached_for = $5, attached_at = $6, download_name = w.name
         FROM wanted w, usable u
        WHERE f.file_id = w.file_id AND u.file_id = w.file_id AND u.fresh AND (SELECT ok FROM complete)
       RETURNING f.file_id)";

/// After this long an attachment whose command was never recorded is undone.
const SETTLE_AFTER: Duration = Duration::hours(1);

/// Opens the object store named by a URL: `file:///var/lib/dukcapil/files` (default under
/// `DATA_DIR`) or `s3://bucket/prefix` (credentials and endpoint from the usual `AWS_*`
/// environment variables, so any S3-compatible service works).
pub fn object_store_from_url(url: &str) -> Result<Arc<dyn ObjectStore>, String> {
    if let Some(path) = url.strip_prefix("file://") {
        std::fs::create_dir_all(path).map_err(|e| format!("cannot create {path}: {e}"))?;
        let store = LocalFileSystem::new_with_prefix(path).map_err(|e| e.to_string())?;
        return Ok(Arc::new(store));
    }
    if url.starts_with("s3://") {
        let store = object_store::aws::AmazonS3Builder::from_env().with_url(url).build().map_err(|e| e.to_string())?;
        return Ok(Arc::new(store));
    }
    Err(format!("unsupported FILE_STORE_URL {url:?}: use file://… or s3://…"))
}

/// How uploads are bounded.
#[derive(Debug, Clone)]
pub struct UploadLimits {
    /// Largest upload, in bytes.
    pub max_bytes: u64,
    /// Memory all concurrent checks and re-encodings together may use (see [`DecodeGate`]).
    pub decode_memory_bytes: u64,
    /// Uploads one signed-in account may make per hour, and their total bytes.
    pub per_account_per_hour: i64,
    pub bytes_per_account_per_hour: i64,
    /// Uploads one client address may make per hour without an account (upload tokens:
    /// registration and password reset), and their total bytes. Signed-in uploads are never
    /// counted here: they have their account's quota.
    pub anonymous_per_address_per_hour: i64,
    pub anonymous_bytes_per_address_per_hour: i64,
    /// Uploads one upload token allows (one solved captcha).
    pub uploads_per_token: i32,
    /// The local directory files are stored in (none for object storage), and how much of its
    /// disk must stay free: below that, uploads are refused before anything is written.
    pub local_dir: Option<std::path::PathBuf>,
    pub min_free_disk_bytes: u64,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            max_bytes: 5 * 1024 * 1024,
            decode_memory_bytes: 512 * 1024 * 1024,
            per_account_per_hour: 60,
            bytes_per_account_per_hour: 100 * 1024 * 1024,
            anonymous_per_address_per_hour: 300,
            anonymous_bytes_per_address_per_hour: 600 * 1024 * 1024,
            uploads_per_token: 8,
            local_dir: None,
            min_free_disk_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// Who is uploading, for the quota that applies.
#[derive(Debug, Clone, Copy)]
pub enum Uploader<'a> {
    /// Before an account exists, with an upload token already spent (so a made-up token costs
    /// the address nothing): counted per client address.
    Anonymous { address: &'a str },
    /// A signed-in resident or staff member.
    Account { uploaded_by: &'a UploadedBy },
}

/// Stores, attaches, reads and logs access to files.
#[derive(Clone)]
pub struct FileStore {
    pool: PgPool,
    objects: Arc<dyn ObjectStore>,
    keys: FileKeys,
    limits: Arc<UploadLimits>,
    gate: Arc<DecodeGate>,
    rate: RateLimits,
}

const COLUMNS: &str = "file_id, content_type, byte_size, sha256, uploaded_by, created_at, attach_before, attached_to, attached_for, \
     download_name";

impl FileStore {
    pub fn new(pool: PgPool, objects: Arc<dyn ObjectStore>, keys: FileKeys, limits: UploadLimits) -> Self {
        let gate = Arc::new(DecodeGate::new(limits.decode_memory_bytes));
        Self { rate: RateLimits::new(pool.clone()), pool, objects, keys, limits: Arc::new(limits), gate }
    }

    /// The upload size limit in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.limits.max_bytes
    }

    /// The decode memory budget (for metrics).
    pub fn decode_gate(&self) -> &DecodeGate {
        &self.gate
    }

    /// Lets one upload of (at most) `bytes` in, or refuses it before its body is read: the
    /// uploader's hourly quota (taken atomically, so parallel uploads cannot race past it) and
    /// the free disk space.
    pub async fn admit_upload(&self, uploader: Uploader<'_>, bytes: u64, now: DateTime<Utc>) -> Result<(), Error> {
        if let Some(dir) = &self.limits.local_dir {
            let free = free_disk_bytes(dir)?;
            if free < self.limits.min_free_disk_bytes {
                tracing::error!(free_bytes = free, "file store disk nearly full: uploads refused");
                return Err(Error::StorageFull);
            }
        }
        let hour = chrono::Duration::hours(1);
        let (key, limit) = match uploader {
            Uploader::Anonymous { address } => (
                format!("upload-address:{address}"),
                Limit {
                    uses: self.limits.anonymous_per_address_per_hour,
                    amount: self.limits.anonymous_bytes_per_address_per_hour,
                    window: hour,
                },
            ),
            Uploader::Account { uploaded_by } => (
                format!("upload-account:{uploaded_by}"),
                Limit {
                    uses: self.limits.per_account_per_hour,
                    amount: self.limits.bytes_per_account_per_hour,
                    window: hour,
                },
            ),
        };
        let amount = i64::try_from(bytes).unwrap_or(i64::MAX);
        match self.rate.take(&key, limit, amount, now).await? {
            Ok(()) => Ok(()),
            Err(_) if matches!(uploader, Uploader::Anonymous { .. }) => Err(Error::UploadRateLimited),
            Err(exhausted) => Err(Error::UploadQuotaExceeded(exhausted.retry_after.num_minutes().max(1))),
        }
    }

    /// Checks, cleans, encrypts and stores an upload that must be attached within 24 hours.
    pub async fn store_upload(
        &self,
        bytes: Vec<u8>,
        uploaded_by: &UploadedBy,
        client_address: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<StoredFile, Error> {
        self.store(bytes, uploaded_by, client_address, Some(now + ATTACH_WINDOW), None).await
    }

    /// Stores a file that belongs to something from the start (imports, office documents),
    /// downloaded as `name`.
    pub async fn store_attached(
        &self,
        bytes: Vec<u8>,
        uploaded_by: &UploadedBy,
        attached_to: FileOwner,
        name: Option<&DocumentName>,
    ) -> Result<StoredFile, Error> {
        self.store(bytes, uploaded_by, None, None, Some((attached_to, name))).await
    }

    async fn store(
        &self,
        bytes: Vec<u8>,
        uploaded_by: &UploadedBy,
        client_address: Option<&str>,
        attach_before: Option<DateTime<Utc>>,
        attached_to: Option<(FileOwner, Option<&DocumentName>)>,
    ) -> Result<StoredFile, Error> {
        let (attached_to, download_name) = attached_to.map_or((None, None), |(to, name)| (Some(to.to_string()), name));
        if bytes.len() as u64 > self.limits.max_bytes {
            return Err(UploadError::TooLarge(self.limits.max_bytes / (1024 * 1024)).into());
        }
        let file_id = Uuid::new_v4();
        let keys = self.keys.clone();
        // Refusals that need no decoding come first; the rest wait for room in the budget.
        let cost = decode_cost(&bytes)?;
        let _slot = self.gate.reserve(cost).await?;
        let (kind, clean, blob) = tokio::task::spawn_blocking(move || {
            let (kind, clean) = sanitize(&bytes)?;
            let blob = keys.seal(file_id, &clean)?;
            Ok::<_, Error>((kind, clean, blob))
        })
        .await??;
        let sha256 = Sha256::digest(&clean).to_vec();
        let key = storage_key(file_id);
        self.objects
            .put(&ObjectPath::from(key.as_str()), blob.into())
            .await
            .map_err(|e| Error::Internal(format!("object store put: {e}")))?;
        let file = sqlx::query_as(&format!(
            "INSERT INTO stored_files
                 (file_id, content_type, byte_size, sha256, storage_key, uploaded_by, client_address,
                  attach_before, attached_to, attached_at, download_name)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $9::text IS NULL THEN NULL ELSE now() END, $10)
             RETURNING {COLUMNS}"
        ))
        .bind(file_id)
        .bind(kind.content_type())
        .bind(clean.len() as i64)
        .bind(sha256)
        .bind(key)
        .bind(uploaded_by.to_string())
        .bind(client_address)
        .bind(attach_before)
        .bind(attached_to)
        .bind(download_name.map(DocumentName::as_str))
        .fetch_one(&self.pool)
        .await?;
        Ok(file)
    }

    /// Attaches uploads to `attach_to` (whose they are, e.g. `Account:<id>`) for the command
    /// about to be recorded on `stream` ([`stream_ref`]), each with the name it is downloaded
    /// under, all or none: each must exist, come from `uploaded_by`, be unexpired, and be
    /// unattached — or already attached to the same owner for the same stream: the same command
    /// sent again, after a crash between attaching and recording, or twice at once. Returns the
    /// files this call attached, which [`Self::release`] undoes if the command is refused.
    pub async fn attach(
        &self,
        files: &[(FileId, DocumentName)],
        uploaded_by: &UploadedBy,
        attach_to: FileOwner,
        stream: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<FileId>, Error> {
        let attachment = Attachment { files, uploaded_by, owner: attach_to, stream, now };
        let sql = format!(
            "WITH {ATTACH_UPLOADS}
             SELECT (SELECT ok FROM complete), array(SELECT file_id FROM usable), array(SELECT file_id FROM attached)"
        );
        let (complete, usable, attached): (bool, Vec<Uuid>, Vec<Uuid>) =
            attachment.bind(sqlx::query_as(&sql)).fetch_one(&self.pool).await?;
        if !complete {
            return Err(Error::UploadNotUsable(attachment.missing(&usable)));
        }
        Ok(attached.into_iter().map(FileId).collect())
    }

    /// How the account commands take uploads: attaches `files` to `owner` for the command
    /// about to be recorded on `stream` ([`Self::attach`]), runs it, and releases what this
    /// call attached if the command fails ([`Self::release`]), so a refused command leaves its
    /// uploads free for the next try. They attach first because a registration or reset
    /// request refused for a reason that must not be revealed is answered as if filed and
    /// uses its uploads up all the same. Commands on requests attach in the statement that
    /// records them instead ([`Attachment`], `Executor::execute_attaching`).
    pub async fn attached<T, F>(
        &self,
        files: &[(FileId, DocumentName)],
        uploaded_by: &UploadedBy,
        owner: FileOwner,
        stream: &str,
        now: DateTime<Utc>,
        run: impl FnOnce() -> F,
    ) -> Result<T, Error>
    where
        F: std::future::Future<Output = Result<T, Error>>,
    {
        let attached = self.attach(files, uploaded_by, owner, stream, now).await?;
        match run().await {
            Ok(value) => Ok(value),
            Err(error) => {
                self.release(&attached, owner, stream).await?;
                Err(error)
            }
        }
    }

    /// Undoes [`Self::attach`] for the files it attached when the command was refused — but
    /// never for a file an event of `stream` references (the same command, sent at the same
    /// time, was recorded with it).
    pub async fn release(&self, files: &[FileId], attach_to: FileOwner, stream: &str) -> Result<(), Error> {
        let attach_to = attach_to.to_string();
        let ids: Vec<Uuid> = files.iter().map(|f| f.0).collect();
        sqlx::query(&format!(
            "UPDATE stored_files f SET attached_to = NULL, attached_for = NULL, attached_at = NULL, download_name = NULL
              WHERE file_id = ANY($1) AND attached_to = $2 AND attached_for = $3 AND NOT {}",
            RECORDED.replace("$n", "$3")
        ))
        .bind(&ids)
        .bind(attach_to)
        .bind(stream)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Housekeeping for attachments older than an hour whose stream is still named: those an
    /// event of the stream references are settled (the name is dropped; the attachment is
    /// final); the others — their command died between attaching and recording and was not
    /// sent again within the hour, or was answered without being recorded (a registration or
    /// reset request for a NIK that must not be revealed) — are used up: record and bytes are
    /// deleted, exactly as if they had been recorded and so could not be used again. Returns
    /// how many were used up.
    pub async fn settle_attachments(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        let unrecorded: Vec<Uuid> = sqlx::query_scalar(&format!(
            "DELETE FROM stored_files f WHERE attached_for IS NOT NULL AND attached_at < $1 AND NOT {}
             RETURNING file_id",
            RECORDED.replace("$n", "f.attached_for")
        ))
        .bind(now - SETTLE_AFTER)
        .fetch_all(&self.pool)
        .await?;
        sqlx::query("UPDATE stored_files SET attached_for = NULL WHERE attached_for IS NOT NULL AND attached_at < $1")
            .bind(now - SETTLE_AFTER)
            .execute(&self.pool)
            .await?;
        for file_id in &unrecorded {
            self.delete_object(*file_id).await?;
        }
        Ok(unrecorded.len() as u64)
    }

    /// Deletes uploads never attached before their deadline: the bytes and the record.
    pub async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        let expired: Vec<Uuid> = sqlx::query_scalar(
            "SELECT file_id FROM stored_files WHERE attached_to IS NULL AND attach_before < $1 LIMIT 1000",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut purged = 0;
        for file_id in expired {
            self.delete_object(file_id).await?;
            let done = sqlx::query(
                "DELETE FROM stored_files WHERE file_id = $1 AND attached_to IS NULL AND attach_before < $2",
            )
            .bind(file_id)
            .bind(now)
            .execute(&self.pool)
            .await?;
            purged += done.rows_affected();
        }
        Ok(purged)
    }

    /// Deletes the bytes of the files attached to `owners` at or before `until`, keeping their
    /// records (type, size, SHA-256) with the time they were erased; files attached later
    /// (a new registration of an erased NIK) are not touched. Idempotent. Returns how many
    /// files lost their bytes now.
    pub async fn erase_attached(&self, owners: &[FileOwner], until: DateTime<Utc>) -> Result<u64, Error> {
        let owners: Vec<String> = owners.iter().map(FileOwner::to_string).collect();
        let files: Vec<Uuid> = sqlx::query_scalar(
            "SELECT file_id FROM stored_files WHERE attached_to = ANY($1) AND attached_at <= $2 AND erased_at IS NULL",
        )
        .bind(&owners)
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        self.erase(&files).await
    }

    /// Deletes these files' bytes, keeping their records marked erased (bytes first: a crash
    /// in between leaves a record that is erased again next time, never bytes without one).
    pub async fn erase(&self, files: &[Uuid]) -> Result<u64, Error> {
        let mut erased = 0;
        for file_id in files {
            self.delete_object(*file_id).await?;
            erased += sqlx::query(
                "UPDATE stored_files SET erased_at = now(), download_name = NULL, client_address = NULL
                  WHERE file_id = $1 AND erased_at IS NULL",
            )
            .bind(file_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        }
        Ok(erased)
    }

    async fn delete_object(&self, file_id: Uuid) -> Result<(), Error> {
        match self.objects.delete(&ObjectPath::from(storage_key(file_id).as_str())).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Error::Internal(format!("object store delete: {e}"))),
        }
    }

    /// A file's record.
    pub async fn find(&self, file_id: Uuid) -> Result<Option<StoredFile>, Error> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM stored_files WHERE file_id = $1 AND erased_at IS NULL"))
            .bind(file_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Several files by id, in one query (those that exist).
    pub async fn find_many(&self, file_ids: &[Uuid]) -> Result<Vec<StoredFile>, Error> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM stored_files WHERE file_id = ANY($1) AND erased_at IS NULL"))
            .bind(file_ids)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Reads and decrypts a file's bytes.
    pub async fn read(&self, file: &StoredFile) -> Result<Vec<u8>, Error> {
        let blob = self
            .objects
            .get(&ObjectPath::from(storage_key(file.file_id).as_str()))
            .await
            .map_err(|e| Error::Internal(format!("object store get: {e}")))?
            .bytes()
            .await
            .map_err(|e| Error::Internal(format!("object store read: {e}")))?;
        let keys = self.keys.clone();
        let id = file.file_id;
        tokio::task::spawn_blocking(move || keys.open(id, &blob)).await?
    }

    /// Records a view of a personal document. Called before the bytes are sent: no log, no view.
    pub async fn log_access(&self, access: &DocumentAccess<'_>) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO document_access_log (file_id, viewer_kind, viewer_id, viewer_role, purpose, client_address)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(access.file_id)
        .bind(access.viewer_kind)
        .bind(access.viewer_id)
        .bind(access.viewer_role)
        .bind(access.purpose)
        .bind(access.client_address)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// One row of the document access log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccessRecord {
    pub access_id: i64,
    pub file_id: Uuid,
    pub viewer_kind: String,
    pub viewer_id: Uuid,
    pub viewer_role: String,
    pub purpose: String,
    pub client_address: Option<String>,
    pub viewed_at: DateTime<Utc>,
}

/// Which access-log rows to read.
#[derive(Debug, Clone, Default)]
pub struct AccessFilter {
    pub file_id: Option<Uuid>,
    pub viewer_id: Option<Uuid>,
    pub purpose: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl FileStore {
    /// A page of the document access log, oldest first, after `after` (an access id).
    pub async fn access_log(
        &self,
        filter: &AccessFilter,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AccessRecord>, Error> {
        Ok(sqlx::query_as(
            "SELECT access_id, file_id, viewer_kind, viewer_id, viewer_role, purpose, client_address, viewed_at
               FROM document_access_log
              WHERE access_id > $1
                AND ($2::uuid IS NULL OR file_id = $2)
                AND ($3::uuid IS NULL OR viewer_id = $3)
                AND ($4::text IS NULL OR purpose = $4)
                AND ($5::timestamptz IS NULL OR viewed_at >= $5)
                AND ($6::timestamptz IS NULL OR viewed_at <= $6)
              ORDER BY access_id LIMIT $7",
        )
        .bind(after.unwrap_or(0))
        .bind(filter.file_id)
        .bind(filter.viewer_id)
        .bind(&filter.purpose)
        .bind(filter.from)
        .bind(filter.to)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// One view of a document, for the access log.
#[derive(Debug, Clone)]
pub struct DocumentAccess<'a> {
    pub file_id: Uuid,
    pub viewer_kind: &'a str,
    pub viewer_id: Uuid,
    pub viewer_role: &'a str,
    pub purpose: &'a str,
    pub client_address: Option<&'a str>,
}

/// Bytes free for unprivileged writers on the disk holding `dir`.
fn free_disk_bytes(dir: &std::path::Path) -> Result<u64, Error> {
    let stats = rustix::fs::statvfs(dir).map_err(|e| Error::Internal(format!("statvfs {}: {e}", dir.display())))?;
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}

fn storage_key(file_id: Uuid) -> String {
    // Two-level fan-out keeps local directories small.
    let hex = file_id.simple().to_string();
    format!("{}/{}/{hex}", &hex[..2], &hex[2..4])
}
