//! Deciding what an upload is by its content, and making images harmless.

use std::io::Cursor;

use domain::ErrorCode;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// Largest accepted image side, in pixels (a phone photo is ~4000).
const MAX_SIDE: u32 = 8000;
/// Most pixels an accepted photo may have: a phone's default photo is 12 MP, a document
/// needs far less. Refused before decoding: 8000 × 8000 JPEGs of 1 MB each (64 MP, 192 MB
/// decoded) drove the server to 8 GB when 16 came at once.
pub const MAX_PIXELS: u64 = 25_000_000;
/// Memory a decoder may use: a bound against decompression bombs.
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
/// JPEG quality of re-encoded photos: documents stay legible.
const JPEG_QUALITY: u8 = 85;

/// What an upload turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Jpeg,
    Png,
    Pdf,
}

impl FileKind {
    /// MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Pdf => "application/pdf",
        }
    }

    /// The file-name extension it is downloaded with.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Pdf => "pdf",
        }
    }

    /// Whether it is a photo (selfies must be).
    pub fn is_image(self) -> bool {
        matches!(self, Self::Jpeg | Self::Png)
    }

    /// From a stored MIME type.
    pub fn from_content_type(raw: &str) -> Option<Self> {
        [Self::Jpeg, Self::Png, Self::Pdf].into_iter().find(|k| k.content_type() == raw)
    }
}

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("Berkas kosong.")]
    Empty,
    #[error("Ukuran berkas melebihi batas {0} MB.")]
    TooLarge(u64),
    #[error("Jenis berkas tidak diterima. Unggah foto JPEG/PNG atau dokumen PDF.")]
    TypeNotAllowed,
    #[error("Gambar rusak atau tidak dapat dibaca. Unggah ulang foto yang utuh.")]
    ImageUnreadable,
    #[error(
        "Resolusi gambar terlalu besar (maksimal {MAX_SIDE} piksel per sisi dan 25 megapiksel). Foto ulang dengan resolusi lebih kecil."
    )]
    ImageTooLarge,
    #[error("Dokumen PDF rusak atau berisi konten aktif yang tidak diizinkan.")]
    PdfNotAllowed,
    #[error("Kirim tepat satu berkas dalam kolom 'file'.")]
    MissingFile,
}

impl ErrorCode for UploadError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "UPLOAD_EMPTY",
            Self::TooLarge(_) => "UPLOAD_TOO_LARGE",
            Self::TypeNotAllowed => "UPLOAD_TYPE_NOT_ALLOWED",
            Self::ImageUnreadable => "UPLOAD_IMAGE_UNREADABLE",
            Self::ImageTooLarge => "UPLOAD_IMAGE_TOO_LARGE",
            Self::PdfNotAllowed => "UPLOAD_PDF_NOT_ALLOWED",
            Self::MissingFile => "UPLOAD_MISSING_FILE",
        }
    }
}

/// Identifies the file by its bytes (never its name or declared type); decodes images within
/// limits and re-encodes them (dropping EXIF/GPS, keeping them upright); parses PDFs and refuses
/// any beyond a passive allow-list (see [`super::pdf`]), storing accepted ones byte for byte.
/// CPU-bound: call it on the blocking pool.
pub fn sanitize(bytes: &[u8]) -> Result<(FileKind, Vec<u8>), UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Empty);
    }
    match infer::get(bytes).map(|t| t.mime_type()) {
        Some("image/jpeg") => Ok((FileKind::Jpeg, reencode(bytes, ImageFormat::Jpeg)?)),
        Some("image/png") => Ok((FileKind::Png, reencode(bytes, ImageFormat::Png)?)),
        Some("application/pdf") => super::pdf::check(bytes).map(|()| (FileKind::Pdf, bytes.to_vec())),
        _ => Err(UploadError::TypeNotAllowed),
    }
}

