//! The SQL store: one schema on SQLite (the embedded default) and MySQL 8 / MariaDB 10.11+,
//! written through [`SqlSink`] and read through [`SqlQuery`], both sharing one pool.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use spark_sink::sql::SqlStore;
//! use spark_sink::{Batch, Sink, Store};
//!
//! let store = SqlStore::connect("sqlite://data/plant.db?mode=rwc").await?;
//! let mut sink = store.sink();
//! sink.write(&Batch::new()).await?;
//! let nodes = store.query().nodes().await?;
//! # Ok(()) }
//! ```
//!
//! The schema (tables, keys, value columns, how u64 and NaN are kept) is documented in
//! `docs/STORAGE.md`; it is created and upgraded by the versioned migrations in
//! `spark-sink/migrations/`, applied by [`SqlStore::connect`].

mod db;
mod dialect;
mod error;
mod ids;
mod meta;
mod migrate;
mod query;
mod samples;
mod sink;
mod stats;
mod value;

use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use dialect::Dialect;
pub use migrate::{MigrateError, SCHEMA_VERSION};
pub use query::SqlQuery;
pub use sink::SqlSink;
pub use stats::SinkStats;

use crate::record::Source;
use db::Pool;

/// Longest group and node ids, in characters.
const MAX_ID_CHARS: usize = 255;
/// Longest device id, in characters.
const MAX_DEVICE_CHARS: usize = 128;

/// Whether a source's ids fit the key columns.
pub(crate) fn source_fits(source: &Source) -> bool {
    source.group.chars().count() <= MAX_ID_CHARS
        && source.node.chars().count() <= MAX_ID_CHARS
        && source
            .device
            .as_ref()
            .is_none_or(|d| d.chars().count() <= MAX_DEVICE_CHARS)
}

/// Why a source does not fit the key columns, in words.
pub(crate) fn source_too_long(source: &Source) -> String {
    format!(
        "the source {} has an id longer than the key columns hold \
         ({MAX_ID_CHARS} characters for the group and node, {MAX_DEVICE_CHARS} for the device)",
        shorten(&source.to_string())
    )
}

/// A name for a message: its first 64 characters, and `…` when there are more (the record
/// itself is kept whole where it is quarantined).
pub(crate) fn shorten(name: &str) -> String {
    match name.char_indices().nth(64) {
        Some((at, _)) => format!("{}…", &name[..at]),
        None => name.to_owned(),
    }
}

/// Settings of a SQL store.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqlOptions {
    /// Largest string, byte or encoded complex value stored, in bytes; larger ones are refused
    /// and counted as `value_too_large`. Default 4 MiB.
    pub max_value_bytes: usize,
    /// Also store each member of a template instance as its own metric, named
    /// `template/member`. Default true.
    pub expand_templates: bool,
    /// Connections in the pool (SQLite files and MySQL). Default 4; an in-memory SQLite
    /// database always has one.
    pub max_connections: u32,
    /// How long to wait for a connection before a write fails as unavailable. Default 10 s.
    pub acquire_timeout: Duration,
    /// MySQL: connections that write one batch's samples at the same time, each a run of
    /// keys in its own transaction, so the server works on more than one core. Default 2;
    /// keep it below `max_connections` so queries still get a connection. SQLite always
    /// writes with one.
    pub sample_writers: u32,
}

impl Default for SqlOptions {
    fn default() -> Self {
        SqlOptions {
            max_value_bytes: 4 << 20,
            expand_templates: true,
            max_connections: 4,
            acquire_timeout: Duration::from_secs(10),
            sample_writers: 2,
        }
    }
}

impl SqlOptions {
    /// Sets [`SqlOptions::max_value_bytes`].
    pub fn with_max_value_bytes(mut self, bytes: usize) -> Self {
        self.max_value_bytes = bytes;
        self
    }

    /// Sets [`SqlOptions::expand_templates`].
    pub fn with_expand_templates(mut self, on: bool) -> Self {
        self.expand_templates = on;
        self
    }

    /// Sets [`SqlOptions::max_connections`].
    pub fn with_max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Sets [`SqlOptions::sample_writers`] (at least 1).
    pub fn with_sample_writers(mut self, n: u32) -> Self {
        self.sample_writers = n.max(1);
        self
    }

