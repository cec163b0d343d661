//! The delivery side of the outbox: what the workers claim and record, and what supervisors
//! and residents see of it. The projection inserts rows; these statements only move a row's
//! delivery state, so the two writers never touch the same columns.
//!
//! A worker claims rows with a lease in one short statement (`FOR UPDATE SKIP LOCKED`: two
//! instances never claim the same row) and delivers outside any transaction: a transaction
//! held open across a gateway call would hold the projector's horizon back for every reader.
//! A worker killed mid-delivery leaves the lease to run out; the row is then claimed again and
//! sent again with the same idempotency key.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::notification::{Channel, DeliveryState, Params, Template};
use sqlx::PgPool;
use uuid::Uuid;

use commands::vault::Field;

use crate::Error;

// The states the statements below filter on, written into their text (not bound) so that the
// planner matches the partial indexes `notification_outbox_due` and `notification_outbox_dead`.
const PENDING: &str = DeliveryState::Pending.as_str();
const DEAD: &str = DeliveryState::Dead.as_str();

/// A message a worker has claimed.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub key: String,
    pub account_id: Uuid,
    pub channel: Channel,
    pub recipient: String,
    pub template: Template,
    pub params: Params,
    pub sealed_secret: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Including this one.
    pub attempts: i32,
    /// Whether its sealed recipient and name opened.
    pub readable: bool,
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: i64,
    idempotency_key: String,
    account_id: Uuid,
    channel: String,
    recipient: String,
    template: String,
    params: sqlx::types::Json<Params>,
    sealed_secret: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    attempts: i32,
}

impl TryFrom<ClaimedRow> for Claimed {
    type Error = Error;

    fn try_from(row: ClaimedRow) -> Result<Self, Error> {
        let unknown = unknown_name(row.id);
        Ok(Self {
            channel: row.channel.parse().map_err(unknown)?,
            template: row.template.parse().map_err(unknown)?,
            id: row.id,
            key: row.idempotency_key,
            account_id: row.account_id,
            recipient: row.recipient,
            params: row.params.0,
            sealed_secret: row.sealed_secret,
            expires_at: row.expires_at,
            attempts: row.attempts,
            readable: true,
        })
    }
}

/// The error of outbox row `id` holding a channel or template this version does not know.
pub(super) fn unknown_name(id: i64) -> impl Fn(domain::notification::UnknownName) -> Error + Copy {
    move |e| Error::Decode { position: id, event_type: "notification_outbox".into(), reason: e.to_string() }
}

/// The field a recipient of `channel` is sealed as.
pub(super) fn address_field(channel: Channel) -> Field {
    match channel {
        Channel::WhatsApp => Field::Phone,
        Channel::Email => Field::Email,
    }
}

