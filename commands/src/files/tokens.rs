//! Upload tokens: what lets someone without an account (yet) upload registration or
//! password-reset documents. Issued only against a solved captcha, short-lived, and good for
//! a handful of uploads.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::UploadedBy;
use crate::Error;

/// How long a token lives.
pub const TOKEN_LIFETIME: Duration = Duration::minutes(60);

/// Issues and spends upload tokens.
#[derive(Clone)]
pub struct UploadTokens {
    pool: PgPool,
    uploads_per_token: i32,
}

impl UploadTokens {
    /// Tokens good for `uploads_per_token` uploads each (three documents plus retries; see
    /// [`crate::files::UploadLimits::uploads_per_token`]).
    pub fn new(pool: PgPool, uploads_per_token: i32) -> Self {
        Self { pool, uploads_per_token }
    }

    /// Uploads one token allows.
    pub fn uploads_per_token(&self) -> i32 {
        self.uploads_per_token
    }

    /// A new token (the caller has already checked the captcha).
    pub async fn issue(&self, now: DateTime<Utc>) -> Result<(String, DateTime<Utc>), Error> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let expires_at = now + TOKEN_LIFETIME;
        sqlx::query("INSERT INTO upload_tokens (token_hash, uploads_left, expires_at) VALUES ($1, $2, $3)")
            .bind(digest(&token))
            .bind(self.uploads_per_token)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok((token, expires_at))
    }

    /// Spends one upload of `token` in one statement (parallel uploads cannot pass the limit);
    /// returns the uploader identity files are recorded under.
    pub async fn spend(&self, token: &str, now: DateTime<Utc>) -> Result<UploadedBy, Error> {
        let spent = sqlx::query(
            "UPDATE upload_tokens SET uploads_left = uploads_left - 1
              WHERE token_hash = $1 AND uploads_left > 0 AND expires_at > $2",
        )
        .bind(digest(token))
        .bind(now)
        .execute(&self.pool)
        .await?;
        if spent.rows_affected() == 1 { Ok(Self::uploader(token)) } else { Err(Error::UploadTokenInvalid) }
    }

    /// Whether `token` was issued and has not expired (used up or not: its uploads are done,
    /// the form they belong to is still to come).
    pub async fn ensure_live(&self, token: &str, now: DateTime<Utc>) -> Result<(), Error> {
        let live: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM upload_tokens WHERE token_hash = $1 AND expires_at > $2)")
                .bind(digest(token))
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
        if live { Ok(()) } else { Err(Error::UploadTokenInvalid) }
    }

    /// The uploader identity of a token (without spending it), to check who owns an upload.
    pub fn uploader(token: &str) -> UploadedBy {
        UploadedBy::Token(hex::encode(&digest(token)[..16]))
    }
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
