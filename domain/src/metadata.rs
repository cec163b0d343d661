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

impl std::str::FromStr for ActorRole {
    type Err = ();

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        [Self::Resident, Self::Operator, Self::Supervisor, Self::Auditor, Self::Admin, Self::System]
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or(())
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
    /// Who acts; stored as `actor_id` and `actor_role` ([`Actor::id`], [`Actor::role`]).
    pub actor: Actor,
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
        Self { actor: Actor::System, correlation_id, client_address: None }
    }

    /// The same request's metadata with another actor: a sign-in or registration names the
    /// resident or staff member it turned out to be.
    pub fn with_actor(self, actor: Actor) -> Self {
        Self { actor, ..self }
    }

    /// The map form cqrs-es stores with each event.
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::with_capacity(4);
        map.insert(keys::ACTOR_ID.into(), self.actor.id().to_string());
        map.insert(keys::ACTOR_ROLE.into(), self.actor.role().as_str().into());
        map.insert(keys::CORRELATION_ID.into(), self.correlation_id.to_string());
        if let Some(address) = &self.client_address {
            map.insert(keys::CLIENT_ADDRESS.into(), address.clone());
        }
        map
    }

    /// Reads stored metadata back (the events' `metadata` column); `None` when a key is
    /// missing or malformed.
    pub fn from_map(map: &HashMap<String, String>) -> Option<Self> {
        let id = Uuid::parse_str(map.get(keys::ACTOR_ID)?).ok()?;
        let role = map.get(keys::ACTOR_ROLE)?.parse().ok()?;
        Some(Self {
            actor: Actor::from_stored(id, role),
            correlation_id: Uuid::parse_str(map.get(keys::CORRELATION_ID)?).ok()?,
            client_address: map.get(keys::CLIENT_ADDRESS).cloned(),
        })
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
            actor: Actor::Staff { id: StaffId(actor), role: Role::Supervisor },
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

    /// Metadata as events written before the typed actor existed carry it: each kind of
    /// actor reads back as itself, and writing it again gives the very same map.
    #[test]
    fn stored_metadata_reads_back_and_is_written_the_same() {
        let id = "5f0c2b7e-8a41-4c7e-9d2a-3b6f1e0a9c11";
        let correlation = "0b7d3f52-1c9e-4a8b-b6e2-7f4d9c3a1e55";
        let stored = |role: &str| -> HashMap<String, String> {
            serde_json::from_str(&format!(
                r#"{{"actor_id": "{id}", "actor_role": "{role}", "correlation_id": "{correlation}", "client_address": "10.0.0.7"}}"#
            ))
            .unwrap_or_default()
        };
        let uuid = Uuid::parse_str(id).unwrap_or_default();
        let cases = [
            ("RESIDENT", Actor::Resident(AccountId(uuid))),
            ("OPERATOR", Actor::Staff { id: StaffId(uuid), role: Role::Operator }),
            ("ADMIN", Actor::Staff { id: StaffId(uuid), role: Role::Admin }),
        ];
        for (role, actor) in cases {
            let meta = CommandMetadata::from_map(&stored(role));
            assert_eq!(meta.as_ref().map(|m| m.actor), Some(actor), "{role}");
            assert_eq!(meta.as_ref().and_then(|m| m.client_address.as_deref()), Some("10.0.0.7"));
            assert_eq!(meta.map(|m| m.to_map()), Some(stored(role)), "{role} is written back unchanged");
        }
        let system: HashMap<String, String> = serde_json::from_str(&format!(
            r#"{{"actor_id": "{}", "actor_role": "SYSTEM", "correlation_id": "{correlation}"}}"#,
            Uuid::nil()
        ))
        .unwrap_or_default();
        let meta = CommandMetadata::from_map(&system);
        assert_eq!(meta.as_ref().map(|m| m.actor), Some(Actor::System));
        assert_eq!(meta.map(|m| m.to_map()), Some(system));
        // An anonymous caller is stored exactly as the system always was.
        let anonymous = CommandMetadata { actor: Actor::Anonymous, ..CommandMetadata::system(Uuid::nil()) };
        assert_eq!(anonymous.to_map(), CommandMetadata::system(Uuid::nil()).to_map());
        assert_eq!(CommandMetadata::from_map(&HashMap::new()), None);
    }
}
