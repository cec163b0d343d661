//! The prefilled WhatsApp messages an officer sends a resident after deciding on their account.
//!
//! One place for the texts and the `wa.me` link, so the console never composes a message of
//! its own and every decision (account approved or refused, reset code or refusal, old-portal
//! access) reads the same way. A NIK is only ever shown masked; the reset code is the one
//! secret a message may carry, because sending it is the message's purpose.

use chrono::{DateTime, Utc};
use domain::account::Account;
use domain::phone::PhoneNumber;

const SERVICE: &str = "Layanan Online Dukcapil Kapuas Hulu";

/// Builds the messages; knows the portal's public address for the links inside them.
#[derive(Debug, Clone)]
pub struct Messages {
    portal: String,
}

/// What a message is about.
pub enum Decision<'a> {
    AccountApproved,
    AccountRejected { reason: &'a str },
    ResetCode { code: &'a str },
    ResetRejected { reason: &'a str },
    LegacyAccessGranted { until: DateTime<Utc> },
}

impl Messages {
    /// `public_url` is the portal's address as residents type it (`PUBLIC_URL`).
    pub fn new(public_url: &str) -> Self {
        Self { portal: public_url.trim().trim_end_matches('/').to_owned() }
    }

    /// The message's text for the account's holder.
    pub fn text(&self, account: &Account, decision: Decision<'_>) -> String {
        let name = account.full_name().map_or("Bapak/Ibu", |n| n.as_str());
        let nik = account.nik().map(|n| n.masked()).unwrap_or_default();
        let portal = &self.portal;
        match decision {
            Decision::AccountApproved => format!(
                "Halo {name}, akun {SERVICE} Anda (NIK {nik}) sudah diverifikasi. Silakan login di {portal}/masuk dengan NIK dan kata sandi Anda."
            ),
            Decision::AccountRejected { reason } => format!(
                "Halo {name}, pendaftaran akun {SERVICE} (NIK {nik}) belum dapat kami setujui: {} Silakan daftar ulang di {portal}/daftar dengan data yang benar.",
                sentence(reason)
            ),
            Decision::ResetCode { code } => format!(
                "Kode reset kata sandi {SERVICE} Anda: {code} (berlaku 24 jam). Masukkan di {portal}/lupa-kata-sandi. Jangan berikan kode ini kepada siapa pun."
            ),
            Decision::ResetRejected { reason } => format!(
                "Halo {name}, permintaan reset kata sandi akun {SERVICE} (NIK {nik}) belum dapat kami setujui: {} Silakan ajukan lagi di {portal}/lupa-kata-sandi atau datang ke kantor Dinas.",
                sentence(reason)
            ),
            Decision::LegacyAccessGranted { until } => format!(
                "Halo {name}, dokumen Anda dari portal lama (NIK {nik}) sekarang dapat diunduh di Beranda akun Anda ({portal}/masuk) sampai {}.",
                domain::working_time::format_wib(until)
            ),
        }
    }

    /// A `wa.me` link that opens the chat with the account's registered number and the text
    /// typed in; `None` when the account has no number.
    pub fn link(&self, account: &Account, decision: Decision<'_>) -> Option<String> {
        let phone = account.phone()?;
        Some(link(phone, &self.text(account, decision)))
    }
}

/// `https://wa.me/628…?text=…`.
pub fn link(phone: &PhoneNumber, text: &str) -> String {
    format!("{}?text={}", phone.wa_me_link(), url_encode(text))
}

/// A reason as officers type it, ending with a full stop so the next sentence reads on.
fn sentence(reason: &str) -> String {
    let reason = reason.trim();
    if reason.ends_with(['.', '!', '?']) { reason.to_owned() } else { format!("{reason}.") }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_url_encoded() {
        assert_eq!(url_encode("Kode: AB-12 ok"), "Kode%3A%20AB-12%20ok");
        assert_eq!(url_encode("é"), "%C3%A9");
    }

    #[test]
    fn reasons_end_as_sentences() {
        assert_eq!(sentence("Foto KTP buram "), "Foto KTP buram.");
        assert_eq!(sentence("Foto KTP buram!"), "Foto KTP buram!");
    }

    #[test]
    fn an_unregistered_account_has_no_link_and_no_nik() {
        let messages = Messages::new("https://layanan.example/");
        let account = Account::default();
        assert_eq!(messages.link(&account, Decision::AccountApproved), None);
        let text = messages.text(&account, Decision::AccountApproved);
        assert!(text.contains("https://layanan.example/masuk "), "{text}");
    }
}
