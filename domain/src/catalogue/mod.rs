//! The service catalogue: which services the office offers, their form fields, required
//! documents and outcome. It is data (`catalogue/services.toml`), versioned, so a submitted
//! request can record the version it was validated against and later edits never
//! reinterpret history.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

mod validate;
pub use validate::{SubmissionProblem, SubmittedDocument, validate_submission};

/// A whole catalogue version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// Incremented on every published change.
    pub version: u32,
    pub services: Vec<ServiceDefinition>,
}

/// One service residents can request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDefinition {
    pub code: ServiceCode,
    /// Indonesian name, e.g. "Akta Kelahiran".
    pub name: String,
    /// Indonesian explanation shown before the form.
    pub description: String,
    pub outcome: Outcome,
    #[serde(default)]
    pub fields: Vec<FieldDefinition>,
    #[serde(default)]
    pub documents: Vec<DocumentRequirement>,
}

crate::spelled::spelled_enum! {
    /// How a finished request reaches the resident.
    ///
    /// The read models spell it `DOWNLOAD`/`PICKUP` (`as_str`); the catalogue and events write it
    /// in lower case, through serde.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Outcome: UnknownOutcome("outcome") {
        /// A signed PDF the resident downloads (or has printed at the kecamatan or the Dinas).
        Download = "DOWNLOAD",
        /// A card the resident collects in person (KTP-el, KIA).
        Pickup = "PICKUP",
    }
}

/// A form field of a service. (`deny_unknown_fields` cannot be combined with the flattened
/// kind, so a misspelt key here is ignored rather than refused.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDefinition {
    /// Stable key, `snake_case`.
    pub name: String,
    /// Indonesian label.
    pub label: String,
    #[serde(default)]
    pub required: bool,
    #[serde(flatten)]
    pub kind: FieldKind,
    /// Indonesian hint shown under the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// The type of a form field and its own constraints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FieldKind {
    Text {
        #[serde(default = "default_max_length")]
        max_length: u32,
    },
    /// A calendar date (YYYY-MM-DD).
    Date,
    /// A 16-digit NIK.
    Nik,
    /// A KK number (16 digits).
    Kk,
    /// A whole number within bounds.
    Number { min: i64, max: i64 },
    /// One of a fixed list.
    Choice { options: Vec<String> },
    /// A WhatsApp/phone number.
    Phone,
}

fn default_max_length() -> u32 {
    200
}

/// A document the resident uploads for a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentRequirement {
    pub code: DocumentCode,
    /// Indonesian label.
    pub label: String,
    /// Required unconditionally.
    #[serde(default)]
    pub required: bool,
    /// Required only when the person's age (from a date field) is within a range, e.g. the
    /// KIA photo for children aged 5–17.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_for_age: Option<AgeCondition>,
    /// Accepted file types; defaults to JPEG, PNG and PDF.
    #[serde(default = "all_file_types")]
    pub accepted: Vec<FileType>,
}

/// An age range measured from a date field of the same service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeCondition {
    /// The date field holding the birth date.
    pub birth_date_field: String,
    pub min_years: u32,
    pub max_years: u32,
}

/// A file type the office accepts (decided by content, never by extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    Jpeg,
    Png,
    Pdf,
}

fn all_file_types() -> Vec<FileType> {
    vec![FileType::Jpeg, FileType::Png, FileType::Pdf]
}

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $error:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// `SCREAMING_SNAKE_CASE`, 2–64 characters.
            pub fn parse(raw: &str) -> Result<Self, CatalogueError> {
                if is_code(raw) { Ok(Self(raw.to_owned())) } else { Err(CatalogueError::$error(raw.chars().take(64).collect())) }
            }

            /// The code.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = CatalogueError;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(code: $name) -> String {
                code.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

code_type!(
    /// A service's stable code, e.g. `AKTA_KELAHIRAN`.
    ServiceCode,
    InvalidServiceCode
);
code_type!(
    /// A document's stable code within a service, e.g. `SURAT_KETERANGAN_LAHIR`.
    DocumentCode,
    InvalidDocumentCode
);

fn is_code(raw: &str) -> bool {
    (2..=64).contains(&raw.len())
        && raw.starts_with(|c: char| c.is_ascii_uppercase())
        && raw.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Why a catalogue (or a code in a request) is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("Kode layanan tidak valid: {0}")]
    InvalidServiceCode(String),
    #[error("Kode dokumen tidak valid: {0}")]
    InvalidDocumentCode(String),
    #[error("Berkas katalog tidak dapat dibaca: {0}")]
    Malformed(String),
    #[error("Katalog tidak konsisten: {0}")]
    Inconsistent(String),
}

impl ErrorCode for CatalogueError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidServiceCode(_) => "INVALID_SERVICE_CODE",
            Self::InvalidDocumentCode(_) => "INVALID_DOCUMENT_CODE",
            Self::Malformed(_) => "CATALOGUE_MALFORMED",
            Self::Inconsistent(_) => "CATALOGUE_INCONSISTENT",
        }
    }
}

impl Catalogue {
    /// Parses a catalogue file and checks it is internally consistent.
    pub fn from_toml(source: &str) -> Result<Self, CatalogueError> {
        let catalogue: Catalogue = toml::from_str(source).map_err(|e| CatalogueError::Malformed(e.to_string()))?;
        catalogue.check()?;
        Ok(catalogue)
    }

    /// A service by its code.
    pub fn service(&self, code: &ServiceCode) -> Option<&ServiceDefinition> {
        self.services.iter().find(|s| &s.code == code)
    }

