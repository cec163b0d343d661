use std::collections::HashMap;

use sqlx::PgConnection;

use crate::Error;

/// A point in the projector's order: events are consumed by (transaction id, global
/// position), which—read only below the oldest running transaction—never has gaps filled in
/// later. Plain global-position order would: a transaction can take a position and commit
/// after a later position was already read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Checkpoint {
    pub transaction_id: i64,
    pub position: i64,
}

/// Makes sure every projection has a checkpoint row and returns them all.
pub(crate) async fn load(
    conn: &mut PgConnection,
    names: &[&'static str],
) -> Result<HashMap<&'static str, Checkpoint>, Error> {
    sqlx::query(
        "INSERT INTO projection_checkpoints (projection) SELECT unnest($1::text[]) ON CONFLICT (projection) DO NOTHING",
    )
    .bind(names)
    .execute(&mut *conn)
    .await?;
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT projection, last_transaction_id::text::bigint, last_position
           FROM projection_checkpoints WHERE projection = ANY($1)",
    )
    .bind(names)
    .fetch_all(&mut *conn)
    .await?;
    Ok(names
        .iter()
        .map(|name| {
            let checkpoint = rows
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, transaction_id, position)| Checkpoint {
                    transaction_id: *transaction_id,
                    position: *position,
                })
                .unwrap_or_default();
            (*name, checkpoint)
        })
        .collect())
}

/// Moves the checkpoints of several projections, each from its own point, to `to` in one
/// statement, refusing (and so rolling back the caller's transaction) if any was moved by
/// someone else meanwhile.
pub(crate) async fn advance_all(
    conn: &mut PgConnection,
    moves: &[(&'static str, Checkpoint)],
    to: Checkpoint,
) -> Result<(), Error> {
    if moves.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = moves.iter().map(|(name, _)| *name).collect();
    let transactions: Vec<String> = moves.iter().map(|(_, from)| from.transaction_id.to_string()).collect();
    let positions: Vec<i64> = moves.iter().map(|(_, from)| from.position).collect();
    let done = sqlx::query(
        "UPDATE projection_checkpoints c
            SET last_transaction_id = $4::text::xid8, last_position = $5, updated_at = now()
           FROM unnest($1::text[], $2::text[], $3::bigint[]) AS f(projection, transaction_id, position)
          WHERE c.projection = f.projection
            AND c.last_transaction_id = f.transaction_id::xid8 AND c.last_position = f.position",
    )
    .bind(&names)
    .bind(&transactions)
    .bind(&positions)
    .bind(to.transaction_id.to_string())
    .bind(to.position)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == moves.len() as u64 { Ok(()) } else { Err(Error::CheckpointMoved(names.join(", "))) }
}

/// Sets a checkpoint back to the beginning (for replay).
pub(crate) async fn reset(conn: &mut PgConnection, name: &str) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO projection_checkpoints (projection) VALUES ($1)
         ON CONFLICT (projection) DO UPDATE SET last_transaction_id = '0', last_position = 0, updated_at = now()",
    )
    .bind(name)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
