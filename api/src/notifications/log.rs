//! The `log` channel (development, and any office without a gateway yet): the message as the
//! resident would read it, written to the log with the recipient and the reset code masked, so
//! logs shipped to a collector hold neither a full number or address nor a usable code.

use std::sync::Arc;

use domain::notification::{Channel, Template, Templates};
use futures::FutureExt as _;
use futures::future::BoxFuture;

use super::channel::{Outgoing, SendError, Sender};

/// Writes each message to the log (`target: "notifications"`) instead of sending it.
pub struct LogSender {
    templates: Arc<Templates>,
    public_url: String,
}

impl LogSender {
    pub fn new(templates: Arc<Templates>, public_url: &str) -> Self {
        Self { templates, public_url: public_url.to_owned() }
    }

    /// The masked recipient and the text that is logged for `message`.
    pub fn describe(&self, message: &Outgoing) -> Result<(String, String), SendError> {
        let mut params = message.params.clone();
        if message.template == Template::ResetCode
            && let Some(code) = params.get_mut("kode")
        {
            *code = mask_code(code);
        }
        let refused = |e: domain::notification::TemplateError| SendError::Refused(e.to_string());
        match message.channel {
            Channel::WhatsApp => {
                let wa = self.templates.whatsapp(message.template, &params, &self.public_url).map_err(refused)?;
                Ok((mask_phone(&message.to), format!("[{}] {}", wa.name, wa.body)))
            }
            Channel::Email => {
                let mail = self.templates.render(message.template, &params, &self.public_url).map_err(refused)?;
                Ok((mask_email(&message.to), format!("{}\n\n{}", mail.subject, mail.text.trim_end())))
            }
        }
    }
}

impl Sender for LogSender {
    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<(), SendError>> {
        async move {
            let (to, text) = self.describe(message)?;
            tracing::info!(
                target: "notifications",
                channel = message.channel.as_str(),
                template = message.template.as_str(),
                key = %message.key,
                to = %to,
                text = %text,
                "notification (log channel, not sent)"
            );
            Ok(())
        }
        .boxed()
    }
}

/// The sender of a channel that is `off`: it refuses, so nothing is counted as delivered.
pub struct OffSender(pub &'static str);

impl Sender for OffSender {
    fn send<'a>(&'a self, _: &'a Outgoing) -> BoxFuture<'a, Result<(), SendError>> {
        let setting = self.0;
        async move { Err(SendError::Refused(format!("the channel is turned off ({setting})"))) }.boxed()
    }
}

/// `6281••••••789`: the country and operator prefix and the last three digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.trim().chars().collect();
    if chars.len() < 8 {
        return "•".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}{}{tail}", "•".repeat(chars.len() - 7))
}

/// `s***@d***.id`: first letters and the top-level domain only.
pub fn mask_email(address: &str) -> String {
    let Some((local, domain)) = address.trim().rsplit_once('@') else {
        return "***".to_owned();
    };
    let first = |s: &str| s.chars().next().map_or_else(|| "*".to_owned(), |c| c.to_string());
    let tld = domain.rsplit_once('.').map(|(_, t)| format!(".{t}")).unwrap_or_default();
    format!("{}***@{}***{tld}", first(local), first(domain))
}

/// A reset code with all but its last two characters hidden.
pub fn mask_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let shown = if chars.len() > 4 { 2 } else { 0 };
    let tail: String = chars[chars.len() - shown..].iter().collect();
    format!("{}{tail}", "•".repeat(chars.len() - shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_and_codes_are_masked() {
        assert_eq!(mask_phone("6281234567789"), "6281••••••789");
        assert_eq!(mask_phone("123"), "•••");
        assert_eq!(mask_email("siti@dukcapil.id"), "s***@d***.id");
        assert_eq!(mask_email("siti.aminah@mail.example.co.id"), "s***@m***.id");
        assert_eq!(mask_email("nobody"), "***");
        assert_eq!(mask_code("K7Q2-M9XP"), "•••••••XP");
        assert_eq!(mask_code("1234"), "••••");
    }
}
