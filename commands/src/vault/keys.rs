//! Data keys per subject, stored wrapped by the key-encryption keys and cached unwrapped for a
//! short while.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chacha20poly1305::Key;
use chrono::{DateTime, Utc};
use quick_cache::sync::Cache;
use rand::RngCore;
use sqlx::PgPool;
use uuid::Uuid;

use crate::Error;
use crate::files::FileKeys;

/// How long an unwrapped key is used without asking the database again: a key destroyed by
/// another instance stops opening fields there within this time (in this process at once).
const CACHE_FRESH: Duration = Duration::from_secs(60);
/// Bounds the memory of the caches (a replay meets every resident's key once).
const LIVE_CAPACITY: usize = 10_000;
const OPENING_CAPACITY: usize = 50_000;

/// One subject's data key, unwrapped.
#[derive(Clone)]
pub(super) struct DataKey {
    id: Uuid,
    key: Key,
    fetched: Instant,
}

impl DataKey {
    pub(super) fn seal(&self, aad: &[u8], plain: &str) -> Result<String, Error> {
        super::token::seal(self.id, &self.key, aad, plain)
    }

    pub(super) fn seal_stable(&self, aad: &[u8], plain: &str) -> Result<String, Error> {
        super::token::seal_stable(self.id, &self.key, aad, plain)
    }

    pub(super) fn open(&self, aad: &[u8], token: &str) -> Option<String> {
        super::token::open(&self.key, aad, token)
    }

    fn fresh(&self) -> bool {
        self.fetched.elapsed() < CACHE_FRESH
    }
}

/// The `subject_keys` table: creates, unwraps and destroys data keys.
#[derive(Clone)]
pub struct SubjectKeys {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    keks: FileKeys,
    /// Subject → its live key (for sealing).
    live: Cache<Uuid, DataKey>,
    /// Key id → the key, or `None` once destroyed (for opening).
    opening: Cache<Uuid, Option<DataKey>>,
}

