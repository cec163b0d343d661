//! Form validation against every service of the shipped catalogue, plus one service with every
//! kind of field. The input is split at 0xFF bytes into values, given to each service's fields
//! in order (up to 8 values beyond the fields become unknown field names), with no documents, the
//! documents required, and documents of the wrong type, on two office dates.
//!
//! Never panics; refusals name the field or document, with a code and a message; what is
//! accepted is normalised as each kind promises, and validates again to itself.
#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::NaiveDate;
use domain::catalogue::{Catalogue, FieldKind, FileType, ServiceDefinition, SubmittedDocument, validate_submission};
use domain::document::FileId;
use domain::nik::Nik;
use domain::phone::PhoneNumber;
use libfuzzer_sys::fuzz_target;

const EVERY_KIND: &str = r#"
version = 1
[[services]]
code = "SEMUA_JENIS"
name = "Semua jenis isian"
description = "Layanan buatan untuk fuzzing."
outcome = "download"
[[services.fields]]
name = "teks"
label = "Teks"
type = "text"
max_length = 5
required = true
[[services.fields]]
name = "tanggal"
label = "Tanggal"
type = "date"
required = true
[[services.fields]]
name = "nik"
label = "NIK"
type = "nik"
[[services.fields]]
name = "kk"
label = "KK"
type = "kk"
[[services.fields]]
name = "angka"
label = "Angka"
type = "number"
min = -9223372036854775808
max = 9223372036854775807
[[services.fields]]
name = "nol"
label = "Nol"
type = "number"
min = 0
max = 0
[[services.fields]]
name = "pilihan"
label = "Pilihan"
type = "choice"
options = ["A", "B b", "\u00c7"]
[[services.fields]]
name = "telepon"
label = "Telepon"
type = "phone"
required = true
[[services.documents]]
code = "FOTO"
label = "Foto"
required_for_age = { birth_date_field = "tanggal", min_years = 5, max_years = 17 }
accepted = ["jpeg", "png"]
[[services.documents]]
code = "SURAT"
label = "Surat"
required = true
accepted = ["pdf"]
"#;

static SERVICES: LazyLock<Vec<ServiceDefinition>> = LazyLock::new(|| {
    let shipped = Catalogue::from_toml(include_str!("../../catalogue/services.toml")).map(|c| c.services);
    let synthetic = Catalogue::from_toml(EVERY_KIND).map(|c| c.services);
    match (shipped, synthetic) {
        (Ok(mut services), Ok(extra)) => {
            services.extend(extra);
            services
        }
        (Err(e), _) | (_, Err(e)) => panic!("catalogue: {e}"),
    }
});

static TODAYS: LazyLock<Vec<NaiveDate>> = LazyLock::new(|| {
    [(2026, 11, 25), (1970, 1, 1)].into_iter().filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)).collect()
});

/// The documents of a service: none, each with an accepted type, or each with a refused type
/// plus a duplicate.
fn document_sets(service: &ServiceDefinition) -> [Vec<SubmittedDocument>; 3] {
    let file = FileId(uuid::Uuid::nil());
    let all = [FileType::Jpeg, FileType::Png, FileType::Pdf];
    let accepted = service
        .documents
        .iter()
        .filter_map(|d| Some(SubmittedDocument { code: d.code.clone(), file, file_type: *d.accepted.first()? }))
        .collect();
    let mut refused: Vec<SubmittedDocument> = service
        .documents
        .iter()
        .filter_map(|d| {
            let file_type = all.into_iter().find(|t| !d.accepted.contains(t))?;
            Some(SubmittedDocument { code: d.code.clone(), file, file_type })
        })
        .collect();
    if let Some(first) = refused.first().cloned() {
        refused.push(first);
    }
    [Vec::new(), accepted, refused]
}

/// What a normalised value of each kind must look like.
fn check_normalised(kind: &FieldKind, value: &str, today: NaiveDate) {
    match kind {
        FieldKind::Text { max_length } => {
            assert!((1..=*max_length as usize).contains(&value.chars().count()), "{value:?}");
            assert_eq!(value, value.trim());
            assert!(!value.chars().any(char::is_control), "{value:?}");
        }
        FieldKind::Date => {
            let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").unwrap_or_else(|e| panic!("{value:?}: {e}"));
            assert!(date <= today, "{value} after {today}");
            assert_eq!(date.to_string(), value);
        }
        FieldKind::Nik => assert_eq!(Nik::parse(value).map(|n| n.as_str().to_owned()).as_deref(), Ok(value)),
        FieldKind::Kk => assert!(value.len() == 16 && value.bytes().all(|b| b.is_ascii_digit()), "{value:?}"),
        FieldKind::Number { min, max } => {
            let n: i64 = value.parse().unwrap_or_else(|e| panic!("{value:?}: {e}"));
            assert!((*min..=*max).contains(&n) && n.to_string() == value, "{value:?}");
        }
        FieldKind::Choice { options } => assert!(options.iter().any(|o| o == value), "{value:?}"),
        FieldKind::Phone => {
            assert_eq!(PhoneNumber::parse(value).map(|p| p.as_str().to_owned()).as_deref(), Ok(value));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let values: Vec<String> = data.split(|b| *b == 0xFF).map(|v| String::from_utf8_lossy(v).into_owned()).collect();
    for service in SERVICES.iter() {
        let mut fields = BTreeMap::new();
        for (i, definition) in service.fields.iter().enumerate() {
            fields.insert(definition.name.clone(), values[i % values.len()].clone());
        }
        // A few unknown names are enough; thousands only slow the fuzzer down.
        for extra in values.iter().skip(service.fields.len()).take(8) {
            fields.insert(extra.clone(), extra.clone());
        }
        for documents in document_sets(service) {
            for today in TODAYS.iter().copied() {
                match validate_submission(service, &fields, &documents, today) {
                    Ok(normalised) => {
                        for (name, value) in &normalised {
                            let definition = service.fields.iter().find(|f| &f.name == name);
                            let definition = definition.unwrap_or_else(|| panic!("{name} is not a field"));
                            check_normalised(&definition.kind, value, today);
                        }
                        for required in service.fields.iter().filter(|f| f.required) {
                            assert!(normalised.contains_key(&required.name), "{} missing", required.name);
                        }
                        let again = validate_submission(service, &normalised, &documents, today);
                        assert_eq!(again.as_ref(), Ok(&normalised), "normalised values validate to themselves");
                    }
                    Err(problems) => {
                        assert!(!problems.is_empty());
                        for problem in &problems {
                            let named = match problem.field.split_once('.') {
                                Some(("fields", name)) => {
                                    fields.contains_key(name) || service.fields.iter().any(|f| f.name == name)
                                }
                                Some(("documents", code)) => {
                                    documents.iter().any(|d| d.code.as_str() == code)
                                        || service.documents.iter().any(|d| d.code.as_str() == code)
                                }
                                _ => false,
                            };
                            assert!(named, "{problem:?}");
                            assert!(
                                !problem.code.is_empty()
                                    && problem.code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
                            );
                            assert!(!problem.message.trim().is_empty(), "{problem:?}");
                        }
                    }
                }
            }
        }
    }
});
