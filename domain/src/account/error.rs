use crate::ErrorCode;

/// Why an account command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("NIK ini sudah memiliki akun aktif. Silakan login, atau gunakan menu Lupa Password.")]
    AlreadyRegistered,
    #[error("Pendaftaran dengan NIK ini sedang menunggu verifikasi admin.")]
    AwaitingVerification,
    #[error("Akun tidak ditemukan.")]
    NotFound,
    #[error("Akun ini tidak sedang menunggu verifikasi.")]
    NotAwaitingVerification,
    #[error("Akun ini belum aktif.")]
    NotActive,
    #[error("Alasan wajib diisi, 3–500 karakter.")]
    InvalidReason,
    #[error("Tidak ada permintaan reset kata sandi yang menunggu untuk akun ini.")]
    NoResetRequested,
    #[error("Kode reset tidak valid atau sudah kedaluwarsa.")]
    ResetCodeInvalid,
    #[error("Permintaan reset kata sandi untuk akun ini sudah ada dan sedang diproses.")]
    ResetAlreadyPending,
    #[error("NIK akun lama tidak sama dengan NIK akun ini.")]
    LegacyNikMismatch,
    #[error("Permintaan penghapusan data untuk akun ini sudah ada dan menunggu persetujuan.")]
    ErasureAlreadyRequested,
    #[error("Tidak ada permintaan penghapusan data yang menunggu persetujuan untuk akun ini.")]
    NoErasureRequested,
    #[error("Penghapusan data harus disetujui oleh supervisor lain, bukan oleh yang memintanya.")]
    ErasureNeedsAnotherOfficer,
}

impl ErrorCode for AccountError {
    fn code(&self) -> &'static str {
        match self {
            Self::AlreadyRegistered => "ACCOUNT_ALREADY_REGISTERED",
            Self::AwaitingVerification => "ACCOUNT_AWAITING_VERIFICATION",
            Self::NotFound => "ACCOUNT_NOT_FOUND",
            Self::NotAwaitingVerification => "ACCOUNT_NOT_AWAITING_VERIFICATION",
            Self::NotActive => "ACCOUNT_NOT_ACTIVE",
            Self::InvalidReason => "INVALID_REASON",
            Self::NoResetRequested => "PASSWORD_RESET_NOT_REQUESTED",
            Self::ResetCodeInvalid => "RESET_CODE_INVALID",
            Self::ResetAlreadyPending => "PASSWORD_RESET_ALREADY_PENDING",
            Self::LegacyNikMismatch => "LEGACY_NIK_MISMATCH",
            Self::ErasureAlreadyRequested => "ERASURE_ALREADY_REQUESTED",
            Self::NoErasureRequested => "ERASURE_NOT_REQUESTED",
            Self::ErasureNeedsAnotherOfficer => "ERASURE_NEEDS_ANOTHER_OFFICER",
        }
    }
}
