//! The steps of processing a request: claim, release, reassign, re-upload demand, completion,
//! pick-up and rejection.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use domain::staff::{Permission, StaffId};

use super::{RequestStatus, me_as_staff, status_of};
use crate::error::ApiError;
use crate::graphql::{Require, parse_uuid, shared, staff_metadata};

/// A document to upload again and why.
#[derive(InputObject)]
pub struct ReuploadItemInput {
    document_code: String,
    reason: String,
}

/// What officers do with a request.
#[derive(Default)]
pub struct ProcessingMutation;

#[Object]
impl ProcessingMutation {
    /// Takes a request to work on it; only one operator at a time (`REQUEST_ALREADY_CLAIMED`).
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn claim_request(&self, ctx: &Context<'_>, request_id: ID) -> Result<RequestStatus, ApiError> {
        let request = shared(ctx)?
            .commands
            .requests
            .claim(parse_uuid(&request_id)?, me_as_staff(ctx)?, &staff_metadata(ctx)?)
            .await?;
        status_of(&request)
    }

    /// Puts a claimed request back in the queue.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn release_request(&self, ctx: &Context<'_>, request_id: ID) -> Result<RequestStatus, ApiError> {
        let request = shared(ctx)?
            .commands
            .requests
            .release(parse_uuid(&request_id)?, me_as_staff(ctx)?, &staff_metadata(ctx)?)
            .await?;
        status_of(&request)
    }

    /// Gives a request to another operator (supervisors).
    #[graphql(guard = "Require(Permission::SuperviseQueue)")]
    async fn reassign_request(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        staff_id: ID,
    ) -> Result<RequestStatus, ApiError> {
        let to = StaffId(parse_uuid(&staff_id)?);
        let request =
            shared(ctx)?.commands.requests.reassign(parse_uuid(&request_id)?, to, &staff_metadata(ctx)?).await?;
        status_of(&request)
    }

    /// Asks the resident to upload documents again, each with a reason; the service clock pauses.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn demand_reupload(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        items: Vec<ReuploadItemInput>,
    ) -> Result<RequestStatus, ApiError> {
        let items: Vec<(String, String)> = items.into_iter().map(|i| (i.document_code, i.reason)).collect();
        let request = shared(ctx)?
            .commands
            .requests
            .demand_reupload(parse_uuid(&request_id)?, me_as_staff(ctx)?, &items, &staff_metadata(ctx)?)
            .await?;
        status_of(&request)
    }

    /// Completes a download service with the signed PDF(s) (uploaded with `POST /uploads`); none
    /// is answered `DOCUMENT_REQUIRED` on `uploadIds`.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn complete_request(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        #[graphql(default)] upload_ids: Vec<ID>,
    ) -> Result<RequestStatus, ApiError> {
        let ids: Vec<String> = upload_ids.into_iter().map(|i| i.0).collect();
        let request = shared(ctx)?
            .commands
            .requests
            .complete(parse_uuid(&request_id)?, me_as_staff(ctx)?, &ids, &staff_metadata(ctx)?)
            .await?;
        status_of(&request)
    }

    /// For KTP-el and KIA: the card can be collected at `place` from `availableFrom`.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn mark_ready_for_pickup(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        place: String,
        available_from: DateTime<Utc>,
    ) -> Result<RequestStatus, ApiError> {
        let request = shared(ctx)?
            .commands
            .requests
            .mark_ready_for_pickup(
                parse_uuid(&request_id)?,
                me_as_staff(ctx)?,
                &place,
                available_from,
                &staff_metadata(ctx)?,
            )
            .await?;
        status_of(&request)
    }

    /// The resident collected the card.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn mark_collected(&self, ctx: &Context<'_>, request_id: ID) -> Result<RequestStatus, ApiError> {
        let request = shared(ctx)?
            .commands
            .requests
            .mark_collected(parse_uuid(&request_id)?, me_as_staff(ctx)?, &staff_metadata(ctx)?)
            .await?;
        status_of(&request)
    }

    /// Refuses a claimed request with a reason the resident sees.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn reject_request(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        reason: String,
    ) -> Result<RequestStatus, ApiError> {
        let request = shared(ctx)?
            .commands
            .requests
            .reject(parse_uuid(&request_id)?, me_as_staff(ctx)?, &reason, &staff_metadata(ctx)?)
            .await?;
        status_of(&request)
    }
}
