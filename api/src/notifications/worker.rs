//! The delivery worker: every `serve` instance runs one. It claims due messages from the
//! outbox, hands each to its channel's sender and records the result; retries back off
//! exponentially with jitter, and a message refused for good, or failed too often, becomes a
//! dead letter for supervisors.

use std::sync::Arc;
use std::time::Duration;

use commands::{Secrets, SharedClock};
use domain::account::AccountId;
use domain::notification::{Channel, Template};
use futures::StreamExt;
use projections::notifications::outbox::{self, Claimed, Outcome};
use rand::Rng;
use sqlx::PgPool;

use super::Senders;
use super::channel::{Outgoing, SendError};
use crate::metrics::{DeliveryResult, Metrics};

/// How the worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Attempts before a failing message becomes a dead letter.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles with each further failure.
    pub retry_base: Duration,
    /// The longest wait between attempts.
    pub retry_max: Duration,
    /// Messages delivered at once by this instance.
    pub concurrency: usize,
    /// How often to look for due messages when no `NOTIFY` wakes the worker.
    pub poll: Duration,
    /// How long a claimed message is this instance's; longer than any send may take.
    pub lease: Duration,
}

/// Delivers the outbox until the process stops.
pub struct Worker {
    pub pool: PgPool,
    pub clock: SharedClock,
    pub secrets: Secrets,
    /// Opens the sealed recipients and names of the outbox.
    pub vault: commands::Vault,
    pub senders: Senders,
    pub metrics: Arc<Metrics>,
    pub settings: WorkerSettings,
}

impl Worker {
    /// Runs forever: deliver what is due, then wait for a wake-up or the poll interval.
    pub async fn run(self) {
        let mut listener = self.listen().await;
        loop {
            match self.deliver_due().await {
                // A full batch: there may be more due right now.
                Ok(n) if n >= self.settings.concurrency => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "notification delivery round failed"),
            }
            match listener.as_mut() {
                Some(l) => match tokio::time::timeout(self.settings.poll, l.recv()).await {
                    Ok(Ok(_)) | Err(_) => {}
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "notification wake-ups lost; polling until reconnected");
                        listener = None;
                    }
                },
                None => {
                    tokio::time::sleep(self.settings.poll).await;
                    listener = self.listen().await;
                }
            }
        }
    }

    async fn listen(&self) -> Option<sqlx::postgres::PgListener> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen(projections::notifications::CHANNEL).await.ok()?;
        Some(listener)
    }

    /// Claims and delivers one round of due messages; returns how many were claimed.
    pub async fn deliver_due(&self) -> Result<usize, projections::Error> {
        let limit = i64::try_from(self.settings.concurrency.max(1)).unwrap_or(1);
        let claimed = outbox::claim(&self.pool, &self.vault, self.clock.now(), self.settings.lease, limit).await?;
        let n = claimed.len();
        futures::stream::iter(claimed)
            .for_each_concurrent(self.settings.concurrency.max(1), |message| async move {
                let outcome = self.attempt(&message).await;
                self.count(message.channel, &outcome);
                match outbox::record(&self.pool, &message, self.clock.now(), &outcome).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(id = message.id, "notification lease lost before its result was recorded")
                    }
                    Err(error) => tracing::warn!(id = message.id, %error, "recording a notification delivery failed"),
                }
            })
            .await;
        Ok(n)
    }

    async fn attempt(&self, message: &Claimed) -> Outcome {
        let now = self.clock.now();
        if message.expires_at.is_some_and(|at| at <= now) {
            return Outcome::Skipped { reason: "EXPIRED" };
        }
        if !self.senders.enabled(message.channel) {
            return Outcome::Skipped { reason: "CHANNEL_OFF" };
        }
        if !message.readable {
            let error = "the sealed recipient or name cannot be opened with the configured keys".into();
            return Outcome::Dead { reason: "UNREADABLE", error };
        }
        if message.recipient == domain::privacy::ERASED {
            return Outcome::Skipped { reason: "ERASED" };
        }
        let mut params = message.params.clone();
        if message.template == Template::ResetCode {
            let code = message
                .sealed_secret
                .as_deref()
                .and_then(|s| self.secrets.open_reset_code(AccountId(message.account_id), s));
            match code {
                Some(code) => params.insert("kode".into(), code),
                None => {
                    return Outcome::Dead {
                        reason: "UNREADABLE",
                        error: "the sealed code cannot be opened with the configured keys".into(),
                    };
                }
            };
        }
        let outgoing = Outgoing {
            key: message.key.clone(),
            channel: message.channel,
            to: message.recipient.clone(),
            template: message.template,
            params,
        };
        let sent = tokio::time::timeout(self.settings.lease, self.senders.for_channel(message.channel).send(&outgoing))
            .await
            .unwrap_or_else(|_| Err(SendError::Failed("no answer within the lease".into())));
        match sent {
            Ok(()) => Outcome::Sent,
            Err(SendError::Refused(error)) => Outcome::Dead { reason: "REFUSED", error },
            Err(SendError::Failed(error)) if message.attempts >= self.max_attempts() => {
                Outcome::Dead { reason: "ATTEMPTS", error }
            }
            Err(SendError::Failed(error)) => {
                Outcome::Retry { at: now + backoff(&self.settings, message.attempts, &mut rand::thread_rng()), error }
            }
        }
    }

    fn max_attempts(&self) -> i32 {
        i32::try_from(self.settings.max_attempts.max(1)).unwrap_or(i32::MAX)
    }

    fn count(&self, channel: Channel, outcome: &Outcome) {
        let result = match outcome {
            Outcome::Sent => DeliveryResult::Sent,
            Outcome::Retry { .. } => DeliveryResult::Failed,
            Outcome::Dead { .. } => DeliveryResult::Dead,
            Outcome::Skipped { .. } => DeliveryResult::Skipped,
        };
        self.metrics.delivery(channel, result);
    }
}

/// The wait before attempt `attempts + 1`: `base × 2^(attempts−1)`, capped, with "equal
/// jitter" (half fixed, half random) so instances that failed together do not retry together.
pub fn backoff(settings: &WorkerSettings, attempts: i32, rng: &mut impl Rng) -> chrono::Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(30);
    let full = settings.retry_base.saturating_mul(1u32 << exponent).min(settings.retry_max);
    let half = full / 2;
    let jitter = Duration::from_secs_f64(half.as_secs_f64() * rng.r#gen::<f64>());
    chrono::Duration::from_std(half + jitter).unwrap_or(chrono::Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> WorkerSettings {
        WorkerSettings {
            max_attempts: 8,
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            concurrency: 4,
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(60),
        }
    }

    #[test]
    fn waits_double_within_jitter_and_stop_growing_at_the_cap() {
        let mut rng = rand::thread_rng();
        for (attempts, full) in [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (40, 3600)] {
            for _ in 0..50 {
                let wait = backoff(&settings(), attempts, &mut rng).num_milliseconds();
                assert!(wait >= full * 500 && wait <= full * 1000, "attempt {attempts}: {wait} ms");
            }
        }
    }
}
