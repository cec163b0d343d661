//! The office's WhatsApp contacts, from configuration.

use domain::phone::PhoneNumber;

/// One WhatsApp contact shown on the help page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsappContact {
    pub label: String,
    pub number: PhoneNumber,
}

/// Parses `Label=number;Label=number`. An entry that does not parse is an error at start-up,
/// not a silently missing contact.
pub fn parse_contacts(raw: &str) -> Result<Vec<WhatsappContact>, String> {
    raw.split(';')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (label, number) =
                entry.split_once('=').ok_or_else(|| format!("WHATSAPP_NUMBERS entry without '=': {entry}"))?;
            let number =
                PhoneNumber::parse(number).map_err(|_| format!("WHATSAPP_NUMBERS: invalid number for {label}"))?;
            let label = domain::text::clean_line(label, 80)
                .ok_or_else(|| format!("WHATSAPP_NUMBERS: invalid label {label}"))?;
            Ok(WhatsappContact { label, number })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_labelled_numbers() {
        let contacts =
            parse_contacts("Admin Verifikasi Akun=0812-3456-7890; Layanan Akta=+6281298765432;").unwrap_or_default();
        assert_eq!(contacts.len(), 2);
        assert_eq!(contacts[0].label, "Admin Verifikasi Akun");
        assert_eq!(contacts[0].number.as_str(), "6281234567890");
        assert_eq!(contacts[1].number.as_str(), "6281298765432");
    }

    #[test]
    fn empty_is_no_contacts_and_garbage_is_an_error() {
        assert_eq!(parse_contacts(""), Ok(vec![]));
        assert!(parse_contacts("Admin").is_err());
        assert!(parse_contacts("Admin=12").is_err());
    }
}