impl SubjectKeys {
    pub(super) fn new(pool: PgPool, keks: FileKeys) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                keks,
                live: Cache::new(LIVE_CAPACITY),
                opening: Cache::new(OPENING_CAPACITY),
            }),
        }
    }

    /// The subject's live key, created on first use.
    pub(super) async fn sealing_key(&self, subject: Uuid) -> Result<DataKey, Error> {
        if let Some(key) = self.inner.live.get(&subject).filter(DataKey::fresh) {
            return Ok(key);
        }
        let key = match self.live_row(subject).await? {
            Some(key) => key,
            None => self.create(subject).await?,
        };
        self.inner.live.insert(subject, key.clone());
        Ok(key)
    }

    /// The live keys of several subjects, created where missing, with one look-up for those
    /// not cached (a projector's batch seals for many residents at once).
    pub(super) async fn sealing_keys(&self, subjects: Vec<Uuid>) -> Result<HashMap<Uuid, DataKey>, Error> {
        let mut found = HashMap::with_capacity(subjects.len());
        let mut missing = Vec::new();
        for subject in subjects {
            match self.inner.live.get(&subject).filter(DataKey::fresh) {
                Some(key) => {
                    found.insert(subject, key);
                }
                None => missing.push(subject),
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        for (subject, key) in self.live_rows(&missing).await? {
            self.inner.live.insert(subject, key.clone());
            found.insert(subject, key);
        }
        let absent: Vec<Uuid> = missing.into_iter().filter(|s| !found.contains_key(s)).collect();
        for (subject, key) in self.create_many(absent).await? {
            self.inner.live.insert(subject, key.clone());
            found.insert(subject, key);
        }
        Ok(found)
    }

    /// New keys for several subjects in one statement (a history written before sealing, being
    /// projected, meets every resident without one); a subject whose key another writer created
    /// meanwhile gets that one.
    async fn create_many(&self, mut subjects: Vec<Uuid>) -> Result<Vec<(Uuid, DataKey)>, Error> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        // In one order everywhere: two writers inserting overlapping subjects in different
        // orders wait on each other's rows and deadlock (a replay's connections do this).
        subjects.sort_unstable();
        subjects.dedup();
        let mut made = HashMap::with_capacity(subjects.len());
        let (mut ids, mut wrapped) = (Vec::with_capacity(subjects.len()), Vec::with_capacity(subjects.len()));
        for subject in &subjects {
            let id = Uuid::new_v4();
            let mut raw = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut raw);
            wrapped.push(self.inner.keks.seal_bound(id.as_bytes(), &raw)?);
            ids.push(id);
            made.insert(*subject, DataKey { id, key: Key::from(raw), fetched: Instant::now() });
        }
        let inserted: std::collections::HashSet<Uuid> = sqlx::query_scalar::<_, Uuid>(
            "INSERT INTO subject_keys (key_id, subject_id, kek_id, wrapped_key)
             SELECT k, s, $3, w FROM unnest($1::uuid[], $2::uuid[], $4::bytea[]) AS t(k, s, w)
             ON CONFLICT (subject_id) WHERE destroyed_at IS NULL DO NOTHING RETURNING subject_id",
        )
        .bind(&ids)
        .bind(&subjects)
        .bind(self.inner.keks.current_id())
        .bind(&wrapped)
        .fetch_all(&self.inner.pool)
        .await?
        .into_iter()
        .collect();
        let mut keys = Vec::with_capacity(subjects.len());
        let mut lost = Vec::new();
        for subject in subjects {
            match made.remove(&subject).filter(|_| inserted.contains(&subject)) {
                Some(key) => keys.push((subject, key)),
                None => lost.push(subject),
            }
        }
        if !lost.is_empty() {
            // Another writer's keys won: read them all at once.
            keys.extend(self.live_rows(&lost).await?);
            if keys.len() < inserted.len() + lost.len() {
                return Err(Error::Internal("a subject key vanished while created".into()));
            }
        }
        Ok(keys)
    }

    /// The live keys of `subjects` that have one, unwrapped, in one query.
    async fn live_rows(&self, subjects: &[Uuid]) -> Result<Vec<(Uuid, DataKey)>, Error> {
        let rows: Vec<(Uuid, Uuid, Vec<u8>)> = sqlx::query_as(
            "SELECT subject_id, key_id, wrapped_key FROM subject_keys
              WHERE subject_id = ANY($1) AND destroyed_at IS NULL",
        )
        .bind(subjects)
        .fetch_all(&self.inner.pool)
        .await?;
        rows.into_iter().map(|(subject, id, wrapped)| Ok((subject, self.unwrap(id, &wrapped)?))).collect()
    }

    async fn live_row(&self, subject: Uuid) -> Result<Option<DataKey>, Error> {
        let row: Option<(Uuid, Vec<u8>)> = sqlx::query_as(
            "SELECT key_id, wrapped_key FROM subject_keys WHERE subject_id = $1 AND destroyed_at IS NULL",
        )
        .bind(subject)
        .fetch_optional(&self.inner.pool)
        .await?;
        row.map(|(id, wrapped)| self.unwrap(id, &wrapped)).transpose()
    }

    /// A new key for `subject`, committed before any event uses it. Two first events of one
    /// subject racing: one insert wins, the other reads the winner's key.
    async fn create(&self, subject: Uuid) -> Result<DataKey, Error> {
        let id = Uuid::new_v4();
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let wrapped = self.inner.keks.seal_bound(id.as_bytes(), &raw)?;
        let inserted = sqlx::query(
            "INSERT INTO subject_keys (key_id, subject_id, kek_id, wrapped_key) VALUES ($1, $2, $3, $4)
             ON CONFLICT (subject_id) WHERE destroyed_at IS NULL DO NOTHING",
        )
        .bind(id)
        .bind(subject)
        .bind(self.inner.keks.current_id())
        .bind(&wrapped)
        .execute(&self.inner.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(DataKey { id, key: Key::from(raw), fetched: Instant::now() });
        }
        self.live_row(subject).await?.ok_or_else(|| Error::Internal("a subject key vanished while created".into()))
    }

    /// The keys with these ids: `Some` to open, `None` once destroyed; ids unknown to the
    /// table are left out.
    pub(super) async fn opening_keys(&self, ids: Vec<Uuid>) -> Result<HashMap<Uuid, Option<DataKey>>, Error> {
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            match self.inner.opening.get(&id) {
                Some(None) => {
                    found.insert(id, None);
                }
                Some(Some(key)) if key.fresh() => {
                    found.insert(id, Some(key));
                }
                _ => missing.push(id),
            }
        }
        if !missing.is_empty() {
            let rows: Vec<(Uuid, Option<Vec<u8>>)> =
                sqlx::query_as("SELECT key_id, wrapped_key FROM subject_keys WHERE key_id = ANY($1)")
                    .bind(&missing)
                    .fetch_all(&self.inner.pool)
                    .await?;
            for (id, wrapped) in rows {
                let key = wrapped.map(|w| self.unwrap(id, &w)).transpose()?;
                self.inner.opening.insert(id, key.clone());
                found.insert(id, key);
            }
        }
        Ok(found)
    }

    /// Destroys the subject's live key: every field sealed with it is unreadable from now on
    /// (crypto-shredding). Returns whether there was one.
    pub async fn destroy(&self, subject: Uuid) -> Result<bool, Error> {
        Ok(self.destroy_created_until(subject, DateTime::<Utc>::MAX_UTC).await? > 0)
    }

    /// Destroys the subject's live key if it was created no later than `until` (a key made for
    /// a new registration after an erasure is not the erased person's). Returns how many.
    pub async fn destroy_created_until(&self, subject: Uuid, until: DateTime<Utc>) -> Result<u64, Error> {
        let destroyed: Vec<Uuid> = sqlx::query_scalar(
            "UPDATE subject_keys SET wrapped_key = NULL, kek_id = NULL, destroyed_at = now()
              WHERE subject_id = $1 AND destroyed_at IS NULL AND created_at <= $2 RETURNING key_id",
        )
        .bind(subject)
        .bind(until)
        .fetch_all(&self.inner.pool)
        .await?;
        self.inner.live.remove(&subject);
        for id in &destroyed {
            self.inner.opening.insert(*id, None);
        }
        Ok(destroyed.len() as u64)
    }

    /// Wraps every live data key that another key-encryption key wraps with the current (first)
    /// one, so the older KEK can be removed from the configuration. A key destroyed meanwhile is
    /// never brought back. Returns how many were re-wrapped.
    pub async fn rewrap(&self) -> Result<u64, Error> {
        let current = self.inner.keks.current_id();
        let stale: Vec<(Uuid, Vec<u8>)> = sqlx::query_as(
            "SELECT key_id, wrapped_key FROM subject_keys WHERE wrapped_key IS NOT NULL AND kek_id <> $1",
        )
        .bind(current)
        .fetch_all(&self.inner.pool)
        .await?;
        let mut rewrapped = 0;
        for (id, wrapped) in stale {
            let raw = self.inner.keks.open_bound(id.as_bytes(), &wrapped).ok_or_else(|| {
                Error::Internal(format!("subject key {id} does not unwrap: is its key-encryption key still listed?"))
            })?;
            let again = self.inner.keks.seal_bound(id.as_bytes(), &raw)?;
            rewrapped += sqlx::query(
                "UPDATE subject_keys SET wrapped_key = $2, kek_id = $3 WHERE key_id = $1 AND destroyed_at IS NULL",
            )
            .bind(id)
            .bind(&again)
            .bind(current)
            .execute(&self.inner.pool)
            .await?
            .rows_affected();
        }
        Ok(rewrapped)
    }

    fn unwrap(&self, id: Uuid, wrapped: &[u8]) -> Result<DataKey, Error> {
        let raw =
            self.inner.keks.open_bound(id.as_bytes(), wrapped).ok_or_else(|| {
                Error::Internal(format!("subject key {id} does not unwrap: unknown key-encryption key"))
            })?;
        let raw: [u8; 32] =
            raw.try_into().map_err(|_| Error::Internal(format!("subject key {id} has the wrong length")))?;
        Ok(DataKey { id, key: Key::from(raw), fetched: Instant::now() })
    }
}
