//! Server-side sessions in PostgreSQL.
//!
//! Hand-written rather than `tower-sessions` because we need what it does not give: revoking
//! every session of one account (password reset, role change, deactivation) and storing only
//! a hash of the token, so a leaked table or backup signs nobody in.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::Error;
use crate::clock::SharedClock;

/// Whose session it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Staff,
    Resident,
}

impl SubjectKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "STAFF",
            Self::Resident => "RESIDENT",
        }
    }

    /// Parses the stored (and announced) spelling.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "STAFF" => Some(Self::Staff),
            "RESIDENT" => Some(Self::Resident),
            _ => None,
        }
    }
}

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused for this long ends.
    pub idle_timeout: Duration,
    /// No session lives longer than this, however active.
    pub absolute_lifetime: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { idle_timeout: Duration::hours(2), absolute_lifetime: Duration::hours(12) }
    }
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    /// The role at sign-in (`"OPERATOR"`, `"RESIDENT"`, …). Role changes revoke sessions, so it
    /// never goes stale.
    pub role: String,
    pub expires_at: DateTime<Utc>,
    token_hash: Vec<u8>,
}

impl Session {
    /// Who the session acts for; `None` for a staff session whose stored role this build does
    /// not know (treated as nobody, never as a weaker or stronger role).
    pub fn actor(&self) -> Option<domain::Actor> {
        match self.subject_kind {
            SubjectKind::Resident => Some(domain::Actor::Resident(domain::account::AccountId(self.subject_id))),
            SubjectKind::Staff => self
                .role
                .parse()
                .ok()
                .map(|role| domain::Actor::Staff { id: domain::staff::StaffId(self.subject_id), role }),
        }
    }

    /// Identifies the session without its secret (the token's SHA-256), e.g. to count the
    /// websockets one session holds open.
    pub fn key(&self) -> &[u8] {
        &self.token_hash
    }
}

/// A person's session generation, read before their account is loaded at sign-in (see
/// [`SessionStore::generation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(i64);

/// The PostgreSQL channel on which ended sessions are announced (payload `KIND:subject id`),
/// so every instance can close the websockets they authenticate at once.
pub const SESSIONS_ENDED_CHANNEL: &str = "sessions_ended";

/// Creates, finds and revokes sessions. Every time it stores or compares is the injected
/// clock's (bound into the SQL, never the database's `now()`), the same clock the services
/// decide with, so a moved test clock and a real deployment expire sessions alike.
#[derive(Clone)]
pub struct SessionStore {
    pool: PgPool,
    policy: SessionPolicy,
    clock: SharedClock,
}

/// Don't rewrite `last_seen_at` on every request; once a minute is precise enough for an
/// idle timeout measured in hours.
const TOUCH_INTERVAL_SECONDS: f64 = 60.0;

impl SessionStore {
    /// A store with the given lifetimes, telling the time by `clock`.
    pub fn new(pool: PgPool, policy: SessionPolicy, clock: SharedClock) -> Self {
        Self { pool, policy, clock }
    }

    /// The instant sessions are judged at.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The lifetimes in force.
    pub fn policy(&self) -> SessionPolicy {
        self.policy
    }

