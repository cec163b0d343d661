//! Notifications in the API: a resident's channel choices, what the board says of a request's
//! messages, and the supervisors' dead letters.

use async_graphql::connection::{Connection, Edge, query};
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use domain::account::NotificationPreferences;
use domain::notification::{Channel, DeliveryState as State};
use domain::staff::Permission;
use projections::notifications::outbox::{self, DeadLetter, Delivery};

use super::resident::{RequireResident, Resident, resident_view};
use super::{Require, shared, staff_session};
use crate::error::ApiError;

const DEFAULT_PAGE: usize = 20;
const MAX_PAGE: usize = 100;

/// A way the office reaches residents.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "domain::notification::Channel")]
pub enum NotificationChannel {
    #[graphql(name = "WHATSAPP")]
    WhatsApp,
    Email,
}

/// Where a message stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "domain::notification::DeliveryState")]
pub enum DeliveryState {
    /// Waiting to be sent, or being retried.
    Pending,
    Sent,
    /// Given up on (refused, or failed too often); a supervisor may send it again.
    Dead,
    /// Not sent: the resident turned the channel off, or it was no longer worth sending.
    Skipped,
}

/// The resident's choice of channels.
#[derive(SimpleObject, Clone, Copy)]
pub struct NotificationSettings {
    /// Messages to the registered WhatsApp number.
    whatsapp: bool,
    /// Messages to the e-mail address, when one was given.
    email: bool,
}

impl From<NotificationPreferences> for NotificationSettings {
    fn from(p: NotificationPreferences) -> Self {
        Self { whatsapp: p.whatsapp, email: p.email }
    }
}

/// What the board says of a request's last message on one channel.
#[derive(SimpleObject, Clone)]
pub struct NotificationDelivery {
    channel: NotificationChannel,
    state: DeliveryState,
    /// When it was sent (or given up on).
    at: Option<DateTime<Utc>>,
    /// For the resident: "Pemberitahuan terkirim via WhatsApp 02-12-2026 10.32 WIB".
    label: String,
}

impl From<&Delivery> for NotificationDelivery {
    /// The board's view of one outbox row.
    fn from(delivery: &Delivery) -> Self {
        let via = match delivery.channel {
            Channel::WhatsApp => "WhatsApp",
            Channel::Email => "e-mail",
        };
        let label = match (delivery.state, delivery.finished_at) {
            (State::Sent, Some(at)) => {
                format!("Pemberitahuan terkirim via {via} {}", domain::working_time::format_wib(at))
            }
            (State::Sent, None) => format!("Pemberitahuan terkirim via {via}"),
            (State::Pending, _) => format!("Pemberitahuan via {via} sedang dikirim"),
            (State::Dead, _) => format!("Pemberitahuan via {via} gagal terkirim"),
            (State::Skipped, _) => format!("Pemberitahuan via {via} tidak dikirim"),
        };
        Self { channel: delivery.channel.into(), state: delivery.state.into(), at: delivery.finished_at, label }
    }
}

/// A message that could not be delivered.
#[derive(SimpleObject)]
pub struct NotificationDeadLetter {
    id: ID,
    channel: NotificationChannel,
    /// The message's template key, e.g. `request_completed`.
    template: String,
    /// The number or address, masked.
    recipient: String,
    request_id: Option<ID>,
    attempts: i32,
    /// REFUSED (the gateway refused it for good), ATTEMPTS (failed too often) or UNREADABLE.
    reason: Option<String>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    dead_at: Option<DateTime<Utc>>,
}

impl From<DeadLetter> for NotificationDeadLetter {
    fn from(row: DeadLetter) -> Self {
        Self {
            id: ID(row.id.to_string()),
            recipient: mask_recipient(&row.recipient),
            channel: row.channel.into(),
            template: row.template,
            request_id: row.request_id.map(|id| ID(id.to_string())),
            attempts: row.attempts,
            reason: row.reason,
            last_error: row.last_error,
            created_at: row.created_at,
            dead_at: row.finished_at,
        }
    }
}

