//! sqlx SQLite implementation of the Kakehashi stores: the embedded default, one file in the
//! data directory.
//!
//! The file runs in WAL mode (readers never block the writer), with foreign keys enforced,
//! `synchronous = FULL` (a committed credential survives a power cut) and a busy timeout so
//! concurrent writers queue instead of failing. Migrations run on open.

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

mod queries;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use kakehashi_storage::{StorageError, redact_database_url};
use sqlx::error::ErrorKind;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

// The names `queries.rs` (shared with the PostgreSQL crate) is written against.
use SqliteStore as Backend;
use sqlx::Sqlite as Db;
use sqlx::sqlite::SqliteRow as DbRow;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a writer waits for another writer before giving up with `Unavailable`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes per database page (SQLite's default).
const PAGE_SIZE: u64 = 4096;

/// Settings for [`SqliteStore::open_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqliteSettings {
    /// Connections in the pool (readers run in parallel in WAL mode; writers queue).
    pub max_connections: u32,
    /// A quota on the database file (in 4 KiB pages, SQLite's default page size): writes past
    /// it fail with [`StorageError::Full`], exactly as a full disk would. `None`: limited by the
    /// disk only.
    pub max_database_bytes: Option<u64>,
}

impl SqliteSettings {
    /// Sets the pool size.
    pub fn max_connections(mut self, max_connections: u32) -> Self {
        self.max_connections = max_connections;
        self
    }

    /// Sets a quota on the database size.
    pub fn max_database_bytes(mut self, max_database_bytes: u64) -> Self {
        self.max_database_bytes = Some(max_database_bytes);
        self
    }
}

impl Default for SqliteSettings {
    fn default() -> Self {
        Self {
            max_connections: 4,
            max_database_bytes: None,
        }
    }
}

/// The embedded store. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("connections", &self.pool.size())
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the database file at `path` and runs pending migrations.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        Self::open_with(path, SqliteSettings::default()).await
    }

    /// [`SqliteStore::open`] with explicit settings.
    pub async fn open_with(
        path: impl AsRef<Path>,
        settings: SqliteSettings,
    ) -> Result<Self, StorageError> {
        let mut options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        if let Some(max_bytes) = settings.max_database_bytes {
            let pages = (max_bytes / PAGE_SIZE).max(1);
            options = options.pragma("max_page_count", pages.to_string());
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .connect_with(options)
            .await
            .map_err(|e| db_error("database", e))?;
        Self::migrated(pool).await
    }

    /// A private in-memory database (tests, `--ephemeral` runs). One connection, kept open for
    /// the life of the store, because each SQLite connection to `:memory:` is its own database.
    pub async fn open_in_memory() -> Result<Self, StorageError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(|e| db_error("database", e))?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|e| db_error("database", e))?;
        Self::migrated(pool).await
    }

    async fn migrated(pool: SqlitePool) -> Result<Self, StorageError> {
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| db_error("migration", sqlx::Error::from(e)))?;
        Ok(Self { pool })
    }

    /// Waits for in-flight queries, then closes every connection (checkpointing the WAL).
    pub async fn close(self) {
        self.pool.close().await;
    }
}

// SQLite primary result codes (https://www.sqlite.org/rescode.html); extended codes carry the
// primary code in their low byte.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_NOMEM: i32 = 7;
const SQLITE_READONLY: i32 = 8;
const SQLITE_IOERR: i32 = 10;
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_FULL: i32 = 13;
const SQLITE_CANTOPEN: i32 = 14;
const SQLITE_NOTADB: i32 = 26;

/// Maps a driver error to a [`StorageError`]; `what` names the record for the message.
fn db_error(what: &'static str, error: sqlx::Error) -> StorageError {
    let reason = redact_database_url(&error.to_string());
    match &error {
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => StorageError::Conflict { what },
            ErrorKind::ForeignKeyViolation => {
                StorageError::invalid(what, "refers to a record that does not exist")
            }
            ErrorKind::NotNullViolation | ErrorKind::CheckViolation => {
                StorageError::Invalid { what, reason }
            }
            _ => {
                let code = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
                match code & 0xff {
                    SQLITE_FULL => StorageError::Full,
                    SQLITE_BUSY | SQLITE_LOCKED | SQLITE_NOMEM | SQLITE_READONLY | SQLITE_IOERR
                    | SQLITE_CANTOPEN => StorageError::Unavailable { reason },
                    SQLITE_CORRUPT | SQLITE_NOTADB => StorageError::Corrupt {
                        what: "database file",
                        reason,
                    },
                    _ => StorageError::Backend { reason },
                }
            }
        },
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StorageError::Unavailable { reason },
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
            StorageError::Corrupt { what, reason }
        }
        _ => StorageError::Backend { reason },
    }
}
