//! The audit log: who looked at unmasked personal data in the history, and which record.

use sqlx::PgPool;
use uuid::Uuid;

use crate::Error;

/// Appends to `audit_log` (append-only in the database).
#[derive(Clone)]
pub struct AuditLog {
    pool: PgPool,
}

impl AuditLog {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Records a view before it is answered.
    pub async fn record(&self, viewer_id: Uuid, viewer_role: &str, action: &str, subject: &str) -> Result<(), Error> {
        sqlx::query("INSERT INTO audit_log (viewer_id, viewer_role, action, subject) VALUES ($1, $2, $3, $4)")
            .bind(viewer_id)
            .bind(viewer_role)
            .bind(action)
            .bind(subject)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
