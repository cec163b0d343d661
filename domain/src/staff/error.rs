use crate::ErrorCode;
use crate::password::PasswordError;

/// Why a staff command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaffError {
    #[error(
        "Nama pengguna harus 3–32 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung, diawali huruf."
    )]
    InvalidUsername,
    #[error("Nama tampilan wajib diisi, maksimal 100 karakter.")]
    InvalidDisplayName,
    #[error("Nama pengguna ini sudah dipakai.")]
    UsernameTaken,
    #[error("Akun petugas tidak ditemukan.")]
    NotFound,
    #[error("Akun petugas ini sudah dinonaktifkan.")]
    Deactivated,
    #[error("Petugas ini sudah memiliki peran tersebut.")]
    RoleUnchanged,
    #[error("Anda tidak dapat mengubah peran atau menonaktifkan akun Anda sendiri.")]
    CannotChangeSelf,
    #[error("{0}")]
    Password(#[from] PasswordError),
}

impl ErrorCode for StaffError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidUsername => "INVALID_USERNAME",
            Self::InvalidDisplayName => "INVALID_DISPLAY_NAME",
            Self::UsernameTaken => "USERNAME_TAKEN",
            Self::NotFound => "STAFF_NOT_FOUND",
            Self::Deactivated => "STAFF_DEACTIVATED",
            Self::RoleUnchanged => "ROLE_UNCHANGED",
            Self::CannotChangeSelf => "CANNOT_CHANGE_OWN_ACCOUNT",
            Self::Password(inner) => inner.code(),
        }
    }
}
