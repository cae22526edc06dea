//! End-to-end throughput and freshness of the pipeline: the simulator publishes to a broker,
//! the app's host application receives, and the delivery layer writes to a store. With
//! MariaDB/MySQL it then measures what the server alone bulk-loads for the same rows, so the
//! sustained ingest can be read against the server's own ceiling.
//!
//! ```text
//! cargo run --release -p reference-app --example pipeline_bench -- \
//!     --mqtt-url mqtt://127.0.0.1:1883 --database-url mysql://root@127.0.0.1:3306/test \
//!     [--nodes 100] [--devices 10] [--metrics 20] [--period-ms 100] [--seconds 30] \
//!     [--parquet] [--no-bulk]
//! ```
//!
//! The scheduled rate is nodes × devices × metrics × 1000 / period_ms metric values per second
//! (random walks that change every period, so report by exception sends them all). After a
//! 5 s warm-up, a timed window of `--seconds` starts. Every second it prints what the simulator
//! published, what the host received and what each sink wrote; at the end, the rates over the
//! window. Freshness: every 250 ms it asks the store for the current value of one metric and
//! records `now - its timestamp`; its p50/p99 bound the latency from publish to stored row from
//! above (the simulator stamps metrics when it publishes them in real time; the bound adds up
//! to one publish period). Delivery lag: each sink's lag (how far it is behind the newest
//! submitted record) at the start and the end of the window and its maximum, sampled every
//! 250 ms; a written rate is sustained only if that lag did not grow.
//!
//! With a `mysql://` URL the run uses a fresh database `iceplant_bench` on that server, and
//! unless `--no-bulk` is given, once the simulator and the app have stopped (MariaDB runs
//! alone) it:
//! 1. exports every row of `sink_samples` in arrival order (`received_at_ms, metric_id, ts_ms`)
//!    to a `LOAD DATA` text file and to an SQL file of 1000-row `INSERT`s;
//! 2. times `LOAD DATA LOCAL INFILE` of the first into `bulk_samples` and the second piped
//!    through the `mariadb` client into `bulk_samples2` (both `LIKE sink_samples`), checking
//!    the row counts;
//! 3. prints both rates and the ratio of the sustained ingest (the `mysql` sink's written
//!    records/s over the window) to each; the target is at least 0.5 of `LOAD DATA`.
//!
//! The comparison needs the `mariadb` command-line client on `PATH` and `local_infile`
//! enabled on the server (MariaDB's default). Rows are clustered by metric, so the server's
//! buffer pool must hold about one 16 KiB page per metric or the pipeline and the bulk load
//! alike slow down to its disk (docs/PERFORMANCE.md, "End to end").

#![allow(clippy::print_stdout)] // the figures are this program's output

use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::TryStreamExt;
use reference_app::{AppConfig, Parts, start};
use spark_sink::sql::SqlStore;
use spark_sink::{Source, Store};
use sparkplug_b::driver::MqttConfig;
use sparkplug_b::session::Timestamp;
use sparkplug_sim::config::ScenarioConfig;
use sparkplug_sim::{RunOptions, Scenario, Simulator};
use sqlx::mysql::{MySqlConnectOptions, MySqlRow};
use sqlx::{Connection, MySqlConnection, Row};

type BoxError = Box<dyn Error>;

/// Simulator metrics, host metrics and per-sink progress when measuring starts.
type Baseline = (u64, u64, Vec<(String, u64, u64)>);

/// The sink whose written rate is compared with MariaDB's bulk load (its `Dialect` name).
const MYSQL_SINK: &str = "mysql";

/// Rows per `INSERT` statement in the multi-row comparison.
const INSERT_ROWS: usize = 1000;

struct Args {
    mqtt_url: String,
    database_url: String,
    nodes: u32,
    devices: u32,
    metrics: u32,
    period_ms: u64,
    seconds: u64,
    parquet: bool,
    bulk: bool,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        mqtt_url: "mqtt://127.0.0.1:1883".into(),
        database_url: "sqlite::memory:".into(),
        nodes: 100,
        devices: 10,
        metrics: 20,
        period_ms: 100,
        seconds: 30,
        parquet: false,
        bulk: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--parquet" => {
                a.parquet = true;
                continue;
            }
            "--no-bulk" => {
                a.bulk = false;
                continue;
            }
            _ => {}
        }
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--mqtt-url" => a.mqtt_url = value,
            "--database-url" => a.database_url = value,
            "--nodes" => a.nodes = num(&value)? as u32,
            "--devices" => a.devices = num(&value)? as u32,
            "--metrics" => a.metrics = num(&value)? as u32,
            "--period-ms" => a.period_ms = num(&value)?.max(1),
            "--seconds" => a.seconds = num(&value)?.max(1),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(a)
}

