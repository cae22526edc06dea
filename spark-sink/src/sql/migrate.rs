//! Versioned migrations: `migrations/{sqlite,mysql}/NNNN_name.sql`, compiled in, applied in
//! order and recorded in `sink_schema_migrations`.
//!
//! A store whose recorded version is newer than this build knows is refused
//! ([`MigrateError::NewerSchema`]) rather than written with a schema it does not understand.

use super::db::{Param, Pool};
use super::dialect::Dialect;

/// One migration: its version, name and the SQL of each engine.
struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    mysql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sqlite: include_str!("../../migrations/sqlite/0001_init.sql"),
        mysql: include_str!("../../migrations/mysql/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "latest_from_samples",
        sqlite: include_str!("../../migrations/sqlite/0002_latest_from_samples.sql"),
        mysql: include_str!("../../migrations/mysql/0002_latest_from_samples.sql"),
    },
    Migration {
        version: 3,
        name: "sample_acceptance_window",
        sqlite: include_str!("../../migrations/sqlite/0003_sample_acceptance_window.sql"),
        mysql: include_str!("../../migrations/mysql/0003_sample_acceptance_window.sql"),
    },
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 3;

/// Why the schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// The database was migrated by a newer build.
    #[error("the database has schema version {found}; this build knows up to {supported}")]
    NewerSchema {
        /// The version recorded in the database.
        found: i64,
        /// [`SCHEMA_VERSION`].
        supported: i64,
    },
    /// A migration statement failed.
    #[error("migration {version} ({name}) failed")]
    Failed {
        /// The migration's version.
        version: i64,
        /// Its name.
        name: &'static str,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// The migrations table could not be read or written.
    #[error("the migrations table is not usable")]
    Table(#[source] sqlx::Error),
}

/// The statements of a migration file: split at `;` ending a line, comments dropped.
fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("--") || trimmed.is_empty() {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if trimmed.ends_with(';') {
            let stmt = current.trim().trim_end_matches(';').trim().to_owned();
            if !stmt.is_empty() {
                out.push(stmt);
            }
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

/// Brings the schema to [`SCHEMA_VERSION`]; returns the version it found.
pub(crate) async fn migrate(pool: &Pool, now_ms: i64) -> Result<i64, MigrateError> {
    let create = match pool.dialect() {
        Dialect::Sqlite => {
            "CREATE TABLE IF NOT EXISTS sink_schema_migrations (version INTEGER PRIMARY KEY, \
             name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)"
        }
        Dialect::MySql => {
            "CREATE TABLE IF NOT EXISTS sink_schema_migrations (version BIGINT NOT NULL PRIMARY KEY, \
             name VARCHAR(255) NOT NULL, applied_at_ms BIGINT NOT NULL) ENGINE=InnoDB"
        }
    };
    pool.execute(create, &[])
        .await
        .map_err(MigrateError::Table)?;
    let rows = pool
        .fetch_all("SELECT MAX(version) FROM sink_schema_migrations", &[])
        .await
        .map_err(MigrateError::Table)?;
    let found = match rows.first() {
        Some(row) => row.i64(0).map_err(MigrateError::Table)?.unwrap_or(0),
        None => 0,
    };
    if found > SCHEMA_VERSION {
        return Err(MigrateError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > found) {
        let sql = match pool.dialect() {
            Dialect::Sqlite => m.sqlite,
            Dialect::MySql => m.mysql,
        };
        let failed = |source| MigrateError::Failed {
            version: m.version,
            name: m.name,
            source,
        };
        // SQLite runs DDL in a transaction, so a failed migration leaves nothing behind; MySQL
        // commits each DDL statement on its own.
        let mut tx = pool.begin().await.map_err(failed)?;
        for stmt in statements(sql) {
            tx.execute(&stmt, &[]).await.map_err(failed)?;
        }
        tx.execute(
            "INSERT INTO sink_schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)",
            &[
                Param::I64(m.version),
                Param::Text(m.name.to_owned()),
                Param::I64(now_ms),
            ],
        )
        .await
        .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
        tracing::info!(
            version = m.version,
            name = m.name,
            "Applied a schema migration."
        );
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_at_line_end_semicolons_and_skip_comments() {
        let sql = "-- c\nCREATE TABLE a (x INT);\n\nCREATE TABLE b (\n  y INT\n);\n";
        assert_eq!(
            statements(sql),
            vec!["CREATE TABLE a (x INT)", "CREATE TABLE b (\n  y INT\n)"]
        );
    }

    #[test]
    fn versions_follow_each_other_up_to_the_schema_version() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.name);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }

    #[test]
    fn both_engines_have_the_same_tables() {
        for m in MIGRATIONS {
            // The tables each migration creates, drops and alters (indexes differ by engine).
            let tables = |sql: &str| {
                statements(sql)
                    .iter()
                    .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                    .filter(|s| {
                        ["CREATE TABLE", "DROP TABLE", "ALTER TABLE"]
                            .iter()
                            .any(|head| s.starts_with(head))
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(tables(m.sqlite), tables(m.mysql), "migration {}", m.version);
            assert!(!tables(m.sqlite).is_empty());
        }
    }
}
