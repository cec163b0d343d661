use super::{DisplayName, Role, StaffId, Username};
use crate::password::PasswordHash;

/// What can be asked of a staff account. Passwords arrive already hashed: hashing is slow
/// I/O-free work the command side does off the async threads.
#[derive(Debug, Clone)]
pub enum StaffCommand {
    Create {
        username: Username,
        display_name: DisplayName,
        role: Role,
        password_hash: PasswordHash,
    },
    ChangeRole {
        role: Role,
        /// Who asks; nobody changes their own role.
        by: StaffId,
    },
    ChangePassword {
        password_hash: PasswordHash,
    },
    Deactivate {
        by: StaffId,
    },
}
