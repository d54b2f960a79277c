//! sqlx PostgreSQL implementation of the Kakehashi stores: the scale-out store, many stateless
//! Kakehashi nodes over one database.
//!
//! Every single-use value is consumed by one conditional statement, so under PostgreSQL's
//! default `READ COMMITTED` isolation two nodes racing on a code, nonce or response serialize on
//! the row lock and exactly one sees its `WHERE used_at IS NULL` still true.
//!
//! Connection failures (server restarting, network cut, pool exhausted) map to
//! [`StorageError::Unavailable`]; the pool checks connections before handing them out and
//! reconnects, so a restarted PostgreSQL gives a few clean 503s and then recovery.

#![forbid(unsafe_code)]
#![deny(clippy::as_conversions)]

// One implementation of the store traits for both backends: the SQLite crate's file, compiled
// here against this crate's `Db` / `DbRow` / `Backend` (see its header for the SQL rules).
#[path = "../../storage-sqlite/src/queries.rs"]
mod queries;

use std::str::FromStr;
use std::time::Duration;

use kakehashi_storage::{StorageError, redact_database_url};
use sqlx::ConnectOptions;
use sqlx::error::ErrorKind;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

// The names `queries.rs` (shared with the SQLite crate) is written against.
use PostgresStore as Backend;
use sqlx::Postgres as Db;
use sqlx::postgres::PgRow as DbRow;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a request waits for a pooled connection before answering `Unavailable`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Pool settings for [`PostgresStore::connect_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PoolSettings {
    /// Upper bound of connections this node opens.
    pub max_connections: u32,
    /// How long a query waits for a free connection.
    pub acquire_timeout: Duration,
    /// Schema to create (if missing) and put first on every connection's `search_path`; `None`
    /// keeps the server default (`public`). Tests use a fresh schema each.
    pub schema: Option<String>,
}

impl PoolSettings {
    /// Sets the upper bound of connections.
    pub fn max_connections(mut self, max_connections: u32) -> Self {
        self.max_connections = max_connections;
        self
    }

    /// Sets how long a query waits for a free connection.
    pub fn acquire_timeout(mut self, acquire_timeout: Duration) -> Self {
        self.acquire_timeout = acquire_timeout;
        self
    }

    /// Uses (and creates if missing) `schema` instead of the server default.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: ACQUIRE_TIMEOUT,
            schema: None,
        }
    }
}

/// The scale-out store. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// The URL with its password replaced, for `Debug` and logs.
    redacted_url: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.redacted_url)
            .field("connections", &self.pool.size())
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`) with default pool
    /// settings and runs pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        Self::connect_with(url, PoolSettings::default()).await
    }

    /// Connects with explicit pool settings and runs pending migrations (in `schema` when set).
    pub async fn connect_with(url: &str, settings: PoolSettings) -> Result<Self, StorageError> {
        let redacted_url = redact_database_url(url);
        let mut options = PgConnectOptions::from_str(url).map_err(|_| StorageError::Invalid {
            what: "database URL",
            reason: redacted_url.clone(),
        })?;
        if let Some(schema) = &settings.schema {
            if !is_plain_identifier(schema) {
                return Err(StorageError::invalid(
                    "schema",
                    "use lowercase letters, digits and underscores",
                ));
            }
            // Create the schema on a one-off connection, then pin it on every pooled one.
            let mut connection = options
                .connect()
                .await
                .map_err(|e| db_error("database", e))?;
            let create = format!("CREATE SCHEMA IF NOT EXISTS {schema}");
            sqlx::raw_sql(sqlx::AssertSqlSafe(create))
                .execute(&mut connection)
                .await
                .map_err(|e| db_error("schema", e))?;
            sqlx::Connection::close(connection)
                .await
                .map_err(|e| db_error("database", e))?;
            options = options
                .options([("search_path", schema.as_str())])
                .application_name(schema);
        }
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .test_before_acquire(true)
            .connect_with(options)
            .await
            .map_err(|e| db_error("database", e))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| db_error("migration", sqlx::Error::from(e)))?;
        Ok(Self { pool, redacted_url })
    }

    /// Waits for in-flight queries, then closes every connection.
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// Drops `schema` and everything in it. For tests that made a throw-away schema; refuses
    /// `public`.
    pub async fn danger_drop_schema(&self, schema: &str) -> Result<(), StorageError> {
        if !is_plain_identifier(schema) || schema == "public" {
            return Err(StorageError::invalid("schema", "refusing to drop it"));
        }
        let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
            .execute(&self.pool)
            .await
            .map_err(|e| db_error("schema", e))?;
        Ok(())
    }
}

