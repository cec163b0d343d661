//! Authenticated encryption of stored files (XChaCha20-Poly1305, random 192-bit nonces).
//!
//! Blob layout: `DKF1 | key-id length (1 byte) | key id | nonce (24) | ciphertext+tag`. The
//! file id is the associated data, so a blob cannot be swapped under another file's record.
//! Rotation: put a new key first in `FILE_ENCRYPTION_KEYS`; new files use it, old files stay
//! readable with the older keys listed after it.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use uuid::Uuid;

use crate::Error;

const MAGIC: &[u8; 4] = b"DKF1";
const NONCE_LEN: usize = 24;

/// The file keys: the first encrypts, all decrypt.
#[derive(Clone)]
pub struct FileKeys {
    keys: Vec<(String, Key)>,
}

impl FileKeys {
    /// Keys in order of preference (the first is used for new files).
    pub fn new(keys: Vec<(String, [u8; 32])>) -> Result<Self, String> {
        if keys.is_empty() {
            return Err("at least one file encryption key is required".into());
        }
        if keys.iter().any(|(id, _)| {
            id.is_empty() || id.len() > 32 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        }) {
            return Err("file key ids must be 1–32 characters of letters, digits, '-' or '_'".into());
        }
        Ok(Self { keys: keys.into_iter().map(|(id, key)| (id, Key::from(key))).collect() })
    }

    /// One key (tests, development).
    pub fn single(id: &str, key: [u8; 32]) -> Self {
        Self { keys: vec![(id.to_owned(), Key::from(key))] }
    }

    /// The id of the key that seals (the first).
    pub fn current_id(&self) -> &str {
        self.keys.first().map_or("", |(id, _)| id.as_str())
    }

    /// Encrypts `plaintext` for file `file_id` with the current key.
    pub fn seal(&self, file_id: Uuid, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        self.seal_bound(file_id.as_bytes(), plaintext)
    }

    /// Decrypts a blob of file `file_id`, with whichever listed key sealed it.
    pub fn open(&self, file_id: Uuid, blob: &[u8]) -> Result<Vec<u8>, Error> {
        self.open_bound(file_id.as_bytes(), blob).ok_or_else(|| {
            Error::Internal(format!("stored file {file_id} is corrupt, was altered or uses an unknown key"))
        })
    }

    /// Encrypts `plaintext` bound to `aad` (what it belongs to: it opens under nothing else).
    pub fn seal_bound(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let (id, key) = self.keys.first().ok_or_else(|| Error::Internal("no file key".into()))?;
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = XChaCha20Poly1305::new(key)
            .encrypt(&nonce, Payload { msg: plaintext, aad })
            .map_err(|_| Error::Internal("file encryption failed".into()))?;
        let mut blob = Vec::with_capacity(4 + 1 + id.len() + NONCE_LEN + ciphertext.len());
        blob.extend_from_slice(MAGIC);
        blob.push(id.len() as u8);
        blob.extend_from_slice(id.as_bytes());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        Ok(blob)
    }

    /// Decrypts what [`Self::seal_bound`] sealed for `aad`, with whichever listed key sealed it.
    pub fn open_bound(&self, aad: &[u8], blob: &[u8]) -> Option<Vec<u8>> {
        let rest = blob.strip_prefix(MAGIC.as_slice())?;
        let (&id_len, rest) = rest.split_first()?;
        let id_len = usize::from(id_len);
        if rest.len() < id_len + NONCE_LEN {
            return None;
        }
        let (id, rest) = rest.split_at(id_len);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let (_, key) = self.keys.iter().find(|(known, _)| known.as_bytes() == id)?;
        XChaCha20Poly1305::new(key).decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad }).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rotation() {
        let id = Uuid::new_v4();
        let old = FileKeys::single("k1", [1; 32]);
        let blob = old.seal(id, b"isi dokumen").unwrap_or_default();
        assert!(!blob.windows(11).any(|w| w == b"isi dokumen"), "ciphertext must not contain the plaintext");
        let rotated =
            FileKeys::new(vec![("k2".into(), [2; 32]), ("k1".into(), [1; 32])]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rotated.open(id, &blob).ok().as_deref(), Some(b"isi dokumen".as_slice()));
        let newer = rotated.seal(id, b"baru").unwrap_or_default();
        assert!(newer.starts_with(b"DKF1\x02k2"));
        assert!(old.open(id, &newer).is_err(), "a dropped key cannot read newer files");
    }

    #[test]
    fn tampering_and_swapping_are_detected() {
        let keys = FileKeys::single("k1", [1; 32]);
        let id = Uuid::new_v4();
        let mut blob = keys.seal(id, b"isi").unwrap_or_default();
        assert!(keys.open(Uuid::new_v4(), &blob).is_err(), "blob bound to its file id");
        if let Some(last) = blob.last_mut() {
            *last ^= 1;
        }
        assert!(keys.open(id, &blob).is_err());
        assert!(keys.open(id, b"DKF1").is_err());
    }

    #[test]
    fn key_ids_are_checked() {
        assert!(FileKeys::new(vec![]).is_err());
        assert!(FileKeys::new(vec![("bad id".into(), [0; 32])]).is_err());
    }
}
