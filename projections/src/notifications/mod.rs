//! The notification outbox (`notification_outbox`): one row per message and channel, derived
//! from events by this projection, so a crash can neither lose nor invent a message, and
//! delivered by the worker of any `serve` instance (`outbox.rs`).
//!
//! Not rebuildable: its rows are the record of what was sent, and a rebuild would make every
//! message of the past pending again. `replay` leaves it alone, so it never sends twice.

mod message;
pub mod outbox;

use chrono::{DateTime, Utc};
use commands::vault::{Field, Personal, contact};
use cqrs_es::Aggregate;
use domain::account::{Account, AccountEvent};
use domain::notification::DeliveryState;
use domain::request::{RequestEvent, ServiceRequest};
use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::PgConnection;
use uuid::Uuid;

use self::message::{Message, Recipient, RequestFacts};
use crate::{Context, Error, Mode, Projection, StoredEvent};

/// Channel notified (on commit) when new messages are waiting, to wake the delivery workers.
pub const CHANNEL: &str = "notifications_pending";

/// Projects account and request events into the outbox.
pub struct Notifications;

impl Projection for Notifications {
    fn name(&self) -> &'static str {
        "notifications"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["notification_recipients", "notification_requests", "notification_outbox"]
    }

    fn rebuildable(&self) -> bool {
        false
    }

    /// Most events cause nothing: only the few that do touch the database. Submissions, the
    /// busiest of them, are gathered and written together, before the next event that could
    /// read them (a statement per submission lengthened the live projector's cycle with the
    /// size of its batch).
    fn apply_batch<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        events: &'a [StoredEvent],
        cx: Context<'a>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        async move {
            let mut start: Option<DateTime<Utc>> = None;
            let mut queued = 0u64;
            let mut submitted = Vec::new();
            for event in events {
                if event.aggregate_type == ServiceRequest::TYPE && event.event_type == SUBMITTED {
                    if let RequestEvent::RequestSubmitted(facts) = event.decode()? {
                        submitted.push((event.aggregate_uuid()?, facts));
                    }
                    continue;
                }
                write_requests(conn, std::mem::take(&mut submitted)).await?;
                queued += apply(conn, cx.vault, event, &mut start).await?;
            }
            write_requests(conn, submitted).await?;
            if queued > 0 && cx.mode == Mode::Live {
                sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(&mut *conn).await?;
            }
            Ok(())
        }
        .boxed()
    }
}

/// Seals the recipients and outbox rows written in clear before read models were sealed (the
/// outbox is never rebuilt, so its old rows are sealed in place); idempotent, and a no-op on
/// a database that never held clear rows. Returns how many rows it sealed.
pub async fn seal_leftovers(pool: &sqlx::PgPool, vault: &commands::Vault) -> Result<u64, Error> {
    let erased = domain::privacy::ERASED;
    let recipients: Vec<(Uuid, Personal, Personal, Option<Personal>)> = sqlx::query_as(
        "SELECT account_id, full_name, phone, email FROM notification_recipients
          WHERE full_name NOT LIKE 'sealed:%' AND full_name <> $1",
    )
    .bind(erased)
    .fetch_all(pool)
    .await?;
    let mut sealed = 0;
    for (account, mut name, mut phone, mut email) in recipients {
        vault.seal_personal(contact(account, &mut name, &mut phone, email.as_mut()).collect()).await?;
        sealed += sqlx::query(
            "UPDATE notification_recipients SET full_name = $2, phone = $3, email = $4 WHERE account_id = $1",
        )
        .bind(account)
        .bind(&name)
        .bind(&phone)
        .bind(&email)
        .execute(pool)
        .await?
        .rows_affected();
    }
    let messages: Vec<(i64, Uuid, String, Personal, sqlx::types::Json<domain::notification::Params>)> = sqlx::query_as(
        "SELECT id, account_id, channel, recipient, params FROM notification_outbox
              WHERE recipient NOT LIKE 'sealed:%' AND recipient <> $1",
    )
    .bind(erased)
    .fetch_all(pool)
    .await?;
    for (id, account, channel, mut recipient, sqlx::types::Json(mut params)) in messages {
        let channel: domain::notification::Channel = channel.parse().map_err(outbox::unknown_name(id))?;
        let field = outbox::address_field(channel);
        let mut name = params.remove(message::NAME_PARAM).map(Personal::from);
        let named = name.as_mut().map(|n| (account, Field::Name, n));
        vault.seal_personal(std::iter::once((account, field, &mut recipient)).chain(named).collect()).await?;
        if let Some(name) = name {
            params.insert(message::NAME_PARAM.to_owned(), name.as_str().to_owned());
        }
        sealed += sqlx::query("UPDATE notification_outbox SET recipient = $2, params = $3 WHERE id = $1")
            .bind(id)
            .bind(&recipient)
            .bind(sqlx::types::Json(&params))
            .execute(pool)
            .await?
            .rows_affected();
    }
    Ok(sealed)
}