fn scenario(a: &Args, host_id: &str) -> String {
    format!(
        "[[node]]\ngroup = \"Bench\"\nnode = \"Node{{n}}\"\ncount = {}\ndevices = {}\naliases = true\nprimary_host = {host_id:?}\n\n\
         [[node.metric]]\nname = \"Signal{{i}}\"\ncount = {}\ndatatype = \"Double\"\n\
         generator = {{ kind = \"random_walk\", start = 50.0, step = 1.0, min = 0.0, max = 100.0 }}\nperiod_ms = {}\n",
        a.nodes, a.devices, a.metrics, a.period_ms
    )
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

async fn fresh_mysql(base: &str) -> Result<String, BoxError> {
    let mut conn = MySqlConnection::connect(base).await?;
    sqlx::query("DROP DATABASE IF EXISTS iceplant_bench")
        .execute(&mut conn)
        .await?;
    sqlx::query("CREATE DATABASE iceplant_bench CHARACTER SET utf8mb4")
        .execute(&mut conn)
        .await?;
    let (server, _) = base.rsplit_once('/').ok_or("a database in the URL")?;
    Ok(format!("{server}/iceplant_bench"))
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// One sink's delivery lag over the timed window, ms. A written rate equal to the received
/// rate can still hide a backlog being built; a lag that stays flat from start to end is what
/// makes the rate sustained.
#[derive(Debug, Clone, Copy)]
struct LagTrack {
    start: u64,
    end: u64,
    max: u64,
}

impl LagTrack {
    fn starting_at(lag: u64) -> Self {
        LagTrack {
            start: lag,
            end: lag,
            max: lag,
        }
    }
}

/// Moves each sink's track to its latest sample; the first sample of a sink starts its track.
fn update_lag(tracks: &mut Vec<(String, LagTrack)>, progress: &[(String, u64, u64)]) {
    for (name, _, lag) in progress {
        match tracks.iter_mut().find(|(n, _)| n == name) {
            Some((_, t)) => {
                t.end = *lag;
                t.max = t.max.max(*lag);
            }
            None => tracks.push((name.clone(), LagTrack::starting_at(*lag))),
        }
    }
}

/// What the timed window measured, ready to print.
struct Window {
    secs: f64,
    sim_rate: f64,
    host_rate: f64,
    /// Per sink: name, records/s written over the window, delivery lag at the end (ms).
    sinks: Vec<(String, f64, u64)>,
    lags: Vec<(String, LagTrack)>,
    /// Freshness probes, sorted, ms.
    fresh: Vec<i64>,
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let a = parse()?;
    let mysql = a.database_url.starts_with("mysql");
    let database_url = if mysql {
        fresh_mysql(&a.database_url).await?
    } else {
        a.database_url.clone()
    };
    let data_dir = std::env::temp_dir().join(format!("iceplant-bench-{}", std::process::id()));
    let mut config = AppConfig::default();
    config.mqtt.url = a.mqtt_url.clone();
    config.mqtt.host_id = format!("BenchHost{}", std::process::id());
    config.mqtt.groups = vec!["Bench".into()];
    config.storage.data_dir = data_dir.clone();
    config.storage.database_url = database_url.clone();
    config.storage.parquet = a.parquet;
    let parts = Parts {
        broker: false,
        sim: false,
        ingest: true,
        reports: false,
        api: false,
    };
    let app = start(&config, parts).await?;

    let scheduled = f64::from(a.nodes * a.devices * a.metrics) * 1000.0 / a.period_ms as f64;
    let scenario_config: ScenarioConfig = scenario(&a, &config.mqtt.host_id).parse()?;
    let sim_scenario =
        Scenario::from_config(&scenario_config, 1, Timestamp::from_millis(now_ms() as u64))?;
    let sim = Simulator::new(
        sim_scenario,
        RunOptions::new(MqttConfig::new(a.mqtt_url.parse()?)),
    )
    .spawn();
    eprintln!(
        "{} nodes x {} devices x {} metrics every {} ms: {scheduled:.0} metrics/s scheduled, into {}{}",
        a.nodes,
        a.devices,
        a.metrics,
        a.period_ms,
        if mysql { "MariaDB/MySQL" } else { "SQLite" },
        if a.parquet { " + Parquet" } else { "" }
    );

    let probe = SqlStore::connect(&database_url).await?.query();
    let source = Source::device("Bench", "Node1", "Device1");
    let started = Instant::now();
    let warmup = Duration::from_secs(5);
    let (mut fresh, mut last_print) = (Vec::new(), Instant::now());
    let (mut base, mut base_at): (Option<Baseline>, Instant) = (None, Instant::now());
    let mut lags = Vec::new();
    while started.elapsed() < warmup + Duration::from_secs(a.seconds) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if started.elapsed() < warmup {
            continue;
        }
        let progress = app.sink_progress();
        if base.is_none() {
            base = Some((
                sim.stats().counters.metrics,
                app.metrics_received(),
                progress.clone(),
            ));
            base_at = Instant::now();
        }
        update_lag(&mut lags, &progress);
        if let Some(latest) = probe
            .metric(&source, "Signal1")
            .await?
            .and_then(|m| m.latest)
        {
            fresh.push(now_ms() - latest.timestamp_ms);
        }
        if last_print.elapsed() >= Duration::from_secs(1) {
            last_print = Instant::now();
            eprintln!(
                "  sim {} | host {} | sinks {:?}",
                sim.stats().counters.metrics,
                app.metrics_received(),
                progress
            );
        }
    }
    let secs = base_at.elapsed().as_secs_f64();
    let (sim0, host0, sinks0) = base.unwrap_or_default();
    let sinks = app.sink_progress();
    update_lag(&mut lags, &sinks);
    fresh.sort_unstable();
    let window = Window {
        secs,
        sim_rate: (sim.stats().counters.metrics - sim0) as f64 / secs,
        host_rate: (app.metrics_received() - host0) as f64 / secs,
        sinks: sinks
            .iter()
            .map(|(name, rows, lag)| {
                let before = sinks0.iter().find(|s| &s.0 == name).map_or(0, |s| s.1);
                (name.clone(), (rows - before) as f64 / secs, *lag)
            })
            .collect(),
        lags,
        fresh,
    };
    let sim_stats = sim.stop().await?;
    print_window(scheduled, &window, &format!("{:?}", sim_stats.stats.lag));
    drop(probe);
    app.shutdown().await?;
    let _ = std::fs::remove_dir_all(&data_dir);

    if mysql && a.bulk {
        let sustained = window
            .sinks
            .iter()
            .find(|s| s.0 == MYSQL_SINK)
            .map_or(0.0, |s| s.1);
        compare_bulk(&database_url, sustained).await?;
    }
    Ok(())
}

/// Prints the rates, freshness and lag of the timed window.
fn print_window(scheduled: f64, w: &Window, sim_lag: &str) {
    println!("scheduled      {scheduled:>12.0} metrics/s");
    println!(
        "published      {:>12.0} metrics/s (simulator lag at the end {sim_lag})",
        w.sim_rate
    );
    println!(
        "received       {:>12.0} metrics/s (host application)",
        w.host_rate
    );
    for (name, rate, lag) in &w.sinks {
        println!("{name:<14} {rate:>12.0} records/s written (delivery lag at the end {lag} ms)");
    }
    println!(
        "freshness      p50 {} ms, p99 {} ms, max {} ms (now - newest stored timestamp, {} probes)",
        percentile(&w.fresh, 0.5),
        percentile(&w.fresh, 0.99),
        w.fresh.last().copied().unwrap_or(0),
        w.fresh.len()
    );
    for (name, t) in &w.lags {
        println!(
            "delivery lag   {name}: start {} ms, end {} ms, max {} ms (over the {:.1} s window, sampled every 250 ms)",
            t.start, t.end, t.max, w.secs
        );
    }
}

/// Columns of `sink_samples` in table order with how each is read and rendered. The export
/// query, the `LOAD DATA` file and the `INSERT` column list all follow this one list, so they
/// cannot disagree on the order.
const COLUMNS: [(&str, Kind); 15] = [
    ("metric_id", Kind::Int),
    ("ts_ms", Kind::Int),
    ("is_historical", Kind::Int),
    ("datatype", Kind::UInt),
    ("is_null", Kind::Int),
    ("v_int", Kind::Int),
    ("v_uint", Kind::UInt),
    ("v_double", Kind::Double),
    ("v_bool", Kind::Int),
    ("v_text", Kind::Text),
    ("v_blob", Kind::Blob),
    ("quality", Kind::Int),
    ("seq", Kind::UInt),
    ("bd_seq", Kind::UInt),
    ("received_at_ms", Kind::Int),
];

/// How a column is decoded: sqlx decodes any signed integer width as `i64` and any unsigned
/// one as `u64`, which is all the rendering needs.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Int,
    UInt,
    Double,
    Text,
    Blob,
}

