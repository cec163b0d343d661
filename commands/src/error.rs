use domain::ErrorCode;
use domain::account::AccountError;
use domain::calendar::CalendarError;
use domain::legacy::LegacyError;
use domain::password::PasswordError;
use domain::request::RequestError;
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
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Legacy(#[from] LegacyError),
    #[error(transparent)]
    Request(RequestError),
    #[error(transparent)]
    Upload(#[from] crate::files::UploadError),
    /// Several fields of a form are wrong; all are reported at once.
    #[error("Periksa kembali isian berikut: {}.", .0.iter().map(|f| f.label.as_str()).collect::<Vec<_>>().join(", "))]
    InvalidFields(Vec<FieldError>),
    #[error("Jawaban captcha salah atau sudah kedaluwarsa. Muat captcha baru dan coba lagi.")]
    CaptchaInvalid,
    #[error(
        "Token unggah tidak valid, sudah habis, atau kedaluwarsa. Selesaikan captcha untuk mendapatkan token baru."
    )]
    UploadTokenInvalid,
    #[error(
        "Berkas unggahan {0} tidak dapat dipakai: tidak ditemukan, bukan milik Anda, sudah dipakai, atau kedaluwarsa."
    )]
    UploadNotUsable(uuid::Uuid),
    #[error("Terlalu banyak unggahan dari alamat ini. Coba lagi nanti.")]
    UploadRateLimited,
    /// An account's uploads per hour (count or bytes) are used up.
    #[error("Batas unggahan per jam untuk akun ini sudah tercapai. Coba lagi dalam {0} menit.")]
    UploadQuotaExceeded(i64),
    /// The file store's disk is nearly full: uploads wait until an operator makes room.
    #[error("Penyimpanan server sedang penuh. Coba lagi nanti, atau hubungi kantor Dinas.")]
    StorageFull,
    #[error("Terlalu banyak permintaan captcha dari alamat ini. Coba lagi dalam {0} detik.")]
    CaptchaRateLimited(i64),
    /// Sign-in refused for a while after repeated failures.
    #[error("Terlalu banyak percobaan. Silakan coba lagi dalam {0} detik.")]
    TooManyAttempts(i64),
    #[error("NIK atau kata sandi salah.")]
    InvalidResidentCredentials,
    #[error("Akun Anda masih menunggu verifikasi. Silakan hubungi admin verifikasi akun melalui WhatsApp.")]
    AwaitingVerification,
    #[error("Pendaftaran Anda ditolak: {0} Silakan daftar ulang dengan data yang benar.")]
    RegistrationRejected(String),
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

/// Commands that cannot be refused (`domain::sign_in`).
impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl ErrorCode for Error {
    fn code(&self) -> &'static str {
        match self {
            Self::Staff(e) => e.code(),
            Self::Calendar(e) => e.code(),
            Self::Password(e) => e.code(),
            Self::Account(e) => e.code(),
            Self::Legacy(e) => e.code(),
            Self::Request(e) => e.code(),
            Self::Upload(e) => e.code(),
            Self::InvalidFields(_) => "INVALID_INPUT",
            Self::CaptchaInvalid => "CAPTCHA_INVALID",
            Self::UploadTokenInvalid => "UPLOAD_TOKEN_INVALID",
            Self::UploadNotUsable(_) => "UPLOAD_NOT_USABLE",
            Self::UploadRateLimited => "UPLOAD_RATE_LIMITED",
            Self::UploadQuotaExceeded(_) => "UPLOAD_QUOTA_EXCEEDED",
            Self::StorageFull => "STORAGE_FULL",
            Self::CaptchaRateLimited(_) => "CAPTCHA_RATE_LIMITED",
            Self::TooManyAttempts(_) => "TOO_MANY_ATTEMPTS",
            Self::InvalidResidentCredentials => "INVALID_CREDENTIALS",
            Self::AwaitingVerification => "ACCOUNT_AWAITING_VERIFICATION",
            Self::RegistrationRejected(_) => "ACCOUNT_REJECTED",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::WrongCurrentPassword => "WRONG_CURRENT_PASSWORD",
            Self::Conflict => "CONCURRENT_MODIFICATION",
            Self::Internal(_) => "INTERNAL_ERROR",
        }
    }
}

impl From<RequestError> for Error {
    fn from(error: RequestError) -> Self {
        match error {
            // Submission problems become field errors, reported all at once like any form.
            RequestError::InvalidSubmission(problems) => Self::InvalidFields(
                problems
                    .into_iter()
                    .map(|p| FieldError { field: p.field, label: p.label, code: p.code, message: p.message })
                    .collect(),
            ),
            // A document the command needs is a field of its form too (completion's `uploadIds`).
            RequestError::Document(problem) => Self::InvalidFields(vec![FieldError::new_dynamic(
                "uploadIds".into(),
                problem.label().to_owned(),
                &problem,
            )]),
            other => Self::Request(other),
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

/// One wrong field of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The input field, as the API names it (`nik`, `phone`, …).
    pub field: String,
    /// Its label for people ("NIK", "Nomor HP/WhatsApp", …).
    pub label: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    /// A field error from a domain error.
    pub fn new<E: ErrorCode + std::fmt::Display>(field: &'static str, label: &'static str, error: &E) -> Self {
        Self { field: field.to_owned(), label: label.to_owned(), code: error.code(), message: error.to_string() }
    }

    /// A field error for a field named at run time.
    pub fn new_dynamic<E: ErrorCode + std::fmt::Display>(field: String, label: String, error: &E) -> Self {
        Self { field, label, code: error.code(), message: error.to_string() }
    }
}
