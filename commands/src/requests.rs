//! Service requests: submission against the catalogue, the operators' work, completion.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::CommandMetadata;
use domain::account::{Account, AccountId, AccountStatus, Reason};
use domain::catalogue::{Catalogue, DocumentCode, DocumentRequirement, FileType, ServiceCode, SubmittedDocument};
use domain::document::{DocumentName, DocumentProblem, FileId};
use domain::request::{
    IdempotencyKey, PickupPlace, RESULT_FILES_LABEL, RequestCommand, RequestError, RequestId, RequestNumber,
    ServiceRequest,
};
use domain::staff::StaffId;
use domain::working_time::office_date;
use sqlx::PgPool;
use uuid::Uuid;

use crate::clock::SharedClock;
use crate::files::{Attachment, FileKind, FileOwner, FileStore, UploadedBy, stream_ref};
use crate::{Error, Executor, Loaded};

/// A document of a form: its catalogue code and the upload's id.
#[derive(Debug, Clone)]
pub struct DocumentUpload {
    pub code: String,
    /// Absent or blank: the document was not sent (`DOCUMENT_REQUIRED`).
    pub upload_id: Option<String>,
}

/// The submission form.
#[derive(Debug, Clone)]
pub struct SubmissionForm {
    pub service_code: String,
    pub fields: BTreeMap<String, String>,
    pub documents: Vec<DocumentUpload>,
    pub idempotency_key: String,
}

/// Commands on service requests.
#[derive(Clone)]
pub struct RequestService {
    executor: Arc<Executor<ServiceRequest>>,
    accounts: Arc<Executor<Account>>,
    staff: Arc<Executor<domain::staff::StaffAccount>>,
    pool: PgPool,
    files: FileStore,
    catalogue: Arc<Catalogue>,
    clock: SharedClock,
}

fn file_type(kind: FileKind) -> FileType {
    match kind {
        FileKind::Jpeg => FileType::Jpeg,
        FileKind::Png => FileType::Png,
        FileKind::Pdf => FileType::Pdf,
    }
}

impl RequestService {
    pub fn new(
        pool: PgPool,
        vault: &crate::vault::Vault,
        files: FileStore,
        catalogue: Arc<Catalogue>,
        clock: SharedClock,
    ) -> Self {
        Self {
            executor: Arc::new(Executor::new(pool.clone(), vault, ())),
            accounts: Arc::new(Executor::new(pool.clone(), vault, ())),
            staff: Arc::new(Executor::new(pool.clone(), vault, ())),
            pool,
            files,
            catalogue,
            clock,
        }
    }

    /// The catalogue in force.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// Submits a request for the signed-in resident. The same idempotency key returns the same
    /// request (its id) without a second submission.
    pub async fn submit(&self, form: SubmissionForm, metadata: &CommandMetadata) -> Result<ServiceRequest, Error> {
        let account = crate::acting_resident(metadata)?.0;
        let now = self.clock.now();
        let key = IdempotencyKey::parse(&form.idempotency_key)?;
        let request_id = RequestId::for_submission(AccountId(account), &key);
        let loaded = self.executor.load_for_command(&request_id.to_string()).await?;
        if let Some(submitted) = loaded.state().submitted() {
            if submitted.account_id.0 != account {
                return Err(RequestError::NotYours.into());
            }
            return Ok(loaded.into_state());
        }
        let resident = self.accounts.load(&account.to_string()).await?;
        if resident.status() != AccountStatus::Active {
            return Err(domain::account::AccountError::NotActive.into());
        }
        let service = ServiceCode::parse(&form.service_code)
            .ok()
            .and_then(|code| self.catalogue.service(&code).cloned())
            .ok_or(RequestError::UnknownService)?;
        let (uploader, owner) = (UploadedBy::Resident(AccountId(account)), FileOwner::Account(AccountId(account)));
        let stream = stream_ref::<ServiceRequest>(request_id);
        let documents = self.resolve(&form.documents, &service.documents, &uploader, owner, &stream).await?;
        let sequence: i64 =
            sqlx::query_scalar("SELECT nextval('service_request_number_seq')").fetch_one(&self.pool).await?;
        let today = office_date(now);
        let number = RequestNumber::new(chrono::Datelike::year(&today), sequence);
        let files: Vec<(FileId, DocumentName)> =
            documents.iter().map(|d| (d.file, DocumentName::request_document(&d.code, &number))).collect();
        let command = RequestCommand::Submit {
            request_id,
            account_id: AccountId(account),
            applicant_name: resident.full_name().map(|n| n.as_str().to_owned()).unwrap_or_default(),
            number,
            service: Box::new(service),
            catalogue_version: self.catalogue.version,
            fields: form.fields,
            documents,
            receipt_code: domain::request::ReceiptCode::from_random(rand::random()),
            today,
            at: now,
        };
        let attachment = Attachment { files: &files, uploaded_by: &uploader, owner, stream: &stream, now };
        Ok(self.executor.execute_attaching(loaded, command, metadata, Some(&attachment)).await?.aggregate)
    }

