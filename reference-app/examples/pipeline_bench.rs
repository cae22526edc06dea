//! End-to-end throughput and freshness of the pipeline: the simulator publishes to a broker,
//! the app's host application receives, and the delivery layer writes to a store.
//!
//! ```text
//! cargo run --release -p reference-app --example pipeline_bench -- \
//!     --mqtt-url mqtt://127.0.0.1:1883 --database-url mysql://root@127.0.0.1:3306/test \
//!     [--nodes 100] [--devices 10] [--metrics 20] [--period-ms 100] [--seconds 30] [--parquet]
//! ```
//!
//! The scheduled rate is nodes × devices × metrics × 1000 / period_ms metric values per second
//! (random walks that change every period, so report by exception sends them all). Every
//! second it prints what the simulator published, what the host received and what each sink
//! wrote. Freshness: every 250 ms it asks the store for the current value of one metric and
//! records `now - its timestamp`; its p50/p99 bound the latency from publish to stored row from
//! above (the simulator stamps metrics when it publishes them in real time; the bound adds up
//! to one publish period).
//! With a `mysql://` URL the run uses a fresh database `iceplant_bench` on that server.

#![allow(clippy::print_stdout)] // the figures are this program's output

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reference_app::{AppConfig, Parts, start};
use spark_sink::sql::SqlStore;
use spark_sink::{Source, Store};
use sparkplug_b::driver::MqttConfig;
use sparkplug_b::session::Timestamp;
use sparkplug_sim::config::ScenarioConfig;
use sparkplug_sim::{RunOptions, Scenario, Simulator};

/// Simulator metrics, host metrics and per-sink progress when measuring starts.
type Baseline = (u64, u64, Vec<(String, u64, u64)>);

struct Args {
    mqtt_url: String,
    database_url: String,
    nodes: u32,
    devices: u32,
    metrics: u32,
    period_ms: u64,
    seconds: u64,
    parquet: bool,
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
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--parquet" {
            a.parquet = true;
            continue;
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

async fn fresh_mysql(base: &str) -> Result<String, Box<dyn std::error::Error>> {
    let mut conn = <sqlx::MySqlConnection as sqlx::Connection>::connect(base).await?;
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = parse()?;
    let database_url = if a.database_url.starts_with("mysql") {
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
        if database_url.starts_with("mysql") {
            "MariaDB/MySQL"
        } else {
            "SQLite"
        },
        if a.parquet { " + Parquet" } else { "" }
    );

    let probe = SqlStore::connect(&database_url).await?.query();
    let source = Source::device("Bench", "Node1", "Device1");
    let started = Instant::now();
    let warmup = Duration::from_secs(5);
    let (mut fresh, mut last_print) = (Vec::new(), Instant::now());
    let (mut base, mut base_at): (Option<Baseline>, Instant) = (None, Instant::now());
    while started.elapsed() < warmup + Duration::from_secs(a.seconds) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if started.elapsed() < warmup {
            continue;
        }
        if base.is_none() {
            base = Some((
                sim.stats().counters.metrics,
                app.metrics_received(),
                app.sink_progress(),
            ));
            base_at = Instant::now();
        }
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
                app.sink_progress()
            );
        }
    }
    let secs = base_at.elapsed().as_secs_f64();
    let (sim0, host0, sinks0) = base.unwrap_or_default();
    let sim_rate = (sim.stats().counters.metrics - sim0) as f64 / secs;
    let host_rate = (app.metrics_received() - host0) as f64 / secs;
    let sinks = app.sink_progress();
    let sim_stats = sim.stop().await?;
    fresh.sort_unstable();
    println!("scheduled      {scheduled:>12.0} metrics/s");
    println!(
        "published      {sim_rate:>12.0} metrics/s (simulator lag at the end {:?})",
        sim_stats.stats.lag
    );
    println!("received       {host_rate:>12.0} metrics/s (host application)");
    for (name, rows, lag) in &sinks {
        let before = sinks0.iter().find(|s| &s.0 == name).map_or(0, |s| s.1);
        println!(
            "{name:<14} {:>12.0} records/s written (delivery lag at the end {lag} ms)",
            (rows - before) as f64 / secs
        );
    }
    println!(
        "freshness      p50 {} ms, p99 {} ms, max {} ms (now - newest stored timestamp, {} probes)",
        percentile(&fresh, 0.5),
        percentile(&fresh, 0.99),
        fresh.last().copied().unwrap_or(0),
        fresh.len()
    );
    app.shutdown().await?;
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(())
}
