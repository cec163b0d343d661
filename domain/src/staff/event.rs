use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{DisplayName, Role, StaffId, Username};
use crate::password::PasswordHash;

/// Facts about a staff account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StaffEvent {
    StaffAccountCreated {
        staff_id: StaffId,
        username: Username,
        display_name: DisplayName,
        role: Role,
        password_hash: PasswordHash,
    },
    StaffRoleChanged {
        from: Role,
        to: Role,
    },
    StaffPasswordChanged {
        password_hash: PasswordHash,
    },
    StaffAccountDeactivated,
    StaffSignedIn {
        at: DateTime<Utc>,
    },
}

impl DomainEvent for StaffEvent {
    fn event_type(&self) -> String {
        match self {
            Self::StaffAccountCreated { .. } => "StaffAccountCreated",
            Self::StaffRoleChanged { .. } => "StaffRoleChanged",
            Self::StaffPasswordChanged { .. } => "StaffPasswordChanged",
            Self::StaffAccountDeactivated => "StaffAccountDeactivated",
            Self::StaffSignedIn { .. } => "StaffSignedIn",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
