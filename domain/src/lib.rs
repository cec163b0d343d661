//! The pure domain of the Dukcapil Kapuas Hulu online service.
//!
//! Aggregates decide (`handle`) and fold (`apply`); value types parse, so an invalid value
//! cannot exist past the boundary. Nothing here does I/O, reads a clock or needs a runtime:
//! time is always passed in, which is what makes every rule testable with given/when/then.

pub mod account;
pub mod calendar;
pub mod catalogue;
pub mod decide;
pub mod document;
pub mod error;
pub mod legacy;
pub mod metadata;
pub mod nik;
pub mod notification;
pub mod password;
pub mod person;
pub mod phone;
pub mod privacy;
pub mod request;
pub mod sign_in;
mod spelled;
pub mod staff;
pub mod statistics;
pub mod text;
pub mod upcast;
pub mod working_time;

pub use error::ErrorCode;
pub use metadata::{Actor, ActorRole, CommandMetadata};
