//! `verifyReceipt`: anyone holding a receipt (a kecamatan clerk, a school, the resident) checks
//! that it is genuine. The answer is the same shape for every code, known or not, and tells
//! nothing a receipt does not already print except the request's current status and the
//! applicant's name masked.

use async_graphql::{Context, Object, SimpleObject};
use chrono::NaiveDate;
use commands::rate_limit::Limit;
use domain::request::ReceiptCode;

use super::{request, shared};
use crate::error::ApiError;
use crate::metrics::ReceiptAnswer;

/// Checks per address per minute: a clerk checking a queue of receipts stays far below it; a
/// script walking the code space (2^80 codes) gets nowhere.
const CHECKS_PER_ADDRESS_PER_MINUTE: i64 = 30;

/// What a receipt's check finds.
#[derive(SimpleObject)]
pub struct ReceiptCheck {
    /// Whether the code belongs to a submission of this office.
    genuine: bool,
    /// For a person: "Bukti pengajuan asli." or why not.
    message: String,
    number: Option<String>,
    service_name: Option<String>,
    /// The office date of the submission (WIB).
    submitted_on: Option<NaiveDate>,
    /// The request's status now, in the residents' words.
    status_label: Option<String>,
    /// The applicant's name with all but each word's first letter hidden ("S*** A*****").
    applicant_masked: Option<String>,
}

impl ReceiptCheck {
    fn not_found() -> Self {
        Self {
            genuine: false,
            message: "Kode tidak dikenal: bukti pengajuan ini tidak tercatat di Dinas Dukcapil Kabupaten Kapuas Hulu. \
                      Periksa kembali kode yang diketik."
                .into(),
            number: None,
            service_name: None,
            submitted_on: None,
            status_label: None,
            applicant_masked: None,
        }
    }
}

#[derive(Default)]
pub struct ReceiptQuery;

#[Object]
impl ReceiptQuery {
    /// Checks a receipt's code (as printed, `ABCD-EFGH-JKMN-PQRS`; case and dashes do not
    /// matter). Public; limited per address (`TOO_MANY_ATTEMPTS`).
    async fn verify_receipt(&self, ctx: &Context<'_>, code: String) -> Result<ReceiptCheck, ApiError> {
        let shared = shared(ctx)?;
        let now = shared.commands.clock.now();
        let address = request(ctx)?.client_address.clone().unwrap_or_else(|| "unknown".into());
        let limit =
            Limit { uses: CHECKS_PER_ADDRESS_PER_MINUTE, amount: i64::MAX, window: chrono::Duration::minutes(1) };
        if let Err(exhausted) = shared.commands.rate_limits.take(&format!("receipts:{address}"), limit, 0, now).await? {
            shared.metrics.receipt_checked(ReceiptAnswer::Limited);
            return Err(commands::Error::TooManyAttempts(exhausted.retry_after.num_seconds().max(1)).into());
        }
        let Some(code) = ReceiptCode::parse(&code) else {
            shared.metrics.receipt_checked(ReceiptAnswer::Malformed);
            return Ok(ReceiptCheck::not_found());
        };
        let Some((row, applicant)) =
            projections::service_requests::by_receipt_code(&shared.pool, &shared.commands.vault, code.as_str()).await?
        else {
            shared.metrics.receipt_checked(ReceiptAnswer::Unknown);
            return Ok(ReceiptCheck::not_found());
        };
        shared.metrics.receipt_checked(ReceiptAnswer::Genuine);
        Ok(ReceiptCheck {
            genuine: true,
            message: "Bukti pengajuan asli: tercatat di Dinas Dukcapil Kabupaten Kapuas Hulu.".into(),
            number: Some(row.number),
            service_name: Some(row.service_name),
            submitted_on: Some(domain::working_time::office_date(row.submitted_at)),
            status_label: Some(row.status.resident_label().to_owned()),
            applicant_masked: Some(crate::receipt::masked_name(&applicant)),
        })
    }
}
