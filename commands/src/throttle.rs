//! Progressive delay on failed sign-ins, per NIK and per client address, shared by every API
//! instance through PostgreSQL. A few mistakes are free; after that each further attempt must
//! wait twice as long as the previous one, up to 15 minutes.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::Error;

/// Failures within the window that cost nothing.
const FREE_FAILURES: i64 = 5;
/// Failures older than this are forgotten.
const WINDOW_MINUTES: i64 = 15;
/// Longest imposed wait, in seconds.
const MAX_DELAY_SECONDS: i64 = 15 * 60;

/// The sign-in throttle.
#[derive(Clone)]
pub struct Throttle {
    pool: PgPool,
}

impl Throttle {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Refuses with `TooManyAttempts` if any key must still wait.
    pub async fn check(&self, keys: &[String], now: DateTime<Utc>) -> Result<(), Error> {
        let rows: Vec<(i64, Option<DateTime<Utc>>)> = sqlx::query_as(
            "SELECT count(*), max(failed_at) FROM sign_in_failures
              WHERE throttle_key = ANY($1) AND failed_at > $2 - make_interval(mins => $3)
              GROUP BY throttle_key",
        )
        .bind(keys)
        .bind(now)
        .bind(WINDOW_MINUTES as i32)
        .fetch_all(&self.pool)
        .await?;
        let wait = rows
            .into_iter()
            .filter_map(|(count, last)| {
                let over = count - FREE_FAILURES;
                if over < 0 {
                    return None;
                }
                let delay = 1i64.checked_shl(over.min(20) as u32).unwrap_or(MAX_DELAY_SECONDS).min(MAX_DELAY_SECONDS);
                let ready = last? + chrono::Duration::seconds(delay);
                (ready > now).then(|| (ready - now).num_seconds().max(1))
            })
            .max();
        match wait {
            Some(seconds) => Err(Error::TooManyAttempts(seconds)),
            None => Ok(()),
        }
    }

    /// Counts a failure against every key.
    pub async fn record_failure(&self, keys: &[String], now: DateTime<Utc>) -> Result<(), Error> {
        sqlx::query("INSERT INTO sign_in_failures (throttle_key, failed_at) SELECT unnest($1::text[]), $2")
            .bind(keys)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets the failures of one key (after a successful sign-in).
    pub async fn clear(&self, key: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM sign_in_failures WHERE throttle_key = $1").bind(key).execute(&self.pool).await?;
        Ok(())
    }

    /// Deletes failures older than the window.
    pub async fn purge(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        let done = sqlx::query("DELETE FROM sign_in_failures WHERE failed_at < $1 - make_interval(mins => $2)")
            .bind(now)
            .bind(WINDOW_MINUTES as i32)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
