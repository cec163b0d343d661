//! What residents are told and by which channel. The outbox projection decides *which* message
//! an event causes and fills its variables; the templates (`catalogue/notifications.toml`, data
//! not code) decide the words; the delivery worker decides *when* it goes out.

use std::collections::BTreeMap;

mod templates;

pub use templates::{Rendered, TemplateError, Templates, WhatsAppMessage, portal_link};

/// The templates shipped with the code (`catalogue/notifications.toml`), used unless
/// `NOTIFICATION_TEMPLATES_FILE` names another file.
pub const BUILT_IN_TEMPLATES: &str = include_str!("../../catalogue/notifications.toml");

/// A way of reaching a resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// The resident's registered number (`628…`), through the WhatsApp gateway.
    WhatsApp,
    /// The e-mail address the resident gave, if any.
    Email,
}

impl Channel {
    pub const ALL: [Self; 2] = [Self::WhatsApp, Self::Email];

    /// The stored spelling (`notification_outbox.channel`) and the idempotency key's suffix.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::WhatsApp => "WHATSAPP",
            Self::Email => "EMAIL",
        }
    }
}

impl std::str::FromStr for Channel {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| UnknownName(s.to_owned()))
    }
}

/// A stored name that no variant spells: the database holds something this build does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown name {0:?}")]
pub struct UnknownName(pub String);

/// The messages the service sends. Each has a template in `catalogue/notifications.toml` under
/// its `as_str` key, which may use exactly the variables of [`Template::variables`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Template {
    AccountApproved,
    AccountRejected,
    /// The password-reset code, sent to the registered WhatsApp number only.
    ResetCode,
    ReuploadDemanded,
    RequestCompleted,
    ReadyForPickup,
    RequestRejected,
    LegacyAccessGranted,
}

impl Template {
    pub const ALL: [Self; 8] = [
        Self::AccountApproved,
        Self::AccountRejected,
        Self::ResetCode,
        Self::ReuploadDemanded,
        Self::RequestCompleted,
        Self::ReadyForPickup,
        Self::RequestRejected,
        Self::LegacyAccessGranted,
    ];

    /// The template's key in the catalogue and its stored spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AccountApproved => "account_approved",
            Self::AccountRejected => "account_rejected",
            Self::ResetCode => "reset_code",
            Self::ReuploadDemanded => "reupload_demanded",
            Self::RequestCompleted => "request_completed",
            Self::ReadyForPickup => "ready_for_pickup",
            Self::RequestRejected => "request_rejected",
            Self::LegacyAccessGranted => "legacy_access_granted",
        }
    }

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

impl std::str::FromStr for Template {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| UnknownName(s.to_owned()))
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
        assert!("sms".parse::<Channel>().is_err());
    }

    #[test]
    fn only_the_reset_code_ignores_opt_outs_and_skips_email() {
        assert!(!Template::ResetCode.can_opt_out());
        assert_eq!(Template::ResetCode.channels(), &[Channel::WhatsApp]);
        assert!(Template::ALL.iter().filter(|t| **t != Template::ResetCode).all(|t| t.can_opt_out()));
    }
}
