//! The notification channels against real protocol peers: the Cloud API sender against a local
//! HTTP gateway, the SMTP sender against a real SMTP server on loopback, the log channel through
//! a real tracing subscriber. No server or database: these are the senders the delivery worker
//! calls, and what they do on each kind of answer.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use api::notifications::email::{SmtpSender, message_id};
use api::notifications::whatsapp_cloud::CloudSender;
use api::notifications::{NotificationConfig, Outgoing, SendError, Senders};
use domain::notification::{BUILT_IN_TEMPLATES, Channel, Params, Template, Templates};
use e2e::gateway::WhatsAppGateway;
use e2e::smtp::SmtpPeer;
use serde_json::json;

const PUBLIC_URL: &str = "https://layanan.dukcapil.example.go.id";
const TOKEN: &str = "EAAG-secret-token-123";
const WAIT: Duration = Duration::from_secs(10);

fn templates() -> anyhow::Result<Arc<Templates>> {
    Ok(Arc::new(Templates::parse(BUILT_IN_TEMPLATES)?))
}

fn params(pairs: &[(&str, &str)]) -> Params {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn approved(to: &str, channel: Channel) -> Outgoing {
    Outgoing {
        key: format!("0190c2a4-7e1b-7cc0-9a31-5d2f8e4b6a10:{}", channel.as_str()),
        channel,
        to: to.to_owned(),
        template: Template::AccountApproved,
        params: params(&[("nama", "Siti Aminah"), ("nik", "6106••••••••0001"), ("tautan", "/masuk")]),
    }
}

fn completed(to: &str) -> Outgoing {
    Outgoing {
        key: "42:EMAIL".into(),
        channel: Channel::Email,
        to: to.to_owned(),
        template: Template::RequestCompleted,
        params: params(&[
            ("nama", "Siti Aminah"),
            ("nomor", "2026-000123"),
            ("layanan", "Akta Kelahiran"),
            ("tautan", "/beranda"),
        ]),
    }
}

fn cloud(gateway: &WhatsAppGateway, timeout: Duration) -> anyhow::Result<CloudSender> {
    CloudSender::new(&gateway.url(), "109876543210", TOKEN, timeout, templates()?, PUBLIC_URL)
}

fn smtp(peer: &SmtpPeer) -> anyhow::Result<SmtpSender> {
    SmtpSender::new(
        &peer.url(),
        "Dukcapil Kapuas Hulu <noreply@dukcapil.example.go.id>",
        Duration::from_secs(5),
        templates()?,
        PUBLIC_URL,
    )
}

#[tokio::test]
async fn whatsapp_messages_reach_the_gateway_in_the_cloud_api_template_shape() -> anyhow::Result<()> {
    let gateway = WhatsAppGateway::start().await?;
    let sender = cloud(&gateway, Duration::from_secs(5))?;
    let message = approved("6281234567789", Channel::WhatsApp);
    api::notifications::Sender::send(&sender, &message).await?;

    let accepted = gateway.wait_for(1, WAIT).await?;
    let got = &accepted[0];
    assert_eq!(got.phone_number_id, "109876543210");
    assert_eq!(got.authorization.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(got.key.as_deref(), Some(message.key.as_str()));
    assert_eq!(
        got.body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "6281234567789",
            "type": "template",
            "template": {
                "name": "akun_diverifikasi",
                "language": { "code": "id" },
                "components": [{ "type": "body", "parameters": [
                    { "type": "text", "text": "Siti Aminah" },
                    { "type": "text", "text": "6106••••••••0001" },
                    { "type": "text", "text": "https://layanan.dukcapil.example.go.id/masuk" },
                ] }],
            },
        })
    );
    assert_eq!(gateway.attempts(), 1);
    Ok(())
}

