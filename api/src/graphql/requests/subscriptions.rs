//! Live updates: a resident's board entries and the officers' queue, pushed as the projector
//! changes them.

use async_graphql::{Context, ID, SimpleObject, Subscription};
use futures::{Stream, StreamExt};
use uuid::Uuid;

use super::board::StatusBoardEntry;
use super::resident;
use crate::error::ApiError;
use crate::graphql::paging::PageSize;
use crate::graphql::resident::RequireResident;
use crate::graphql::{Require, shared};
use domain::staff::Permission;

/// A change to a request (for subscriptions).
#[derive(SimpleObject, Clone)]
pub struct WorkQueueChange {
    /// Null when the calendar moved and due times may have changed everywhere.
    request_id: Option<ID>,
}

/// Change notifications from the projector (through PostgreSQL NOTIFY, so every API
/// instance hears them, whichever runs the projector).
#[derive(Debug, Clone, Copy)]
pub struct RequestChanged {
    pub request_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
}

/// The broadcast every subscription listens to.
pub type ChangeFeed = tokio::sync::broadcast::Sender<RequestChanged>;

#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// The signed-in resident's status board entries, pushed whenever one changes; after a
    /// change of the office calendar (an outage declared or ended), every open one.
    #[graphql(guard = "RequireResident")]
    async fn my_request_updates(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = StatusBoardEntry>, ApiError> {
        let account = resident(ctx)?;
        let pool = shared(ctx)?.pool.clone();
        let feed = ctx.data::<ChangeFeed>().map_err(|e| ApiError::internal(e.message))?.subscribe();
        Ok(tokio_stream_from(feed)
            .then(move |change| {
                let pool = pool.clone();
                async move { changed_entries(&pool, account, change).await.unwrap_or_default() }
            })
            .flat_map(futures::stream::iter))
    }

    /// Any change to the work queue (a request, or the calendar that moves due times).
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn work_queue_changed(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = WorkQueueChange>, ApiError> {
        let feed = ctx.data::<ChangeFeed>().map_err(|e| ApiError::internal(e.message))?.subscribe();
        Ok(tokio_stream_from(feed)
            .map(|change| WorkQueueChange { request_id: change.request_id.map(|id| ID(id.to_string())) }))
    }
}

/// What one change means for a resident's board: the changed request if it is theirs; after a
/// calendar change, their open requests (whose outage notice may have come or gone).
async fn changed_entries(
    pool: &sqlx::PgPool,
    account: Uuid,
    change: RequestChanged,
) -> Result<Vec<StatusBoardEntry>, projections::Error> {
    let rows = match change.request_id {
        Some(id) if change.account_id == Some(account) => {
            projections::service_requests::board_row(pool, id).await?.into_iter().collect()
        }
        Some(_) => return Ok(Vec::new()),
        None => projections::service_requests::board_page(pool, account, None, PageSize::STANDARD.max as i64).await?,
    };
    let outage = projections::office_calendar::current_outage(pool).await?;
    let entries = super::board::board_entries(pool, rows, outage.as_ref()).await?.into_iter();
    Ok(match change.request_id {
        Some(_) => entries.collect(),
        None => entries.filter(|e| e.status.is_open()).collect(),
    })
}

/// A stream of broadcast messages; a lagging subscriber skips what it missed.
fn tokio_stream_from(receiver: tokio::sync::broadcast::Receiver<RequestChanged>) -> impl Stream<Item = RequestChanged> {
    use tokio::sync::broadcast::error::RecvError;
    futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(change) => return Some((change, receiver)),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
