//! Applies the embedded migrations in version order, each in its own transaction, under a lock
//! so that several instances starting at once on one database take turns: PostgreSQL holds a
//! session advisory lock on one dedicated connection; SQLite runs every step in a
//! `BEGIN IMMEDIATE` transaction (the database's write lock, across processes) and re-checks
//! inside it whether another instance applied the step meanwhile.
//!
//! `_migrations` records the SHA-256 of each migration's SQL. A migration whose file changed
//! after it was applied stops start-up: the change belongs in a new migration. Databases from
//! before checksums were kept get the column and the current checksums on their next start.

use std::time::{Duration, Instant};

use app::platform::{now_ms, Backend, Db};
use sqlx::pool::PoolConnection;
use sqlx::AnyConnection;
use sqlx::{Any, Connection, Row};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    /// `None`: runs on both backends.
    pub backend: Option<Backend>,
    pub sql: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// Hex SHA-256 of a migration's SQL, line endings normalised (a checkout with CRLF endings is
/// not an edit).
pub fn checksum(sql: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(sql.replace("\r\n", "\n").as_bytes()))
}

impl Migration {
    /// `0004_products`, as the file is named.
    pub fn label(&self) -> String {
        format!("{:04}_{}", self.version, self.name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(
        "migration {label} was changed after it was applied (its SHA-256 is now {embedded}, the database \
         recorded {recorded}): restore the original file and put the change in a new migration"
    )]
    Edited { label: String, embedded: String, recorded: String },
    #[error("another instance has held the migration lock for {0} s; is one stuck?")]
    LockTimeout(u64),
}

/// How long an instance waits for another one's migrations before giving up (SQLite: the
/// busy timeout set below, 300 000 ms).
const LOCK_WAIT: Duration = Duration::from_secs(300);
/// `pg_advisory_lock` key: "retail migrations".
const PG_LOCK_KEY: i64 = 0x7265_7461_696c_6d67;

/// Applies what is missing; returns how many migrations this instance applied.
pub async fn run(db: &Db) -> Result<usize, MigrateError> {
    let mut conn = db.write().acquire().await?;
    match db.backend {
        Backend::Sqlite => {
            // `BEGIN IMMEDIATE` waits (busy timeout) while another process holds the write lock.
            sqlx::raw_sql("PRAGMA busy_timeout = 300000").execute(&mut *conn).await?;
            let outcome = migrate(&mut conn, Backend::Sqlite).await;
            // A fresh connection (with the pool's own busy timeout) replaces this one.
            let _ = conn.close().await;
            outcome
        }
        Backend::Postgres => {
            pg_lock(&mut conn).await?;
            let outcome = migrate(&mut conn, Backend::Postgres).await;
            let unlocked =
                sqlx::query("SELECT pg_advisory_unlock($1) AS released").bind(PG_LOCK_KEY).fetch_one(&mut *conn).await;
            if unlocked.is_err() {
                // Closing the session releases its lock for certain.
                let _ = conn.close().await;
            }
            outcome
        }
    }
}

async fn pg_lock(conn: &mut PoolConnection<Any>) -> Result<(), MigrateError> {
    let started = Instant::now();
    let mut logged = false;
    loop {
        let row =
            sqlx::query("SELECT pg_try_advisory_lock($1) AS locked").bind(PG_LOCK_KEY).fetch_one(&mut **conn).await?;
        if row.try_get::<bool, _>("locked")? {
            return Ok(());
        }
        if !logged {
            tracing::info!("another instance is migrating the database; waiting for it");
            logged = true;
        }
        if started.elapsed() > LOCK_WAIT {
            return Err(MigrateError::LockTimeout(LOCK_WAIT.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts a write transaction: on SQLite `BEGIN IMMEDIATE` takes the write lock now (waiting
/// while another process holds it) instead of failing later when a read turns into a write.
async fn begin(conn: &mut AnyConnection, backend: Backend) -> Result<sqlx::Transaction<'_, Any>, MigrateError> {
    Ok(match backend {
        Backend::Postgres => conn.begin().await?,
        Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await?,
    })
}

async fn migrate(conn: &mut AnyConnection, backend: Backend) -> Result<usize, MigrateError> {
    let migrations: Vec<&Migration> = MIGRATIONS.iter().filter(|m| m.backend.is_none_or(|b| b == backend)).collect();
    let applied = verify_ledger(conn, backend, &migrations).await?;
    apply_pending(conn, backend, &migrations, &applied).await
}

/// The ledger, its checksum column (absent in databases from before checksums), and a check
/// of every migration applied so far, before anything new runs. Returns the applied versions.
async fn verify_ledger(
    conn: &mut AnyConnection,
    backend: Backend,
    migrations: &[&Migration],
) -> Result<Vec<i64>, MigrateError> {
    let mut tx = begin(conn, backend).await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS _migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL, checksum TEXT)",
    )
    .execute(&mut *tx)
    .await?;
    let has_checksum = match backend {
        Backend::Sqlite => "SELECT COUNT(*) AS n FROM pragma_table_info('_migrations') WHERE name = 'checksum'",
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = '_migrations' AND column_name = 'checksum'"
        }
    };
    if sqlx::query(has_checksum).fetch_one(&mut *tx).await?.try_get::<i64, _>("n")? == 0 {
        sqlx::raw_sql("ALTER TABLE _migrations ADD COLUMN checksum TEXT").execute(&mut *tx).await?;
    }
    let recorded = sqlx::query("SELECT version, checksum FROM _migrations").fetch_all(&mut *tx).await?;
    let mut backfilled = 0;
    let mut applied = Vec::with_capacity(recorded.len());
    for row in &recorded {
        let version: i64 = row.try_get("version")?;
        applied.push(version);
        let stored: Option<String> = row.try_get("checksum")?;
        let Some(migration) = migrations.iter().find(|m| m.version == version) else {
            tracing::warn!(version, "the database has a migration this build does not know (a newer build ran here?)");
            continue;
        };
        let embedded = checksum(migration.sql);
        match stored {
            Some(stored) if stored == embedded => {}
            Some(stored) => {
                return Err(MigrateError::Edited { label: migration.label(), embedded, recorded: stored });
            }
            None => {
                sqlx::query("UPDATE _migrations SET checksum = $1 WHERE version = $2")
                    .bind(&embedded)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                backfilled += 1;
            }
        }
    }
    tx.commit().await?;
    if backfilled > 0 {
        tracing::info!(migrations = backfilled, "recorded checksums of migrations applied before checksums were kept");
    }
    Ok(applied)
}

/// Applies, each in its own transaction, the migrations not in `applied`.
async fn apply_pending(
    conn: &mut AnyConnection,
    backend: Backend,
    migrations: &[&Migration],
    applied: &[i64],
) -> Result<usize, MigrateError> {
    let mut count = 0;
    for migration in migrations {
        if applied.contains(&migration.version) {
            continue;
        }
        let mut tx = begin(conn, backend).await?;
        // Another instance may have applied it since (SQLite: between our transactions).
        let done = sqlx::query("SELECT COUNT(*) AS n FROM _migrations WHERE version = $1")
            .bind(migration.version)
            .fetch_one(&mut *tx)
            .await?
            .try_get::<i64, _>("n")?;
        if done > 0 {
            tx.rollback().await?;
            continue;
        }
        sqlx::raw_sql(migration.sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO _migrations (version, name, applied_at, checksum) VALUES ($1, $2, $3, $4)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(now_ms())
            .bind(checksum(migration.sql))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version = migration.version, name = migration.name, "migration applied");
        count += 1;
    }
    Ok(count)
}
