//! The SQL store on MySQL/MariaDB: every scenario of `sql_common`, each in a database of its
//! own. Needs `SPARKPLUG_TEST_MYSQL_URL` (e.g. `mysql://root@127.0.0.1:3306/test`); without it
//! each test prints a note and passes.

// Helpers shared by tests: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use spark_sink::sql::SqlStore;

/// The server URL from the environment, or `None` after printing why the test is skipped.
pub(crate) fn server_url() -> Option<String> {
    match std::env::var("SPARKPLUG_TEST_MYSQL_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("SPARKPLUG_TEST_MYSQL_URL is not set: skipping a MySQL test");
            None
        }
    }
}

/// `url` with its database replaced by `db`.
pub(crate) fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A fresh, empty database on the server (dropped first if a previous run left it): its URL
/// and its name.
pub(crate) async fn fresh_database(tag: &str) -> Option<(String, String)> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let url = server_url()?;
    let db = format!(
        "sink_test_{tag}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let admin = sqlx::MySqlPool::connect(&url).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db}"))
        .execute(&admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {db} CHARACTER SET utf8mb4"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    Some((with_database(&url, &db), db))
}

/// Drops a database made by [`fresh_database`].
pub(crate) async fn drop_database(db: String) {
    let Some(url) = server_url() else { return };
    let admin = sqlx::MySqlPool::connect(&url).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
}

async fn fresh() -> Option<(SqlStore, String)> {
    let (url, db) = fresh_database("s").await?;
    Some((SqlStore::connect(&url).await.unwrap(), db))
}

crate::sql_scenarios!(fresh, drop_database);

#[test]
fn database_names_replace_the_path() {
    assert_eq!(
        with_database("mysql://root@127.0.0.1:3306/test", "x"),
        "mysql://root@127.0.0.1:3306/x"
    );
    assert_eq!(with_database("mysql://h", "x"), "mysql://h/x");
    assert_eq!(
        with_database("mysql://h/a?ssl-mode=disabled", "x"),
        "mysql://h/x?ssl-mode=disabled"
    );
}

#[tokio::test]
async fn migrations_run_once() {
    let Some((url, db)) = fresh_database("m").await else {
        return;
    };
    SqlStore::connect(&url).await.unwrap().close().await;
    SqlStore::connect(&url).await.unwrap().close().await;
    drop_database(db).await;
}
