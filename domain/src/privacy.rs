//! What auditors see of personal data in event payloads by default: masked. Secrets (password
//! and code hashes, sealed codes) are never shown, masked or not.

use serde_json::{Map, Value};

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

/// Removes secrets; with `mask_personal`, also masks NIKs, phones, e-mails, names and form
/// values. Structure and every other value stay as stored.
pub fn redact(value: &Value, mask_personal: bool) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, v)| {
                    let shown = match key.as_str() {
                        "password_hash" | "code_hash" | "sealed_code" => Value::from(HIDDEN),
                        _ if !mask_personal => redact(v, false),
                        k if k == "nik" || k.starts_with("nik_") => mask_with(v, mask_nik),
                        "phone" => mask_with(v, |s| keep_ends(s, 4, 2)),
                        "email" => mask_with(v, mask_email),
                        "full_name" | "applicant_name" | "given_name" | "registered_name" => mask_with(v, initials),
                        "fields" => hide_values(v),
                        _ => redact(v, true),
                    };
                    (key.clone(), shown)
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| redact(v, mask_personal)).collect()),
        other => other.clone(),
    }
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
}
