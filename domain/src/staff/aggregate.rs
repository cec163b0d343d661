use serde::{Deserialize, Serialize};

use super::{DisplayName, Role, StaffCommand, StaffError, StaffEvent, StaffId, Username};
use crate::password::PasswordHash;

/// A staff account's state, folded from its events.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct StaffAccount {
    profile: Option<Profile>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Profile {
    id: StaffId,
    username: Username,
    display_name: DisplayName,
    role: Role,
    password_hash: PasswordHash,
    active: bool,
}

impl StaffAccount {
    /// Whether the account exists at all.
    pub fn exists(&self) -> bool {
        self.profile.is_some()
    }

    /// The stream id, once created.
    pub fn id(&self) -> Option<StaffId> {
        self.profile.as_ref().map(|p| p.id)
    }

    /// The current role, once created.
    pub fn role(&self) -> Option<Role> {
        self.profile.as_ref().map(|p| p.role)
    }

    /// The display name, once created.
    pub fn display_name(&self) -> Option<&DisplayName> {
        self.profile.as_ref().map(|p| &p.display_name)
    }

    /// The username, once created.
    pub fn username(&self) -> Option<&Username> {
        self.profile.as_ref().map(|p| &p.username)
    }

    /// Whether the account may sign in.
    pub fn is_active(&self) -> bool {
        self.profile.as_ref().is_some_and(|p| p.active)
    }

    /// The stored hash, for sign-in verification.
    pub fn password_hash(&self) -> Option<&PasswordHash> {
        self.profile.as_ref().map(|p| &p.password_hash)
    }

    fn active_profile(&self) -> Result<&Profile, StaffError> {
        let profile = self.profile.as_ref().ok_or(StaffError::NotFound)?;
        if profile.active { Ok(profile) } else { Err(StaffError::Deactivated) }
    }
}

impl crate::decide::Decide for StaffAccount {
    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error> {
        match command {
            StaffCommand::Create { username, display_name, role, password_hash } => {
                if self.profile.is_some() {
                    return Err(StaffError::UsernameTaken);
                }
                Ok(vec![StaffEvent::StaffAccountCreated {
                    staff_id: username.staff_id(),
                    username,
                    display_name,
                    role,
                    password_hash,
                }])
            }
            StaffCommand::ChangeRole { role, by } => {
                let profile = self.active_profile()?;
                if profile.id == by {
                    return Err(StaffError::CannotChangeSelf);
                }
                if profile.role == role {
                    return Err(StaffError::RoleUnchanged);
                }
                Ok(vec![StaffEvent::StaffRoleChanged { from: profile.role, to: role }])
            }
            StaffCommand::ChangePassword { password_hash } => {
                self.active_profile()?;
                Ok(vec![StaffEvent::StaffPasswordChanged { password_hash }])
            }
            StaffCommand::Deactivate { by } => {
                let profile = self.active_profile()?;
                if profile.id == by {
                    return Err(StaffError::CannotChangeSelf);
                }
                Ok(vec![StaffEvent::StaffAccountDeactivated])
            }
        }
    }
}

crate::decide::decided_aggregate!(StaffAccount, "StaffAccount", StaffCommand, StaffEvent, StaffError);

