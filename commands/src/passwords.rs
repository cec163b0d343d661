//! argon2id hashing and verification, always on the blocking pool: one hash costs tens of
//! milliseconds of CPU and must not stall the async workers serving other requests.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, PasswordHash as PhcHash};
use domain::password::{Password, PasswordHash};

use crate::Error;

/// Hashes with argon2id and the argon2 crate's default parameters (OWASP's minimum:
/// m = 19 MiB, t = 2, p = 1).
pub async fn hash(password: Password) -> Result<PasswordHash, Error> {
    tokio::task::spawn_blocking(move || hash_blocking(password.expose())).await?
}

/// Checks `candidate` against `stored`. With no stored hash (unknown user) it verifies
/// against a fixed dummy hash, so the answer takes the same time either way.
pub async fn verify(candidate: String, stored: Option<PasswordHash>) -> Result<bool, Error> {
    tokio::task::spawn_blocking(move || {
        let (phc, known) = match &stored {
            Some(hash) => (hash.as_phc().to_owned(), true),
            None => (dummy_hash()?.to_owned(), false),
        };
        let parsed = PhcHash::new(&phc).map_err(|e| Error::Internal(format!("stored hash unreadable: {e}")))?;
        let matches = Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok();
        Ok(known && matches)
    })
    .await?
}

/// Computes the dummy hash now, so the first unknown-user sign-in does not pay for it (and
/// take measurably longer than a wrong password).
pub async fn prepare() -> Result<(), Error> {
    tokio::task::spawn_blocking(|| dummy_hash().map(|_| ())).await?
}

fn hash_blocking(secret: &str) -> Result<PasswordHash, Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|phc| PasswordHash::from_phc(phc.to_string()))
        .map_err(|e| Error::Internal(format!("hashing failed: {e}")))
}

fn dummy_hash() -> Result<&'static str, Error> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let hash = hash_blocking("dummy password for timing equalisation")?;
    Ok(DUMMY.get_or_init(|| hash.as_phc().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(raw: &str) -> Password {
        Password::parse(raw).unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn hash_is_argon2id_salted_and_verifies() -> anyhow::Result<()> {
        let a = hash(password("kopi susu gula aren")).await?;
        let b = hash(password("kopi susu gula aren")).await?;
        assert!(a.as_phc().starts_with("$argon2id$"));
        assert_ne!(a, b, "salts must differ");
        assert!(verify("kopi susu gula aren".into(), Some(a.clone())).await?);
        assert!(!verify("kopi susu gula arem".into(), Some(a)).await?);
        Ok(())
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() -> anyhow::Result<()> {
        assert!(!verify("dummy password for timing equalisation".into(), None).await?);
        Ok(())
    }
}
