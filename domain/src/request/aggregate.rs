use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{RequestCommand, RequestError, RequestEvent, ReuploadItem, SubmittedRequest};
use crate::account::AccountId;
use crate::catalogue::{DocumentCode, DocumentRequirement, Outcome, SubmittedDocument, validate_submission};
use crate::decide::Decide;
use crate::document::DocumentProblem;
use crate::staff::StaffId;

/// What the result files of a completion are called in the officers' words.
pub const RESULT_FILES_LABEL: &str = "Dokumen hasil (PDF)";

crate::spelled::spelled_enum! {
    /// Where a request stands; the transitions between these are the `decide` arms below.
    ///
    /// Spelled once: serde (events and the read models' `status` column), `as_str` and
    /// `FromStr` agree, `ALL` is in the lifecycle's order (the queue's counts list them so),
    /// and an unknown spelling is an error, never a silent default. A request that was not
    /// submitted has no status at all ([`ServiceRequest::status`] is `None`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    pub enum RequestStatus: UnknownStatus("request status") {
        /// In the queue, waiting for an operator.
        Submitted = "SUBMITTED",
        /// Claimed by an operator.
        InReview = "IN_REVIEW",
        /// Waiting for the resident to upload documents again (SLA clock paused).
        AwaitingReupload = "AWAITING_REUPLOAD",
        /// Finished; the document can be downloaded.
        Completed = "COMPLETED",
        /// Finished; the card can be collected.
        ReadyForPickup = "READY_FOR_PICKUP",
        /// The card was collected.
        Collected = "COLLECTED",
        Rejected = "REJECTED",
        Cancelled = "CANCELLED",
    }
}

impl RequestStatus {
    /// Whether the request has left the work queue, one way or another.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Completed | Self::Collected | Self::Rejected | Self::Cancelled | Self::ReadyForPickup)
    }

    /// Whether the office has given its answer, the moment its promise is measured at: the
    /// document issued (downloadable, or the card ready for pick-up) or the request refused.
    /// Collection comes later and is the resident's step (the answer was given at "ready for
    /// pick-up"); a cancellation is the resident's withdrawal, not an answer of the office.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Completed | Self::ReadyForPickup | Self::Rejected)
    }

    /// What officers read in the console (the queue, its filter, a request's page).
    pub const fn staff_label(self) -> &'static str {
        match self {
            Self::Submitted => "Menunggu diproses",
            Self::InReview => "Sedang diproses",
            Self::AwaitingReupload => "Menunggu upload ulang",
            Self::Completed => "Selesai",
            Self::ReadyForPickup => "Siap diambil",
            Self::Collected => "Sudah diambil",
            Self::Rejected => "Ditolak",
            Self::Cancelled => "Dibatalkan",
        }
    }

    /// What the resident's status board (and the receipt check) says, in the manual's words:
    /// the officers' label except where the resident has something to do or to fetch.
    pub const fn resident_label(self) -> &'static str {
        match self {
            Self::AwaitingReupload => "Perlu upload ulang dokumen",
            Self::Completed => "Selesai – dokumen dapat diunduh",
            other => other.staff_label(),
        }
    }
}

/// A service request's state.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ServiceRequest {
    /// `None` until submitted (no stream yet).
    status: Option<RequestStatus>,
    submitted: Option<Box<SubmittedRequest>>,
    claimed_by: Option<StaffId>,
    /// Who demanded the pending re-upload: the answered request returns to their claim.
    #[serde(default)]
    reupload_demanded_by: Option<StaffId>,
    pending_reupload: Vec<ReuploadItem>,
    answered: BTreeSet<DocumentCode>,
}

impl ServiceRequest {
    /// Where it stands; `None` for a request that was never submitted.
    pub fn status(&self) -> Option<RequestStatus> {
        self.status
    }

    /// The status of a submitted request (callers have checked [`Self::require_submitted`]).
    fn current(&self) -> Result<RequestStatus, RequestError> {
        self.status.ok_or(RequestError::NotFound)
    }

    /// What was submitted.
    pub fn submitted(&self) -> Option<&SubmittedRequest> {
        self.submitted.as_deref()
    }

    /// The operator working on it.
    pub fn claimed_by(&self) -> Option<StaffId> {
        self.claimed_by
    }

    /// While awaiting re-upload: the officer who demanded it, to whom the answer returns.
    pub fn reupload_demanded_by(&self) -> Option<StaffId> {
        self.reupload_demanded_by
    }

    fn requirements(&self) -> &[DocumentRequirement] {
        self.submitted.as_ref().map_or(&[], |s| s.requirements.as_slice())
    }

