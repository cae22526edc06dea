//! The database connection is cut mid-stream and restored: the sink says `Unavailable` (a
//! retry can help) while it is cut, and after recovery every sample is stored exactly once.
//! Runs through a loopback TCP proxy in front of the server of `SPARKPLUG_TEST_MYSQL_URL`.

// Helpers shared by tests: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use spark_sink::sql::{SqlOptions, SqlStore};
use spark_sink::{Sink, Store, TimeRange};
use sparkplug_b::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::sql_common::{batch, device, sample};
use crate::sql_mysql::{drop_database, fresh_database};

/// A loopback proxy that can drop every connection and refuse new ones until restored.
struct Proxy {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    kill: watch::Sender<u64>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let (kill, _) = watch::channel(0u64);
        let proxy = Proxy {
            addr,
            cut: cut.clone(),
            kill: kill.clone(),
        };
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if cut.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let mut killed = kill.subscribe();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = killed.changed() => {}
                    }
                });
            }
        });
        proxy
    }

    /// Drops every open connection and refuses new ones.
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.kill.send_modify(|g| *g += 1);
    }

    /// Accepts connections again.
    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// `host:port` of a `mysql://` URL.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['/', '?']).next().unwrap_or("");
    let hostport = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    if hostport.contains(':') {
        hostport.to_owned()
    } else {
        format!("{hostport}:3306")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_connection_loses_and_duplicates_nothing() {
    let Some((url, db)) = fresh_database("f").await else {
        return;
    };
    let proxy = Proxy::start(host_port(&url)).await;
    let via_proxy = url.replacen(&host_port(&url), &proxy.addr.to_string(), 1);
    let options = SqlOptions::default()
        .with_acquire_timeout(Duration::from_millis(500))
        .with_max_connections(2);
    let store = SqlStore::connect_with(&via_proxy, options).await.unwrap();
    let mut sink = store.sink();
    let d = device();
    let (metrics, batches, per_batch) = (50, 40, 20);

    // Cut three times while batches are in flight.
    let proxy = Arc::new(proxy);
    let chaos = {
        let proxy = proxy.clone();
        tokio::spawn(async move {
            for _ in 0..3 {
                tokio::time::sleep(Duration::from_millis(150)).await;
                proxy.cut();
                tokio::time::sleep(Duration::from_millis(700)).await;
                proxy.restore();
            }
        })
    };
    let mut failures = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    for b in 0..batches {
        let samples = (0..per_batch).flat_map(|t| {
            let d = d.clone();
            let ts = (b * per_batch + t) as i64;
            (0..metrics).map(move |m| sample(&d, &format!("M{m}"), ts, Value::Int64(ts * 1000 + m)))
        });
        let batch = batch(samples);
        // The delivery layer's part, reduced to its core: retry what is retriable.
        loop {
            match sink.write(&batch).await {
                Ok(()) => break,
                Err(e) => {
                    assert!(e.is_retriable(), "a cut connection is retriable: {e}");
                    failures += 1;
                    assert!(
                        Instant::now() < deadline,
                        "no recovery after {failures} failures"
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    chaos.await.unwrap();
    assert!(
        failures > 0,
        "the proxy never cut a write: the test proved nothing"
    );
    eprintln!("{failures} writes failed while the connection was cut, then succeeded");

    let q = store.query();
    let total = (batches * per_batch) as usize;
    for m in [0, 17, 49] {
        let hist = q
            .history(&d, &format!("M{m}"), TimeRange::all(), 100_000)
            .await
            .unwrap();
        let ts: Vec<i64> = hist.iter().map(|r| r.timestamp_ms).collect();
        assert_eq!(ts, (0..total as i64).collect::<Vec<_>>(), "metric M{m}");
        assert_eq!(hist[5].value, Some(Value::Int64(5 * 1000 + m)));
    }
    let metric_rows = q.metrics(&d).await.unwrap();
    assert_eq!(metric_rows.len(), metrics as usize);
    let m3 = q.metric(&d, "M3").await.unwrap().unwrap();
    assert_eq!(m3.latest.unwrap().timestamp_ms, total as i64 - 1);
    store.close().await;
    let direct = sqlx::MySqlPool::connect(&url).await.unwrap();
    let (count, distinct): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT metric_id, ts_ms, is_historical) FROM sink_samples",
    )
    .fetch_one(&direct)
    .await
    .unwrap();
    assert_eq!(
        (count, distinct),
        ((total * metrics as usize) as i64, count)
    );
    direct.close().await;
    drop_database(db).await;
}
