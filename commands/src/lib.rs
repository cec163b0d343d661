//! The command side: every state change goes through here, as a command executed against an
//! aggregate loaded from the PostgreSQL event store (cqrs-es + postgres-es), with metadata.
//!
//! This crate also owns the services commands need that are not aggregates: password hashing
//! (off the async threads) and server-side sessions.

mod calendar;
mod error;
mod executor;
pub mod passwords;
pub mod sessions;
mod staff;

use sqlx::PgPool;

pub use calendar::{CalendarService, RecordedHoliday};
pub use error::Error;
pub use executor::{Executor, Outcome};
pub use sessions::{Session, SessionPolicy, SessionStore, SubjectKind};
pub use staff::{SignedIn, StaffProfile, StaffService};

/// Everything the API needs to change state, built once at start-up.
#[derive(Clone)]
pub struct Commands {
    pub staff: StaffService,
    pub calendar: CalendarService,
    pub sessions: SessionStore,
}

impl Commands {
    /// Wires every service to one connection pool.
    pub fn new(pool: PgPool, session_policy: SessionPolicy) -> Self {
        let sessions = SessionStore::new(pool.clone(), session_policy);
        Self {
            staff: StaffService::new(pool.clone(), sessions.clone()),
            calendar: CalendarService::new(pool),
            sessions,
        }
    }
}
