//! The one place that knows there are two sqlx drivers: a pool, a transaction and a row over
//! SQLite or MySQL, with parameters bound the same way for both.
//!
//! Everything above this file builds SQL text (per [`Dialect`](super::dialect::Dialect)) and
//! [`Param`]s and reads [`DbRow`]s through lenient getters, so the store is written once.

use sqlx::mysql::{MySql, MySqlArguments, MySqlPool, MySqlRow};
use sqlx::query::Query;
use sqlx::sqlite::{Sqlite, SqliteArguments, SqlitePool, SqliteRow};
use sqlx::{Row, Transaction};

use super::dialect::Dialect;

/// A bound parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    /// SQL NULL.
    Null,
    /// A signed integer.
    I64(i64),
    /// An unsigned integer (MySQL `BIGINT UNSIGNED`; in SQLite an INTEGER up to `i64::MAX`,
    /// above it the 20-digit zero-padded decimal text).
    U64(u64),
    /// A double.
    F64(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
}

impl Param {
    /// `Some(v)` as `f(v)`, `None` as NULL.
    pub(crate) fn opt<T>(value: Option<T>, f: impl FnOnce(T) -> Param) -> Param {
        value.map_or(Param::Null, f)
    }
}

/// The SQLite text of a u64 above `i64::MAX`: 20 digits, zero-padded, so text order is numeric.
pub(crate) fn sqlite_big_uint(v: u64) -> String {
    format!("{v:020}")
}

fn bind_sqlite<'q>(
    q: Query<'q, Sqlite, SqliteArguments<'q>>,
    p: &'q Param,
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    match p {
        Param::Null => q.bind(None::<i64>),
        Param::I64(v) => q.bind(*v),
        Param::U64(v) => match i64::try_from(*v) {
            Ok(i) => q.bind(i),
            Err(_) => q.bind(sqlite_big_uint(*v)),
        },
        Param::F64(v) => q.bind(*v),
        Param::Text(s) => q.bind(s.as_str()),
        Param::Bytes(b) => q.bind(b.as_slice()),
    }
}

fn bind_mysql<'q>(
    q: Query<'q, MySql, MySqlArguments>,
    p: &'q Param,
) -> Query<'q, MySql, MySqlArguments> {
    match p {
        Param::Null => q.bind(None::<i64>),
        Param::I64(v) => q.bind(*v),
        Param::U64(v) => q.bind(*v),
        Param::F64(v) => q.bind(*v),
        Param::Text(s) => q.bind(s.as_str()),
        Param::Bytes(b) => q.bind(b.as_slice()),
    }
}

fn sqlite_query<'q>(sql: &'q str, params: &'q [Param]) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    params.iter().fold(sqlx::query(sql), bind_sqlite)
}

fn mysql_query<'q>(sql: &'q str, params: &'q [Param]) -> Query<'q, MySql, MySqlArguments> {
    params.iter().fold(sqlx::query(sql), bind_mysql)
}

/// A connection pool on either engine. Cloning shares the pool.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    /// SQLite.
    Sqlite(SqlitePool),
    /// MySQL or MariaDB.
    MySql(MySqlPool),
}

impl Pool {
    /// The dialect of the engine behind the pool.
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::MySql(_) => Dialect::MySql,
        }
    }

    /// Runs a statement; returns the rows it affected.
    pub(crate) async fn execute(&self, sql: &str, params: &[Param]) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => sqlite_query(sql, params).execute(p).await?.rows_affected(),
            Pool::MySql(p) => mysql_query(sql, params).execute(p).await?.rows_affected(),
        })
    }

    /// Runs a query; returns its rows.
    pub(crate) async fn fetch_all(
        &self,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<DbRow>, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => sqlite_query(sql, params)
                .fetch_all(p)
                .await?
                .into_iter()
                .map(DbRow::Sqlite)
                .collect(),
            Pool::MySql(p) => mysql_query(sql, params)
                .fetch_all(p)
                .await?
                .into_iter()
                .map(DbRow::MySql)
                .collect(),
        })
    }

    /// Starts a transaction.
    pub(crate) async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Pool::MySql(p) => Tx::MySql(p.begin().await?),
        })
    }

    /// Closes every connection.
    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::MySql(p) => p.close().await,
        }
    }
}

/// A transaction on either engine; dropped without `commit`, it rolls back.
pub(crate) enum Tx {
    /// SQLite.
    Sqlite(Transaction<'static, Sqlite>),
    /// MySQL or MariaDB.
    MySql(Transaction<'static, MySql>),
}

impl Tx {
    /// Runs a statement in the transaction; returns the rows it affected.
    pub(crate) async fn execute(
        &mut self,
        sql: &str,
        params: &[Param],
    ) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Tx::Sqlite(t) => sqlite_query(sql, params)
                .execute(&mut **t)
                .await?
                .rows_affected(),
            Tx::MySql(t) => mysql_query(sql, params)
                .execute(&mut **t)
                .await?
                .rows_affected(),
        })
    }

    /// Runs a query in the transaction; returns its rows.
    pub(crate) async fn fetch_all(
        &mut self,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<DbRow>, sqlx::Error> {
        Ok(match self {
            Tx::Sqlite(t) => sqlite_query(sql, params)
                .fetch_all(&mut **t)
                .await?
                .into_iter()
                .map(DbRow::Sqlite)
                .collect(),
            Tx::MySql(t) => mysql_query(sql, params)
                .fetch_all(&mut **t)
                .await?
                .into_iter()
                .map(DbRow::MySql)
                .collect(),
        })
    }

    /// Commits.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::MySql(t) => t.commit().await,
        }
    }
}