    /// The person's current generation. Sign-in reads it *before* loading the account whose
    /// role and password it checks, and gives it to [`Self::create`]: if the account changes
    /// (and its sessions are ended) in between, the new session is born stale and never
    /// accepted, so no session carries a role older than the latest change.
    pub async fn generation(&self, kind: SubjectKind, subject_id: Uuid) -> Result<Generation, Error> {
        let generation: Option<i64> =
            sqlx::query_scalar("SELECT generation FROM session_subjects WHERE subject_kind = $1 AND subject_id = $2")
                .bind(kind.as_str())
                .bind(subject_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(Generation(generation.unwrap_or(0)))
    }

    /// Starts a session of `generation` and returns its secret token (to put in the cookie)
    /// with it.
    pub async fn create(
        &self,
        kind: SubjectKind,
        subject_id: Uuid,
        role: &str,
        generation: Generation,
    ) -> Result<(String, Session), Error> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let token_hash = digest(&token);
        let now = self.clock.now();
        let expires_at: DateTime<Utc> = sqlx::query_scalar(
            "INSERT INTO sessions (token_hash, subject_kind, subject_id, role, created_at, last_seen_at, expires_at, generation)
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7)
             RETURNING expires_at",
        )
        .bind(&token_hash)
        .bind(kind.as_str())
        .bind(subject_id)
        .bind(role)
        .bind(now)
        .bind(now + self.policy.absolute_lifetime)
        .bind(generation.0)
        .fetch_one(&self.pool)
        .await?;
        let session = Session { subject_kind: kind, subject_id, role: role.to_owned(), expires_at, token_hash };
        Ok((token, session))
    }

    /// The live session for `token`, if any: not revoked, not expired, not idle too long.
    pub async fn find(&self, token: &str) -> Result<Option<Session>, Error> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let token_hash = digest(token);
        let now = self.clock.now();
        let row: Option<(String, Uuid, String, DateTime<Utc>, bool)> = sqlx::query_as(&format!(
            "SELECT subject_kind, subject_id, role, expires_at,
                    last_seen_at < $3 - make_interval(secs => $4)
               FROM sessions s
              WHERE token_hash = $1 AND {LIVE}"
        ))
        .bind(&token_hash)
        .bind(self.policy.idle_timeout.num_seconds() as f64)
        .bind(now)
        .bind(TOUCH_INTERVAL_SECONDS)
        .fetch_optional(&self.pool)
        .await?;
        let Some((kind, subject_id, role, expires_at, stale)) = row else {
            return Ok(None);
        };
        // Reads stay reads: the idle clock is moved at most once a minute.
        if stale {
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
                .bind(&token_hash)
                .bind(now)
                .execute(&self.pool)
                .await?;
        }
        Ok(SubjectKind::parse(&kind).map(|subject_kind| Session {
            subject_kind,
            subject_id,
            role,
            expires_at,
            token_hash,
        }))
    }

    /// Whether `session` is still live (not ended, expired, idle too long or of an older
    /// generation), without counting as use: an open websocket re-checks its session with it
    /// before every operation and whenever sessions of its person end.
    pub async fn is_live(&self, session: &Session) -> Result<bool, Error> {
        let live: Option<i32> =
            sqlx::query_scalar(&format!("SELECT 1 FROM sessions s WHERE token_hash = $1 AND {LIVE}"))
                .bind(&session.token_hash)
                .bind(self.policy.idle_timeout.num_seconds() as f64)
                .bind(self.clock.now())
                .fetch_optional(&self.pool)
                .await?;
        Ok(live.is_some())
    }

    /// Ends one session (logout), and tells every instance so (see [`SESSIONS_ENDED_CHANNEL`]).
    pub async fn revoke(&self, session: &Session) -> Result<(), Error> {
        sqlx::query(&format!(
            "WITH ended AS (
                 UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL
                 RETURNING subject_kind, subject_id)
             SELECT {ANNOUNCE} FROM ended"
        ))
        .bind(&session.token_hash)
        .bind(self.clock.now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Ends every session of an account, except `keep` (the caller's own, when it changes its
    /// own password), in one statement: the person's generation moves on (so sessions being
    /// created by sign-ins in flight are stale too), their sessions are revoked, and every
    /// instance is told. Returns how many sessions were ended.
    pub async fn revoke_all(&self, kind: SubjectKind, subject_id: Uuid, keep: Option<&Session>) -> Result<u64, Error> {
        let keep_hash = keep.map(|s| s.token_hash.clone()).unwrap_or_default();
        let (ended,): (i64,) = sqlx::query_as(&format!(
            "WITH bumped AS (
                 INSERT INTO session_subjects AS g (subject_kind, subject_id, generation) VALUES ($1, $2, 1)
                 ON CONFLICT (subject_kind, subject_id) DO UPDATE SET generation = g.generation + 1
                 RETURNING generation),
             kept AS (
                 UPDATE sessions SET generation = (SELECT generation FROM bumped)
                  WHERE token_hash = $3 AND subject_kind = $1 AND subject_id = $2),
             ended AS (
                 UPDATE sessions SET revoked_at = $4
                  WHERE subject_kind = $1 AND subject_id = $2 AND revoked_at IS NULL AND token_hash <> $3
                 RETURNING 1),
             announced AS (SELECT {ANNOUNCE_PERSON})
             SELECT count(*) FROM ended, announced"
        ))
        .bind(kind.as_str())
        .bind(subject_id)
        .bind(keep_hash)
        .bind(self.clock.now())
        .fetch_one(&self.pool)
        .await?;
        Ok(ended as u64)
    }

    /// Deletes sessions that ended more than a day ago. Returns how many.
    pub async fn purge_ended(&self) -> Result<u64, Error> {
        let done = sqlx::query(
            "DELETE FROM sessions
              WHERE expires_at < $2 - interval '1 day'
                 OR revoked_at < $2 - interval '1 day'
                 OR last_seen_at < $2 - make_interval(secs => $1) - interval '1 day'",
        )
        .bind(self.policy.idle_timeout.num_seconds() as f64)
        .bind(self.clock.now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}

/// The conditions of a live session row `s` (`$2`: the idle timeout in seconds, `$3`: now).
const LIVE: &str = "s.revoked_at IS NULL
    AND s.expires_at > $3
    AND s.last_seen_at > $3 - make_interval(secs => $2)
    AND s.generation = coalesce((SELECT g.generation FROM session_subjects g
                                  WHERE g.subject_kind = s.subject_kind AND g.subject_id = s.subject_id), 0)";

/// Announces the end of a session of the row in hand (columns `subject_kind`, `subject_id`).
const ANNOUNCE: &str = "pg_notify('sessions_ended', subject_kind || ':' || subject_id::text)";

/// Announces the end of every session of the person `$1`, `$2`.
const ANNOUNCE_PERSON: &str = "pg_notify('sessions_ended', $1 || ':' || $2::text)";

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