/// One value of an exported row.
#[derive(Debug)]
enum Cell {
    Null,
    Int(i64),
    UInt(u64),
    Double(f64),
    Text(String),
    Blob(Vec<u8>),
}

fn column_list() -> String {
    COLUMNS.map(|(name, _)| name).join(", ")
}

/// Reads one row of the export query into cells, in [`COLUMNS`] order.
fn decode_row(row: &MySqlRow) -> Result<Vec<Cell>, sqlx::Error> {
    COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            Ok(match kind {
                Kind::Int => row
                    .try_get::<Option<i64>, _>(i)?
                    .map_or(Cell::Null, Cell::Int),
                Kind::UInt => row
                    .try_get::<Option<u64>, _>(i)?
                    .map_or(Cell::Null, Cell::UInt),
                Kind::Double => row
                    .try_get::<Option<f64>, _>(i)?
                    .map_or(Cell::Null, Cell::Double),
                Kind::Text => row
                    .try_get::<Option<String>, _>(i)?
                    .map_or(Cell::Null, Cell::Text),
                Kind::Blob => row
                    .try_get::<Option<Vec<u8>>, _>(i)?
                    .map_or(Cell::Null, Cell::Blob),
            })
        })
        .collect()
}

/// Writes bytes escaped as `LOAD DATA`'s default `ESCAPED BY '\\'` expects, so a tab, newline
/// or backslash inside a value cannot end a field or a line early. Blobs go through here as
/// raw bytes: the binary column takes them without character set conversion.
fn write_tsv_escaped(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    let mut rest = bytes;
    while let Some(at) = rest
        .iter()
        .position(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r' | 0))
    {
        out.write_all(&rest[..at])?;
        out.write_all(match rest[at] {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => b"\\0",
        })?;
        rest = &rest[at + 1..];
    }
    out.write_all(rest)
}

/// Writes cells separated by `sep`: numbers the same way in both file formats (doubles in
/// Rust's shortest round-trip form, with an exponent so SQL reads a DOUBLE and not a DECIMAL
/// that might be too long), NULL, text and bytes by `other`.
fn write_cells<W: Write>(
    out: &mut W,
    cells: &[Cell],
    sep: &[u8],
    other: impl Fn(&mut W, &Cell) -> std::io::Result<()>,
) -> std::io::Result<()> {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.write_all(sep)?;
        }
        match cell {
            Cell::Int(v) => write!(out, "{v}")?,
            Cell::UInt(v) => write!(out, "{v}")?,
            Cell::Double(v) => write!(out, "{v:e}")?,
            cell => other(out, cell)?,
        }
    }
    Ok(())
}

