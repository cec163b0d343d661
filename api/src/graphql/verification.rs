//! The operators' side of resident accounts: the verification queue, password resets and
//! access to the old portal's documents.

use async_graphql::connection::{Connection, Edge, query};
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use domain::ErrorCode;
use domain::account::ResidentLookup;
use domain::nik::Nik;
use domain::staff::Permission;
use projections::resident_accounts::{ResidentFilter, ResidentMatchRow};
use uuid::Uuid;

use super::paging::{Page, PageSize, decode_timed_cursor, encode_time_cursor};
use super::resident::{AccountStatus, IdentityDocumentKind};
use super::{Require, parse_uuid, shared, staff_metadata};
use crate::error::ApiError;
use crate::whatsapp::Decision;

/// Links to the three identity documents (`GET` them with the staff session; each view is logged).
#[derive(SimpleObject)]
pub struct IdentityDocumentLinks {
    kind: IdentityDocumentKind,
    identity_url: String,
    family_card_url: String,
    selfie_url: String,
}

impl IdentityDocumentLinks {
    fn new(kind: &str, identity: Uuid, family_card: Uuid, selfie: Uuid) -> Self {
        let kind = match kind {
            "POLICE_LOSS_LETTER" => IdentityDocumentKind::PoliceLossLetter,
            _ => IdentityDocumentKind::KtpEl,
        };
        Self {
            kind,
            identity_url: format!("/files/{identity}"),
            family_card_url: format!("/files/{family_card}"),
            selfie_url: format!("/files/{selfie}"),
        }
    }
}

/// An account waiting for verification.
#[derive(SimpleObject)]
pub struct VerificationItem {
    account_id: ID,
    nik_masked: String,
    full_name: String,
    phone: String,
    email: Option<String>,
    registered_at: DateTime<Utc>,
    /// Time waited so far, counted in office hours only.
    waiting_working_hours: f64,
    documents: IdentityDocumentLinks,
}

/// A password-reset request waiting for an operator.
#[derive(SimpleObject)]
pub struct PasswordResetItem {
    account_id: ID,
    nik_masked: String,
    /// The name on the account.
    registered_name: String,
    /// The name given in the request (compare them).
    given_name: String,
    phone: String,
    requested_at: DateTime<Utc>,
    waiting_working_hours: f64,
    documents: IdentityDocumentLinks,
}

/// The one-time code to send to the resident.
#[derive(SimpleObject)]
pub struct PasswordResetCode {
    code: String,
    expires_at: DateTime<Utc>,
    /// Opens WhatsApp with the message to the resident's registered number.
    whatsapp_link: Option<String>,
}

/// An account of the old portal.
#[derive(SimpleObject)]
pub struct LegacyAccountView {
    id: ID,
    nik_masked: String,
    full_name: String,
    imported_at: DateTime<Utc>,
    document_titles: Vec<String>,
}

/// How `findResidents` read its query.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ResidentLookupKind {
    /// Sixteen digits: the account of that NIK.
    Nik,
    /// Another number: accounts registered with that WhatsApp number.
    Phone,
    /// Anything else: accounts whose full name contains it (any case).
    Name,
}

/// A resident account found by an officer's look-up.
#[derive(SimpleObject)]
pub struct ResidentMatch {
    account_id: ID,
    nik_masked: String,
    full_name: String,
    phone: String,
    status: AccountStatus,
    registered_at: DateTime<Utc>,
    /// In the verification queue (`accountVerificationQueue`).
    awaiting_verification: bool,
    /// In the password-reset queue (`passwordResetQueue`).
    awaiting_password_reset: bool,
    /// An erasure of their personal data is filed and waits for a supervisor (`approveErasure`).
    erasure_requested: bool,
}

impl From<ResidentMatchRow> for ResidentMatch {
    fn from(row: ResidentMatchRow) -> Self {
        Self {
            status: row.status.into(),
            account_id: ID(row.account_id.to_string()),
            nik_masked: row.nik_masked,
            full_name: row.full_name,
            phone: row.phone,
            registered_at: row.registered_at,
            awaiting_verification: row.awaiting_verification,
            awaiting_password_reset: row.awaiting_password_reset,
            erasure_requested: row.erasure_requested,
        }
    }
}

