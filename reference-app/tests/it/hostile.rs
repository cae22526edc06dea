//! Hostile traffic against the running app (issue 12), bounded in count and time: random
//! bytes, truncated, oversized and deeply nested payloads, invalid UTF-8 in strings, forged
//! STATE, NBIRTH and NDEATH, a rebirth flood. The plant's own samples, as an independent
//! observer saw them, must all be stored, and the app must keep answering. On Mosquitto when
//! `SPARKPLUG_TEST_MQTT_URL` is set, on the embedded broker otherwise.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reference_app::{AppConfig, Parts, start};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use spark_sink::sql::SqlStore;
use spark_sink::{Batch, RecordBuilder, Source, Store, TimeRange};
use sparkplug_b::driver::{BrokerUrl, MqttConfig, RunnerEvent, clock, run_host};
use sparkplug_b::session::{HostApplication, HostConfig};
use sparkplug_b::topic::HostId;
use sparkplug_b::{Metric, Payload};

use crate::http::get;

/// The identity of a stored sample: source, metric, metric time, historical.
type Key = (String, String, i64, bool);

fn free_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Random bytes from a xorshift generator (no need for a real RNG).
fn noise(seed: &mut u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed >> 24) as u8
        })
        .collect()
}

/// A protobuf `Payload` whose first metric nests `depth` levels of `metrics` (field 2):
/// deeper than the decoder's limit.
fn deeply_nested(depth: usize) -> Vec<u8> {
    let mut inner: Vec<u8> = Vec::new();
    for _ in 0..depth {
        let mut outer = vec![0x12];
        let mut len = inner.len();
        loop {
            let byte = (len & 0x7f) as u8;
            len >>= 7;
            if len == 0 {
                outer.push(byte);
                break;
            }
            outer.push(byte | 0x80);
        }
        outer.extend_from_slice(&inner);
        inner = outer;
    }
    inner
}

/// A payload with one metric whose name is not UTF-8.
fn bad_utf8_name() -> Vec<u8> {
    // Payload.timestamp = 1; metrics { name: ff fe 41; alias: 1 }
    vec![
        0x08, 0x01, 0x12, 0x07, 0x0a, 0x03, 0xff, 0xfe, 0x41, 0x10, 0x01,
    ]
}

/// The hostile messages, in the order they are sent: (topic, payload).
fn hostile_messages(group: &str, host_id: &str) -> Vec<(String, Vec<u8>)> {
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::new();
    for i in 0..200 {
        let len = (i * 37) % 300;
        out.push((
            format!("spBv1.0/{group}/NDATA/junk{i}"),
            noise(&mut seed, len),
        ));
    }
    let now = clock::now().as_millis();
    let birth = Payload::new(now)
        .with_seq(0)
        .with_metric(Metric::new("bdSeq", 0i64).with_timestamp(now))
        .with_metric(Metric::new("Node Control/Rebirth", false).with_timestamp(now))
        .with_metric(Metric::new("X", 1.0).with_alias(1).with_timestamp(now))
        .encode_to_vec()
        .unwrap();
    for cut in [1, 5, birth.len() / 2, birth.len() - 1] {
        out.push((
            format!("spBv1.0/{group}/NBIRTH/truncated{cut}"),
            birth[..cut].to_vec(),
        ));
    }
    out.push((
        format!("spBv1.0/{group}/NDATA/oversized"),
        noise(&mut seed, 512 * 1024),
    ));
    out.push((format!("spBv1.0/{group}/NBIRTH/deep"), deeply_nested(5_000)));
    out.push((format!("spBv1.0/{group}/NBIRTH/utf8"), bad_utf8_name()));
    // Forged births of nodes that do not exist, and a forged death of the plant's node with a
    // bdSeq it never used.
    for i in 0..5 {
        out.push((format!("spBv1.0/{group}/NBIRTH/forged{i}"), birth.clone()));
    }
    let death = Payload::new(now)
        .with_metric(Metric::new("bdSeq", 200i64))
        .encode_to_vec()
        .unwrap();
    out.push((format!("spBv1.0/{group}/NDEATH/Plant1"), death));
    // A rebirth flood at the plant's node.
    let rebirth = Payload::new(now)
        .with_metric(Metric::new("Node Control/Rebirth", true).with_timestamp(now))
        .encode_to_vec()
        .unwrap();
    for _ in 0..20 {
        out.push((format!("spBv1.0/{group}/NCMD/Plant1"), rebirth.clone()));
    }
    // Last: a forged offline STATE of the app's host, dated now.
    let state = format!(
        r#"{{"online":false,"timestamp":{}}}"#,
        clock::now().as_millis()
    );
    out.push((format!("spBv1.0/STATE/{host_id}"), state.into_bytes()));
    out
}