    fn owner(&self) -> Option<AccountId> {
        self.submitted.as_ref().map(|s| s.account_id)
    }

    fn outcome(&self) -> Option<Outcome> {
        self.submitted.as_ref().map(|s| s.outcome)
    }

    fn require_submitted(&self) -> Result<(), RequestError> {
        self.current().map(drop)
    }

    fn require_open(&self) -> Result<(), RequestError> {
        self.require_submitted()?;
        if self.current()?.is_closed() { Err(RequestError::Closed) } else { Ok(()) }
    }

    /// The request must be in review by `by`.
    fn require_claimed_by(&self, by: StaffId) -> Result<(), RequestError> {
        self.require_open()?;
        if self.status == Some(RequestStatus::InReview) && self.claimed_by == Some(by) {
            Ok(())
        } else {
            Err(RequestError::NotClaimedByYou)
        }
    }
}

impl Decide for ServiceRequest {
    fn decide(&self, command: RequestCommand) -> Result<Vec<RequestEvent>, RequestError> {
        use RequestCommand as C;
        use RequestEvent as E;
        match command {
            C::Submit {
                request_id,
                account_id,
                applicant_name,
                number,
                service,
                catalogue_version,
                fields,
                documents,
                receipt_code,
                today,
                at,
            } => {
                if let Some(existing) = &self.submitted {
                    // The same submission retried: same request, nothing new.
                    return if existing.account_id == account_id { Ok(vec![]) } else { Err(RequestError::NotYours) };
                }
                let fields = validate_submission(&service, &fields, &documents, today)
                    .map_err(RequestError::InvalidSubmission)?;
                Ok(vec![E::RequestSubmitted(Box::new(SubmittedRequest {
                    request_id,
                    account_id,
                    applicant_name,
                    number,
                    service_code: service.code.clone(),
                    service_name: service.name.clone(),
                    outcome: service.outcome,
                    catalogue_version,
                    fields,
                    documents,
                    requirements: service.documents.clone(),
                    submitted_at: at,
                    receipt_code: Some(receipt_code),
                }))])
            }
            C::Claim { by, at } => {
                self.require_open()?;
                match (self.current()?, self.claimed_by) {
                    (RequestStatus::Submitted, _) => Ok(vec![E::RequestClaimed { by, at }]),
                    (RequestStatus::InReview, Some(holder)) if holder != by => Err(RequestError::AlreadyClaimed),
                    (RequestStatus::InReview, _) => Ok(vec![]),
                    _ => Err(RequestError::NotClaimable),
                }
            }
            C::Release { by, at } => {
                self.require_claimed_by(by)?;
                Ok(vec![E::RequestReleased { by, at }])
            }
            C::Reassign { to, at } => {
                self.require_open()?;
                if !matches!(self.status, Some(RequestStatus::Submitted | RequestStatus::InReview)) {
                    return Err(RequestError::NotClaimable);
                }
                if self.claimed_by == Some(to) {
                    return Ok(vec![]);
                }
                Ok(vec![E::RequestReassigned { from: self.claimed_by, to, at }])
            }
            C::DemandReupload { by, items, at } => {
                self.require_claimed_by(by)?;
                let codes: BTreeSet<&DocumentCode> = items.iter().map(|(c, _)| c).collect();
                let known = items.iter().all(|(code, _)| self.requirements().iter().any(|r| &r.code == code));
                if items.is_empty() || codes.len() != items.len() || !known {
                    return Err(RequestError::InvalidReuploadItems);
                }
                let items = items.into_iter().map(|(code, reason)| ReuploadItem { code, reason }).collect();
                Ok(vec![E::ReuploadDemanded { by, items, at }])
            }
            C::Reupload { account, documents, returns_to, at } => {
                self.require_open()?;
                if self.owner() != Some(account) {
                    return Err(RequestError::NotYours);
                }
                if self.status != Some(RequestStatus::AwaitingReupload) || documents.is_empty() {
                    return Err(RequestError::ReuploadNotRequested);
                }
                let mut newly = BTreeSet::new();
                for document in &documents {
                    let asked = self.pending_reupload.iter().any(|i| i.code == document.code);
                    if !asked || self.answered.contains(&document.code) || !newly.insert(document.code.clone()) {
                        return Err(RequestError::ReuploadNotRequested);
                    }
                    self.check_type(document)?;
                }
                let all_answered =
                    self.pending_reupload.iter().all(|i| self.answered.contains(&i.code) || newly.contains(&i.code));
                // Back to the demander's claim, if the service says they can take it and it is
                // the demander it names; otherwise back to the queue, unclaimed.
                let returned_to = returns_to.filter(|staff| all_answered && self.reupload_demanded_by == Some(*staff));
                Ok(vec![E::DocumentsReuploaded { documents, all_answered, returned_to, at }])
            }
            C::Complete { by, files, at } => {
                self.require_claimed_by(by)?;
                if self.outcome() != Some(Outcome::Download) {
                    return Err(RequestError::NotADownloadService);
                }
                if files.is_empty() {
                    return Err(RequestError::Document(DocumentProblem::required(RESULT_FILES_LABEL)));
                }
                Ok(vec![E::RequestCompleted { by, files, at }])
            }
            C::MarkReadyForPickup { by, place, available_from, at } => {
                self.require_claimed_by(by)?;
                if self.outcome() != Some(Outcome::Pickup) {
                    return Err(RequestError::NotAPickupService);
                }
                Ok(vec![E::ReadyForPickup { by, place, available_from, at }])
            }
            C::MarkCollected { by, at } => {
                self.require_submitted()?;
                if self.status != Some(RequestStatus::ReadyForPickup) {
                    return Err(RequestError::NotReadyForPickup);
                }
                Ok(vec![E::DocumentCollected { by, at }])
            }
            C::Reject { by, reason, at } => {
                self.require_claimed_by(by)?;
                Ok(vec![E::RequestRejected { by, reason, at }])
            }
            C::Cancel { account, at } => {
                self.require_submitted()?;
                if self.owner() != Some(account) {
                    return Err(RequestError::NotYours);
                }
                if self.current()?.is_closed() {
                    return Err(RequestError::NotCancellable);
                }
                Ok(vec![E::RequestCancelled { at }])
            }
        }
    }
}