/// A result row of either engine, read by column index through lenient getters: an integer
/// column reads as `i64` whatever its width or signedness, a DECIMAL as `f64`.
pub(crate) enum DbRow {
    /// SQLite.
    Sqlite(SqliteRow),
    /// MySQL or MariaDB.
    MySql(MySqlRow),
}

fn corrupt(idx: usize, what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("column {idx} is not {what}").into())
}

impl DbRow {
    /// A signed integer (or NULL).
    pub(crate) fn i64(&self, idx: usize) -> Result<Option<i64>, sqlx::Error> {
        match self {
            DbRow::Sqlite(r) => r.try_get::<Option<i64>, _>(idx),
            DbRow::MySql(r) => {
                if let Ok(v) = r.try_get::<Option<i64>, _>(idx) {
                    return Ok(v);
                }
                if let Ok(v) = r.try_get::<Option<u64>, _>(idx) {
                    return v
                        .map(|v| i64::try_from(v).map_err(|_| corrupt(idx, "an i64")))
                        .transpose();
                }
                if let Ok(v) = r.try_get::<Option<i8>, _>(idx) {
                    return Ok(v.map(i64::from));
                }
                if let Ok(v) = r.try_get::<Option<u8>, _>(idx) {
                    return Ok(v.map(i64::from));
                }
                self.text(idx)?
                    .map(|s| s.parse::<i64>().map_err(|_| corrupt(idx, "an i64")))
                    .transpose()
            }
        }
    }

    /// An unsigned integer (or NULL); in SQLite also the text form of a u64 above `i64::MAX`.
    pub(crate) fn u64(&self, idx: usize) -> Result<Option<u64>, sqlx::Error> {
        match self {
            DbRow::Sqlite(r) => {
                if let Ok(v) = r.try_get::<Option<i64>, _>(idx) {
                    return v
                        .map(|v| u64::try_from(v).map_err(|_| corrupt(idx, "a u64")))
                        .transpose();
                }
                r.try_get::<Option<String>, _>(idx)?
                    .map(|s| s.parse::<u64>().map_err(|_| corrupt(idx, "a u64")))
                    .transpose()
            }
            DbRow::MySql(r) => {
                if let Ok(v) = r.try_get::<Option<u64>, _>(idx) {
                    return Ok(v);
                }
                self.i64(idx)?
                    .map(|v| u64::try_from(v).map_err(|_| corrupt(idx, "a u64")))
                    .transpose()
            }
        }
    }

    /// A double (or NULL); integer and DECIMAL columns convert.
    pub(crate) fn f64(&self, idx: usize) -> Result<Option<f64>, sqlx::Error> {
        match self {
            DbRow::Sqlite(r) => {
                if let Ok(v) = r.try_get::<Option<f64>, _>(idx) {
                    return Ok(v);
                }
                Ok(r.try_get::<Option<i64>, _>(idx)?.map(|v| v as f64))
            }
            DbRow::MySql(r) => {
                if let Ok(v) = r.try_get::<Option<f64>, _>(idx) {
                    return Ok(v);
                }
                if let Ok(v) = r.try_get::<Option<f32>, _>(idx) {
                    return Ok(v.map(f64::from));
                }
                if let Ok(v) = self.i64(idx) {
                    return Ok(v.map(|v| v as f64));
                }
                self.text(idx)?
                    .map(|s| s.parse::<f64>().map_err(|_| corrupt(idx, "an f64")))
                    .transpose()
            }
        }
    }

    /// Text (or NULL).
    pub(crate) fn text(&self, idx: usize) -> Result<Option<String>, sqlx::Error> {
        match self {
            DbRow::Sqlite(r) => r.try_get::<Option<String>, _>(idx),
            DbRow::MySql(r) => {
                if let Ok(v) = r.try_get::<Option<String>, _>(idx) {
                    return Ok(v);
                }
                // DECIMAL and friends arrive as text bytes.
                let bytes = r.try_get::<Option<Vec<u8>>, _>(idx)?;
                bytes
                    .map(|b| String::from_utf8(b).map_err(|_| corrupt(idx, "UTF-8 text")))
                    .transpose()
            }
        }
    }

    /// Bytes (or NULL).
    pub(crate) fn bytes(&self, idx: usize) -> Result<Option<Vec<u8>>, sqlx::Error> {
        match self {
            DbRow::Sqlite(r) => r.try_get::<Option<Vec<u8>>, _>(idx),
            DbRow::MySql(r) => r.try_get::<Option<Vec<u8>>, _>(idx),
        }
    }

    /// A boolean stored as an integer (or NULL).
    pub(crate) fn bool(&self, idx: usize) -> Result<Option<bool>, sqlx::Error> {
        Ok(self.i64(idx)?.map(|v| v != 0))
    }
}
