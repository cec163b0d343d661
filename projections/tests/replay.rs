//! (c) Replaying the whole history rebuilds exactly the read models live projection built.

use std::time::Duration;

use anyhow::Context;
use commands::{Commands, Settings};
use domain::CommandMetadata;
use domain::calendar::HolidayKind;
use domain::staff::Role;
use domain::working_time::office_date;
use futures::FutureExt;
use sqlx::PgPool;
use uuid::Uuid;

/// Every read-model table as one canonical JSON text, independent of row order.
async fn snapshot(pool: &PgPool) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for projection in projections::all() {
        for table in projection.tables() {
            let rows: String = sqlx::query_scalar(&format!(
                "SELECT coalesce(json_agg(t ORDER BY t::text), '[]')::text FROM {table} t"
            ))
            .fetch_one(pool)
            .await?;
            out.push((table.to_string(), rows));
        }
    }
    Ok(out)
}

/// Every index of the read-model tables, by name, with its definition: a replay must leave
/// the tables indexed exactly as the migrations did, under the same names (a later migration
/// drops or replaces indexes by name).
async fn indexes(pool: &PgPool) -> anyhow::Result<Vec<(String, String)>> {
    let tables: Vec<&str> = projections::all().iter().flat_map(|p| p.tables().iter().copied()).collect();
    Ok(sqlx::query_as(
        "SELECT indexname::text, indexdef FROM pg_indexes
          WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY indexname",
    )
    .bind(&tables)
    .fetch_all(pool)
    .await?)
}

