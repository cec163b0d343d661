use chrono::NaiveDate;

use crate::ErrorCode;

/// Why a calendar command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("Tanggal tidak valid. Gunakan format TTTT-BB-HH, misalnya 2026-12-25.")]
    InvalidDate,
    #[error("Nama hari libur wajib diisi, maksimal 100 karakter.")]
    InvalidHolidayName,
    #[error("Alasan gangguan wajib diisi, maksimal 300 karakter.")]
    InvalidOutageReason,
    #[error("Tanggal {0} sudah tercatat sebagai hari libur.")]
    HolidayExists(NaiveDate),
    #[error("Tanggal {0} tidak tercatat sebagai hari libur.")]
    HolidayNotFound(NaiveDate),
    #[error("Hari libur yang sudah lewat tidak dapat diubah, karena tenggat layanan yang lalu dihitung dengannya.")]
    HolidayInPast(NaiveDate),
    #[error("Hari libur hanya dapat dicatat paling jauh 3 tahun ke depan.")]
    HolidayTooFarAhead(NaiveDate),
    #[error("Gangguan sudah dinyatakan sejak {0}. Akhiri gangguan itu terlebih dahulu.")]
    OutageAlreadyDeclared(String),
    #[error("Tidak ada gangguan yang sedang berlangsung.")]
    NoOutageInProgress,
}

impl ErrorCode for CalendarError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidDate => "INVALID_DATE",
            Self::InvalidHolidayName => "INVALID_HOLIDAY_NAME",
            Self::InvalidOutageReason => "INVALID_OUTAGE_REASON",
            Self::HolidayExists(_) => "HOLIDAY_ALREADY_EXISTS",
            Self::HolidayNotFound(_) => "HOLIDAY_NOT_FOUND",
            Self::HolidayInPast(_) => "HOLIDAY_IN_PAST",
            Self::HolidayTooFarAhead(_) => "HOLIDAY_TOO_FAR_AHEAD",
            Self::OutageAlreadyDeclared(_) => "OUTAGE_ALREADY_DECLARED",
            Self::NoOutageInProgress => "NO_OUTAGE_IN_PROGRESS",
        }
    }
}
