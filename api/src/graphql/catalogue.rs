//! GraphQL view of the service catalogue (built once at start-up: it changes only with a
//! new catalogue version).

use async_graphql::{Enum, SimpleObject};
use domain::catalogue::{Catalogue, FieldKind, FileType, Outcome};

/// The catalogue as served.
pub struct CatalogueView {
    pub version: u32,
    pub services: Vec<Service>,
}

impl CatalogueView {
    pub fn new(catalogue: &Catalogue) -> Self {
        Self { version: catalogue.version, services: catalogue.services.iter().map(Service::from).collect() }
    }
}

/// A service residents can request.
#[derive(SimpleObject, Clone)]
pub struct Service {
    /// Stable code, e.g. `AKTA_KELAHIRAN`.
    code: String,
    /// Indonesian name.
    name: String,
    description: String,
    outcome: ServiceOutcome,
    fields: Vec<ServiceField>,
    documents: Vec<RequiredDocument>,
}

impl Service {
    pub fn service_code(&self) -> &str {
        &self.code
    }
}

/// How a finished request reaches the resident.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::catalogue::Outcome")]
pub enum ServiceOutcome {
    /// A signed PDF to download (it may also be printed at the kecamatan or the Dinas).
    Download,
    /// A card collected in person at the office (KTP-el, KIA).
    Pickup,
}

/// Type of a form field.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum FieldType {
    Text,
    Date,
    Nik,
    Kk,
    Number,
    Choice,
    Phone,
}

/// Accepted file type (checked by content, not by file name).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::catalogue::FileType")]
pub enum DocumentFileType {
    Jpeg,
    Png,
    Pdf,
}

/// A form field of a service.
#[derive(SimpleObject, Clone)]
pub struct ServiceField {
    name: String,
    label: String,
    #[graphql(name = "type")]
    field_type: FieldType,
    required: bool,
    help: Option<String>,
    max_length: Option<u32>,
    min: Option<i64>,
    max: Option<i64>,
    options: Vec<String>,
}

/// An age range during which a document is required.
#[derive(SimpleObject, Clone)]
pub struct AgeCondition {
    birth_date_field: String,
    min_years: u32,
    max_years: u32,
}

/// A document to upload for a service.
#[derive(SimpleObject, Clone)]
pub struct RequiredDocument {
    code: String,
    label: String,
    required: bool,
    required_for_age: Option<AgeCondition>,
    accepted_types: Vec<DocumentFileType>,
}

impl From<&domain::catalogue::ServiceDefinition> for Service {
    fn from(s: &domain::catalogue::ServiceDefinition) -> Self {
        Self {
            code: s.code.as_str().to_owned(),
            name: s.name.clone(),
            description: s.description.clone(),
            outcome: match s.outcome {
                Outcome::Download => ServiceOutcome::Download,
                Outcome::Pickup => ServiceOutcome::Pickup,
            },
            fields: s.fields.iter().map(field).collect(),
            documents: s
                .documents
                .iter()
                .map(|d| RequiredDocument {
                    code: d.code.as_str().to_owned(),
                    label: d.label.clone(),
                    required: d.required,
                    required_for_age: d.required_for_age.as_ref().map(|a| AgeCondition {
                        birth_date_field: a.birth_date_field.clone(),
                        min_years: a.min_years,
                        max_years: a.max_years,
                    }),
                    accepted_types: d.accepted.iter().copied().map(file_type).collect(),
                })
                .collect(),
        }
    }
}

fn file_type(t: FileType) -> DocumentFileType {
    t.into()
}

fn field(f: &domain::catalogue::FieldDefinition) -> ServiceField {
    let (field_type, max_length, min, max, options) = match &f.kind {
        FieldKind::Text { max_length } => (FieldType::Text, Some(*max_length), None, None, vec![]),
        FieldKind::Date => (FieldType::Date, None, None, None, vec![]),
        FieldKind::Nik => (FieldType::Nik, None, None, None, vec![]),
        FieldKind::Kk => (FieldType::Kk, None, None, None, vec![]),
        FieldKind::Number { min, max } => (FieldType::Number, None, Some(*min), Some(*max), vec![]),
        FieldKind::Choice { options } => (FieldType::Choice, None, None, None, options.clone()),
        FieldKind::Phone => (FieldType::Phone, None, None, None, vec![]),
    };
    ServiceField {
        name: f.name.clone(),
        label: f.label.clone(),
        field_type,
        required: f.required,
        help: f.help.clone(),
        max_length,
        min,
        max,
        options,
    }
}
