//! Auditors' guarantees: verified replay, the hash chain, schema evolution, append-only logs.

use std::time::Duration;

use anyhow::Context;
use commands::{Commands, Settings};
use domain::CommandMetadata;
use domain::calendar::HolidayKind;
use domain::staff::Role;
use domain::working_time::office_date;
use sqlx::PgPool;
use uuid::Uuid;

async fn project_everything(pool: &PgPool) -> anyhow::Result<()> {
    let projector = projections::Projector::new(
        pool.clone(),
        commands::Vault::for_tests(pool.clone()),
        projections::all(),
        Default::default(),
    );
    let mut active = projector.activate().await?.context("projector lock")?;
    for _ in 0..200 {
        active.drain().await?;
        if !active.has_unsafe_pending().await? {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    active.close().await;
    Ok(())
}

async fn some_history(pool: &PgPool) -> anyhow::Result<()> {
    let commands = Commands::new(pool.clone(), Settings::for_tests());
    let system = CommandMetadata::system(Uuid::new_v4());
    let admin = commands.staff.create("admin", "Admin", Role::Admin, "kata sandi admin", &system).await?;
    let siti = commands.staff.create("siti", "Siti", Role::Operator, "kata sandi siti", &system).await?;
    commands.staff.change_role(siti.id.0, Role::Supervisor, admin.id, &system).await?;
    let day = (office_date(chrono::Utc::now()) + chrono::Duration::days(20)).format("%Y-%m-%d").to_string();
    commands.calendar.add_holiday(&day, "Libur daerah", HolidayKind::OfficeClosure, &system).await?;
    commands.calendar.declare_outage("Jaringan terputus", &system).await?;
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn verified_replay_passes_then_catches_a_hand_edited_row(pool: PgPool) -> anyhow::Result<()> {
    some_history(&pool).await?;
    project_everything(&pool).await?;
    let clean = projections::verify(
        &pool,
        &commands::Vault::for_tests(pool.clone()),
        &projections::all(),
        2,
        Duration::from_secs(10),
        |_| {},
    )
    .await?;
    assert!(clean.is_empty(), "{clean:?}");

    sqlx::query("UPDATE staff_directory SET role = 'ADMIN' WHERE username = 'siti'").execute(&pool).await?;
    let caught = projections::verify(
        &pool,
        &commands::Vault::for_tests(pool.clone()),
        &projections::all(),
        1000,
        Duration::from_secs(10),
        |_| {},
    )
    .await?;
    assert_eq!(caught.len(), 1, "{caught:?}");
    assert_eq!(caught[0].table, "staff_directory");
    assert_eq!((caught[0].only_live_count, caught[0].only_rebuilt_count), (1, 1));
    assert!(caught[0].only_live[0].contains("\"ADMIN\"") && caught[0].only_rebuilt[0].contains("\"SUPERVISOR\""));

    // A replay puts the truth back, swapping the rebuilt tables in.
    projections::replay(&pool, &commands::Vault::for_tests(pool.clone()), &projections::all(), 1000, |_| {}).await?;
    let role: String =
        sqlx::query_scalar("SELECT role FROM staff_directory WHERE username = 'siti'").fetch_one(&pool).await?;
    assert_eq!(role, "SUPERVISOR");
    assert!(
        projections::verify(
            &pool,
            &commands::Vault::for_tests(pool.clone()),
            &projections::all(),
            1000,
            Duration::from_secs(10),
            |_| {}
        )
        .await?
        .is_empty()
    );
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn the_hash_chain_exposes_an_event_altered_behind_the_triggers(pool: PgPool) -> anyhow::Result<()> {
    some_history(&pool).await?;
    project_everything(&pool).await?;
    let intact = projections::chain::verify_chain(&pool).await?;
    assert!(intact.problems.is_empty(), "{:?}", intact.problems);
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
    assert_eq!(intact.checked as i64, events);
    assert_eq!(intact.head.len(), 64);

    // A superuser disables the append-only trigger and edits history.
    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete").execute(&pool).await?;
    sqlx::query("UPDATE events SET payload = jsonb_set(payload, '{StaffRoleChanged,to}', '\"OPERATOR\"') WHERE event_type = 'StaffRoleChanged'")
        .execute(&pool)
        .await?;
    let tampered = projections::chain::verify_chain(&pool).await?;
    assert_eq!(tampered.problems.len(), 1, "{:?}", tampered.problems);
    assert!(tampered.problems[0].contains("StaffRoleChanged"));

    sqlx::query("DELETE FROM events WHERE event_type = 'OutageDeclared'").execute(&pool).await?;
    let removed = projections::chain::verify_chain(&pool).await?;
    assert!(removed.problems.iter().any(|p| p.contains("removed")), "{:?}", removed.problems);

    // Replay never recomputes the chain, so it cannot bless the alteration.
    projections::replay(&pool, &commands::Vault::for_tests(pool.clone()), &projections::all(), 1000, |_| {}).await?;
    assert!(!projections::chain::verify_chain(&pool).await?.problems.is_empty());
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn an_old_event_version_is_upcast_when_loading_and_projecting(pool: PgPool) -> anyhow::Result<()> {
    let day = office_date(chrono::Utc::now()) + chrono::Duration::days(30);
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('OfficeCalendar', 'office-calendar', 1, 'HolidayAdded', '0.9', $1, '{}')",
    )
    .bind(serde_json::json!({ "HolidayAdded": { "date": day.to_string(), "name": "Hari lama" } }))
    .execute(&pool)
    .await?;
    // Loading the aggregate upcasts: the calendar knows the day.
    let commands = Commands::new(pool.clone(), Settings::for_tests());
    let system = CommandMetadata::system(Uuid::new_v4());
    let again = commands.calendar.add_holiday(&day.to_string(), "Lagi", HolidayKind::NationalHoliday, &system).await;
    assert!(
        matches!(again, Err(commands::Error::Calendar(domain::calendar::CalendarError::HolidayExists(_)))),
        "{again:?}"
    );
    // Projecting upcasts: the kind is filled in.
    project_everything(&pool).await?;
    let kind: String = sqlx::query_scalar("SELECT kind FROM office_holidays WHERE holiday_date = $1")
        .bind(day)
        .fetch_one(&pool)
        .await?;
    assert_eq!(kind, "NATIONAL_HOLIDAY");
    // And so does a replay; the stored event is unchanged.
    projections::replay(&pool, &commands::Vault::for_tests(pool.clone()), &projections::all(), 10, |_| {}).await?;
    let kind: String = sqlx::query_scalar("SELECT kind FROM office_holidays WHERE holiday_date = $1")
        .bind(day)
        .fetch_one(&pool)
        .await?;
    assert_eq!(kind, "NATIONAL_HOLIDAY");
    let stored: String = sqlx::query_scalar("SELECT event_version FROM events").fetch_one(&pool).await?;
    assert_eq!(stored, "0.9");
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn logs_and_chain_refuse_update_and_delete(pool: PgPool) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO document_access_log (file_id, viewer_kind, viewer_id, viewer_role, purpose) VALUES ($1, 'STAFF', $1, 'OPERATOR', 'verification')")
        .bind(Uuid::new_v4())
        .execute(&pool)
        .await?;
    sqlx::query(
        "INSERT INTO audit_log (viewer_id, viewer_role, action, subject) VALUES ($1, 'AUDITOR', 'eventHistory', 'x')",
    )
    .bind(Uuid::new_v4())
    .execute(&pool)
    .await?;
    sqlx::query("INSERT INTO event_chain (chain_index, global_position, event_hash, previous_hash) VALUES (0, 1, '\\x00', '\\x00')")
        .execute(&pool)
        .await?;
    for table in ["document_access_log", "audit_log", "event_chain"] {
        for statement in [
            format!("UPDATE {table} SET viewed_at = now()"),
            format!("DELETE FROM {table}"),
            format!("TRUNCATE {table}"),
        ] {
            let statement = statement.replace(
                "SET viewed_at = now()",
                if table == "event_chain" { "SET chain_index = 5" } else { "SET viewer_role = 'X'" },
            );
            let error = sqlx::query(&statement).execute(&pool).await.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains("append-only"), "{statement}: {error:?}");
        }
    }
    Ok(())
}

/// History written before sealing existed (personal fields in clear, version 1.0) leaves in an
/// export only in the protected form, and the export still verifies against the store.
#[sqlx::test(migrations = "../migrations")]
async fn exports_hold_old_clear_history_only_sealed_and_still_verify(pool: PgPool) -> anyhow::Result<()> {
    let account = Uuid::new_v4();
    let registered = serde_json::json!({ "AccountRegistered": {
        "account_id": account, "nik": "6106015205900001", "full_name": "Siti Aminah", "phone": "6281234567890",
        "email": null, "password_hash": "$argon2id$old", "registered_at": "2026-11-20T02:00:00Z",
        "documents": { "identity_kind": "KTP_EL", "identity": Uuid::new_v4(), "family_card": Uuid::new_v4(),
                       "selfie": Uuid::new_v4() } } });
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('Account', $1, 1, 'AccountRegistered', '1.0', $2, $3)",
    )
    .bind(account.to_string())
    .bind(&registered)
    .bind(serde_json::json!({ "actor_id": Uuid::nil(), "actor_role": "SYSTEM", "correlation_id": Uuid::new_v4(),
                               "client_address": "10.1.2.3" }))
    .execute(&pool)
    .await?;
    project_everything(&pool).await?;

    let vault = commands::Vault::for_tests(pool.clone());
    let mut out = Vec::new();
    let manifest = projections::history::export(&pool, &vault, &Default::default(), &mut out).await?;
    let text = String::from_utf8(out.clone())?;
    for clear in ["6106015205900001", "Siti Aminah", "6281234567890", "10.1.2.3"] {
        assert!(!text.contains(clear), "the export holds {clear} in clear: {text}");
    }
    assert!(text.contains("1.0+sealed"), "{text}");
    let problems = projections::history::verify_export(&pool, &vault, &manifest, out.as_slice()).await?;
    assert!(problems.is_empty(), "{problems:?}");

    // Erased, the exported copy no longer opens to what is stored: it cannot vouch for it.
    vault.keys().destroy(account).await?;
    let problems = projections::history::verify_export(&pool, &vault, &manifest, out.as_slice()).await?;
    assert_eq!(problems.len(), 1, "{problems:?}");
    Ok(())
}
