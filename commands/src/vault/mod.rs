//! Personal data in the event store, sealed per data subject (crypto-shredding).
//!
//! Every personal field of an event (`domain::privacy::for_each_personal_mut`: NIKs, names,
//! phones, e-mails, form values) and the client address in its metadata is stored as a sealed
//! token: XChaCha20-Poly1305 under the *data key* of the person it is about
//! (`domain::privacy::subject_of`; the address under the key of whoever acted), with the event's
//! identity and the field's path as associated data, so a token opens only where it was written.
//! Data keys live in `subject_keys`, wrapped by the key-encryption keys `PERSONAL_DATA_KEYS`
//! (the first wraps, all unwrap: rotation by key id, as for files). Destroying a subject's key
//! makes every field sealed with it unreadable for good, while the events themselves — types,
//! times, actors, hashes — stay as they were, so the hash chain and replays still verify.
//!
//! An event whose payload holds sealed fields is stored with the version `<v>+sealed`; reading
//! it back opens the fields and gives the domain version `<v>` again, for the domain's own
//! upcasters. Events written before sealing existed are read as they are.

mod keys;
mod personal;
mod repository;
pub mod search;
mod token;

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use uuid::Uuid;

pub use keys::SubjectKeys;
pub use personal::{Field, Personal, contact};
pub use repository::SealingRepository;
pub(crate) use repository::parts_of;
pub use search::SearchIndex;
pub use token::is_sealed;

use crate::files::FileKeys;
use crate::{Error, Secrets};

/// The key-encryption key of tests (never configured anywhere real).
pub(crate) const TEST_KEK: [u8; 32] = [11; 32];

/// The version suffix of an event whose personal fields are sealed.
pub const SEALED_VERSION_SUFFIX: &str = "+sealed";

/// The metadata key of a sealed client address (`client_address` in older events).
pub const SEALED_ADDRESS: &str = "client_address_sealed";

/// Which event a field belongs to: part of the associated data of every token.
#[derive(Debug, Clone, Copy)]
pub struct EventIdentity<'a> {
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub sequence: i64,
}

impl EventIdentity<'_> {
    fn aad(&self, path: &str) -> Vec<u8> {
        format!("{}\u{0}{}\u{0}{}\u{0}{path}", self.aggregate_type, self.aggregate_id, self.sequence).into_bytes()
    }
}

/// An event as stored, borrowed for sealing or opening in place.
pub struct EventParts<'a> {
    pub identity: EventIdentity<'a>,
    pub event_version: &'a mut String,
    pub payload: &'a mut Value,
    pub metadata: &'a mut Value,
}

/// Seals events before they are appended and opens them when they are read; seals and opens
/// the personal values of read models ([`Personal`]) and keys their blind indexes.
#[derive(Clone)]
pub struct Vault {
    keys: SubjectKeys,
    search: SearchIndex,
}

impl Vault {
    /// A vault over `pool`'s `subject_keys`, wrapping data keys with `keks`, its search index
    /// keyed from `secrets`.
    pub fn new(pool: sqlx::PgPool, keks: FileKeys, secrets: &Secrets) -> Self {
        Self { keys: SubjectKeys::new(pool, keks), search: SearchIndex::new(secrets) }
    }

    /// The vault of [`crate::Settings::for_tests`]' keys, for tests and tools on throwaway
    /// databases.
    pub fn for_tests(pool: sqlx::PgPool) -> Self {
        let settings = crate::Settings::for_tests();
        Self::new(pool, settings.personal_data_keys, &settings.secrets)
    }

    /// The subject keys (erasure destroys one).
    pub fn keys(&self) -> &SubjectKeys {
        &self.keys
    }

    /// The keyed hashes officers search the sealed read models by.
    pub fn search(&self) -> &SearchIndex {
        &self.search
    }

