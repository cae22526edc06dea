//! The simulator on real brokers: an embedded rumqttd (MQTT 3.1.1 and 5) and, when
//! `SPARKPLUG_TEST_MQTT_URL` is set, that broker. The host application of `sparkplug-b` runs
//! on the same broker and must receive exactly what the simulator published.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};
use sparkplug_b::Value;
use sparkplug_b::driver::{
    BrokerUrl, EventOverflow, EventReceiver, HostHandle, MqttConfig, MqttVersion, RunnerEvent,
    clock, run_host,
};
use sparkplug_b::session::host::{HostApplication, HostConfig, HostEvent};
use sparkplug_b::topic::{DeviceId, EdgeNodeId, GroupId, HostId, MessageType};
use sparkplug_sim::config::{FaultKind, ScenarioConfig};
use sparkplug_sim::{RunOptions, Scenario, Simulator, Speed};
use tokio::time::{Instant, timeout_at};

const WAIT: Duration = Duration::from_secs(20);

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local address").port()
}

fn settings(name: &str, port: u16) -> ServerSettings {
    ServerSettings {
        name: name.to_owned(),
        listen: SocketAddr::from(([127, 0, 0, 1], port)),
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 10_000,
            max_payload_size: 1 << 20,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    }
}

/// The embedded broker of this test binary: (MQTT 3.1.1, MQTT 5) URLs.
fn rumqttd() -> &'static (BrokerUrl, BrokerUrl) {
    static BROKER: OnceLock<(BrokerUrl, BrokerUrl)> = OnceLock::new();
    BROKER.get_or_init(|| {
        let (v4, v5) = (free_port(), free_port());
        let config = Config {
            id: 0,
            router: RouterConfig {
                max_connections: 100,
                max_outgoing_packet_count: 200,
                max_segment_size: 1 << 20,
                max_segment_count: 10,
                ..RouterConfig::default()
            },
            v4: Some(HashMap::from([("1".to_owned(), settings("v4", v4))])),
            v5: Some(HashMap::from([("1".to_owned(), settings("v5", v5))])),
            ..Config::default()
        };
        std::thread::spawn(move || {
            let mut broker = Broker::new(config);
            if let Err(e) = broker.start() {
                eprintln!("rumqttd stopped: {e}");
            }
        });
        for port in [v4, v5] {
            let deadline = std::time::Instant::now() + WAIT;
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "rumqttd did not start"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        (
            BrokerUrl::new("127.0.0.1", v4),
            BrokerUrl::new("127.0.0.1", v5).with_version(MqttVersion::V5),
        )
    })
}

fn env_broker(test: &str) -> Option<BrokerUrl> {
    match std::env::var("SPARKPLUG_TEST_MQTT_URL") {
        Ok(url) if !url.is_empty() => Some(
            url.parse()
                .expect("SPARKPLUG_TEST_MQTT_URL is a broker URL"),
        ),
        _ => {
            eprintln!("{test}: skipped, SPARKPLUG_TEST_MQTT_URL is not set");
            None
        }
    }
}

/// An id no earlier run used.
fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!(
        "{prefix}{}x{ms}x{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn mqtt(url: &BrokerUrl) -> MqttConfig {
    MqttConfig::new(url.clone())
        .with_keep_alive(Duration::from_secs(5))
        .with_events(1 << 16, EventOverflow::Wait)
}

/// Host events, gathered by a task of their own so that the host never waits.
struct Gathered {
    events: tokio::sync::mpsc::UnboundedReceiver<HostEvent>,
    seen: Vec<HostEvent>,
}

impl Gathered {
    fn start(mut rx: EventReceiver<HostEvent>) -> Self {
        let (tx, events) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                if let RunnerEvent::Session(e) = e {
                    if tx.send(e).is_err() {
                        return;
                    }
                }
            }
        });
        Gathered {
            events,
            seen: Vec::new(),
        }
    }

    /// Waits until `done` holds for the events seen so far.
    async fn until(&mut self, what: &str, done: impl Fn(&[HostEvent]) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !done(&self.seen) {
            match timeout_at(deadline, self.events.recv()).await {
                Ok(Some(e)) => self.seen.push(e),
                Ok(None) => panic!("the host stopped while waiting for {what}"),
                Err(_) => panic!(
                    "timed out waiting for {what}; seen {} events",
                    self.seen.len()
                ),
            }
        }
    }
}

fn offline_count(events: &[HostEvent], group: &str) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, HostEvent::NodeOffline { group: g, .. } if g.as_str() == group))
        .count()
}

fn data_metrics(events: &[HostEvent], group: &str) -> usize {
    events
        .iter()
        .map(|e| match e {
            HostEvent::Metrics {
                group: g,
                message_type: MessageType::NData | MessageType::DData,
                metrics,
                ..
            } if g.as_str() == group => metrics.len(),
            _ => 0,
        })
        .sum()
}

fn scenario_text(group: &str, host: &str) -> String {
    format!(
        r#"
[[plant]]
group = "{group}"
node = "Plant1"
primary_host = "{host}"
[[node]]
group = "{group}"
node = "Line1"
primary_host = "{host}"
devices = 2
[[node.metric]]
name = "Temp{{i}}"
count = 5
generator = {{ kind = "random_walk", start = 20.0, step = 0.5 }}
period_ms = 200
"#
    )
}

async fn start_host(url: &BrokerUrl, host: &str) -> (HostHandle, Gathered) {
    let config = HostConfig::new(HostId::new(host).unwrap());
    let (handle, events, _task) = run_host(HostApplication::new(config), mqtt(url));
    let mut g = Gathered::start(events);
    g.until("the host's STATE birth", |e| {
        e.iter()
            .any(|e| matches!(e, HostEvent::StateBirthPublished { .. }))
    })
    .await;
    (handle, g)
}

