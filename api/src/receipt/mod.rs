//! "Bukti Pengajuan": the receipt a resident downloads after a submission, and what anyone
//! scanning its QR code is told.
//!
//! The receipt holds what the resident already knows (office, request number, service, time,
//! the names of the documents sent, the promise) and a QR code of the public verification
//! address; it never holds the NIK, the form's values or a document's content.

mod pdf;

use chrono::{DateTime, Utc};
use domain::document::DocumentName;
use domain::request::{ReceiptCode, RequestNumber, ServiceRequest};
pub use pdf::RenderError;
use pdf::{PAGE_HEIGHT, PAGE_WIDTH, Page, Weight};

const OFFICE: [&str; 2] = ["DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL", "KABUPATEN KAPUAS HULU"];
const MARGIN: f32 = 60.0;

/// What a receipt shows.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub number: RequestNumber,
    pub service: String,
    pub submitted_at: DateTime<Utc>,
    /// Labels of the documents sent ("Surat keterangan lahir dari bidan/rumah sakit").
    pub documents: Vec<String>,
    pub code: ReceiptCode,
    /// `PUBLIC_URL/verifikasi/<code>`.
    pub verify_url: String,
}

impl Receipt {
    /// The receipt of a submitted request; `None` before receipts existed (no code).
    pub fn of(request: &ServiceRequest, public_url: &str) -> Option<Self> {
        let submitted = request.submitted()?;
        let code = submitted.receipt_code.clone()?;
        let label = |code: &domain::catalogue::DocumentCode| {
            submitted
                .requirements
                .iter()
                .find(|r| &r.code == code)
                .map_or_else(|| code.to_string(), |r| r.label.clone())
        };
        Some(Self {
            number: submitted.number.clone(),
            service: submitted.service_name.clone(),
            submitted_at: submitted.submitted_at,
            documents: submitted.documents.iter().map(|d| label(&d.code)).collect(),
            verify_url: verify_url(public_url, &code),
            code,
        })
    }

    /// The download's name (without `.pdf`), named like every other document.
    pub fn name(&self) -> DocumentName {
        DocumentName::receipt(&self.number)
    }

    /// The one-page A4 PDF.
    pub fn pdf(&self) -> Result<Vec<u8>, RenderError> {
        let mut page = Page::new()?;
        let width = PAGE_WIDTH - 2.0 * MARGIN;
        let mut y = PAGE_HEIGHT - 70.0;
        page.centred(y, OFFICE[0], 13.0, Weight::Bold);
        y -= 18.0;
        page.centred(y, OFFICE[1], 13.0, Weight::Bold);
        y -= 14.0;
        page.rule(MARGIN, y, width);
        y -= 34.0;
        page.centred(y, "BUKTI PENGAJUAN LAYANAN ONLINE", 16.0, Weight::Bold);
        y -= 40.0;

        let submitted = domain::working_time::format_wib(self.submitted_at);
        let rows: [(&str, &str); 3] =
            [("Nomor pengajuan", self.number.as_str()), ("Layanan", &self.service), ("Waktu pengajuan", &submitted)];
        let value_x = MARGIN + 140.0;
        for (label, value) in rows {
            page.text(MARGIN, y, label, 11.0, Weight::Regular);
            y = page.paragraph(value_x, y, value, 11.0, Weight::Bold, width - 140.0) - 6.0;
        }
        page.text(MARGIN, y, "Dokumen dikirim", 11.0, Weight::Regular);
        if self.documents.is_empty() {
            y = page.paragraph(value_x, y, "—", 11.0, Weight::Regular, width - 140.0) - 6.0;
        }
        for document in &self.documents {
            y = page.paragraph(value_x, y, &format!("• {document}"), 11.0, Weight::Regular, width - 140.0);
        }
        y -= 18.0;
        y = page.paragraph(
            MARGIN,
            y,
            "Janji layanan: pengajuan diproses paling lambat 1×24 jam pada hari dan jam kerja \
             (Senin–Jumat, 08.00–16.00 WIB, di luar hari libur dan cuti bersama). Pantau statusnya \
             di Beranda akun Anda.",
            11.0,
            Weight::Regular,
            width,
        );
        y -= 24.0;
        page.rule(MARGIN, y, width);
        y -= 20.0;

        let qr_size = 150.0;
        page.qr(MARGIN - 10.0, y, qr_size, self.verify_url.as_bytes())?;
        let text_x = MARGIN + qr_size + 10.0;
        let mut t = y - 30.0;
        page.text(text_x, t, "Periksa keaslian bukti ini", 12.0, Weight::Bold);
        t -= 18.0;
        t = page.paragraph(
            text_x,
            t,
            "Pindai kode QR, atau buka alamat di bawah dan masukkan kode verifikasi.",
            10.0,
            Weight::Regular,
            width - qr_size - 10.0,
        );
        t -= 4.0;
        let url_top = t + 9.0;
        t = page.paragraph(text_x, t, &self.verify_url, 9.0, Weight::Regular, width - qr_size - 10.0);
        page.link(text_x, t + 6.0, width - qr_size - 10.0, url_top, &self.verify_url);
        // The QR code itself opens the address too, for a reader on a phone.
        page.link(MARGIN - 10.0, y - qr_size, qr_size, y, &self.verify_url);
        t -= 8.0;
        page.text(text_x, t, &format!("Kode: {}", self.code), 12.0, Weight::Bold);

        page.paragraph(
            MARGIN,
            60.0,
            "Bukti ini bukan dokumen kependudukan. Simpan sampai dokumen Anda selesai.",
            9.0,
            Weight::Regular,
            width,
        );
        page.finish(&format!("Bukti Pengajuan {}", self.number.as_str()))
    }
}

/// The public address a receipt's QR code opens.
pub fn verify_url(public_url: &str, code: &ReceiptCode) -> String {
    format!("{}/verifikasi/{}", public_url.trim().trim_end_matches('/'), code)
}

/// A name as a verifier may see it: each word's first letter, the rest starred
/// ("Siti Aminah" → "S*** A*****").
pub fn masked_name(name: &str) -> String {
    name.split_whitespace()
        .map(|word| {
            let mut chars = word.chars();
            let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
            format!("{first}{}", "*".repeat(chars.count()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_word_by_word() {
        assert_eq!(masked_name("Siti Aminah"), "S*** A*****");
        assert_eq!(masked_name("  dayang   sumbi "), "D***** S****");
        assert_eq!(masked_name(""), "");
    }

    #[test]
    fn a_receipt_renders_on_one_small_page() -> Result<(), RenderError> {
        let code = ReceiptCode::from_random([3; 10]);
        let receipt = Receipt {
            number: RequestNumber::new(2026, 2),
            service: "Akta Kelahiran".into(),
            submitted_at: Utc::now(),
            documents: vec!["Surat keterangan lahir dari bidan/rumah sakit".into(), "Kartu Keluarga".into()],
            verify_url: verify_url("https://layanan.example/", &code),
            code,
        };
        let pdf = receipt.pdf()?;
        assert!(pdf.starts_with(b"%PDF-") && pdf.len() < 80_000, "{}", pdf.len());
        assert_eq!(receipt.name().file_name("pdf"), "bukti-pengajuan-KH-2026-000002.pdf");
        Ok(())
    }
}
