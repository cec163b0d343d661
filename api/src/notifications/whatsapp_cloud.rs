//! WhatsApp through the WhatsApp Business Platform Cloud API: a template message (the name and
//! language approved in WhatsApp Manager, the body parameters in order), POSTed with a bearer
//! token to `{WHATSAPP_API_URL}/{WHATSAPP_PHONE_NUMBER_ID}/messages`. The same format serves a
//! local gateway, which may also drop duplicates by the `Idempotency-Key` header; Meta's API
//! ignores that header, so a retry after a lost answer can reach the resident twice there.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use domain::notification::Templates;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::channel::{Outgoing, SendError, Sender};

/// Cloud API error codes that mean "later", though they come with a 4xx: throughput and rate
/// limits, temporary unavailability
/// (<https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes>).
const TRANSIENT_CODES: [i64; 9] = [1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004];

/// Sends template messages to the Cloud API (or a gateway speaking its format).
pub struct CloudSender {
    client: reqwest::Client,
    endpoint: String,
    token: String,
    templates: Arc<Templates>,
    public_url: String,
}

impl CloudSender {
    /// Fails when the phone number id or the token is missing, or the client cannot be built.
    pub fn new(
        base_url: &str,
        phone_number_id: &str,
        token: &str,
        timeout: Duration,
        templates: Arc<Templates>,
        public_url: &str,
    ) -> anyhow::Result<Self> {
        let phone_number_id = phone_number_id.trim();
        if phone_number_id.is_empty() {
            bail!("NOTIFY_WHATSAPP=cloud needs WHATSAPP_PHONE_NUMBER_ID");
        }
        if token.trim().is_empty() {
            bail!("NOTIFY_WHATSAPP=cloud needs WHATSAPP_TOKEN");
        }
        let base = base_url.trim().trim_end_matches('/');
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            bail!("WHATSAPP_API_URL must be an http(s) URL, not {base:?}");
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect would carry the message (and, to the same host, the token) elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("dukcapil/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("cannot build the WhatsApp HTTP client")?;
        Ok(Self {
            client,
            endpoint: format!("{base}/{phone_number_id}/messages"),
            token: token.trim().to_owned(),
            templates,
            public_url: public_url.to_owned(),
        })
    }

    /// The request body for one message, in the Cloud API's template message format.
    pub fn body(&self, message: &Outgoing) -> Result<Value, SendError> {
        let wa = self
            .templates
            .whatsapp(message.template, &message.params, &self.public_url)
            .map_err(|e| SendError::Refused(e.to_string()))?;
        let parameters: Vec<Value> = wa.parameters.iter().map(|text| json!({ "type": "text", "text": text })).collect();
        Ok(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to,
            "type": "template",
            "template": {
                "name": wa.name,
                "language": { "code": wa.language },
                "components": [{ "type": "body", "parameters": parameters }],
            },
        }))
    }

    async fn deliver(&self, message: &Outgoing) -> Result<(), SendError> {
        let body = self.body(message)?;
        let response = self
            .client
            .post(&self.endpoint)
            .bearer_auth(&self.token)
            .header("Idempotency-Key", &message.key)
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::Failed(transport_error(&e)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        // The answer's text is the gateway's: it never holds our token.
        let text = response.text().await.unwrap_or_default();
        let detail = error_detail(status, &text);
        let code = serde_json::from_str::<Value>(&text).ok().and_then(|v| v["error"]["code"].as_i64());
        let later = status.is_server_error()
            || matches!(status.as_u16(), 401 | 403 | 408 | 429)
            || code.is_some_and(|c| TRANSIENT_CODES.contains(&c));
        Err(if later { SendError::Failed(detail) } else { SendError::Refused(detail) })
    }
}

impl Sender for CloudSender {
    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<(), SendError>> {
        self.deliver(message).boxed()
    }
}

fn transport_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the WhatsApp gateway did not answer in time".to_owned()
    } else if e.is_connect() {
        format!("cannot connect to the WhatsApp gateway: {e}")
    } else {
        format!("WhatsApp gateway: {e}")
    }
}

/// `HTTP 400: (#131026) Message undeliverable` from a Cloud API error answer, or the start of
/// whatever else the gateway said.
fn error_detail(status: reqwest::StatusCode, text: &str) -> String {
    let parsed = serde_json::from_str::<Value>(text).ok();
    let error = parsed.as_ref().map(|v| &v["error"]);
    match error.and_then(|e| e["message"].as_str().map(|m| (e, m))) {
        Some((e, message)) => {
            let code = e["code"]
                .as_i64()
                .map(|c| format!("(#{c}) "))
                .filter(|c| !message.starts_with(c.trim_end()))
                .unwrap_or_default();
            let details = e["error_data"]["details"].as_str().map(|d| format!(": {d}")).unwrap_or_default();
            format!("HTTP {}: {code}{message}{details}", status.as_u16())
        }
        None => format!("HTTP {}: {}", status.as_u16(), text.chars().take(200).collect::<String>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_api_errors_are_summarised() {
        let body = r#"{"error":{"message":"(#131030) Recipient phone number not in allowed list","type":"OAuthException","code":131030,"error_data":{"messaging_product":"whatsapp","details":"Add the number"},"fbtrace_id":"x"}}"#;
        assert_eq!(
            error_detail(reqwest::StatusCode::BAD_REQUEST, body),
            "HTTP 400: (#131030) Recipient phone number not in allowed list: Add the number"
        );
        assert_eq!(error_detail(reqwest::StatusCode::BAD_GATEWAY, "<html>"), "HTTP 502: <html>");
    }
}
