//! The GraphQL schema: public queries, staff sign-in and administration, the office calendar.
//! Resolvers translate arguments, check roles with [`Require`], delegate to `commands` or to
//! a read model, and translate errors; they decide nothing themselves.

mod admission;
mod audit;
mod calendar;
mod catalogue;
mod erasure;
pub mod limits;
mod notifications;
mod paging;
mod public;
mod receipts;
pub mod requests;
mod resident;
mod staff;
mod statistics;
mod verification;

use std::sync::Arc;

use async_graphql::{Context, Guard, MergedObject, Schema};
use commands::{Commands, Session, SubjectKind};
use domain::catalogue::Catalogue;
use domain::staff::{Permission, Role, StaffId};
use domain::{Actor, CommandMetadata};
use sqlx::PgPool;
use uuid::Uuid;

use crate::contact::WhatsappContact;
use crate::error::ApiError;

/// Deepest query nesting accepted: enough for GraphiQL's introspection query (15 levels with
/// graphql-js's default type depth of 9), which must keep working.
pub const MAX_DEPTH: usize = 15;
/// Highest query complexity accepted (fields, with list multipliers).
pub const MAX_COMPLEXITY: usize = 1_000;
/// Most directives on one field or fragment (`@skip`, `@include`).
pub const MAX_DIRECTIVES: usize = 8;

/// All root queries.
#[derive(MergedObject, Default)]
pub struct Query(
    public::PublicQuery,
    staff::StaffQuery,
    resident::ResidentQuery,
    verification::VerificationQuery,
    requests::RequestQuery,
    audit::AuditQuery,
    statistics::StatisticsQuery,
    receipts::ReceiptQuery,
    notifications::NotificationQuery,
);

/// All root mutations.
#[derive(MergedObject, Default)]
pub struct Mutation(
    staff::StaffMutation,
    calendar::CalendarMutation,
    resident::ResidentMutation,
    verification::VerificationMutation,
    requests::RequestMutation,
    notifications::NotificationMutation,
    erasure::ErasureMutation,
);

/// The executable schema.
pub type AppSchema = Schema<Query, Mutation, requests::Subscription>;

/// What resolvers share for the life of the process.
pub struct Shared {
    pub commands: Commands,
    pub pool: PgPool,
    pub catalogue: Arc<Catalogue>,
    pub contacts: Vec<WhatsappContact>,
    /// The prefilled WhatsApp messages officers send residents.
    pub messages: crate::whatsapp::Messages,
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    pub cookie_secure: bool,
}

/// What resolvers know about the request in hand.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub session: Option<Session>,
    pub correlation_id: Uuid,
    pub client_address: Option<String>,
}

impl RequestContext {
    /// Who is asking: the session's resident or staff member, else nobody.
    pub fn actor(&self) -> Actor {
        self.session.as_ref().and_then(Session::actor).unwrap_or(Actor::Anonymous)
    }

    /// Metadata for a command `actor` issues in this request.
    pub fn metadata(&self, actor: Actor) -> CommandMetadata {
        CommandMetadata { actor, correlation_id: self.correlation_id, client_address: self.client_address.clone() }
    }
}

/// Builds the schema with its limits; without `introspection`, `__schema` and `__type` are
/// refused (production: the schema is published in `docs/schema.graphql`, and a map of every
/// field is not something to hand an attacker). At most `concurrent_mutations` signed-in
/// mutations execute at once (`admission`).
pub fn schema(
    shared: Shared,
    feed: requests::ChangeFeed,
    introspection: bool,
    concurrent_mutations: usize,
) -> AppSchema {
    let catalogue = catalogue::CatalogueView::new(&shared.catalogue);
    let builder = Schema::build(Query::default(), Mutation::default(), requests::Subscription)
        .data(shared)
        .data(catalogue)
        .data(feed)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_directives(MAX_DIRECTIVES)
        .extension(limits::QuerySizeLimit)
        .extension(admission::MutationAdmission::new(concurrent_mutations))
        .extension(crate::error::ErrorCodes);
    if introspection { builder.finish() } else { builder.disable_introspection().finish() }
}

/// The schema in SDL, as kept in `docs/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), requests::Subscription).finish().sdl()
}

fn shared<'a>(ctx: &Context<'a>) -> Result<&'a Shared, ApiError> {
    ctx.data::<Shared>().map_err(|e| ApiError::internal(e.message))
}

fn request<'a>(ctx: &Context<'a>) -> Result<&'a RequestContext, ApiError> {
    ctx.data::<RequestContext>().map_err(|e| ApiError::internal(e.message))
}

/// The signed-in staff member's session and role.
fn staff_session<'a>(ctx: &Context<'a>) -> Result<(&'a Session, Role), ApiError> {
    let session = request(ctx)?.session.as_ref().ok_or_else(ApiError::unauthenticated)?;
    if session.subject_kind != SubjectKind::Staff {
        return Err(ApiError::staff_only());
    }
    let role = session.role.parse::<Role>().map_err(|()| ApiError::forbidden())?;
    Ok((session, role))
}

/// Metadata for a command issued by the signed-in staff member.
fn staff_metadata(ctx: &Context<'_>) -> Result<CommandMetadata, ApiError> {
    let (session, role) = staff_session(ctx)?;
    Ok(request(ctx)?.metadata(Actor::Staff { id: StaffId(session.subject_id), role }))
}

/// Metadata for a command issued before anyone is known (sign-in fills in the actor).
fn anonymous_metadata(ctx: &Context<'_>) -> Result<CommandMetadata, ApiError> {
    Ok(request(ctx)?.metadata(Actor::Anonymous))
}

/// Guard: the caller is staff whose role grants the permission.
pub struct Require(pub Permission);

impl Guard for Require {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let (_, role) = staff_session(ctx)?;
        if role.permits(self.0) { Ok(()) } else { Err(ApiError::lacks(self.0).into()) }
    }
}

/// Guard: the caller is any signed-in staff member.
pub struct RequireStaff;

impl Guard for RequireStaff {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        staff_session(ctx)?;
        Ok(())
    }
}

/// Parses a GraphQL `ID` holding a UUID.
fn parse_uuid(id: &async_graphql::ID) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id.as_str()).map_err(|_| ApiError::invalid_id())
}
