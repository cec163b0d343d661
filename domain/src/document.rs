//! References to stored documents, as events carry them.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A stored (encrypted) file. The bytes live in object storage; events carry only this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FileId(pub Uuid);

impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which document proves identity at registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdentityDocumentKind {
    /// A photo of the KTP-el.
    KtpEl,
    /// The police's letter for a lost KTP-el (surat keterangan kehilangan).
    PoliceLossLetter,
}

/// The three documents a resident proves identity with (registration and password reset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityDocuments {
    pub identity_kind: IdentityDocumentKind,
    pub identity: FileId,
    pub family_card: FileId,
    pub selfie: FileId,
}

impl IdentityDocuments {
    /// Every file referenced.
    pub fn files(&self) -> [FileId; 3] {
        [self.identity, self.family_card, self.selfie]
    }
}
