//! Read models of resident accounts: profiles (`resident_accounts`), the operators'
//! verification and password-reset queues, and the old portal's accounts, documents and
//! access grants.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::account::{Account, AccountEvent};
use domain::document::IdentityDocumentKind;
use domain::legacy::{LegacyAccount, LegacyEvent};
use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{Error, Projection, StoredEvent};

/// Projects account and legacy-account events.
pub struct ResidentAccounts;

fn kind_str(kind: IdentityDocumentKind) -> &'static str {
    match kind {
        IdentityDocumentKind::KtpEl => "KTP_EL",
        IdentityDocumentKind::PoliceLossLetter => "POLICE_LOSS_LETTER",
    }
}

fn stream_uuid(event: &StoredEvent) -> Result<Uuid, Error> {
    Uuid::parse_str(&event.aggregate_id).map_err(|e| Error::Decode {
        position: event.global_position,
        event_type: event.event_type.clone(),
        reason: format!("aggregate id: {e}"),
    })
}

impl Projection for ResidentAccounts {
    fn name(&self) -> &'static str {
        "resident_accounts"
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "resident_accounts",
            "account_verification_queue",
            "password_reset_queue",
            "legacy_accounts",
            "legacy_documents",
            "legacy_access_grants",
        ]
    }

    fn apply<'a>(&'a self, conn: &'a mut PgConnection, event: &'a StoredEvent) -> BoxFuture<'a, Result<(), Error>> {
        async move {
            if event.aggregate_type == Account::TYPE {
                apply_account(conn, stream_uuid(event)?, event).await
            } else if event.aggregate_type == LegacyAccount::TYPE {
                apply_legacy(conn, stream_uuid(event)?, event).await
            } else {
                Ok(())
            }
        }
        .boxed()
    }
}

