//! Shared rules for free text that people type and other people read.

/// Trims `raw` and checks it is 1..=`max_chars` characters with no control or
/// bidirectional-override characters (which could disguise what an operator reads).
/// Returns the trimmed text, or `None` when it breaks a rule.
pub fn clean_line(raw: &str, max_chars: usize) -> Option<String> {
    let trimmed = raw.trim();
    let count = trimmed.chars().count();
    if count == 0 || count > max_chars {
        return None;
    }
    if trimmed.chars().any(is_forbidden) {
        return None;
    }
    Some(trimmed.to_owned())
}

fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::clean_line;

    #[test]
    fn trims_and_accepts_ordinary_text() {
        assert_eq!(clean_line("  Hari Raya Idul Fitri ", 50).as_deref(), Some("Hari Raya Idul Fitri"));
    }

    #[test]
    fn rejects_empty_and_blank() {
        assert_eq!(clean_line("", 10), None);
        assert_eq!(clean_line("   ", 10), None);
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert!(clean_line("é".repeat(10).as_str(), 10).is_some());
        assert!(clean_line("é".repeat(11).as_str(), 10).is_none());
    }

    #[test]
    fn rejects_control_and_bidi_override_characters() {
        assert_eq!(clean_line("a\u{0007}b", 10), None);
        assert_eq!(clean_line("a\nb", 10), None);
        assert_eq!(clean_line("abc\u{202E}def", 10), None);
        assert_eq!(clean_line("\u{200B}x", 10), None);
    }
}
