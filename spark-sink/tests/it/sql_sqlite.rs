//! The SQL store on SQLite (runs under plain `cargo test`): every scenario of `sql_common` on a
//! fresh in-memory database, and what only a file shows (migrations on reopen, persistence).

// Helpers shared by tests: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use spark_sink::sql::{ConnectError, MigrateError, SCHEMA_VERSION, SqlStore};
use spark_sink::{Sink, Store, TimeRange};
use sparkplug_b::Value;

use crate::sql_common::{batch, node, sample};

async fn fresh() -> Option<(SqlStore, ())> {
    Some((SqlStore::connect("sqlite::memory:").await.unwrap(), ()))
}

async fn cleanup(_: ()) {}

crate::sql_scenarios!(fresh, cleanup);

/// A database file of its own, removed when dropped.
struct TempDb(PathBuf);

impl TempDb {
    fn new() -> TempDb {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "spark-sink-test-{}-{}.db",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        TempDb(std::env::temp_dir().join(name))
    }

    fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.0.display())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

#[tokio::test]
async fn a_file_store_keeps_its_data_and_migrates_once() {
    let db = TempDb::new();
    let store = SqlStore::connect(&db.url()).await.unwrap();
    let mut sink = store.sink();
    let n = node();
    sink.write(&batch(
        (0..10).map(|i| sample(&n, "T", i, Value::UInt64(u64::MAX - i as u64))),
    ))
    .await
    .unwrap();
    sink.close().await.unwrap();
    store.close().await;
    let again = SqlStore::connect(&db.url()).await.unwrap();
    let hist = again
        .query()
        .history(&n, "T", TimeRange::all(), 100)
        .await
        .unwrap();
    assert_eq!(hist.len(), 10);
    assert_eq!(hist[0].value, Some(Value::UInt64(u64::MAX)));
    // The replay after a restart (a cold id cache) is still a no-op.
    again
        .sink()
        .write(&batch((0..10).map(|i| {
            sample(&n, "T", i, Value::UInt64(u64::MAX - i as u64))
        })))
        .await
        .unwrap();
    assert_eq!(
        again
            .query()
            .history(&n, "T", TimeRange::all(), 100)
            .await
            .unwrap()
            .len(),
        10
    );
    again.close().await;
}

#[tokio::test]
async fn a_schema_from_a_newer_build_is_refused() {
    let db = TempDb::new();
    let store = SqlStore::connect(&db.url()).await.unwrap();
    store.close().await;
    {
        let pool = sqlx::SqlitePool::connect(&db.url()).await.unwrap();
        sqlx::query("INSERT INTO sink_schema_migrations (version, name, applied_at_ms) VALUES (?, 'future', 0)")
            .bind(SCHEMA_VERSION + 1)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let err = SqlStore::connect(&db.url()).await.unwrap_err();
    assert!(
        matches!(err, ConnectError::Migrate(MigrateError::NewerSchema { found, .. }) if found == SCHEMA_VERSION + 1),
        "{err}"
    );
    assert!(!err.is_retriable());
}

#[tokio::test]
async fn urls_of_other_engines_are_refused() {
    let err = SqlStore::connect("postgres://u:pw@h/db").await.unwrap_err();
    assert!(matches!(err, ConnectError::BadUrl { .. }));
    assert!(!err.to_string().contains("pw"), "{err}");
}

#[tokio::test]
async fn large_batches_span_several_statements() {
    let store = SqlStore::connect("sqlite::memory:").await.unwrap();
    let mut sink = store.sink();
    let n = node();
    // 25 metrics x 200 timestamps: 5,000 rows, five statements of 1,000.
    let samples = (0..200).flat_map(|t| {
        let n = n.clone();
        (0..25).map(move |m| sample(&n, &format!("M{m}"), t, Value::Int32(t as i32 * m)))
    });
    sink.write(&batch(samples)).await.unwrap();
    assert_eq!(sink.stats().samples_written, 5000);
    let q = store.query();
    assert_eq!(q.metrics(&n).await.unwrap().len(), 25);
    let m7 = q.metric(&n, "M7").await.unwrap().unwrap();
    assert_eq!(m7.latest.unwrap().value, Some(Value::Int32(199 * 7)));
    assert_eq!(
        q.history(&n, "M7", TimeRange::all(), 1000)
            .await
            .unwrap()
            .len(),
        200
    );
}

#[tokio::test]
async fn a_file_opens_by_path_whatever_its_name() {
    let dir = std::env::temp_dir().join(format!("spark sink #{}?x", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("plant data.db");
    let store = SqlStore::open_sqlite_file(&path, spark_sink::sql::SqlOptions::default())
        .await
        .unwrap();
    let n = node();
    store
        .sink()
        .write(&batch([sample(&n, "T", 1, Value::Int8(3))]))
        .await
        .unwrap();
    store.close().await;
    assert!(path.exists());
    let again = SqlStore::open_sqlite_file(&path, spark_sink::sql::SqlOptions::default())
        .await
        .unwrap();
    let hist = again
        .query()
        .history(&n, "T", TimeRange::all(), 10)
        .await
        .unwrap();
    assert_eq!(hist[0].value, Some(Value::Int8(3)));
    again.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
