//! The event store's guarantees, against a real PostgreSQL (fresh database per test).

use commands::files::{FileOwner, UploadedBy};
use commands::{Commands, Error, SessionPolicy, Settings};
use domain::calendar::HolidayKind;
use domain::staff::{Role, StaffError, StaffId};
use domain::{Actor, CommandMetadata, ErrorCode};
use sqlx::PgPool;
use uuid::Uuid;

fn commands(pool: &PgPool) -> Commands {
    Commands::new(pool.clone(), Settings::for_tests())
}

#[sqlx::test(migrations = "../migrations")]
async fn every_event_carries_actor_role_and_correlation_id(pool: PgPool) -> anyhow::Result<()> {
    let correlation = Uuid::new_v4();
    let actor = Uuid::new_v4();
    let metadata = CommandMetadata {
        actor: Actor::Staff { id: StaffId(actor), role: Role::Supervisor },
        correlation_id: correlation,
        client_address: Some("10.0.0.7".into()),
    };
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2)).format("%Y-%m-%d").to_string();
    commands(&pool).calendar.add_holiday(&tomorrow, "Libur daerah", HolidayKind::OfficeClosure, &metadata).await?;

    let (event_type, mut meta, xid_set, position, aggregate_id, sequence, mut version, mut payload): (
        String,
        serde_json::Value,
        bool,
        i64,
        String,
        i64,
        String,
        serde_json::Value,
    ) = sqlx::query_as(
        "SELECT event_type, metadata, transaction_id IS NOT NULL, global_position, aggregate_id, sequence,
                event_version, payload FROM events",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!(event_type, "HolidayAdded");
    assert_eq!(meta["actor_id"], actor.to_string());
    assert_eq!(meta["actor_role"], "SUPERVISOR");
    assert_eq!(meta["correlation_id"], correlation.to_string());
    assert!(meta.get("client_address").is_none(), "the address is personal data, sealed at rest: {meta}");
    let identity =
        commands::vault::EventIdentity { aggregate_type: "OfficeCalendar", aggregate_id: &aggregate_id, sequence };
    let parts = commands::vault::EventParts {
        identity,
        event_version: &mut version,
        payload: &mut payload,
        metadata: &mut meta,
    };
    commands(&pool).vault.open(&mut [parts]).await?;
    assert_eq!(meta["client_address"], "10.0.0.7");
    let stored: std::collections::HashMap<String, String> = serde_json::from_value(meta)?;
    assert_eq!(CommandMetadata::from_map(&stored), Some(metadata), "the stored metadata reads back as written");
    assert!(xid_set && position >= 1);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn events_cannot_be_updated_deleted_or_truncated(pool: PgPool) -> anyhow::Result<()> {
    let system = CommandMetadata::system(Uuid::new_v4());
    commands(&pool).staff.create("admin", "Admin", Role::Admin, "kata sandi admin", &system).await?;
    for statement in ["UPDATE events SET payload = '{}'", "DELETE FROM events", "TRUNCATE events"] {
        let error = sqlx::query(statement).execute(&pool).await.err();
        let message = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("append-only"), "{statement} must be refused, got {message:?}");
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
    assert_eq!(count, 1);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn concurrent_creation_of_one_username_has_exactly_one_winner(pool: PgPool) -> anyhow::Result<()> {
    let commands = commands(&pool);
    let system = CommandMetadata::system(Uuid::new_v4());
    let attempts = (0..8).map(|i| {
        let commands = commands.clone();
        let system = system.clone();
        tokio::spawn(async move {
            commands.staff.create("Rebutan", &format!("Petugas {i}"), Role::Operator, "kata sandi sama", &system).await
        })
    });
    let mut won = 0;
    let mut taken = 0;
    for attempt in attempts {
        match attempt.await? {
            Ok(_) => won += 1,
            Err(Error::Staff(StaffError::UsernameTaken)) => taken += 1,
            Err(other) => panic!("unexpected {other:?} ({})", other.code()),
        }
    }
    assert_eq!((won, taken), (1, 7));
    let streams: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'StaffAccountCreated'")
        .fetch_one(&pool)
        .await?;
    assert_eq!(streams, 1);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn refused_commands_write_nothing(pool: PgPool) -> anyhow::Result<()> {
    let commands = commands(&pool);
    let system = CommandMetadata::system(Uuid::new_v4());
    let errors = [
        commands.calendar.remove_holiday("2099-01-01", &system).await.err(),
        commands.calendar.add_holiday("2026-02-30", "Salah", HolidayKind::NationalHoliday, &system).await.err(),
        commands.calendar.end_outage(&system).await.err(),
        commands.staff.create("ab", "X", Role::Admin, "kata sandi admin", &system).await.err(),
        commands.staff.create("admin", "X", Role::Admin, "password", &system).await.err(),
    ];
    let codes: Vec<&str> = errors.iter().map(|e| e.as_ref().map(|e| e.code()).unwrap_or("NONE")).collect();
    assert_eq!(
        codes,
        ["HOLIDAY_NOT_FOUND", "INVALID_DATE", "NO_OUTAGE_IN_PROGRESS", "INVALID_USERNAME", "PASSWORD_TOO_COMMON"]
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
    assert_eq!(count, 0);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn sign_in_is_one_answer_for_unknown_user_wrong_password_and_deactivated(pool: PgPool) -> anyhow::Result<()> {
    let commands = commands(&pool);
    let system = CommandMetadata::system(Uuid::new_v4());
    let admin = commands.staff.create("admin", "Admin", Role::Admin, "kata sandi admin", &system).await?;
    let siti = commands.staff.create("siti", "Siti", Role::Operator, "kata sandi siti", &system).await?;
    commands.staff.deactivate(siti.id.0, admin.id, &system).await?;
    for (user, password) in
        [("nobody", "kata sandi admin"), ("admin", "salah sekali"), ("siti", "kata sandi siti"), ("!!", "x")]
    {
        let result = commands.staff.sign_in(user, password, system.clone()).await;
        assert!(matches!(result, Err(Error::InvalidCredentials)), "{user}: {result:?}");
    }
    let signed_in = commands.staff.sign_in("ADMIN", "kata sandi admin", system.clone()).await?;
    assert_eq!(signed_in.profile.role, Role::Admin);
    assert!(commands.sessions.find(&signed_in.token).await?.is_some());
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn role_change_and_deactivation_end_the_targets_sessions(pool: PgPool) -> anyhow::Result<()> {
    let commands = commands(&pool);
    let system = CommandMetadata::system(Uuid::new_v4());
    let admin = commands.staff.create("admin", "Admin", Role::Admin, "kata sandi admin", &system).await?;
    let siti = commands.staff.create("siti", "Siti", Role::Operator, "kata sandi siti", &system).await?;
    let first = commands.staff.sign_in("siti", "kata sandi siti", system.clone()).await?;
    commands.staff.change_role(siti.id.0, Role::Supervisor, admin.id, &system).await?;
    assert!(commands.sessions.find(&first.token).await?.is_none(), "old role's session ended");
    let second = commands.staff.sign_in("siti", "kata sandi siti", system.clone()).await?;
    assert_eq!(second.session.role, "SUPERVISOR");
    commands.staff.deactivate(siti.id.0, admin.id, &system).await?;
    assert!(commands.sessions.find(&second.token).await?.is_none());
    Ok(())
}

/// The race of a sign-in beside a role change: the sign-in read the account (old role) before
/// the change, and creates its session after the change's revocation. That session must never
/// be accepted, on any request.
#[sqlx::test(migrations = "../migrations")]
async fn a_session_created_from_a_read_older_than_a_revocation_is_dead_on_arrival(pool: PgPool) -> anyhow::Result<()> {
    use commands::SubjectKind;
    let commands = commands(&pool);
    let sessions = &commands.sessions;
    let admin = Uuid::new_v4();
    let read_before_change = sessions.generation(SubjectKind::Staff, admin).await?;
    let (live, live_session) = sessions.create(SubjectKind::Staff, admin, "ADMIN", read_before_change).await?;
    // The role change commits and ends the person's sessions ...
    assert_eq!(sessions.revoke_all(SubjectKind::Staff, admin, None).await?, 1);
    // ... then the sign-in that had loaded the old role creates its session.
    let (late, late_session) = sessions.create(SubjectKind::Staff, admin, "ADMIN", read_before_change).await?;
    assert!(sessions.find(&live).await?.is_none());
    assert!(sessions.find(&late).await?.is_none(), "a session of an older generation is never accepted");
    assert!(!sessions.is_live(&late_session).await? && !sessions.is_live(&live_session).await?);
    // A sign-in that reads after the change gets a working session.
    let fresh = sessions.generation(SubjectKind::Staff, admin).await?;
    let (token, session) = sessions.create(SubjectKind::Staff, admin, "OPERATOR", fresh).await?;
    assert!(sessions.find(&token).await?.is_some() && sessions.is_live(&session).await?);
    // Keeping one's own session across a revocation keeps it live.
    sessions.revoke_all(SubjectKind::Staff, admin, Some(&session)).await?;
    assert!(sessions.find(&token).await?.is_some(), "the kept session moves to the new generation");
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn changing_own_password_keeps_this_session_and_ends_the_others(pool: PgPool) -> anyhow::Result<()> {
    let commands = commands(&pool);
    let system = CommandMetadata::system(Uuid::new_v4());
    commands.staff.create("siti", "Siti", Role::Operator, "kata sandi siti", &system).await?;
    let here = commands.staff.sign_in("siti", "kata sandi siti", system.clone()).await?;
    let elsewhere = commands.staff.sign_in("siti", "kata sandi siti", system.clone()).await?;
    let wrong = commands.staff.change_own_password(&here.session, "bukan ini", "sandi baru siti", &system).await;
    assert!(matches!(wrong, Err(Error::WrongCurrentPassword)));
    commands.staff.change_own_password(&here.session, "kata sandi siti", "sandi baru siti", &system).await?;
    assert!(commands.sessions.find(&here.token).await?.is_some());
    assert!(commands.sessions.find(&elsewhere.token).await?.is_none());
    assert!(commands.staff.sign_in("siti", "kata sandi siti", system.clone()).await.is_err());
    assert!(commands.staff.sign_in("siti", "sandi baru siti", system).await.is_ok());
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn sessions_end_when_idle_or_too_old_and_tokens_are_stored_hashed(pool: PgPool) -> anyhow::Result<()> {
    use commands::{Clock, ManualClock, SessionStore, SubjectKind};
    // The store tells the time by the injected clock, as every service does: moving it is enough.
    let clock = ManualClock::default();
    let idle = SessionStore::new(
        pool.clone(),
        SessionPolicy { idle_timeout: chrono::Duration::minutes(30), absolute_lifetime: chrono::Duration::hours(8) },
        std::sync::Arc::new(clock.clone()),
    );
    let staff = Uuid::new_v4();
    let generation = idle.generation(SubjectKind::Staff, staff).await?;
    let (token, _) = idle.create(SubjectKind::Staff, staff, "OPERATOR", generation).await?;
    assert!(idle.find(&token).await?.is_some());
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sessions WHERE token_hash = $1::bytea OR encode(token_hash, 'hex') = $1",
    )
    .bind(&token)
    .fetch_one(&pool)
    .await?;
    assert_eq!(stored, 0, "the raw token is never stored");
    clock.advance(chrono::Duration::minutes(20));
    assert!(idle.find(&token).await?.is_some(), "used within the idle timeout");
    clock.advance(chrono::Duration::minutes(20));
    assert!(idle.find(&token).await?.is_some(), "the use 20 minutes ago moved the idle clock on");
    clock.advance(chrono::Duration::minutes(31));
    assert!(idle.find(&token).await?.is_none(), "idle session ended");

    let resident = Uuid::new_v4();
    let generation = idle.generation(SubjectKind::Resident, resident).await?;
    let (token, session) = idle.create(SubjectKind::Resident, resident, "RESIDENT", generation).await?;
    let lifetime = session.expires_at - clock.now();
    assert!((lifetime - chrono::Duration::hours(8)).num_seconds().abs() < 5, "{lifetime}");
    for _ in 0..16 {
        clock.advance(chrono::Duration::minutes(29));
        assert!(idle.find(&token).await?.is_some(), "kept alive by use");
    }
    clock.advance(chrono::Duration::minutes(29));
    assert!(idle.find(&token).await?.is_none(), "expired session ended, however active");
    assert!(idle.find("not-a-token").await?.is_none());
    assert!(idle.find(&"f".repeat(64)).await?.is_none());
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn expired_uploads_are_purged_with_their_bytes_and_attached_files_are_kept(pool: PgPool) -> anyhow::Result<()> {
    use domain::document::{DocumentName, FileId};
    let commands = commands(&pool);
    let files = &commands.files;
    let now = chrono::Utc::now();
    let photo = {
        let img = image::RgbImage::from_pixel(16, 16, image::Rgb([10, 20, 30]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png)?;
        out.into_inner()
    };
    let (a, b) = (UploadedBy::Token("a".into()), UploadedBy::Token("b".into()));
    let owner = |n| FileOwner::Account(domain::account::AccountId(uuid::Uuid::from_u128(n)));
    let kept = files.store_upload(photo.clone(), &a, None, now).await?;
    let dropped = files.store_upload(photo, &a, None, now).await?;
    let named = |id| [(FileId(id), DocumentName::fallback(FileId(id)))];
    files.attach(&named(kept.file_id), &a, owner(1), "Account:x", now).await?;
    assert!(
        files.attach(&named(dropped.file_id), &b, owner(2), "Account:y", now).await.is_err(),
        "someone else's upload"
    );
    let later = now + chrono::Duration::hours(25);
    assert_eq!(files.purge_expired(later).await?, 1);
    assert!(files.find(dropped.file_id).await?.is_none());
    let still = files.find(kept.file_id).await?.ok_or_else(|| anyhow::anyhow!("kept"))?;
    assert_eq!(files.read(&still).await?.len() as i64, still.byte_size);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn simultaneous_registrations_of_one_nik_have_exactly_one_winner(pool: PgPool) -> anyhow::Result<()> {
    use commands::accounts::{CaptchaAnswer, DocumentForm, RegistrationForm};
    use domain::document::IdentityDocumentKind;
    let commands = commands(&pool);
    let now = chrono::Utc::now();
    let photo = {
        let img = image::RgbImage::from_pixel(16, 16, image::Rgb([10, 20, 30]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png)?;
        out.into_inner()
    };
    let mut forms = Vec::new();
    for _ in 0..6 {
        let (token, _) = commands.upload_tokens.issue(now).await?;
        let uploader = commands::files::UploadTokens::uploader(&token);
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(commands.files.store_upload(photo.clone(), &uploader, None, now).await?.file_id.to_string());
        }
        let captcha = commands.captchas.create(now, None).await?;
        sqlx::query("UPDATE captchas SET answer_hash = $2 WHERE captcha_id = $1")
            .bind(captcha.id)
            .bind(commands::captcha::answer_hash("abcde"))
            .execute(&pool)
            .await?;
        forms.push(RegistrationForm {
            nik: "6106015205900001".into(),
            full_name: "Siti Aminah".into(),
            phone: "081234567890".into(),
            email: None,
            password: "rumah panjang 2026".into(),
            documents: DocumentForm {
                identity_kind: IdentityDocumentKind::KtpEl,
                identity_upload_id: Some(ids[0].clone()),
                family_card_upload_id: Some(ids[1].clone()),
                selfie_upload_id: Some(ids[2].clone()),
            },
            upload_token: token,
            captcha: Some(CaptchaAnswer { id: captcha.id.to_string(), answer: "abcde".into() }),
        });
    }
    let metadata = CommandMetadata::system(Uuid::new_v4());
    let attempts: Vec<_> = forms
        .into_iter()
        .map(|form| {
            let commands = commands.clone();
            let metadata = metadata.clone();
            tokio::spawn(async move { commands.accounts.register(form, &metadata).await })
        })
        .collect();
    // Every sender gets the same receipt (an existing account is not revealed) ...
    for attempt in attempts {
        attempt.await??;
    }
    // ... but exactly one registration is recorded.
    let registered: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'AccountRegistered'")
        .fetch_one(&pool)
        .await?;
    assert_eq!(registered, 1);
    // Every sender's uploads are attached for the account's stream, as a recorded registration
    // leaves them; housekeeping then uses up the losers' (no event names them).
    let attached: i64 =
        sqlx::query_scalar("SELECT count(*) FROM stored_files WHERE attached_to IS NOT NULL").fetch_one(&pool).await?;
    assert_eq!(attached, 18);
    assert_eq!(commands.files.settle_attachments(now + chrono::Duration::hours(2)).await?, 15);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM stored_files").fetch_one(&pool).await?;
    assert_eq!(left, 3, "the winner's three remain");
    Ok(())
}

/// A registration that died between attaching its uploads and recording its event (a crash
/// of the process) can be sent again with the same uploads; uploads such a command left
/// behind and nobody sent again are undone by housekeeping and then expire.
#[sqlx::test(migrations = "../migrations")]
async fn uploads_of_a_command_that_died_before_recording_are_reusable_then_used_up(pool: PgPool) -> anyhow::Result<()> {
    use commands::accounts::{CaptchaAnswer, DocumentForm, RegistrationForm};
    use commands::files::{UploadTokens, stream_ref};
    use domain::account::Account;
    use domain::document::{DocumentName, FileId, IdentityDocumentKind};
    use domain::nik::Nik;
    let settings = Settings::for_tests();
    let commands = Commands::new(pool.clone(), settings.clone());
    let now = chrono::Utc::now();
    let photo = {
        let img = image::RgbImage::from_pixel(16, 16, image::Rgb([10, 20, 30]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png)?;
        out.into_inner()
    };
    let (token, _) = commands.upload_tokens.issue(now).await?;
    let uploader = UploadTokens::uploader(&token);
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(commands.files.store_upload(photo.clone(), &uploader, None, now).await?.file_id);
    }
    let nik = "6106015205900001";
    let account = settings.secrets.account_id(&Nik::parse(nik)?);
    let (owner, stream) = (FileOwner::Account(account), stream_ref::<Account>(account));
    // The first sending attached the three documents, and a fourth upload, then died.
    let files: Vec<(FileId, DocumentName)> =
        ids.iter().copied().map(|id| (FileId(id), DocumentName::fallback(FileId(id)))).collect();
    assert_eq!(commands.files.attach(&files, &uploader, owner, &stream, now).await?.len(), 4);
    // Another command may not take them; the same one, sent again, may.
    let elsewhere = commands.files.attach(&files[..1], &uploader, owner, "Account:lain", now).await;
    assert!(matches!(elsewhere, Err(Error::UploadNotUsable(_))), "{elsewhere:?}");
    let captcha = commands.captchas.create(now, None).await?;
    sqlx::query("UPDATE captchas SET answer_hash = $2 WHERE captcha_id = $1")
        .bind(captcha.id)
        .bind(commands::captcha::answer_hash("abcde"))
        .execute(&pool)
        .await?;
    let form = RegistrationForm {
        nik: nik.into(),
        full_name: "Siti Aminah".into(),
        phone: "081234567890".into(),
        email: None,
        password: "rumah panjang 2026".into(),
        documents: DocumentForm {
            identity_kind: IdentityDocumentKind::KtpEl,
            identity_upload_id: Some(ids[0].to_string()),
            family_card_upload_id: Some(ids[1].to_string()),
            selfie_upload_id: Some(ids[2].to_string()),
        },
        upload_token: token,
        captcha: Some(CaptchaAnswer { id: captcha.id.to_string(), answer: "abcde".into() }),
    };
    commands.accounts.register(form, &CommandMetadata::system(Uuid::new_v4())).await?;

    // An hour later housekeeping uses up the fourth upload (no event names it: record and
    // bytes deleted) and settles the three recorded ones.
    assert_eq!(commands.files.settle_attachments(now + chrono::Duration::minutes(30)).await?, 0);
    assert_eq!(commands.files.settle_attachments(now + chrono::Duration::hours(2)).await?, 1);
    let rows: Vec<(Uuid, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT file_id, attached_to, attached_for FROM stored_files ORDER BY file_id")
            .fetch_all(&pool)
            .await?;
    assert_eq!(rows.len(), 3);
    for (id, attached_to, attached_for) in &rows {
        assert!(ids[..3].contains(id) && attached_to.is_some(), "{id}");
        assert_eq!(*attached_for, None, "{id}");
    }
    assert!(commands.files.find(ids[3]).await?.is_none());
    Ok(())
}
