//! Read model `file_retention`: for every attached file, when the purpose it was collected for
//! was fulfilled — identity photos once the registration or password reset was decided, a
//! request's documents once the request was closed, a result document from its completion.
//! `commands::retention` deletes the bytes a configured time after that.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::account::{Account, AccountEvent};
use domain::document::FileId;
use domain::request::{RequestEvent, ServiceRequest};
use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Context, Error, Projection, StoredEvent};

/// Why a file was collected, which sets how long it is kept after its purpose ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// Projects attachments and the decisions that end their purpose into `file_retention`, a
/// batch at a time: folded in memory ([`Changes`]), then one `UPDATE` for the files already
/// stored and one `INSERT` for the batch's own.
pub struct FileRetention;

impl Projection for FileRetention {
    fn name(&self) -> &'static str {
        "file_retention"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["file_retention"]
    }

    /// A fulfilled purpose ends the open rows of its owner and kind.
    fn folding_indexes(&self) -> &'static [&'static str] {
        &["file_retention_open"]
    }

    fn apply_batch<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        events: &'a [StoredEvent],
        _cx: Context<'a>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        async move {
            let mut changes = Changes::default();
            for event in events.iter().filter(|e| RELEVANT.contains(&e.event_type.as_str())) {
                changes.apply(event)?;
            }
            changes.write(conn).await
        }
        .boxed()
    }
}

/// A file's row as the batch leaves it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Row {
    kind: FileKind,
    owner: Uuid,
    ended: Option<DateTime<Utc>>,
}

/// What a batch changes: the files it collected, and for the files stored before it, the first
/// time in the batch each owner's files of a kind served their purpose.
#[derive(Debug, Default)]
struct Changes {
    rows: HashMap<Uuid, Row>,
    order: Vec<Uuid>,
    /// The batch's own files by owner and kind, so a decision finds its files without scanning
    /// every file of the batch (which made a batch quadratic).
    by_owner: HashMap<(Uuid, FileKind), Vec<Uuid>>,
    stored_fulfilled: HashMap<(Uuid, FileKind), DateTime<Utc>>,
}

impl Changes {
    fn apply(&mut self, event: &StoredEvent) -> Result<(), Error> {
        let owner = event.aggregate_uuid()?;
        let at = event.recorded_at;
        if event.aggregate_type == Account::TYPE {
            match event.decode::<AccountEvent>()? {
                AccountEvent::AccountRegistered { documents, .. }
                | AccountEvent::PasswordResetRequested { documents, .. } => {
                    self.collected(&documents.files(), FileKind::Identity, owner, None)
                }
                AccountEvent::AccountApproved { .. }
                | AccountEvent::AccountRejected { .. }
                | AccountEvent::PasswordResetApproved { .. }
                | AccountEvent::PasswordResetRejected { .. } => self.fulfilled(owner, FileKind::Identity, at),
                _ => {}
            }
        } else if event.aggregate_type == ServiceRequest::TYPE {
            match event.decode::<RequestEvent>()? {
                RequestEvent::RequestSubmitted(submitted) => {
                    let files: Vec<FileId> = submitted.documents.iter().map(|d| d.file).collect();
                    self.collected(&files, FileKind::Request, owner, None);
                }
                RequestEvent::DocumentsReuploaded { documents, .. } => {
                    let files: Vec<FileId> = documents.iter().map(|d| d.file).collect();
                    self.collected(&files, FileKind::Request, owner, None);
                }
                RequestEvent::RequestCompleted { files, .. } => {
                    self.fulfilled(owner, FileKind::Request, at);
                    self.collected(&files, FileKind::Result, owner, Some(at));
                }
                RequestEvent::ReadyForPickup { .. }
                | RequestEvent::DocumentCollected { .. }
                | RequestEvent::RequestRejected { .. }
                | RequestEvent::RequestCancelled { .. } => self.fulfilled(owner, FileKind::Request, at),
                _ => {}
            }
        }
        Ok(())
    }

