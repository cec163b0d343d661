//! A person's name and e-mail as residents type them.

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// A full name as on the KTP: letters (any script), spaces and `. , ' -`; 2–100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FullName(String);

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FullNameError {
    #[error("Nama lengkap wajib diisi, 2–100 karakter.")]
    Length,
    #[error("Nama lengkap hanya boleh berisi huruf, spasi, titik, koma, tanda petik dan tanda hubung.")]
    Characters,
}

impl ErrorCode for FullNameError {
    fn code(&self) -> &'static str {
        match self {
            Self::Length => "FULL_NAME_LENGTH",
            Self::Characters => "FULL_NAME_CHARACTERS",
        }
    }
}

impl FullName {
    /// Trims, folds runs of spaces, and checks the rules.
    pub fn parse(raw: &str) -> Result<Self, FullNameError> {
        let folded = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let count = folded.chars().count();
        if !(2..=100).contains(&count) {
            return Err(FullNameError::Length);
        }
        if !folded.chars().all(|c| c.is_alphabetic() || matches!(c, ' ' | '.' | ',' | '\'' | '-')) {
            return Err(FullNameError::Characters);
        }
        Ok(Self(folded))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, checked for syntax only (the office does not send e-mail yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

/// Why an e-mail address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Alamat e-mail tidak valid.")]
pub struct EmailError;

impl ErrorCode for EmailError {
    fn code(&self) -> &'static str {
        "INVALID_EMAIL"
    }
}

impl Email {
    /// `local@domain.tld`, at most 254 characters, no spaces or control characters.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let email = raw.trim();
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(EmailError);
        };
        let ok = email.len() <= 254
            && (1..=64).contains(&local.len())
            && !local.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-'))
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok { Ok(Self(email.to_lowercase())) } else { Err(EmailError) }
    }

    /// The address, lower-cased.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_on_the_ktp() {
        for ok in ["Siti Aminah", "Muh. Ridwan", "Dayang Nur'aini", "Maria-Goretti Ulin", "Ṣalāḥ"] {
            assert!(FullName::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(FullName::parse("  Budi   Santoso ").map(|n| n.as_str().to_owned()), Ok("Budi Santoso".into()));
    }

    #[test]
    fn names_reject_digits_controls_and_bad_lengths() {
        assert_eq!(FullName::parse("Budi 2"), Err(FullNameError::Characters));
        assert_eq!(FullName::parse("Budi\u{202E}"), Err(FullNameError::Characters));
        assert_eq!(FullName::parse("B"), Err(FullNameError::Length));
        assert_eq!(FullName::parse(&"a".repeat(101)), Err(FullNameError::Length));
        assert_eq!(FullName::parse("   "), Err(FullNameError::Length));
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Siti@Example.co.id ").map(|e| e.as_str().to_owned()),
            Ok("siti@example.co.id".into())
        );
        for bad in
            ["", "siti", "siti@", "@example.com", "siti@example", "si ti@example.com", "siti@exa_mple.com", "a@b..com"]
        {
            assert_eq!(Email::parse(bad), Err(EmailError), "{bad}");
        }
    }
}
