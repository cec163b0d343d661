//! `PhoneNumber::parse` on arbitrary text: never panics; an accepted number is E.164 digits of
//! an Indonesian mobile, parses to itself in each accepted spelling, and keeps the typed digits.
#![no_main]

use domain::ErrorCode;
use domain::phone::PhoneNumber;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    match PhoneNumber::parse(&raw) {
        Ok(phone) => {
            let e164 = phone.as_str();
            assert!(e164.starts_with("628"), "{e164}");
            assert!((11..=14).contains(&e164.len()), "{e164}");
            assert!(e164.bytes().all(|b| b.is_ascii_digit()), "{e164}");
            let national = &e164[2..];
            for spelling in [e164.to_owned(), format!("+{e164}"), format!("0{national}")] {
                assert_eq!(PhoneNumber::parse(&spelling).as_ref(), Ok(&phone), "{spelling}");
            }
            let typed: String = raw.chars().filter(char::is_ascii_digit).collect();
            assert!(typed.ends_with(national), "{typed} / {national}");
            assert_eq!(phone.wa_me_link(), format!("https://wa.me/{e164}"));
        }
        Err(error) => assert_eq!(error.code(), "INVALID_PHONE"),
    }
});
