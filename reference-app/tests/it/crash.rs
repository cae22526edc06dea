//! `kill -9` of the app, counting what was lost (issue 12, crash safety).
//!
//! The simulator and an embedded broker run in this test's process; the app runs as its own
//! binary (`reference-app run --no-sim`) against that broker and SQLite (MariaDB when
//! `SPARKPLUG_TEST_MYSQL_URL` is set, behind a loopback proxy the test can cut). An independent
//! MQTT subscriber records every data sample the simulator publishes and when. The app is
//! killed with SIGKILL in a chosen state (normal; and, on MariaDB, with the database
//! unreachable), restarted on the same data directory, and every sample the subscriber saw
//! more than [`LOSS_WINDOW`] before the kill must be in the store (docs/STORAGE.md, "Delivery
//! and crash safety").

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reference_app::{AppConfig, Parts, Running, start};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use spark_sink::sql::SqlStore;
use spark_sink::{Source, Store, TimeRange};
use sparkplug_b::Payload;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::http::get;

/// What a kill -9 may lose, as documented: records waiting for their first write
/// (`batch_wait`, 200 ms, plus a write that may stall up to `stall_timeout`, 2 s, before it
/// goes to the spill) and the spill's fsync interval (1 s; only an OS crash needs it), with a
/// margin for the app receiving a little after the subscriber.
const LOSS_WINDOW: Duration = Duration::from_millis(3_500);

const WAIT: Duration = Duration::from_secs(30);

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// `(source, metric, metric time)`: the key a stored sample has.
type Key = (String, String, i64);

/// Every data sample (NDATA, DDATA) the simulator published, with when the subscriber got it.
#[derive(Default)]
struct Seen {
    samples: Vec<(Instant, Key)>,
    /// Metric names by alias, per source, from the births.
    aliases: HashMap<(String, u64), String>,
}

