//! Staff accounts: creation, roles, passwords and sign-in.

use std::sync::Arc;

use domain::password::Password;
use domain::sign_in::SignInSubject;
use domain::staff::{DisplayName, Role, StaffAccount, StaffCommand, StaffError, StaffId, Username};
use domain::{Actor, CommandMetadata};
use sqlx::PgPool;
use uuid::Uuid;

use crate::sessions::{Session, SessionStore, SubjectKind};
use crate::throttle::{self, Throttle, ThrottlePolicy};
use crate::{Error, Executor, SignIns, passwords};

/// What the rest of the system needs to know about a staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffProfile {
    pub id: StaffId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
}

/// A successful sign-in: the secret session token and who it belongs to.
#[derive(Debug)]
pub struct SignedIn {
    pub token: String,
    pub session: Session,
    pub profile: StaffProfile,
}

/// Commands on staff accounts.
#[derive(Clone)]
pub struct StaffService {
    executor: Arc<Executor<StaffAccount>>,
    sign_ins: SignIns,
    sessions: SessionStore,
    throttle: Throttle,
}

impl StaffService {
    /// A service over `pool`'s event store, revoking sessions through `sessions`.
    pub fn new(pool: PgPool, vault: &crate::vault::Vault, sessions: SessionStore) -> Self {
        Self {
            executor: Arc::new(Executor::new(pool.clone(), vault, ())),
            sign_ins: SignIns::new(pool.clone(), vault, sessions.clone()),
            sessions,
            throttle: Throttle::new(pool),
        }
    }

    /// Creates a staff account (an admin's action, or the CLI's for the first admin).
    pub async fn create(
        &self,
        username: &str,
        display_name: &str,
        role: Role,
        password: &str,
        metadata: &CommandMetadata,
    ) -> Result<StaffProfile, Error> {
        let username = Username::parse(username)?;
        let display_name = DisplayName::parse(display_name)?;
        let password = Password::parse(password)?;
        let id = username.staff_id();
        let password_hash = passwords::hash(password).await?;
        let command = StaffCommand::Create { username, display_name, role, password_hash };
        let outcome = self.executor.execute(&id.to_string(), command, metadata).await?;
        alert_on_document_access(role, id.0, metadata);
        profile_of(&outcome.aggregate).ok_or(Error::Staff(StaffError::NotFound))
    }

    /// Changes another staff member's role; their sessions end so the new role applies at once.
    pub async fn change_role(
        &self,
        target: Uuid,
        role: Role,
        by: StaffId,
        metadata: &CommandMetadata,
    ) -> Result<StaffProfile, Error> {
        let outcome =
            self.executor.execute(&target.to_string(), StaffCommand::ChangeRole { role, by }, metadata).await?;
        self.sessions.revoke_all(SubjectKind::Staff, target, None).await?;
        alert_on_document_access(role, target, metadata);
        profile_of(&outcome.aggregate).ok_or(Error::Staff(StaffError::NotFound))
    }

    /// Deactivates another staff member and ends their sessions.
    pub async fn deactivate(
        &self,
        target: Uuid,
        by: StaffId,
        metadata: &CommandMetadata,
    ) -> Result<StaffProfile, Error> {
        let outcome = self.executor.execute(&target.to_string(), StaffCommand::Deactivate { by }, metadata).await?;
        self.sessions.revoke_all(SubjectKind::Staff, target, None).await?;
        profile_of(&outcome.aggregate).ok_or(Error::Staff(StaffError::NotFound))
    }

