//! Blind indexes: keyed hashes that let officers find a resident by number or by name while the
//! read models hold both only sealed. A hash is keyed with a secret derived from the NIK key,
//! so a copy of the database cannot be searched, or its hashes reversed by trying every number,
//! without the configuration. Found rows are opened and checked again, so a rare collision of
//! the 64-bit hashes shows nobody wrongly.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Secrets;

/// A name word is found by any prefix of it this long or longer (and a shorter word whole).
pub const MIN_PREFIX: usize = 3;

/// The keyed hashes of a read model's searchable values.
#[derive(Clone)]
pub struct SearchIndex {
    mac: Hmac<Sha256>,
}

impl SearchIndex {
    /// The index keyed with a secret derived from `secrets` (the NIK key: it never rotates, as
    /// account ids depend on it, so the indexes never need rebuilding for a key change).
    pub fn new(secrets: &Secrets) -> Self {
        let key = secrets.keyed_hash("search-index", &[]);
        Self { mac: <Hmac<Sha256> as KeyInit>::new(&crate::secrets::hmac_key_block(key)) }
    }

    fn hash(&self, label: &str, text: &str) -> i64 {
        let mut mac = self.mac.clone();
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(text.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut head = [0u8; 8];
        head.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(head)
    }

    /// The key of a WhatsApp number (E.164 digits).
    pub fn phone(&self, phone: &str) -> i64 {
        self.hash("phone", phone)
    }

    /// The keys under which a name is found: every prefix of at least [`MIN_PREFIX`]
    /// characters of each of its words (a shorter word whole), lower-cased.
    pub fn name(&self, name: &str) -> Vec<i64> {
        let mut keys: Vec<i64> = words(name)
            .flat_map(|word| {
                let chars: Vec<char> = word.chars().collect();
                let shortest = MIN_PREFIX.min(chars.len());
                (shortest..=chars.len())
                    .map(|len| self.hash("name", &chars[..len].iter().collect::<String>()))
                    .collect::<Vec<_>>()
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The keys a name must all have to match `query`: each query word of at least
    /// [`MIN_PREFIX`] letters, as a prefix. Shorter words ("siti a") are left to
    /// [`name_matches`] on the opened names; a query of short words only ("ng bo") looks them up
    /// as whole words.
    pub fn name_query(&self, query: &str) -> Vec<i64> {
        let (long, short): (Vec<String>, Vec<String>) = words(query).partition(|w| w.chars().count() >= MIN_PREFIX);
        let searched = if long.is_empty() { short } else { long };
        searched.iter().map(|word| self.hash("name", word)).collect()
    }
}

/// Whether an opened name matches `query`: every query word begins a word of the name (the
/// check after the blind look-up, which also serves the query's short words).
pub fn name_matches(name: &str, query: &str) -> bool {
    let name: Vec<String> = words(name).collect();
    words(query).all(|q| name.iter().any(|w| w.starts_with(q.as_str())))
}

/// The words of a name, lower-cased, split at anything that is not a letter or a digit.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileKeys;

    fn index(key: u8) -> SearchIndex {
        SearchIndex::new(&Secrets::new([key; 32], FileKeys::single("t", [1; 32])))
    }

    #[test]
    fn a_name_is_found_by_the_prefixes_of_its_words_in_any_order() {
        let index = index(7);
        let keys = index.name("Siti Nur'aini AMINAH");
        for query in ["siti", "Ami", "aminah siti", "nur", "AINI", "sit ami", "siti a"] {
            assert!(index.name_query(query).iter().all(|k| keys.contains(k)), "{query}");
            assert!(name_matches("Siti Nur'aini AMINAH", query), "{query}");
        }
        for query in ["iti", "aminahx", "budi", "siti b"] {
            let found = index.name_query(query).iter().all(|k| keys.contains(k));
            assert!(!(found && name_matches("Siti Nur'aini AMINAH", query)), "{query}");
        }
        assert_eq!(index.name_query("siti a"), index.name_query("siti"), "a short word is checked after opening");
        assert!(name_matches("Siti Nur'aini AMINAH", "siti a"));
        assert!(!index.name_query("si").iter().all(|k| keys.contains(k)), "alone, a short word is a whole word");
        assert!(index.name("Ng Bo").contains(&index.name_query("ng")[0]), "short words are indexed whole");
    }

    #[test]
    fn the_keys_depend_on_the_secret() {
        assert_eq!(index(7).phone("6281234567890"), index(7).phone("6281234567890"));
        assert_ne!(index(7).phone("6281234567890"), index(8).phone("6281234567890"));
        assert_ne!(index(7).phone("6281234567890"), index(7).phone("6281234567891"));
    }
}
