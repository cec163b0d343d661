//! The projector is woken after a command's commit, not by the appending transaction itself.

use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use commands::Executor;
use domain::CommandMetadata;
use domain::calendar::{CalendarCommand, OfficeCalendar, OutageReason};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use uuid::Uuid;

#[test]
fn appenders_and_the_projector_use_one_channel() {
    assert_eq!(commands::wakeup::CHANNEL, projections::PROJECTOR_CHANNEL);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_command_wakes_the_projector_after_its_commit(pool: PgPool) -> anyhow::Result<()> {
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(projections::PROJECTOR_CHANNEL).await?;

    // A write outside the executor (a raw insert) no longer notifies from inside its
    // transaction: the trigger is gone, so nothing arrives for it.
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('Test', 'raw', 1, 'Tested', '1.0', '{}', '{}')",
    )
    .execute(&pool)
    .await?;
    let silent = tokio::time::timeout(Duration::from_millis(300), listener.recv()).await;
    assert!(silent.is_err(), "an append by itself sends no notification");

    let executor = Executor::<OfficeCalendar>::new(pool.clone(), &commands::Vault::for_tests(pool.clone()), ());
    let command = CalendarCommand::DeclareOutage { reason: OutageReason::parse("Listrik padam")?, now: Utc::now() };
    executor.execute("office", command, &CommandMetadata::system(Uuid::new_v4())).await?;
    let woken = tokio::time::timeout(Duration::from_secs(5), listener.recv())
        .await
        .context("the command's append must wake the projector")??;
    assert_eq!(woken.channel(), projections::PROJECTOR_CHANNEL);
    Ok(())
}
