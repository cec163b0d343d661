//! Read model `staff_directory`: the staff list admins page through.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::sign_in::{SignIn, SignInEvent};
use domain::staff::{StaffAccount, StaffEvent};
use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{Error, EventByEvent, StoredEvent};

/// Projects staff events into `staff_directory`.
pub struct StaffDirectory;

impl EventByEvent for StaffDirectory {
    fn name(&self) -> &'static str {
        "staff_directory"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["staff_directory"]
    }

    fn apply_event<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        event: &'a StoredEvent,
    ) -> BoxFuture<'a, Result<(), Error>> {
        async move {
            if event.aggregate_type == SignIn::TYPE {
                if let SignInEvent::StaffSignedIn { staff_id, at } = event.decode()? {
                    signed_in(conn, staff_id.0, at).await?;
                }
                return Ok(());
            }
            if event.aggregate_type != StaffAccount::TYPE {
                return Ok(());
            }
            let id = event.aggregate_uuid()?;
            match event.decode::<StaffEvent>()? {
                StaffEvent::StaffAccountCreated { username, display_name, role, .. } => {
                    sqlx::query(
                        "INSERT INTO staff_directory (staff_id, username, display_name, role, active, created_at)
                         VALUES ($1, $2, $3, $4, true, $5)",
                    )
                    .bind(id)
                    .bind(username.as_str())
                    .bind(display_name.as_str())
                    .bind(role.as_str())
                    .bind(event.recorded_at)
                    .execute(conn)
                    .await?;
                }
                StaffEvent::StaffRoleChanged { to, .. } => {
                    sqlx::query("UPDATE staff_directory SET role = $2 WHERE staff_id = $1")
                        .bind(id)
                        .bind(to.as_str())
                        .execute(conn)
                        .await?;
                }
                StaffEvent::StaffAccountDeactivated => {
                    sqlx::query("UPDATE staff_directory SET active = false WHERE staff_id = $1")
                        .bind(id)
                        .execute(conn)
                        .await?;
                }
                StaffEvent::StaffSignedIn { at } => signed_in(conn, id, at).await?,
                StaffEvent::StaffPasswordChanged { .. } => {}
            }
            Ok(())
        }
        .boxed()
    }
}

async fn signed_in(conn: &mut PgConnection, staff_id: Uuid, at: DateTime<Utc>) -> Result<(), Error> {
    sqlx::query("UPDATE staff_directory SET last_signed_in = $2 WHERE staff_id = $1")
        .bind(staff_id)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// One staff member as listed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StaffRow {
    pub staff_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_signed_in: Option<DateTime<Utc>>,
}

/// A page of staff ordered by username, after the username `after` (keyset paging).
pub async fn page(pool: &PgPool, after: Option<&str>, limit: i64) -> Result<Vec<StaffRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT staff_id, username, display_name, role, active, created_at, last_signed_in
           FROM staff_directory
          WHERE $1::text IS NULL OR username > $1
          ORDER BY username
          LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Every active staff member, by display name (whom a supervisor may hand work to is decided
/// by the caller, from the role).
pub async fn active(pool: &PgPool) -> Result<Vec<StaffRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT staff_id, username, display_name, role, active, created_at, last_signed_in
           FROM staff_directory WHERE active ORDER BY display_name, username",
    )
    .fetch_all(pool)
    .await?)
}

/// How many staff accounts exist.
pub async fn count(pool: &PgPool) -> Result<i64, Error> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM staff_directory").fetch_one(pool).await?)
}

/// How a staff member is named to auditors.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StaffName {
    pub staff_id: Uuid,
    pub username: String,
    pub display_name: String,
}

/// The names of those of `ids` who are staff, in one query (the others — residents, the
/// system — are left out). No event renames a staff account, so today's name is also the name
/// they had when they acted; their role at the time is in each event's metadata.
pub async fn names(pool: &PgPool, ids: &[Uuid]) -> Result<HashMap<Uuid, StaffName>, Error> {
    let rows: Vec<StaffName> =
        sqlx::query_as("SELECT staff_id, username, display_name FROM staff_directory WHERE staff_id = ANY($1)")
            .bind(ids)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().map(|row| (row.staff_id, row)).collect())
}

/// One staff member by id.
pub async fn find(pool: &PgPool, staff_id: Uuid) -> Result<Option<StaffRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT staff_id, username, display_name, role, active, created_at, last_signed_in
           FROM staff_directory WHERE staff_id = $1",
    )
    .bind(staff_id)
    .fetch_optional(pool)
    .await?)
}
