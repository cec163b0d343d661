//! Documents residents upload and the office issues: checked by content, images re-encoded
//! (EXIF and GPS gone), encrypted at rest, stored through `object_store` (local disk or
//! S3-compatible), attached at most once, and every view logged.

mod crypto;
mod gate;
mod identity;
mod pdf;
mod sanitize;
mod store;
mod tokens;

pub use crypto::FileKeys;
pub use gate::DecodeGate;
pub use identity::{FileOwner, UploadedBy};
pub use sanitize::{FileKind, MAX_PIXELS, UploadError, sanitize};
pub(crate) use store::ATTACH_UPLOADS;
pub use store::{
    AccessFilter, AccessRecord, Attachment, DocumentAccess, FileStore, StoredFile, UploadLimits, Uploader,
    object_store_from_url, stream_ref,
};
pub use tokens::UploadTokens;