async fn project_everything(pool: &PgPool) -> anyhow::Result<()> {
    let projector = projections::Projector::new(
        pool.clone(),
        commands::Vault::for_tests(pool.clone()),
        projections::all(),
        Default::default(),
    );
    let mut active = projector.activate().await?.context("projector lock")?;
    // Parallel tests elsewhere in the cluster can hold the horizon back briefly.
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

#[sqlx::test(migrations = "../migrations")]
async fn replay_rebuilds_the_same_read_models_as_live_projection(pool: PgPool) -> anyhow::Result<()> {
    let commands = Commands::new(pool.clone(), Settings::for_tests());
    let system = CommandMetadata::system(Uuid::new_v4());
    let admin = commands.staff.create("admin", "Admin Dinas", Role::Admin, "rahasia dinas 1", &system).await?;
    let siti = commands.staff.create("siti", "Siti Aminah", Role::Operator, "kata sandi siti", &system).await?;
    commands.staff.create("budi", "Budi Santoso", Role::Auditor, "kata sandi budi", &system).await?;
    commands.staff.change_role(siti.id.0, Role::Supervisor, admin.id, &system).await?;
    commands.staff.sign_in("siti", "kata sandi siti", system.clone()).await?;

    let today = office_date(chrono::Utc::now());
    let day = |n: i64| (today + chrono::Duration::days(n)).format("%Y-%m-%d").to_string();
    commands.calendar.add_holiday(&day(30), "Hari Raya Natal", HolidayKind::NationalHoliday, &system).await?;
    commands.calendar.add_holiday(&day(31), "Cuti bersama Natal", HolidayKind::CutiBersama, &system).await?;
    commands.calendar.add_holiday(&day(40), "Tahun Baru", HolidayKind::NationalHoliday, &system).await?;
    commands.calendar.remove_holiday(&day(40), &system).await?;
    commands.calendar.declare_outage("Jaringan ke pusat data terputus", &system).await?;
    commands.calendar.end_outage(&system).await?;
    commands.calendar.declare_outage("Listrik padam", &system).await?;

    project_everything(&pool).await?;
    let live = snapshot(&pool).await?;
    let migrated = indexes(&pool).await?;
    assert!(migrated.iter().any(|(name, _)| name == "work_queue_due"), "{migrated:?}");
    let staff_rows = &live.iter().find(|(t, _)| t == "staff_directory").context("staff table")?.1;
    assert!(staff_rows.contains("\"siti\"") && staff_rows.contains("SUPERVISOR"), "live projection ran: {staff_rows}");

    let report =
        projections::replay(&pool, &commands::Vault::for_tests(pool.clone()), &projections::all(), 2, |_| {}).await?;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
    assert_eq!(report.events, stored as u64, "every event replayed once");
    let replayed = snapshot(&pool).await?;
    assert_eq!(live, replayed);
    assert_eq!(indexes(&pool).await?, migrated, "the same indexes under the same names");

    // A second replay changes nothing either, and live projection afterwards has nothing to do.
    projections::replay(&pool, &commands::Vault::for_tests(pool.clone()), &projections::all(), 1000, |_| {}).await?;
    project_everything(&pool).await?;
    assert_eq!(snapshot(&pool).await?, live);
    Ok(())
}

/// A replay that dies half-way (here: a panic after its second committed chunk, as a killed
/// process would) leaves the live read models and checkpoints as they were; the next replay
/// drops the leftover shadow and completes. While one replay runs, a second is refused.
#[sqlx::test(migrations = "../migrations")]
async fn an_interrupted_replay_changes_nothing_live(pool: PgPool) -> anyhow::Result<()> {
    let commands = Commands::new(pool.clone(), Settings::for_tests());
    let system = CommandMetadata::system(Uuid::new_v4());
    for name in ["ani", "budi", "citra", "dewi"] {
        commands.staff.create(name, "Petugas Dinas", Role::Operator, "kata sandi panjang", &system).await?;
        commands.staff.sign_in(name, "kata sandi panjang", system.clone()).await?;
    }
    project_everything(&pool).await?;
    let live = snapshot(&pool).await?;
    let checkpoints = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT string_agg(projection || '@' || last_position, ',' ORDER BY projection) FROM projection_checkpoints",
        )
        .fetch_one(&pool)
        .await
    };
    let live_checkpoints = checkpoints().await?;

    let mut chunks = 0u32;
    let on_progress = |_: projections::ReplayProgress| {
        chunks += 1;
        assert!(chunks < 2, "simulated crash in the middle of a replay");
    };
    let all = projections::all();
    let crashed = std::panic::AssertUnwindSafe(projections::replay(
        &pool,
        &commands::Vault::for_tests(pool.clone()),
        &all,
        2,
        on_progress,
    ))
    .catch_unwind()
    .await;
    assert!(crashed.is_err(), "the replay was interrupted");
    let leftover: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'replay_shadow')")
            .fetch_one(&pool)
            .await?;
    assert!(leftover, "the interrupted replay left its half-built shadow behind");
    assert_eq!(snapshot(&pool).await?, live, "readers never see a half-built model");
    assert_eq!(checkpoints().await?, live_checkpoints);

    let mut holder = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)").bind(projections::REPLAY_LOCK_KEY).execute(&mut *holder).await?;
    let refused =
        projections::replay(&pool, &commands::Vault::for_tests(pool.clone()), &projections::all(), 2, |_| {}).await;
    assert!(matches!(refused, Err(projections::Error::ReplayRunning)), "{refused:?}");
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(projections::REPLAY_LOCK_KEY).execute(&mut *holder).await?;
    drop(holder);

    let report =
        projections::replay(&pool, &commands::Vault::for_tests(pool.clone()), &projections::all(), 3, |_| {}).await?;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
    assert_eq!(report.events, stored as u64);
    assert_eq!(snapshot(&pool).await?, live);
    let gone: bool =
        sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'replay_shadow')")
            .fetch_one(&pool)
            .await?;
    assert!(gone, "a completed replay leaves no shadow");
    Ok(())
}

/// A database replayed before replays kept index names (its read models indexed under the
/// names `LIKE … INCLUDING ALL` made up) gets the migrations' names back from
/// `20261208000000_read_model_index_names.sql`, and the migration changes nothing elsewhere.
#[sqlx::test(migrations = "../migrations")]
async fn index_names_an_earlier_replay_made_up_are_given_back(pool: PgPool) -> anyhow::Result<()> {
    const MIGRATION: &str = include_str!("../../migrations/20261208000000_read_model_index_names.sql");
    let migrated = indexes(&pool).await?;
    sqlx::raw_sql(MIGRATION).execute(&pool).await?;
    assert_eq!(indexes(&pool).await?, migrated, "nothing to do on a database never replayed before");

    let renames: Vec<(&str, &str)> = MIGRATION
        .lines()
        .filter_map(|line| line.strip_prefix("ALTER INDEX IF EXISTS ")?.strip_suffix(';')?.split_once(" RENAME TO "))
        .collect();
    assert_eq!(renames.len(), 15, "{renames:?}");
    for (made_up, name) in &renames {
        sqlx::query(&format!("ALTER INDEX {name} RENAME TO {made_up}")).execute(&pool).await?;
    }
    assert_ne!(indexes(&pool).await?, migrated);
    sqlx::raw_sql(MIGRATION).execute(&pool).await?;
    assert_eq!(indexes(&pool).await?, migrated);
    Ok(())
}
