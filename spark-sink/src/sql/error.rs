//! sqlx errors classed as the write side ([`SinkError`]) and the read side ([`QueryError`]) need:
//! can trying again help?

use crate::error::SinkError;
use crate::query::QueryError;

/// How an sqlx error should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Connection lost or refused, pool exhausted, lock wait, deadlock, disk full: retry later.
    Unavailable,
    /// The statement or its data was refused: retrying the same fails the same way.
    Rejected,
    /// The store is not usable as configured (missing table, denied access).
    Config,
}

/// MySQL server error numbers after which a retry can succeed.
const MYSQL_RETRIABLE: &[&str] = &[
    "1040", // too many connections
    "1205", // lock wait timeout
    "1213", // deadlock
    "1053", // server shutdown in progress
    "1927", // connection killed (MariaDB)
    "3024", // query execution interrupted, max time exceeded
];

/// MySQL server error numbers that need an operator.
const MYSQL_CONFIG: &[&str] = &["1044", "1045", "1049", "1142", "1146", "1054"];

/// Classes an sqlx error.
pub(crate) fn classify(err: &sqlx::Error) -> Class {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => Class::Unavailable,
        sqlx::Error::Configuration(_) => Class::Config,
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            if let Some(mysql) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
                let number = mysql.number().to_string();
                if MYSQL_RETRIABLE.contains(&number.as_str()) {
                    return Class::Unavailable;
                }
                if MYSQL_CONFIG.contains(&number.as_str()) {
                    return Class::Config;
                }
                return Class::Rejected;
            }
            // SQLite primary result codes: BUSY 5, LOCKED 6, NOMEM 7, IOERR 10, FULL 13,
            // CANTOPEN 14 (extended codes keep the primary one in the low byte).
            let primary = code.parse::<i64>().map(|c| c & 0xff).unwrap_or(-1);
            match primary {
                5 | 6 | 7 | 10 | 13 => Class::Unavailable,
                14 | 23 | 26 => Class::Config,
                1 if db.message().contains("no such table") => Class::Config,
                _ => Class::Rejected,
            }
        }
        _ => Class::Rejected,
    }
}

/// The write side's error for an sqlx error.
pub(crate) fn sink_error(sink: &str, what: &str, err: sqlx::Error) -> SinkError {
    let message = format!("{what}: {err}");
    match classify(&err) {
        Class::Unavailable => SinkError::Unavailable {
            sink: sink.to_owned(),
            message,
            source: Some(Box::new(err)),
        },
        Class::Config => SinkError::Config {
            sink: sink.to_owned(),
            message,
            source: Some(Box::new(err)),
        },
        Class::Rejected => SinkError::Rejected {
            sink: sink.to_owned(),
            message,
        },
    }
}

/// The read side's error for an sqlx error.
pub(crate) fn query_error(what: &str, err: sqlx::Error) -> QueryError {
    match classify(&err) {
        Class::Unavailable => QueryError::Unavailable {
            message: format!("{what}: {err}"),
            source: Some(Box::new(err)),
        },
        Class::Config | Class::Rejected => QueryError::Corrupt(format!("{what}: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_retriable() {
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert_eq!(classify(&io), Class::Unavailable);
        assert!(sink_error("mysql", "write", io).is_retriable());
        assert_eq!(classify(&sqlx::Error::PoolTimedOut), Class::Unavailable);
        assert!(!sink_error("mysql", "x", sqlx::Error::RowNotFound).is_retriable());
    }
}