async fn apply_account(conn: &mut PgConnection, id: Uuid, event: &StoredEvent) -> Result<(), Error> {
    match event.decode::<AccountEvent>()? {
        AccountEvent::AccountRegistered { nik, full_name, phone, email, documents, registered_at, .. } => {
            sqlx::query(
                "INSERT INTO resident_accounts (account_id, nik_masked, full_name, phone, email, status, registered_at)
                 VALUES ($1, $2, $3, $4, $5, 'AWAITING_VERIFICATION', $6)
                 ON CONFLICT (account_id) DO UPDATE SET nik_masked = $2, full_name = $3, phone = $4, email = $5,
                     status = 'AWAITING_VERIFICATION', registered_at = $6, decided_at = NULL, rejection_reason = NULL",
            )
            .bind(id)
            .bind(nik.masked())
            .bind(full_name.as_str())
            .bind(phone.as_str())
            .bind(email.as_ref().map(|e| e.as_str()))
            .bind(registered_at)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "INSERT INTO account_verification_queue (account_id, nik_masked, full_name, phone, email, identity_kind,
                     identity_file, family_card_file, selfie_file, registered_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(id)
            .bind(nik.masked())
            .bind(full_name.as_str())
            .bind(phone.as_str())
            .bind(email.as_ref().map(|e| e.as_str()))
            .bind(kind_str(documents.identity_kind))
            .bind(documents.identity.0)
            .bind(documents.family_card.0)
            .bind(documents.selfie.0)
            .bind(registered_at)
            .execute(&mut *conn)
            .await?;
        }
        AccountEvent::AccountApproved { approved_at } => {
            decide(conn, id, "ACTIVE", approved_at, None).await?;
        }
        AccountEvent::AccountRejected { reason, rejected_at } => {
            decide(conn, id, "REJECTED", rejected_at, Some(reason.as_str())).await?;
        }
        AccountEvent::ResidentSignedIn { at } => {
            sqlx::query("UPDATE resident_accounts SET last_signed_in = $2 WHERE account_id = $1")
                .bind(id)
                .bind(at)
                .execute(&mut *conn)
                .await?;
        }
        AccountEvent::PasswordResetRequested { full_name, documents, requested_at } => {
            sqlx::query(
                "INSERT INTO password_reset_queue (account_id, nik_masked, registered_name, given_name, phone,
                     identity_kind, identity_file, family_card_file, selfie_file, requested_at)
                 SELECT account_id, nik_masked, full_name, $2, phone, $3, $4, $5, $6, $7
                   FROM resident_accounts WHERE account_id = $1
                 ON CONFLICT (account_id) DO UPDATE SET given_name = EXCLUDED.given_name,
                     identity_kind = EXCLUDED.identity_kind, identity_file = EXCLUDED.identity_file,
                     family_card_file = EXCLUDED.family_card_file, selfie_file = EXCLUDED.selfie_file,
                     requested_at = EXCLUDED.requested_at",
            )
            .bind(id)
            .bind(full_name.as_str())
            .bind(kind_str(documents.identity_kind))
            .bind(documents.identity.0)
            .bind(documents.family_card.0)
            .bind(documents.selfie.0)
            .bind(requested_at)
            .execute(&mut *conn)
            .await?;
        }
        AccountEvent::PasswordResetApproved { .. } | AccountEvent::PasswordResetRejected { .. } => {
            sqlx::query("DELETE FROM password_reset_queue WHERE account_id = $1").bind(id).execute(&mut *conn).await?;
        }
        AccountEvent::PasswordResetCodeRefused { .. } | AccountEvent::PasswordChanged { .. } => {}
        AccountEvent::LegacyAccessGranted { legacy_account_id, granted_at, until } => {
            sqlx::query(
                "INSERT INTO legacy_access_grants (account_id, legacy_account_id, granted_at, until) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(legacy_account_id.0)
            .bind(granted_at)
            .bind(until)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

async fn decide(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    at: DateTime<Utc>,
    reason: Option<&str>,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE resident_accounts SET status = $2, decided_at = $3, rejection_reason = $4 WHERE account_id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(at)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM account_verification_queue WHERE account_id = $1").bind(id).execute(&mut *conn).await?;
    Ok(())
}

async fn apply_legacy(conn: &mut PgConnection, id: Uuid, event: &StoredEvent) -> Result<(), Error> {
    let LegacyEvent::LegacyAccountImported { nik, full_name, documents, imported_at, .. } =
        event.decode::<LegacyEvent>()?;
    sqlx::query(
        "INSERT INTO legacy_accounts (legacy_account_id, nik_masked, full_name, imported_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(nik.masked())
    .bind(&full_name)
    .bind(imported_at)
    .execute(&mut *conn)
    .await?;
    for document in documents {
        sqlx::query("INSERT INTO legacy_documents (legacy_account_id, file_id, title) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(document.file.0)
            .bind(&document.title)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A resident as the profile shows them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ResidentRow {
    pub account_id: Uuid,
    pub nik_masked: String,
    pub full_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub status: String,
    pub registered_at: DateTime<Utc>,
    pub rejection_reason: Option<String>,
}

/// One resident's profile.
pub async fn resident(pool: &PgPool, account_id: Uuid) -> Result<Option<ResidentRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT account_id, nik_masked, full_name, phone, email, status, registered_at, rejection_reason
           FROM resident_accounts WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(pool)
    .await?)
}

/// An account waiting for verification.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VerificationRow {
    pub account_id: Uuid,
    pub nik_masked: String,
    pub full_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub identity_kind: String,
    pub identity_file: Uuid,
    pub family_card_file: Uuid,
    pub selfie_file: Uuid,
    pub registered_at: DateTime<Utc>,
}

/// Keyset cursor of the queues: arrival time, then id.
pub type QueueCursor = (DateTime<Utc>, Uuid);

/// A page of the verification queue, oldest first.
pub async fn verification_queue(
    pool: &PgPool,
    after: Option<QueueCursor>,
    limit: i64,
) -> Result<Vec<VerificationRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT account_id, nik_masked, full_name, phone, email, identity_kind, identity_file, family_card_file,
                selfie_file, registered_at
           FROM account_verification_queue
          WHERE $1::timestamptz IS NULL OR (registered_at, account_id) > ($1, $2)
          ORDER BY registered_at, account_id
          LIMIT $3",
    )
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Accounts waiting for verification.
pub async fn verification_queue_count(pool: &PgPool) -> Result<i64, Error> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM account_verification_queue").fetch_one(pool).await?)
}

/// A password-reset request waiting for an operator.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ResetRow {
    pub account_id: Uuid,
    pub nik_masked: String,
    pub registered_name: String,
    pub given_name: String,
    pub phone: String,
    pub identity_kind: String,
    pub identity_file: Uuid,
    pub family_card_file: Uuid,
    pub selfie_file: Uuid,
    pub requested_at: DateTime<Utc>,
}

/// A page of the password-reset queue, oldest first.
pub async fn reset_queue(pool: &PgPool, after: Option<QueueCursor>, limit: i64) -> Result<Vec<ResetRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT account_id, nik_masked, registered_name, given_name, phone, identity_kind, identity_file,
                family_card_file, selfie_file, requested_at
           FROM password_reset_queue
          WHERE $1::timestamptz IS NULL OR (requested_at, account_id) > ($1, $2)
          ORDER BY requested_at, account_id
          LIMIT $3",
    )
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Requests waiting in the password-reset queue.
pub async fn reset_queue_count(pool: &PgPool) -> Result<i64, Error> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM password_reset_queue").fetch_one(pool).await?)
}

/// A legacy account as operators look it up.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LegacyRow {
    pub legacy_account_id: Uuid,
    pub nik_masked: String,
    pub full_name: String,
    pub imported_at: DateTime<Utc>,
}

/// One legacy account.
pub async fn legacy_account(pool: &PgPool, id: Uuid) -> Result<Option<LegacyRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT legacy_account_id, nik_masked, full_name, imported_at FROM legacy_accounts WHERE legacy_account_id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// A document of the old portal.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LegacyDocumentRow {
    pub legacy_account_id: Uuid,
    pub file_id: Uuid,
    pub title: String,
}

/// The documents of some legacy accounts.
pub async fn legacy_documents(pool: &PgPool, legacy_accounts: &[Uuid]) -> Result<Vec<LegacyDocumentRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT legacy_account_id, file_id, title FROM legacy_documents
          WHERE legacy_account_id = ANY($1) ORDER BY legacy_account_id, title, file_id",
    )
    .bind(legacy_accounts)
    .fetch_all(pool)
    .await?)
}