    /// Seals the personal fields and the client address of an event about to be appended.
    pub async fn seal(&self, event: EventParts<'_>) -> Result<(), Error> {
        let EventParts { identity, event_version, payload, metadata } = event;
        let payload_subject = domain::privacy::subject_of(identity.aggregate_type, identity.aggregate_id, payload);
        let mut personal = false;
        domain::privacy::for_each_personal_mut(payload, &mut |_, _| personal = true);
        if personal {
            // Personal data about no one in particular (none today) is sealed under the
            // service's own subject, never stored in clear.
            let key = self.keys.sealing_key(payload_subject.unwrap_or(Uuid::nil())).await?;
            replace_personal(payload, |path, plain| key.seal(&identity.aad(path), plain))?;
            event_version.push_str(SEALED_VERSION_SUFFIX);
        }
        if let Some(map) = metadata.as_object_mut()
            && let Some(Value::String(address)) = map.remove(domain::metadata::keys::CLIENT_ADDRESS)
        {
            // The address is the actor's data: a resident's or staff member's own key; an
            // anonymous caller's (registration, reset request) belongs to the record's subject.
            let actor = map.get(domain::metadata::keys::ACTOR_ID).and_then(Value::as_str).and_then(|a| a.parse().ok());
            let subject = actor.filter(|a: &Uuid| !a.is_nil()).or(payload_subject).unwrap_or(Uuid::nil());
            let key = self.keys.sealing_key(subject).await?;
            map.insert(SEALED_ADDRESS.into(), Value::String(key.seal(&identity.aad(SEALED_ADDRESS), &address)?));
        }
        Ok(())
    }

    /// Opens the sealed fields of events read from the store, with one look-up for all the
    /// data keys they need that are not cached. A field whose key was destroyed reads as
    /// [`domain::privacy::ERASED`]; one that does not open under its key (altered, or moved
    /// from another event) is an error: history must not be quietly misread.
    pub async fn open(&self, events: &mut [EventParts<'_>]) -> Result<(), Error> {
        let mut wanted = HashSet::new();
        for event in events.iter_mut() {
            visit_sealed(event, &mut |_, token| {
                if let Some(id) = token::key_id(token) {
                    wanted.insert(id);
                }
            });
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let keys = self.keys.opening_keys(wanted.into_iter().collect()).await?;
        for event in events.iter_mut() {
            open_one(event, &keys)?;
        }
        Ok(())
    }
}

/// Calls `visit` with the path and token of every sealed field of `event`.
fn visit_sealed(event: &mut EventParts<'_>, visit: &mut impl FnMut(&str, &str)) {
    if event.event_version.ends_with(SEALED_VERSION_SUFFIX) {
        domain::privacy::for_each_personal_mut(event.payload, &mut |path, value| {
            if let Value::String(token) = value {
                visit(path, token);
            }
        });
    }
    if let Some(Value::String(token)) = event.metadata.get(SEALED_ADDRESS) {
        visit(SEALED_ADDRESS, token);
    }
}

fn open_one(event: &mut EventParts<'_>, keys: &HashMap<Uuid, Option<keys::DataKey>>) -> Result<(), Error> {
    let identity = event.identity;
    let open = |path: &str, token: &str| -> Result<String, Error> {
        let key_id = token::key_id(token).ok_or_else(|| corrupt(identity, path))?;
        match keys.get(&key_id) {
            Some(Some(key)) => key.open(&identity.aad(path), token).ok_or_else(|| corrupt(identity, path)),
            Some(None) => Ok(domain::privacy::ERASED.to_owned()),
            None => Err(corrupt(identity, path)),
        }
    };
    if let Some(version) = event.event_version.strip_suffix(SEALED_VERSION_SUFFIX) {
        let version = version.to_owned();
        replace_personal(event.payload, open)?;
        *event.event_version = version;
    }
    if let Some(map) = event.metadata.as_object_mut()
        && let Some(Value::String(token)) = map.remove(SEALED_ADDRESS)
    {
        map.insert(domain::metadata::keys::CLIENT_ADDRESS.into(), Value::String(open(SEALED_ADDRESS, &token)?));
    }
    Ok(())
}

/// Replaces every personal string of `payload` by what `replace` makes of it (given its path),
/// keeping the first error: sealing and opening walk the same fields.
fn replace_personal(
    payload: &mut Value,
    mut replace: impl FnMut(&str, &str) -> Result<String, Error>,
) -> Result<(), Error> {
    let mut failed = None;
    domain::privacy::for_each_personal_mut(payload, &mut |path, value| {
        if let (Value::String(text), None) = (&*value, &failed) {
            match replace(path, text) {
                Ok(replaced) => *value = Value::String(replaced),
                Err(e) => failed = Some(e),
            }
        }
    });
    failed.map_or(Ok(()), Err)
}

fn corrupt(identity: EventIdentity<'_>, path: &str) -> Error {
    Error::Internal(format!(
        "sealed field {path} of {} {} #{} does not open: altered, moved or under an unknown key",
        identity.aggregate_type, identity.aggregate_id, identity.sequence
    ))
}
