//! One query code path for both backends: statements are written once, with `$n`
//! placeholders, and run unchanged on SQLite and PostgreSQL through sqlx's `Any` driver.
//!
//! Writes go through `write()`. On SQLite that pool has a single connection: SQLite allows
//! one writer at a time, and queueing writers in-process is faster and fairer than letting
//! them collide on the file lock (a deferred transaction that collides fails at once with
//! "database is locked"). On PostgreSQL both handles are the same pool.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The one transaction type stores take when a service makes several of their changes commit
/// together (begin it with `Db::begin`).
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Clone, Debug)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    pub backend: Backend,
}

impl Db {
    pub fn read(&self) -> &AnyPool {
        &self.read
    }

    pub fn write(&self) -> &AnyPool {
        &self.write
    }

    /// A transaction on the writer.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        self.write.begin().await
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// Opens the pools. SQLite connections get WAL, a busy timeout and foreign keys on connect.
pub async fn connect(url: &str, backend: Backend, max_connections: u32) -> Result<Db, sqlx::Error> {
    sqlx::any::install_default_drivers();
    match backend {
        Backend::Postgres => {
            let pool = options(max_connections).connect(url).await?;
            Ok(Db { read: pool.clone(), write: pool, backend })
        }
        Backend::Sqlite => {
            // The writer first: it creates the file and switches it to WAL before readers open.
            let write = sqlite_options(1).connect(url).await?;
            let read = sqlite_options(max_connections).connect(url).await?;
            Ok(Db { read, write, backend })
        }
    }
}

fn options(max_connections: u32) -> AnyPoolOptions {
    // No ping before every acquire: on SQLite each statement is a hop to the connection's
    // worker thread, and the ping doubled them. Broken connections still fail their query and
    // are replaced.
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
}

fn sqlite_options(max_connections: u32) -> AnyPoolOptions {
    options(max_connections).after_connect(|conn, _meta| {
        Box::pin(async move {
            conn.execute(
                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
            )
            .await?;
            Ok(())
        })
    })
}
