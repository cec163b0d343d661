//! Who may see which stored file, and why, and the one way a stored document leaves the
//! service ([`crate::Commands::open_file`]: the rule, the access log, the bytes).

use chrono::{DateTime, Utc};
use domain::Actor;
use domain::account::Account;
use domain::staff::{Permission, Role};
use uuid::Uuid;

use crate::Error;
use crate::files::{DocumentAccess, FileOwner, StoredFile};

/// Who asks.
#[derive(Debug, Clone, Copy)]
pub enum Viewer<'a> {
    /// A signed-in resident, with their account's current state.
    Resident { account_id: Uuid, account: &'a Account },
    /// A signed-in staff member.
    Staff { role: Role },
}

/// The purpose recorded in the access log, or `None` when the viewer may not see the file.
pub fn purpose(viewer: Viewer<'_>, file: &StoredFile, now: DateTime<Utc>) -> Option<&'static str> {
    match (viewer, file.owner()?) {
        (Viewer::Resident { account_id, .. }, FileOwner::Account(owner)) if account_id == owner.0 => Some("owner"),
        (Viewer::Resident { account, .. }, FileOwner::LegacyAccount(id)) => {
            account.legacy_access_at(now).iter().any(|(legacy, _)| *legacy == id).then_some("legacy-access")
        }
        (Viewer::Staff { role }, FileOwner::Account(_)) if role.permits(Permission::WorkQueue) => Some("verification"),
        (Viewer::Staff { role }, FileOwner::LegacyAccount(_)) if role.permits(Permission::WorkQueue) => {
            Some("legacy-verification")
        }
        _ => None,
    }
}

/// A stored document opened for a viewer: its record (type, name) and its decrypted bytes.
#[derive(Debug)]
pub struct OpenedFile {
    pub file: StoredFile,
    pub bytes: Vec<u8>,
}

impl crate::Commands {
    /// Opens a stored document for `actor`: checks [`purpose`], records the view in
    /// `document_access_log` (before any byte is read: no log, no view) and returns the bytes.
    /// `None` for a file that does not exist and, alike, for one the actor may not see.
    pub async fn open_file(
        &self,
        actor: Actor,
        file_id: Uuid,
        client_address: Option<&str>,
    ) -> Result<Option<OpenedFile>, Error> {
        let Some(file) = self.files.find(file_id).await? else { return Ok(None) };
        let now = self.clock.now();
        let (purpose, viewer_kind) = match actor {
            Actor::Resident(account_id) => {
                let account = self.accounts.load(account_id.0).await?;
                (purpose(Viewer::Resident { account_id: account_id.0, account: &account }, &file, now), "RESIDENT")
            }
            Actor::Staff { role, .. } => (purpose(Viewer::Staff { role }, &file, now), "STAFF"),
            Actor::Anonymous | Actor::System => (None, ""),
        };
        let Some(purpose) = purpose else { return Ok(None) };
        let access = DocumentAccess {
            file_id,
            viewer_kind,
            viewer_id: actor.id(),
            viewer_role: actor.role().as_str(),
            purpose,
            client_address,
        };
        self.files.log_access(&access).await?;
        let bytes = self.files.read(&file).await?;
        Ok(Some(OpenedFile { file, bytes }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(attached_to: Option<String>) -> StoredFile {
        StoredFile {
            file_id: Uuid::new_v4(),
            content_type: "image/jpeg".into(),
            byte_size: 1,
            sha256: vec![],
            uploaded_by: "token:x".into(),
            created_at: Utc::now(),
            attach_before: None,
            attached_to,
            attached_for: None,
            download_name: None,
        }
    }

    #[test]
    fn residents_see_their_own_files_only() {
        let me = Uuid::new_v4();
        let other = Uuid::new_v4();
        let account = Account::default();
        let viewer = Viewer::Resident { account_id: me, account: &account };
        assert_eq!(purpose(viewer, &file(Some(format!("Account:{me}"))), Utc::now()), Some("owner"));
        assert_eq!(purpose(viewer, &file(Some(format!("Account:{other}"))), Utc::now()), None);
        assert_eq!(purpose(viewer, &file(None), Utc::now()), None, "unattached uploads are nobody's to view");
        assert_eq!(purpose(viewer, &file(Some(format!("LegacyAccount:{other}"))), Utc::now()), None);
    }

    #[test]
    fn only_queue_workers_among_staff() {
        let owner = Uuid::new_v4();
        let f = file(Some(format!("Account:{owner}")));
        assert_eq!(purpose(Viewer::Staff { role: Role::Operator }, &f, Utc::now()), Some("verification"));
        assert_eq!(purpose(Viewer::Staff { role: Role::Supervisor }, &f, Utc::now()), Some("verification"));
        assert_eq!(purpose(Viewer::Staff { role: Role::Auditor }, &f, Utc::now()), None);
        assert_eq!(purpose(Viewer::Staff { role: Role::Admin }, &f, Utc::now()), None);
    }
}
