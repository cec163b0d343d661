//! What residents are told and by which channel. The outbox projection decides *which* message
//! an event causes and fills its variables; the templates (`catalogue/notifications.toml`, data
//! not code) decide the words; the delivery worker decides *when* it goes out.

use std::collections::BTreeMap;

mod templates;

pub use templates::{Rendered, TemplateError, Templates, WhatsAppMessage, portal_link};

/// The templates shipped with the code (`catalogue/notifications.toml`), used unless
/// `NOTIFICATION_TEMPLATES_FILE` names another file.
pub const BUILT_IN_TEMPLATES: &str = include_str!("../../catalogue/notifications.toml");

crate::spelled::spelled_enum! {
    /// A way of reaching a resident. `as_str` is the stored spelling
    /// (`notification_outbox.channel`) and the idempotency key's suffix.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Channel: UnknownName {
        /// The resident's registered number (`628…`), through the WhatsApp gateway.
        WhatsApp = "WHATSAPP",
        /// The e-mail address the resident gave, if any.
        Email = "EMAIL",
    }
}

crate::spelled::spelled_enum! {
    /// Where an outbox message stands: `as_str` is the stored spelling
    /// (`notification_outbox.state`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum DeliveryState: UnknownName {
        /// Waiting to be sent, or being retried.
        Pending = "PENDING",
        Sent = "SENT",
        /// Given up on (refused, or failed too often); a supervisor may send it again.
        Dead = "DEAD",
        /// Not sent: the resident turned the channel off, or it was no longer worth sending.
        Skipped = "SKIPPED",
    }
}

/// A stored name that no variant spells: the database holds something this build does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown name {0:?}")]
pub struct UnknownName(pub String);

crate::spelled::spelled_enum! {
    /// The messages the service sends. Each has a template in `catalogue/notifications.toml`
    /// under its `as_str` key (also its stored spelling), which may use exactly the variables
    /// of [`Template::variables`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Template: UnknownName {
        AccountApproved = "account_approved",
        AccountRejected = "account_rejected",
        /// The password-reset code, sent to the registered WhatsApp number only.
        ResetCode = "reset_code",
        ReuploadDemanded = "reupload_demanded",
        RequestCompleted = "request_completed",
        ReadyForPickup = "ready_for_pickup",
        RequestRejected = "request_rejected",
        LegacyAccessGranted = "legacy_access_granted",
    }
}

impl Template {
    /// The variables the outbox fills for this message. Values are final text, except those
    /// whose name starts with `tautan`: a path on the portal, joined to `PUBLIC_URL` when the
    /// message is rendered (so a moved portal does not need the outbox rewritten).
    pub const fn variables(self) -> &'static [&'static str] {
        match self {
            Self::AccountApproved => &["nama", "nik", "tautan"],
            Self::AccountRejected => &["nama", "nik", "alasan", "tautan"],
            Self::ResetCode => &["nama", "kode", "berlaku_sampai"],
            Self::ReuploadDemanded => &["nama", "nomor", "layanan", "dokumen", "tautan"],
            Self::RequestCompleted => &["nama", "nomor", "layanan", "tautan"],
            Self::ReadyForPickup => &["nama", "nomor", "layanan", "tempat", "mulai"],
            Self::RequestRejected => &["nama", "nomor", "layanan", "alasan", "tautan"],
            Self::LegacyAccessGranted => &["nama", "nik", "sampai", "tautan"],
        }
    }

    /// Whether a resident's opt-out of a channel stops this message. The reset code is the
    /// answer to the resident's own request and has no other way to reach them.
    pub const fn can_opt_out(self) -> bool {
        !matches!(self, Self::ResetCode)
    }

    /// The channels this message goes out on (before the resident's choices).
    pub const fn channels(self) -> &'static [Channel] {
        match self {
            Self::ResetCode => &[Channel::WhatsApp],
            _ => &Channel::ALL,
        }
    }
}

/// A message's variables, by name.
pub type Params = BTreeMap<String, String>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_reads_back() {
        for t in Template::ALL {
            assert_eq!(t.as_str().parse::<Template>(), Ok(t));
        }
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(c));
        }
        for s in DeliveryState::ALL {
            assert_eq!(s.as_str().parse::<DeliveryState>(), Ok(s));
        }
        assert!("sms".parse::<Channel>().is_err());
        assert!("pending".parse::<DeliveryState>().is_err());
    }

    #[test]
    fn only_the_reset_code_ignores_opt_outs_and_skips_email() {
        assert!(!Template::ResetCode.can_opt_out());
        assert_eq!(Template::ResetCode.channels(), &[Channel::WhatsApp]);
        assert!(Template::ALL.iter().filter(|t| **t != Template::ResetCode).all(|t| t.can_opt_out()));
    }
}
