//! References to stored documents, as events carry them.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalogue::{DocumentCode, ServiceCode};
use crate::request::RequestNumber;

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

    /// Every file referenced, with the name it is downloaded under.
    pub fn named_files(&self) -> Vec<(FileId, DocumentName)> {
        self.files().into_iter().map(|file| (file, DocumentName::identity(self, file))).collect()
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

/// The name a stored document is saved under when it is downloaded, without its extension
/// (that follows the stored content type): `akta-kelahiran-KH-2026-000002`,
/// `kartu-keluarga-KH-2026-000002`, `ktp-el-1a2b3c4d`. Built here, once, for every kind of
/// document; the file route only puts it in `Content-Disposition`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentName(String);

/// How a browser is asked to treat a downloaded document (RFC 6266).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Shown in the browser (the console's viewer, a PDF tab).
    Inline,
    /// Saved as a file ("Unduh").
    Attachment,
}

/// Longest name kept, in characters: enough for a legacy document's title.
const NAME_MAX_CHARS: usize = 120;

impl DocumentName {
    /// From free text (a legacy document's title): control characters and path separators
    /// dropped, runs of whitespace made one space, at most 120 characters. `None` when nothing
    /// is left.
    pub fn new(raw: &str) -> Option<Self> {
        let kept: String =
            raw.chars().map(|c| if c.is_control() || matches!(c, '/' | '\\') { ' ' } else { c }).collect();
        let name: String = kept.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(NAME_MAX_CHARS).collect();
        let name = name.trim_matches(|c: char| c == '.' || c.is_whitespace()).to_owned();
        (!name.is_empty()).then_some(Self(name))
    }

    /// A result document of a request: `akta-kelahiran-KH-2026-000002`, numbered `-1`, `-2`…
    /// when the request has several.
    pub fn result(service: &ServiceCode, number: &RequestNumber, index: usize, count: usize) -> Self {
        let part = if count > 1 { format!("-{}", index + 1) } else { String::new() };
        Self(format!("{}-{}{part}", slug(service.as_str()), number.as_str()))
    }

    /// A document a resident sent with a request: `kartu-keluarga-KH-2026-000002`.
    pub fn request_document(code: &DocumentCode, number: &RequestNumber) -> Self {
        Self(format!("{}-{}", slug(code.as_str()), number.as_str()))
    }

    /// One of the identity documents of a registration or password reset, by the file's short
    /// id (no NIK in a file name): `ktp-el-1a2b3c4d`, `surat-kehilangan-…`, `kartu-keluarga-…`,
    /// `selfie-…`.
    pub fn identity(documents: &IdentityDocuments, file: FileId) -> Self {
        let what = if file == documents.identity {
            match documents.identity_kind {
                IdentityDocumentKind::KtpEl => "ktp-el",
                IdentityDocumentKind::PoliceLossLetter => "surat-kehilangan",
            }
        } else if file == documents.family_card {
            "kartu-keluarga"
        } else if file == documents.selfie {
            "selfie"
        } else {
            "dokumen"
        };
        Self(format!("{what}-{}", short_id(file)))
    }

    /// A submission's receipt ("Bukti Pengajuan"): `bukti-pengajuan-KH-2026-000002`.
    pub fn receipt(number: &RequestNumber) -> Self {
        Self(format!("bukti-pengajuan-{}", number.as_str()))
    }

