//! Staff accounts: who works in the office and with which role.
//!
//! The stream id is derived from the normalised username (UUID v5), so one username is one
//! stream and two concurrent creations of the same username cannot both succeed: the event
//! store's optimistic lock decides, not a race-prone read model.

mod aggregate;
mod command;
mod error;
mod event;
mod role;
mod username;

pub use aggregate::StaffAccount;
pub use command::StaffCommand;
pub use error::StaffError;
pub use event::StaffEvent;
pub use role::{Permission, Role};
pub use username::{DisplayName, StaffId, Username};