/// What checking and cleaning `bytes` will cost in memory at most, in bytes, found from the
/// headers alone — or the refusal that needs no decoding (unknown type, too many pixels). The
/// caller reserves this much of the decode budget before calling [`sanitize`].
pub fn decode_cost(bytes: &[u8]) -> Result<u64, UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Empty);
    }
    let format = match infer::get(bytes).map(|t| t.mime_type()) {
        Some("image/jpeg") => ImageFormat::Jpeg,
        Some("image/png") => ImageFormat::Png,
        // Parsing a PDF keeps its objects in memory: a generous multiple of its size.
        Some("application/pdf") => return Ok((bytes.len() as u64).saturating_mul(8).max(1 << 20)),
        _ => return Err(UploadError::TypeNotAllowed),
    };
    let (width, height) = dimensions(bytes, format)?;
    let pixels = u64::from(width) * u64::from(height);
    if width > MAX_SIDE || height > MAX_SIDE || pixels > MAX_PIXELS {
        return Err(UploadError::ImageTooLarge);
    }
    // Decoded (at most 8 bytes a pixel: 16-bit RGBA), plus the copy re-encoding may make.
    let per_pixel = if format == ImageFormat::Png { 8 } else { 3 };
    Ok(pixels * per_pixel * 2 + bytes.len() as u64)
}

fn dimensions(bytes: &[u8], format: ImageFormat) -> Result<(u32, u32), UploadError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    reader.into_dimensions().map_err(decode_error)
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

/// Whether the image ends as a complete file must: JPEG with its end-of-image marker
/// (entropy-coded data stuffs every 0xFF, so `FF D9` near the end is the real marker), PNG with
/// its `IEND` chunk. Decoders are lenient with truncated files and would otherwise store a
/// half-grey photo.
fn is_complete(bytes: &[u8], format: ImageFormat) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    match format {
        ImageFormat::Jpeg => tail.windows(2).any(|w| w == [0xFF, 0xD9]),
        _ => tail.windows(4).any(|w| w == b"IEND"),
    }
}

fn reencode(bytes: &[u8], format: ImageFormat) -> Result<Vec<u8>, UploadError> {
    let (width, height) = dimensions(bytes, format)?;
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(UploadError::ImageTooLarge);
    }
    if !is_complete(bytes, format) {
        return Err(UploadError::ImageUnreadable);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    // `into_decoder` checks the sides but not the memory bound (only `ImageReader::decode`
    // does): a PNG within 8000 × 8000 at 16 bits per channel would need 512 MiB.
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(UploadError::ImageTooLarge);
    }
    let orientation = decoder.orientation().map_err(|_| UploadError::ImageUnreadable)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    image.apply_orientation(orientation);
    let mut out = Cursor::new(Vec::new());
    match format {
        ImageFormat::Jpeg => {
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            // `into_rgb8` moves an RGB image instead of copying it.
            image.into_rgb8().write_with_encoder(encoder).map_err(|_| UploadError::ImageUnreadable)?;
        }
        _ => image.write_to(&mut out, ImageFormat::Png).map_err(|_| UploadError::ImageUnreadable)?,
    }
    Ok(out.into_inner())
}

/// A decoder's refusal: over a limit (too large), or anything else (unreadable).
fn decode_error(error: image::ImageError) -> UploadError {
    match error {
        image::ImageError::Limits(_) => UploadError::ImageTooLarge,
        _ => UploadError::ImageUnreadable,
    }
}