    /// Sets [`SqlOptions::acquire_timeout`].
    pub fn with_acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL names no supported engine or does not parse.
    #[error("unsupported or malformed database URL {url:?}: {message}")]
    BadUrl {
        /// The URL, with any password removed.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// The database did not answer or refused the connection.
    #[error("cannot connect to the database")]
    Unavailable(#[source] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error(transparent)]
    Migrate(#[from] MigrateError),
}

impl ConnectError {
    /// Whether connecting again later can succeed.
    pub fn is_retriable(&self) -> bool {
        matches!(self, ConnectError::Unavailable(_))
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..scheme + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// A SQL store: a connection pool with the schema migrated. Cheap to clone; clones share the
/// pool.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: Pool,
    options: SqlOptions,
}

impl SqlStore {
    /// Opens the store at `url` with default [`SqlOptions`] and migrates its schema.
    ///
    /// `sqlite://path/to/file.db?mode=rwc` (created if missing), `sqlite::memory:`, or
    /// `mysql://user:password@host:3306/database` (MySQL 8, MariaDB 10.11+).
    pub async fn connect(url: &str) -> Result<SqlStore, ConnectError> {
        SqlStore::connect_with(url, SqlOptions::default()).await
    }

    /// Opens the store at `url` with `options` and migrates its schema.
    pub async fn connect_with(url: &str, options: SqlOptions) -> Result<SqlStore, ConnectError> {
        let bad = |message: String| ConnectError::BadUrl {
            url: redact(url),
            message,
        };
        let pool = if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url).map_err(|e| bad(e.to_string()))?;
            let memory = url.contains(":memory:") || url.contains("mode=memory");
            sqlite_pool(connect, memory, &options).await?
        } else if url.starts_with("mysql:") || url.starts_with("mariadb:") {
            let url = url.replacen("mariadb:", "mysql:", 1);
            let connect = MySqlConnectOptions::from_str(&url).map_err(|e| bad(e.to_string()))?;
            let pool = MySqlPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        // Strict: a value that does not fit is an error, never a silent
                        // truncation.
                        sqlx::query(
                            "SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')",
                        )
                        .execute(&mut *conn)
                        .await?;
                        Ok(())
                    })
                })
                .connect_with(connect)
                .await
                .map_err(ConnectError::Unavailable)?;
            Pool::MySql(pool)
        } else {
            return Err(bad("expected sqlite:... or mysql://...".to_owned()));
        };
        migrate::migrate(&pool, now_ms()).await?;
        Ok(SqlStore { pool, options })
    }

    /// Opens (creating it if missing) the SQLite database file at `path`, any path (no URL
    /// escaping needed), and migrates its schema: the embedded default, e.g.
    /// `data_dir.join("spark.db")`.
    pub async fn open_sqlite_file(
        path: impl AsRef<std::path::Path>,
        options: SqlOptions,
    ) -> Result<SqlStore, ConnectError> {
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        let pool = sqlite_pool(connect, false, &options).await?;
        migrate::migrate(&pool, now_ms()).await?;
        Ok(SqlStore { pool, options })
    }

    /// The engine behind the store.
    pub fn dialect(&self) -> Dialect {
        self.pool.dialect()
    }

    /// A write view: a [`Sink`](crate::Sink) with its own id cache and counters.
    pub fn sink(&self) -> SqlSink {
        SqlSink::new(self.pool.clone(), self.options.clone())
    }

    /// The read view: a [`Store`](crate::Store) for the REST API and the report jobs.
    pub fn query(&self) -> SqlQuery {
        SqlQuery::new(self.pool.clone())
    }

    /// Closes every connection of the pool (every view of this store stops working).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A SQLite pool: WAL and `synchronous=NORMAL` for files, exactly one connection kept forever
/// for an in-memory database (each connection to `:memory:` is a database of its own).
async fn sqlite_pool(
    connect: SqliteConnectOptions,
    memory: bool,
    options: &SqlOptions,
) -> Result<Pool, ConnectError> {
    let connect = connect
        .busy_timeout(Duration::from_secs(5))
        .synchronous(SqliteSynchronous::Normal)
        // 64 MiB of page cache per connection (the default is 2 MiB): inserts into the samples
        // key touch one page per metric.
        .pragma("cache_size", "-65536");
    let (connect, pool_options) = if memory {
        (
            connect,
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None),
        )
    } else {
        (
            connect.journal_mode(SqliteJournalMode::Wal),
            SqlitePoolOptions::new().max_connections(options.max_connections),
        )
    };
    let pool = pool_options
        .acquire_timeout(options.acquire_timeout)
        .connect_with(connect)
        .await
        .map_err(ConnectError::Unavailable)?;
    Ok(Pool::Sqlite(pool))
}

/// Milliseconds since the Unix epoch: when migrations and report rows were written (metadata
/// only; sample times come from the records).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(redact("mysql://u:secret@h:3306/db"), "mysql://u@h:3306/db");
        assert_eq!(redact("sqlite::memory:"), "sqlite::memory:");
    }

    #[test]
    fn long_ids_do_not_fit() {
        assert!(source_fits(&Source::device("G", "N", "D")));
        assert!(!source_fits(&Source::device("G", "N", "d".repeat(129))));
        assert!(!source_fits(&Source::node("g".repeat(256), "N")));
    }
}