impl StaffAccount {
    /// Folds one event into the state (cqrs-es's `Aggregate::apply`).
    fn fold(&mut self, event: StaffEvent) {
        match event {
            StaffEvent::StaffAccountCreated { staff_id, username, display_name, role, password_hash } => {
                self.profile =
                    Some(Profile { id: staff_id, username, display_name, role, password_hash, active: true });
            }
            StaffEvent::StaffRoleChanged { to, .. } => {
                if let Some(p) = self.profile.as_mut() {
                    p.role = to;
                }
            }
            StaffEvent::StaffPasswordChanged { password_hash } => {
                if let Some(p) = self.profile.as_mut() {
                    p.password_hash = password_hash;
                }
            }
            StaffEvent::StaffAccountDeactivated => {
                if let Some(p) = self.profile.as_mut() {
                    p.active = false;
                }
            }
            // Sign-ins are streams of their own now (`crate::sign_in`); older ones stay here.
            StaffEvent::StaffSignedIn { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use cqrs_es::Aggregate;
    use cqrs_es::test::TestFramework;

    use super::*;

    type Given = TestFramework<StaffAccount>;

    fn username(name: &str) -> Username {
        Username::parse(name).unwrap_or_else(|e| panic!("{e}"))
    }

    fn hash(tag: &str) -> PasswordHash {
        PasswordHash::from_phc(format!("$argon2id$v=19$test${tag}"))
    }

    fn created(name: &str, role: Role) -> StaffEvent {
        let username = username(name);
        StaffEvent::StaffAccountCreated {
            staff_id: username.staff_id(),
            username,
            display_name: DisplayName::parse("Siti Aminah").unwrap_or_else(|e| panic!("{e}")),
            role,
            password_hash: hash("a"),
        }
    }

    fn create(name: &str, role: Role) -> StaffCommand {
        let username = username(name);
        StaffCommand::Create {
            username,
            display_name: DisplayName::parse("Siti Aminah").unwrap_or_else(|e| panic!("{e}")),
            role,
            password_hash: hash("a"),
        }
    }

    fn admin_id() -> StaffId {
        username("admin").staff_id()
    }

    #[test]
    fn given_nothing_when_create_then_account_created() {
        Given::with(())
            .given_no_previous_events()
            .when(create("siti", Role::Operator))
            .then_expect_events(vec![created("siti", Role::Operator)]);
    }

    #[test]
    fn given_created_when_create_again_then_username_taken() {
        Given::with(())
            .given(vec![created("siti", Role::Operator)])
            .when(create("siti", Role::Supervisor))
            .then_expect_error(StaffError::UsernameTaken);
    }

    #[test]
    fn given_operator_when_admin_promotes_then_role_changed() {
        Given::with(())
            .given(vec![created("siti", Role::Operator)])
            .when(StaffCommand::ChangeRole { role: Role::Supervisor, by: admin_id() })
            .then_expect_events(vec![StaffEvent::StaffRoleChanged { from: Role::Operator, to: Role::Supervisor }]);
    }

    #[test]
    fn given_operator_when_role_set_to_same_then_refused() {
        Given::with(())
            .given(vec![created("siti", Role::Operator)])
            .when(StaffCommand::ChangeRole { role: Role::Operator, by: admin_id() })
            .then_expect_error(StaffError::RoleUnchanged);
    }

    #[test]
    fn given_admin_when_changing_own_role_then_refused() {
        Given::with(())
            .given(vec![created("admin", Role::Admin)])
            .when(StaffCommand::ChangeRole { role: Role::Operator, by: admin_id() })
            .then_expect_error(StaffError::CannotChangeSelf);
    }

    #[test]
    fn given_admin_when_deactivating_self_then_refused() {
        Given::with(())
            .given(vec![created("admin", Role::Admin)])
            .when(StaffCommand::Deactivate { by: admin_id() })
            .then_expect_error(StaffError::CannotChangeSelf);
    }

    #[test]
    fn given_nothing_when_role_changed_then_not_found() {
        Given::with(())
            .given_no_previous_events()
            .when(StaffCommand::ChangeRole { role: Role::Admin, by: admin_id() })
            .then_expect_error(StaffError::NotFound);
    }

    #[test]
    fn given_deactivated_when_anything_then_deactivated() {
        let given =
            || Given::with(()).given(vec![created("siti", Role::Operator), StaffEvent::StaffAccountDeactivated]);
        given()
            .when(StaffCommand::ChangeRole { role: Role::Supervisor, by: admin_id() })
            .then_expect_error(StaffError::Deactivated);
        given().when(StaffCommand::Deactivate { by: admin_id() }).then_expect_error(StaffError::Deactivated);
        given()
            .when(StaffCommand::ChangePassword { password_hash: hash("b") })
            .then_expect_error(StaffError::Deactivated);
    }

    #[test]
    fn sign_ins_recorded_in_the_staff_stream_before_change_nothing() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).single().unwrap_or_default();
        Given::with(())
            .given(vec![created("siti", Role::Operator), StaffEvent::StaffSignedIn { at }])
            .when(StaffCommand::Deactivate { by: admin_id() })
            .then_expect_events(vec![StaffEvent::StaffAccountDeactivated]);
    }

    #[test]
    fn given_active_when_password_changed_then_new_hash_stored() {
        Given::with(())
            .given(vec![created("siti", Role::Operator)])
            .when(StaffCommand::ChangePassword { password_hash: hash("b") })
            .then_expect_events(vec![StaffEvent::StaffPasswordChanged { password_hash: hash("b") }]);
    }

    #[test]
    fn folding_tracks_role_activity_and_hash() {
        let mut account = StaffAccount::default();
        account.apply(created("siti", Role::Operator));
        account.apply(StaffEvent::StaffRoleChanged { from: Role::Operator, to: Role::Auditor });
        account.apply(StaffEvent::StaffPasswordChanged { password_hash: hash("c") });
        assert_eq!(account.role(), Some(Role::Auditor));
        assert_eq!(account.password_hash(), Some(&hash("c")));
        assert!(account.is_active());
        account.apply(StaffEvent::StaffAccountDeactivated);
        assert!(!account.is_active());
    }
}
