//! The outbox is never rebuilt, so rows written in clear before read models were sealed are
//! sealed in place when `serve` starts; the worker still opens them for delivery.

use std::time::Duration;

use chrono::Utc;
use commands::vault::is_sealed;
use sqlx::PgPool;
use uuid::Uuid;

#[sqlx::test(migrations = "../migrations")]
async fn clear_recipients_and_messages_left_from_before_sealing_are_sealed_once_and_still_delivered(
    pool: PgPool,
) -> anyhow::Result<()> {
    let vault = commands::Vault::for_tests(pool.clone());
    let account = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO notification_recipients (account_id, full_name, nik_masked, phone, email)
         VALUES ($1, 'Siti Aminah', '6106********0001', '6281234567890', 'siti@example.id')",
    )
    .bind(account)
    .execute(&pool)
    .await?;
    for (key, channel, to) in [("1:WHATSAPP", "WHATSAPP", "6281234567890"), ("1:EMAIL", "EMAIL", "siti@example.id")] {
        sqlx::query(
            "INSERT INTO notification_outbox (idempotency_key, event_position, account_id, channel, recipient,
                 template, params, state, next_attempt_at, created_at)
             VALUES ($1, 1, $2, $3, $4, 'account_approved', '{\"nama\": \"Siti Aminah\", \"nik\": \"6106********0001\"}',
                     'PENDING', now(), now())",
        )
        .bind(key)
        .bind(account)
        .bind(channel)
        .bind(to)
        .execute(&pool)
        .await?;
    }

    assert_eq!(projections::notifications::seal_leftovers(&pool, &vault).await?, 3);
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT row_to_json(r)::text FROM notification_recipients r
         UNION ALL SELECT row_to_json(o)::text FROM notification_outbox o",
    )
    .fetch_all(&pool)
    .await?;
    for row in &stored {
        for clear in ["Siti Aminah", "6281234567890", "siti@example.id"] {
            assert!(!row.contains(clear), "{clear} left in {row}");
        }
    }
    let recipient: (String, String, Option<String>) =
        sqlx::query_as("SELECT full_name, phone, email FROM notification_recipients").fetch_one(&pool).await?;
    assert!(is_sealed(&recipient.0) && is_sealed(&recipient.1) && recipient.2.as_deref().is_some_and(is_sealed));
    assert_eq!(projections::notifications::seal_leftovers(&pool, &vault).await?, 0, "sealed once");

    let claimed =
        projections::notifications::outbox::claim(&pool, &vault, Utc::now(), Duration::from_secs(60), 10).await?;
    let mut delivered: Vec<(String, Option<String>, bool)> =
        claimed.iter().map(|c| (c.recipient.clone(), c.params.get("nama").cloned(), c.readable)).collect();
    delivered.sort();
    assert_eq!(
        delivered,
        vec![
            ("6281234567890".to_owned(), Some("Siti Aminah".to_owned()), true),
            ("siti@example.id".to_owned(), Some("Siti Aminah".to_owned()), true),
        ]
    );
    Ok(())
}
