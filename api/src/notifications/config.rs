//! The notification settings (part of [`crate::configuration::Config`]) and the senders they
//! choose. A channel set to `cloud` or `smtp` without what it needs stops the service at
//! start-up: finding out from the dead letters a day later is worse.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use domain::notification::{BUILT_IN_TEMPLATES, Channel, Templates};

use super::channel::Sender;
use super::email::SmtpSender;
use super::log::{LogSender, OffSender};
use super::whatsapp_cloud::CloudSender;

/// How WhatsApp messages leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WhatsAppMode {
    /// Written to the log, masked (development).
    Log,
    /// The WhatsApp Business Platform Cloud API (Meta, or a local gateway speaking its format).
    Cloud,
    /// Not sent at all.
    Off,
}

/// How e-mails leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EmailMode {
    /// Written to the log, masked (development).
    Log,
    /// An SMTP server (`SMTP_URL`).
    Smtp,
    /// Not sent at all.
    Off,
}

/// Notification channels, templates and the delivery worker's pace.
#[derive(Debug, Clone, Args)]
pub struct NotificationConfig {
    /// Notification templates file; the built-in `catalogue/notifications.toml` when unset.
    #[arg(long, env = "NOTIFICATION_TEMPLATES_FILE", global = true)]
    pub notification_templates_file: Option<PathBuf>,

    /// WhatsApp channel: `log`, `cloud` (Cloud API at `WHATSAPP_API_URL`) or `off`.
    #[arg(long, env = "NOTIFY_WHATSAPP", value_enum, default_value_t = WhatsAppMode::Log, global = true)]
    pub notify_whatsapp: WhatsAppMode,

    /// Base URL of the Cloud API, or of a local gateway that speaks its format.
    #[arg(long, env = "WHATSAPP_API_URL", default_value = "https://graph.facebook.com/v21.0", global = true)]
    pub whatsapp_api_url: String,

    /// The WhatsApp Business phone number id messages are sent from (required for `cloud`).
    #[arg(long, env = "WHATSAPP_PHONE_NUMBER_ID", default_value = "", global = true)]
    pub whatsapp_phone_number_id: String,

    /// Bearer token for the Cloud API (required for `cloud`).
    #[arg(long, env = "WHATSAPP_TOKEN", default_value = "", hide_env_values = true, global = true)]
    pub whatsapp_token: String,

    /// E-mail channel: `log`, `smtp` (through `SMTP_URL`) or `off`.
    #[arg(long, env = "NOTIFY_EMAIL", value_enum, default_value_t = EmailMode::Log, global = true)]
    pub notify_email: EmailMode,

    /// SMTP server, e.g. `smtps://user:pass@mail.example:465`,
    /// `smtp://user:pass@mail.example:587?tls=required`, `smtp://127.0.0.1:25` (required for `smtp`).
    #[arg(long, env = "SMTP_URL", default_value = "", hide_env_values = true, global = true)]
    pub smtp_url: String,

    /// Sender of the e-mails, e.g. `Dukcapil Kapuas Hulu <noreply@dukcapil.example.go.id>`
    /// (required for `smtp`).
    #[arg(long, env = "EMAIL_FROM", default_value = "", global = true)]
    pub email_from: String,

    /// One delivery attempt (HTTP request, SMTP conversation) gives up after this many seconds.
    #[arg(long, env = "NOTIFY_TIMEOUT_SECONDS", default_value_t = 10, global = true)]
    pub notify_timeout_seconds: u64,

    /// Attempts before a message becomes a dead letter.
    #[arg(long, env = "NOTIFY_MAX_ATTEMPTS", default_value_t = 8, global = true)]
    pub notify_max_attempts: u32,

    /// Wait after the first failure; doubled after each further one (with jitter).
    #[arg(long, env = "NOTIFY_RETRY_BASE_SECONDS", default_value_t = 30.0, global = true)]
    pub notify_retry_base_seconds: f64,

    /// The longest wait between two attempts.
    #[arg(long, env = "NOTIFY_RETRY_MAX_SECONDS", default_value_t = 3600.0, global = true)]
    pub notify_retry_max_seconds: f64,

