//! Indonesian WhatsApp/phone numbers.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// A phone number in E.164 digits without the plus: `62` followed by 9–12 digits, the first
/// of which is `8` (mobile). Accepts `08…`, `+628…` and `628…`, with spaces, dashes, dots or
/// parentheses as people type them. No operator whitelist: prefixes change.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("Nomor HP/WhatsApp tidak valid. Gunakan format 08xxxxxxxxxx atau +628xxxxxxxxxx.")]
    Invalid,
}

impl ErrorCode for PhoneError {
    fn code(&self) -> &'static str {
        "INVALID_PHONE"
    }
}

impl PhoneNumber {
    /// Normalises and checks a typed number.
    pub fn parse(raw: &str) -> Result<Self, PhoneError> {
        let trimmed = raw.trim();
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        if !rest.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')')) {
            return Err(PhoneError::Invalid);
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        let national = match (plus, digits.strip_prefix("62"), digits.strip_prefix('0')) {
            (true, Some(national), _) => national,
            (true, None, _) => return Err(PhoneError::Invalid),
            (false, Some(national), _) => national,
            (false, None, Some(national)) => national,
            (false, None, None) => return Err(PhoneError::Invalid),
        };
        if (9..=12).contains(&national.len()) && national.starts_with('8') {
            Ok(Self(format!("62{national}")))
        } else {
            Err(PhoneError::Invalid)
        }
    }

    /// E.164 digits, e.g. `6281234567890`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A link that opens a WhatsApp chat with this number.
    pub fn wa_me_link(&self) -> String {
        format!("https://wa.me/{}", self.0)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> String {
        PhoneNumber::parse(raw).map(|p| p.as_str().to_owned()).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    #[test]
    fn accepts_the_ways_people_write_numbers() {
        assert_eq!(ok("081234567890"), "6281234567890");
        assert_eq!(ok("+6281234567890"), "6281234567890");
        assert_eq!(ok("6281234567890"), "6281234567890");
        assert_eq!(ok(" 0812-3456-7890 "), "6281234567890");
        assert_eq!(ok("+62 812 3456 7890"), "6281234567890");
        assert_eq!(ok("(0812) 345.678"), "62812345678");
    }

    #[test]
    fn national_part_is_nine_to_twelve_digits() {
        assert_eq!(ok("0812345678"), "62812345678");
        assert_eq!(ok("0812345678901"), "62812345678901");
        assert!(PhoneNumber::parse("081234567").is_err());
        assert!(PhoneNumber::parse("08123456789012").is_err());
    }

    #[test]
    fn rejects_non_mobile_foreign_and_garbage() {
        for bad in
            ["", "abc", "0561123456", "+6512345678", "+0812345678", "08123x567890", "628", "0812\u{202E}34567890"]
        {
            assert_eq!(PhoneNumber::parse(bad), Err(PhoneError::Invalid), "{bad}");
        }
    }

    #[test]
    fn wa_me_link() {
        assert_eq!(
            PhoneNumber::parse("081234567890").map(|p| p.wa_me_link()),
            Ok("https://wa.me/6281234567890".into())
        );
    }
}
