//! The stored form of one sealed field: `sealed:` and, in unpadded URL-safe base64, the data
//! key's id (16 bytes), a random nonce (24) and the XChaCha20-Poly1305 ciphertext with its tag.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::Error;

const PREFIX: &str = "sealed:";
const ID_LEN: usize = 16;
const NONCE_LEN: usize = 24;

/// Whether a stored string is a sealed field (tests and tools look for clear text with it).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(PREFIX)
}

/// The data key a token was sealed with, if it is a well-formed token. Decodes only the first
/// 24 characters (18 bytes), which hold the 16 of the key id.
pub(super) fn key_id(token: &str) -> Option<Uuid> {
    let head = token.strip_prefix(PREFIX)?.get(..24)?;
    let bytes = URL_SAFE_NO_PAD.decode(head).ok()?;
    Uuid::from_slice(bytes.get(..ID_LEN)?).ok()
}

/// Seals `plain` under data key `id`/`key`, bound to `aad`, with a random nonce.
pub(super) fn seal(id: Uuid, key: &Key, aad: &[u8], plain: &str) -> Result<String, Error> {
    seal_with_nonce(id, key, &XChaCha20Poly1305::generate_nonce(&mut OsRng), aad, plain)
}

/// Seals `plain` with a nonce derived from the key, `aad` and `plain` themselves (a synthetic
/// nonce, as in SIV): the same value in the same place seals to the same token, so a rebuilt
/// read model equals the live one; different values never share a nonce.
pub(super) fn seal_stable(id: Uuid, key: &Key, aad: &[u8], plain: &str) -> Result<String, Error> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_slice())
        .map_err(|_| Error::Internal("a data key of the wrong length".into()))?;
    mac.update(b"synthetic-nonce\0");
    mac.update(&(aad.len() as u64).to_be_bytes());
    mac.update(aad);
    mac.update(plain.as_bytes());
    let digest = mac.finalize().into_bytes();
    seal_with_nonce(id, key, XNonce::from_slice(&digest[..NONCE_LEN]), aad, plain)
}

fn seal_with_nonce(id: Uuid, key: &Key, nonce: &XNonce, aad: &[u8], plain: &str) -> Result<String, Error> {
    let ciphertext = XChaCha20Poly1305::new(key)
        .encrypt(nonce, Payload { msg: plain.as_bytes(), aad })
        .map_err(|_| Error::Internal("sealing a personal field failed".into()))?;
    let mut raw = Vec::with_capacity(ID_LEN + NONCE_LEN + ciphertext.len());
    raw.extend_from_slice(id.as_bytes());
    raw.extend_from_slice(nonce);
    raw.extend_from_slice(&ciphertext);
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(raw)))
}

/// Opens a token sealed by [`seal`] with the same key and associated data.
pub(super) fn open(key: &Key, aad: &[u8], token: &str) -> Option<String> {
    let raw = URL_SAFE_NO_PAD.decode(token.strip_prefix(PREFIX)?).ok()?;
    if raw.len() < ID_LEN + NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = raw[ID_LEN..].split_at(NONCE_LEN);
    let plain =
        XChaCha20Poly1305::new(key).decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad }).ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_only_with_its_key_and_its_place() {
        let (id, key) = (Uuid::new_v4(), Key::from([3; 32]));
        let token = seal(id, &key, b"Account/a/1/nik", "6106015205900001").unwrap_or_default();
        assert!(is_sealed(&token));
        assert!(!token.contains("6106015205900001"));
        assert_eq!(key_id(&token), Some(id));
        assert_eq!(open(&key, b"Account/a/1/nik", &token).as_deref(), Some("6106015205900001"));
        assert_eq!(open(&key, b"Account/a/2/nik", &token), None, "bound to its event");
        assert_eq!(open(&key, b"Account/a/1/phone", &token), None, "bound to its field");
        assert_eq!(open(&Key::from([4; 32]), b"Account/a/1/nik", &token), None, "only its key opens it");
        let mut altered = token.clone();
        altered.pop();
        altered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(open(&key, b"Account/a/1/nik", &altered), None, "tampering is detected");
    }

    #[test]
    fn the_same_value_seals_differently_each_time() {
        let (id, key) = (Uuid::new_v4(), Key::from([3; 32]));
        let a = seal(id, &key, b"x", "Siti").unwrap_or_default();
        let b = seal(id, &key, b"x", "Siti").unwrap_or_default();
        assert_ne!(a, b, "random nonces: equal values are not linkable");
        assert_eq!(key_id("not a token"), None);
        let (c, d) = (seal_stable(id, &key, b"x", "Siti"), seal_stable(id, &key, b"x", "Siti"));
        assert_eq!(c.as_ref().ok(), d.as_ref().ok(), "a stable seal repeats itself");
        let c = c.unwrap_or_default();
        assert_ne!(Some(c.clone()), seal_stable(id, &key, b"y", "Siti").ok(), "in another place it differs");
        assert_ne!(Some(c.clone()), seal_stable(id, &key, b"x", "Sita").ok(), "and for another value");
        assert_eq!(open(&key, b"x", &c).as_deref(), Some("Siti"));
        assert_eq!(key_id("sealed:!!"), None);
    }
}
