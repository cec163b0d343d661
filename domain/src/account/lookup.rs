//! How an officer's look-up of a resident is read: residents write on WhatsApp with their NIK,
//! their number or their name, and the officer pastes what they have into one box.

use crate::ErrorCode;
use crate::nik::{Nik, NikError};
use crate::phone::PhoneNumber;

/// What an officer looks a resident up by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResidentLookup {
    /// Sixteen digits: a NIK, matched exactly (through the account's keyed stream id).
    Nik(Nik),
    /// Any other run of digits (with `+`, spaces, dashes…): a WhatsApp number, matched exactly.
    Phone(PhoneNumber),
    /// Anything else: a name or the beginnings of its words, in any order and case (read models
    /// hold names sealed; they are found through keyed hashes of word prefixes).
    Name(String),
}

/// Why a look-up was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error(transparent)]
    Nik(#[from] NikError),
    #[error(
        "Nomor HP/WhatsApp tidak valid. Gunakan format 08xxxxxxxxxx atau +628xxxxxxxxxx; NIK terdiri dari 16 angka."
    )]
    Phone,
    #[error(
        "Masukkan NIK (16 angka), nomor HP/WhatsApp, atau paling sedikit {min} huruf dari nama.",
        min = ResidentLookup::MIN_NAME_CHARS
    )]
    TooShort,
    #[error("Pencarian nama paling panjang 100 karakter.")]
    TooLong,
}

impl ErrorCode for LookupError {
    fn code(&self) -> &'static str {
        match self {
            Self::Nik(e) => e.code(),
            Self::Phone => "INVALID_PHONE",
            Self::TooShort => "LOOKUP_TOO_SHORT",
            Self::TooLong => "LOOKUP_TOO_LONG",
        }
    }
}

impl ResidentLookup {
    /// The fewest letters of a name searched for: fewer would list half the register.
    pub const MIN_NAME_CHARS: usize = 3;

    /// Reads what was typed: digits (and the separators people type) are a NIK when there are
    /// sixteen of them, else a phone number; anything else is part of a name.
    pub fn parse(raw: &str) -> Result<Self, LookupError> {
        let trimmed = raw.trim();
        let number_like = !trimmed.is_empty()
            && trimmed
                .trim_start_matches('+')
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'));
        if number_like {
            let digits = trimmed.chars().filter(char::is_ascii_digit).count();
            return if digits == 16 && !trimmed.starts_with('+') {
                Ok(Self::Nik(Nik::parse(trimmed)?))
            } else {
                PhoneNumber::parse(trimmed).map(Self::Phone).map_err(|_| LookupError::Phone)
            };
        }
        let name = trimmed.split_whitespace().collect::<Vec<_>>().join(" ");
        match name.chars().filter(|c| c.is_alphabetic()).count() {
            n if n < Self::MIN_NAME_CHARS => Err(LookupError::TooShort),
            _ if name.chars().count() > 100 => Err(LookupError::TooLong),
            _ => Ok(Self::Name(name)),
        }
    }

    /// What the audit log records of the look-up (with the accounts it showed): masked, as a
    /// look-up is typed from a resident's own details and the log is kept for good.
    pub fn audit_subject(&self) -> String {
        use crate::privacy::{PersonalKind, mask};
        match self {
            Self::Nik(nik) => format!("nik:{}", nik.masked()),
            Self::Phone(phone) => format!("phone:{}", mask(PersonalKind::Phone, phone.as_str())),
            Self::Name(name) => format!("name:{}", mask(PersonalKind::Name, name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_digits_are_a_nik_as_people_type_it() {
        let lookup = ResidentLookup::parse(" 6106 0152 0590 0001 ").expect("nik");
        assert!(matches!(&lookup, ResidentLookup::Nik(nik) if nik.as_str() == "6106015205900001"));
        assert_eq!(lookup.audit_subject(), "nik:6106********0001");
        assert_eq!(ResidentLookup::parse("6106013205900001").err().map(|e| e.code()), Some("NIK_BIRTH_DATE"));
    }

    #[test]
    fn other_numbers_are_whatsapp_numbers() {
        for typed in ["0812-3456-7890", "+62 812 3456 7890", "6281234567890"] {
            assert_eq!(
                ResidentLookup::parse(typed).ok(),
                Some(ResidentLookup::Phone(PhoneNumber::parse("081234567890").expect("phone"))),
                "{typed}"
            );
        }
        assert_eq!(ResidentLookup::parse("12345").err(), Some(LookupError::Phone));
        assert_eq!(LookupError::Phone.code(), "INVALID_PHONE");
    }

    #[test]
    fn anything_else_is_part_of_a_name_of_at_least_three_letters() {
        assert_eq!(ResidentLookup::parse("  siti   ami ").ok(), Some(ResidentLookup::Name("siti ami".into())));
        assert_eq!(ResidentLookup::parse("Si").err(), Some(LookupError::TooShort));
        assert_eq!(ResidentLookup::parse("").err(), Some(LookupError::TooShort));
        assert_eq!(ResidentLookup::parse(&"a".repeat(101)).err(), Some(LookupError::TooLong));
        assert_eq!(ResidentLookup::parse("Siti").map(|l| l.audit_subject()).ok().as_deref(), Some("name:S."));
        let phone = ResidentLookup::parse("081234567890").map(|l| l.audit_subject()).ok();
        assert_eq!(phone.as_deref(), Some("phone:6281*******90"));
    }
}