    /// Looks up uploads of the form: each must have been sent (`DOCUMENT_REQUIRED`), exist, be
    /// the caller's and unused (or attached to `owner` for this command's `stream` by an earlier
    /// sending of it). `requirements` give the documents' labels.
    async fn resolve(
        &self,
        documents: &[DocumentUpload],
        requirements: &[DocumentRequirement],
        uploader: &UploadedBy,
        owner: FileOwner,
        stream: &str,
    ) -> Result<Vec<SubmittedDocument>, Error> {
        let mut problems = Vec::new();
        let mut resolved = Vec::new();
        let ids: Vec<Uuid> =
            documents.iter().filter_map(|d| Uuid::parse_str(d.upload_id.as_deref()?.trim()).ok()).collect();
        let found = self.files.find_many(&ids).await?;
        for document in documents {
            let field = format!("documents.{}", document.code);
            let code = match DocumentCode::parse(&document.code) {
                Ok(code) => code,
                Err(e) => {
                    problems.push(crate::FieldError::new_dynamic(field, document.code.clone(), &e));
                    continue;
                }
            };
            let label = requirements.iter().find(|r| r.code == code).map_or(document.code.as_str(), |r| &r.label);
            let usable = domain::document::upload_id(document.upload_id.as_deref(), label).and_then(|id| {
                found
                    .iter()
                    .find(|f| f.file_id == id)
                    .filter(|f| f.attachable(uploader, Some((owner, stream)), self.clock.now()))
                    .and_then(|f| f.kind().map(|k| (f.file_id, k)))
                    .ok_or_else(|| DocumentProblem::not_usable(label))
            });
            match usable {
                Ok((id, kind)) => {
                    resolved.push(SubmittedDocument { code, file: FileId(id), file_type: file_type(kind) })
                }
                Err(problem) => problems.push(crate::FieldError::new_dynamic(field, label.to_owned(), &problem)),
            }
        }
        if problems.is_empty() { Ok(resolved) } else { Err(Error::InvalidFields(problems)) }
    }

    /// Loads a request.
    pub async fn load(&self, request: Uuid) -> Result<ServiceRequest, Error> {
        self.executor.load(&request.to_string()).await
    }

    async fn run(
        &self,
        request: Uuid,
        command: RequestCommand,
        metadata: &CommandMetadata,
    ) -> Result<ServiceRequest, Error> {
        let loaded = self.executor.load_for_command(&request.to_string()).await?;
        self.run_loaded(loaded, command, metadata, None).await
    }

    /// Decides `command` on a request as loaded, taking `attachment`'s uploads with its events.
    async fn run_loaded(
        &self,
        loaded: Loaded<ServiceRequest>,
        command: RequestCommand,
        metadata: &CommandMetadata,
        attachment: Option<&Attachment<'_>>,
    ) -> Result<ServiceRequest, Error> {
        let outcome = self.executor.execute_attaching(loaded, command, metadata, attachment).await?;
        if outcome.aggregate.submitted().is_none() {
            return Err(RequestError::NotFound.into());
        }
        Ok(outcome.aggregate)
    }

    /// An operator takes the request; the loser of a race gets `REQUEST_ALREADY_CLAIMED`.
    pub async fn claim(&self, request: Uuid, by: StaffId, metadata: &CommandMetadata) -> Result<ServiceRequest, Error> {
        self.run(request, RequestCommand::Claim { by, at: self.clock.now() }, metadata).await
    }

    /// The claiming operator puts the request back in the queue.
    pub async fn release(
        &self,
        request: Uuid,
        by: StaffId,
        metadata: &CommandMetadata,
    ) -> Result<ServiceRequest, Error> {
        self.run(request, RequestCommand::Release { by, at: self.clock.now() }, metadata).await
    }

    /// A supervisor gives the request to another operator (an active staff member who works
    /// the queue).
    pub async fn reassign(
        &self,
        request: Uuid,
        to: StaffId,
        metadata: &CommandMetadata,
    ) -> Result<ServiceRequest, Error> {
        if !self.works_queue(to).await? {
            return Err(domain::staff::StaffError::NotFound.into());
        }
        self.run(request, RequestCommand::Reassign { to, at: self.clock.now() }, metadata).await
    }

    /// Whether a staff member can hold a claim now: active, in a role that works the queue.
    async fn works_queue(&self, staff: StaffId) -> Result<bool, Error> {
        let account = self.staff.load(&staff.to_string()).await?;
        let role = account.role().is_some_and(|r| r.permits(domain::staff::Permission::WorkQueue));
        Ok(account.is_active() && role)
    }

    /// The claiming operator asks for documents again, each with a reason.
    pub async fn demand_reupload(
        &self,
        request: Uuid,
        by: StaffId,
        items: &[(String, String)],
        metadata: &CommandMetadata,
    ) -> Result<ServiceRequest, Error> {
        let mut parsed = Vec::with_capacity(items.len());
        for (code, reason) in items {
            let code = DocumentCode::parse(code).map_err(|_| RequestError::InvalidReuploadItems)?;
            let reason = Reason::parse(reason).map_err(|_| RequestError::InvalidReason)?;
            parsed.push((code, reason));
        }
        self.run(request, RequestCommand::DemandReupload { by, items: parsed, at: self.clock.now() }, metadata).await
    }

