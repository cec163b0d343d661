use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{PickupPlace, RequestId, RequestNumber};
use crate::account::{AccountId, Reason};
use crate::catalogue::{DocumentCode, ServiceDefinition, SubmittedDocument};
use crate::document::FileId;
use crate::staff::StaffId;

/// What can be asked of a service request. Times are passed in.
#[derive(Debug, Clone)]
pub enum RequestCommand {
    Submit {
        request_id: RequestId,
        account_id: AccountId,
        applicant_name: String,
        number: RequestNumber,
        service: Box<ServiceDefinition>,
        catalogue_version: u32,
        fields: BTreeMap<String, String>,
        documents: Vec<SubmittedDocument>,
        receipt_code: super::ReceiptCode,
        today: NaiveDate,
        at: DateTime<Utc>,
    },
    Claim {
        by: StaffId,
        at: DateTime<Utc>,
    },
    Release {
        by: StaffId,
        at: DateTime<Utc>,
    },
    Reassign {
        to: StaffId,
        at: DateTime<Utc>,
    },
    DemandReupload {
        by: StaffId,
        items: Vec<(DocumentCode, Reason)>,
        at: DateTime<Utc>,
    },
    /// `returns_to`: the officer who demanded the documents, if they may still work the queue
    /// (active, a queue role) — the service looks that up, the domain only accepts the officer
    /// it remembers as the demander.
    Reupload {
        account: AccountId,
        documents: Vec<SubmittedDocument>,
        returns_to: Option<StaffId>,
        at: DateTime<Utc>,
    },
    Complete {
        by: StaffId,
        files: Vec<FileId>,
        at: DateTime<Utc>,
    },
    MarkReadyForPickup {
        by: StaffId,
        place: PickupPlace,
        available_from: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    MarkCollected {
        by: StaffId,
        at: DateTime<Utc>,
    },
    Reject {
        by: StaffId,
        reason: Reason,
        at: DateTime<Utc>,
    },
    Cancel {
        account: AccountId,
        at: DateTime<Utc>,
    },
}
