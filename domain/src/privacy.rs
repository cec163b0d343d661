//! What auditors see of personal data in event payloads by default: masked. Secrets (password
//! and code hashes, sealed codes) are never shown, masked or not.

use serde_json::{Map, Value};
use uuid::Uuid;

/// Shown instead of a value that must not be shown.
pub const HIDDEN: &str = "[disembunyikan]";

/// Every event type the service writes (for validating filters).
pub const EVENT_TYPES: &[&str] = &[
    "StaffAccountCreated",
    "StaffRoleChanged",
    "StaffPasswordChanged",
    "StaffAccountDeactivated",
    "StaffSignedIn",
    "HolidayAdded",
    "HolidayRemoved",
    "OutageDeclared",
    "OutageEnded",
    "AccountRegistered",
    "AccountApproved",
    "AccountRejected",
    "ResidentSignedIn",
    "PasswordResetRequested",
    "PasswordResetApproved",
    "PasswordResetRejected",
    "PasswordResetCodeRefused",
    "PasswordChanged",
    "LegacyAccessGranted",
    "NotificationPreferencesChanged",
    "LegacyAccountImported",
    "RequestSubmitted",
    "RequestClaimed",
    "RequestReleased",
    "RequestReassigned",
    "ReuploadDemanded",
    "DocumentsReuploaded",
    "RequestCompleted",
    "ReadyForPickup",
    "DocumentCollected",
    "RequestRejected",
    "RequestCancelled",
];

/// What kind of personal data a payload key holds: the one list of personal fields, used both
/// to mask them for auditors ([`redact`]) and to seal them in the event store
/// ([`for_each_personal_mut`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalKind {
    Nik,
    Phone,
    Email,
    Name,
    /// A request form's values: every value is treated as personal (forms hold parents' NIKs,
    /// children's names and birth data; none of their values is needed in clear at rest).
    FormValues,
}

/// The personal kind of a payload key, if it is one.
pub fn personal_kind(key: &str) -> Option<PersonalKind> {
    match key {
        k if k == "nik" || k.starts_with("nik_") => Some(PersonalKind::Nik),
        "phone" => Some(PersonalKind::Phone),
        "email" => Some(PersonalKind::Email),
        "full_name" | "applicant_name" | "given_name" | "registered_name" => Some(PersonalKind::Name),
        "fields" => Some(PersonalKind::FormValues),
        _ => None,
    }
}

/// A personal value as the auditors' masked views show it (a form's values are hidden).
pub fn mask(kind: PersonalKind, value: &str) -> String {
    match kind {
        PersonalKind::Nik => mask_nik(value),
        PersonalKind::Phone => keep_ends(value, 4, 2),
        PersonalKind::Email => mask_email(value),
        PersonalKind::Name => initials(value),
        PersonalKind::FormValues => HIDDEN.to_owned(),
    }
}

/// Removes secrets; with `mask_personal`, also masks NIKs, phones, e-mails, names and form
/// values. Structure and every other value stay as stored.
pub fn redact(value: &Value, mask_personal: bool) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, v)| {
                    let shown = match (key.as_str(), mask_personal) {
                        ("password_hash" | "code_hash" | "sealed_code", _) => Value::from(HIDDEN),
                        (_, false) => redact(v, false),
                        (k, true) => match personal_kind(k) {
                            Some(PersonalKind::FormValues) => hide_values(v),
                            Some(kind) => mask_with(v, |s| mask(kind, s)),
                            None => redact(v, true),
                        },
                    };
                    (key.clone(), shown)
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| redact(v, mask_personal)).collect()),
        other => other.clone(),
    }
}

/// Shown instead of personal data whose subject was erased (their key destroyed).
pub const ERASED: &str = "[dihapus]";

/// A typed personal value of an event, or the mark that it was erased: once a subject's key is
/// destroyed their sealed fields read as [`ERASED`], which no `Nik` or `PhoneNumber` could
/// parse, and the history must still fold. Stored exactly as the value itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Erasable<T> {
    Known(T),
    Erased,
}

impl<T> Erasable<T> {
    /// The value, unless erased.
    pub fn known(self) -> Option<T> {
        match self {
            Self::Known(value) => Some(value),
            Self::Erased => None,
        }
    }

