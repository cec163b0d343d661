//! Who did it, in which request: the metadata stored beside every event.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::account::AccountId;
use crate::staff::{Role, StaffId};

/// The kind of actor behind a command, recorded on every event for the auditors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActorRole {
    Resident,
    Operator,
    Supervisor,
    Auditor,
    Admin,
    /// The service itself or an operator at the command line (e.g. `create-admin`).
    System,
}

impl ActorRole {
    /// The stored spelling (`"OPERATOR"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resident => "RESIDENT",
            Self::Operator => "OPERATOR",
            Self::Supervisor => "SUPERVISOR",
            Self::Auditor => "AUDITOR",
            Self::Admin => "ADMIN",
            Self::System => "SYSTEM",
        }
    }
}

impl fmt::Display for ActorRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who acts: the one typed identity behind a command, a file view or an ownership check, from
/// which the stored `actor_id`/`actor_role` pair is derived (and back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// Nobody signed in (registration, sign-in, a password-reset request). Stored as the
    /// system actor, as it always was.
    Anonymous,
    /// A signed-in resident.
    Resident(AccountId),
    /// A signed-in staff member, with the role they signed in with.
    Staff { id: StaffId, role: Role },
    /// The service itself or an operator at the command line (e.g. `create-admin`).
    System,
}

impl Actor {
    /// The stored actor id: the account's or staff member's id, nil for the system and for
    /// anonymous callers.
    pub fn id(self) -> Uuid {
        match self {
            Self::Resident(account) => account.0,
            Self::Staff { id, .. } => id.0,
            Self::Anonymous | Self::System => CommandMetadata::SYSTEM_ACTOR,
        }
    }

    /// The stored actor role.
    pub fn role(self) -> ActorRole {
        match self {
            Self::Resident(_) => ActorRole::Resident,
            Self::Staff { role, .. } => role.actor_role(),
            Self::Anonymous | Self::System => ActorRole::System,
        }
    }

    /// The actor of a stored `actor_id`/`actor_role` pair (anonymous callers read back as the
    /// system: they were stored alike).
    pub fn from_stored(id: Uuid, role: ActorRole) -> Self {
        let staff = |role| Self::Staff { id: StaffId(id), role };
        match role {
            ActorRole::Resident => Self::Resident(AccountId(id)),
            ActorRole::Operator => staff(Role::Operator),
            ActorRole::Supervisor => staff(Role::Supervisor),
            ActorRole::Auditor => staff(Role::Auditor),
            ActorRole::Admin => staff(Role::Admin),
            ActorRole::System => Self::System,
        }
    }

    /// The resident's account, for ownership checks.
    pub fn resident(self) -> Option<AccountId> {
        match self {
            Self::Resident(account) => Some(account),
            _ => None,
        }
    }
}

/// Metadata of one command; every event the command produces carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandMetadata {
    /// The acting account (staff or resident id), or a fixed id for the system.
    pub actor_id: Uuid,
    pub actor_role: ActorRole,
    /// Ties together everything one HTTP request or CLI run caused.
    pub correlation_id: Uuid,
    /// The client's network address, where there is one.
    pub client_address: Option<String>,
}

/// Metadata keys as stored in the `metadata` column.
pub mod keys {
    pub const ACTOR_ID: &str = "actor_id";
    pub const ACTOR_ROLE: &str = "actor_role";
    pub const CORRELATION_ID: &str = "correlation_id";
    pub const CLIENT_ADDRESS: &str = "client_address";
}

impl CommandMetadata {
    /// The fixed actor id used for the system itself (nil UUID).
    pub const SYSTEM_ACTOR: Uuid = Uuid::nil();

    /// Metadata for work the system or a command-line operator does.
    pub fn system(correlation_id: Uuid) -> Self {
        Self { actor_id: Self::SYSTEM_ACTOR, actor_role: ActorRole::System, correlation_id, client_address: None }
    }

    /// The map form cqrs-es stores with each event.
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::with_capacity(4);
        map.insert(keys::ACTOR_ID.into(), self.actor_id.to_string());
        map.insert(keys::ACTOR_ROLE.into(), self.actor_role.as_str().into());
        map.insert(keys::CORRELATION_ID.into(), self.correlation_id.to_string());
        if let Some(address) = &self.client_address {
            map.insert(keys::CLIENT_ADDRESS.into(), address.clone());
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_map_carries_actor_role_and_correlation() {
        let correlation = Uuid::new_v4();
        let actor = Uuid::new_v4();
        let meta = CommandMetadata {
            actor_id: actor,
            actor_role: ActorRole::Supervisor,
            correlation_id: correlation,
            client_address: Some("127.0.0.1".into()),
        };
        let map = meta.to_map();
        assert_eq!(map[keys::ACTOR_ID], actor.to_string());
        assert_eq!(map[keys::ACTOR_ROLE], "SUPERVISOR");
        assert_eq!(map[keys::CORRELATION_ID], correlation.to_string());
        assert_eq!(map[keys::CLIENT_ADDRESS], "127.0.0.1");
    }

    #[test]
    fn system_metadata_has_no_client_address() {
        let map = CommandMetadata::system(Uuid::new_v4()).to_map();
        assert_eq!(map[keys::ACTOR_ROLE], "SYSTEM");
        assert_eq!(map[keys::ACTOR_ID], Uuid::nil().to_string());
        assert!(!map.contains_key(keys::CLIENT_ADDRESS));
    }
}
