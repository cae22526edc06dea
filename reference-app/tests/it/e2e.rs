//! The whole pipeline in-process on free ports: embedded broker, simulator, host, SQLite and
//! Parquet, reports and the REST API; and the same flow against Mosquitto and MariaDB when
//! `SPARKPLUG_TEST_MQTT_URL` and `SPARKPLUG_TEST_MYSQL_URL` are set.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reference_app::{AppConfig, JobConfig, JobKind, Parts, Running, start};
use serde_json::{Value, json};
use sparkplug_sim::config::FaultKind;

use crate::http::{get, post};

/// Metric time far enough ahead for a fast-forwarded simulator.
const FAR: &str = "from=0&to=4102444800000";
const WAIT: Duration = Duration::from_secs(60);

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iceplant-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A configuration on free ports in a fresh data directory, the simulator at `speed`.
fn config(name: &str, speed: f64) -> AppConfig {
    let mut config = AppConfig::default();
    config.mqtt.broker_addr = free_addr();
    config.mqtt.host_id = format!("E2EHost-{name}-{}", std::process::id());
    config.api.addr = free_addr();
    config.storage.data_dir = temp_dir(name);
    config.sim.speed = speed;
    config.sim.seed = 7;
    config.reports.every_s = 1;
    config.reports.jobs = vec![
        JobConfig {
            name: "rollup_1m".into(),
            kind: JobKind::Rollup,
            window_s: 60,
            metrics: vec![],
        },
        JobConfig {
            name: "kpi_10m".into(),
            kind: JobKind::IcePlantKpis,
            window_s: 600,
            metrics: vec![],
        },
    ];
    config
}

