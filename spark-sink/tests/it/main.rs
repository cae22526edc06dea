//! The one integration-test binary of `spark-sink`.
//!
//! SQLite tests run under plain `cargo test`; MySQL/MariaDB tests run when
//! `SPARKPLUG_TEST_MYSQL_URL` is set (`mysql://root@127.0.0.1:3306/test` in CI) and print a
//! note and pass otherwise.

mod delivery;
mod from_host;
mod parquet;
mod quarantine;
mod sql_common;
mod sql_fault;
mod sql_mysql;
mod sql_sqlite;