    /// The resident answers re-upload items with new uploads.
    pub async fn reupload(
        &self,
        request: Uuid,
        documents: &[DocumentUpload],
        metadata: &CommandMetadata,
    ) -> Result<ServiceRequest, Error> {
        let account = crate::acting_resident(metadata)?.0;
        let now = self.clock.now();
        let (uploader, owner) = (UploadedBy::Resident(AccountId(account)), FileOwner::Account(AccountId(account)));
        let stream = stream_ref::<ServiceRequest>(request);
        let loaded = self.executor.load_for_command(&request.to_string()).await?;
        let current = loaded.state();
        let submitted = current.submitted().ok_or(RequestError::NotFound)?;
        let resolved = self.resolve(documents, &submitted.requirements, &uploader, owner, &stream).await?;
        let files: Vec<(FileId, DocumentName)> =
            resolved.iter().map(|d| (d.file, DocumentName::request_document(&d.code, &submitted.number))).collect();
        // The answer goes back to the officer who asked, if they can still hold a claim (not
        // deactivated or moved to a role outside the queue); the domain checks it is them.
        let returns_to = match current.reupload_demanded_by() {
            Some(demander) if self.works_queue(demander).await? => Some(demander),
            _ => None,
        };
        let command =
            RequestCommand::Reupload { account: AccountId(account), documents: resolved, returns_to, at: now };
        let attachment = Attachment { files: &files, uploaded_by: &uploader, owner, stream: &stream, now };
        self.run_loaded(loaded, command, metadata, Some(&attachment)).await
    }

    /// The claiming operator attaches the signed PDF(s); the resident can download them.
    pub async fn complete(
        &self,
        request: Uuid,
        by: StaffId,
        upload_ids: &[String],
        metadata: &CommandMetadata,
    ) -> Result<ServiceRequest, Error> {
        let now = self.clock.now();
        let loaded = self.executor.load_for_command(&request.to_string()).await?;
        let submitted = loaded.state().submitted().ok_or(RequestError::NotFound)?;
        let owner = FileOwner::Account(submitted.account_id);
        let mut files = Vec::with_capacity(upload_ids.len());
        for raw in upload_ids {
            let id = domain::document::upload_id(Some(raw), RESULT_FILES_LABEL).map_err(RequestError::Document)?;
            let file = self.files.find(id).await?.ok_or(Error::UploadNotUsable(id))?;
            if file.kind() != Some(FileKind::Pdf) {
                return Err(Error::Upload(crate::files::UploadError::TypeNotAllowed));
            }
            files.push(FileId(id));
        }
        let stream = stream_ref::<ServiceRequest>(request);
        let named: Vec<(FileId, DocumentName)> = files
            .iter()
            .enumerate()
            .map(|(i, file)| (*file, DocumentName::result(&submitted.service_code, &submitted.number, i, files.len())))
            .collect();
        let command = RequestCommand::Complete { by, files, at: now };
        let uploader = UploadedBy::Staff(by);
        let attachment = Attachment { files: &named, uploaded_by: &uploader, owner, stream: &stream, now };
        self.run_loaded(loaded, command, metadata, Some(&attachment)).await
    }

    /// For KTP-el and KIA: where and from when the card can be collected.
    pub async fn mark_ready_for_pickup(
        &self,
        request: Uuid,
        by: StaffId,
        place: &str,
        available_from: DateTime<Utc>,
        metadata: &CommandMetadata,
    ) -> Result<ServiceRequest, Error> {
        let place = PickupPlace::parse(place)?;
        self.run(
            request,
            RequestCommand::MarkReadyForPickup { by, place, available_from, at: self.clock.now() },
            metadata,
        )
        .await
    }

    /// The card was handed over.
    pub async fn mark_collected(
        &self,
        request: Uuid,
        by: StaffId,
        metadata: &CommandMetadata,
    ) -> Result<ServiceRequest, Error> {
        self.run(request, RequestCommand::MarkCollected { by, at: self.clock.now() }, metadata).await
    }

    /// The claiming operator refuses the request with a reason.
    pub async fn reject(
        &self,
        request: Uuid,
        by: StaffId,
        reason: &str,
        metadata: &CommandMetadata,
    ) -> Result<ServiceRequest, Error> {
        let reason = Reason::parse(reason).map_err(|_| RequestError::InvalidReason)?;
        self.run(request, RequestCommand::Reject { by, reason, at: self.clock.now() }, metadata).await
    }

    /// The resident withdraws a request that is not finished.
    pub async fn cancel(&self, request: Uuid, metadata: &CommandMetadata) -> Result<ServiceRequest, Error> {
        let account = crate::acting_resident(metadata)?;
        self.run(request, RequestCommand::Cancel { account, at: self.clock.now() }, metadata).await
    }
}
