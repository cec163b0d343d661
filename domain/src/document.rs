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

/// What is wrong with a document a form needs — the one rule every form answers with
/// (registration, password reset, request forms, re-upload, completion): a document that was
/// not sent is `DOCUMENT_REQUIRED`; only an upload id that was sent but cannot be used gets
/// `UPLOAD_NOT_USABLE` and its four possible causes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentProblem {
    /// Nothing was sent for it: the id is absent or blank.
    #[error("{label} wajib diunggah.")]
    Required { label: String },
    /// An id was sent, but no usable upload has it: unknown, someone else's, already used,
    /// or expired (deliberately one answer: it tells nobody whose an id is).
    #[error("{label}: unggahan tidak ditemukan, bukan milik Anda, sudah dipakai, atau kedaluwarsa.")]
    NotUsable { label: String },
}

impl DocumentProblem {
    /// The document named `label` was not sent.
    pub fn required(label: impl Into<String>) -> Self {
        Self::Required { label: label.into() }
    }

    /// The upload sent for the document named `label` cannot be used.
    pub fn not_usable(label: impl Into<String>) -> Self {
        Self::NotUsable { label: label.into() }
    }

    /// The document's label, as the form shows it.
    pub fn label(&self) -> &str {
        match self {
            Self::Required { label } | Self::NotUsable { label } => label,
        }
    }
}

impl crate::ErrorCode for DocumentProblem {
    fn code(&self) -> &'static str {
        match self {
            Self::Required { .. } => "DOCUMENT_REQUIRED",
            Self::NotUsable { .. } => "UPLOAD_NOT_USABLE",
        }
    }
}

/// Reads the upload id a form sent for the document named `label`: absent or blank is
/// [`DocumentProblem::Required`], anything that is not an id is [`DocumentProblem::NotUsable`].
/// Whether the upload behind a well-formed id may be used is the file store's to say.
pub fn upload_id(raw: Option<&str>, label: &str) -> Result<Uuid, DocumentProblem> {
    match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
        None => Err(DocumentProblem::required(label)),
        Some(raw) => Uuid::parse_str(raw).map_err(|_| DocumentProblem::not_usable(label)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn an_absent_or_blank_id_is_a_document_not_sent() {
        for raw in [None, Some(""), Some("   ")] {
            let problem = upload_id(raw, "Foto selfie").err();
            assert_eq!(problem.as_ref().map(ErrorCode::code), Some("DOCUMENT_REQUIRED"), "{raw:?}");
            assert_eq!(problem.map(|p| p.to_string()).as_deref(), Some("Foto selfie wajib diunggah."));
        }
    }

    #[test]
    fn a_malformed_id_was_sent_but_cannot_be_used() {
        let problem = upload_id(Some("bukan-id"), "Kartu Keluarga").err();
        assert_eq!(problem.as_ref().map(ErrorCode::code), Some("UPLOAD_NOT_USABLE"));
        assert_eq!(problem.as_ref().map(DocumentProblem::label), Some("Kartu Keluarga"));
    }

    #[test]
    fn a_well_formed_id_is_read_trimmed() {
        let id = Uuid::from_u128(7);
        assert_eq!(upload_id(Some(&format!(" {id} ")), "KK"), Ok(id));
    }
}
