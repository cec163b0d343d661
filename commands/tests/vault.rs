//! Personal fields sealed per data subject, against a real PostgreSQL: what is at rest, what
//! reads back, what tampering and a destroyed key do.

use chrono::Utc;
use commands::files::FileKeys;
use commands::vault::{EventIdentity, EventParts, SEALED_ADDRESS, is_sealed};
use commands::{Executor, Vault};
use domain::account::{Account, AccountCommand, AccountId};
use domain::document::{FileId, IdentityDocumentKind, IdentityDocuments};
use domain::nik::Nik;
use domain::password::PasswordHash;
use domain::person::{Email, FullName};
use domain::phone::PhoneNumber;
use domain::{Actor, CommandMetadata};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

const NIK: &str = "6106015205900001";
const NAME: &str = "Siti Aminah Binti Hasan";
const PHONE: &str = "6281234567890";
const EMAIL: &str = "siti.aminah@example.co.id";
const ADDRESS: &str = "10.0.0.7";

/// Registers one resident (an anonymous caller from `ADDRESS`) through an executor over `vault`.
async fn register(pool: &PgPool, vault: &Vault) -> anyhow::Result<AccountId> {
    let account_id = AccountId(Uuid::new_v4());
    let register = AccountCommand::Register {
        account_id,
        nik: Nik::parse(NIK)?,
        full_name: FullName::parse(NAME)?,
        phone: PhoneNumber::parse("081234567890")?,
        email: Some(Email::parse(EMAIL)?),
        password_hash: PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        documents: IdentityDocuments {
            identity_kind: IdentityDocumentKind::KtpEl,
            identity: FileId(Uuid::new_v4()),
            family_card: FileId(Uuid::new_v4()),
            selfie: FileId(Uuid::new_v4()),
        },
        at: Utc::now(),
    };
    let metadata = CommandMetadata {
        actor: Actor::Anonymous,
        correlation_id: Uuid::new_v4(),
        client_address: Some(ADDRESS.into()),
    };
    Executor::<Account>::new(pool.clone(), vault, ()).execute(&account_id.to_string(), register, &metadata).await?;
    Ok(account_id)
}

/// The stored row of the account's registration.
struct Row {
    aggregate_id: String,
    sequence: i64,
    event_version: String,
    payload: Value,
    metadata: Value,
}

async fn stored(pool: &PgPool, account: AccountId) -> anyhow::Result<Row> {
    let (aggregate_id, sequence, event_version, payload, metadata) = sqlx::query_as(
        "SELECT aggregate_id, sequence, event_version, payload, metadata FROM events
          WHERE aggregate_id = $1 AND event_type = 'AccountRegistered'",
    )
    .bind(account.to_string())
    .fetch_one(pool)
    .await?;
    Ok(Row { aggregate_id, sequence, event_version, payload, metadata })
}