/// Publishes the messages at QoS 1 and waits until the broker has acknowledged them all.
async fn attack(url: &BrokerUrl, messages: Vec<(String, Vec<u8>)>) {
    let mut options = MqttOptions::new(
        format!("attacker{}", std::process::id()),
        url.host(),
        url.port(),
    );
    options.set_max_packet_size(2 << 20, 2 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    let expected = messages.len();
    let sender = tokio::spawn(async move {
        for (topic, payload) in messages {
            client
                .publish(topic, QoS::AtLeastOnce, false, payload)
                .await
                .unwrap();
        }
        client
    });
    let mut acked = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked < expected {
        let poll = tokio::time::timeout_at(deadline.into(), eventloop.poll()).await;
        match poll.expect("the broker acknowledged the hostile messages in time") {
            Ok(rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_))) => acked += 1,
            Ok(_) => {}
            Err(e) => panic!("the attacker's connection failed: {e}"),
        }
    }
    let client = sender.await.unwrap();
    let _ = client.disconnect().await;
}

/// tck-id-operational-behavior-edge-node-termination-host-offline (the forged STATE),
/// tck-id-topic-structure-namespace-unique-edge-node-descriptor (forged births),
/// tck-id-message-flow-edge-node-birth-publish-will-message-payload (undecodable payloads):
/// hostile traffic costs the plant nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_traffic_loses_none_of_the_plants_samples() {
    let started = Instant::now();
    let pid = std::process::id();
    let group = format!("Hostile{pid}");
    let host_id = format!("HostileHost{pid}");
    let dir = std::env::temp_dir().join(format!("iceplant-hostile-{pid}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
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
    config.mqtt.host_id = host_id.clone();
    config.mqtt.groups = vec![group.clone()];
    config.api.addr = free_addr();
    config.storage.data_dir = dir.clone();
    config.storage.parquet = false;
    config.sim.config = Some(scenario);
    config.sim.speed = 1.0;
    config.reports.jobs.clear();
    match std::env::var("SPARKPLUG_TEST_MQTT_URL") {
        Ok(url) if !url.is_empty() => config.mqtt.url = url,
        _ => eprintln!("hostile traffic: on the embedded broker (SPARKPLUG_TEST_MQTT_URL unset)"),
    }
    let running = start(&config, Parts::ALL).await.unwrap();
    let url = running.broker.clone();
    let addr = running.api_addr.expect("the API runs");

    // The independent observer: another host application, its own records.
    let observer = HostApplication::new(HostConfig::new(
        HostId::new(format!("Observer{pid}")).unwrap(),
    ));
    let (observer_handle, mut observer_events, observer_task) =
        run_host(observer, MqttConfig::new(url.clone()));
    let seen: Arc<Mutex<BTreeSet<Key>>> = Arc::default();
    let seen_by_observer = Arc::clone(&seen);
    let plant = Source::node(group.clone(), "Plant1");
    let plant_node = plant.node.clone();
    let plant_group = plant.group.clone();
    let collector = tokio::spawn(async move {
        let mut builder = RecordBuilder::new();
        while let Some(event) = observer_events.recv().await {
            let RunnerEvent::Session(event) = event else {
                continue;
            };
            let mut batch = Batch::new();
            builder.push_event(&event, &mut batch);
            let mut seen = seen_by_observer.lock().unwrap();
            for s in batch.samples() {
                if s.source.group == plant_group && s.source.node == plant_node {
                    seen.insert((
                        s.source.to_string(),
                        s.metric.to_string(),
                        s.timestamp_ms,
                        s.is_historical,
                    ));
                }
            }
        }
    });

    let until = |what: &'static str, secs: u64| {
        move |ok: bool, at: Instant| {
            assert!(
                ok || at.elapsed() < Duration::from_secs(secs),
                "timed out waiting for {what}"
            );
            ok
        }
    };
    let online = until("the plant online", 30);
    let t0 = Instant::now();
    while !online(
        get(addr, &format!("/api/v1/nodes/{group}/Plant1"))
            .await
            .json()["online"]
            == true,
        t0,
    ) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    attack(&url, hostile_messages(&group, &host_id)).await;
    assert_eq!(
        get(addr, "/api/v1/nodes").await.status,
        200,
        "the API answers"
    );

    // The plant comes back from the forged STATE and keeps publishing.
    // The forged STATE took it offline (its NDEATH is a death) and it was born again.
    let back = until("the plant back online after the forged STATE", 30);
    let t1 = Instant::now();
    while !back(
        {
            let node = get(addr, &format!("/api/v1/nodes/{group}/Plant1"))
                .await
                .json();
            node["online"] == true && node["deaths"].as_u64().is_some_and(|d| d >= 1)
        },
        t1,
    ) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let metrics_after = running.metrics_received();
    let flowing = until("data after the recovery", 20);
    let t2 = Instant::now();
    while !flowing(running.metrics_received() > metrics_after, t2) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Everything the observer saw up to now must reach the store.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let expected: BTreeSet<Key> = seen.lock().unwrap().clone();
    assert!(
        expected.len() > 10,
        "the observer saw {} samples",
        expected.len()
    );
    let store = SqlStore::connect(&config.storage.database_url())
        .await
        .unwrap();
    let query = store.query();
    let stored_all = until("every sample of the plant in the store", 30);
    let t3 = Instant::now();
    loop {
        let mut stored = BTreeSet::new();
        let sources: BTreeSet<String> = expected.iter().map(|k| k.0.clone()).collect();
        for name in &sources {
            let source = match name.split('/').collect::<Vec<_>>()[..] {
                [g, n] => Source::node(g, n),
                [g, n, d] => Source::device(g, n, d),
                _ => unreachable!("{name}"),
            };
            for metric in query.metrics(&source).await.unwrap() {
                let rows = query
                    .history(&source, &metric.name, TimeRange::all(), 1_000_000)
                    .await
                    .unwrap();
                for row in rows {
                    stored.insert((
                        name.clone(),
                        metric.name.clone(),
                        row.timestamp_ms,
                        row.is_historical,
                    ));
                }
            }
        }
        let missing: Vec<&Key> = expected.difference(&stored).collect();
        if stored_all(missing.is_empty(), t3) {
            break;
        }
        if t3.elapsed() > Duration::from_secs(29) {
            panic!(
                "{} of {} samples missing: {:?}",
                missing.len(),
                expected.len(),
                &missing[..missing.len().min(5)]
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // The app counted what it was sent, and no junk became a node.
    let counted = until("the host's counters mirrored", 10);
    let t4 = Instant::now();
    while !counted(
        get(addr, "/metrics")
            .await
            .body
            .contains("iceplant_stale_ndeaths_ignored_total 1"),
        t4,
    ) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let metrics_text = get(addr, "/metrics").await.body;
    let counter = |name: &str| -> u64 {
        metrics_text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("iceplant_{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} on /metrics:\n{metrics_text}"))
    };
    assert!(counter("undecodable_payloads_total") >= 200);
    let nodes = get(addr, "/api/v1/nodes").await;
    assert_eq!(nodes.status, 200);
    assert!(
        !nodes.body.contains("junk") && !nodes.body.contains("truncated"),
        "junk became a node: {}",
        nodes.body
    );
    assert!(
        running.status().contains("undecodable"),
        "{}",
        running.status()
    );

    observer_handle.shutdown().await;
    let _ = observer_task.await;
    let _ = collector.await;
    running.shutdown().await.unwrap();
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("hostile traffic test took {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(90));
}
