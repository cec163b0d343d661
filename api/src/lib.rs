//! The edge of the service: HTTP (axum), GraphQL (async-graphql), the operator CLI, and the
//! wiring of configuration, telemetry and start-up. Resolvers translate and delegate; every
//! decision is made in `domain` and executed by `commands`.

pub mod cli;
pub mod configuration;
pub mod contact;
pub mod error;
pub mod graphql;
pub mod http;
pub mod legacy_import;
pub mod metrics;
pub mod notifications;
pub mod receipt;
pub mod startup;
pub mod telemetry;
pub mod whatsapp;

pub use configuration::Config;
pub use startup::{Application, MIGRATOR};
