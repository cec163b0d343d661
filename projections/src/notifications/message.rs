//! Which message an event causes, to whom and on which channels: pure, so the rule is tested
//! without a database.

use chrono::{DateTime, Utc};
use domain::account::AccountEvent;
use domain::notification::{Channel, Params, Template};
use domain::request::RequestEvent;
use domain::working_time::format_wib;
use uuid::Uuid;

/// The one parameter of a message that is personal: the resident's name, held sealed in the
/// outbox like the recipient's address and opened by the worker (`outbox::claim`).
pub const NAME_PARAM: &str = "nama";

/// How a resident is reached (`notification_recipients`); names and addresses sealed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct Recipient {
    pub account_id: Uuid,
    pub full_name: String,
    pub nik_masked: String,
    pub phone: String,
    pub email: Option<String>,
    pub whatsapp_enabled: bool,
    pub email_enabled: bool,
}

/// What a request's messages mention (`notification_requests`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct RequestFacts {
    pub request_id: Uuid,
    pub account_id: Uuid,
    pub number: String,
    pub service_name: String,
    pub document_labels: sqlx::types::Json<std::collections::BTreeMap<String, String>>,
}

/// A message an event causes, before it is addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    pub template: Template,
    pub params: Params,
    pub request_id: Option<Uuid>,
    pub sealed_secret: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// One row of the outbox to write: a message on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Addressed {
    pub channel: Channel,
    pub to: String,
    /// `Some("OPTED_OUT")` when recorded but not to be sent.
    pub skipped: Option<&'static str>,
}

