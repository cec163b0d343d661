//! Service requests, by screen: the resident's status board and submission ([`board`]), the
//! officers' work queue and a request's page ([`queue`]), the steps of processing
//! ([`processing`]) and the live updates of both screens ([`subscriptions`]). What they share
//! (the status, who asks, the answer of a command) is here.

mod board;
mod processing;
mod queue;
mod subscriptions;

use async_graphql::{Context, Enum, MergedObject};
use domain::staff::StaffId;
use uuid::Uuid;

pub use subscriptions::{ChangeFeed, RequestChanged, Subscription};

use super::{request, staff_session};
use crate::error::ApiError;

/// The request queries of every screen.
#[derive(MergedObject, Default)]
pub struct RequestQuery(board::BoardQuery, queue::QueueQuery);

/// The request mutations of every screen.
#[derive(MergedObject, Default)]
pub struct RequestMutation(board::BoardMutation, processing::ProcessingMutation);

/// Where a request stands: `domain::request::RequestStatus` itself (the conversions both ways
/// are generated, so the GraphQL enum cannot drift from the domain's).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "domain::request::RequestStatus")]
pub enum RequestStatus {
    Submitted,
    InReview,
    AwaitingReupload,
    Completed,
    ReadyForPickup,
    Collected,
    Rejected,
    Cancelled,
}

impl RequestStatus {
    fn domain(self) -> domain::request::RequestStatus {
        self.into()
    }

    /// Still with the office or the resident (not finished, withdrawn or collected).
    fn is_open(self) -> bool {
        !self.domain().is_closed()
    }
}

fn resident(ctx: &Context<'_>) -> Result<Uuid, ApiError> {
    let session = request(ctx)?.session.as_ref().ok_or_else(ApiError::unauthenticated)?;
    if session.subject_kind == commands::SubjectKind::Resident {
        Ok(session.subject_id)
    } else {
        Err(ApiError::residents_only())
    }
}

pub(in crate::graphql) fn resident_metadata(ctx: &Context<'_>) -> Result<domain::CommandMetadata, ApiError> {
    Ok(request(ctx)?.metadata(domain::Actor::Resident(domain::account::AccountId(resident(ctx)?))))
}

fn me_as_staff(ctx: &Context<'_>) -> Result<StaffId, ApiError> {
    Ok(StaffId(staff_session(ctx)?.0.subject_id))
}

/// The status of a request a command just acted on (always submitted by then).
fn status_of(request: &domain::request::ServiceRequest) -> Result<RequestStatus, ApiError> {
    request.status().map(Into::into).ok_or_else(|| ApiError::internal("a request without a status after a command"))
}
