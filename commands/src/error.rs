use domain::ErrorCode;
use domain::calendar::CalendarError;
use domain::password::PasswordError;
use domain::staff::StaffError;

/// Every way a command can fail. Domain variants carry the Indonesian message and stable
/// code of the rule that refused; `Internal` is logged in full and shown to nobody.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Staff(#[from] StaffError),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// Unknown user, wrong password or a deactivated account: deliberately one answer.
    #[error("Nama pengguna atau kata sandi salah.")]
    InvalidCredentials,
    /// The current password given to change it was wrong.
    #[error("Kata sandi saat ini salah.")]
    WrongCurrentPassword,
    /// Someone else changed the same record at the same moment, several times over.
    #[error("Data ini sedang diubah oleh pengguna lain. Silakan coba lagi.")]
    Conflict,
    #[error("internal error: {0}")]
    Internal(String),
}

impl ErrorCode for Error {
    fn code(&self) -> &'static str {
        match self {
            Self::Staff(e) => e.code(),
            Self::Calendar(e) => e.code(),
            Self::Password(e) => e.code(),
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::WrongCurrentPassword => "WRONG_CURRENT_PASSWORD",
            Self::Conflict => "CONCURRENT_MODIFICATION",
            Self::Internal(_) => "INTERNAL_ERROR",
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(format!("database: {e}"))
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Internal(format!("blocking task: {e}"))
    }
}