fn params(pairs: &[(&str, String)]) -> Params {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

fn message(template: Template, pairs: &[(&str, String)]) -> Message {
    Message { template, params: params(pairs), request_id: None, sealed_secret: None, expires_at: None }
}

/// The message an account event causes, if any.
pub(crate) fn for_account(event: &AccountEvent, to: &Recipient) -> Option<Message> {
    let name = || (NAME_PARAM, to.full_name.clone());
    let nik = || ("nik", to.nik_masked.clone());
    match event {
        AccountEvent::AccountApproved { .. } => {
            Some(message(Template::AccountApproved, &[name(), nik(), ("tautan", "/masuk".into())]))
        }
        AccountEvent::AccountRejected { reason, .. } => Some(message(
            Template::AccountRejected,
            &[name(), nik(), ("alasan", reason.as_str().to_owned()), ("tautan", "/daftar".into())],
        )),
        AccountEvent::PasswordResetApproved { expires_at, sealed_code: Some(sealed), .. } => Some(Message {
            sealed_secret: Some(sealed.clone()),
            expires_at: Some(*expires_at),
            // `kode` is filled in by the worker when it opens the sealed code.
            ..message(Template::ResetCode, &[name(), ("berlaku_sampai", format_wib(*expires_at))])
        }),
        AccountEvent::LegacyAccessGranted { until, .. } => Some(message(
            Template::LegacyAccessGranted,
            &[name(), nik(), ("sampai", format_wib(*until)), ("tautan", "/beranda".into())],
        )),
        _ => None,
    }
}

/// The message a request event causes, if any.
pub(crate) fn for_request(event: &RequestEvent, request: &RequestFacts, to: &Recipient) -> Option<Message> {
    let common = [
        (NAME_PARAM, to.full_name.clone()),
        ("nomor", request.number.clone()),
        ("layanan", request.service_name.clone()),
    ];
    let with = |template, extra: &[(&str, String)]| Message {
        request_id: Some(request.request_id),
        ..message(template, &[common.as_slice(), extra].concat())
    };
    match event {
        RequestEvent::ReuploadDemanded { items, .. } => {
            let documents = items
                .iter()
                .map(|item| {
                    let code = item.code.as_str();
                    let label = request.document_labels.get(code).map_or(code, String::as_str);
                    format!("{label} ({})", item.reason.as_str())
                })
                .collect::<Vec<_>>()
                .join("; ");
            Some(with(
                Template::ReuploadDemanded,
                &[("dokumen", documents), ("tautan", format!("/pengajuan/{}/upload-ulang", request.request_id))],
            ))
        }
        RequestEvent::RequestCompleted { .. } => {
            Some(with(Template::RequestCompleted, &[("tautan", "/beranda".into())]))
        }
        RequestEvent::ReadyForPickup { place, available_from, .. } => Some(with(
            Template::ReadyForPickup,
            &[("tempat", place.as_str().to_owned()), ("mulai", format_wib(*available_from))],
        )),
        RequestEvent::RequestRejected { reason, .. } => Some(with(
            Template::RequestRejected,
            &[("alasan", reason.as_str().to_owned()), ("tautan", "/beranda".into())],
        )),
        _ => None,
    }
}

/// The channels a message goes out on for this resident: a channel without an address is left
/// out; one the resident turned off is recorded as skipped (unless the message ignores
/// opt-outs, like the reset code).
pub(crate) fn address(template: Template, to: &Recipient) -> Vec<Addressed> {
    template
        .channels()
        .iter()
        .filter_map(|&channel| {
            let (address, enabled) = match channel {
                Channel::WhatsApp => (Some(to.phone.clone()), to.whatsapp_enabled),
                Channel::Email => (to.email.clone(), to.email_enabled),
            };
            let skipped = (!enabled && template.can_opt_out()).then_some("OPTED_OUT");
            address.map(|to| Addressed { channel, to, skipped })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::account::Reason;
    use domain::catalogue::DocumentCode;
    use domain::request::ReuploadItem;

    fn resident(email: Option<&str>) -> Recipient {
        Recipient {
            account_id: Uuid::nil(),
            full_name: "Siti Aminah".into(),
            nik_masked: "6106********0001".into(),
            phone: "6281234567890".into(),
            email: email.map(str::to_owned),
            whatsapp_enabled: true,
            email_enabled: true,
        }
    }

    fn reason(text: &str) -> Reason {
        Reason::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn an_approval_names_the_masked_nik_and_the_sign_in_page() {
        let message = for_account(&AccountEvent::AccountApproved { approved_at: Utc::now() }, &resident(None));
        let message = message.unwrap_or_else(|| panic!("no message"));
        assert_eq!(message.template, Template::AccountApproved);
        assert_eq!(message.params["nik"], "6106********0001");
        assert_eq!(message.params["tautan"], "/masuk");
        assert!(message.params.keys().all(|k| Template::AccountApproved.variables().contains(&k.as_str())));
    }

    #[test]
    fn a_reset_without_a_sealed_code_causes_no_message_and_one_with_it_carries_it_sealed() {
        let at = Utc::now();
        let unsealed = AccountEvent::PasswordResetApproved { code_hash: "h".into(), expires_at: at, sealed_code: None };
        assert_eq!(for_account(&unsealed, &resident(None)), None);
        let sealed = AccountEvent::PasswordResetApproved {
            code_hash: "h".into(),
            expires_at: at,
            sealed_code: Some("ab".into()),
        };
        let message = for_account(&sealed, &resident(None)).unwrap_or_else(|| panic!("no message"));
        assert_eq!(message.sealed_secret.as_deref(), Some("ab"));
        assert_eq!(message.expires_at, Some(at));
        assert!(!message.params.contains_key("kode"));
    }

    #[test]
    fn a_reupload_demand_names_each_document_by_its_label_and_reason() {
        let request = RequestFacts {
            request_id: Uuid::nil(),
            account_id: Uuid::nil(),
            number: "KH-2026-000002".into(),
            service_name: "Akta Kelahiran".into(),
            document_labels: sqlx::types::Json(
                [("SURAT_LAHIR".to_owned(), "Surat keterangan lahir".to_owned())].into(),
            ),
        };
        let code = |raw: &str| DocumentCode::parse(raw).unwrap_or_else(|e| panic!("{e}"));
        let event = RequestEvent::ReuploadDemanded {
            by: domain::staff::StaffId(Uuid::nil()),
            items: vec![
                ReuploadItem { code: code("SURAT_LAHIR"), reason: reason("Foto buram") },
                ReuploadItem { code: code("KK"), reason: reason("Terpotong") },
            ],
            at: Utc::now(),
        };
        let message = for_request(&event, &request, &resident(None)).unwrap_or_else(|| panic!("no message"));
        assert_eq!(message.params["dokumen"], "Surat keterangan lahir (Foto buram); KK (Terpotong)");
        assert_eq!(message.request_id, Some(Uuid::nil()));
        assert_eq!(message.params["tautan"], "/pengajuan/00000000-0000-0000-0000-000000000000/upload-ulang");
    }

    #[test]
    fn opt_outs_skip_what_may_be_skipped_and_no_address_means_no_row() {
        let mut to = resident(Some("siti@example.id"));
        to.whatsapp_enabled = false;
        let approved = address(Template::AccountApproved, &to);
        assert_eq!(approved.len(), 2);
        assert_eq!(approved[0].skipped, Some("OPTED_OUT"));
        assert_eq!(approved[1].skipped, None);
        assert_eq!(approved[1].to, "siti@example.id");
        let code = address(Template::ResetCode, &to);
        assert_eq!(code, vec![Addressed { channel: Channel::WhatsApp, to: "6281234567890".into(), skipped: None }]);
        assert_eq!(address(Template::RequestCompleted, &resident(None)).len(), 1);
    }
}
