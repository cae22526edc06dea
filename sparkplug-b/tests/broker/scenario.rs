//! The scenarios, each against any broker.

use std::time::Duration;

use sparkplug_b::Value;
use sparkplug_b::driver::{
    Backoff, BrokerUrl, DriverError, EventReceiver, HostHandle, MemoryBdSeqStore, MqttConfig,
    RunnerEvent, clock, run_edge_node, run_host,
};
use sparkplug_b::session::host::{MetricUpdate, OwnStateResponse};
use sparkplug_b::session::{
    BdSeq, BdSeqStore, EdgeEvent, EdgeNode, EdgeNodeConfig, FileBdSeqStore, HostApplication,
    HostConfig, HostEvent, MetricSpec,
};
use tokio::task::JoinHandle;

use sparkplug_b::topic::{DeviceId, EdgeNodeId, GroupId, HostId, MessageType};

use crate::support::{bounded, clear_state, host_state_birth, start_rumqttd, unique, wait_for};

fn mqtt(url: &BrokerUrl) -> MqttConfig {
    MqttConfig::new(url.clone())
        .with_keep_alive(Duration::from_secs(5))
        .with_connect_timeout(Duration::from_secs(2))
        .with_backoff(
            Backoff::default().with_delays(Duration::from_millis(50), Duration::from_millis(500)),
        )
}

/// The ids of one scenario run.
struct Ids {
    group: GroupId,
    node: EdgeNodeId,
    host: HostId,
    pump: DeviceId,
}

impl Ids {
    fn new() -> Self {
        Ids {
            group: GroupId::new(unique("G")).unwrap(),
            node: EdgeNodeId::new("Node1").unwrap(),
            host: HostId::new(unique("H")).unwrap(),
            pump: DeviceId::new("Pump1").unwrap(),
        }
    }

    fn ours(&self, group: &GroupId, node: &EdgeNodeId) -> bool {
        *group == self.group && *node == self.node
    }

    fn host(&self) -> HostApplication {
        HostApplication::new(HostConfig::new(self.host.clone()).with_client_id(unique("hc")))
    }

    /// An edge node with two node metrics and one device; waiting for our host as its
    /// primary when `primary` is set.
    fn edge(&self, primary: bool, last_bd_seq: Option<BdSeq>) -> EdgeNode {
        let mut config =
            EdgeNodeConfig::new(self.group.clone(), self.node.clone()).with_client_id(unique("ec"));
        if primary {
            config = config.with_primary_host(self.host.clone());
        }
        self.edge_with(config, last_bd_seq)
    }

    /// The edge node of [`Ids::edge`] with our host as its primary, giving up on a server
    /// where the host is not online within `wait`.
    fn edge_waiting(&self, wait: Duration) -> EdgeNode {
        let config = EdgeNodeConfig::new(self.group.clone(), self.node.clone())
            .with_client_id(unique("ec"))
            .with_primary_host(self.host.clone())
            .with_primary_host_wait(Some(wait));
        self.edge_with(config, None)
    }

    fn edge_with(&self, config: EdgeNodeConfig, last_bd_seq: Option<BdSeq>) -> EdgeNode {
        let now = clock::now();
        let mut node = EdgeNode::new(config, last_bd_seq);
        node.add_node_metrics(
            now,
            [
                MetricSpec::with_initial("Temp", 20.5),
                MetricSpec::with_initial("Setpoint", 18.0),
            ],
        )
        .unwrap();
        node.add_device(
            now,
            self.pump.clone(),
            [MetricSpec::with_initial("Speed", 1200i32)],
        )
        .unwrap();
        node
    }
}

/// A clean shutdown of the host, and its retained STATE cleared from the broker.
async fn stop_host(
    host: HostHandle,
    task: JoinHandle<Result<(), DriverError>>,
    url: &BrokerUrl,
    id: &HostId,
) {
    bounded("the host's shutdown", host.shutdown()).await;
    bounded("the host's task", task).await.unwrap().unwrap();
    clear_state(url, id).await;
}

fn value_of(metrics: &[MetricUpdate], name: &str) -> Option<Value> {
    metrics
        .iter()
        .find(|m| m.name() == name)
        .and_then(|m| m.value().cloned())
}

