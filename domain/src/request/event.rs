use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{PickupPlace, RequestId, RequestNumber};
use crate::account::{AccountId, Reason};
use crate::catalogue::{DocumentCode, DocumentRequirement, Outcome, ServiceCode, SubmittedDocument};
use crate::document::FileId;
use crate::staff::StaffId;

/// What was submitted, as recorded (with the catalogue version it was validated against).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmittedRequest {
    pub request_id: RequestId,
    pub account_id: AccountId,
    pub applicant_name: String,
    pub number: RequestNumber,
    pub service_code: ServiceCode,
    pub service_name: String,
    pub outcome: Outcome,
    pub catalogue_version: u32,
    pub fields: BTreeMap<String, String>,
    pub documents: Vec<SubmittedDocument>,
    /// The service's document requirements at submission (labels, accepted types), so later
    /// steps and the status board never consult a newer catalogue.
    pub requirements: Vec<DocumentRequirement>,
    pub submitted_at: DateTime<Utc>,
    /// The code on the receipt; absent on requests submitted before receipts existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_code: Option<super::ReceiptCode>,
}

/// One document the resident must upload again, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReuploadItem {
    pub code: DocumentCode,
    pub reason: Reason,
}

/// Facts about a service request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RequestEvent {
    RequestSubmitted(Box<SubmittedRequest>),
    RequestClaimed {
        by: StaffId,
        at: DateTime<Utc>,
    },
    RequestReleased {
        by: StaffId,
        at: DateTime<Utc>,
    },
    RequestReassigned {
        from: Option<StaffId>,
        to: StaffId,
        at: DateTime<Utc>,
    },
    ReuploadDemanded {
        by: StaffId,
        items: Vec<ReuploadItem>,
        at: DateTime<Utc>,
    },
    /// `all_answered`: every demanded item has a new file; the request is back in the queue,
    /// claimed by `returned_to` — the officer who demanded the documents, when they could still
    /// take it back — or unclaimed (`None`; also every event recorded before this field).
    DocumentsReuploaded {
        documents: Vec<SubmittedDocument>,
        all_answered: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        returned_to: Option<StaffId>,
        at: DateTime<Utc>,
    },
    RequestCompleted {
        by: StaffId,
        files: Vec<FileId>,
        at: DateTime<Utc>,
    },
    ReadyForPickup {
        by: StaffId,
        place: PickupPlace,
        available_from: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    DocumentCollected {
        by: StaffId,
        at: DateTime<Utc>,
    },
    RequestRejected {
        by: StaffId,
        reason: Reason,
        at: DateTime<Utc>,
    },
    RequestCancelled {
        at: DateTime<Utc>,
    },
}

impl RequestEvent {
    /// The stored event type name.
    pub fn event_type_of(&self) -> &'static str {
        match self {
            Self::RequestSubmitted(_) => "RequestSubmitted",
            Self::RequestClaimed { .. } => "RequestClaimed",
            Self::RequestReleased { .. } => "RequestReleased",
            Self::RequestReassigned { .. } => "RequestReassigned",
            Self::ReuploadDemanded { .. } => "ReuploadDemanded",
            Self::DocumentsReuploaded { .. } => "DocumentsReuploaded",
            Self::RequestCompleted { .. } => "RequestCompleted",
            Self::ReadyForPickup { .. } => "ReadyForPickup",
            Self::DocumentCollected { .. } => "DocumentCollected",
            Self::RequestRejected { .. } => "RequestRejected",
            Self::RequestCancelled { .. } => "RequestCancelled",
        }
    }
}

impl DomainEvent for RequestEvent {
    fn event_type(&self) -> String {
        self.event_type_of().to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