/// `6281••••••890`, `s***@example.id`: enough for a supervisor to recognise, not to copy. The
/// number is masked as the log channel masks it; the e-mail keeps its domain, which tells a
/// supervisor which mail server refused it.
pub fn mask_recipient(recipient: &str) -> String {
    match recipient.split_once('@') {
        Some((user, domain)) => format!("{}***@{domain}", user.chars().next().unwrap_or('*')),
        None => crate::notifications::log::mask_phone(recipient),
    }
}

fn bad_cursor() -> ApiError {
    ApiError::new("INVALID_CURSOR", "Cursor halaman tidak valid.")
}

fn decode_cursor(raw: &str) -> Result<(DateTime<Utc>, i64), ApiError> {
    let (at, id) = raw.split_once('|').ok_or_else(bad_cursor)?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| bad_cursor())?.with_timezone(&Utc);
    Ok((at, id.parse().map_err(|_| bad_cursor())?))
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// Messages that could not be delivered, newest first (supervisors).
    #[graphql(guard = "Require(Permission::ManageNotifications)")]
    async fn notification_dead_letters(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, NotificationDeadLetter>> {
        let shared = shared(ctx)?;
        let (pool, vault) = (shared.pool.clone(), &shared.commands.vault);
        query(after, None, first, None, |after: Option<String>, _: Option<String>, first, _| async move {
            let limit = first.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE);
            let cursor = after.as_deref().map(decode_cursor).transpose()?;
            let mut rows =
                outbox::dead_letters(&pool, vault, cursor, limit as i64 + 1).await.map_err(ApiError::from)?;
            let has_next = rows.len() > limit;
            rows.truncate(limit);
            let mut connection = Connection::new(after.is_some(), has_next);
            for row in rows {
                let cursor = format!("{}|{}", row.finished_at.unwrap_or(row.created_at).to_rfc3339(), row.id);
                connection.edges.push(Edge::new(cursor, NotificationDeadLetter::from(row)));
            }
            Ok::<_, async_graphql::Error>(connection)
        })
        .await
    }
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// The signed-in resident's choice of channels. The password-reset code still goes to the
    /// registered WhatsApp number: it answers the resident's own request.
    #[graphql(guard = "RequireResident")]
    async fn set_notification_preferences(
        &self,
        ctx: &Context<'_>,
        whatsapp: bool,
        email: bool,
    ) -> Result<Resident, ApiError> {
        let account = super::resident::resident_id(ctx)?;
        let metadata = super::requests::resident_metadata(ctx)?;
        let preferences = NotificationPreferences { whatsapp, email };
        shared(ctx)?.commands.accounts.set_notification_preferences(preferences, &metadata).await?;
        resident_view(ctx, account).await
    }

    /// Sends a dead letter again, with a fresh round of attempts (supervisors). Recorded in
    /// the audit log. False when it is no longer a dead letter.
    #[graphql(guard = "Require(Permission::ManageNotifications)")]
    async fn retry_notification(&self, ctx: &Context<'_>, id: ID) -> Result<bool, ApiError> {
        let id: i64 = id.parse().map_err(|_| ApiError::invalid_id())?;
        let (session, role) = staff_session(ctx)?;
        let shared = shared(ctx)?;
        shared
            .commands
            .audit
            .record(session.subject_id, role.as_str(), "NOTIFICATION_RETRIED", &format!("notification:{id}"))
            .await?;
        Ok(outbox::retry(&shared.pool, id, shared.commands.clock.now()).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_masked_for_supervisors() {
        assert_eq!(mask_recipient("6281234567890"), "6281••••••890");
        assert_eq!(mask_recipient("siti@example.id"), "s***@example.id");
        assert_eq!(mask_recipient("123"), "•••");
    }
}