/// Waits for our node's NBIRTH at the host; gives its bdSeq.
async fn node_online(
    events: &mut EventReceiver<HostEvent>,
    ids: &Ids,
    what: &str,
) -> Option<BdSeq> {
    wait_for(events, what, |e| match e {
        RunnerEvent::Session(HostEvent::NodeOnline {
            group,
            node,
            bd_seq,
            ..
        }) if ids.ours(&group, &node) => Some(bd_seq),
        _ => None,
    })
    .await
}

/// Waits for an NDATA of our node at the host; gives its metrics.
async fn node_data(
    events: &mut EventReceiver<HostEvent>,
    ids: &Ids,
    what: &str,
) -> Vec<MetricUpdate> {
    wait_for(events, what, |e| match e {
        RunnerEvent::Session(HostEvent::Metrics {
            group,
            node,
            message_type: MessageType::NData,
            metrics,
            ..
        }) if ids.ours(&group, &node) => Some(metrics),
        _ => None,
    })
    .await
}

/// Waits for our node's death at the host; gives the bdSeq it was acted on with.
async fn node_offline(
    events: &mut EventReceiver<HostEvent>,
    ids: &Ids,
    what: &str,
) -> Option<BdSeq> {
    wait_for(events, what, |e| match e {
        RunnerEvent::Session(HostEvent::NodeOffline {
            group,
            node,
            bd_seq,
            ..
        }) if ids.ours(&group, &node) => Some(bd_seq),
        _ => None,
    })
    .await
}

/// Host and edge node: the host sees the node online with its metrics and its data, a write
/// from the host reaches the edge as a command event, and the edge's shutdown makes the node
/// offline at the host.
pub(crate) async fn host_and_edge(url: BrokerUrl) {
    let ids = Ids::new();
    let (host, mut host_events, host_task) = run_host(ids.host(), mqtt(&url));
    host_state_birth(&mut host_events).await;

    let store = MemoryBdSeqStore::default();
    let (edge, mut edge_events, edge_task) = run_edge_node(ids.edge(true, None), mqtt(&url), store);
    wait_for(&mut edge_events, "the edge's births", |e| {
        matches!(e, RunnerEvent::Session(EdgeEvent::Online)).then_some(())
    })
    .await;

    let birth = wait_for(&mut host_events, "the NBIRTH's metrics", |e| match e {
        RunnerEvent::Session(HostEvent::Metrics {
            group,
            node,
            device: None,
            message_type: MessageType::NBirth,
            bd_seq,
            metrics,
            ..
        }) if ids.ours(&group, &node) => Some((bd_seq, metrics)),
        _ => None,
    })
    .await;
    assert_eq!(birth.0, Some(BdSeq::new(0)));
    assert_eq!(value_of(&birth.1, "Temp"), Some(Value::Double(20.5)));
    let device = wait_for(&mut host_events, "the DBIRTH's metrics", |e| match e {
        RunnerEvent::Session(HostEvent::Metrics {
            group,
            node,
            device: Some(device),
            message_type: MessageType::DBirth,
            metrics,
            ..
        }) if ids.ours(&group, &node) => Some((device, metrics)),
        _ => None,
    })
    .await;
    assert_eq!(device.0, ids.pump);
    assert_eq!(value_of(&device.1, "Speed"), Some(Value::Int32(1200)));

    // Data by exception.
    edge.set_metric(None, "Temp", 21.25).await.unwrap();
    edge.flush().await.unwrap();
    let data = node_data(&mut host_events, &ids, "the NDATA").await;
    assert_eq!(value_of(&data, "Temp"), Some(Value::Double(21.25)));
    let (group, node) = (ids.group.clone(), ids.node.clone());
    let online = host
        .inspect(move |h| h.node(&group, &node).map(|n| n.is_online()))
        .await
        .unwrap();
    assert_eq!(online, Some(true));

    // Writes from the host reach the edge as commands: NCMD and DCMD.
    host.write_metric(&ids.group, &ids.node, None, "Setpoint", 19.5)
        .await
        .unwrap();
    let command = wait_for(&mut edge_events, "the NCMD", |e| match e {
        RunnerEvent::Session(EdgeEvent::Command {
            device: None,
            name,
            value,
        }) => Some((name, value)),
        _ => None,
    })
    .await;
    assert_eq!(command, ("Setpoint".to_owned(), Value::Double(19.5)));
    host.write_metric(&ids.group, &ids.node, Some(&ids.pump), "Speed", 900i32)
        .await
        .unwrap();
    let command = wait_for(&mut edge_events, "the DCMD", |e| match e {
        RunnerEvent::Session(EdgeEvent::Command {
            device: Some(device),
            name,
            value,
        }) => Some((device, name, value)),
        _ => None,
    })
    .await;
    assert_eq!(
        command,
        (ids.pump.clone(), "Speed".to_owned(), Value::Int32(900))
    );

    // A clean shutdown: NDEATH, then the node is offline at the host.
    bounded("the edge's shutdown", edge.shutdown()).await;
    assert!(edge.is_stopped());
    bounded("the edge's task", edge_task)
        .await
        .unwrap()
        .unwrap();
    let offline = node_offline(&mut host_events, &ids, "the NDEATH").await;
    assert_eq!(offline, Some(BdSeq::new(0)));
    assert_eq!(edge.flush().await, Err(sparkplug_b::driver::RunnerStopped));

    stop_host(host, host_task, &url, &ids.host).await;
}

