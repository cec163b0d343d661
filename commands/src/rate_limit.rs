//! Fixed-window rate limits and quotas shared by every API instance through PostgreSQL:
//! captchas per address, uploads per account or address (count and bytes).
//!
//! A use is taken with one `INSERT … ON CONFLICT DO UPDATE … WHERE` statement: the row lock
//! serialises concurrent users of a key, so "count, then store" can no longer be raced past
//! the limit (40 parallel anonymous uploads stored 40 against a limit of 30 before).

use chrono::{DateTime, Duration, DurationRound, Utc};
use sqlx::PgPool;

use crate::Error;

/// A limit on one key within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Uses per window.
    pub uses: i64,
    /// Total amount (e.g. bytes) per window; `i64::MAX` for none.
    pub amount: i64,
    /// The window.
    pub window: Duration,
}

/// Why a use was refused: when the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    pub retry_after: Duration,
}

/// The rate limiter.
#[derive(Clone)]
pub struct RateLimits {
    pool: PgPool,
}

impl RateLimits {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Takes one use of `amount` under `key`, or refuses (taking nothing) if the window's uses
    /// or amount would pass the limit.
    pub async fn take(
        &self,
        key: &str,
        limit: Limit,
        amount: i64,
        now: DateTime<Utc>,
    ) -> Result<Result<(), Exhausted>, Error> {
        let window_start = now.duration_trunc(limit.window).unwrap_or(now);
        let taken: Option<i64> = sqlx::query_scalar(
            "INSERT INTO rate_limits AS r (limit_key, window_start, uses, amount)
             SELECT $1, $2, 1, $3 WHERE $3 <= $5
             ON CONFLICT (limit_key, window_start) DO UPDATE
                SET uses = r.uses + 1, amount = r.amount + excluded.amount
              WHERE r.uses < $4 AND r.amount + excluded.amount <= $5
             RETURNING uses",
        )
        .bind(key)
        .bind(window_start)
        .bind(amount)
        .bind(limit.uses)
        .bind(limit.amount)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match taken {
            Some(_) => Ok(()),
            None => Err(Exhausted { retry_after: window_start + limit.window - now }),
        })
    }

    /// Deletes windows that ended before `now` minus a day (the longest window in use).
    pub async fn purge(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        let done = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1 - interval '1 day'")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
