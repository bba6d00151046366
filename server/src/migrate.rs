//! Applies the embedded migrations in version order, each in its own transaction.

use app::platform::{now_ms, Backend, Db};
use sqlx::Row;

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    /// `None`: runs on both backends.
    pub backend: Option<Backend>,
    pub sql: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

pub async fn run(db: &Db) -> Result<usize, sqlx::Error> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS _migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(db.write())
    .await?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM _migrations")
        .fetch_all(db.read())
        .await?
        .iter()
        .map(|row| row.try_get("version"))
        .collect::<Result<_, _>>()?;

    let mut count = 0;
    for migration in MIGRATIONS.iter().filter(|m| m.backend.is_none_or(|b| b == db.backend)) {
        if applied.contains(&migration.version) {
            continue;
        }
        let mut tx = db.write().begin().await?;
        sqlx::raw_sql(migration.sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO _migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version = migration.version, name = migration.name, "migration applied");
        count += 1;
    }
    Ok(count)
}