impl Row {
    fn parts(&mut self) -> EventParts<'_> {
        EventParts {
            identity: EventIdentity {
                aggregate_type: "Account",
                aggregate_id: &self.aggregate_id,
                sequence: self.sequence,
            },
            event_version: &mut self.event_version,
            payload: &mut self.payload,
            metadata: &mut self.metadata,
        }
    }

    async fn open(mut self, vault: &Vault) -> Result<Self, commands::Error> {
        vault.open(&mut [self.parts()]).await?;
        Ok(self)
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn personal_fields_are_sealed_at_rest_and_read_back_in_clear(pool: PgPool) -> anyhow::Result<()> {
    let vault = Vault::for_tests(pool.clone());
    let account = register(&pool, &vault).await?;

    let row = stored(&pool, account).await?;
    let at_rest = format!("{} {}", row.payload, row.metadata);
    for clear in [NIK, "Siti Aminah", PHONE, "081234567890", EMAIL, ADDRESS] {
        assert!(!at_rest.contains(clear), "{clear} is stored in clear: {at_rest}");
    }
    assert_eq!(row.event_version, "1.0+sealed");
    let body = &row.payload["AccountRegistered"];
    for field in ["nik", "full_name", "phone", "email"] {
        assert!(body[field].as_str().is_some_and(is_sealed), "{field} is sealed: {}", body[field]);
    }
    assert_eq!(body["account_id"], account.to_string(), "what decides nothing personal stays readable");
    assert!(row.metadata.get(SEALED_ADDRESS).is_some() && row.metadata.get("client_address").is_none());
    let wrapped: Vec<u8> = sqlx::query_scalar("SELECT wrapped_key FROM subject_keys WHERE subject_id = $1")
        .bind(account.0)
        .fetch_one(&pool)
        .await?;
    assert_eq!(wrapped.len(), 4 + 1 + "test-kek".len() + 24 + 32 + 16, "the data key is stored wrapped only");

    // The aggregate reads its own stream in clear (through a fresh vault: nothing cached).
    let loaded =
        Executor::<Account>::new(pool.clone(), &Vault::for_tests(pool.clone()), ()).load(&account.to_string()).await?;
    assert_eq!(loaded.nik().map(Nik::as_str), Some(NIK));
    assert_eq!(loaded.full_name().map(FullName::as_str), Some(NAME));

    let opened = row.open(&vault).await?;
    assert_eq!(opened.event_version, "1.0", "the domain's version again, for its upcasters");
    assert_eq!(opened.payload["AccountRegistered"]["phone"], PHONE);
    assert_eq!(opened.payload["AccountRegistered"]["email"], EMAIL);
    assert_eq!(opened.metadata["client_address"], ADDRESS);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_moved_or_altered_token_is_an_error_not_a_misreading(pool: PgPool) -> anyhow::Result<()> {
    let vault = Vault::for_tests(pool.clone());
    let account = register(&pool, &vault).await?;

    let mut swapped = stored(&pool, account).await?;
    let body = &mut swapped.payload["AccountRegistered"];
    let nik = body["nik"].take();
    body["nik"] = body["full_name"].take();
    body["full_name"] = nik;
    assert!(swapped.open(&vault).await.is_err(), "a token opens only in its own field");

    let mut moved = stored(&pool, account).await?;
    moved.sequence += 1;
    assert!(moved.open(&vault).await.is_err(), "a token opens only in its own event");

    let mut altered = stored(&pool, account).await?;
    let token = altered.payload["AccountRegistered"]["phone"].as_str().unwrap_or_default().to_owned();
    let mut bytes = token.into_bytes();
    if let Some(last) = bytes.last_mut() {
        *last = if *last == b'A' { b'B' } else { b'A' };
    }
    altered.payload["AccountRegistered"]["phone"] = Value::from(String::from_utf8(bytes)?);
    assert!(altered.open(&vault).await.is_err(), "tampering is detected");
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_destroyed_key_leaves_the_event_and_erases_its_personal_fields(pool: PgPool) -> anyhow::Result<()> {
    let vault = Vault::for_tests(pool.clone());
    let account = register(&pool, &vault).await?;
    let before = stored(&pool, account).await?;

    assert!(vault.keys().destroy(account.0).await?);
    assert!(!vault.keys().destroy(account.0).await?, "destroying twice is a no-op");
    let (left, destroyed): (Option<Vec<u8>>, bool) =
        sqlx::query_as("SELECT wrapped_key, destroyed_at IS NOT NULL FROM subject_keys WHERE subject_id = $1")
            .bind(account.0)
            .fetch_one(&pool)
            .await?;
    assert!(left.is_none() && destroyed, "the key's bytes are gone, the fact that it existed stays");

    // The event itself is untouched (the hash chain still verifies it) ...
    let after = stored(&pool, account).await?;
    assert_eq!((&after.payload, &after.metadata), (&before.payload, &before.metadata));
    // ... and reads as erased everywhere, in this process and in a fresh one.
    for reader in [vault.clone(), Vault::for_tests(pool.clone())] {
        let opened = stored(&pool, account).await?.open(&reader).await?;
        let body = &opened.payload["AccountRegistered"];
        for field in ["nik", "full_name", "phone", "email"] {
            assert_eq!(body[field], domain::privacy::ERASED, "{field}");
        }
        assert_eq!(opened.metadata["client_address"], domain::privacy::ERASED);
        assert_eq!(body["account_id"], account.to_string());
    }
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn data_keys_follow_the_key_encryption_keys_through_a_rotation(pool: PgPool) -> anyhow::Result<()> {
    let secrets = commands::Settings::for_tests().secrets;
    let old = Vault::new(pool.clone(), FileKeys::single("kek-2026", [1; 32]), &secrets);
    let account = register(&pool, &old).await?;

    let rotated = Vault::new(
        pool.clone(),
        FileKeys::new(vec![("kek-2027".into(), [2; 32]), ("kek-2026".into(), [1; 32])]).map_err(anyhow::Error::msg)?,
        &secrets,
    );
    let opened = stored(&pool, account).await?.open(&rotated).await?;
    assert_eq!(opened.payload["AccountRegistered"]["nik"], NIK, "older data keys open under the listed older KEK");

    let newcomer = register(&pool, &rotated).await?;
    let kek: String = sqlx::query_scalar("SELECT kek_id FROM subject_keys WHERE subject_id = $1")
        .bind(newcomer.0)
        .fetch_one(&pool)
        .await?;
    assert_eq!(kek, "kek-2027", "new data keys are wrapped by the first KEK");

    // Re-wrapped under the new KEK, the old one can go.
    assert_eq!(rotated.keys().rewrap().await?, 1);
    assert_eq!(rotated.keys().rewrap().await?, 0, "nothing left to re-wrap");
    let only_new = Vault::new(pool.clone(), FileKeys::single("kek-2027", [2; 32]), &secrets);
    let opened = stored(&pool, account).await?.open(&only_new).await?;
    assert_eq!(opened.payload["AccountRegistered"]["nik"], NIK, "readable without the retired KEK");

    let stranger = Vault::new(pool.clone(), FileKeys::single("other", [3; 32]), &secrets);
    assert!(
        stored(&pool, account).await?.open(&stranger).await.is_err(),
        "without the KEK nothing opens, and that is an error, not an erasure"
    );
    Ok(())
}

/// An erasure recorded but not carried out (the process died right after the event) is finished
/// by the daily housekeeping: the key is destroyed then, once.
#[sqlx::test(migrations = "../migrations")]
async fn an_erasure_cut_short_after_it_was_recorded_is_finished_by_housekeeping(pool: PgPool) -> anyhow::Result<()> {
    let commands = commands::Commands::new(pool.clone(), commands::Settings::for_tests());
    let account = register(&pool, &commands.vault).await?;
    let accounts = Executor::<Account>::new(pool.clone(), &commands.vault, ());
    let staff = CommandMetadata::system(Uuid::new_v4());
    let (filer, approver) = (domain::staff::StaffId(Uuid::new_v4()), domain::staff::StaffId(Uuid::new_v4()));
    let reason = domain::account::Reason::parse("Permintaan penduduk")?;
    let id = account.to_string();
    accounts.execute(&id, AccountCommand::RequestErasure { by: filer, reason, at: Utc::now() }, &staff).await?;
    let approve = AccountCommand::ApproveErasure { by: approver, legacy_account_id: None, at: Utc::now() };
    accounts.execute(&id, approve, &staff).await?;
    let live = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM subject_keys WHERE subject_id = $1 AND destroyed_at IS NULL")
            .bind(account.0)
            .fetch_one(&pool)
            .await
    };
    assert_eq!(live().await?, 1, "recorded, not carried out");

    let finished = commands.erasure.finish_interrupted().await?;
    assert_eq!(finished.keys, 1);
    assert_eq!(live().await?, 0);
    assert_eq!(commands.erasure.finish_interrupted().await?.keys, 0, "nothing is left to finish");
    let opened = stored(&pool, account).await?.open(&commands.vault).await?;
    assert_eq!(opened.payload["AccountRegistered"]["nik"], domain::privacy::ERASED);
    Ok(())
}

/// A replay seals read-model values on several connections at once, and a history from before
/// sealing meets many residents without a key: writers creating keys for overlapping residents
/// in opposite orders must neither deadlock nor give one resident two keys.
#[sqlx::test(migrations = "../migrations")]
async fn keys_for_many_residents_are_created_at_once_without_deadlock_or_duplicates(
    pool: PgPool,
) -> anyhow::Result<()> {
    use commands::vault::{Field, Personal};
    for _ in 0..3 {
        let subjects: Vec<Uuid> = (0..3000).map(|_| Uuid::new_v4()).collect();
        let seal = |order: Vec<Uuid>| {
            // Separate vaults: separate caches, like separate processes or a cold start.
            let vault = Vault::for_tests(pool.clone());
            async move {
                let mut values: Vec<Personal> = order.iter().map(|_| Personal::clear("Siti Aminah")).collect();
                let fields = order.iter().zip(values.iter_mut()).map(|(s, v)| (*s, Field::Name, v)).collect();
                vault.seal_personal(fields).await?;
                anyhow::ensure!(values.iter().all(|v| is_sealed(v.as_str())), "every value sealed");
                anyhow::Ok(values)
            }
        };
        let reversed: Vec<Uuid> = subjects.iter().rev().copied().collect();
        let (a, b) = tokio::join!(seal(subjects.clone()), seal(reversed));
        let (a, mut b) = (a?, b?);
        b.reverse();
        assert_eq!(a, b, "both writers sealed under the one key of each resident");
        let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM subject_keys WHERE subject_id = ANY($1)")
            .bind(&subjects)
            .fetch_one(&pool)
            .await?;
        assert_eq!(keys, 3000);
    }
    Ok(())
}
