//! Staff sign-in, sign-out, and the administration of staff accounts.

use async_graphql::connection::{Connection, Edge, EmptyFields, query};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use domain::staff::{Permission, StaffId};

use super::paging::{Page, PageSize};
use super::{Require, RequireStaff, anonymous_metadata, parse_uuid, request, shared, staff_metadata, staff_session};
use crate::error::ApiError;
use crate::http::cookies;

/// A staff role.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::staff::Role")]
pub enum StaffRole {
    /// Verifies accounts and works the request queue.
    Operator,
    /// An operator who also reassigns work and maintains the office calendar.
    Supervisor,
    /// Reads the history and the document access log; changes nothing.
    Auditor,
    /// Manages staff accounts and roles.
    Admin,
}

/// A staff member's current profile, from the event store.
#[derive(SimpleObject)]
pub struct StaffProfile {
    id: ID,
    username: String,
    display_name: String,
    role: StaffRole,
    active: bool,
}

impl From<commands::StaffProfile> for StaffProfile {
    fn from(p: commands::StaffProfile) -> Self {
        Self {
            id: ID(p.id.to_string()),
            username: p.username,
            display_name: p.display_name,
            role: p.role.into(),
            active: p.active,
        }
    }
}

/// A staff member as the admin list shows them.
#[derive(SimpleObject)]
pub struct StaffMember {
    id: ID,
    username: String,
    display_name: String,
    role: Option<StaffRole>,
    active: bool,
    created_at: DateTime<Utc>,
    last_signed_in: Option<DateTime<Utc>>,
}

impl From<projections::staff_directory::StaffRow> for StaffMember {
    fn from(row: projections::staff_directory::StaffRow) -> Self {
        Self {
            id: ID(row.staff_id.to_string()),
            username: row.username,
            display_name: row.display_name,
            role: row.role.parse::<domain::staff::Role>().ok().map(Into::into),
            active: row.active,
            created_at: row.created_at,
            last_signed_in: row.last_signed_in,
        }
    }
}

/// A successful staff sign-in. The session itself travels in an HttpOnly cookie.
#[derive(SimpleObject)]
pub struct StaffLogin {
    staff: StaffProfile,
    expires_at: DateTime<Utc>,
}

/// A new staff account.
#[derive(InputObject)]
pub struct CreateStaffInput {
    /// 3–32 characters: lower-case letters, digits, `.`, `_`, `-`; starts with a letter.
    username: String,
    display_name: String,
    role: StaffRole,
    /// Initial password (at least 8 characters, not a common one); the person should change it.
    password: String,
}

/// Totals of a staff list.
#[derive(SimpleObject)]
pub struct StaffTotals {
    total_count: i64,
}

#[derive(Default)]
pub struct StaffQuery;

#[Object]
impl StaffQuery {
    /// The signed-in staff member (fresh from the event store, not a read model).
    #[graphql(guard = "RequireStaff")]
    async fn current_staff(&self, ctx: &Context<'_>) -> Result<StaffProfile, ApiError> {
        let (session, _) = staff_session(ctx)?;
        let profile = shared(ctx)?.commands.staff.profile(session.subject_id).await?;
        profile.map(Into::into).ok_or_else(ApiError::unauthenticated)
    }

    /// All staff accounts, by username.
    #[graphql(guard = "Require(Permission::ManageStaff)")]
    async fn staff_members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, StaffMember, StaffTotals, EmptyFields>> {
        let pool = &shared(ctx)?.pool;
        query(after, None, first, None, |after: Option<String>, _before: Option<String>, first, _last| async move {
            let Page { rows, has_next } = PageSize::STANDARD
                .fetch(first, |limit| projections::staff_directory::page(pool, after.as_deref(), limit))
                .await?;
            let total_count = projections::staff_directory::count(pool).await.map_err(ApiError::from)?;
            let mut connection =
                Connection::with_additional_fields(after.is_some(), has_next, StaffTotals { total_count });
            connection
                .edges
                .extend(rows.into_iter().map(|row| Edge::new(row.username.clone(), StaffMember::from(row))));
            Ok::<_, async_graphql::Error>(connection)
        })
        .await
    }

