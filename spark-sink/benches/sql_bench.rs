//! Samples per second into the SQL stores through the sink, against MariaDB's own bulk load
//! of the same rows in the same run, and peak memory.
//!
//! ```sh
//! SPARKPLUG_BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test \
//!     cargo bench -p spark-sink --bench sql_bench -- [metrics] [timestamps] [batch_timestamps] [rounds]
//! ```
//!
//! Each round writes `metrics x timestamps` samples (default 1000 x 1000) in batches of
//! `metrics x batch_timestamps` (default 1000 x 10) through the SQL sink into a fresh database
//! `sink_bench`, then writes the same rows as a TSV and times
//! `mariadb --local-infile=1 -e "LOAD DATA LOCAL INFILE ..."` into an identical empty table.
//! Prints both rates and their ratio per round (default 3 rounds) and their medians, and the
//! process's peak RSS; then the SQLite rate into a temporary file. Without a MySQL URL only SQLite runs. Samples are 80% Double, 15% Int32,
//! 5% Boolean, one per metric per 1 s.

#![allow(clippy::print_stdout, clippy::unwrap_used, missing_docs)]

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use spark_sink::sql::{SqlOptions, SqlStore};
use spark_sink::{Batch, Record, Sample, Sink, Source};
use sparkplug_b::{Quality, Value};

const T0: i64 = 1_700_000_000_000;

struct Shape {
    metrics: usize,
    timestamps: usize,
    batch_timestamps: usize,
}

fn value(m: usize, t: usize) -> Value {
    match m % 20 {
        0 => Value::Boolean((t / 7 + m) % 2 == 0),
        1..=3 => Value::Int32((t * 13 + m) as i32 % 1000),
        _ => Value::Double(20.0 + (m as f64) * 0.01 + ((t as f64) * 0.1).sin()),
    }
}

fn names(metrics: usize) -> Vec<Arc<str>> {
    (0..metrics)
        .map(|m| Arc::from(format!("Area{}/Sensor{m}", m / 100)))
        .collect()
}

/// The batches, made lazily: at most one lives at a time.
fn batches(shape: &Shape, names: &[Arc<str>]) -> impl Iterator<Item = Batch> {
    let source = Arc::new(Source::device("Bench", "Edge1", "Plc"));
    let names = names.to_vec();
    let (metrics, timestamps, per) = (shape.metrics, shape.timestamps, shape.batch_timestamps);
    (0..timestamps.div_ceil(per)).map(move |b| {
        let mut batch = Batch::new();
        for t in b * per..((b + 1) * per).min(timestamps) {
            for (m, name) in names.iter().enumerate().take(metrics) {
                let v = value(m, t);
                let ts = T0 + t as i64 * 1000;
                batch.push(Record::Sample(Sample {
                    source: source.clone(),
                    metric: name.clone(),
                    datatype: v.data_type(),
                    timestamp_ms: ts,
                    value: Some(v),
                    is_historical: false,
                    quality: Quality::Good,
                    seq: Some((t % 256) as u8),
                    bd_seq: Some(0),
                    received_at_ms: ts + 5,
                    outside_window: false,
                }));
            }
        }
        batch
    })
}

/// Writes every batch through a fresh sink; returns samples per second.
async fn through_sink(store: &SqlStore, shape: &Shape, names: &[Arc<str>]) -> f64 {
    let mut sink = store.sink();
    let total = shape.metrics * shape.timestamps;
    let start = Instant::now();
    for batch in batches(shape, names) {
        sink.write(&batch).await.unwrap();
    }
    sink.flush().await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(sink.stats().samples as usize, total);
    assert_eq!(sink.stats().samples_written as usize, total);
    total as f64 / secs
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// host, port, user, password of a `mysql://` URL.
fn url_parts(url: &str) -> (String, String, String, String) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['/', '?']).next().unwrap_or("");
    let (auth, hostport) = rest.rsplit_once('@').unwrap_or(("root", rest));
    let (user, pass) = auth.split_once(':').unwrap_or((auth, ""));
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "3306"));
    (host.into(), port.into(), user.into(), pass.into())
}

