//! `Nik::parse` on arbitrary text: never panics; an accepted NIK is the input's digits, parses
//! to itself, and is shown masked everywhere but `as_str`.
#![no_main]

use domain::ErrorCode;
use domain::nik::{Nik, NikError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    match Nik::parse(&raw) {
        Ok(nik) => {
            let digits = nik.as_str();
            assert_eq!(digits.len(), 16, "{digits:?}");
            assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{digits:?}");
            // The same digits as typed, without separators and surrounding white space.
            let typed: String = raw.trim().chars().filter(|c| !matches!(c, ' ' | '.' | '-')).collect();
            assert_eq!(digits, typed);
            assert_eq!(Nik::parse(digits).as_ref(), Ok(&nik), "parsing is idempotent");
            // Masking shows the region code (4 digits) and the serial (4 digits), nothing else.
            let masked = nik.masked();
            assert_eq!(masked, format!("{}********{}", &digits[..4], &digits[12..]));
            assert_eq!(masked.bytes().filter(u8::is_ascii_digit).count(), 8);
            assert_eq!(format!("{nik}"), masked);
            assert_eq!(format!("{nik:?}"), format!("Nik({masked})"));
            // Stored as the plain digits, and read back.
            let stored = serde_json::to_string(&nik).unwrap_or_default();
            assert_eq!(stored, format!("\"{digits}\""));
        }
        Err(error) => {
            assert!(error.code().starts_with("NIK_"));
            // One of the fixed messages: nothing of the input is echoed.
            let known =
                [NikError::Length, NikError::NotDigits, NikError::Region, NikError::BirthDate, NikError::Serial];
            assert!(known.iter().any(|k| k.to_string() == error.to_string()));
        }
    }
});
