//! NIK (Nomor Induk Kependudukan): the 16-digit national identity number.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// Two-digit province codes in use (Permendagri on regional codes). A NIK from any province is
/// valid: the region is where the person was first registered, and people move.
const PROVINCES: [u8; 38] = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65, 71, 72, 73, 74, 75,
    76, 81, 82, 91, 92, 93, 94, 95, 96,
];

/// A structurally valid NIK, digits only. `Debug` and `Display` show it masked; only
/// [`Nik::as_str`] gives the full number, for storage.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Nik(String);

/// Why a NIK was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NikError {
    #[error("NIK harus terdiri dari tepat 16 angka.")]
    Length,
    #[error("NIK hanya boleh berisi angka.")]
    NotDigits,
    #[error("Kode provinsi, kabupaten/kota atau kecamatan pada NIK tidak valid.")]
    Region,
    #[error("Tanggal lahir pada NIK tidak valid.")]
    BirthDate,
    #[error("Nomor urut pada NIK tidak boleh 0000.")]
    Serial,
}

impl ErrorCode for NikError {
    fn code(&self) -> &'static str {
        match self {
            Self::Length => "NIK_LENGTH",
            Self::NotDigits => "NIK_NOT_DIGITS",
            Self::Region => "NIK_REGION",
            Self::BirthDate => "NIK_BIRTH_DATE",
            Self::Serial => "NIK_SERIAL",
        }
    }
}

impl Nik {
    /// Checks length, digits, region codes, the DDMMYY birth date (women add 40 to the day)
    /// and the serial. Spaces, dots and dashes people type are ignored.
    pub fn parse(raw: &str) -> Result<Self, NikError> {
        let cleaned: String = raw.trim().chars().filter(|c| !matches!(c, ' ' | '.' | '-')).collect();
        if !cleaned.chars().all(|c| c.is_ascii_digit()) {
            return Err(NikError::NotDigits);
        }
        if cleaned.len() != 16 {
            return Err(NikError::Length);
        }
        let digits = cleaned.as_bytes();
        let number = |from: usize, len: usize| -> u32 {
            digits[from..from + len].iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        let province = number(0, 2) as u8;
        if !PROVINCES.contains(&province) || number(2, 2) == 0 || number(4, 2) == 0 {
            return Err(NikError::Region);
        }
        let day = number(6, 2);
        let day = if day > 40 { day - 40 } else { day };
        let (month, year) = (number(8, 2), number(10, 2) as i32);
        let exists = [1900 + year, 2000 + year].iter().any(|y| NaiveDate::from_ymd_opt(*y, month, day).is_some());
        if !exists {
            return Err(NikError::BirthDate);
        }
        if number(12, 4) == 0 {
            return Err(NikError::Serial);
        }
        Ok(Self(cleaned))
    }

    /// The full number, for storage and keyed hashing only.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `6106********0001`: what logs, notifications and lists may show.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..4], &self.0[12..])
    }
}

impl fmt::Debug for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nik({})", self.masked())
    }
}

impl fmt::Display for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_kapuas_hulu_nik_and_normalises_separators() {
        let nik = Nik::parse(" 6106.0112-0590 0001 ").map(|n| n.as_str().to_owned());
        assert_eq!(nik.as_deref(), Ok("6106011205900001"));
    }

    #[test]
    fn accepts_niks_from_other_regions() {
        assert!(Nik::parse("3174015708850002").is_ok());
        assert!(Nik::parse("1101010101010001").is_ok());
    }

    #[test]
    fn women_add_forty_to_the_day() {
        assert!(Nik::parse("6106015201990003").is_ok()); // 12 + 40
        assert!(Nik::parse("6106017101990003").is_ok()); // 31 + 40
        assert_eq!(Nik::parse("6106017201990003"), Err(NikError::BirthDate)); // 32 + 40
    }

    #[test]
    fn length_and_digits() {
        assert_eq!(Nik::parse("610601120590001"), Err(NikError::Length));
        assert_eq!(Nik::parse("61060112059000012"), Err(NikError::Length));
        assert_eq!(Nik::parse("61060112059O0001"), Err(NikError::NotDigits));
        assert_eq!(Nik::parse(""), Err(NikError::Length));
    }

    #[test]
    fn region_codes() {
        assert_eq!(Nik::parse("9906011205900001"), Err(NikError::Region));
        assert_eq!(Nik::parse("6100011205900001"), Err(NikError::Region));
        assert_eq!(Nik::parse("6106001205900001"), Err(NikError::Region));
    }

    #[test]
    fn impossible_birth_dates() {
        assert_eq!(Nik::parse("6106013102900001"), Err(NikError::BirthDate)); // 31 Feb
        assert_eq!(Nik::parse("6106010013900001"), Err(NikError::BirthDate)); // month 13
        assert_eq!(Nik::parse("6106010001900001"), Err(NikError::BirthDate)); // day 0
        assert!(Nik::parse("6106012902000001").is_ok()); // 29 Feb 2000
        assert!(Nik::parse("6106012902960001").is_ok()); // 29 Feb 1996
        assert_eq!(Nik::parse("6106012902970001"), Err(NikError::BirthDate)); // 1997/2097
    }

    #[test]
    fn serial_zero_is_refused() {
        assert_eq!(Nik::parse("6106011205900000"), Err(NikError::Serial));
    }

    #[test]
    fn shown_masked_everywhere_but_storage() {
        let nik = Nik::parse("6106011205900001").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(nik.masked(), "6106********0001");
        assert_eq!(format!("{nik}"), "6106********0001");
        assert_eq!(format!("{nik:?}"), "Nik(6106********0001)");
    }
}