fn mariadb(url: &str, db: Option<&str>, sql: &str) -> std::process::Output {
    let (host, port, user, pass) = url_parts(url);
    let mut cmd = std::process::Command::new("mariadb");
    cmd.args(["--local-infile=1", "-h", &host, "-P", &port, "-u", &user]);
    if !pass.is_empty() {
        cmd.arg(format!("-p{pass}"));
    }
    if let Some(db) = db {
        cmd.arg(db);
    }
    let out = cmd.args(["-e", sql]).output().unwrap();
    assert!(
        out.status.success(),
        "mariadb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The rows the sink wrote, as LOAD DATA's default TSV (`\N` for NULL), metric ids as the
/// sink's catalogue gave them.
fn write_tsv(path: &std::path::Path, shape: &Shape, ids: &[i64]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for t in 0..shape.timestamps {
        let ts = T0 + t as i64 * 1000;
        for (m, id) in ids.iter().enumerate().take(shape.metrics) {
            let (dt, v_int, v_double, v_bool) = match value(m, t) {
                Value::Boolean(b) => (
                    11,
                    "\\N".to_owned(),
                    "\\N".to_owned(),
                    (b as u8).to_string(),
                ),
                Value::Int32(i) => (3, i.to_string(), "\\N".to_owned(), "\\N".to_owned()),
                Value::Double(d) => (10, "\\N".to_owned(), format!("{d:?}"), "\\N".to_owned()),
                _ => unreachable!(),
            };
            writeln!(
                f,
                "{}\t{ts}\t0\t{dt}\t0\t{v_int}\t\\N\t{v_double}\t{v_bool}\t\\N\t\\N\t192\t{}\t0\t{}",
                id,
                t % 256,
                ts + 5
            )
            .unwrap();
        }
    }
    f.flush().unwrap();
}

/// One round: a fresh database, the rows through the sink, then the same rows by LOAD DATA
/// into an identical empty table. Returns (sink rate, load rate).
async fn mysql_round(url: &str, shape: &Shape, names: &[Arc<str>]) -> (f64, f64) {
    let db = "sink_bench";
    mariadb(
        url,
        None,
        &format!("DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db}"),
    );
    let db_url = {
        let (base, _) = url.split_once('?').unwrap_or((url, ""));
        let scheme_end = base.find("://").map_or(0, |i| i + 3);
        let host_end = base[scheme_end..]
            .find('/')
            .map_or(base.len(), |i| scheme_end + i);
        format!("{}/{db}", &base[..host_end])
    };
    let store = SqlStore::connect_with(&db_url, SqlOptions::default())
        .await
        .unwrap();
    let sink_rate = through_sink(&store, shape, names).await;

    let out = mariadb(
        url,
        Some(db),
        "SELECT name, metric_id FROM sink_metrics ORDER BY metric_id",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let by_name: std::collections::HashMap<&str, i64> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .filter_map(|(n, id)| Some((n, id.parse().ok()?)))
        .collect();
    let ids: Vec<i64> = names.iter().map(|n| by_name[&**n]).collect();
    let tsv = std::env::temp_dir().join("spark_sink_bench.tsv");
    write_tsv(&tsv, shape, &ids);
    mariadb(
        url,
        Some(db),
        "CREATE TABLE sink_samples_load LIKE sink_samples",
    );
    let start = Instant::now();
    mariadb(
        url,
        Some(db),
        &format!(
            "LOAD DATA LOCAL INFILE '{}' INTO TABLE sink_samples_load",
            tsv.display()
        ),
    );
    let load_secs = start.elapsed().as_secs_f64();
    let total = shape.metrics * shape.timestamps;
    let check = mariadb(url, Some(db), "SELECT COUNT(*) FROM sink_samples_load");
    let loaded = String::from_utf8_lossy(&check.stdout);
    assert!(
        loaded.contains(&total.to_string()),
        "LOAD DATA loaded {loaded}"
    );
    let _ = std::fs::remove_file(&tsv);
    store.close().await;
    mariadb(url, None, &format!("DROP DATABASE {db}"));
    (sink_rate, total as f64 / load_secs)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn mysql_run(url: &str, shape: &Shape, names: &[Arc<str>], rounds: usize) {
    let total = shape.metrics * shape.timestamps;
    let mut ratios = Vec::new();
    let (mut sinks, mut loads) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let (sink_rate, load_rate) = mysql_round(url, shape, names).await;
        println!(
            "mysql round {round}: sink {sink_rate:.0} samples/s, LOAD DATA {load_rate:.0} rows/s, ratio {:.2}",
            sink_rate / load_rate
        );
        ratios.push(sink_rate / load_rate);
        sinks.push(sink_rate);
        loads.push(load_rate);
    }
    println!(
        "mysql: {total} samples x {rounds} rounds, medians: sink {:.0} samples/s; LOAD DATA LOCAL INFILE {:.0} rows/s; ratio {:.2}; peak RSS {:.1} MiB",
        median(sinks),
        median(loads),
        median(ratios),
        peak_rss_mib()
    );
}

async fn sqlite_run(shape: &Shape, names: &[Arc<str>]) {
    let path = std::env::temp_dir().join(format!("spark_sink_bench_{}.db", std::process::id()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let store = SqlStore::connect(&url).await.unwrap();
    let rate = through_sink(&store, shape, names).await;
    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    println!(
        "sqlite: {} samples through the sink: {rate:.0} samples/s; peak RSS {:.1} MiB",
        shape.metrics * shape.timestamps,
        peak_rss_mib()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; numbers are positional.
    let nums: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let shape = Shape {
        metrics: nums.first().copied().unwrap_or(1000),
        timestamps: nums.get(1).copied().unwrap_or(1000),
        batch_timestamps: nums.get(2).copied().unwrap_or(10).max(1),
    };
    let rounds = nums.get(3).copied().unwrap_or(3).max(1);
    let names = names(shape.metrics);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = std::env::var("SPARKPLUG_BENCH_MYSQL_URL")
            .or_else(|_| std::env::var("SPARKPLUG_TEST_MYSQL_URL"))
            .ok()
            .filter(|u| !u.is_empty());
        match url {
            Some(url) => mysql_run(&url, &shape, &names, rounds).await,
            None => println!("SPARKPLUG_BENCH_MYSQL_URL is not set: MySQL skipped"),
        }
        sqlite_run(&shape, &names).await;
    });
}