impl PostgresStore {
    /// Terminates every server connection whose `application_name` is `application_name`
    /// (stores made with a schema use the schema name), as a server restart would. For tests
    /// of recovery; returns how many connections were terminated.
    pub async fn danger_terminate_connections_of(
        &self,
        application_name: &str,
    ) -> Result<u64, StorageError> {
        let row = sqlx::query(
            "SELECT count(*) AS killed FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1 AND pid <> pg_backend_pid()) AS t",
        )
        .bind(application_name)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| db_error("connections", e))?;
        let killed: i64 =
            sqlx::Row::try_get(&row, "killed").map_err(|e| StorageError::corrupt("killed", e))?;
        u64::try_from(killed).map_err(|e| StorageError::corrupt("killed", e))
    }
}

/// `[a-z_][a-z0-9_]*`, at most 63 bytes: safe to splice into DDL without quoting.
fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z' | '_'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && name.len() <= 63
}

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
            _ => sqlstate_error(db.code().as_deref().unwrap_or(""), what, reason),
        },
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => StorageError::Unavailable { reason },
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
            StorageError::Corrupt { what, reason }
        }
        _ => StorageError::Backend { reason },
    }
}

/// SQLSTATE classes (PostgreSQL manual, appendix A) to storage errors.
fn sqlstate_error(code: &str, what: &'static str, reason: String) -> StorageError {
    match code {
        // disk_full
        "53100" => StorageError::Full,
        // insufficient_resources, out_of_memory, too_many_connections
        "53000" | "53200" | "53300" => StorageError::Unavailable { reason },
        // admin_shutdown, crash_shutdown, cannot_connect_now, database_dropped
        "57P01" | "57P02" | "57P03" | "57P04" => StorageError::Unavailable { reason },
        // serialization_failure, deadlock_detected: retry the request
        "40001" | "40P01" => StorageError::Unavailable { reason },
        // data_corrupted, index_corrupted
        "XX001" | "XX002" => StorageError::Corrupt { what, reason },
        // connection_exception class
        c if c.starts_with("08") => StorageError::Unavailable { reason },
        _ => StorageError::Backend { reason },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_plain_identifier("test_0a1b"));
        assert!(!is_plain_identifier("Test"));
        assert!(!is_plain_identifier("a;drop"));
        assert!(!is_plain_identifier(""));
        assert!(!is_plain_identifier("1abc"));
    }

    #[test]
    fn disk_full_and_shutdown_map_cleanly() {
        assert!(matches!(
            sqlstate_error("53100", "x", String::new()),
            StorageError::Full
        ));
        assert!(sqlstate_error("57P01", "x", String::new()).is_retryable());
        assert!(sqlstate_error("08006", "x", String::new()).is_retryable());
    }

    #[tokio::test]
    async fn bad_url_is_redacted() {
        let err = PostgresStore::connect("postgres://u:hunter2@[bad/db")
            .await
            .unwrap_err();
        assert!(!format!("{err:?} {err}").contains("hunter2"), "{err:?}");
    }

    #[tokio::test]
    async fn unreachable_server_is_unavailable() {
        // Port 1 on localhost: connection refused.
        let settings = PoolSettings::default().acquire_timeout(Duration::from_secs(2));
        let err = PostgresStore::connect_with("postgres://u:hunter2@127.0.0.1:1/db", settings)
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::Unavailable { .. }), "{err:?}");
        assert!(!format!("{err:?}").contains("hunter2"));
    }
}
