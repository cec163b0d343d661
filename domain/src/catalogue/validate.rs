//! Checking a submission against the catalogue version in force. One place decides whether
//! fields and documents are acceptable; the edge only translates the problems.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{DocumentCode, FieldKind, FileType, ServiceDefinition};
use crate::ErrorCode;
use crate::document::{DocumentProblem, FileId};
use crate::nik::Nik;
use crate::phone::PhoneNumber;

/// A document attached to a submission, with what its content turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmittedDocument {
    pub code: DocumentCode,
    pub file: FileId,
    pub file_type: FileType,
}

/// One thing wrong with a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionProblem {
    /// `fields.<name>` or `documents.<CODE>`.
    pub field: String,
    /// The Indonesian label of the field or document.
    pub label: String,
    pub code: &'static str,
    pub message: String,
}

impl SubmissionProblem {
    fn field(name: &str, label: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self { field: format!("fields.{name}"), label: label.to_owned(), code, message: message.into() }
    }

    fn document(code: &str, label: &str, problem: &'static str, message: impl Into<String>) -> Self {
        Self { field: format!("documents.{code}"), label: label.to_owned(), code: problem, message: message.into() }
    }
}

/// Checks every field and document of a submission; `today` is the office date (for dates in
/// the future and ages). Returns the normalised field values, or every problem at once.
pub fn validate_submission(
    service: &ServiceDefinition,
    fields: &BTreeMap<String, String>,
    documents: &[SubmittedDocument],
    today: NaiveDate,
) -> Result<BTreeMap<String, String>, Vec<SubmissionProblem>> {
    let mut problems = Vec::new();
    let mut normalised = BTreeMap::new();
    for name in fields.keys() {
        if !service.fields.iter().any(|f| &f.name == name) {
            problems.push(SubmissionProblem::field(
                name,
                name,
                "UNKNOWN_FIELD",
                format!("Isian '{name}' tidak dikenal untuk layanan ini."),
            ));
        }
    }
    for definition in &service.fields {
        let value = fields.get(&definition.name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let Some(value) = value else {
            if definition.required {
                problems.push(SubmissionProblem::field(
                    &definition.name,
                    &definition.label,
                    "FIELD_REQUIRED",
                    format!("{} wajib diisi.", definition.label),
                ));
            }
            continue;
        };
        match check_value(&definition.kind, value, today) {
            Ok(clean) => {
                normalised.insert(definition.name.clone(), clean);
            }
            Err((code, why)) => problems.push(SubmissionProblem::field(
                &definition.name,
                &definition.label,
                code,
                format!("{}: {why}", definition.label),
            )),
        }
    }
    let mut seen = HashSet::new();
    for document in documents {
        let Some(requirement) = service.documents.iter().find(|d| d.code == document.code) else {
            problems.push(SubmissionProblem::document(
                document.code.as_str(),
                document.code.as_str(),
                "UNKNOWN_DOCUMENT",
                format!("Dokumen '{}' tidak diminta untuk layanan ini.", document.code),
            ));
            continue;
        };
        if !seen.insert(&document.code) {
            problems.push(SubmissionProblem::document(
                document.code.as_str(),
                &requirement.label,
                "DUPLICATE_DOCUMENT",
                format!("{} dikirim lebih dari sekali.", requirement.label),
            ));
        }
        if !requirement.accepted.contains(&document.file_type) {
            problems.push(SubmissionProblem::document(
                document.code.as_str(),
                &requirement.label,
                "DOCUMENT_TYPE_NOT_ACCEPTED",
                format!("{}: jenis berkas ini tidak diterima.", requirement.label),
            ));
        }
    }
    for requirement in &service.documents {
        let required = requirement.required
            || requirement.required_for_age.as_ref().is_some_and(|age| {
                normalised
                    .get(&age.birth_date_field)
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .map(|born| years_between(born, today))
                    .is_some_and(|years| (age.min_years..=age.max_years).contains(&years))
            });
        if required && !documents.iter().any(|d| d.code == requirement.code) {
            let problem = DocumentProblem::required(&requirement.label);
            problems.push(SubmissionProblem::document(
                requirement.code.as_str(),
                &requirement.label,
                problem.code(),
                problem.to_string(),
            ));
        }
    }
    if problems.is_empty() { Ok(normalised) } else { Err(problems) }
}

fn years_between(born: NaiveDate, today: NaiveDate) -> u32 {
    let mut years = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

fn check_value(kind: &FieldKind, value: &str, today: NaiveDate) -> Result<String, (&'static str, String)> {
    match kind {
        FieldKind::Text { max_length } => crate::text::clean_line(value, *max_length as usize)
            .ok_or(("FIELD_TEXT_INVALID", format!("maksimal {max_length} karakter, tanpa karakter kontrol."))),
        FieldKind::Date => {
            let date = crate::calendar::parse_date(value)
                .map_err(|_| ("FIELD_DATE_INVALID", "format tanggal TTTT-BB-HH.".to_owned()))?;
            if date > today {
                return Err(("FIELD_DATE_IN_FUTURE", "tanggal tidak boleh di masa depan.".into()));
            }
            Ok(date.to_string())
        }
        FieldKind::Nik => {
            Nik::parse(value).map(|n| n.as_str().to_owned()).map_err(|e| ("FIELD_NIK_INVALID", e.to_string()))
        }
        FieldKind::Kk => {
            let digits: String = value.chars().filter(|c| !matches!(c, ' ' | '.' | '-')).collect();
            if digits.len() == 16 && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with("00") {
                Ok(digits)
            } else {
                Err(("FIELD_KK_INVALID", "nomor KK harus 16 angka.".into()))
            }
        }
        FieldKind::Number { min, max } => match value.parse::<i64>() {
            Ok(n) if (*min..=*max).contains(&n) => Ok(n.to_string()),
            _ => Err(("FIELD_NUMBER_INVALID", format!("harus bilangan bulat {min}–{max}."))),
        },
        FieldKind::Choice { options } => options
            .iter()
            .find(|o| o.as_str() == value)
            .cloned()
            .ok_or(("FIELD_CHOICE_INVALID", format!("pilih salah satu: {}.", options.join(", ")))),
        FieldKind::Phone => {
            PhoneNumber::parse(value).map(|p| p.as_str().to_owned()).map_err(|e| ("FIELD_PHONE_INVALID", e.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::catalogue::{Catalogue, ServiceCode};

    fn catalogue() -> Catalogue {
        Catalogue::from_toml(include_str!("../../../catalogue/services.toml")).unwrap_or_else(|e| panic!("{e}"))
    }

    fn service(code: &str) -> ServiceDefinition {
        let code = ServiceCode::parse(code).unwrap_or_else(|e| panic!("{e}"));
        catalogue().service(&code).cloned().unwrap_or_else(|| panic!("no {code}"))
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
    }

    fn doc(code: &str, file_type: FileType) -> SubmittedDocument {
        SubmittedDocument {
            code: DocumentCode::parse(code).unwrap_or_else(|e| panic!("{e}")),
            file: FileId(Uuid::new_v4()),
            file_type,
        }
    }

    fn birth_fields() -> BTreeMap<String, String> {
        [
            ("nama_anak", "Dayang Sumbi"),
            ("jenis_kelamin", "Perempuan"),
            ("tempat_lahir", "Putussibau"),
            ("tanggal_lahir", "2026-11-01"),
            ("anak_ke", "2"),
            ("nik_ibu", "6106015205900001"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn birth_docs() -> Vec<SubmittedDocument> {
        vec![
            doc("SURAT_KETERANGAN_LAHIR", FileType::Pdf),
            doc("KARTU_KELUARGA", FileType::Jpeg),
            doc("KTP_ORANG_TUA", FileType::Png),
        ]
    }

    #[test]
    fn a_complete_birth_certificate_request_passes() {
        let ok = validate_submission(&service("AKTA_KELAHIRAN"), &birth_fields(), &birth_docs(), today());
        assert_eq!(ok.map(|f| f["anak_ke"].clone()), Ok("2".into()));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut fields = birth_fields();
        fields.remove("nama_anak");
        fields.insert("jenis_kelamin".into(), "L".into());
        fields.insert("tanggal_lahir".into(), "2027-01-01".into());
        fields.insert("anak_ke".into(), "0".into());
        fields.insert("nik_ibu".into(), "123".into());
        fields.insert("hobi".into(), "x".into());
        let docs = vec![
            doc("KARTU_KELUARGA", FileType::Jpeg),
            doc("KARTU_KELUARGA", FileType::Jpeg),
            doc("IJAZAH", FileType::Pdf),
        ];
        let problems =
            validate_submission(&service("AKTA_KELAHIRAN"), &fields, &docs, today()).err().unwrap_or_default();
        let codes: Vec<&str> = problems.iter().map(|p| p.code).collect();
        for expected in [
            "UNKNOWN_FIELD",
            "FIELD_REQUIRED",
            "FIELD_CHOICE_INVALID",
            "FIELD_DATE_IN_FUTURE",
            "FIELD_NUMBER_INVALID",
            "FIELD_NIK_INVALID",
            "DUPLICATE_DOCUMENT",
            "UNKNOWN_DOCUMENT",
            "DOCUMENT_REQUIRED",
        ] {
            assert!(codes.contains(&expected), "{expected} missing from {codes:?}");
        }
    }

    #[test]
    fn accepted_file_types_are_enforced() {
        let mut fields = BTreeMap::new();
        fields.insert("nik_anak".to_owned(), "6106015205150001".to_owned());
        fields.insert("nama_anak".to_owned(), "Dayang".to_owned());
        fields.insert("tanggal_lahir_anak".to_owned(), "2015-05-12".to_owned());
        let docs = vec![
            doc("AKTA_KELAHIRAN_ANAK", FileType::Pdf),
            doc("KARTU_KELUARGA", FileType::Pdf),
            doc("KTP_ORANG_TUA", FileType::Pdf),
            doc("PAS_FOTO_ANAK", FileType::Pdf),
        ];
        let problems = validate_submission(&service("KIA"), &fields, &docs, today()).err().unwrap_or_default();
        assert_eq!(
            problems.iter().map(|p| (p.field.as_str(), p.code)).collect::<Vec<_>>(),
            [("documents.PAS_FOTO_ANAK", "DOCUMENT_TYPE_NOT_ACCEPTED")]
        );
    }

    #[test]
    fn kia_photo_is_required_between_five_and_seventeen_only() {
        let kia = service("KIA");
        let base = |born: &str| -> BTreeMap<String, String> {
            [("nik_anak", "6106015205150001"), ("nama_anak", "Dayang"), ("tanggal_lahir_anak", born)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        };
        let docs = vec![
            doc("AKTA_KELAHIRAN_ANAK", FileType::Pdf),
            doc("KARTU_KELUARGA", FileType::Pdf),
            doc("KTP_ORANG_TUA", FileType::Pdf),
        ];
        assert!(validate_submission(&kia, &base("2023-01-01"), &docs, today()).is_ok(), "aged 3: no photo needed");
        let problems = validate_submission(&kia, &base("2021-11-25"), &docs, today()).err().unwrap_or_default();
        assert_eq!(problems.first().map(|p| p.code), Some("DOCUMENT_REQUIRED"), "aged exactly 5");
        assert!(validate_submission(&kia, &base("2021-11-26"), &docs, today()).is_ok(), "one day short of 5");
    }
}
