//! Read model `file_retention`: for every attached file, when the purpose it was collected for
//! was fulfilled — identity photos once the registration or password reset was decided, a
//! request's documents once the request was closed, a result document from its completion.
//! `commands::retention` deletes the bytes a configured time after that.

use cqrs_es::Aggregate;
use domain::account::{Account, AccountEvent};
use domain::document::FileId;
use domain::request::{RequestEvent, ServiceRequest};
use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Error, EventByEvent, StoredEvent};

/// Why a file was collected, which sets how long it is kept after its purpose ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// KTP-el or police letter, family card, selfie: a registration or a password reset.
    Identity,
    /// A request's documents (and their re-uploads).
    Request,
    /// A finished document the office issued, for the resident to download.
    Result,
}

impl FileKind {
    pub const ALL: [FileKind; 3] = [FileKind::Identity, FileKind::Request, FileKind::Result];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "IDENTITY",
            Self::Request => "REQUEST",
            Self::Result => "RESULT",
        }
    }
}

/// The event types this projection reads (all others are passed over without decoding).
const RELEVANT: &[&str] = &[
    "AccountRegistered",
    "PasswordResetRequested",
    "AccountApproved",
    "AccountRejected",
    "PasswordResetApproved",
    "PasswordResetRejected",
    "RequestSubmitted",
    "DocumentsReuploaded",
    "RequestCompleted",
    "ReadyForPickup",
    "DocumentCollected",
    "RequestRejected",
    "RequestCancelled",
];

/// Projects attachments and the decisions that end their purpose into `file_retention`.
pub struct FileRetention;

impl EventByEvent for FileRetention {
    fn name(&self) -> &'static str {
        "file_retention"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["file_retention"]
    }

    fn apply_event<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        event: &'a StoredEvent,
    ) -> BoxFuture<'a, Result<(), Error>> {
        async move {
            if !RELEVANT.contains(&event.event_type.as_str()) {
                return Ok(());
            }
            let owner = event.aggregate_uuid()?;
            let at = event.recorded_at;
            if event.aggregate_type == Account::TYPE {
                match event.decode::<AccountEvent>()? {
                    AccountEvent::AccountRegistered { documents, .. }
                    | AccountEvent::PasswordResetRequested { documents, .. } => {
                        collected(conn, &documents.files(), FileKind::Identity, owner, None).await?;
                    }
                    AccountEvent::AccountApproved { .. }
                    | AccountEvent::AccountRejected { .. }
                    | AccountEvent::PasswordResetApproved { .. }
                    | AccountEvent::PasswordResetRejected { .. } => {
                        fulfilled(conn, owner, FileKind::Identity, at).await?
                    }
                    _ => {}
                }
            } else if event.aggregate_type == ServiceRequest::TYPE {
                match event.decode::<RequestEvent>()? {
                    RequestEvent::RequestSubmitted(submitted) => {
                        let files: Vec<FileId> = submitted.documents.iter().map(|d| d.file).collect();
                        collected(conn, &files, FileKind::Request, owner, None).await?;
                    }
                    RequestEvent::DocumentsReuploaded { documents, .. } => {
                        let files: Vec<FileId> = documents.iter().map(|d| d.file).collect();
                        collected(conn, &files, FileKind::Request, owner, None).await?;
                    }
                    RequestEvent::RequestCompleted { files, .. } => {
                        fulfilled(conn, owner, FileKind::Request, at).await?;
                        collected(conn, &files, FileKind::Result, owner, Some(at)).await?;
                    }
                    RequestEvent::ReadyForPickup { .. }
                    | RequestEvent::DocumentCollected { .. }
                    | RequestEvent::RequestRejected { .. }
                    | RequestEvent::RequestCancelled { .. } => fulfilled(conn, owner, FileKind::Request, at).await?,
                    _ => {}
                }
            }
            Ok(())
        }
        .boxed()
    }
}

async fn collected(
    conn: &mut PgConnection,
    files: &[FileId],
    kind: FileKind,
    owner: Uuid,
    ended: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), Error> {
    let ids: Vec<Uuid> = files.iter().map(|f| f.0).collect();
    sqlx::query(
        "INSERT INTO file_retention (file_id, kind, owner, purpose_ended_at)
         SELECT unnest($1::uuid[]), $2, $3, $4
         ON CONFLICT (file_id) DO UPDATE SET kind = EXCLUDED.kind, owner = EXCLUDED.owner,
             purpose_ended_at = EXCLUDED.purpose_ended_at",
    )
    .bind(ids)
    .bind(kind.as_str())
    .bind(owner)
    .bind(ended)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The owner's files of `kind` still in use have served their purpose at `at`.
async fn fulfilled(
    conn: &mut PgConnection,
    owner: Uuid,
    kind: FileKind,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE file_retention SET purpose_ended_at = $3
          WHERE owner = $1 AND kind = $2 AND purpose_ended_at IS NULL",
    )
    .bind(owner)
    .bind(kind.as_str())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
