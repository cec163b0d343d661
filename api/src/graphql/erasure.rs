//! Erasure of a resident's personal data (UU PDP): an officer files it, another supervisor
//! approves it, and the service carries it out (`commands::erasure`).

use async_graphql::{Context, ID, Object, SimpleObject};
use domain::staff::{Permission, StaffId};

use super::{Require, parse_uuid, shared, staff_metadata, staff_session};
use crate::error::ApiError;

/// What an approved erasure removed.
#[derive(SimpleObject)]
pub struct ErasureOutcome {
    account_id: ID,
    /// Data keys destroyed: every personal field they sealed now reads "[dihapus]".
    keys_destroyed: u64,
    /// Files whose bytes were deleted (their SHA-256 and size stay on record).
    files_erased: u64,
    /// The resident's sessions that were ended.
    sessions_ended: u64,
}

#[derive(Default)]
pub struct ErasureMutation;

#[Object]
impl ErasureMutation {
    /// Files the erasure of a resident's personal data, with the reason (at the resident's
    /// request, or when its purpose has ended). Nothing is erased until another supervisor
    /// approves.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn request_erasure(&self, ctx: &Context<'_>, account_id: ID, reason: String) -> Result<ID, ApiError> {
        let by = StaffId(staff_session(ctx)?.0.subject_id);
        shared(ctx)?.commands.erasure.request(parse_uuid(&account_id)?, by, &reason, &staff_metadata(ctx)?).await?;
        Ok(account_id)
    }

    /// Approves a filed erasure (never one's own) and carries it out at once: the resident's
    /// data keys are destroyed, their files deleted, their sessions ended. Asking again for an
    /// erased account finishes an erasure that was interrupted.
    #[graphql(guard = "Require(Permission::ApproveErasure)")]
    async fn approve_erasure(&self, ctx: &Context<'_>, account_id: ID) -> Result<ErasureOutcome, ApiError> {
        let by = StaffId(staff_session(ctx)?.0.subject_id);
        let erased = shared(ctx)?.commands.erasure.approve(parse_uuid(&account_id)?, by, &staff_metadata(ctx)?).await?;
        Ok(ErasureOutcome {
            account_id,
            keys_destroyed: erased.keys,
            files_erased: erased.files,
            sessions_ended: erased.sessions,
        })
    }
}