/// An edge node whose connection drops without a DISCONNECT: the broker publishes its Will,
/// the NDEATH with the session's bdSeq, and the host marks it offline.
pub(crate) async fn will_on_connection_loss(url: BrokerUrl) {
    let ids = Ids::new();
    let (host, mut host_events, host_task) = run_host(ids.host(), mqtt(&url));
    host_state_birth(&mut host_events).await;
    let node = ids.edge(false, Some(BdSeq::new(41)));
    let (edge, _edge_events, edge_task) =
        run_edge_node(node, mqtt(&url), MemoryBdSeqStore::default());
    let online = node_online(&mut host_events, &ids, "the NBIRTH").await;
    assert_eq!(online, Some(BdSeq::new(42)));

    // Kill the runner: its connection task is aborted and the socket closed, no DISCONNECT.
    edge_task.abort();
    assert!(bounded("the edge's task", edge_task).await.is_err());
    let offline = node_offline(&mut host_events, &ids, "the Will's NDEATH").await;
    assert_eq!(offline, Some(BdSeq::new(42)));
    assert!(edge.is_stopped());
    stop_host(host, host_task, &url, &ids.host).await;
}

/// An edge node started before its broker: each attempt is a new CONNECT with the next
/// bdSeq in its Will, saved to the store; once the broker is up the births carry the bdSeq of
/// the CONNECT that succeeded.
pub(crate) async fn reconnect_with_new_bd_seq() {
    let dir = std::env::temp_dir().join(unique("sparkplug-driver-"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut store = FileBdSeqStore::new(dir.join("bdseq"));
    let port = crate::support::free_port();
    let url = BrokerUrl::new("127.0.0.1", port);
    let ids = Ids::new();

    let node = ids.edge(true, store.load().unwrap());
    let (edge, mut edge_events, edge_task) = run_edge_node(node, mqtt(&url), store.clone());
    for attempt in 1..=2 {
        wait_for(
            &mut edge_events,
            "a failed connection attempt",
            |e| match e {
                RunnerEvent::ConnectionLost { reconnect_in, .. } => {
                    assert!(
                        reconnect_in <= Duration::from_millis(500),
                        "{attempt}: {reconnect_in:?}"
                    );
                    Some(())
                }
                _ => None,
            },
        )
        .await;
    }

    start_rumqttd(port, None);
    let (host, mut host_events, host_task) = run_host(ids.host(), mqtt(&url));
    let bd_seq = node_online(&mut host_events, &ids, "the NBIRTH")
        .await
        .expect("the NBIRTH carries a bdSeq");
    assert!(
        bd_seq.value() >= 2,
        "bdSeq {bd_seq} after at least two failed attempts"
    );
    assert_eq!(store.load().unwrap(), Some(bd_seq));

    bounded("the edge's shutdown", edge.shutdown()).await;
    bounded("the edge's task", edge_task)
        .await
        .unwrap()
        .unwrap();
    stop_host(host, host_task, &url, &ids.host).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// With `max_attempts`, a runner that cannot reach its broker stops with `GaveUp`.
pub(crate) async fn gives_up(url: BrokerUrl) {
    let ids = Ids::new();
    let config = mqtt(&url).with_backoff(
        Backoff::default()
            .with_delays(Duration::from_millis(10), Duration::from_millis(20))
            .with_max_attempts(Some(3)),
    );
    let (edge, mut events, task) =
        run_edge_node(ids.edge(false, None), config, MemoryBdSeqStore::default());
    let result = bounded("the runner to give up", task).await.unwrap();
    assert!(
        matches!(result, Err(DriverError::GaveUp { attempts: 3, .. })),
        "{result:?}"
    );
    let mut lost = 0;
    while let Ok(event) = events.try_recv() {
        lost += usize::from(matches!(event, RunnerEvent::ConnectionLost { .. }));
    }
    assert_eq!(lost, 2);
    assert!(edge.is_stopped());
}

/// The Primary Host goes offline: the edge node publishes its NDEATH, disconnects, connects
/// again with the next bdSeq and waits; when the host is back, it is born again.
pub(crate) async fn primary_host_offline_and_back(url: BrokerUrl) {
    let ids = Ids::new();
    let (host, mut host_events, host_task) = run_host(ids.host(), mqtt(&url));
    let store = MemoryBdSeqStore::default();
    let (edge, mut edge_events, edge_task) = run_edge_node(ids.edge(true, None), mqtt(&url), store);
    let first = node_online(&mut host_events, &ids, "the first NBIRTH").await;
    assert_eq!(first, Some(BdSeq::new(0)));

    stop_host(host, host_task, &url, &ids.host).await;
    wait_for(&mut edge_events, "the host's offline STATE", |e| {
        matches!(
            e,
            RunnerEvent::Session(EdgeEvent::PrimaryHostOffline { .. })
        )
        .then_some(())
    })
    .await;
    wait_for(&mut edge_events, "the edge's reconnection", |e| {
        matches!(e, RunnerEvent::Connected { .. }).then_some(())
    })
    .await;

    // A new host with the same id (a later CONNECT, so a later STATE timestamp).
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (host, mut host_events, host_task) = run_host(ids.host(), mqtt(&url));
    let second = wait_for(
        &mut host_events,
        "the NBIRTH after the host came back",
        |e| match e {
            RunnerEvent::Session(HostEvent::NodeOnline {
                group,
                node,
                bd_seq,
                ..
            }) if ids.ours(&group, &node) => Some(bd_seq),
            _ => None,
        },
    )
    .await;
    assert_eq!(second, Some(BdSeq::new(1)));

    bounded("the edge's shutdown", edge.shutdown()).await;
    bounded("the edge's task", edge_task)
        .await
        .unwrap()
        .unwrap();
    stop_host(host, host_task, &url, &ids.host).await;
}

/// A broker that does not answer: the runner moves on to the next server of its list.
pub(crate) async fn next_server_after_a_failed_attempt(url: BrokerUrl) {
    let ids = Ids::new();
    let (host, mut host_events, host_task) = run_host(ids.host(), mqtt(&url));
    host_state_birth(&mut host_events).await;
    let dead = BrokerUrl::new("127.0.0.1", crate::support::free_port());
    let config = mqtt(&dead).with_servers([url.clone()]);
    let (edge, mut edge_events, edge_task) =
        run_edge_node(ids.edge(false, None), config, MemoryBdSeqStore::default());
    let broker = wait_for(
        &mut edge_events,
        "a connection to the second server",
        |e| match e {
            RunnerEvent::Connected { broker } => Some(broker),
            _ => None,
        },
    )
    .await;
    assert_eq!(broker, format!("{}:{}", url.host(), url.port()));
    node_online(
        &mut host_events,
        &ids,
        "the NBIRTH through the second server",
    )
    .await;
    bounded("the edge's shutdown", edge.shutdown()).await;
    bounded("the edge's task", edge_task)
        .await
        .unwrap()
        .unwrap();
    stop_host(host, host_task, &url, &ids.host).await;
}

/// tck-id-operational-behavior-edge-node-termination-host-offline-reconnect: when the Primary
/// Host goes offline the edge node publishes NDEATH, disconnects and connects to the next
/// server in its list (here another listener of the same broker, `second`).
pub(crate) async fn primary_host_offline_next_server(first: BrokerUrl, second: BrokerUrl) {
    let ids = Ids::new();
    let (host, mut host_events, host_task) = run_host(ids.host(), mqtt(&first));
    let config = mqtt(&first).with_servers([second.clone()]);
    let (edge, mut edge_events, edge_task) =
        run_edge_node(ids.edge(true, None), config, MemoryBdSeqStore::default());
    node_online(&mut host_events, &ids, "the NBIRTH on the first server").await;
    let connected = |e: RunnerEvent<EdgeEvent>| match e {
        RunnerEvent::Connected { broker } => Some(broker),
        _ => None,
    };
    let broker = wait_for(&mut edge_events, "the first connection", connected).await;
    assert_eq!(broker, format!("{}:{}", first.host(), first.port()));
    stop_host(host, host_task, &first, &ids.host).await;
    wait_for(&mut edge_events, "the host's offline STATE", |e| {
        matches!(
            e,
            RunnerEvent::Session(EdgeEvent::PrimaryHostOffline { .. })
        )
        .then_some(())
    })
    .await;
    let broker = wait_for(&mut edge_events, "the move to the next server", connected).await;
    assert_eq!(broker, format!("{}:{}", second.host(), second.port()));
    bounded("the edge's shutdown", edge.shutdown()).await;
    bounded("the edge's task", edge_task)
        .await
        .unwrap()
        .unwrap();
}

/// Publishes a retained `online:false` STATE for `host`, dated `timestamp`, from a client of its
/// own (a forger), and waits for its PUBACK.
async fn forge_offline_state(url: &BrokerUrl, host: &HostId, timestamp: u64) {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    let mut options = MqttOptions::new(unique("forger"), url.host(), url.port());
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut eventloop) = AsyncClient::new(options, 10);
    let payload = format!(r#"{{"online":false,"timestamp":{timestamp}}}"#);
    client
        .publish(
            format!("spBv1.0/STATE/{host}"),
            QoS::AtLeastOnce,
            true,
            payload,
        )
        .await
        .unwrap();
    bounded("the forged STATE's PUBACK", async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => break,
                Ok(_) => {}
                Err(e) => panic!("the forger's connection failed: {e}"),
            }
        }
    })
    .await;
    let _ = client.disconnect().await;
    let _ = bounded("the forger's DISCONNECT", eventloop.poll()).await;
}