/// The answer of `findResidents`.
#[derive(SimpleObject)]
pub struct ResidentSearch {
    matched_by: ResidentLookupKind,
    /// By full name; at most 20.
    residents: Vec<ResidentMatch>,
    /// More accounts match than are listed: type more of the name.
    has_more: bool,
}

/// Most accounts one look-up lists.
const MAX_MATCHES: usize = 20;

/// Totals of a queue.
#[derive(SimpleObject)]
pub struct QueueTotals {
    total_count: i64,
}

type QueueConnection<T> = Connection<String, T, QueueTotals>;

async fn working_hours_since(ctx: &Context<'_>, since: &[DateTime<Utc>]) -> Result<Vec<f64>, ApiError> {
    let shared = shared(ctx)?;
    let now = shared.commands.clock.now();
    let Some(oldest) = since.iter().min().copied() else { return Ok(Vec::new()) };
    let days = (now - oldest).num_days() + 2;
    let calendar = projections::office_calendar::working_calendar(&shared.pool, oldest, days).await?;
    Ok(since.iter().map(|t| calendar.working_time_between(*t, now).num_seconds() as f64 / 3600.0).collect())
}

#[derive(Default)]
pub struct VerificationQuery;

#[Object]
impl VerificationQuery {
    /// Accounts waiting for verification, oldest first.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn account_verification_queue(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<QueueConnection<VerificationItem>> {
        let shared = shared(ctx)?;
        let (pool, vault) = (shared.pool.clone(), &shared.commands.vault);
        query(after, None, first, None, |after: Option<String>, _: Option<String>, first, _| async move {
            let cursor = after.as_deref().map(decode_timed_cursor).transpose()?;
            let Page { rows, has_next } = PageSize::STANDARD
                .fetch(first, |limit| projections::resident_accounts::verification_queue(&pool, vault, cursor, limit))
                .await?;
            let total_count =
                projections::resident_accounts::verification_queue_count(&pool).await.map_err(ApiError::from)?;
            let waited = working_hours_since(ctx, &rows.iter().map(|r| r.registered_at).collect::<Vec<_>>()).await?;
            let mut connection =
                Connection::with_additional_fields(after.is_some(), has_next, QueueTotals { total_count });
            connection.edges.extend(rows.into_iter().zip(waited).map(|(row, hours)| {
                Edge::new(
                    encode_time_cursor(Some(row.registered_at), row.account_id),
                    VerificationItem {
                        account_id: ID(row.account_id.to_string()),
                        nik_masked: row.nik_masked,
                        full_name: row.full_name,
                        phone: row.phone,
                        email: row.email,
                        registered_at: row.registered_at,
                        waiting_working_hours: hours,
                        documents: IdentityDocumentLinks::new(
                            &row.identity_kind,
                            row.identity_file,
                            row.family_card_file,
                            row.selfie_file,
                        ),
                    },
                )
            }));
            Ok::<_, async_graphql::Error>(connection)
        })
        .await
    }

    /// Password-reset requests waiting for an operator, oldest first.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn password_reset_queue(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<QueueConnection<PasswordResetItem>> {
        let shared = shared(ctx)?;
        let (pool, vault) = (shared.pool.clone(), &shared.commands.vault);
        query(after, None, first, None, |after: Option<String>, _: Option<String>, first, _| async move {
            let cursor = after.as_deref().map(decode_timed_cursor).transpose()?;
            let Page { rows, has_next } = PageSize::STANDARD
                .fetch(first, |limit| projections::resident_accounts::reset_queue(&pool, vault, cursor, limit))
                .await?;
            let total_count = projections::resident_accounts::reset_queue_count(&pool).await.map_err(ApiError::from)?;
            let waited = working_hours_since(ctx, &rows.iter().map(|r| r.requested_at).collect::<Vec<_>>()).await?;
            let mut connection =
                Connection::with_additional_fields(after.is_some(), has_next, QueueTotals { total_count });
            connection.edges.extend(rows.into_iter().zip(waited).map(|(row, hours)| {
                Edge::new(
                    encode_time_cursor(Some(row.requested_at), row.account_id),
                    PasswordResetItem {
                        account_id: ID(row.account_id.to_string()),
                        nik_masked: row.nik_masked,
                        registered_name: row.registered_name,
                        given_name: row.given_name,
                        phone: row.phone,
                        requested_at: row.requested_at,
                        waiting_working_hours: hours,
                        documents: IdentityDocumentLinks::new(
                            &row.identity_kind,
                            row.identity_file,
                            row.family_card_file,
                            row.selfie_file,
                        ),
                    },
                )
            }));
            Ok::<_, async_graphql::Error>(connection)
        })
        .await
    }

    /// Finds resident accounts by what a resident wrote on WhatsApp: a NIK (16 digits, exact),
    /// a WhatsApp number (exact) or the beginnings of the name's words (any order and case:
    /// "siti ami" finds Siti Aminah, "minah" does not). Every look-up is written to the
    /// audit log (masked) before it is answered.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn find_residents(&self, ctx: &Context<'_>, query: String) -> Result<ResidentSearch, ApiError> {
        let lookup = ResidentLookup::parse(&query).map_err(|e| ApiError::new(e.code(), e.to_string()))?;
        let shared = shared(ctx)?;
        let (matched_by, filter) = match &lookup {
            ResidentLookup::Nik(nik) => {
                (ResidentLookupKind::Nik, ResidentFilter::Account(shared.commands.accounts.account_id_of(nik).0))
            }
            ResidentLookup::Phone(phone) => (ResidentLookupKind::Phone, ResidentFilter::Phone(phone.as_str())),
            ResidentLookup::Name(part) => (ResidentLookupKind::Name, ResidentFilter::Name(part)),
        };
        let mut rows = projections::resident_accounts::find_residents(
            &shared.pool,
            &shared.commands.vault,
            filter,
            MAX_MATCHES as i64 + 1,
        )
        .await?;
        let has_more = rows.len() > MAX_MATCHES;
        rows.truncate(MAX_MATCHES);
        let found: Vec<String> = rows.iter().map(|r| format!("Account:{}", r.account_id)).collect();
        let subject = format!("{} -> [{}]", lookup.audit_subject(), found.join(", "));
        super::audit::log_unmasked(ctx, "findResidents", &subject).await?;
        Ok(ResidentSearch { matched_by, residents: rows.into_iter().map(Into::into).collect(), has_more })
    }

    /// The old portal's account of a NIK, if one was imported.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn legacy_account(&self, ctx: &Context<'_>, nik: String) -> Result<Option<LegacyAccountView>, ApiError> {
        let shared = shared(ctx)?;
        let nik = Nik::parse(&nik).map_err(|e| ApiError::new(e.code(), e.to_string()))?;
        let id = shared.commands.accounts.legacy_account_id_of(&nik).0;
        let Some(row) =
            projections::resident_accounts::legacy_account(&shared.pool, &shared.commands.vault, id).await?
        else {
            return Ok(None);
        };
        let documents = projections::resident_accounts::legacy_documents(&shared.pool, &[id]).await?;
        Ok(Some(LegacyAccountView {
            id: ID(id.to_string()),
            nik_masked: row.nik_masked,
            full_name: row.full_name,
            imported_at: row.imported_at,
            document_titles: documents.into_iter().map(|d| d.title).collect(),
        }))
    }
}