    fn collected(&mut self, files: &[FileId], kind: FileKind, owner: Uuid, ended: Option<DateTime<Utc>>) {
        for file in files {
            if let Some(earlier) = self.rows.insert(file.0, Row { kind, owner, ended }) {
                if (earlier.owner, earlier.kind) != (owner, kind)
                    && let Some(files) = self.by_owner.get_mut(&(earlier.owner, earlier.kind))
                {
                    files.retain(|f| *f != file.0);
                }
            } else {
                self.order.push(file.0);
            }
            let files = self.by_owner.entry((owner, kind)).or_default();
            if !files.contains(&file.0) {
                files.push(file.0);
            }
        }
    }

    /// The owner's files of `kind` still in use — stored before the batch, or collected in it
    /// before this event — have served their purpose at `at`.
    fn fulfilled(&mut self, owner: Uuid, kind: FileKind, at: DateTime<Utc>) {
        self.stored_fulfilled.entry((owner, kind)).or_insert(at);
        for file in self.by_owner.get(&(owner, kind)).into_iter().flatten() {
            if let Some(row) = self.rows.get_mut(file).filter(|r| r.ended.is_none()) {
                row.ended = Some(at);
            }
        }
    }

    async fn write(self, conn: &mut PgConnection) -> Result<(), Error> {
        if !self.stored_fulfilled.is_empty() {
            let (mut owners, mut kinds, mut ats) = (Vec::new(), Vec::new(), Vec::new());
            for ((owner, kind), at) in &self.stored_fulfilled {
                owners.push(*owner);
                kinds.push(kind.as_str());
                ats.push(*at);
            }
            // Before the batch's own rows are written: only files stored earlier are meant.
            sqlx::query(
                "UPDATE file_retention r SET purpose_ended_at = t.at
                   FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS t(owner, kind, at)
                  WHERE r.owner = t.owner AND r.kind = t.kind AND r.purpose_ended_at IS NULL",
            )
            .bind(owners)
            .bind(kinds)
            .bind(ats)
            .execute(&mut *conn)
            .await?;
        }
        if self.order.is_empty() {
            return Ok(());
        }
        let rows: Vec<(Uuid, Row)> = self.order.iter().filter_map(|id| self.rows.get(id).map(|r| (*id, *r))).collect();
        sqlx::query(
            "INSERT INTO file_retention (file_id, kind, owner, purpose_ended_at)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::timestamptz[])
             ON CONFLICT (file_id) DO UPDATE SET kind = EXCLUDED.kind, owner = EXCLUDED.owner,
                 purpose_ended_at = EXCLUDED.purpose_ended_at",
        )
        .bind(rows.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(rows.iter().map(|(_, r)| r.kind.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|(_, r)| r.owner).collect::<Vec<_>>())
        .bind(rows.iter().map(|(_, r)| r.ended).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::minutes(minute)
    }

    #[test]
    fn a_decision_closes_what_was_collected_before_it_not_after() {
        let (account, first, second) = (Uuid::from_u128(1), FileId(Uuid::from_u128(10)), FileId(Uuid::from_u128(11)));
        let mut changes = Changes::default();
        changes.collected(&[first], FileKind::Identity, account, None);
        changes.fulfilled(account, FileKind::Identity, at(5));
        changes.collected(&[second], FileKind::Identity, account, None);
        changes.fulfilled(account, FileKind::Identity, at(9));
        assert_eq!(changes.rows[&first.0].ended, Some(at(5)));
        assert_eq!(changes.rows[&second.0].ended, Some(at(9)));
        assert_eq!(changes.stored_fulfilled[&(account, FileKind::Identity)], at(5), "stored files: the first decision");
        assert_eq!(changes.order, vec![first.0, second.0]);
    }

    #[test]
    fn other_owners_and_kinds_are_left_alone() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut changes = Changes::default();
        changes.collected(&[FileId(Uuid::from_u128(10))], FileKind::Request, a, None);
        changes.collected(&[FileId(Uuid::from_u128(11))], FileKind::Identity, a, None);
        changes.collected(&[FileId(Uuid::from_u128(12))], FileKind::Request, b, None);
        changes.fulfilled(a, FileKind::Request, at(3));
        let ended: Vec<bool> =
            [10, 11, 12].iter().map(|n| changes.rows[&Uuid::from_u128(*n)].ended.is_some()).collect();
        assert_eq!(ended, [true, false, false]);
    }
}