/// tck-id-operational-behavior-edge-node-termination-host-offline,
/// tck-id-operational-behavior-edge-node-termination-host-offline-reconnect,
/// tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp,
/// tck-id-host-topic-phid-birth-payload-timestamp: another client publishes a retained
/// `online:false` for our host id, dated now. The edge node driver publishes its NDEATH and
/// reconnects; the host driver names it (`OwnStateOffline`, `NewSession`), reconnects with a
/// newer STATE birth, the edge node is born again (bdSeq 1) and its data reaches the host.
pub(crate) async fn forged_offline_state_recovers(url: BrokerUrl) {
    let ids = Ids::new();
    let (host, mut host_events, host_task) = run_host(ids.host(), mqtt(&url));
    host_state_birth(&mut host_events).await;
    let store = MemoryBdSeqStore::default();
    let (edge, mut edge_events, edge_task) = run_edge_node(ids.edge(true, None), mqtt(&url), store);
    let first = node_online(&mut host_events, &ids, "the first NBIRTH").await;
    assert_eq!(first, Some(BdSeq::new(0)));

    let forged = clock::now().as_millis();
    let started = std::time::Instant::now();
    forge_offline_state(&url, &ids.host, forged).await;
    wait_for(&mut edge_events, "the edge node stopping", |e| match e {
        RunnerEvent::Session(EdgeEvent::PrimaryHostOffline { timestamp }) => {
            assert_eq!(timestamp, forged);
            Some(())
        }
        _ => None,
    })
    .await;
    let response = wait_for(
        &mut host_events,
        "the host naming the forgery",
        |e| match e {
            RunnerEvent::Session(HostEvent::OwnStateOffline {
                timestamp,
                response,
                ..
            }) if timestamp == forged => Some(response),
            _ => None,
        },
    )
    .await;
    let OwnStateResponse::NewSession { next_timestamp } = response else {
        panic!("a new session, got {response:?}");
    };
    assert!(next_timestamp.as_millis() > forged);
    let birth = wait_for(&mut host_events, "the new STATE birth", |e| match e {
        RunnerEvent::Session(HostEvent::StateBirthPublished { timestamp }) => Some(timestamp),
        _ => None,
    })
    .await;
    assert!(birth.as_millis() > forged, "{birth} after {forged}");
    let again = node_online(&mut host_events, &ids, "the NBIRTH after the recovery").await;
    // A new MQTT session of the edge node (one or, when a reconnect attempt races the host's
    // new session, more).
    assert!(
        again.is_some_and(|b| b.value() >= 1),
        "the NBIRTH after the recovery has bdSeq {again:?}"
    );

    edge.set_metric(None, "Temp", 22.75).await.unwrap();
    edge.flush().await.unwrap();
    let data = node_data(&mut host_events, &ids, "the NDATA after the recovery").await;
    assert_eq!(value_of(&data, "Temp"), Some(Value::Double(22.75)));
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "data flowed again after {took:?}"
    );

    bounded("the edge's shutdown", edge.shutdown()).await;
    bounded("the edge's task", edge_task)
        .await
        .unwrap()
        .unwrap();
    stop_host(host, host_task, &url, &ids.host).await;
}