    /// Messages one instance delivers at the same time.
    #[arg(long, env = "NOTIFY_CONCURRENCY", default_value_t = 4, global = true)]
    pub notify_concurrency: usize,

    /// How often the delivery worker looks for due messages, in milliseconds.
    #[arg(long, env = "NOTIFY_POLL_MS", default_value_t = 1000, global = true)]
    pub notify_poll_ms: u64,
}

impl NotificationConfig {
    /// The per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.notify_timeout_seconds.max(1))
    }

    /// The wait after the first failure.
    pub fn retry_base(&self) -> Duration {
        Duration::try_from_secs_f64(self.notify_retry_base_seconds).unwrap_or(Duration::from_secs(30))
    }

    /// The longest wait between attempts.
    pub fn retry_max(&self) -> Duration {
        Duration::try_from_secs_f64(self.notify_retry_max_seconds)
            .unwrap_or(Duration::from_secs(3600))
            .max(self.retry_base())
    }

    /// What the delivery worker of this instance does.
    pub fn worker(&self) -> crate::notifications::worker::WorkerSettings {
        crate::notifications::worker::WorkerSettings {
            max_attempts: self.notify_max_attempts,
            retry_base: self.retry_base(),
            retry_max: self.retry_max(),
            concurrency: self.notify_concurrency.max(1),
            poll: self.poll(),
            // Longer than any one send may take, so a lease only runs out on a dead worker.
            lease: self.timeout() * 3 + Duration::from_secs(5),
        }
    }

    /// The worker's polling interval.
    pub fn poll(&self) -> Duration {
        Duration::from_millis(self.notify_poll_ms.max(10))
    }

    /// Reads and checks the configured templates (or the built-in ones).
    pub fn templates(&self) -> anyhow::Result<Templates> {
        let source = match &self.notification_templates_file {
            Some(path) => std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
            None => BUILT_IN_TEMPLATES.to_owned(),
        };
        Templates::parse(&source).map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// One sender per channel, as configured.
#[derive(Clone)]
pub struct Senders {
    pub whatsapp: Arc<dyn Sender>,
    pub email: Arc<dyn Sender>,
    whatsapp_on: bool,
    email_on: bool,
}

impl std::fmt::Debug for Senders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Senders").field("whatsapp_on", &self.whatsapp_on).field("email_on", &self.email_on).finish()
    }
}

impl Senders {
    /// Builds the configured senders; `public_url` completes the `tautan…` links.
    pub fn from_config(
        config: &NotificationConfig,
        templates: Arc<Templates>,
        public_url: &str,
    ) -> anyhow::Result<Self> {
        let whatsapp: Arc<dyn Sender> = match config.notify_whatsapp {
            WhatsAppMode::Log => Arc::new(LogSender::new(templates.clone(), public_url)),
            WhatsAppMode::Off => Arc::new(OffSender("NOTIFY_WHATSAPP=off")),
            WhatsAppMode::Cloud => Arc::new(CloudSender::new(
                &config.whatsapp_api_url,
                &config.whatsapp_phone_number_id,
                &config.whatsapp_token,
                config.timeout(),
                templates.clone(),
                public_url,
            )?),
        };
        let email: Arc<dyn Sender> = match config.notify_email {
            EmailMode::Log => Arc::new(LogSender::new(templates.clone(), public_url)),
            EmailMode::Off => Arc::new(OffSender("NOTIFY_EMAIL=off")),
            EmailMode::Smtp => Arc::new(SmtpSender::new(
                &config.smtp_url,
                &config.email_from,
                config.timeout(),
                templates,
                public_url,
            )?),
        };
        Ok(Self {
            whatsapp,
            email,
            whatsapp_on: config.notify_whatsapp != WhatsAppMode::Off,
            email_on: config.notify_email != EmailMode::Off,
        })
    }

