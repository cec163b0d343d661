//! Server-side captchas: the image comes from the offline `captcha` crate, the answer's hash
//! is kept in PostgreSQL so any API instance can check it, and each captcha is checked once.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::Error;
use crate::rate_limit::{Limit, RateLimits};

/// How long a captcha may be answered.
pub const CAPTCHA_LIFETIME: Duration = Duration::minutes(5);

/// Characters that cannot be confused with one another.
const CHARS: [char; 24] = [
    '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', 'h', 'k', 'm', 'n', 'p', 'r', 't', 'w', 'x',
    'y',
];

/// A captcha to show.
#[derive(Debug, Clone)]
pub struct CaptchaChallenge {
    pub id: Uuid,
    /// `data:image/png;base64,…`
    pub image_data_url: String,
    pub expires_at: DateTime<Utc>,
}

/// How fast captchas may be made: each is a stored row and a rendering, and a free supply
/// lets a bot farm them (≈225 a second from one client before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptchaLimits {
    /// Per client address per minute (people behind one NAT address share it).
    pub per_address_per_minute: i64,
    /// For the whole service per minute: bounds the live rows to about this × the lifetime.
    pub per_minute: i64,
}

impl Default for CaptchaLimits {
    fn default() -> Self {
        Self { per_address_per_minute: 30, per_minute: 1200 }
    }
}

/// Creates and checks captchas.
#[derive(Clone)]
pub struct Captchas {
    pool: PgPool,
    rate: RateLimits,
    limits: CaptchaLimits,
}

impl Captchas {
    pub fn new(pool: PgPool, limits: CaptchaLimits) -> Self {
        Self { rate: RateLimits::new(pool.clone()), pool, limits }
    }

    /// Takes one captcha from the address's and the service's allowance.
    async fn admit(&self, client_address: Option<&str>, now: DateTime<Utc>) -> Result<(), Error> {
        let minute = Duration::minutes(1);
        let mut limits = vec![("captchas".to_owned(), self.limits.per_minute)];
        if let Some(address) = client_address {
            limits.insert(0, (format!("captchas:{address}"), self.limits.per_address_per_minute));
        }
        for (key, uses) in limits {
            if let Err(exhausted) =
                self.rate.take(&key, Limit { uses, amount: i64::MAX, window: minute }, 0, now).await?
            {
                tracing::warn!(key = key.split(':').next().unwrap_or_default(), "captcha creation rate-limited");
                return Err(Error::CaptchaRateLimited(exhausted.retry_after.num_seconds().max(1)));
            }
        }
        Ok(())
    }

    /// A new captcha, within the rate limits of `client_address` and of the service.
    pub async fn create(&self, now: DateTime<Utc>, client_address: Option<&str>) -> Result<CaptchaChallenge, Error> {
        self.admit(client_address, now).await?;
        let (answer, png) = tokio::task::spawn_blocking(|| {
            let mut captcha = captcha::Captcha::new();
            captcha
                .set_chars(&CHARS)
                .add_chars(5)
                .apply_filter(captcha::filters::Noise::new(0.2))
                .apply_filter(captcha::filters::Wave::new(2.0, 16.0))
                .view(220, 100);
            captcha.as_tuple()
        })
        .await?
        .ok_or_else(|| Error::Internal("captcha rendering failed".into()))?;
        let id = Uuid::new_v4();
        let expires_at = now + CAPTCHA_LIFETIME;
        sqlx::query("INSERT INTO captchas (captcha_id, answer_hash, expires_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(answer_hash(&answer))
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        let image_data_url = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png));
        Ok(CaptchaChallenge { id, image_data_url, expires_at })
    }

    /// Checks an answer and uses the captcha up, right or wrong: a captcha is never checked twice.
    pub async fn verify(&self, id: &str, answer: &str, now: DateTime<Utc>) -> Result<(), Error> {
        let Ok(id) = Uuid::parse_str(id.trim()) else {
            return Err(Error::CaptchaInvalid);
        };
        let stored: Option<Vec<u8>> = sqlx::query_scalar(
            "UPDATE captchas SET used_at = $2 WHERE captcha_id = $1 AND used_at IS NULL AND expires_at > $2
             RETURNING answer_hash",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        match stored {
            Some(hash) if hash == answer_hash(answer) => Ok(()),
            _ => Err(Error::CaptchaInvalid),
        }
    }

    /// Deletes captchas past their lifetime.
    pub async fn purge(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        let done = sqlx::query("DELETE FROM captchas WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}

/// The stored form of an answer (case and surrounding spaces ignored).
pub fn answer_hash(answer: &str) -> Vec<u8> {
    Sha256::digest(answer.trim().to_lowercase().as_bytes()).to_vec()
}