#[derive(Default)]
pub struct VerificationMutation;

#[Object]
impl VerificationMutation {
    /// Verifies an account: the resident may log in.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn approve_account(&self, ctx: &Context<'_>, account_id: ID) -> Result<AccountDecision, ApiError> {
        let metadata = staff_metadata(ctx)?;
        let shared = shared(ctx)?;
        let account = shared.commands.accounts.approve(parse_uuid(&account_id)?, &metadata).await?;
        Ok(AccountDecision::new(account_id, shared.messages.link(&account, Decision::AccountApproved)))
    }

    /// Refuses an account with a reason; the resident may register again.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn reject_account(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
        reason: String,
    ) -> Result<AccountDecision, ApiError> {
        let metadata = staff_metadata(ctx)?;
        let shared = shared(ctx)?;
        let account = shared.commands.accounts.reject(parse_uuid(&account_id)?, &reason, &metadata).await?;
        let reason = account.rejection_reason().unwrap_or(&reason).to_owned();
        Ok(AccountDecision::new(
            account_id,
            shared.messages.link(&account, Decision::AccountRejected { reason: &reason }),
        ))
    }

    /// Approves a password reset: returns the one-time code (valid 24 hours) to send on WhatsApp.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn approve_password_reset(&self, ctx: &Context<'_>, account_id: ID) -> Result<PasswordResetCode, ApiError> {
        let metadata = staff_metadata(ctx)?;
        let shared = shared(ctx)?;
        let code = shared.commands.accounts.approve_password_reset(parse_uuid(&account_id)?, &metadata).await?;
        Ok(PasswordResetCode {
            whatsapp_link: shared.messages.link(&code.account, Decision::ResetCode { code: &code.code }),
            code: code.code,
            expires_at: code.expires_at,
        })
    }

    /// Refuses a password reset with a reason.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn reject_password_reset(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
        reason: String,
    ) -> Result<AccountDecision, ApiError> {
        let metadata = staff_metadata(ctx)?;
        let shared = shared(ctx)?;
        let account =
            shared.commands.accounts.reject_password_reset(parse_uuid(&account_id)?, &reason, &metadata).await?;
        let reason = reason.trim();
        Ok(AccountDecision::new(account_id, shared.messages.link(&account, Decision::ResetRejected { reason })))
    }

    /// Lets a verified resident see the old portal's documents of the same NIK for 24 hours.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn grant_legacy_access(
        &self,
        ctx: &Context<'_>,
        legacy_account_id: ID,
        account_id: ID,
    ) -> Result<LegacyAccessGrant, ApiError> {
        let metadata = staff_metadata(ctx)?;
        let shared = shared(ctx)?;
        let grant = shared
            .commands
            .accounts
            .grant_legacy_access(parse_uuid(&legacy_account_id)?, parse_uuid(&account_id)?, &metadata)
            .await?;
        Ok(LegacyAccessGrant::new(shared, grant))
    }

    /// `grantLegacyAccess` by the resident's NIK: the old portal's account and the resident's
    /// active account are both found from it, so no officer handles an id.
    #[graphql(guard = "Require(Permission::WorkQueue)")]
    async fn grant_legacy_access_by_nik(&self, ctx: &Context<'_>, nik: String) -> Result<LegacyAccessGrant, ApiError> {
        let metadata = staff_metadata(ctx)?;
        let shared = shared(ctx)?;
        let nik = Nik::parse(&nik).map_err(|e| ApiError::new(e.code(), e.to_string()))?;
        let grant = shared.commands.accounts.grant_legacy_access_by_nik(&nik, &metadata).await?;
        Ok(LegacyAccessGrant::new(shared, grant))
    }
}

/// An officer's decision on an account, with the message to tell its holder.
#[derive(SimpleObject)]
pub struct AccountDecision {
    account_id: ID,
    /// Opens WhatsApp with the prefilled Indonesian message to the registered number (NIK
    /// masked); absent when the account has no number.
    whatsapp_link: Option<String>,
}

impl AccountDecision {
    fn new(account_id: ID, whatsapp_link: Option<String>) -> Self {
        Self { account_id, whatsapp_link }
    }
}

/// Old-portal access granted: until when, and the message to tell the resident.
#[derive(SimpleObject)]
pub struct LegacyAccessGrant {
    until: DateTime<Utc>,
    /// Opens WhatsApp with the prefilled message (the end of the access, in WIB).
    whatsapp_link: Option<String>,
}

impl LegacyAccessGrant {
    fn new(shared: &super::Shared, grant: commands::accounts::LegacyGrant) -> Self {
        let until = grant.until;
        Self { until, whatsapp_link: shared.messages.link(&grant.account, Decision::LegacyAccessGranted { until }) }
    }
}