/// Counts and values: everything the simulator published (fast-forwarded 5×, MQTT 3.1.1 or
/// 5) reaches the host, and the host's last values are the simulator's; a DCMD setpoint write
/// comes back changed; the nodes leave with NDEATH.
async fn host_receives_what_was_published(url: BrokerUrl) {
    let group = unique("SimIT");
    let host_id = unique("simhost");
    let (host, mut events) = start_host(&url, &host_id).await;
    let config: ScenarioConfig = scenario_text(&group, &host_id).parse().unwrap();
    let scenario = Scenario::from_config(&config, 9, clock::now()).unwrap();
    let options = RunOptions::new(MqttConfig::new(url.clone())).with_speed(Speed::FastForward(5.0));
    let sim = Simulator::new(scenario, options).spawn();
    events
        .until("both births", |e| {
            e.iter().filter(|e| matches!(e, HostEvent::NodeOnline { group: ng, .. } if ng.as_str() == group)).count() >= 2
        })
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // DCMD round trip: the plant's setpoint moves and the new value comes back.
    let (g, n) = (
        GroupId::new(group.as_str()).unwrap(),
        EdgeNodeId::new("Plant1").unwrap(),
    );
    let brine = DeviceId::new("BrineTank").unwrap();
    host.write_metric(
        &g,
        &n,
        Some(&brine),
        "Setpoint/Temperature",
        Value::Double(-13.5),
    )
    .await
    .unwrap();
    events
        .until("the new setpoint in DDATA", |e| {
            e.iter().any(|e| {
                matches!(e, HostEvent::Metrics { group: mg, metrics, .. }
                if *mg == g && metrics.iter().any(|m| m.name() == "Setpoint/Temperature"
                    && m.value() == Some(&Value::Double(-13.5))))
            })
        })
        .await;
    let setpoint = sim
        .inspect(|s| s.plant(0).map(|p| p.config().brine_setpoint_c))
        .await
        .flatten();
    assert_eq!(setpoint, Some(-13.5));

    let finished = sim.stop().await.unwrap();
    events
        .until("both NDEATHs", |e| offline_count(e, &group) >= 2)
        .await;
    let published = finished.stats.counters.metrics as usize;
    assert!(published > 100, "only {published} metrics published");
    assert_eq!(data_metrics(&events.seen, &group), published);
    assert_eq!(finished.stats.send_failures, 0);
    // The host's last values are the simulator's.
    let s = &finished.scenario;
    for index in 0..s.node_count() {
        let (gid, nid) = s.node_id(index).unwrap();
        let (gid, nid) = (GroupId::new(gid).unwrap(), EdgeNodeId::new(nid).unwrap());
        for (device, name) in s.metric_names(index) {
            let d = device.map(|d| DeviceId::new(d).unwrap());
            let host_value = host
                .inspect({
                    let (gid, nid, name) = (gid.clone(), nid.clone(), name.to_owned());
                    move |h| {
                        h.metric(&gid, &nid, d.as_ref(), &name)
                            .and_then(|m| m.value.clone())
                    }
                })
                .await
                .unwrap();
            let ours = s.metric_value(index, device, name).cloned();
            let same = host_value == ours
                || matches!((&host_value, &ours), (Some(h), Some(o)) if h.as_f64().is_some() && h.as_f64() == o.as_f64());
            assert!(
                same,
                "{nid}/{device:?}/{name}: host {host_value:?}, simulator {ours:?}"
            );
        }
    }
    host.shutdown().await;
}

/// A connection dropped without NDEATH: the broker publishes the Will and the host takes the
/// node offline; the node comes back with the next bdSeq.
async fn drop_connection_is_seen_by_will(url: BrokerUrl) {
    let group = unique("SimDrop");
    let host_id = unique("drophost");
    let (host, mut events) = start_host(&url, &host_id).await;
    let config: ScenarioConfig = scenario_text(&group, &host_id).parse().unwrap();
    let scenario = Scenario::from_config(&config, 3, clock::now()).unwrap();
    let sim = Simulator::new(scenario, RunOptions::new(MqttConfig::new(url.clone()))).spawn();
    events
        .until("both births", |e| {
            e.iter().filter(|e| matches!(e, HostEvent::NodeOnline { group: ng, .. } if ng.as_str() == group)).count() >= 2
        })
        .await;
    sim.inspect(|s| {
        let now = s.now();
        s.inject(Some(1), &FaultKind::DropConnection, now)
    })
    .await
    .unwrap();
    events
        .until("the Will", |e| offline_count(e, &group) >= 1)
        .await;
    events
        .until("the rebirth with bdSeq 1", |e| {
            e.iter().any(|e| {
                matches!(e, HostEvent::NodeOnline { group: ng, bd_seq: Some(b), .. }
                if ng.as_str() == group && b.value() == 1)
            })
        })
        .await;
    sim.stop().await.unwrap();
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rumqttd_v311_host_receives_what_was_published() {
    host_receives_what_was_published(rumqttd().0.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rumqttd_v5_host_receives_what_was_published() {
    host_receives_what_was_published(rumqttd().1.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rumqttd_drop_connection_is_seen_by_will() {
    drop_connection_is_seen_by_will(rumqttd().0.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_broker_host_receives_what_was_published() {
    if let Some(url) = env_broker("env_broker_host_receives_what_was_published") {
        host_receives_what_was_published(url).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_broker_drop_connection_is_seen_by_will() {
    if let Some(url) = env_broker("env_broker_drop_connection_is_seen_by_will") {
        drop_connection_is_seen_by_will(url).await;
    }
}
