//! Keys from configuration: the NIK key (stream ids and one-time codes are keyed hashes, so
//! neither can be reversed or brute-forced without it) and the file encryption keys.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use domain::account::AccountId;
use domain::legacy::LegacyAccountId;
use domain::nik::Nik;

use crate::files::FileKeys;

/// Secret material of the service.
#[derive(Clone)]
pub struct Secrets {
    /// HMAC-SHA256 keyed with the NIK key, cloned for each hash.
    mac: Hmac<Sha256>,
    pub file_keys: FileKeys,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(***)")
    }
}

impl Secrets {
    /// Secrets from a 32-byte NIK key and the file keys.
    pub fn new(nik_key: [u8; 32], file_keys: FileKeys) -> Self {
        Self { mac: <Hmac<Sha256> as KeyInit>::new(&hmac_key_block(nik_key)), file_keys }
    }

    /// Keyed hash of `data` under a purpose label (domain separation).
    pub fn keyed_hash(&self, label: &str, data: &[u8]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// The account stream id of a NIK.
    pub fn account_id(&self, nik: &Nik) -> AccountId {
        AccountId(uuid_from(self.keyed_hash("account", nik.as_str().as_bytes())))
    }

    /// The legacy-account stream id of a NIK.
    pub fn legacy_account_id(&self, nik: &Nik) -> LegacyAccountId {
        LegacyAccountId(uuid_from(self.keyed_hash("legacy-account", nik.as_str().as_bytes())))
    }

    /// Throttle key of a NIK (never the NIK itself in the throttle table).
    pub fn nik_throttle_key(&self, nik: &str) -> String {
        format!("nik:{}", hex::encode(&self.keyed_hash("throttle", nik.as_bytes())[..16]))
    }

    /// Stored form of a one-time password-reset code.
    pub fn reset_code_hash(&self, account: AccountId, code: &str) -> String {
        let normalised: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_uppercase();
        hex::encode(self.keyed_hash("reset-code", format!("{account}:{normalised}").as_bytes()))
    }
}

impl Secrets {
    /// A reset code sealed for the notification outbox: only this service (holding the file
    /// keys) can read it back, and only for this account.
    pub fn seal_reset_code(&self, account: AccountId, code: &str) -> Result<String, crate::Error> {
        Ok(hex::encode(self.file_keys.seal_bound(&reset_code_aad(account), code.as_bytes())?))
    }

    /// The code [`Self::seal_reset_code`] sealed, or `None` when it was altered, sealed for
    /// another account or under a key no longer configured.
    pub fn open_reset_code(&self, account: AccountId, sealed: &str) -> Option<String> {
        let blob = hex::decode(sealed).ok()?;
        let plain = self.file_keys.open_bound(&reset_code_aad(account), &blob)?;
        String::from_utf8(plain).ok()
    }
}

fn reset_code_aad(account: AccountId) -> Vec<u8> {
    [b"reset-code:".as_slice(), account.0.as_bytes()].concat()
}

fn uuid_from(hash: [u8; 32]) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// HMAC pads keys to the hash's block size (64 bytes) anyway; doing it here lets us use the
/// infallible fixed-size constructor.
pub(crate) fn hmac_key_block(key: [u8; 32]) -> hmac::digest::Key<Hmac<Sha256>> {
    let mut block = hmac::digest::Key::<Hmac<Sha256>>::default();
    block[..32].copy_from_slice(&key);
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(key: u8) -> Secrets {
        Secrets::new([key; 32], FileKeys::single("test", [1; 32]))
    }

    fn nik(raw: &str) -> Nik {
        Nik::parse(raw).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn one_nik_one_stream_and_the_key_matters() {
        let a = nik("6106011205900001");
        let b = nik("6106011205900002");
        assert_eq!(secrets(1).account_id(&a), secrets(1).account_id(&a));
        assert_ne!(secrets(1).account_id(&a), secrets(1).account_id(&b));
        assert_ne!(secrets(1).account_id(&a), secrets(2).account_id(&a));
        assert_ne!(secrets(1).account_id(&a).0, secrets(1).legacy_account_id(&a).0);
    }

    #[test]
    fn reset_codes_ignore_case_and_dashes() {
        let s = secrets(1);
        let id = s.account_id(&nik("6106011205900001"));
        assert_eq!(s.reset_code_hash(id, "abcd-2345"), s.reset_code_hash(id, "ABCD2345"));
        assert_ne!(s.reset_code_hash(id, "ABCD2345"), s.reset_code_hash(id, "ABCD2346"));
    }

    #[test]
    fn a_sealed_reset_code_opens_only_for_its_account() {
        let s = secrets(1);
        let owner = s.account_id(&nik("6106011205900001"));
        let other = s.account_id(&nik("6106011205900002"));
        let sealed = s.seal_reset_code(owner, "ABCD-2345").unwrap_or_else(|e| panic!("{e}"));
        assert!(!sealed.contains("ABCD"));
        assert_eq!(s.open_reset_code(owner, &sealed).as_deref(), Some("ABCD-2345"));
        assert_eq!(s.open_reset_code(other, &sealed), None);
        let mut altered = sealed.into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(s.open_reset_code(owner, &String::from_utf8_lossy(&altered)), None);
    }
}
