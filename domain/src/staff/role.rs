use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ActorRole;

/// A staff role. Roles are disjoint job descriptions; what each may do is decided in one
/// place, [`Role::permits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Operator,
    Supervisor,
    Auditor,
    Admin,
}

/// Something a staff member may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Create staff accounts, change roles, deactivate staff.
    ManageStaff,
    /// Holidays, cuti bersama and outages.
    ManageCalendar,
    /// Verify accounts and work the request queue.
    WorkQueue,
    /// Reassign work between operators and see every queue.
    SuperviseQueue,
    /// Read the event history and the document access log.
    Audit,
    /// Read the office statistics (the supervisor's dashboard): figures about the office's
    /// work, no personal data; supervisors run the office, auditors and admins oversee it.
    ReadStatistics,
    /// See the messages that could not be delivered (dead letters) and send them again.
    ManageNotifications,
    /// Approving the erasure of a resident's personal data (UU PDP); filing one is queue work.
    ApproveErasure,
}

impl Role {
    /// Every role, in the order a staff list shows them.
    pub const ALL: [Role; 4] = [Role::Operator, Role::Supervisor, Role::Auditor, Role::Admin];

    /// The single permission table of the service (docs/SECURITY.md prints it as the access matrix).
    pub fn permits(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Operator => matches!(permission, WorkQueue),
            Role::Supervisor => {
                matches!(
                    permission,
                    WorkQueue | SuperviseQueue | ManageCalendar | ReadStatistics | ManageNotifications | ApproveErasure
                )
            }
            Role::Auditor => matches!(permission, Audit | ReadStatistics),
            Role::Admin => matches!(permission, ManageStaff | Audit | ReadStatistics),
        }
    }

    /// The role's name as officers say it (the console's labels).
    pub fn label(self) -> &'static str {
        match self {
            Role::Operator => "Operator",
            Role::Supervisor => "Supervisor",
            Role::Auditor => "Auditor",
            Role::Admin => "Admin",
        }
    }

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "OPERATOR",
            Role::Supervisor => "SUPERVISOR",
            Role::Auditor => "AUDITOR",
            Role::Admin => "ADMIN",
        }
    }

    /// The actor role recorded on events this staff member causes.
    pub fn actor_role(self) -> ActorRole {
        match self {
            Role::Operator => ActorRole::Operator,
            Role::Supervisor => ActorRole::Supervisor,
            Role::Auditor => ActorRole::Auditor,
            Role::Admin => ActorRole::Admin,
        }
    }
}

impl Permission {
    /// What the permission lets one do, in the officers' words (ends the sentence "… yang
    /// dapat …").
    fn action(self) -> &'static str {
        match self {
            Permission::ManageStaff => "mengelola akun dan peran petugas",
            Permission::ManageCalendar => "mengatur kalender kantor (hari tutup dan gangguan layanan)",
            Permission::WorkQueue => "memverifikasi akun penduduk dan mengerjakan antrean pengajuan",
            Permission::SuperviseQueue => "membagi pekerjaan antrean ke petugas lain",
            Permission::Audit => "membaca riwayat dan log akses dokumen",
            Permission::ReadStatistics => "membuka dasbor statistik kantor",
            Permission::ManageNotifications => "melihat dan mengirim ulang pemberitahuan yang gagal terkirim",
            Permission::ApproveErasure => "menyetujui penghapusan data pribadi penduduk",
        }
    }

    /// The roles that hold the permission, read from [`Role::permits`].
    pub fn holders(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |role| role.permits(self))
    }

    /// The refusal a staff member reads when their role lacks the permission: which roles
    /// may, and what, e.g. "Hanya petugas dengan peran Operator atau Supervisor yang dapat …".
    pub fn refusal(self) -> String {
        let labels: Vec<&str> = self.holders().map(Role::label).collect();
        let roles = match labels.as_slice() {
            [] => String::new(),
            [only] => (*only).to_owned(),
            [rest @ .., last] => format!("{} atau {last}", rest.join(", ")),
        };
        format!("Hanya petugas dengan peran {roles} yang dapat {}.", self.action())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|role| role.as_str() == s).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_works_the_queue_only() {
        assert!(Role::Operator.permits(Permission::WorkQueue));
        for p in [
            Permission::ManageStaff,
            Permission::ManageCalendar,
            Permission::SuperviseQueue,
            Permission::Audit,
            Permission::ReadStatistics,
        ] {
            assert!(!Role::Operator.permits(p), "{p:?}");
        }
    }

    #[test]
    fn supervisor_does_what_an_operator_does_plus_calendar_and_reassignment() {
        for p in
            [Permission::WorkQueue, Permission::SuperviseQueue, Permission::ManageCalendar, Permission::ReadStatistics]
        {
            assert!(Role::Supervisor.permits(p), "{p:?}");
        }
        assert!(!Role::Supervisor.permits(Permission::ManageStaff));
        assert!(!Role::Supervisor.permits(Permission::Audit));
    }

    #[test]
    fn auditor_is_read_only() {
        assert!(Role::Auditor.permits(Permission::Audit));
        assert!(Role::Auditor.permits(Permission::ReadStatistics));
        for p in
            [Permission::WorkQueue, Permission::ManageCalendar, Permission::ManageStaff, Permission::SuperviseQueue]
        {
            assert!(!Role::Auditor.permits(p), "{p:?}");
        }
    }

    #[test]
    fn admin_manages_staff_but_does_not_work_the_queue() {
        assert!(Role::Admin.permits(Permission::ManageStaff));
        assert!(Role::Admin.permits(Permission::ReadStatistics));
        assert!(!Role::Admin.permits(Permission::WorkQueue));
        assert!(!Role::Admin.permits(Permission::ManageCalendar));
    }

    #[test]
    fn refusals_name_exactly_the_roles_that_may() {
        assert_eq!(
            Permission::WorkQueue.refusal(),
            "Hanya petugas dengan peran Operator atau Supervisor yang dapat memverifikasi akun penduduk \
             dan mengerjakan antrean pengajuan."
        );
        assert_eq!(
            Permission::ReadStatistics.refusal(),
            "Hanya petugas dengan peran Supervisor, Auditor atau Admin yang dapat membuka dasbor statistik kantor."
        );
        assert_eq!(
            Permission::ManageStaff.refusal(),
            "Hanya petugas dengan peran Admin yang dapat mengelola akun dan peran petugas."
        );
        for p in
            [Permission::ManageCalendar, Permission::SuperviseQueue, Permission::Audit, Permission::ManageNotifications]
        {
            assert!(p.holders().next().is_some(), "{p:?} is held by some role");
            for role in Role::ALL {
                assert_eq!(p.refusal().contains(role.label()), role.permits(p), "{p:?} {role:?}");
            }
        }
    }

    #[test]
    fn role_round_trips_through_its_spelling() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("ROOT".parse::<Role>().is_err());
    }
}