#[cfg(test)]
mod tests {
    use image::{ImageBuffer, Rgb};

    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = ImageBuffer::from_fn(width, height, |x, y| Rgb([(x % 255) as u8, (y % 255) as u8, 128]));
        let mut out = Cursor::new(Vec::new());
        let _ = DynamicImage::ImageRgb8(img).write_to(&mut out, ImageFormat::Jpeg);
        out.into_inner()
    }

    #[test]
    fn jpeg_is_reencoded_without_exif() {
        let mut original = jpeg(64, 48);
        // Splice an APP1/EXIF segment with a fake GPS marker after SOI.
        let exif = b"\xFF\xE1\x00\x16Exif\x00\x00GPSLatitude!!";
        original.splice(2..2, exif.iter().copied());
        assert!(original.windows(11).any(|w| w == b"GPSLatitude"));
        let (kind, cleaned) = sanitize(&original).unwrap_or((FileKind::Pdf, vec![]));
        assert_eq!(kind, FileKind::Jpeg);
        assert!(!cleaned.windows(11).any(|w| w == b"GPSLatitude"), "EXIF must be gone");
        assert!(image::load_from_memory(&cleaned).is_ok());
    }

    #[test]
    fn photos_over_25_megapixels_are_refused_from_their_header() {
        // 6000 × 5000 = 30 MP: within the side limit, over the pixel limit.
        let big = jpeg(6000, 5000);
        assert_eq!(decode_cost(&big), Err(UploadError::ImageTooLarge));
        assert_eq!(sanitize(&big).map(|r| r.0), Err(UploadError::ImageTooLarge));
        let cost = decode_cost(&jpeg(4000, 3000)).unwrap_or(0);
        assert!(cost >= 4000 * 3000 * 3, "a 12 MP photo costs its decoded size: {cost}");
        assert_eq!(decode_cost(b"MZ\x90\x00"), Err(UploadError::TypeNotAllowed));
    }

    #[test]
    fn truncated_jpeg_is_refused() {
        let whole = jpeg(64, 48);
        assert_eq!(sanitize(&whole[..whole.len() / 2]).map(|r| r.0), Err(UploadError::ImageUnreadable));
    }

    #[test]
    fn png_decompression_bomb_is_refused_before_decoding() {
        // A valid PNG header claiming 20000 × 20000 pixels.
        let mut png = Vec::new();
        png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(b"IHDR");
        ihdr.extend_from_slice(&20000u32.to_be_bytes());
        ihdr.extend_from_slice(&20000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        let result = sanitize(&png).map(|r| r.0);
        assert!(matches!(result, Err(UploadError::ImageTooLarge | UploadError::ImageUnreadable)), "{result:?}");
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for byte in data {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn executables_and_text_are_refused_whatever_their_name() {
        assert_eq!(sanitize(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00").map(|r| r.0), Err(UploadError::TypeNotAllowed));
        assert_eq!(sanitize(b"\x7fELF\x02\x01\x01\x00").map(|r| r.0), Err(UploadError::TypeNotAllowed));
        assert_eq!(sanitize(b"<html>hello</html>").map(|r| r.0), Err(UploadError::TypeNotAllowed));
        assert_eq!(sanitize(b"").map(|r| r.0), Err(UploadError::Empty));
    }

    #[test]
    fn pdf_names_are_decoded_before_they_are_checked() {
        let pdf = |body: &str| {
            format!("%PDF-1.4\n1 0 obj << {body} >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n").into_bytes()
        };
        for hidden in ["/J#61vaScript", "/#4A#53", "/Launc#68", "/#45mbeddedFiles", "/XF#41"] {
            let bytes = pdf(&format!("/OpenAction << /S {hidden} (app.alert(1)) >>"));
            assert_eq!(sanitize(&bytes).map(|r| r.0), Err(UploadError::PdfNotAllowed), "{hidden}");
        }
        // Parsed now: a document needs a trailer and a catalog.
        for harmless in ["/Type /Catalog", "/Title (JavaScript tutorial)", "/Jump true"] {
            let catalog = pdf(&format!("/Type /Catalog {harmless}"));
            assert_eq!(sanitize(&catalog).map(|r| r.0), Ok(FileKind::Pdf), "{harmless}");
        }
        // Broken escapes pass the byte scan (see pdf.rs) but do not parse.
        for broken in ["/J#5", "/F#"] {
            let catalog = pdf(&format!("/Type /Catalog {broken}"));
            assert_eq!(sanitize(&catalog).map(|r| r.0), Err(UploadError::PdfNotAllowed), "{broken}");
        }
    }

    #[test]
    fn png_needing_more_memory_than_the_bound_is_refused_before_decoding() {
        // 8000 × 8000 (within the side limit) RGBA at 16 bits: 512 MiB decoded.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [
            (
                b"IHDR",
                [8000u32.to_be_bytes(), 8000u32.to_be_bytes()].concat().into_iter().chain([16, 6, 0, 0, 0]).collect(),
            ),
            (b"IDAT", vec![0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01]),
            (b"IEND", Vec::new()),
        ] {
            let chunk: Vec<u8> = kind.iter().copied().chain(data.iter().copied()).collect::<Vec<u8>>();
            png.extend_from_slice(&(data.len() as u32).to_be_bytes());
            png.extend_from_slice(&chunk);
            png.extend_from_slice(&crc32(&chunk).to_be_bytes());
        }
        assert_eq!(sanitize(&png).map(|r| r.0), Err(UploadError::ImageTooLarge));
    }

    #[test]
    fn pdfs_must_be_complete_and_passive() {
        let ok = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
        assert_eq!(sanitize(ok).map(|r| r.0), Ok(FileKind::Pdf));
        let script = b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF\n";
        assert_eq!(sanitize(script).map(|r| r.0), Err(UploadError::PdfNotAllowed));
        assert_eq!(sanitize(b"%PDF-1.4\n1 0 obj").map(|r| r.0), Err(UploadError::PdfNotAllowed));
    }
}