/// The edge's runner events from here until it is connected to `broker`; panics if it
/// connects anywhere else first, or connects again without leaving the session before
/// (tck-id-operational-behavior-primary-application-state-with-multiple-servers-single-server:
/// one server at a time).
async fn connected_to(events: &mut EventReceiver<EdgeEvent>, broker: &BrokerUrl, what: &str) {
    let want = format!("{}:{}", broker.host(), broker.port());
    let got = wait_for(events, what, |e| match e {
        RunnerEvent::Connected { broker } => Some(broker),
        _ => None,
    })
    .await;
    assert_eq!(got, want, "{what}");
}

/// Waits until the edge leaves its session (its `Offline` event).
async fn left(events: &mut EventReceiver<EdgeEvent>, what: &str) {
    wait_for(events, what, |e| match e {
        RunnerEvent::Session(EdgeEvent::Offline) => Some(()),
        RunnerEvent::Connected { broker } => {
            panic!("{what}: connected to {broker} before leaving the session")
        }
        _ => None,
    })
    .await;
}

/// tck-id-operational-behavior-primary-application-state-with-multiple-servers-walk,
/// tck-id-operational-behavior-edge-node-termination-host-offline-reconnect,
/// tck-id-operational-behavior-primary-application-state-with-multiple-servers-single-server:
/// the Primary Host is online only on server B. The edge node starts on A, gives up after its
/// `primary_host_wait` (NDEATH, disconnect), leaves A before it connects to B, is born on B
/// with the next bdSeq and its data reaches the host. Then an NCMD `Node Control/Next Server`
/// moves it to A (round-robin), where it again waits, gives up and comes back to B.
pub(crate) async fn walks_to_the_server_of_the_primary_host(a: BrokerUrl, b: BrokerUrl) {
    use sparkplug_b::session::edge::{NODE_CONTROL_NEXT_SERVER, NodeControl};
    let ids = Ids::new();
    let (host, mut host_events, host_task) = run_host(ids.host(), mqtt(&b));
    host_state_birth(&mut host_events).await;
    let mut node = ids.edge_waiting(Duration::from_millis(500));
    node.add_node_control(clock::now(), NodeControl::NextServer)
        .unwrap();
    let config = mqtt(&a).with_servers([b.clone()]);
    let (edge, mut edge_events, edge_task) =
        run_edge_node(node, config, MemoryBdSeqStore::default());
    connected_to(&mut edge_events, &a, "the first connection, to A").await;
    left(&mut edge_events, "the wait on A to expire").await;
    connected_to(&mut edge_events, &b, "the walk to B").await;
    let bd_seq = node_online(&mut host_events, &ids, "the NBIRTH on B").await;
    assert_eq!(bd_seq, Some(BdSeq::new(1)), "A's session took bdSeq 0");
    edge.set_metric(None, "Temp", 22.5).await.unwrap();
    edge.flush().await.unwrap();
    let data = node_data(&mut host_events, &ids, "the NDATA on B").await;
    assert_eq!(value_of(&data, "Temp"), Some(Value::Double(22.5)));

    // Node Control/Next Server: to A, and back to B when the host is not there either.
    bounded(
        "the Next Server NCMD",
        host.write_metric(&ids.group, &ids.node, None, NODE_CONTROL_NEXT_SERVER, true),
    )
    .await
    .unwrap();
    wait_for(&mut edge_events, "the Next Server request", |e| {
        matches!(e, RunnerEvent::Session(EdgeEvent::NextServerRequested)).then_some(())
    })
    .await;
    connected_to(&mut edge_events, &a, "the move to A").await;
    left(&mut edge_events, "the wait on A to expire again").await;
    connected_to(&mut edge_events, &b, "the walk back to B").await;
    let bd_seq = node_online(&mut host_events, &ids, "the NBIRTH back on B").await;
    assert_eq!(bd_seq, Some(BdSeq::new(3)));

    bounded("the edge's shutdown", edge.shutdown()).await;
    bounded("the edge's task", edge_task)
        .await
        .unwrap()
        .unwrap();
    stop_host(host, host_task, &b, &ids.host).await;
}

