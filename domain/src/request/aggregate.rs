use std::collections::BTreeSet;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::{RequestCommand, RequestError, RequestEvent, ReuploadItem, SubmittedRequest};
use crate::account::AccountId;
use crate::catalogue::{DocumentCode, DocumentRequirement, Outcome, SubmittedDocument, validate_submission};
use crate::decide::Decide;
use crate::document::DocumentProblem;
use crate::staff::StaffId;

/// What the result files of a completion are called in the officers' words.
pub const RESULT_FILES_LABEL: &str = "Dokumen hasil (PDF)";

/// Where a request stands; the transitions between these are the `decide` arms below.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RequestStatus {
    /// Not submitted (no stream yet).
    #[default]
    New,
    /// In the queue, waiting for an operator.
    Submitted,
    /// Claimed by an operator.
    InReview,
    /// Waiting for the resident to upload documents again (SLA clock paused).
    AwaitingReupload,
    /// Finished; the document can be downloaded.
    Completed,
    /// Finished; the card can be collected.
    ReadyForPickup,
    /// The card was collected.
    Collected,
    Rejected,
    Cancelled,
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
}

/// A service request's state.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ServiceRequest {
    status: RequestStatus,
    submitted: Option<Box<SubmittedRequest>>,
    claimed_by: Option<StaffId>,
    pending_reupload: Vec<ReuploadItem>,
    answered: BTreeSet<DocumentCode>,
}

impl ServiceRequest {
    pub fn status(&self) -> RequestStatus {
        self.status
    }

    /// What was submitted.
    pub fn submitted(&self) -> Option<&SubmittedRequest> {
        self.submitted.as_deref()
    }

    /// The operator working on it.
    pub fn claimed_by(&self) -> Option<StaffId> {
        self.claimed_by
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
        if self.status == RequestStatus::New { Err(RequestError::NotFound) } else { Ok(()) }
    }

    fn require_open(&self) -> Result<(), RequestError> {
        self.require_submitted()?;
        if self.status.is_closed() { Err(RequestError::Closed) } else { Ok(()) }
    }

    /// The request must be in review by `by`.
    fn require_claimed_by(&self, by: StaffId) -> Result<(), RequestError> {
        self.require_open()?;
        if self.status == RequestStatus::InReview && self.claimed_by == Some(by) {
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
                }))])
            }
            C::Claim { by, at } => {
                self.require_open()?;
                match (self.status, self.claimed_by) {
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
                if !matches!(self.status, RequestStatus::Submitted | RequestStatus::InReview) {
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
            C::Reupload { account, documents, at } => {
                self.require_open()?;
                if self.owner() != Some(account) {
                    return Err(RequestError::NotYours);
                }
                if self.status != RequestStatus::AwaitingReupload || documents.is_empty() {
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
                Ok(vec![E::DocumentsReuploaded { documents, all_answered, at }])
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
                if self.status != RequestStatus::ReadyForPickup {
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
                if self.status.is_closed() {
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

impl Aggregate for ServiceRequest {
    const TYPE: &'static str = "ServiceRequest";
    type Command = RequestCommand;
    type Event = RequestEvent;
    type Error = RequestError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        crate::decide::record(self, command, sink).await
    }

    fn apply(&mut self, event: Self::Event) {
        use RequestEvent as E;
        match event {
            E::RequestSubmitted(submitted) => {
                self.status = RequestStatus::Submitted;
                self.submitted = Some(submitted);
            }
            E::RequestClaimed { by, .. } => {
                self.status = RequestStatus::InReview;
                self.claimed_by = Some(by);
            }
            E::RequestReleased { .. } => {
                self.status = RequestStatus::Submitted;
                self.claimed_by = None;
            }
            E::RequestReassigned { to, .. } => {
                self.status = RequestStatus::InReview;
                self.claimed_by = Some(to);
            }
            E::ReuploadDemanded { items, .. } => {
                self.status = RequestStatus::AwaitingReupload;
                self.claimed_by = None;
                self.pending_reupload = items;
                self.answered.clear();
            }
            E::DocumentsReuploaded { documents, all_answered, .. } => {
                self.answered.extend(documents.into_iter().map(|d| d.code));
                if all_answered {
                    self.status = RequestStatus::Submitted;
                    self.pending_reupload.clear();
                    self.answered.clear();
                }
            }
            E::RequestCompleted { .. } => self.status = RequestStatus::Completed,
            E::ReadyForPickup { .. } => self.status = RequestStatus::ReadyForPickup,
            E::DocumentCollected { .. } => self.status = RequestStatus::Collected,
            E::RequestRejected { .. } => self.status = RequestStatus::Rejected,
            E::RequestCancelled { .. } => self.status = RequestStatus::Cancelled,
        }
    }
}
