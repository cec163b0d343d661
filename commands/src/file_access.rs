//! Who may see which stored file, and why — the single rule behind `GET /files/{id}`.

use chrono::{DateTime, Utc};
use domain::account::Account;
use domain::staff::{Permission, Role};
use uuid::Uuid;

use crate::files::StoredFile;

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
    let owner = file.attached_to.as_deref()?;
    let (kind, id) = owner.split_once(':')?;
    let id = Uuid::parse_str(id).ok()?;
    match (viewer, kind) {
        (Viewer::Resident { account_id, .. }, "Account") if account_id == id => Some("owner"),
        (Viewer::Resident { account, .. }, "LegacyAccount") => {
            account.legacy_access_at(now).iter().any(|(legacy, _)| legacy.0 == id).then_some("legacy-access")
        }
        (Viewer::Staff { role }, "Account") if role.permits(Permission::WorkQueue) => Some("verification"),
        (Viewer::Staff { role }, "LegacyAccount") if role.permits(Permission::WorkQueue) => Some("legacy-verification"),
        _ => None,
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