    /// Changes one's own password after checking the current one; every other session ends.
    pub async fn change_own_password(
        &self,
        session: &Session,
        current: &str,
        new: &str,
        metadata: &CommandMetadata,
    ) -> Result<(), Error> {
        let new = Password::parse(new)?;
        // A stolen session must not become an oracle for the current password.
        let keys = throttle::keys(format!("staff-password:{}", session.subject_id), metadata.client_address.as_deref());
        let attempt = self.throttle.reserve(&keys, ThrottlePolicy::STAFF, self.sessions.now()).await?;
        let id = session.subject_id.to_string();
        let account = self.executor.load(&id).await?;
        if !passwords::verify(current.to_owned(), account.password_hash().cloned()).await? {
            return Err(Error::WrongCurrentPassword);
        }
        self.throttle.succeeded(attempt, keys.first().map(String::as_str)).await?;
        let password_hash = passwords::hash(new).await?;
        self.executor.execute(&id, StaffCommand::ChangePassword { password_hash }, metadata).await?;
        self.sessions.revoke_all(SubjectKind::Staff, session.subject_id, Some(session)).await?;
        Ok(())
    }

    /// Checks the credentials, opens a session and records the sign-in. Unknown user, wrong
    /// password and deactivated account give the same answer after the same work.
    /// Repeated failures are throttled per username and per client address, more strictly
    /// than residents' ([`ThrottlePolicy::STAFF`]); the attempt is reserved before the
    /// password is checked, so parallel guesses cannot race past the throttle.
    pub async fn sign_in(&self, username: &str, password: &str, metadata: CommandMetadata) -> Result<SignedIn, Error> {
        let keys =
            throttle::keys(format!("staff:{}", username.trim().to_lowercase()), metadata.client_address.as_deref());
        let attempt = self.throttle.reserve(&keys, ThrottlePolicy::STAFF, self.sessions.now()).await?;
        let (account, generation) = match Username::parse(username) {
            Ok(username) => {
                let id = username.staff_id();
                // Read before the account: see `SessionStore::generation`.
                let generation = self.sessions.generation(SubjectKind::Staff, id.0).await?;
                (self.executor.load(&id.to_string()).await?, Some(generation))
            }
            Err(_) => (StaffAccount::default(), None),
        };
        let verified = passwords::verify(password.to_owned(), account.password_hash().cloned()).await?;
        let (profile, generation) = match (profile_of(&account), generation) {
            (Some(profile), Some(generation)) if verified && profile.active => (profile, generation),
            _ => return Err(Error::InvalidCredentials),
        };
        self.throttle.succeeded(attempt, keys.first().map(String::as_str)).await?;
        let (token, session) =
            self.sessions.create(SubjectKind::Staff, profile.id.0, profile.role.as_str(), generation).await?;
        // Deactivated or given another role between the password check and now: the change
        // ended the person's sessions, and this one was born with the older generation, so it
        // is never accepted (`SessionStore::generation`).
        let metadata = metadata.with_actor(Actor::Staff { id: profile.id, role: profile.role });
        let subject = SignInSubject::Staff(profile.id);
        self.sign_ins.record(subject, self.sessions.now(), &session, &metadata).await?;
        Ok(SignedIn { token, session, profile })
    }

    /// The current profile of a staff member, straight from the event store.
    pub async fn profile(&self, id: Uuid) -> Result<Option<StaffProfile>, Error> {
        Ok(profile_of(&self.executor.load(&id.to_string()).await?))
    }
}

/// An admin cannot open residents' documents, but can create (or promote) an account that
/// can — and sign in with it. Duties are not separated in the service (a small office may have
/// one admin); instead every such grant is an alert in the log for the office to review,
/// besides the event that records it with its actor.
fn alert_on_document_access(role: Role, staff: Uuid, metadata: &CommandMetadata) {
    if role.permits(domain::staff::Permission::WorkQueue) {
        tracing::warn!(
            alert = "document_access_granted",
            staff_id = %staff,
            role = role.as_str(),
            by = %metadata.actor.id(),
            by_role = ?metadata.actor.role(),
            "a staff account that can open residents' documents was created or promoted"
        );
    }
}

fn profile_of(account: &StaffAccount) -> Option<StaffProfile> {
    Some(StaffProfile {
        id: account.id()?,
        username: account.username()?.as_str().to_owned(),
        display_name: account.display_name()?.as_str().to_owned(),
        role: account.role()?,
        active: account.is_active(),
    })
}
