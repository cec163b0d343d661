//! The read side: a durable projector that tails the event store, and the read models it owns.
//!
//! Only this crate writes read-model tables, and only from events: a read model can always be
//! dropped and rebuilt from position 0 (`replay`). Each read model's module holds both its
//! projection (writes) and its queries (reads), so the SQL of a table lives in one place.

mod carried;
pub mod chain;
mod checkpoint;
mod error;
mod event;
pub mod file_retention;
pub mod history;
pub mod notifications;
pub mod office_calendar;
pub mod office_statistics;
mod projection;
mod projector;
mod replay;
pub mod resident_accounts;
mod runs;
pub mod service_requests;
mod sla;
pub mod staff_directory;

use std::sync::Arc;

pub use checkpoint::Checkpoint;
pub use error::Error;
pub use event::{StoredEvent, open as open_sealed};
pub use projection::{Context, EventByEvent, Mode, Projection};
pub use projector::{
    ActiveProjector, CHANNEL as PROJECTOR_CHANNEL, LOCK_KEY as PROJECTOR_LOCK_KEY, Lag, Projector, ProjectorConfig,
    ProjectorState, lag,
};
pub use replay::{REPLAY_LOCK_KEY, ReplayProgress, TableDifference, replay, verify};

/// Every projection of the service, in the order they are applied.
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(staff_directory::StaffDirectory),
        Arc::new(office_calendar::OfficeCalendarView),
        Arc::new(resident_accounts::ResidentAccounts),
        Arc::new(service_requests::ServiceRequests::default()),
        Arc::new(office_statistics::OfficeStatistics::default()),
        Arc::new(notifications::Notifications),
        Arc::new(file_retention::FileRetention),
        Arc::new(chain::EventChain::default()),
    ]
}