    /// The active staff a supervisor may hand a request to (`reassignRequest`): those whose role
    /// works the queue, by name.
    #[graphql(guard = "Require(Permission::SuperviseQueue)")]
    async fn assignable_staff(&self, ctx: &Context<'_>) -> Result<Vec<StaffMember>, ApiError> {
        let rows = projections::staff_directory::active(&shared(ctx)?.pool).await?;
        Ok(rows
            .into_iter()
            .filter(|row| {
                row.role.parse::<domain::staff::Role>().is_ok_and(|r| r.permits(domain::staff::Permission::WorkQueue))
            })
            .map(Into::into)
            .collect())
    }

    /// One staff account, or null.
    #[graphql(guard = "Require(Permission::ManageStaff)")]
    async fn staff_member(&self, ctx: &Context<'_>, id: ID) -> Result<Option<StaffMember>, ApiError> {
        let id = parse_uuid(&id)?;
        Ok(projections::staff_directory::find(&shared(ctx)?.pool, id).await?.map(Into::into))
    }
}

#[derive(Default)]
pub struct StaffMutation;

#[Object]
impl StaffMutation {
    /// Signs a staff member in and sets the session cookie. Unknown user and wrong password
    /// get the same answer.
    async fn staff_login(&self, ctx: &Context<'_>, username: String, password: String) -> Result<StaffLogin, ApiError> {
        let shared = shared(ctx)?;
        let signed_in = shared.commands.staff.sign_in(&username, &password, anonymous_metadata(ctx)?).await?;
        // A session the browser already had is replaced, not kept beside the new one.
        if let Some(old) = &request(ctx)?.session {
            shared.commands.sessions.revoke(old).await?;
        }
        let max_age = shared.commands.sessions.policy().absolute_lifetime;
        ctx.append_http_header("set-cookie", cookies::session(&signed_in.token, max_age, shared.cookie_secure));
        Ok(StaffLogin { staff: signed_in.profile.into(), expires_at: signed_in.session.expires_at })
    }

    /// Ends the current session (staff or resident) and clears the cookie.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool, ApiError> {
        let shared = shared(ctx)?;
        if let Some(session) = &request(ctx)?.session {
            shared.commands.sessions.revoke(session).await?;
        }
        ctx.append_http_header("set-cookie", cookies::cleared(shared.cookie_secure));
        Ok(true)
    }

    /// Creates a staff account.
    #[graphql(guard = "Require(Permission::ManageStaff)")]
    async fn create_staff(&self, ctx: &Context<'_>, input: CreateStaffInput) -> Result<StaffProfile, ApiError> {
        let metadata = staff_metadata(ctx)?;
        let profile = shared(ctx)?
            .commands
            .staff
            .create(&input.username, &input.display_name, input.role.into(), &input.password, &metadata)
            .await?;
        Ok(profile.into())
    }

    /// Changes another staff member's role; their open sessions end.
    #[graphql(guard = "Require(Permission::ManageStaff)")]
    async fn change_staff_role(
        &self,
        ctx: &Context<'_>,
        staff_id: ID,
        role: StaffRole,
    ) -> Result<StaffProfile, ApiError> {
        let target = parse_uuid(&staff_id)?;
        let metadata = staff_metadata(ctx)?;
        let by = StaffId(metadata.actor.id());
        Ok(shared(ctx)?.commands.staff.change_role(target, role.into(), by, &metadata).await?.into())
    }

    /// Deactivates another staff member; their open sessions end.
    #[graphql(guard = "Require(Permission::ManageStaff)")]
    async fn deactivate_staff(&self, ctx: &Context<'_>, staff_id: ID) -> Result<StaffProfile, ApiError> {
        let target = parse_uuid(&staff_id)?;
        let metadata = staff_metadata(ctx)?;
        let by = StaffId(metadata.actor.id());
        Ok(shared(ctx)?.commands.staff.deactivate(target, by, &metadata).await?.into())
    }

    /// Changes one's own password; every other session of the account ends.
    #[graphql(guard = "RequireStaff")]
    async fn change_my_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<bool, ApiError> {
        let (session, _) = staff_session(ctx)?;
        let metadata = staff_metadata(ctx)?;
        shared(ctx)?.commands.staff.change_own_password(session, &current_password, &new_password, &metadata).await?;
        Ok(true)
    }
}
