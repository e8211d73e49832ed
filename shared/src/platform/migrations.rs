//! Schema migrations: Better Auth's tables (untouched when they already exist) and ours.
//!
//! refinery keeps the history in `refinery_schema_history`. Run migrations on a direct
//! connection, not through a transaction-mode pooler: the advisory lock that keeps two
//! concurrent deploys from migrating at once is held for the session.

use crate::better_auth::user_fields::AdditionalFields;
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

/// Applies every pending migration, then adds the columns of `user.additionalFields` that the
/// `user` table lacks, and returns the names of what it applied.
pub async fn run(
    options: &ConnectOptions,
    user_fields: &AdditionalFields,
) -> Result<Vec<String>, MigrationError> {
    let mut client = options.connect().await?;
    let failed = |err: &dyn std::fmt::Display| MigrationError::Failed(err.to_string());
    client
        .execute("select pg_advisory_lock($1)", &[&MIGRATION_LOCK_ID])
        .await
        .map_err(|e| failed(&e))?;
    let report = embedded::migrations::runner().run_async(&mut client).await;
    let columns = match &report {
        Ok(_) => add_user_columns(&client, user_fields).await,
        Err(_) => Ok(Vec::new()),
    };
    // Closing the connection would release the lock too; unlock explicitly for clarity.
    let _ = client
        .execute("select pg_advisory_unlock($1)", &[&MIGRATION_LOCK_ID])
        .await;
    let report = report.map_err(|e| failed(&e))?;
    let columns = columns.map_err(|e| failed(&e))?;
    Ok(report
        .applied_migrations()
        .iter()
        .map(|m| m.to_string())
        .chain(columns)
        .collect())
}

/// The additional fields' columns, added in one transaction when missing (`add column if not
/// exists`: an existing column, made by Better Auth's migrator or an earlier deploy, is kept
/// as it is). Named `user.<column>` in what [`run`] returns, for those it added.
async fn add_user_columns(
    client: &tokio_postgres::Client,
    user_fields: &AdditionalFields,
) -> Result<Vec<String>, tokio_postgres::Error> {
    if user_fields.is_empty() {
        return Ok(Vec::new());
    }
    let existing: Vec<String> = client
        .query(
            "select column_name from information_schema.columns
             where table_schema = current_schema() and table_name = 'user'",
            &[],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut added = Vec::new();
    let mut sql = String::from("begin;\n");
    for (column, statement) in user_fields.migration_sql() {
        if !existing.contains(&column) {
            added.push(format!("user.{column}"));
            sql.push_str(&statement);
            sql.push_str(";\n");
        }
    }
    if added.is_empty() {
        return Ok(added);
    }
    sql.push_str("commit;");
    client.batch_execute(&sql).await?;
    Ok(added)
}