/// Writes one row as a line of `LOAD DATA`'s default format: tab-separated, `\N` for NULL.
fn write_tsv_row(out: &mut impl Write, cells: &[Cell]) -> std::io::Result<()> {
    write_cells(out, cells, b"\t", |out, cell| match cell {
        Cell::Text(s) => write_tsv_escaped(out, s.as_bytes()),
        Cell::Blob(b) => write_tsv_escaped(out, b),
        _ => out.write_all(b"\\N"),
    })?;
    out.write_all(b"\n")
}

/// Writes one row as an SQL tuple `(v, ...)`. Strings are quoted with MariaDB's backslash
/// escapes (the default `sql_mode`), blobs as `X'hex'` so no byte needs escaping.
fn write_sql_tuple(out: &mut impl Write, cells: &[Cell]) -> std::io::Result<()> {
    out.write_all(b"(")?;
    write_cells(out, cells, b",", |out, cell| match cell {
        Cell::Text(s) => {
            out.write_all(b"'")?;
            for c in s.chars() {
                match c {
                    '\\' => out.write_all(b"\\\\")?,
                    '\'' => out.write_all(b"\\'")?,
                    '\0' => out.write_all(b"\\0")?,
                    '\n' => out.write_all(b"\\n")?,
                    '\r' => out.write_all(b"\\r")?,
                    '\u{1a}' => out.write_all(b"\\Z")?,
                    c => write!(out, "{c}")?,
                }
            }
            out.write_all(b"'")
        }
        Cell::Blob(b) => {
            out.write_all(b"X'")?;
            for byte in b {
                write!(out, "{byte:02X}")?;
            }
            out.write_all(b"'")
        }
        _ => out.write_all(b"NULL"),
    })?;
    out.write_all(b")")
}

