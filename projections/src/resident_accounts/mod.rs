//! Read models of resident accounts: profiles (`resident_accounts`), the operators'
//! verification and password-reset queues, and the old portal's accounts, documents and
//! access grants.

mod fold;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::account::{Account, AccountEvent, AccountStatus};
use domain::legacy::{LegacyAccount, LegacyEvent};
use domain::sign_in::{SignIn, SignInEvent};
use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use commands::Vault;
use commands::vault::{Field, Personal, contact};
use domain::privacy::ERASED;

use self::fold::{AccountRows, Grant, Profile, Queued, ResetChange, ResetEntry};
use crate::runs::{Piece, pieces};
use crate::{Context, Error, Projection, StoredEvent};

/// Projects account and legacy-account events.
pub struct ResidentAccounts;

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

    /// Runs of account and sign-in events are folded in memory ([`fold`]) and written once
    /// per table; legacy imports (rare, and read by grants) end a run.
    fn apply_batch<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        events: &'a [StoredEvent],
        cx: Context<'a>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        async move {
            for piece in pieces(events, &[Account::TYPE, SignIn::TYPE], &[LegacyAccount::TYPE]) {
                match piece {
                    Piece::Run(run) => apply_accounts(conn, cx.vault, account_events(run.events())?).await?,
                    Piece::Single(event) => apply_legacy(conn, cx.vault, event.aggregate_uuid()?, event).await?,
                }
            }
            Ok(())
        }
        .boxed()
    }
}

/// A run's account events with their account ids; sign-ins, which have streams of their own,
/// become the account's `ResidentSignedIn` (the profile shows the last one; staff sign-ins
/// are not this projection's).
fn account_events(run: &[&StoredEvent]) -> Result<Vec<(Uuid, AccountEvent)>, Error> {
    let mut out = Vec::with_capacity(run.len());
    for event in run {
        if event.aggregate_type == SignIn::TYPE {
            if let SignInEvent::ResidentSignedIn { account_id, at } = event.decode()? {
                out.push((account_id.0, AccountEvent::ResidentSignedIn { at }));
            }
        } else {
            out.push((event.aggregate_uuid()?, event.decode()?));
        }
    }
    Ok(out)
}