#[tokio::test]
async fn an_unavailable_gateway_is_a_failure_to_retry_and_the_retry_arrives_once() -> anyhow::Result<()> {
    let gateway = WhatsAppGateway::start().await?;
    let sender = cloud(&gateway, Duration::from_secs(5))?;
    let message = approved("6281234567789", Channel::WhatsApp);
    gateway.fail_next(2);
    for _ in 0..2 {
        let err = api::notifications::Sender::send(&sender, &message).await.err();
        assert!(matches!(&err, Some(SendError::Failed(e)) if e.contains("503")), "{err:?}");
    }
    api::notifications::Sender::send(&sender, &message).await?;
    assert_eq!(gateway.attempts(), 3);
    assert_eq!(gateway.accepted().len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_gateway_that_does_not_answer_fails_within_the_timeout() -> anyhow::Result<()> {
    let gateway = WhatsAppGateway::start().await?;
    let sender = cloud(&gateway, Duration::from_secs(1))?;
    let message = approved("6281234567789", Channel::WhatsApp);
    gateway.hang_once(Duration::from_secs(30));
    let started = Instant::now();
    let err = api::notifications::Sender::send(&sender, &message).await.err();
    let waited = started.elapsed();
    assert!(matches!(&err, Some(SendError::Failed(e)) if e.contains("in time")), "{err:?}");
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(5), "{waited:?}");

    // The gateway had taken the message before its answer was lost: the retry carries the same
    // key, so a gateway honouring it keeps one message.
    api::notifications::Sender::send(&sender, &message).await?;
    assert_eq!((gateway.accepted().len(), gateway.duplicates(), gateway.attempts()), (1, 1, 2));
    Ok(())
}

#[tokio::test]
async fn a_number_the_gateway_refuses_is_refused_with_its_reason_and_without_the_token() -> anyhow::Result<()> {
    let gateway = WhatsAppGateway::start().await?;
    let sender = cloud(&gateway, Duration::from_secs(5))?;
    gateway.refuse("6289999999999");
    let err = api::notifications::Sender::send(&sender, &approved("6289999999999", Channel::WhatsApp)).await.err();
    let Some(SendError::Refused(reason)) = err else { anyhow::bail!("expected a refusal, got {err:?}") };
    assert!(reason.contains("HTTP 400") && reason.contains("#131026") && reason.contains("undeliverable"), "{reason}");
    assert!(!reason.contains(TOKEN));
    assert!(gateway.accepted().is_empty());
    Ok(())
}

#[tokio::test]
async fn a_closed_gateway_port_is_a_failure() -> anyhow::Result<()> {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let sender =
        CloudSender::new(&format!("http://{closed}"), "1", TOKEN, Duration::from_secs(2), templates()?, PUBLIC_URL)?;
    let err = api::notifications::Sender::send(&sender, &approved("6281234567789", Channel::WhatsApp)).await.err();
    assert!(matches!(&err, Some(SendError::Failed(e)) if e.contains("connect")), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn emails_arrive_as_text_and_html_with_the_message_id_from_the_key() -> anyhow::Result<()> {
    let peer = SmtpPeer::start().await?;
    let sender = smtp(&peer)?;
    let message = completed("siti.aminah@example.co.id");
    api::notifications::Sender::send(&sender, &message).await?;

    let mails = peer.wait_for(1, WAIT).await?;
    let mail = &mails[0];
    assert_eq!(mail.from, "noreply@dukcapil.example.go.id");
    assert_eq!(mail.to, ["siti.aminah@example.co.id"]);
    assert_eq!(mail.message_id().as_deref(), Some("<42_EMAIL@layanan.dukcapil.example.go.id>"));
    assert_eq!(mail.message_id(), Some(message_id(&message.key, "layanan.dukcapil.example.go.id")));
    assert_eq!(mail.subject().as_deref(), Some("Pengajuan 2026-000123 telah selesai"));
    let content_type = mail.header("Content-Type").context("Content-Type")?;
    assert!(content_type.starts_with("multipart/alternative"), "{content_type}");

    let text = mail.part("text/plain").context("no text part")?;
    assert!(text.starts_with("Halo Siti Aminah,"), "{text}");
    assert!(text.contains("Pengajuan Akta Kelahiran Anda (nomor 2026-000123) telah selesai."), "{text}");
    assert!(text.contains("https://layanan.dukcapil.example.go.id/beranda"), "{text}");
    let html = mail.part("text/html").context("no HTML part")?;
    assert!(html.contains("<p>Halo Siti Aminah,</p>"), "{html}");
    assert!(
        html.contains(
            "<a href=\"https://layanan.dukcapil.example.go.id/beranda\">https://layanan.dukcapil.example.go.id/beranda</a>"
        ),
        "{html}"
    );
    assert_eq!(peer.attempts(), 1);
    Ok(())
}

#[tokio::test]
async fn an_indonesian_subject_with_non_ascii_survives_the_trip() -> anyhow::Result<()> {
    let peer = SmtpPeer::start().await?;
    let sender = smtp(&peer)?;
    let mut message = completed("siti@example.id");
    message.params.insert("nomor".into(), "2026–000124 “Kecamatan Putussibau Utara”".into());
    api::notifications::Sender::send(&sender, &message).await?;
    let mails = peer.wait_for(1, WAIT).await?;
    assert_eq!(mails[0].subject().as_deref(), Some("Pengajuan 2026–000124 “Kecamatan Putussibau Utara” telah selesai"));
    assert!(mails[0].part("text/html").is_some_and(|h| h.contains("&quot;") || h.contains('“')));
    Ok(())
}

#[tokio::test]
async fn smtp_451_is_a_failure_to_retry_and_550_a_refusal() -> anyhow::Result<()> {
    let peer = SmtpPeer::start().await?;
    let sender = smtp(&peer)?;
    let message = completed("siti@example.id");

    peer.fail_next(1);
    let err = api::notifications::Sender::send(&sender, &message).await.err();
    assert!(matches!(&err, Some(SendError::Failed(e)) if e.contains("451")), "{err:?}");
    assert!(peer.mails().is_empty());
    api::notifications::Sender::send(&sender, &message).await?;
    assert_eq!((peer.attempts(), peer.wait_for(1, WAIT).await?.len()), (2, 1));

    peer.refuse("hilang@example.id");
    let err = api::notifications::Sender::send(&sender, &completed("hilang@example.id")).await.err();
    assert!(matches!(&err, Some(SendError::Refused(e)) if e.contains("550")), "{err:?}");
    assert_eq!(peer.mails().len(), 1);
    Ok(())
}

#[tokio::test]
async fn an_smtp_server_that_is_not_there_is_a_failure() -> anyhow::Result<()> {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let sender =
        SmtpSender::new(&format!("smtp://{closed}"), "a@b.id", Duration::from_secs(2), templates()?, PUBLIC_URL)?;
    let err = api::notifications::Sender::send(&sender, &completed("siti@example.id")).await.err();
    assert!(matches!(err, Some(SendError::Failed(_))), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn the_configured_senders_reach_the_configured_peers() -> anyhow::Result<()> {
    let gateway = WhatsAppGateway::start().await?;
    let peer = SmtpPeer::start().await?;
    let (gateway_url, smtp_url) = (gateway.url(), peer.url());
    let config = api::Config::from_args([
        "--public-url",
        PUBLIC_URL,
        "--notify-whatsapp",
        "cloud",
        "--whatsapp-api-url",
        &gateway_url,
        "--whatsapp-phone-number-id",
        "55",
        "--whatsapp-token",
        TOKEN,
        "--notify-email",
        "smtp",
        "--smtp-url",
        &smtp_url,
        "--email-from",
        "noreply@dukcapil.example.go.id",
    ])?;
    let notifications: &NotificationConfig = &config.notifications;
    let senders = Senders::from_config(notifications, Arc::new(notifications.templates()?), &config.public_url)?;
    for channel in Channel::ALL {
        let to = if channel == Channel::Email { "siti@example.id" } else { "6281234567789" };
        senders.for_channel(channel).send(&approved(to, channel)).await?;
    }
    assert_eq!(gateway.wait_for(1, WAIT).await?[0].phone_number_id, "55");
    assert_eq!(peer.wait_for(1, WAIT).await?[0].subject().as_deref(), Some("Akun Anda telah diverifikasi"));
    Ok(())
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_log_channel_writes_the_message_with_recipient_and_reset_code_masked() -> anyhow::Result<()> {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let config = api::Config::from_args(["--public-url", PUBLIC_URL])?;
    let notifications = &config.notifications;
    let senders = Senders::from_config(notifications, Arc::new(notifications.templates()?), &config.public_url)?;
    let reset = Outgoing {
        key: "7:WHATSAPP".into(),
        channel: Channel::WhatsApp,
        to: "6281234567789".into(),
        template: Template::ResetCode,
        params: params(&[("nama", "Siti"), ("kode", "K7Q2-M9XP"), ("berlaku_sampai", "3 Desember 2026 10.32 WIB")]),
    };
    senders.for_channel(Channel::WhatsApp).send(&reset).await?;
    senders.for_channel(Channel::Email).send(&completed("siti@dukcapil.id")).await?;

    let log = String::from_utf8(captured.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone())?;
    assert!(log.contains("6281••••••789") && !log.contains("6281234567789"), "{log}");
    assert!(log.contains("•••••••XP") && !log.contains("K7Q2-M9XP") && !log.contains("K7Q2"), "{log}");
    assert!(log.contains("kode_reset_kata_sandi") && log.contains("berlaku sampai 3 Desember 2026 10.32 WIB"), "{log}");
    assert!(log.contains("s***@d***.id") && !log.contains("siti@dukcapil.id"), "{log}");
    assert!(log.contains("Pengajuan 2026-000123 telah selesai"), "{log}");
    Ok(())
}

#[tokio::test]
async fn an_off_channel_refuses_and_says_so() -> anyhow::Result<()> {
    let config = api::Config::from_args(["--notify-email", "off"])?;
    let notifications = &config.notifications;
    let senders = Senders::from_config(notifications, Arc::new(notifications.templates()?), &config.public_url)?;
    assert!(!senders.enabled(Channel::Email) && senders.enabled(Channel::WhatsApp));
    let err = senders.for_channel(Channel::Email).send(&completed("siti@example.id")).await.err();
    assert!(matches!(&err, Some(SendError::Refused(e)) if e.contains("NOTIFY_EMAIL=off")), "{err:?}");
    Ok(())
}