/// Groups tuples into `INSERT` statements of [`INSERT_ROWS`] rows each, the way a bulk
/// loader that has all rows up front would send them.
struct InsertWriter<W: Write> {
    out: W,
    header: String,
    in_statement: usize,
}

impl<W: Write> InsertWriter<W> {
    fn new(out: W, table: &str) -> Self {
        InsertWriter {
            out,
            header: format!("INSERT INTO {table} ({}) VALUES\n", column_list()),
            in_statement: 0,
        }
    }

    fn row(&mut self, cells: &[Cell]) -> std::io::Result<()> {
        if self.in_statement == 0 {
            self.out.write_all(self.header.as_bytes())?;
        } else {
            self.out.write_all(b",\n")?;
        }
        write_sql_tuple(&mut self.out, cells)?;
        self.in_statement += 1;
        if self.in_statement == INSERT_ROWS {
            self.out.write_all(b";\n")?;
            self.in_statement = 0;
        }
        Ok(())
    }

    /// Closes the last, partial statement and flushes; the writer is spent afterwards.
    fn finish(mut self) -> std::io::Result<()> {
        if self.in_statement > 0 {
            self.out.write_all(b";\n")?;
        }
        self.out.flush()
    }
}

/// A scratch directory removed when dropped, so the exported files go away on every way out,
/// errors included.
struct ScratchDir(PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Streams `sink_samples` in arrival order into both bulk-load files in one pass, so the
/// table is read once and memory stays flat whatever the row count. Returns the row count.
async fn export(conn: &mut MySqlConnection, tsv: &Path, sql: &Path) -> Result<u64, BoxError> {
    let mut tsv_out = BufWriter::new(File::create(tsv)?);
    let mut inserts = InsertWriter::new(BufWriter::new(File::create(sql)?), "bulk_samples2");
    let query = format!(
        "SELECT {} FROM sink_samples ORDER BY received_at_ms, metric_id, ts_ms",
        column_list()
    );
    let mut rows = sqlx::query(&query).fetch(conn);
    let mut count = 0u64;
    while let Some(row) = rows.try_next().await? {
        let cells = decode_row(&row)?;
        write_tsv_row(&mut tsv_out, &cells)?;
        inserts.row(&cells)?;
        count += 1;
    }
    tsv_out.flush()?;
    inserts.finish()?;
    Ok(count)
}

/// The password of a `mysql://user:pass@host/db` URL, percent-decoded. sqlx parses the rest
/// of the URL (and its defaults) for us but has no getter for the password.
fn url_password(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let password = parsed.password()?;
    Some(
        percent_encoding::percent_decode_str(password)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// The `mariadb` command-line client for the bench database, with `LOCAL INFILE` enabled.
/// It connects the way sqlx does: over TCP (even to `localhost`) unless the URL names a
/// socket.
fn mariadb_client(database_url: &str) -> Result<Command, BoxError> {
    let options = MySqlConnectOptions::from_str(database_url)?;
    let mut cmd = Command::new("mariadb");
    cmd.arg("--local-infile=1");
    match options.get_socket() {
        Some(socket) => cmd.arg("--protocol=SOCKET").arg("-S").arg(socket),
        None => cmd
            .arg("--protocol=TCP")
            .args(["-h", options.get_host()])
            .args(["-P", &options.get_port().to_string()]),
    };
    cmd.args(["-u", options.get_username()]);
    if let Some(password) = url_password(database_url) {
        cmd.arg(format!("-p{password}"));
    }
    cmd.arg(options.get_database().ok_or("a database in the URL")?);
    Ok(cmd)
}

/// Runs the client to completion and returns its wall time, start-up included (a few ms,
/// noise against loads of seconds). A failure carries the client's own message.
fn run_timed(mut cmd: Command) -> Result<Duration, BoxError> {
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let started = Instant::now();
    let output = cmd
        .output()
        .map_err(|e| format!("running the mariadb client: {e}"))?;
    let took = started.elapsed();
    if !output.status.success() {
        return Err(format!(
            "mariadb client failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    Ok(took)
}

/// Makes an empty copy of `sink_samples` (same columns, keys and engine), so each bulk load
/// pays for the same primary key as the pipeline does.
async fn create_like(conn: &mut MySqlConnection, table: &str) -> Result<(), BoxError> {
    sqlx::query(&format!("CREATE TABLE {table} LIKE sink_samples"))
        .execute(conn)
        .await?;
    Ok(())
}

/// Fails unless `table` holds exactly `expected` rows: a load that silently skipped or
/// duplicated rows would make its rate meaningless.
async fn check_count(
    conn: &mut MySqlConnection,
    table: &str,
    expected: u64,
) -> Result<(), BoxError> {
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(conn)
        .await?;
    if u64::try_from(n).ok() != Some(expected) {
        return Err(format!("{table} holds {n} rows after the load, expected {expected}").into());
    }
    Ok(())
}

/// Quotes a string for an SQL statement given to the client with `-e`.
fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Runs MariaDB's own bulk loads of the rows the pipeline stored, with nothing else running,
/// and prints their rates next to the pipeline's sustained ingest: the performance target is
/// at least half of `LOAD DATA`.
async fn compare_bulk(database_url: &str, sustained: f64) -> Result<(), BoxError> {
    let scratch =
        ScratchDir(std::env::temp_dir().join(format!("iceplant-bulk-{}", std::process::id())));
    std::fs::create_dir_all(&scratch.0)?;
    let (tsv, sql) = (scratch.0.join("samples.tsv"), scratch.0.join("samples.sql"));
    let mut conn = MySqlConnection::connect(database_url).await?;
    let rows = export(&mut conn, &tsv, &sql).await?;
    if rows == 0 {
        println!("bulk load      skipped: sink_samples is empty");
        return Ok(());
    }

    create_like(&mut conn, "bulk_samples").await?;
    let tsv_path = tsv.to_str().ok_or("a UTF-8 temporary path")?;
    let mut load = mariadb_client(database_url)?;
    load.arg("-e").arg(format!(
        "LOAD DATA LOCAL INFILE {} INTO TABLE bulk_samples",
        sql_string(tsv_path)
    ));
    let load_took = run_timed(load)?;
    check_count(&mut conn, "bulk_samples", rows).await?;

    create_like(&mut conn, "bulk_samples2").await?;
    let mut insert = mariadb_client(database_url)?;
    insert.stdin(File::open(&sql)?);
    let insert_took = run_timed(insert)?;
    check_count(&mut conn, "bulk_samples2", rows).await?;
    conn.close().await?;

    let load_rate = rows as f64 / load_took.as_secs_f64();
    let insert_rate = rows as f64 / insert_took.as_secs_f64();
    println!(
        "bulk load      LOAD DATA LOCAL INFILE  {rows} rows in {:.2} s: {load_rate:.0} rows/s (MariaDB alone, same rows, arrival order)",
        load_took.as_secs_f64()
    );
    println!(
        "bulk load      multi-row INSERT ({INSERT_ROWS}/statement via mariadb client)  {rows} rows in {:.2} s: {insert_rate:.0} rows/s",
        insert_took.as_secs_f64()
    );
    println!(
        "ratio          sustained ingest ({sustained:.0} records/s) / LOAD DATA = {:.2}; / multi-row INSERT = {:.2} (target: >= 0.50 of LOAD DATA)",
        sustained / load_rate,
        sustained / insert_rate
    );
    Ok(())
}