async fn apply_accounts(conn: &mut PgConnection, vault: &Vault, run: Vec<(Uuid, AccountEvent)>) -> Result<(), Error> {
    if run.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<Uuid> = run.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    let profiles: Vec<Profile> = sqlx::query_as(
        "SELECT account_id, nik_masked, full_name, phone, email, phone_key, name_keys, status, registered_at,
                decided_at, rejection_reason, last_signed_in, erasure_requested_at
           FROM resident_accounts WHERE account_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut rows =
        AccountRows { profiles: profiles.into_iter().map(|p| (p.account_id, p)).collect(), ..Default::default() };
    for (id, event) in run {
        rows.apply(id, event);
    }
    seal(vault, &mut rows).await?;
    write_profiles(conn, rows.profiles.values()).await?;
    write_verification(conn, &rows.verification).await?;
    write_resets(conn, &rows.resets).await?;
    write_grants(conn, &rows.grants).await
}

/// Keys the blind indexes of the profiles the batch (re)registered, from their clear values,
/// then seals every new personal value of the batch.
async fn seal(vault: &Vault, rows: &mut AccountRows) -> Result<(), Error> {
    for profile in rows.profiles.values_mut() {
        if let Personal::Clear(name) = &profile.full_name
            && name != ERASED
        {
            profile.name_keys = vault.search().name(name);
        }
        if let Personal::Clear(phone) = &profile.phone
            && phone != ERASED
        {
            profile.phone_key = Some(vault.search().phone(phone));
        }
    }
    Ok(vault.seal_personal(rows.personal_mut().collect()).await?)
}

async fn write_profiles<'r>(conn: &mut PgConnection, rows: impl Iterator<Item = &'r Profile>) -> Result<(), Error> {
    let mut account_id = Vec::new();
    let mut nik_masked = Vec::new();
    let mut full_name = Vec::new();
    let mut phone = Vec::new();
    let mut email = Vec::new();
    let mut phone_key = Vec::new();
    let mut name_keys = Vec::new();
    let mut status = Vec::new();
    let mut registered_at = Vec::new();
    let mut decided_at = Vec::new();
    let mut rejection_reason = Vec::new();
    let mut last_signed_in = Vec::new();
    let mut erasure_requested_at = Vec::new();
    for p in rows {
        account_id.push(p.account_id);
        nik_masked.push(p.nik_masked.as_str());
        full_name.push(p.full_name.as_str());
        phone.push(p.phone.as_str());
        email.push(p.email.as_ref().map(Personal::as_str));
        phone_key.push(p.phone_key);
        // An array of arrays must be rectangular: each profile's keys go as one text literal.
        name_keys.push(format!("{{{}}}", p.name_keys.iter().map(i64::to_string).collect::<Vec<_>>().join(",")));
        status.push(p.status.as_str());
        registered_at.push(p.registered_at);
        decided_at.push(p.decided_at);
        rejection_reason.push(p.rejection_reason.as_deref());
        last_signed_in.push(p.last_signed_in);
        erasure_requested_at.push(p.erasure_requested_at);
    }
    if account_id.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO resident_accounts (account_id, nik_masked, full_name, phone, email, status, registered_at,
             decided_at, rejection_reason, last_signed_in, erasure_requested_at, phone_key, name_keys)
         SELECT a, n, f, p, e, s, r, d, j, l, x, k, w::bigint[]
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                       $7::timestamptz[], $8::timestamptz[], $9::text[], $10::timestamptz[], $11::timestamptz[],
                       $12::bigint[], $13::text[]) AS t(a, n, f, p, e, s, r, d, j, l, x, k, w)
         ON CONFLICT (account_id) DO UPDATE SET nik_masked = EXCLUDED.nik_masked, full_name = EXCLUDED.full_name,
             phone = EXCLUDED.phone, email = EXCLUDED.email, phone_key = EXCLUDED.phone_key,
             name_keys = EXCLUDED.name_keys, status = EXCLUDED.status,
             registered_at = EXCLUDED.registered_at, decided_at = EXCLUDED.decided_at,
             rejection_reason = EXCLUDED.rejection_reason, last_signed_in = EXCLUDED.last_signed_in,
             erasure_requested_at = EXCLUDED.erasure_requested_at",
    )
    .bind(account_id)
    .bind(nik_masked)
    .bind(full_name)
    .bind(phone)
    .bind(email)
    .bind(status)
    .bind(registered_at)
    .bind(decided_at)
    .bind(rejection_reason)
    .bind(last_signed_in)
    .bind(erasure_requested_at)
    .bind(phone_key)
    .bind(name_keys)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn write_verification(conn: &mut PgConnection, entries: &HashMap<Uuid, Option<Queued>>) -> Result<(), Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = entries.keys().copied().collect();
    sqlx::query("DELETE FROM account_verification_queue WHERE account_id = ANY($1)")
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    let rows: Vec<&Queued> = entries.values().flatten().collect();
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO account_verification_queue (account_id, nik_masked, full_name, phone, email, identity_kind,
             identity_file, family_card_file, selfie_file, registered_at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[],
                              $8::uuid[], $9::uuid[], $10::timestamptz[])",
    )
    .bind(rows.iter().map(|r| r.account_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.nik_masked.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.full_name.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.phone.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.email.as_ref().map(Personal::as_str)).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.identity_kind).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.identity_file).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.family_card_file).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.selfie_file).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.registered_at).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn write_resets(conn: &mut PgConnection, changes: &HashMap<Uuid, ResetChange>) -> Result<(), Error> {
    let deleted: Vec<Uuid> = changes.iter().filter(|(_, c)| c.delete_stored).map(|(id, _)| *id).collect();
    if !deleted.is_empty() {
        sqlx::query("DELETE FROM password_reset_queue WHERE account_id = ANY($1)")
            .bind(&deleted)
            .execute(&mut *conn)
            .await?;
    }
    let rows: Vec<&ResetEntry> = changes.values().filter_map(|c| c.upsert.as_ref()).collect();
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO password_reset_queue (account_id, nik_masked, registered_name, given_name, phone, identity_kind,
             identity_file, family_card_file, selfie_file, requested_at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[],
                              $8::uuid[], $9::uuid[], $10::timestamptz[])
         ON CONFLICT (account_id) DO UPDATE SET given_name = EXCLUDED.given_name,
             identity_kind = EXCLUDED.identity_kind, identity_file = EXCLUDED.identity_file,
             family_card_file = EXCLUDED.family_card_file, selfie_file = EXCLUDED.selfie_file,
             requested_at = EXCLUDED.requested_at",
    )
    .bind(rows.iter().map(|r| r.account_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.nik_masked.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.registered_name.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.given_name.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.phone.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.identity_kind).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.identity_file).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.family_card_file).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.selfie_file).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.requested_at).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn write_grants(conn: &mut PgConnection, grants: &[Grant]) -> Result<(), Error> {
    if grants.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO legacy_access_grants (account_id, legacy_account_id, granted_at, until)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::timestamptz[])",
    )
    .bind(grants.iter().map(|g| g.account_id).collect::<Vec<_>>())
    .bind(grants.iter().map(|g| g.legacy_account_id).collect::<Vec<_>>())
    .bind(grants.iter().map(|g| g.granted_at).collect::<Vec<_>>())
    .bind(grants.iter().map(|g| g.until).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn apply_legacy(conn: &mut PgConnection, vault: &Vault, id: Uuid, event: &StoredEvent) -> Result<(), Error> {
    let LegacyEvent::LegacyAccountImported { nik, full_name, documents, imported_at, .. } =
        event.decode::<LegacyEvent>()?;
    let mut full_name = Personal::Clear(full_name);
    vault.seal_personal(vec![(id, Field::Name, &mut full_name)]).await?;
    sqlx::query(
        "INSERT INTO legacy_accounts (legacy_account_id, nik_masked, full_name, imported_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(nik.shown(domain::nik::Nik::masked))
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
    #[sqlx(try_from = "String")]
    pub status: AccountStatus,
    pub registered_at: DateTime<Utc>,
    pub rejection_reason: Option<String>,
}

/// One resident's profile, opened.
pub async fn resident(pool: &PgPool, vault: &Vault, account_id: Uuid) -> Result<Option<ResidentRow>, Error> {
    let mut row: Option<ResidentRow> = sqlx::query_as(
        "SELECT account_id, nik_masked, full_name, phone, email, status, registered_at, rejection_reason
           FROM resident_accounts WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    if let Some(r) = &mut row {
        vault.open_personal(contact(r.account_id, &mut r.full_name, &mut r.phone, r.email.as_mut()).collect()).await?;
    }
    Ok(row)
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

/// A page of the verification queue, oldest first, opened.
pub async fn verification_queue(
    pool: &PgPool,
    vault: &Vault,
    after: Option<QueueCursor>,
    limit: i64,
) -> Result<Vec<VerificationRow>, Error> {
    let mut rows: Vec<VerificationRow> = oldest_first(
        pool,
        "SELECT account_id, nik_masked, full_name, phone, email, identity_kind, identity_file, family_card_file,
                selfie_file, registered_at FROM account_verification_queue",
        "registered_at",
        after,
        limit,
    )
    .await?;
    let fields = rows.iter_mut().flat_map(|r| contact(r.account_id, &mut r.full_name, &mut r.phone, r.email.as_mut()));
    vault.open_personal(fields.collect()).await?;
    Ok(rows)
}

/// A page of one of the operators' queues, oldest first by `arrival` then account id. The
/// keyset condition is added only with a cursor, so the first page reads the `(arrival,
/// account_id)` index in order (`$1 IS NULL OR …` defeats it).
async fn oldest_first<R>(
    pool: &PgPool,
    select: &str,
    arrival: &str,
    after: Option<QueueCursor>,
    limit: i64,
) -> Result<Vec<R>, Error>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let mut sql = QueryBuilder::<Postgres>::new(select);
    if let Some((at, id)) = after {
        sql.push(format_args!(" WHERE ({arrival}, account_id) > (")).push_bind(at).push(", ").push_bind(id).push(")");
    }
    sql.push(format_args!(" ORDER BY {arrival}, account_id LIMIT ")).push_bind(limit);
    Ok(sql.build_query_as().fetch_all(pool).await?)
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

/// A page of the password-reset queue, oldest first, opened.
pub async fn reset_queue(
    pool: &PgPool,
    vault: &Vault,
    after: Option<QueueCursor>,
    limit: i64,
) -> Result<Vec<ResetRow>, Error> {
    let mut rows: Vec<ResetRow> = oldest_first(
        pool,
        "SELECT account_id, nik_masked, registered_name, given_name, phone, identity_kind, identity_file,
                family_card_file, selfie_file, requested_at FROM password_reset_queue",
        "requested_at",
        after,
        limit,
    )
    .await?;
    vault
        .open_personal(
            rows.iter_mut()
                .flat_map(|r| {
                    let id = r.account_id;
                    [
                        (id, Field::Name, &mut r.registered_name),
                        (id, Field::Name, &mut r.given_name),
                        (id, Field::Phone, &mut r.phone),
                    ]
                })
                .collect(),
        )
        .await?;
    Ok(rows)
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

/// One legacy account, opened.
pub async fn legacy_account(pool: &PgPool, vault: &Vault, id: Uuid) -> Result<Option<LegacyRow>, Error> {
    let mut row: Option<LegacyRow> = sqlx::query_as(
        "SELECT legacy_account_id, nik_masked, full_name, imported_at FROM legacy_accounts WHERE legacy_account_id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    if let Some(r) = &mut row {
        vault.open_personal(vec![(r.legacy_account_id, Field::Name, &mut r.full_name)]).await?;
    }
    Ok(row)
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

/// Which residents an officer looks for.
#[derive(Debug, Clone, Copy)]
pub enum ResidentFilter<'a> {
    /// The account of a NIK (its keyed stream id).
    Account(Uuid),
    /// A WhatsApp number in E.164 digits.
    Phone(&'a str),
    /// The beginnings of words of the full name, in any order and case
    /// (`commands::vault::search::name_matches`).
    Name(&'a str),
}

/// A resident as an officer's look-up lists them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ResidentMatchRow {
    pub account_id: Uuid,
    pub nik_masked: String,
    pub full_name: String,
    pub phone: String,
    #[sqlx(try_from = "String")]
    pub status: AccountStatus,
    pub registered_at: DateTime<Utc>,
    pub awaiting_verification: bool,
    pub awaiting_password_reset: bool,
    /// An erasure of their personal data is filed and waits for approval.
    pub erasure_requested: bool,
}

/// Residents matching `filter`, opened and ordered by name, at most `limit`. Names and numbers
/// are sealed, so a number or a name is found through its blind index (`phone_key`,
/// `name_keys`), and what is found is checked again once opened (a hash can collide).
pub async fn find_residents(
    pool: &PgPool,
    vault: &Vault,
    filter: ResidentFilter<'_>,
    limit: i64,
) -> Result<Vec<ResidentMatchRow>, Error> {
    let mut sql = QueryBuilder::<Postgres>::new(
        "SELECT r.account_id, r.nik_masked, r.full_name, r.phone, r.status, r.registered_at,
                EXISTS (SELECT 1 FROM account_verification_queue v WHERE v.account_id = r.account_id)
                    AS awaiting_verification,
                EXISTS (SELECT 1 FROM password_reset_queue p WHERE p.account_id = r.account_id)
                    AS awaiting_password_reset,
                r.erasure_requested_at IS NOT NULL AS erasure_requested
           FROM resident_accounts r WHERE ",
    );
    match filter {
        ResidentFilter::Account(id) => sql.push("r.account_id = ").push_bind(id),
        ResidentFilter::Phone(phone) => sql.push("r.phone_key = ").push_bind(vault.search().phone(phone)),
        ResidentFilter::Name(query) => {
            let keys = vault.search().name_query(query);
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            sql.push("r.name_keys @> ").push_bind(keys)
        }
    };
    sql.push(" ORDER BY r.registered_at DESC, r.account_id LIMIT ").push_bind(limit);
    let mut rows: Vec<ResidentMatchRow> = sql.build_query_as().fetch_all(pool).await?;
    vault
        .open_personal(
            rows.iter_mut()
                .flat_map(|r| {
                    [(r.account_id, Field::Name, &mut r.full_name), (r.account_id, Field::Phone, &mut r.phone)]
                })
                .collect(),
        )
        .await?;
    rows.retain(|r| match filter {
        ResidentFilter::Account(_) => true,
        ResidentFilter::Phone(phone) => r.phone == phone,
        ResidentFilter::Name(query) => commands::vault::search::name_matches(&r.full_name, query),
    });
    rows.sort_by(|a, b| a.full_name.cmp(&b.full_name).then(a.account_id.cmp(&b.account_id)));
    Ok(rows)
}