    /// The value by reference, unless erased.
    pub fn as_known(&self) -> Option<&T> {
        match self {
            Self::Known(value) => Some(value),
            Self::Erased => None,
        }
    }

    /// The value as `show` renders it, or [`ERASED`].
    pub fn shown(&self, show: impl FnOnce(&T) -> String) -> String {
        self.as_known().map_or_else(|| ERASED.to_owned(), show)
    }
}

impl<T> From<T> for Erasable<T> {
    fn from(value: T) -> Self {
        Self::Known(value)
    }
}

impl<T: serde::Serialize> serde::Serialize for Erasable<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Known(value) => value.serialize(serializer),
            Self::Erased => serializer.serialize_str(ERASED),
        }
    }
}

impl<'de, T: serde::de::DeserializeOwned> serde::Deserialize<'de> for Erasable<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        if raw.as_str() == Some(ERASED) {
            return Ok(Self::Erased);
        }
        T::deserialize(raw).map(Self::Known).map_err(serde::de::Error::custom)
    }
}

/// Calls `visit` with the path (`"AccountRegistered.nik"`, `"RequestSubmitted.fields.nama_anak"`)
/// and the value of every personal string in `payload`, so the caller can seal or open it in
/// place. Nulls (an absent e-mail) are not personal data and are left alone.
pub fn for_each_personal_mut(payload: &mut Value, visit: &mut impl FnMut(&str, &mut Value)) {
    fn walk(value: &mut Value, path: &mut String, visit: &mut impl FnMut(&str, &mut Value)) {
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                    match personal_kind(key) {
                        Some(PersonalKind::FormValues) => {
                            if let Value::Object(fields) = v {
                                for (name, field) in fields.iter_mut() {
                                    let len = path.len();
                                    path.push('.');
                                    path.push_str(name);
                                    if field.is_string() {
                                        visit(path, field);
                                    }
                                    path.truncate(len);
                                }
                            }
                        }
                        Some(_) if v.is_string() => visit(path, v),
                        _ => walk(v, path, visit),
                    }
                    path.truncate(len);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(item, path, visit);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    walk(payload, &mut String::new(), visit);
}

/// The data subject an event's personal fields belong to, whose key seals them: the resident
/// of an account or legacy-account stream, the resident (or staff member) a request or sign-in
/// names, a staff member of their own stream. `None` for streams about no person (the office
/// calendar).
pub fn subject_of(aggregate_type: &str, aggregate_id: &str, payload: &Value) -> Option<Uuid> {
    let named = |field: &str| {
        payload.as_object().and_then(|m| m.values().next()).and_then(|body| body.get(field)).and_then(Value::as_str)
    };
    let id = match aggregate_type {
        "Account" | "LegacyAccount" | "StaffAccount" => Some(aggregate_id),
        "ServiceRequest" => named("account_id"),
        "SignIn" => named("account_id").or_else(|| named("staff_id")),
        _ => None,
    }?;
    Uuid::parse_str(id).ok()
}

fn mask_with(value: &Value, mask: impl Fn(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::from(mask(s)),
        Value::Null => Value::Null,
        _ => Value::from(HIDDEN),
    }
}

fn hide_values(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.keys().map(|k| (k.clone(), Value::from(HIDDEN))).collect()),
        _ => Value::from(HIDDEN),
    }
}

fn mask_nik(s: &str) -> String {
    if s.len() == 16 && s.is_ascii() { format!("{}********{}", &s[..4], &s[12..]) } else { HIDDEN.to_owned() }
}

fn keep_ends(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let middle = "*".repeat(chars.len() - head - tail);
    format!(
        "{}{middle}{}",
        chars[..head].iter().collect::<String>(),
        chars[chars.len() - tail..].iter().collect::<String>()
    )
}

fn mask_email(s: &str) -> String {
    match s.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => HIDDEN.to_owned(),
    }
}

