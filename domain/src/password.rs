//! Passwords as NIST SP 800-63B wants them: long enough, no composition rules, not common.

use std::fmt;

use crate::ErrorCode;

const COMMON: &str = include_str!("password/common.txt");

/// Minimum length in characters (the manual's rule: at least 8).
pub const MIN_CHARS: usize = 8;
/// Upper bound so a request cannot make the server hash megabytes.
pub const MAX_CHARS: usize = 128;

/// A password that satisfies the policy. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("Kata sandi minimal {MIN_CHARS} karakter.")]
    TooShort,
    #[error("Kata sandi maksimal {MAX_CHARS} karakter.")]
    TooLong,
    #[error("Kata sandi ini terlalu umum dan mudah ditebak. Gunakan kata sandi lain.")]
    TooCommon,
}

impl ErrorCode for PasswordError {
    fn code(&self) -> &'static str {
        match self {
            Self::TooShort => "PASSWORD_TOO_SHORT",
            Self::TooLong => "PASSWORD_TOO_LONG",
            Self::TooCommon => "PASSWORD_TOO_COMMON",
        }
    }
}

impl Password {
    /// Checks the policy. No trimming: spaces are legitimate password characters.
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        if chars < MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if chars > MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        if is_common(raw) {
            return Err(PasswordError::TooCommon);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

fn is_common(raw: &str) -> bool {
    let lowered = raw.to_lowercase();
    COMMON
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .any(|common| common == lowered)
}

/// An argon2id PHC string. The domain never sees a plain password in an event.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string produced by the hashing service.
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string, for verification.
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_eight_characters_without_composition_rules() {
        assert!(Password::parse("kopi susu").is_ok());
        assert!(Password::parse("abcdefgz").is_ok());
    }

    #[test]
    fn rejects_seven_characters() {
        assert_eq!(Password::parse("abcdefg"), Err(PasswordError::TooShort));
    }

    #[test]
    fn counts_characters_not_bytes() {
        // 8 characters, 16 bytes.
        assert!(Password::parse("ééééééé1").is_ok());
        assert_eq!(Password::parse("éééé"), Err(PasswordError::TooShort));
    }

    #[test]
    fn rejects_overlong() {
        assert_eq!(Password::parse(&"x".repeat(MAX_CHARS + 1)), Err(PasswordError::TooLong));
        assert!(Password::parse(&"xy".repeat(MAX_CHARS / 2)).is_ok());
    }

    #[test]
    fn rejects_common_passwords_case_insensitively() {
        for common in ["password", "12345678", "Indonesia123", "BISMILLAH", "qwertyuiop"] {
            assert_eq!(Password::parse(common), Err(PasswordError::TooCommon), "{common}");
        }
    }

    #[test]
    fn keeps_spaces() {
        assert_eq!(Password::parse("  spasi  ok ").map(|p| p.expose().len()), Ok(12));
    }

    #[test]
    fn debug_never_shows_secret() {
        let password = Password::parse("sangat rahasia").map(|p| format!("{p:?}"));
        assert_eq!(password.as_deref(), Ok("Password(***)"));
        assert_eq!(format!("{:?}", PasswordHash::from_phc("$argon2id$x".into())), "PasswordHash(***)");
    }
}