/// An erased resident is reached no more: their contact details leave the recipients, and
/// their messages — sent or not — keep only what happened (template, channel, times).
async fn erase_recipient(conn: &mut PgConnection, account: Uuid, at: DateTime<Utc>) -> Result<(), Error> {
    let erased = domain::privacy::ERASED;
    sqlx::query(
        "UPDATE notification_recipients SET full_name = $2, nik_masked = $2, phone = $2, email = NULL,
                whatsapp_enabled = false, email_enabled = false WHERE account_id = $1",
    )
    .bind(account)
    .bind(erased)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE notification_outbox SET recipient = $2, params = '{}', sealed_secret = NULL, last_error = NULL,
                state = CASE WHEN state = 'PENDING' THEN 'SKIPPED' ELSE state END,
                reason = CASE WHEN state = 'PENDING' THEN 'ERASED' ELSE reason END,
                finished_at = COALESCE(finished_at, $3)
          WHERE account_id = $1",
    )
    .bind(account)
    .bind(erased)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The event type of a submission, gathered by [`Notifications::apply_batch`].
const SUBMITTED: &str = "RequestSubmitted";

/// Records what later messages about these requests need (number, service, document labels),
/// all in one statement.
async fn write_requests(
    conn: &mut PgConnection,
    submitted: Vec<(Uuid, Box<domain::request::SubmittedRequest>)>,
) -> Result<(), Error> {
    if submitted.is_empty() {
        return Ok(());
    }
    let (mut requests, mut accounts, mut numbers, mut services, mut labels) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (request, facts) in &submitted {
        let named: serde_json::Map<String, serde_json::Value> =
            facts.requirements.iter().map(|r| (r.code.as_str().to_owned(), r.label.clone().into())).collect();
        requests.push(*request);
        accounts.push(facts.account_id.0);
        numbers.push(facts.number.as_str());
        services.push(facts.service_name.as_str());
        labels.push(serde_json::Value::Object(named));
    }
    sqlx::query(
        "INSERT INTO notification_requests (request_id, account_id, number, service_name, document_labels)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[])
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(requests)
    .bind(accounts)
    .bind(numbers)
    .bind(services)
    .bind(labels)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Applies one event; returns how many messages became pending.
async fn apply(
    conn: &mut PgConnection,
    vault: &commands::Vault,
    event: &StoredEvent,
    start: &mut Option<DateTime<Utc>>,
) -> Result<u64, Error> {
    let message = if event.aggregate_type == Account::TYPE {
        let account = event.aggregate_uuid()?;
        let decoded: AccountEvent = event.decode()?;
        match &decoded {
            AccountEvent::AccountRegistered { nik, full_name, phone, email, .. } => {
                // Sealed: the outbox copies these tokens, and only the worker opens them.
                let mut name = Personal::Clear(full_name.shown(|n| n.as_str().to_owned()));
                let mut number = Personal::Clear(phone.shown(|p| p.as_str().to_owned()));
                let mut email = email.as_ref().map(|e| Personal::Clear(e.shown(|e| e.as_str().to_owned())));
                vault.seal_personal(contact(account, &mut name, &mut number, email.as_mut()).collect()).await?;
                sqlx::query(
                    "INSERT INTO notification_recipients (account_id, full_name, nik_masked, phone, email)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (account_id) DO UPDATE SET full_name = EXCLUDED.full_name,
                         nik_masked = EXCLUDED.nik_masked, phone = EXCLUDED.phone, email = EXCLUDED.email",
                )
                .bind(account)
                .bind(&name)
                .bind(nik.shown(domain::nik::Nik::masked))
                .bind(&number)
                .bind(&email)
                .execute(&mut *conn)
                .await?;
                return Ok(0);
            }
            AccountEvent::AccountErased { at, .. } => {
                erase_recipient(conn, account, *at).await?;
                return Ok(0);
            }
            AccountEvent::NotificationPreferencesChanged { whatsapp, email, .. } => {
                sqlx::query(
                    "UPDATE notification_recipients SET whatsapp_enabled = $2, email_enabled = $3 WHERE account_id = $1",
                )
                .bind(account)
                .bind(whatsapp)
                .bind(email)
                .execute(&mut *conn)
                .await?;
                return Ok(0);
            }
            AccountEvent::AccountApproved { .. }
            | AccountEvent::AccountRejected { .. }
            | AccountEvent::PasswordResetApproved { .. }
            | AccountEvent::LegacyAccessGranted { .. } => {}
            _ => return Ok(0),
        }
        let Some(to) = recipient(conn, account).await? else { return Ok(0) };
        message::for_account(&decoded, &to).map(|m| (m, to))
    } else if event.aggregate_type == ServiceRequest::TYPE {
        let request = event.aggregate_uuid()?;
        let decoded: RequestEvent = event.decode()?;
        match &decoded {
            RequestEvent::ReuploadDemanded { .. }
            | RequestEvent::RequestCompleted { .. }
            | RequestEvent::ReadyForPickup { .. }
            | RequestEvent::RequestRejected { .. } => {}
            _ => return Ok(0),
        }
        let facts: Option<RequestFacts> = sqlx::query_as(
            "SELECT request_id, account_id, number, service_name, document_labels
               FROM notification_requests WHERE request_id = $1",
        )
        .bind(request)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(facts) = facts else { return Ok(0) };
        let Some(to) = recipient(conn, facts.account_id).await? else { return Ok(0) };
        message::for_request(&decoded, &facts, &to).map(|m| (m, to))
    } else {
        None
    };
    let Some((message, to)) = message else { return Ok(0) };
    if event.recorded_at < started_at(conn, start).await? {
        return Ok(0);
    }
    enqueue(conn, event, &message, &to).await
}

async fn recipient(conn: &mut PgConnection, account: Uuid) -> Result<Option<Recipient>, Error> {
    Ok(sqlx::query_as(
        "SELECT account_id, full_name, nik_masked, phone, email, whatsapp_enabled, email_enabled
           FROM notification_recipients WHERE account_id = $1",
    )
    .bind(account)
    .fetch_optional(&mut *conn)
    .await?)
}

/// When the outbox began (read once per batch): older events cause no message.
async fn started_at(conn: &mut PgConnection, cached: &mut Option<DateTime<Utc>>) -> Result<DateTime<Utc>, Error> {
    if let Some(at) = *cached {
        return Ok(at);
    }
    let at: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT min(started_at) FROM notification_outbox_start").fetch_one(&mut *conn).await?;
    let at = at.unwrap_or(DateTime::<Utc>::MIN_UTC);
    *cached = Some(at);
    Ok(at)
}

async fn enqueue(
    conn: &mut PgConnection,
    event: &StoredEvent,
    message: &Message,
    to: &Recipient,
) -> Result<u64, Error> {
    let mut pending = 0;
    for addressed in message::address(message.template, to) {
        let state = if addressed.skipped.is_some() { DeliveryState::Skipped } else { DeliveryState::Pending };
        // A skipped message is finished when it is written; a pending one when it is delivered.
        let finished_at = (state == DeliveryState::Skipped).then_some(event.recorded_at);
        let inserted = sqlx::query(
            "INSERT INTO notification_outbox (idempotency_key, event_position, account_id, request_id, channel,
                 recipient, template, params, sealed_secret, expires_at, state, reason, next_attempt_at,
                 created_at, finished_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(format!("{}:{}", event.global_position, addressed.channel.as_str()))
        .bind(event.global_position)
        .bind(to.account_id)
        .bind(message.request_id)
        .bind(addressed.channel.as_str())
        .bind(&addressed.to)
        .bind(message.template.as_str())
        .bind(sqlx::types::Json(&message.params))
        .bind(&message.sealed_secret)
        .bind(message.expires_at)
        .bind(state.as_str())
        .bind(addressed.skipped)
        .bind(event.recorded_at)
        .bind(finished_at)
        .execute(&mut *conn)
        .await?;
        if state == DeliveryState::Pending {
            pending += inserted.rows_affected();
        }
    }
    Ok(pending)
}