/// Subscribes to the group's topics and records what is published.
async fn subscribe(broker: SocketAddr, group: &str) -> Arc<Mutex<Seen>> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let id = format!("crash-counter-{}", std::process::id());
    let mut options = MqttOptions::new(id, broker.ip().to_string(), broker.port());
    options.set_max_packet_size(16 << 20, 16 << 20);
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = AsyncClient::new(options, 10_000);
    client
        .subscribe(format!("spBv1.0/{group}/#"), QoS::AtMostOnce)
        .await
        .unwrap();
    let subscribed = Arc::new(AtomicBool::new(false));
    let task_seen = Arc::clone(&seen);
    let flag = Arc::clone(&subscribed);
    tokio::spawn(async move {
        let _client = client;
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => flag.store(true, Ordering::SeqCst),
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    record(&task_seen, &p.topic, &p.payload);
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    let start = Instant::now();
    while !subscribed.load(Ordering::SeqCst) {
        assert!(start.elapsed() < WAIT, "the subscriber never subscribed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    seen
}

fn record(seen: &Mutex<Seen>, topic: &str, payload: &[u8]) {
    let parts: Vec<&str> = topic.split('/').collect();
    let (kind, source) = match parts.as_slice() {
        ["spBv1.0", group, kind, node] => (*kind, format!("{group}/{node}")),
        ["spBv1.0", group, kind, node, device] => (*kind, format!("{group}/{node}/{device}")),
        _ => return,
    };
    let Ok(payload) = Payload::decode(payload) else {
        return;
    };
    let at = Instant::now();
    let mut seen = seen.lock().unwrap();
    for m in &payload.metrics {
        if kind.ends_with("BIRTH") {
            if let (Some(name), Some(alias)) = (&m.name, m.alias) {
                seen.aliases.insert((source.clone(), alias), name.clone());
            }
            continue;
        }
        if !kind.ends_with("DATA") || m.is_transient || m.value.is_none() {
            continue;
        }
        let name = match (&m.name, m.alias) {
            (Some(name), _) => name.clone(),
            (None, Some(alias)) => match seen.aliases.get(&(source.clone(), alias)) {
                Some(name) => name.clone(),
                None => continue,
            },
            (None, None) => continue,
        };
        let Some(ts) = m.timestamp.or(payload.timestamp) else {
            continue;
        };
        let ts = i64::try_from(ts).unwrap();
        seen.samples.push((at, (source.clone(), name, ts)));
    }
}

/// The app's binary, killable.
struct App {
    child: Child,
    api: SocketAddr,
}

fn spawn_app(dir: &Path, broker: SocketAddr, database: &str, host_id: &str, run: u32) -> App {
    let api = free_addr();
    let log = std::fs::File::create(dir.join(format!("app-{run}.log"))).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_reference-app"))
        .arg("run")
        .arg("--no-sim")
        .args(["--mqtt-url", &format!("mqtt://{broker}")])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["--database-url", database])
        .args(["--api-addr", &api.to_string()])
        .args(["--host-id", host_id])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    App { child, api }
}

impl App {
    /// Waits until the API answers `/readyz` with 200 (store up, host connected).
    async fn ready(&self) {
        let start = Instant::now();
        loop {
            if TcpStream::connect(self.api).await.is_ok()
                && get(self.api, "/readyz").await.status == 200
            {
                return;
            }
            assert!(start.elapsed() < WAIT, "the app never became ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A sink series of `/metrics`.
    async fn sink_metric(&self, name: &str) -> u64 {
        let text = get(self.api, "/metrics").await.body;
        text.lines()
            .filter(|l| l.starts_with(&format!("iceplant_{name}{{")))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    /// A series of `/metrics` without labels.
    async fn unlabelled_metric(&self, name: &str) -> u64 {
        let text = get(self.api, "/metrics").await.body;
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("iceplant_{name} "))?.parse().ok())
            .unwrap_or(u64::MAX)
    }

    /// Waits until the spill is replayed and the store has caught up.
    async fn settled(&self) {
        let start = Instant::now();
        let mut last = u64::MAX;
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let written = self.sink_metric("sink_rows_written_total").await;
            let spill = self.sink_metric("sink_spill_rows").await;
            if spill == 0 && written == last {
                return;
            }
            last = written;
            assert!(start.elapsed() < WAIT, "the app never settled");
        }
    }

    /// SIGKILL: no shutdown, no flush.
    fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback TCP proxy in front of the database that can hang: while cut, open connections
/// are dropped and new ones accepted but never answered (a server that stopped responding:
/// the pool waits for its acquire timeout).
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
        let (flag, killer) = (Arc::clone(&cut), kill.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                let mut killed = killer.subscribe();
                if flag.load(Ordering::SeqCst) {
                    // Hold it, unanswered, until the next cut or restore.
                    tokio::spawn(async move {
                        let _ = killed.changed().await;
                        drop(client);
                    });
                    continue;
                }
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
        Proxy { addr, cut, kill }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.kill.send_modify(|g| *g += 1);
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
        self.kill.send_modify(|g| *g += 1);
    }
}

/// The samples received in `from..until` that the store does not have.
async fn missing(
    store: &SqlStore,
    seen: &Mutex<Seen>,
    from: Instant,
    until: Instant,
) -> (usize, Vec<Key>) {
    let wanted: Vec<Key> = seen
        .lock()
        .unwrap()
        .samples
        .iter()
        .filter(|(at, _)| *at >= from && *at < until)
        .map(|(_, k)| k.clone())
        .collect();
    let mut stored: HashMap<(String, String), HashSet<i64>> = HashMap::new();
    let mut lost = Vec::new();
    for key in &wanted {
        let series = (key.0.clone(), key.1.clone());
        if !stored.contains_key(&series) {
            let parts: Vec<&str> = key.0.split('/').collect();
            let source = match parts.as_slice() {
                [g, n] => Source::node(*g, *n),
                [g, n, d] => Source::device(*g, *n, *d),
                _ => unreachable!("sources have two or three parts"),
            };
            let rows = store
                .query()
                .history(&source, &key.1, TimeRange::all(), 10_000_000)
                .await
                .unwrap();
            stored.insert(
                series.clone(),
                rows.into_iter().map(|r| r.timestamp_ms).collect(),
            );
        }
        if !stored[&series].contains(&key.2) {
            lost.push(key.clone());
        }
    }
    (wanted.len(), lost)
}

/// `host:port` of a `mysql://` URL.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['/', '?']).next().unwrap_or("");
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:3306")
    }
}

/// The simulator and its broker, in this process.
async fn simulator(dir: &Path, group: &str, host_id: &str) -> (Running, SocketAddr) {
    let scenario = dir.join("scenario.toml");
    std::fs::write(
        &scenario,
        format!(
            "[simulation]\nreconnect_delay_ms = 200\n\n[[plant]]\ngroup = {group:?}\nnode = \"Plant1\"\nprimary_host = {host_id:?}\n"
        ),
    )
    .unwrap();
    let mut config = AppConfig::default();
    config.mqtt.broker_addr = free_addr();
    config.storage.data_dir = dir.join("sim");
    config.sim.speed = 5.0;
    config.sim.seed = 11;
    config.sim.config = Some(scenario);
    let parts = Parts {
        broker: true,
        sim: true,
        ingest: false,
        reports: false,
        api: false,
    };
    let running = start(&config, parts).await.unwrap();
    let broker = config.mqtt.broker_addr;
    (running, broker)
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iceplant-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the app until data flows, kills it with SIGKILL (after `before_kill` set up the state),
/// restarts it, lets it settle, and checks that nothing received more than [`LOSS_WINDOW`]
/// before the kill is missing. Returns the restarted app.
async fn kill_and_count(
    state: &str,
    app: App,
    restart: impl FnOnce() -> App,
    seen: &Mutex<Seen>,
    store: &SqlStore,
    from: Instant,
) -> App {
    let killed_at = Instant::now();
    app.kill_9();
    let app = restart();
    app.ready().await;
    app.settled().await;
    let (checked, lost) = missing(store, seen, from, killed_at - LOSS_WINDOW).await;
    let (in_window, lost_in_window) =
        missing(store, seen, killed_at - LOSS_WINDOW, killed_at).await;
    eprintln!(
        "kill -9 ({state}): {checked} samples received before the loss window, {} missing; \
         {in_window} in the last {} ms before the kill, {} missing",
        lost.len(),
        LOSS_WINDOW.as_millis(),
        lost_in_window.len()
    );
    assert!(checked > 50, "too few samples to count ({checked})");
    assert!(
        lost.is_empty(),
        "lost outside the window ({state}): {lost:?}"
    );
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_only_the_documented_window() {
    let dir = temp_dir();
    let group = format!("Crash{}", std::process::id());
    let host_id = format!("CrashHost{}", std::process::id());
    let (sim, broker) = simulator(&dir, &group, &host_id).await;
    let seen = subscribe(broker, &group).await;
    let mysql = std::env::var("SPARKPLUG_TEST_MYSQL_URL").ok();
    let (database, proxy) = match &mysql {
        Some(base) => {
            let url = crate::e2e::fresh_mysql(base, "crash").await;
            let proxy = Proxy::start(host_port(&url)).await;
            let (_, rest) = url.split_once("://").unwrap();
            let (creds, path) = rest.split_once('@').map_or(("", rest), |(c, p)| (c, p));
            let (_, db) = path.split_once('/').unwrap();
            let at = if creds.is_empty() {
                String::new()
            } else {
                format!("{creds}@")
            };
            (format!("mysql://{at}{}/{db}", proxy.addr), Some(proxy))
        }
        None => {
            eprintln!("SPARKPLUG_TEST_MYSQL_URL is not set: SQLite only, no database-outage state");
            let db = dir.join("data").join("iceplant.db");
            (format!("sqlite://{}?mode=rwc", db.display()), None)
        }
    };
    let mut run = 0;
    let mut spawn = || {
        run += 1;
        spawn_app(&dir, broker, &database, &host_id, run)
    };
    let app = spawn();
    app.ready().await;
    let store = SqlStore::connect(&database).await.unwrap();

    // Normal state: data flowing, the database up.
    let from = Instant::now();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let app = kill_and_count("normal", app, &mut spawn, &seen, &store, from).await;

    // The database unreachable (hanging, not refusing) since 4 s before the kill: what was
    // received meanwhile is in the spill file, not in memory waiting for the pool.
    let app = match &proxy {
        Some(proxy) => {
            let from = Instant::now();
            tokio::time::sleep(Duration::from_secs(2)).await;
            proxy.cut();
            tokio::time::sleep(Duration::from_secs(2)).await;
            // Issue 12: readiness and the store-backed routes answer within a second while
            // the database hangs (the pool would wait 10 s for a connection).
            for path in ["/readyz", "/api/v1/nodes"] {
                let asked = Instant::now();
                let response = get(app.api, path).await;
                let took = asked.elapsed();
                assert_eq!(response.status, 503, "{path}: {}", response.body);
                assert!(took < Duration::from_secs(1), "{path} took {took:?}");
            }
            assert_eq!(app.unlabelled_metric("store_up").await, 0);
            tokio::time::sleep(Duration::from_secs(2)).await;
            let restart = || {
                proxy.restore();
                spawn()
            };
            kill_and_count("database unreachable", app, restart, &seen, &store, from).await
        }
        None => app,
    };
    app.kill_9();
    let _ = sim.shutdown().await;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
