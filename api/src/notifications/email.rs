//! E-mail over SMTP (`lettre`): a multipart/alternative message, plain text and a small HTML
//! part, whose `Message-ID` is derived from the idempotency key, so a resend after a crash is
//! recognisably the same message (mail clients and many servers fold duplicates by it).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use domain::notification::Templates;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use super::channel::{Outgoing, SendError, Sender};

/// Sends rendered e-mails through one SMTP server.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The right-hand side of Message-IDs: the portal's host.
    id_domain: String,
    templates: Arc<Templates>,
    public_url: String,
}

impl SmtpSender {
    /// Fails when `SMTP_URL` or `EMAIL_FROM` is missing or malformed.
    pub fn new(
        smtp_url: &str,
        from: &str,
        timeout: Duration,
        templates: Arc<Templates>,
        public_url: &str,
    ) -> anyhow::Result<Self> {
        if smtp_url.trim().is_empty() {
            bail!("NOTIFY_EMAIL=smtp needs SMTP_URL (e.g. smtps://user:pass@mail.example:465)");
        }
        if from.trim().is_empty() {
            bail!("NOTIFY_EMAIL=smtp needs EMAIL_FROM (e.g. Dukcapil Kapuas Hulu <noreply@dukcapil.example.go.id>)");
        }
        let from: Mailbox = from.trim().parse().with_context(|| format!("EMAIL_FROM {from:?} is not an address"))?;
        // The URL holds the password: never echo it.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url.trim())
            .map_err(|e| anyhow::anyhow!("SMTP_URL is not a valid smtp:// or smtps:// URL ({})", kind(&e)))?
            .timeout(Some(timeout))
            .build();
        Ok(Self { transport, from, id_domain: host_of(public_url), templates, public_url: public_url.to_owned() })
    }

    /// The message as it goes over the wire.
    pub fn message(&self, message: &Outgoing) -> Result<Message, SendError> {
        let rendered = self
            .templates
            .render(message.template, &message.params, &self.public_url)
            .map_err(|e| SendError::Refused(e.to_string()))?;
        let to: Mailbox =
            message.to.parse().map_err(|_| SendError::Refused("the recipient is not an e-mail address".into()))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(message_id(&message.key, &self.id_domain)))
            .multipart(MultiPart::alternative_plain_html(rendered.text, rendered.html))
            .map_err(|e| SendError::Refused(format!("cannot build the e-mail: {e}")))
    }

    async fn deliver(&self, message: &Outgoing) -> Result<(), SendError> {
        let email = self.message(message)?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Refused(format!("SMTP: {e}"))),
            Err(e) => Err(SendError::Failed(format!("SMTP: {e}"))),
        }
    }
}

impl Sender for SmtpSender {
    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<(), SendError>> {
        self.deliver(message).boxed()
    }
}

/// `<key@host>`, the key's characters that a msg-id may not hold (`:`, spaces, …) written `_`.
pub fn message_id(key: &str, domain: &str) -> String {
    let local: String =
        key.chars().map(|c| if c.is_ascii_alphanumeric() || "-_+=".contains(c) { c } else { '_' }).collect();
    format!("<{local}@{domain}>")
}

/// `dukcapil.example.go.id` from `https://dukcapil.example.go.id:8443/x`.
fn host_of(public_url: &str) -> String {
    let rest = public_url.trim().split_once("://").map_or(public_url.trim(), |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') { host } else { host.split(':').next().unwrap_or_default() };
    if host.is_empty() { "localhost".to_owned() } else { host.to_owned() }
}

/// What kind of URL problem, without the URL itself.
fn kind(e: &lettre::transport::smtp::Error) -> &'static str {
    if e.is_client() { "unknown scheme or parameter" } else { "malformed" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_come_from_the_key_and_the_portal_host() {
        assert_eq!(host_of("https://dukcapil.example.go.id:8443/portal"), "dukcapil.example.go.id");
        assert_eq!(host_of("http://localhost:8080"), "localhost");
        assert_eq!(message_id("0190c2a4-7e1b:EMAIL", "a.id"), "<0190c2a4-7e1b_EMAIL@a.id>");
        assert_eq!(message_id("a b<c>", "a.id"), "<a_b_c_@a.id>");
    }
}