impl ServiceRequest {
    fn check_type(&self, document: &SubmittedDocument) -> Result<(), RequestError> {
        let accepted = self
            .requirements()
            .iter()
            .find(|r| r.code == document.code)
            .is_some_and(|r| r.accepted.contains(&document.file_type));
        if accepted {
            Ok(())
        } else {
            Err(RequestError::InvalidSubmission(vec![crate::catalogue::SubmissionProblem {
                field: format!("documents.{}", document.code),
                label: document.code.as_str().to_owned(),
                code: "DOCUMENT_TYPE_NOT_ACCEPTED",
                message: "Jenis berkas ini tidak diterima untuk dokumen tersebut.".into(),
            }]))
        }
    }
}

crate::decide::decided_aggregate!(ServiceRequest, "ServiceRequest", RequestCommand, RequestEvent, RequestError);

impl ServiceRequest {
    /// Folds one event into the state (cqrs-es's `Aggregate::apply`).
    fn fold(&mut self, event: RequestEvent) {
        use RequestEvent as E;
        match event {
            E::RequestSubmitted(submitted) => {
                self.status = Some(RequestStatus::Submitted);
                self.submitted = Some(submitted);
            }
            E::RequestClaimed { by, .. } => {
                self.status = Some(RequestStatus::InReview);
                self.claimed_by = Some(by);
            }
            E::RequestReleased { .. } => {
                self.status = Some(RequestStatus::Submitted);
                self.claimed_by = None;
            }
            E::RequestReassigned { to, .. } => {
                self.status = Some(RequestStatus::InReview);
                self.claimed_by = Some(to);
            }
            E::ReuploadDemanded { by, items, .. } => {
                self.status = Some(RequestStatus::AwaitingReupload);
                self.claimed_by = None;
                self.reupload_demanded_by = Some(by);
                self.pending_reupload = items;
                self.answered.clear();
            }
            E::DocumentsReuploaded { documents, all_answered, returned_to, .. } => {
                self.answered.extend(documents.into_iter().map(|d| d.code));
                if all_answered {
                    self.status =
                        Some(if returned_to.is_some() { RequestStatus::InReview } else { RequestStatus::Submitted });
                    self.claimed_by = returned_to;
                    self.reupload_demanded_by = None;
                    self.pending_reupload.clear();
                    self.answered.clear();
                }
            }
            E::RequestCompleted { .. } => self.status = Some(RequestStatus::Completed),
            E::ReadyForPickup { .. } => self.status = Some(RequestStatus::ReadyForPickup),
            E::DocumentCollected { .. } => self.status = Some(RequestStatus::Collected),
            E::RequestRejected { .. } => self.status = Some(RequestStatus::Rejected),
            E::RequestCancelled { .. } => self.status = Some(RequestStatus::Cancelled),
        }
    }
}
