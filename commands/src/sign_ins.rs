//! Recording sign-ins, each in a stream of its own (`domain::sign_in`), so that no account's
//! decision stream grows with every sign-in.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::CommandMetadata;
use domain::sign_in::{RecordSignIn, SignIn, SignInSubject};
use sqlx::PgPool;
use uuid::Uuid;

use crate::sessions::{Session, SessionStore};
use crate::{Error, Executor};

/// Appends the fact of a sign-in for the audit.
#[derive(Clone)]
pub struct SignIns {
    executor: Arc<Executor<SignIn>>,
    sessions: SessionStore,
}

impl SignIns {
    /// Sign-ins recorded in `pool`'s event store, ending sessions through `sessions`.
    pub fn new(pool: PgPool, vault: &crate::vault::Vault, sessions: SessionStore) -> Self {
        Self { executor: Arc::new(Executor::new(pool, vault, ())), sessions }
    }

    /// Records that `subject` signed in and was given `session`. A sign-in the audit cannot
    /// see must not work: if the record fails, the session is ended before the error returns.
    pub async fn record(
        &self,
        subject: SignInSubject,
        at: DateTime<Utc>,
        session: &Session,
        metadata: &CommandMetadata,
    ) -> Result<(), Error> {
        let stream = Uuid::new_v4().to_string();
        match self.executor.execute(&stream, RecordSignIn { subject, at }, metadata).await {
            Ok(_) => Ok(()),
            Err(error) => {
                self.sessions.revoke(session).await?;
                Err(error)
            }
        }
    }
}