    fn check(&self) -> Result<(), CatalogueError> {
        let fail = |msg: String| Err(CatalogueError::Inconsistent(msg));
        if self.version == 0 {
            return fail("versi harus dimulai dari 1".into());
        }
        let mut codes = HashSet::new();
        for service in &self.services {
            if !codes.insert(&service.code) {
                return fail(format!("kode layanan ganda {}", service.code));
            }
            if service.name.trim().is_empty() {
                return fail(format!("layanan {} tanpa nama", service.code));
            }
            let mut fields = HashSet::new();
            for field in &service.fields {
                if !fields.insert(field.name.as_str()) {
                    return fail(format!("isian ganda {} pada {}", field.name, service.code));
                }
                match &field.kind {
                    FieldKind::Choice { options } if options.is_empty() => {
                        return fail(format!("pilihan kosong pada {}.{}", service.code, field.name));
                    }
                    FieldKind::Number { min, max } if min > max => {
                        return fail(format!("batas angka terbalik pada {}.{}", service.code, field.name));
                    }
                    _ => {}
                }
            }
            let mut documents = HashSet::new();
            for document in &service.documents {
                if !documents.insert(&document.code) {
                    return fail(format!("dokumen ganda {} pada {}", document.code, service.code));
                }
                if document.accepted.is_empty() {
                    return fail(format!("dokumen {} pada {} tanpa jenis berkas", document.code, service.code));
                }
                if let Some(age) = &document.required_for_age {
                    let is_date_field =
                        service.fields.iter().any(|f| f.name == age.birth_date_field && f.kind == FieldKind::Date);
                    if !is_date_field || age.min_years > age.max_years {
                        return fail(format!(
                            "syarat umur dokumen {} pada {} tidak valid",
                            document.code, service.code
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../../catalogue/services.toml");

    fn shipped() -> Catalogue {
        Catalogue::from_toml(SHIPPED).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn shipped_catalogue_parses_and_is_consistent() {
        let catalogue = shipped();
        assert!(catalogue.version >= 1);
        assert!(catalogue.services.len() >= 14);
    }

    #[test]
    fn shipped_catalogue_has_every_service_of_the_design() {
        let catalogue = shipped();
        let expected = [
            ("AKTA_KELAHIRAN", Outcome::Download),
            ("AKTA_KEMATIAN", Outcome::Download),
            ("KK_BARU", Outcome::Download),
            ("KK_PERUBAHAN", Outcome::Download),
            ("KK_HILANG_RUSAK", Outcome::Download),
            ("KTP_EL_HILANG", Outcome::Pickup),
            ("KTP_EL_RUSAK", Outcome::Pickup),
            ("KTP_EL_PERUBAHAN_DATA", Outcome::Pickup),
            ("KIA", Outcome::Pickup),
            ("SURAT_PINDAH_KELUAR", Outcome::Download),
            ("PINDAH_DATANG", Outcome::Download),
            ("AKTA_PERKAWINAN", Outcome::Download),
            ("AKTA_PERCERAIAN", Outcome::Download),
            ("PERUBAHAN_BIODATA", Outcome::Download),
        ];
        for (code, outcome) in expected {
            let code = ServiceCode::parse(code).unwrap_or_else(|e| panic!("{e}"));
            let service = catalogue.service(&code).unwrap_or_else(|| panic!("missing {code}"));
            assert_eq!(service.outcome, outcome, "{code}");
            assert!(service.documents.iter().any(|d| d.required), "{code} requires no document");
        }
    }

    #[test]
    fn kia_photo_is_required_for_ages_five_to_seventeen() {
        let catalogue = shipped();
        let kia = ServiceCode::parse("KIA").ok().and_then(|c| catalogue.service(&c).cloned());
        let photo = kia.iter().flat_map(|s| s.documents.iter()).find_map(|d| d.required_for_age.clone());
        assert_eq!(photo.map(|a| (a.min_years, a.max_years)), Some((5, 17)));
    }

    #[test]
    fn codes_are_screaming_snake_case() {
        assert!(ServiceCode::parse("AKTA_KELAHIRAN").is_ok());
        for bad in ["akta", "A", "_AKTA", "AKTA-KELAHIRAN", "AKTA KELAHIRAN", "1AKTA"] {
            assert!(ServiceCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(DocumentCode::parse("x").map_err(|e| e.code()), Err("INVALID_DOCUMENT_CODE"));
    }

    #[test]
    fn duplicate_service_codes_are_refused() {
        let source = r#"
version = 1
[[services]]
code = "AKTA_KELAHIRAN"
name = "A"
description = "a"
outcome = "download"
[[services]]
code = "AKTA_KELAHIRAN"
name = "B"
description = "b"
outcome = "pickup"
"#;
        assert!(matches!(Catalogue::from_toml(source), Err(CatalogueError::Inconsistent(_))));
    }

    #[test]
    fn age_condition_must_point_at_a_date_field() {
        let source = r#"
version = 1
[[services]]
code = "KIA"
name = "KIA"
description = "k"
outcome = "pickup"
[[services.fields]]
name = "nama"
label = "Nama"
type = "text"
[[services.documents]]
code = "PAS_FOTO"
label = "Foto"
required_for_age = { birth_date_field = "nama", min_years = 5, max_years = 17 }
"#;
        assert!(matches!(Catalogue::from_toml(source), Err(CatalogueError::Inconsistent(_))));
    }

    #[test]
    fn unknown_keys_and_bad_types_are_malformed() {
        assert!(matches!(
            Catalogue::from_toml("version = 1\nservices = []\nextra = 1"),
            Err(CatalogueError::Malformed(_))
        ));
        let bad_type =
            "version = 1\n[[services]]\ncode = \"X_Y\"\nname = \"n\"\ndescription = \"d\"\noutcome = \"email\"\n";
        assert!(matches!(Catalogue::from_toml(bad_type), Err(CatalogueError::Malformed(_))));
    }
}