/// Claims up to `limit` due messages for `lease`, oldest first, their recipients and names
/// opened for delivery.
pub async fn claim(
    pool: &PgPool,
    vault: &commands::Vault,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Claimed>, Error> {
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    let sql = format!(
        "UPDATE notification_outbox o SET attempts = o.attempts + 1, leased_until = $2
          WHERE o.id IN (SELECT id FROM notification_outbox
                          WHERE state = '{PENDING}' AND next_attempt_at <= $1
                            AND (leased_until IS NULL OR leased_until <= $1)
                          ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
      RETURNING id, idempotency_key, account_id, channel, recipient, template, params, sealed_secret,
                expires_at, attempts"
    );
    let rows: Vec<ClaimedRow> = sqlx::query_as(&sql).bind(now).bind(until).bind(limit).fetch_all(pool).await?;
    let mut claimed = rows.into_iter().map(Claimed::try_from).collect::<Result<Vec<_>, _>>()?;
    claimed.sort_by_key(|c| c.id);
    for c in &mut claimed {
        // One message at a time: a token that does not open makes that message a dead
        // letter (UNREADABLE), not every message claimed with it.
        let (account, field) = (c.account_id, address_field(c.channel));
        let name = c.params.get_mut(super::message::NAME_PARAM).map(|n| (account, Field::Name, n));
        let opened =
            vault.open_personal(std::iter::once((account, field, &mut c.recipient)).chain(name).collect()).await;
        c.readable = opened.is_ok();
    }
    Ok(claimed)
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Try again at this instant.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// Give up: `reason` is REFUSED, ATTEMPTS or UNREADABLE.
    Dead {
        reason: &'static str,
        error: String,
    },
    /// Not worth sending any more (EXPIRED).
    Skipped {
        reason: &'static str,
    },
}

/// Records the end of an attempt. Only the lease holder's row in PENDING is changed, so a
/// worker whose lease ran out (and whose row another worker took) records nothing.
pub async fn record(pool: &PgPool, claimed: &Claimed, now: DateTime<Utc>, outcome: &Outcome) -> Result<bool, Error> {
    let (state, reason, error, next): (DeliveryState, Option<&str>, Option<&str>, Option<DateTime<Utc>>) = match outcome
    {
        Outcome::Sent => (DeliveryState::Sent, None, None, None),
        Outcome::Retry { at, error } => (DeliveryState::Pending, None, Some(error), Some(*at)),
        Outcome::Dead { reason, error } => (DeliveryState::Dead, Some(reason), Some(error), None),
        Outcome::Skipped { reason } => (DeliveryState::Skipped, Some(reason), None, None),
    };
    // A finished message (anything but a retry) ends its attempts and changes the board.
    let finished = state != DeliveryState::Pending;
    // A request's board shows its messages: its subscribers hear of the change.
    let sql = format!(
        "WITH done AS (
             UPDATE notification_outbox
                SET state = $3, reason = $4, last_error = coalesce($5, last_error), leased_until = NULL,
                    next_attempt_at = coalesce($6, next_attempt_at),
                    finished_at = CASE WHEN $9 THEN $2 END
              WHERE id = $1 AND state = '{PENDING}' AND attempts = $7
          RETURNING request_id, account_id),
         told AS (
             SELECT pg_notify($8, json_build_object('request_id', request_id, 'account_id', account_id)::text)
               FROM done WHERE request_id IS NOT NULL AND $9)
         SELECT (SELECT count(*) FROM done) + 0 * (SELECT count(*) FROM told)"
    );
    let (recorded,): (i64,) = sqlx::query_as(&sql)
        .bind(claimed.id)
        .bind(now)
        .bind(state.as_str())
        .bind(reason)
        .bind(error)
        .bind(next)
        .bind(claimed.attempts)
        .bind(crate::service_requests::CHANNEL)
        .bind(finished)
        .fetch_one(pool)
        .await?;
    Ok(recorded == 1)
}

/// A message as supervisors see it in the dead letters.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeadLetter {
    pub id: i64,
    pub account_id: Uuid,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub template: String,
    pub recipient: String,
    pub request_id: Option<Uuid>,
    pub attempts: i32,
    pub reason: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Dead letters, newest first, after the cursor `(finished_at, id)`, recipients opened.
pub async fn dead_letters(
    pool: &PgPool,
    vault: &commands::Vault,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Vec<DeadLetter>, Error> {
    let (at, id) = after.map_or((None, None), |(at, id)| (Some(at), Some(id)));
    let sql = format!(
        "SELECT id, account_id, channel, template, recipient, request_id, attempts, reason, last_error, created_at,
                finished_at
           FROM notification_outbox
          WHERE state = '{DEAD}' AND ($1::timestamptz IS NULL OR (finished_at, id) < ($1, $2))
          ORDER BY finished_at DESC, id DESC LIMIT $3"
    );
    let mut letters: Vec<DeadLetter> = sqlx::query_as(&sql).bind(at).bind(id).bind(limit).fetch_all(pool).await?;
    let recipients = letters.iter_mut().map(|l| (l.account_id, address_field(l.channel), &mut l.recipient)).collect();
    vault.open_personal(recipients).await?;
    Ok(letters)
}

/// Puts a dead letter back in the queue for a fresh round of attempts; false if `id` is not
/// a dead letter (already retried, or never dead).
pub async fn retry(pool: &PgPool, id: i64, now: DateTime<Utc>) -> Result<bool, Error> {
    let done = sqlx::query(
        "UPDATE notification_outbox SET state = $3, reason = NULL, attempts = 0, next_attempt_at = $2,
                leased_until = NULL, finished_at = NULL
          WHERE id = $1 AND state = $4",
    )
    .bind(id)
    .bind(now)
    .bind(DeliveryState::Pending.as_str())
    .bind(DeliveryState::Dead.as_str())
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The outbox at a glance, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Backlog {
    pub pending: i64,
    pub dead: i64,
    /// Age of the oldest pending message, in seconds (0 when none).
    pub oldest_pending_seconds: f64,
}

/// Counts pending and dead messages and the age of the oldest pending one at `now`.
pub async fn backlog(pool: &PgPool, now: DateTime<Utc>) -> Result<Backlog, Error> {
    let sql = format!(
        "SELECT count(*) FILTER (WHERE state = '{PENDING}'), count(*) FILTER (WHERE state = '{DEAD}'),
                min(created_at) FILTER (WHERE state = '{PENDING}')
           FROM notification_outbox WHERE state IN ('{PENDING}', '{DEAD}')"
    );
    let (pending, dead, oldest): (i64, i64, Option<DateTime<Utc>>) = sqlx::query_as(&sql).fetch_one(pool).await?;
    let oldest_pending_seconds = oldest.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
    Ok(Backlog { pending, dead, oldest_pending_seconds })
}

/// What the resident's board says of a request's messages.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivery {
    pub request_id: Uuid,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    #[sqlx(try_from = "String")]
    pub state: DeliveryState,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The latest message per request and channel, for the board entries `requests`.
pub async fn deliveries(pool: &PgPool, requests: &[Uuid]) -> Result<Vec<Delivery>, Error> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT ON (request_id, channel) request_id, channel, state, finished_at
           FROM notification_outbox WHERE request_id = ANY($1)
          ORDER BY request_id, channel, id DESC",
    )
    .bind(requests)
    .fetch_all(pool)
    .await?)
}