    /// What a file without a recorded name is called: `dokumen-1a2b3c4d`.
    pub fn fallback(file: FileId) -> Self {
        Self(format!("dokumen-{}", short_id(file)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The whole file name with `extension` (`pdf`, `jpg`, `png`).
    pub fn file_name(&self, extension: &str) -> String {
        format!("{}.{extension}", self.0)
    }

    /// The `Content-Disposition` value (RFC 6266): the disposition, an ASCII `filename` for
    /// old clients (anything else becomes `_`) and the exact name as RFC 5987's
    /// `filename*=UTF-8''…`, which every current browser prefers.
    pub fn content_disposition(&self, extension: &str, disposition: Disposition) -> String {
        let name = self.file_name(extension);
        let ascii: String = name
            .chars()
            .map(|c| if (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%')) || c == ' ' { c } else { '_' })
            .collect();
        let mut encoded = String::with_capacity(name.len() * 3);
        for byte in name.bytes() {
            // RFC 5987 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"; every other byte is %XX.
            if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
                encoded.push(char::from(byte));
            } else {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        }
        let kind = match disposition {
            Disposition::Inline => "inline",
            Disposition::Attachment => "attachment",
        };
        format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
    }
}

impl fmt::Display for DocumentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `AKTA_KELAHIRAN` → `akta-kelahiran`.
fn slug(code: &str) -> String {
    code.to_ascii_lowercase().replace('_', "-")
}

/// The first eight hex digits of a file id: enough to tell a resident's files apart.
fn short_id(file: FileId) -> String {
    file.0.simple().to_string().chars().take(8).collect()
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

    fn number() -> RequestNumber {
        RequestNumber::new(2026, 2)
    }

    fn code<T>(parse: fn(&str) -> Result<T, crate::catalogue::CatalogueError>, raw: &str) -> T {
        parse(raw).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_result_is_named_by_service_and_request_number() {
        let service = code(ServiceCode::parse, "AKTA_KELAHIRAN");
        assert_eq!(
            DocumentName::result(&service, &number(), 0, 1).file_name("pdf"),
            "akta-kelahiran-KH-2026-000002.pdf"
        );
        assert_eq!(DocumentName::result(&service, &number(), 1, 2).as_str(), "akta-kelahiran-KH-2026-000002-2");
        let kk = code(DocumentCode::parse, "KARTU_KELUARGA");
        assert_eq!(
            DocumentName::request_document(&kk, &number()).file_name("jpg"),
            "kartu-keluarga-KH-2026-000002.jpg"
        );
    }

    #[test]
    fn identity_documents_are_named_by_slot_and_short_id_never_the_nik() {
        let file = |n: u128| FileId(Uuid::from_u128(n << 96));
        let documents = IdentityDocuments {
            identity_kind: IdentityDocumentKind::PoliceLossLetter,
            identity: file(0x1a2b_3c4d),
            family_card: file(2),
            selfie: file(3),
        };
        assert_eq!(DocumentName::identity(&documents, documents.identity).as_str(), "surat-kehilangan-1a2b3c4d");
        assert_eq!(DocumentName::identity(&documents, documents.family_card).as_str(), "kartu-keluarga-00000002");
        assert_eq!(DocumentName::identity(&documents, documents.selfie).as_str(), "selfie-00000003");
        assert_eq!(DocumentName::fallback(file(0xff)).as_str(), "dokumen-000000ff");
        assert_eq!(DocumentName::receipt(&number()).as_str(), "bukti-pengajuan-KH-2026-000002");
    }

    #[test]
    fn a_plain_name_is_sent_as_it_is_in_both_forms() {
        let service = code(ServiceCode::parse, "AKTA_KELAHIRAN");
        let name = DocumentName::result(&service, &number(), 0, 1);
        assert_eq!(
            name.content_disposition("pdf", Disposition::Inline),
            "inline; filename=\"akta-kelahiran-KH-2026-000002.pdf\"; filename*=UTF-8''akta-kelahiran-KH-2026-000002.pdf"
        );
        assert!(name.content_disposition("pdf", Disposition::Attachment).starts_with("attachment; filename=\""));
    }

    #[test]
    fn spaces_are_kept_in_the_fallback_and_percent_encoded_in_the_exact_name() {
        let name = DocumentName::new("Akta  Kelahiran\t2019").unwrap_or_else(|| panic!("a name"));
        assert_eq!(
            name.content_disposition("pdf", Disposition::Attachment),
            "attachment; filename=\"Akta Kelahiran 2019.pdf\"; filename*=UTF-8''Akta%20Kelahiran%202019.pdf"
        );
    }

    #[test]
    fn non_ascii_is_utf8_percent_encoded_and_replaced_in_the_fallback() {
        let name = DocumentName::new("Surat Nikah Sérgio – 2020").unwrap_or_else(|| panic!("a name"));
        assert_eq!(
            name.content_disposition("pdf", Disposition::Inline),
            "inline; filename=\"Surat Nikah S_rgio _ 2020.pdf\"; \
             filename*=UTF-8''Surat%20Nikah%20S%C3%A9rgio%20%E2%80%93%202020.pdf"
        );
    }

    #[test]
    fn quotes_backslashes_and_percent_cannot_break_out_of_the_header() {
        let name = DocumentName::new("a\"b;c%d'e").unwrap_or_else(|| panic!("a name"));
        let header = name.content_disposition("pdf", Disposition::Inline);
        assert_eq!(header, "inline; filename=\"a_b;c_d'e.pdf\"; filename*=UTF-8''a%22b%3Bc%25d%27e.pdf");
        let value = header.split_once("filename=\"").map(|(_, rest)| rest).unwrap_or_default();
        assert_eq!(value.matches('"').count(), 1, "only the closing quote: {header}");
    }

    #[test]
    fn paths_control_characters_and_empty_names_are_refused_or_cleaned() {
        assert_eq!(DocumentName::new("../../etc/passwd").map(|n| n.0), Some("etc passwd".to_owned()));
        assert_eq!(DocumentName::new("a\r\nContent-Type: x").map(|n| n.0), Some("a Content-Type: x".to_owned()));
        assert_eq!(DocumentName::new(" \t./ "), None);
        assert_eq!(DocumentName::new(&"x".repeat(500)).map(|n| n.0.chars().count()), Some(NAME_MAX_CHARS));
    }
}
