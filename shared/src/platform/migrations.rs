//! Schema migrations: Better Auth's tables (untouched when they already exist) and ours.
//!
//! refinery keeps the history in `refinery_schema_history`. Run migrations on a direct
//! connection, not through a transaction-mode pooler: the advisory lock that keeps two
//! concurrent deploys from migrating at once is held for the session.

use crate::db::{ConnectError, ConnectOptions};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// An arbitrary constant that names our migration lock among the database's advisory locks.
pub const MIGRATION_LOCK_ID: i64 = 0x7461_736b_7321;

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("migration failed: {0}")]
    Failed(String),
}

/// Applies every pending migration and returns the names of those it applied.
pub async fn run(options: &ConnectOptions) -> Result<Vec<String>, MigrationError> {
    let mut client = options.connect().await?;
    let failed = |err: &dyn std::fmt::Display| MigrationError::Failed(err.to_string());
    client
        .execute("select pg_advisory_lock($1)", &[&MIGRATION_LOCK_ID])
        .await
        .map_err(|e| failed(&e))?;
    let report = embedded::migrations::runner().run_async(&mut client).await;
    // Closing the connection would release the lock too; unlock explicitly for clarity.
    let _ = client
        .execute("select pg_advisory_unlock($1)", &[&MIGRATION_LOCK_ID])
        .await;
    let report = report.map_err(|e| failed(&e))?;
    Ok(report
        .applied_migrations()
        .iter()
        .map(|m| m.to_string())
        .collect())
}
