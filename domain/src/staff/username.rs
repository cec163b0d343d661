use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::StaffError;
use crate::text::clean_line;

/// Namespace for deriving staff stream ids from usernames (a fixed, random UUID).
const STAFF_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2b7e_9d4a_4f0e_8a35_51c6_2d0b_7e91);

/// A staff sign-in name: 3–32 characters of `a-z 0-9 . _ -`, starting with a letter,
/// stored in lower case so `Budi` and `budi` are the same person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Normalises (trim, lower case) and checks the rules.
    pub fn parse(raw: &str) -> Result<Self, StaffError> {
        let name = raw.trim().to_ascii_lowercase();
        let len_ok = (3..=32).contains(&name.len());
        let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        let chars_ok =
            name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if len_ok && starts_with_letter && chars_ok { Ok(Self(name)) } else { Err(StaffError::InvalidUsername) }
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of this username's stream.
    pub fn staff_id(&self) -> StaffId {
        StaffId(Uuid::new_v5(&STAFF_NAMESPACE, self.0.as_bytes()))
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The stream id of a staff account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StaffId(pub Uuid);

impl fmt::Display for StaffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The name colleagues and auditors see, e.g. "Siti Aminah".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trimmed, 1–100 characters, no control characters.
    pub fn parse(raw: &str) -> Result<Self, StaffError> {
        clean_line(raw, 100).map(Self).ok_or(StaffError::InvalidDisplayName)
    }

    /// The name as typed (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_is_normalised_to_lower_case() {
        let name = Username::parse("  Siti.Aminah ").map(|u| u.as_str().to_owned());
        assert_eq!(name.as_deref(), Ok("siti.aminah"));
    }

    #[test]
    fn username_rules() {
        for ok in ["abc", "budi_01", "op-kecamatan.1", &"a".repeat(32)] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", "1budi", "_budi", "budi santoso", "búdi", "budi@x", &"a".repeat(33), ""] {
            assert_eq!(Username::parse(bad), Err(StaffError::InvalidUsername), "{bad}");
        }
    }

    #[test]
    fn same_username_in_any_case_is_the_same_stream() {
        let a = Username::parse("Budi").map(|u| u.staff_id());
        let b = Username::parse("budi").map(|u| u.staff_id());
        let c = Username::parse("budi2").map(|u| u.staff_id());
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn display_name_rules() {
        assert!(DisplayName::parse("Siti Aminah").is_ok());
        assert_eq!(DisplayName::parse("  "), Err(StaffError::InvalidDisplayName));
        assert_eq!(DisplayName::parse(&"x".repeat(101)), Err(StaffError::InvalidDisplayName));
    }
}