/// tck-id-operational-behavior-edge-node-termination-host-offline-reconnect,
/// tck-id-operational-behavior-primary-application-state-with-multiple-servers-single-server:
/// the edge node is born on a Mosquitto of the test's own (a host with our id online there
/// and on `second`); that broker is killed; the edge node walks on to `second`, leaves the
/// dead session before it connects there (after one failed retry of the dead one), is born
/// with a later bdSeq and its data reaches the host there.
pub(crate) async fn walks_on_when_a_server_dies(
    mut first: crate::support::Mosquitto,
    second: BrokerUrl,
) {
    let ids = Ids::new();
    let (host_a, mut host_a_events, host_a_task) = run_host(ids.host(), mqtt(&first.url));
    host_state_birth(&mut host_a_events).await;
    let (host_b, mut host_b_events, host_b_task) = run_host(ids.host(), mqtt(&second));
    host_state_birth(&mut host_b_events).await;
    let config = mqtt(&first.url).with_servers([second.clone()]);
    let (edge, mut edge_events, edge_task) =
        run_edge_node(ids.edge(true, None), config, MemoryBdSeqStore::default());
    connected_to(&mut edge_events, &first.url, "the first connection").await;
    let bd_seq = node_online(&mut host_a_events, &ids, "the NBIRTH on the first server").await;
    assert_eq!(bd_seq, Some(BdSeq::new(0)));

    first.kill();
    left(&mut edge_events, "the session on the killed server to end").await;
    connected_to(&mut edge_events, &second, "the walk to the second server").await;
    let bd_seq = node_online(&mut host_b_events, &ids, "the NBIRTH on the second server").await;
    // A broken connection is retried on the same server first; that failed CONNECT took
    // bdSeq 1 (every CONNECT carries a Will of its own bdSeq).
    assert!(
        bd_seq == Some(BdSeq::new(1)) || bd_seq == Some(BdSeq::new(2)),
        "a later bdSeq on the second server: {bd_seq:?}"
    );
    edge.set_metric(None, "Temp", 23.5).await.unwrap();
    edge.flush().await.unwrap();
    let data = node_data(&mut host_b_events, &ids, "the NDATA on the second server").await;
    assert_eq!(value_of(&data, "Temp"), Some(Value::Double(23.5)));

    bounded("the edge's shutdown", edge.shutdown()).await;
    bounded("the edge's task", edge_task)
        .await
        .unwrap()
        .unwrap();
    // The first host only retries a dead broker: its shutdown ends it while idle.
    bounded("the first host's shutdown", host_a.shutdown()).await;
    let _ = bounded("the first host's task", host_a_task).await;
    stop_host(host_b, host_b_task, &second, &ids.host).await;
}