/// A scenario file: one plant of `group`, our host as its Primary Host.
fn scenario(dir: &Path, group: &str, host_id: &str, reconnect_ms: u64) -> PathBuf {
    let path = dir.join("scenario.toml");
    let text = format!(
        "[simulation]\nreconnect_delay_ms = {reconnect_ms}\n\n[[plant]]\ngroup = {group:?}\nnode = \"Plant1\"\nprimary_host = {host_id:?}\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Polls `check` until it gives `Some`, or fails after [`WAIT`] saying what it waited for.
async fn until<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn api(running: &Running) -> SocketAddr {
    running.api_addr.expect("the API runs")
}

/// The flow every backend must pass: online, values, history, a setpoint write, a rebirth,
/// report rows.
async fn flow(running: &Running, group: &str) {
    let addr = api(running);
    let node_path = format!("/api/v1/nodes/{group}/Plant1");
    until("the plant online", || async {
        let r = get(addr, &node_path).await;
        (r.status == 200 && r.json()["online"] == true).then_some(())
    })
    .await;

    let brine = format!("{node_path}/devices/BrineTank");
    let temperature = until("a brine temperature", || async {
        let r = get(addr, &format!("{brine}/metrics/Temperature")).await;
        (r.status == 200)
            .then(|| r.json()["latest"]["value"].as_f64())
            .flatten()
    })
    .await;
    assert!(
        (-25.0..5.0).contains(&temperature),
        "brine at {temperature} °C"
    );

    let history = until("some history", || async {
        let r = get(addr, &format!("{brine}/history?metric=Temperature&{FAR}")).await;
        let samples = r.json()["samples"].as_array().map_or(0, Vec::len);
        (samples >= 3).then_some(samples)
    })
    .await;
    assert!(history >= 3);
    // A day of one-minute buckets around now (the fast-forwarded clock runs ahead).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let day = format!("from={}&to={}", now - 3_600_000, now + 82_800_000);
    let csv = get(
        addr,
        &format!("{brine}/history?metric=Temperature&{day}&bucket=1m&format=csv"),
    )
    .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.body
            .starts_with("start_ms,time,count,min,max,avg,first,last\n"),
        "{}",
        csv.body
    );

    // A setpoint written through the API reaches the plant, whose next data carries it.
    let write = post(
        addr,
        &format!("{brine}/write"),
        &json!({"metric": "Setpoint/Temperature", "value": -13.5}),
    )
    .await;
    assert_eq!(write.status, 200, "{}", write.body);
    until("the new setpoint in the data", || async {
        let r = get(addr, &format!("{brine}/metrics/Setpoint/Temperature")).await;
        (r.json()["latest"]["value"].as_f64() == Some(-13.5)).then_some(())
    })
    .await;
    let bad = post(
        addr,
        &format!("{brine}/write"),
        &json!({"metric": "Setpoint/Temperature", "value": "cold"}),
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    // Outside the plant's setpoint limits (the engLow..engHigh its birth declares): 422.
    let out = post(
        addr,
        &format!("{brine}/write"),
        &json!({"metric": "Setpoint/Temperature", "value": -40.0}),
    )
    .await;
    assert_eq!(
        (out.status, &out.json()["error"]),
        (422, &json!("out_of_range")),
        "{}",
        out.body
    );
    // Commands for an edge node or a device the host has never seen are 404, not a publish.
    let unknown = post(
        addr,
        &format!("/api/v1/nodes/{group}/NoSuchNode/rebirth"),
        &Value::Null,
    )
    .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    let unknown = post(
        addr,
        &format!("{node_path}/devices/NoSuchDevice/write"),
        &json!({"metric": "Setpoint/Temperature", "value": -12.0}),
    )
    .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);

    // A rebirth request produces a new birth certificate.
    let births = |r: crate::http::Response| r.json().as_array().map_or(0, Vec::len);
    let before = births(get(addr, &format!("{node_path}/births?limit=100")).await);
    let rebirth = post(addr, &format!("{node_path}/rebirth"), &Value::Null).await;
    assert_eq!(rebirth.status, 200, "{}", rebirth.body);
    until("a new NBIRTH", || async {
        (births(get(addr, &format!("{node_path}/births?limit=100")).await) > before).then_some(())
    })
    .await;

    // Fast-forwarded time closes report windows.
    until("rollup rows", || async {
        let r = get(addr, "/api/v1/reports/rollup_1m?limit=10").await;
        (r.json().as_array().map_or(0, Vec::len) > 0).then_some(())
    })
    .await;
    let kpi = until("KPI rows", || async {
        let r = get(addr, "/api/v1/reports/kpi_10m").await;
        r.json().as_array().and_then(|rows| rows.first().cloned())
    })
    .await;
    assert_eq!(kpi["key"], format!("{group}/Plant1"));
    assert!(kpi["fields"]["brine_avg_c"].as_f64().is_some(), "{kpi}");

    let metrics = get(addr, "/metrics").await;
    assert!(
        metrics.body.contains("iceplant_metrics_total"),
        "{}",
        metrics.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pipeline_on_embedded_defaults() {
    let config = config("embedded", 120.0);
    let running = start(&config, Parts::ALL).await.unwrap();
    flow(&running, "IcePlant").await;
    running.shutdown().await.unwrap();
    let parquet: Vec<_> = walk(&config.storage.parquet_dir())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    assert!(!parquet.is_empty(), "shutdown closes the Parquet files");
    let _ = std::fs::remove_dir_all(&config.storage.data_dir);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_without_ndeath_goes_offline_through_its_will_and_its_metrics_go_stale() {
    // tck-id-operational-behavior-edge-node-intentional-offline is the clean case; this is the
    // other: the broker publishes the Will (NDEATH with the session's bdSeq) and the host marks
    // the node, its devices and their metrics STALE (tck-id-operational-behavior-host-application-
    // edge-node-death... SPARKPLUG.md 2.5).
    let mut config = config("will", 10.0);
    // The node stays away for a simulated hour, so the test sees it offline.
    config.sim.config = Some(scenario(
        &config.storage.data_dir,
        "IcePlant",
        &config.mqtt.host_id,
        3_600_000,
    ));
    let running = start(&config, Parts::ALL).await.unwrap();
    let addr = api(&running);
    until("the plant online", || async {
        (get(addr, "/api/v1/nodes/IcePlant/Plant1").await.json()["online"] == true).then_some(())
    })
    .await;
    until("a brine temperature", || async {
        let r = get(
            addr,
            "/api/v1/nodes/IcePlant/Plant1/devices/BrineTank/metrics/Temperature",
        )
        .await;
        (r.status == 200 && r.json()["latest"]["quality"] == 192).then_some(())
    })
    .await;
    let sim = running.sim().expect("the simulator runs");
    sim.inspect(|s| {
        let now = s.now();
        s.inject(Some(0), &FaultKind::DropConnection, now);
    })
    .await
    .expect("the simulator answers");
    until("the node offline", || async {
        (get(addr, "/api/v1/nodes/IcePlant/Plant1").await.json()["online"] == false).then_some(())
    })
    .await;
    until("STALE metrics", || async {
        let r = get(
            addr,
            "/api/v1/nodes/IcePlant/Plant1/devices/BrineTank/metrics/Temperature",
        )
        .await;
        (r.json()["latest"]["quality"] == 500).then_some(())
    })
    .await;
    let offline = get(
        addr,
        "/api/v1/events?kind=offline&group=IcePlant&node=Plant1",
    )
    .await
    .json();
    assert!(!offline.as_array().unwrap().is_empty(), "{offline}");
    running.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&config.storage.data_dir);
}

/// A fresh MariaDB/MySQL database for one test, from `SPARKPLUG_TEST_MYSQL_URL`
/// (`mysql://root@127.0.0.1:3306/test`): the same server, database `iceplant_<test>_<pid>`.
pub(crate) async fn fresh_mysql(base: &str, test: &str) -> String {
    let db = format!("iceplant_{test}_{}", std::process::id());
    let mut conn = <sqlx::MySqlConnection as sqlx::Connection>::connect(base)
        .await
        .expect("connect to MySQL");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db}"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {db} CHARACTER SET utf8mb4"))
        .execute(&mut conn)
        .await
        .unwrap();
    let (server, _) = base.rsplit_once('/').expect("a database in the URL");
    format!("{server}/{db}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pipeline_on_mosquitto_and_mariadb() {
    let (Ok(mqtt), Ok(mysql)) = (
        std::env::var("SPARKPLUG_TEST_MQTT_URL"),
        std::env::var("SPARKPLUG_TEST_MYSQL_URL"),
    ) else {
        eprintln!(
            "skipped: set SPARKPLUG_TEST_MQTT_URL and SPARKPLUG_TEST_MYSQL_URL to run against Mosquitto and MariaDB"
        );
        return;
    };
    let mut config = config("external", 120.0);
    config.mqtt.url = mqtt;
    config.storage.database_url = fresh_mysql(&mysql, "e2e").await;
    // A group of its own, so other tests' retained messages on the broker do not mix in.
    let group = format!("E2E{}", std::process::id());
    config.sim.config = Some(scenario(
        &config.storage.data_dir,
        &group,
        &config.mqtt.host_id,
        1_000,
    ));
    config.mqtt.groups = vec![group.clone()];
    let running = start(&config, Parts::ALL).await.unwrap();
    flow(&running, &group).await;
    running.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&config.storage.data_dir);
}