    /// The sender of a channel.
    pub fn for_channel(&self, channel: Channel) -> &dyn Sender {
        match channel {
            Channel::WhatsApp => self.whatsapp.as_ref(),
            Channel::Email => self.email.as_ref(),
        }
    }

    /// Whether a channel is configured at all (`off` is not): the outbox need not hold messages
    /// for a channel that is off, and an off channel's sender refuses everything.
    pub fn enabled(&self, channel: Channel) -> bool {
        match channel {
            Channel::WhatsApp => self.whatsapp_on,
            Channel::Email => self.email_on,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Only {
        #[command(flatten)]
        config: NotificationConfig,
    }

    fn parse(args: &[&str]) -> Result<NotificationConfig, clap::Error> {
        Only::try_parse_from(std::iter::once("x").chain(args.iter().copied())).map(|o| o.config)
    }

    fn senders(args: &[&str]) -> anyhow::Result<Senders> {
        let config = parse(args)?;
        Senders::from_config(&config, Arc::new(config.templates()?), "http://localhost:8080")
    }

    #[test]
    fn defaults_log_both_channels_with_the_documented_pace() -> anyhow::Result<()> {
        let config = parse(&[])?;
        assert_eq!((config.notify_whatsapp, config.notify_email), (WhatsAppMode::Log, EmailMode::Log));
        assert_eq!(config.whatsapp_api_url, "https://graph.facebook.com/v21.0");
        assert_eq!(config.timeout(), Duration::from_secs(10));
        assert_eq!(config.notify_max_attempts, 8);
        assert_eq!((config.retry_base(), config.retry_max()), (Duration::from_secs(30), Duration::from_secs(3600)));
        assert_eq!((config.notify_concurrency, config.poll()), (4, Duration::from_millis(1000)));
        let senders = senders(&[])?;
        assert!(senders.enabled(Channel::WhatsApp) && senders.enabled(Channel::Email));
        Ok(())
    }

    #[test]
    fn a_channel_without_what_it_needs_stops_the_start() -> anyhow::Result<()> {
        let err = senders(&["--notify-whatsapp", "cloud", "--whatsapp-token", "t"]).err().map(|e| e.to_string());
        assert!(err.as_deref().is_some_and(|e| e.contains("WHATSAPP_PHONE_NUMBER_ID")), "{err:?}");
        let err =
            senders(&["--notify-whatsapp", "cloud", "--whatsapp-phone-number-id", "1"]).err().map(|e| e.to_string());
        assert!(err.as_deref().is_some_and(|e| e.contains("WHATSAPP_TOKEN")), "{err:?}");
        let err = senders(&["--notify-email", "smtp", "--email-from", "a@b.id"]).err().map(|e| e.to_string());
        assert!(err.as_deref().is_some_and(|e| e.contains("SMTP_URL")), "{err:?}");
        let err =
            senders(&["--notify-email", "smtp", "--smtp-url", "smtp://127.0.0.1:2525"]).err().map(|e| e.to_string());
        assert!(err.as_deref().is_some_and(|e| e.contains("EMAIL_FROM")), "{err:?}");
        let err = senders(&["--notify-email", "smtp", "--smtp-url", "ftp://x", "--email-from", "a@b.id"]).err();
        assert!(err.is_some());
        let ok = senders(&[
            "--notify-whatsapp=cloud",
            "--whatsapp-token=t",
            "--whatsapp-phone-number-id=1",
            "--notify-email=off",
        ])?;
        assert!(ok.enabled(Channel::WhatsApp) && !ok.enabled(Channel::Email));
        Ok(())
    }

    #[test]
    fn a_broken_templates_file_stops_the_start() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("notify-templates-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("notifications.toml");
        std::fs::write(&path, BUILT_IN_TEMPLATES.replacen("{nama}", "{nmaa}", 1))?;
        let config = parse(&["--notification-templates-file", path.to_str().unwrap_or_default()])?;
        let err = config.templates().err().map(|e| e.to_string());
        std::fs::remove_dir_all(&dir)?;
        assert!(err.as_deref().is_some_and(|e| e.contains("nmaa")), "{err:?}");
        Ok(())
    }
}
