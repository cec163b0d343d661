//! Free text residents type: `FullName::parse` and `text::clean_line` on arbitrary text. Never
//! panic; what they accept is trimmed, within its length, free of control, bidirectional and
//! zero-width characters, and accepted again unchanged.
#![no_main]

use domain::ErrorCode;
use domain::person::FullName;
use domain::text::clean_line;
use libfuzzer_sys::fuzz_target;

fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    match FullName::parse(&raw) {
        Ok(name) => {
            let name_str = name.as_str();
            assert!((2..=100).contains(&name_str.chars().count()), "{name_str:?}");
            assert_eq!(name_str, name_str.trim());
            assert!(!name_str.contains("  "), "{name_str:?}");
            assert!(!name_str.chars().any(hidden), "{name_str:?}");
            assert!(name_str.chars().all(|c| c.is_alphabetic() || matches!(c, ' ' | '.' | ',' | '\'' | '-')));
            assert_eq!(FullName::parse(name_str).as_ref(), Ok(&name), "idempotent");
        }
        Err(error) => assert!(matches!(error.code(), "FULL_NAME_LENGTH" | "FULL_NAME_CHARACTERS")),
    }
    for max in [1, 100, 500] {
        if let Some(line) = clean_line(&raw, max) {
            assert!((1..=max).contains(&line.chars().count()), "{line:?}");
            assert_eq!(line, line.trim());
            assert!(!line.chars().any(hidden), "{line:?}");
            assert_eq!(clean_line(&line, max).as_deref(), Some(line.as_str()), "idempotent");
        }
    }
});