fn initials(s: &str) -> String {
    s.split_whitespace().filter_map(|w| w.chars().next()).map(|c| format!("{c}.")).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn registered() -> Value {
        json!({ "AccountRegistered": {
            "nik": "6106015205900001", "full_name": "Siti Aminah", "phone": "6281234567890",
            "email": "siti@example.co.id", "password_hash": "$argon2id$…",
            "documents": { "identity": "a" } } })
    }

    #[test]
    fn masked_by_default() {
        let masked = redact(&registered(), true);
        let body = &masked["AccountRegistered"];
        assert_eq!(body["nik"], "6106********0001");
        assert_eq!(body["full_name"], "S. A.");
        assert_eq!(body["phone"], "6281*******90");
        assert_eq!(body["email"], "s***@example.co.id");
        assert_eq!(body["password_hash"], HIDDEN);
        assert_eq!(body["documents"]["identity"], "a");
    }

    #[test]
    fn a_single_record_shows_personal_data_but_never_secrets() {
        let shown = redact(&registered(), false);
        assert_eq!(shown["AccountRegistered"]["nik"], "6106015205900001");
        assert_eq!(shown["AccountRegistered"]["password_hash"], HIDDEN);
    }

    #[test]
    fn form_values_and_nested_niks_are_masked() {
        let submitted = json!({ "RequestSubmitted": { "fields": { "nik_ibu": "6106015205900001", "nama_anak": "Dayang" },
            "applicant_name": "Siti Aminah" } });
        let masked = redact(&submitted, true);
        assert_eq!(masked["RequestSubmitted"]["fields"]["nama_anak"], HIDDEN);
        assert_eq!(masked["RequestSubmitted"]["applicant_name"], "S. A.");
    }

    #[test]
    fn every_personal_string_is_visited_with_its_path() {
        let mut submitted = json!({ "RequestSubmitted": { "account_id": "x", "applicant_name": "Siti Aminah",
            "fields": { "nik_ibu": "6106015205900001", "nama_anak": "Dayang", "jumlah": 2 },
            "documents": [{ "code": "KK", "nik": "6106015205900002" }], "service_name": "Akta" } });
        let mut seen = Vec::new();
        for_each_personal_mut(&mut submitted, &mut |path, value| {
            seen.push(path.to_owned());
            *value = Value::from("sealed");
        });
        seen.sort();
        assert_eq!(
            seen,
            [
                "RequestSubmitted.applicant_name",
                "RequestSubmitted.documents[0].nik",
                "RequestSubmitted.fields.nama_anak",
                "RequestSubmitted.fields.nik_ibu",
            ]
        );
        assert_eq!(submitted["RequestSubmitted"]["service_name"], "Akta");
        assert_eq!(submitted["RequestSubmitted"]["fields"]["jumlah"], 2);
    }

    #[test]
    fn absent_optional_fields_are_not_visited() {
        let mut registered = json!({ "AccountRegistered": { "email": null, "password_hash": "h" } });
        let mut visits = 0;
        for_each_personal_mut(&mut registered, &mut |_, _| visits += 1);
        assert_eq!(visits, 0);
    }

    #[test]
    fn an_erased_value_folds_where_the_value_would_not_parse() {
        let known: Erasable<crate::nik::Nik> =
            serde_json::from_value(json!("6106015205900001")).unwrap_or(Erasable::Erased);
        assert!(known.as_known().is_some());
        assert_eq!(serde_json::to_value(&known).ok(), Some(json!("6106015205900001")), "stored as the value itself");
        let erased: Result<Erasable<crate::nik::Nik>, _> = serde_json::from_value(json!(ERASED));
        assert!(matches!(erased, Ok(Erasable::Erased)));
        assert_eq!(erased.map(|e| e.shown(|n| n.masked())).ok().as_deref(), Some(ERASED));
        let bad: Result<Erasable<crate::nik::Nik>, _> = serde_json::from_value(json!(12));
        assert!(bad.is_err(), "anything else must still be a value of the type");
    }

    #[test]
    fn each_event_belongs_to_the_person_it_is_about() {
        let id = Uuid::from_u128(7);
        let other = Uuid::from_u128(8).to_string();
        assert_eq!(subject_of("Account", &id.to_string(), &json!({ "AccountApproved": {} })), Some(id));
        let submitted = json!({ "RequestSubmitted": { "account_id": id.to_string() } });
        assert_eq!(subject_of("ServiceRequest", &other, &submitted), Some(id));
        let staff_sign_in = json!({ "StaffSignedIn": { "staff_id": id.to_string() } });
        assert_eq!(subject_of("SignIn", &other, &staff_sign_in), Some(id));
        assert_eq!(subject_of("OfficeCalendar", "office", &json!({ "HolidayAdded": {} })), None);
    }
}
