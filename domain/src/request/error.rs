use crate::ErrorCode;
use crate::catalogue::SubmissionProblem;
use crate::document::DocumentProblem;

/// Why a request command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("Kunci idempotensi harus 8–64 karakter huruf, angka, '-' atau '_'.")]
    InvalidIdempotencyKey,
    #[error("Layanan tidak dikenal.")]
    UnknownService,
    #[error("Periksa kembali isian pengajuan.")]
    InvalidSubmission(Vec<SubmissionProblem>),
    #[error("Pengajuan tidak ditemukan.")]
    NotFound,
    #[error("Pengajuan ini bukan milik Anda.")]
    NotYours,
    #[error("Pengajuan ini sedang ditangani petugas lain.")]
    AlreadyClaimed,
    #[error("Pengajuan ini tidak sedang menunggu untuk diproses.")]
    NotClaimable,
    #[error("Pengajuan ini tidak sedang Anda tangani. Ambil (klaim) pengajuan terlebih dahulu.")]
    NotClaimedByYou,
    #[error("Pengajuan ini sudah selesai, ditolak, atau dibatalkan.")]
    Closed,
    #[error("Daftar dokumen yang perlu diunggah ulang tidak valid.")]
    InvalidReuploadItems,
    #[error("Dokumen ini tidak diminta untuk diunggah ulang.")]
    ReuploadNotRequested,
    #[error("Layanan ini berakhir dengan dokumen yang diunduh, bukan diambil.")]
    NotAPickupService,
    #[error("Layanan ini berakhir dengan pengambilan kartu, bukan unduhan.")]
    NotADownloadService,
    /// A document the command needs was not sent or cannot be used (completion without a
    /// result file: `DOCUMENT_REQUIRED`).
    #[error(transparent)]
    Document(DocumentProblem),
    #[error("Tempat pengambilan wajib diisi, 3–200 karakter.")]
    InvalidPickupPlace,
    #[error("Dokumen belum siap diambil.")]
    NotReadyForPickup,
    #[error("Pengajuan tidak dapat dibatalkan lagi.")]
    NotCancellable,
    #[error("Alasan wajib diisi, 3–500 karakter.")]
    InvalidReason,
}

impl ErrorCode for RequestError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidIdempotencyKey => "INVALID_IDEMPOTENCY_KEY",
            Self::UnknownService => "UNKNOWN_SERVICE",
            Self::InvalidSubmission(_) => "INVALID_INPUT",
            Self::NotFound => "REQUEST_NOT_FOUND",
            Self::NotYours => "REQUEST_NOT_YOURS",
            Self::AlreadyClaimed => "REQUEST_ALREADY_CLAIMED",
            Self::NotClaimable => "REQUEST_NOT_CLAIMABLE",
            Self::NotClaimedByYou => "REQUEST_NOT_CLAIMED_BY_YOU",
            Self::Closed => "REQUEST_CLOSED",
            Self::InvalidReuploadItems => "INVALID_REUPLOAD_ITEMS",
            Self::ReuploadNotRequested => "REUPLOAD_NOT_REQUESTED",
            Self::NotAPickupService => "NOT_A_PICKUP_SERVICE",
            Self::NotADownloadService => "NOT_A_DOWNLOAD_SERVICE",
            Self::Document(problem) => problem.code(),
            Self::InvalidPickupPlace => "INVALID_PICKUP_PLACE",
            Self::NotReadyForPickup => "REQUEST_NOT_READY_FOR_PICKUP",
            Self::NotCancellable => "REQUEST_NOT_CANCELLABLE",
            Self::InvalidReason => "INVALID_REASON",
        }
    }
}
