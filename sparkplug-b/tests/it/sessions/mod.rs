//! End-to-end scenarios of the Sparkplug sessions: an [`EdgeNode`] and a [`HostApplication`]
//! joined by the harness broker on a simulated clock, one file per area of the TCK (edge:
//! session establishment, send data, receive rebirth, primary host, termination; host: session
//! establishment, own STATE, commands, NDEATH/DDEATH marking, reordering).
//!
//! Each test names the `tck-id-*` assertions it checks, and ends with [`check_wire`], which
//! decodes and checks everything both peers put on the wire: every edge publish validates clean,
//! has the QoS and retain flag of its message type and the seq/bdSeq the session calls for;
//! every host session publishes its STATE birth first, with the timestamp of its Will.

mod commands;
mod data;
mod death;
mod establishment;
mod forged_state;
mod host_state;
mod primary_host;
mod rebirth;
mod reordering;
mod store_forward;
mod termination;

use core::time::Duration;

use sparkplug_b::session::host::{
    DeviceState, HostConfig, HostEvent, MetricState, MetricUpdate, NodeState, OwnStateOffline,
    OwnStateResponse,
};
use sparkplug_b::session::{
    EdgeEvent, EdgeNode, EdgeNodeConfig, EdgeState, HostApplication, MetricSpec, Publish, QoS,
    Timestamp,
};
use sparkplug_b::topic::{DeviceId, EdgeNodeId, GroupId, HostId, MessageType, StateMessage, Topic};
use sparkplug_b::validate::{BDSEQ, NODE_CONTROL_REBIRTH, validate};
use sparkplug_b::{DataType, Metric, Payload, Value};

use crate::harness::{Event, START, Sim, impl_peer};

impl_peer!(EdgeNode);
impl_peer!(HostApplication);

/// The peer name of the host application in every scenario.
const HOST: &str = "host";
/// The peer name of the edge node in every scenario.
const EDGE: &str = "edge";

const STATE: &str = "spBv1.0/STATE/scada";
const NBIRTH: &str = "spBv1.0/Plant/NBIRTH/Line1";
const NDEATH: &str = "spBv1.0/Plant/NDEATH/Line1";
const NDATA: &str = "spBv1.0/Plant/NDATA/Line1";
const NCMD: &str = "spBv1.0/Plant/NCMD/Line1";
const PUMP_DBIRTH: &str = "spBv1.0/Plant/DBIRTH/Line1/Pump";
const PUMP_DDATA: &str = "spBv1.0/Plant/DDATA/Line1/Pump";
const PUMP_DDEATH: &str = "spBv1.0/Plant/DDEATH/Line1/Pump";
const PUMP_DCMD: &str = "spBv1.0/Plant/DCMD/Line1/Pump";
const TANK_DBIRTH: &str = "spBv1.0/Plant/DBIRTH/Line1/Tank";
const TANK_DDATA: &str = "spBv1.0/Plant/DDATA/Line1/Tank";

/// The host's reorder timeout.
const REORDER_TIMEOUT: Duration = Duration::from_secs(2);

fn group() -> GroupId {
    GroupId::new("Plant").expect("a valid group id")
}

fn node_id() -> EdgeNodeId {
    EdgeNodeId::new("Line1").expect("a valid edge node id")
}

fn host_id() -> HostId {
    HostId::new("scada").expect("a valid host id")
}

fn pump() -> DeviceId {
    DeviceId::new("Pump").expect("a valid device id")
}

fn tank() -> DeviceId {
    DeviceId::new("Tank").expect("a valid device id")
}

/// `Plant/Line1`, waiting for the primary host `scada`, with aliases.
fn edge_config() -> EdgeNodeConfig {
    EdgeNodeConfig::new(group(), node_id())
        .with_primary_host(host_id())
        .with_aliases(true)
}

/// Host `scada` with a reorder timeout of [`REORDER_TIMEOUT`].
fn host_config() -> HostConfig {
    HostConfig::new(host_id()).with_reorder_timeout(REORDER_TIMEOUT)
}

/// The standard edge node: node metrics Temperature (Double), Offset (Int8), Counter (UInt32)
/// and Label (String, null); device Pump with Speed (Float), Running (Boolean) and Setpoint
/// (Int32); device Tank with Level (UInt16) and Profile (Int16Array).
fn standard_edge(config: EdgeNodeConfig) -> EdgeNode {
    let mut edge = EdgeNode::new(config, None);
    edge.add_node_metrics(
        START,
        [
            MetricSpec::with_initial("Temperature", 20.5),
            MetricSpec::with_initial("Offset", 0i8),
            MetricSpec::with_initial("Counter", 0u32),
            MetricSpec::new("Label", DataType::String),
        ],
    )
    .expect("valid node metrics");
    edge.add_device(
        START,
        pump(),
        [
            MetricSpec::with_initial("Speed", 0.0f32),
            MetricSpec::with_initial("Running", false),
            MetricSpec::with_initial("Setpoint", 0i32),
        ],
    )
    .expect("a valid device");
    edge.add_device(
        START,
        tank(),
        [
            MetricSpec::with_initial("Level", 0u16),
            MetricSpec::with_initial("Profile", vec![0i16, 0, 0]),
        ],
    )
    .expect("a valid device");
    edge
}

/// A world of the host and the edge node, both disconnected; the host is polled first.
fn world(edge: EdgeNode, host: HostConfig) -> Sim {
    let mut sim = Sim::new();
    sim.add_peer(HOST, HostApplication::new(host));
    sim.add_peer(EDGE, edge);
    sim
}

/// The standard pair, the host connected first, then the edge node; both online, their events
/// drained.
fn online_pair() -> Sim {
    online_pair_with(standard_edge(edge_config()), host_config())
}

/// [`online_pair`] with other peers.
fn online_pair_with(edge: EdgeNode, host: HostConfig) -> Sim {
    let mut sim = world(edge, host);
    sim.connect(HOST);
    sim.run_until_idle();
    sim.connect(EDGE);
    sim.run_until_idle();
    assert_eq!(sim.edge().state(), EdgeState::Online);
    sim.host_events();
    sim.edge_events();
    sim
}

/// Access to the two peers of a scenario.
trait Scenario {
    fn edge(&mut self) -> &mut EdgeNode;
    fn host(&mut self) -> &mut HostApplication;
    fn host_events(&mut self) -> Vec<HostEvent>;
    fn edge_events(&mut self) -> Vec<EdgeEvent>;
    /// `set_metric` then `flush` on the edge node at the current time, and let it settle.
    fn report(&mut self, device: Option<&DeviceId>, name: &str, value: impl Into<Value>);
    /// What the host knows of `Plant/Line1`.
    fn host_node(&self) -> &NodeState;
    /// What the host knows of a device of `Plant/Line1`.
    fn host_device(&self, device: &DeviceId) -> &DeviceState;
    /// What the host knows of a metric of `Plant/Line1` or one of its devices.
    fn host_metric(&self, device: Option<&DeviceId>, name: &str) -> &MetricState;
}

impl Scenario for Sim {
    fn edge(&mut self) -> &mut EdgeNode {
        self.peer_mut(EDGE)
    }

    fn host(&mut self) -> &mut HostApplication {
        self.peer_mut(HOST)
    }

    fn host_events(&mut self) -> Vec<HostEvent> {
        let host = self.host();
        core::iter::from_fn(|| host.poll_event()).collect()
    }

    fn edge_events(&mut self) -> Vec<EdgeEvent> {
        let edge = self.edge();
        core::iter::from_fn(|| edge.poll_event()).collect()
    }

    #[track_caller]
    fn report(&mut self, device: Option<&DeviceId>, name: &str, value: impl Into<Value>) {
        let now = self.now();
        let edge = self.edge();
        if let Err(e) = edge.set_metric(now, device, name, value) {
            panic!("set_metric({device:?}, {name}): {e}");
        }
        edge.flush(now);
        self.run_until_idle();
    }

    #[track_caller]
    fn host_node(&self) -> &NodeState {
        self.peer::<HostApplication>(HOST)
            .node(&group(), &node_id())
            .expect("the host knows Plant/Line1")
    }

    #[track_caller]
    fn host_device(&self, device: &DeviceId) -> &DeviceState {
        self.host_node()
            .device(device)
            .unwrap_or_else(|| panic!("the host knows device {device}"))
    }

    #[track_caller]
    fn host_metric(&self, device: Option<&DeviceId>, name: &str) -> &MetricState {
        self.peer::<HostApplication>(HOST)
            .metric(&group(), &node_id(), device, name)
            .unwrap_or_else(|| panic!("the host knows metric {device:?}/{name}"))
    }
}

/// `ms` milliseconds after `t`.
fn after(t: Timestamp, ms: u64) -> Timestamp {
    t.saturating_add(Duration::from_millis(ms))
}

/// The PUBLISHes `peer` sent since log entry `mark`, oldest first.
fn publishes_since(sim: &Sim, peer: &str, mark: usize) -> Vec<Publish> {
    sim.log()
        .since(mark)
        .iter()
        .filter_map(|entry| match &entry.event {
            Event::Publish { peer: p, publish } if p == peer => Some(publish.clone()),
            _ => None,
        })
        .collect()
}

/// The topics `peer` published on since log entry `mark`, in order.
fn topics_since(sim: &Sim, peer: &str, mark: usize) -> Vec<String> {
    publishes_since(sim, peer, mark)
        .into_iter()
        .map(|p| p.topic)
        .collect()
}

/// Every payload `peer` published on `topic`, decoded, oldest first.
fn payloads(sim: &Sim, peer: &str, topic: &str) -> Vec<Payload> {
    sim.log()
        .publishes(peer)
        .into_iter()
        .filter(|p| p.topic == topic)
        .map(|p| decode(&p.payload))
        .collect()
}

/// The last payload `peer` published on `topic`, decoded.
#[track_caller]
fn last_payload(sim: &Sim, peer: &str, topic: &str) -> Payload {
    payloads(sim, peer, topic)
        .pop()
        .unwrap_or_else(|| panic!("{peer} never published on {topic}"))
}

/// Every STATE message `peer` published, oldest first.
fn states(sim: &Sim, peer: &str) -> Vec<StateMessage> {
    sim.log()
        .publishes(peer)
        .into_iter()
        .filter(|p| p.topic == STATE)
        .map(|p| StateMessage::parse(&p.payload).expect("STATE JSON"))
        .collect()
}

#[track_caller]
fn decode(bytes: &[u8]) -> Payload {
    Payload::decode(bytes).unwrap_or_else(|e| panic!("payload does not decode: {e}"))
}

/// The `bdSeq` metric of an NBIRTH or NDEATH.
#[track_caller]
fn bd_seq(payload: &Payload) -> i64 {
    match payload.metric(BDSEQ).and_then(|m| m.value.as_ref()) {
        Some(Value::Int64(v)) => *v,
        other => panic!("bdSeq is not an Int64: {other:?}"),
    }
}

/// A STATE message as a JSON payload.
fn state_json(online: bool, timestamp: Timestamp) -> Vec<u8> {
    StateMessage {
        online,
        timestamp: timestamp.as_millis(),
    }
    .to_json()
    .into_bytes()
}

/// One [`HostEvent::Metrics`]: a birth or data message as the host delivered it.
#[derive(Debug, Clone, PartialEq)]
struct Batch {
    message_type: MessageType,
    device: Option<DeviceId>,
    seq: Option<u8>,
    out_of_sequence: bool,
    received_at: Timestamp,
    timestamp: Option<u64>,
    metrics: Vec<Metric>,
}

impl Batch {
    /// The resolved metric named `name`.
    fn metric(&self, name: &str) -> Option<&Metric> {
        self.metrics
            .iter()
            .find(|m| m.name.as_deref() == Some(name))
    }

    /// The value of the metric named `name`.
    #[track_caller]
    fn value(&self, name: &str) -> &Value {
        self.metric(name)
            .and_then(|m| m.value.as_ref())
            .unwrap_or_else(|| panic!("no value of {name} in {self:?}"))
    }
}

/// The [`HostEvent::Metrics`] among `events`, in order.
fn batches(events: &[HostEvent]) -> Vec<Batch> {
    events
        .iter()
        .filter_map(|event| match event {
            HostEvent::Metrics {
                message_type,
                device,
                seq,
                received_at,
                timestamp,
                metrics,
                out_of_sequence,
                ..
            } => Some(Batch {
                message_type: *message_type,
                device: device.clone(),
                seq: seq.map(|s| s.value()),
                out_of_sequence: *out_of_sequence,
                received_at: *received_at,
                timestamp: *timestamp,
                metrics: metrics.iter().map(MetricUpdate::to_metric).collect(),
            }),
            _ => None,
        })
        .collect()
}

/// The rebirth requests among `events`.
fn rebirth_requests(events: &[HostEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, HostEvent::RebirthRequested { .. }))
        .count()
}

/// The protocol violations and seq gaps the host reported among `events`.
fn violations(events: &[HostEvent]) -> Vec<&HostEvent> {
    events
        .iter()
        .filter(|e| matches!(e, HostEvent::Violation { .. } | HostEvent::SeqGap { .. }))
        .collect()
}

/// Checks everything on the wire so far.
///
/// The edge node (`tck-id-payloads-sequence-num-always-included`,
/// `tck-id-payloads-sequence-num-incrementing`, `tck-id-topics-nbirth-seq-num`,
/// `tck-id-topics-nbirth-bdseq-matching`, `tck-id-topics-nbirth-bdseq-increment`,
/// `tck-id-message-flow-edge-node-birth-publish-will-message-qos`,
/// `tck-id-message-flow-edge-node-birth-publish-will-message-will-retained`,
/// `tck-id-topics-ndeath-seq`, `tck-id-payloads-ddata-order`,
/// `tck-id-message-flow-edge-node-birth-publish-nbirth-topic`,
/// `tck-id-message-flow-edge-node-birth-publish-nbirth-payload-bdSeq`,
/// `tck-id-message-flow-edge-node-birth-publish-nbirth-qos`,
/// `tck-id-message-flow-edge-node-birth-publish-nbirth-retained`,
/// `tck-id-message-flow-edge-node-birth-publish-nbirth-payload-seq`,
/// `tck-id-payloads-sequence-num-req-nbirth`, `tck-id-payloads-nbirth-retain`,
/// `tck-id-payloads-nbirth-timestamp`, `tck-id-message-flow-device-birth-publish-dbirth-topic`,
/// `tck-id-message-flow-device-birth-publish-dbirth-match-edge-node-topic`,
/// `tck-id-message-flow-device-birth-publish-dbirth-payload`,
/// `tck-id-message-flow-device-birth-publish-dbirth-qos`,
/// `tck-id-message-flow-device-birth-publish-dbirth-retained`,
/// `tck-id-message-flow-device-birth-publish-dbirth-payload-seq`, `tck-id-payloads-dbirth-seq`,
/// `tck-id-payloads-dbirth-qos`, `tck-id-payloads-dbirth-retain`,
/// `tck-id-payloads-dbirth-timestamp`, `tck-id-topics-dbirth-timestamp`,
/// `tck-id-payloads-ndata-qos`, `tck-id-payloads-ddata-qos`, `tck-id-payloads-ddata-retain`,
/// `tck-id-payloads-ddata-seq`, `tck-id-payloads-ddata-timestamp`,
/// `tck-id-payloads-ddeath-seq-number`): each CONNECT carries an NDEATH Will with the next
/// bdSeq, QoS 1, not retained; every publish is on a topic of the node's own group and edge node
/// id, decodes as a Sparkplug B payload and validates clean (so births and data carry a payload
/// timestamp), is not retained, is QoS 0 (NDEATH QoS 1); each session publishes nothing before
/// its NBIRTH, every NBIRTH has seq 0 and the Will's bdSeq, every later message (DBIRTH, NDATA,
/// DDATA, DDEATH) the previous seq + 1 (255 → 0), every birth is stamped with the time it is
/// published, and a device's DDATA and DDEATH only follow its DBIRTH since the last NBIRTH.
///
/// The host (`tck-id-host-topic-phid-birth-message`, `tck-id-payloads-state-will-message-qos`,
/// `tck-id-payloads-state-will-message-retain`, `tck-id-message-flow-phid-sparkplug-subscription`,
/// `tck-id-message-flow-phid-sparkplug-state-publish-payload-timestamp`,
/// `tck-id-payloads-ncmd-seq`, `tck-id-payloads-dcmd-seq`,
/// `tck-id-message-flow-phid-sparkplug-state-publish-payload`,
/// `tck-id-operational-behavior-host-application-connect-will-payload`,
/// `tck-id-payloads-state-will-message-payload`,
/// `tck-id-operational-behavior-host-application-connect-birth-topic`): each CONNECT carries
/// the STATE death Will (`{"online": false, "timestamp": <CONNECT time>}`), QoS 1, retained; the session subscribes to `spBv1.0/#` and its STATE topic
/// and then publishes its STATE birth with the Will's timestamp first; STATE is QoS 1 retained;
/// NCMD/DCMD are QoS 0, not retained, with a timestamp and no seq.
#[track_caller]
fn check_wire(sim: &Sim) {
    check_edge_wire(sim);
    check_host_wire(sim);
}

#[track_caller]
fn check_edge_wire(sim: &Sim) {
    let mut last_bd_seq: Option<i64> = None;
    let mut session_bd_seq: Option<i64> = None;
    // The seq of the next message; `None` until the session's NBIRTH.
    let mut next_seq: Option<u64> = None;
    // The devices with a DBIRTH since the last NBIRTH.
    let mut born: Vec<DeviceId> = Vec::new();
    for (i, entry) in sim.log().entries().iter().enumerate() {
        let at = format!("log entry #{i} ({entry})");
        match &entry.event {
            Event::Connect { peer, options, .. } if peer == EDGE => {
                let will = &options.will;
                assert_eq!(will.topic, NDEATH, "{at}: Will topic");
                assert_eq!((will.qos, will.retain), (QoS::AtLeastOnce, false), "{at}");
                let payload = decode(&will.payload);
                validate(MessageType::NDeath, &payload)
                    .unwrap_or_else(|e| panic!("{at}: the Will breaks the rules: {e}"));
                let bd = bd_seq(&payload);
                let expected = last_bd_seq.map_or(0, |b| (b + 1) % 256);
                assert_eq!(bd, expected, "{at}: bdSeq + 1 on every CONNECT");
                last_bd_seq = Some(bd);
                session_bd_seq = Some(bd);
                next_seq = None;
                born.clear();
            }
            Event::Publish { peer, publish } if peer == EDGE => {
                let topic = Topic::parse(&publish.topic)
                    .unwrap_or_else(|e| panic!("{at}: topic does not parse: {e}"));
                let kind = topic.message_type();
                assert_eq!(topic.group(), Some(&group()), "{at}");
                assert_eq!(topic.edge_node(), Some(&node_id()), "{at}");
                let payload = decode(&publish.payload);
                validate(kind, &payload)
                    .unwrap_or_else(|e| panic!("{at}: payload breaks the rules: {e}"));
                assert!(!publish.retain, "{at}: edge messages are never retained");
                if matches!(kind, MessageType::NBirth | MessageType::DBirth) {
                    assert_eq!(
                        payload.timestamp,
                        Some(entry.at.as_millis()),
                        "{at}: a birth is stamped with its publish time"
                    );
                }
                let qos = if kind == MessageType::NDeath {
                    QoS::AtLeastOnce
                } else {
                    QoS::AtMostOnce
                };
                assert_eq!(publish.qos, qos, "{at}");
                match kind {
                    MessageType::NDeath => {
                        assert_eq!(payload.seq, None, "{at}");
                        assert_eq!(Some(bd_seq(&payload)), session_bd_seq, "{at}");
                    }
                    MessageType::NBirth => {
                        assert_eq!(payload.seq, Some(0), "{at}: NBIRTH seq 0");
                        assert_eq!(Some(bd_seq(&payload)), session_bd_seq, "{at}");
                        next_seq = Some(1);
                        born.clear();
                    }
                    _ => {
                        let Some(expected) = next_seq else {
                            panic!("{at}: {kind} before the session's NBIRTH");
                        };
                        assert_eq!(payload.seq, Some(expected), "{at}: seq");
                        next_seq = Some((expected + 1) % 256);
                        if let Some(device) = topic.device() {
                            let position = born.iter().position(|d| d == device);
                            match kind {
                                MessageType::DBirth => born.push(device.clone()),
                                _ => {
                                    let Some(position) = position else {
                                        panic!("{at}: {kind} of a device without a DBIRTH");
                                    };
                                    if kind == MessageType::DDeath {
                                        born.remove(position);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

#[track_caller]
fn check_host_wire(sim: &Sim) {
    // The Will timestamp of the current session and whether its birth was published.
    let mut session: Option<(u64, bool)> = None;
    let mut subscribed = (false, false);
    for (i, entry) in sim.log().entries().iter().enumerate() {
        let at = format!("log entry #{i} ({entry})");
        match &entry.event {
            Event::Connect { peer, options, .. } if peer == HOST => {
                let will = &options.will;
                assert_eq!(will.topic, STATE, "{at}");
                assert_eq!((will.qos, will.retain), (QoS::AtLeastOnce, true), "{at}");
                let death = StateMessage::parse(&will.payload).expect("STATE JSON Will");
                assert!(!death.online, "{at}");
                // The CONNECT time; later only when a forged offline STATE dated ahead of the
                // clock ended the last session (OwnStateResponse::NewSession).
                assert!(
                    death.timestamp >= entry.at.as_millis(),
                    "{at}: CONNECT time or later"
                );
                session = Some((death.timestamp, false));
                subscribed = (false, false);
            }
            Event::Subscribe {
                peer,
                subscriptions,
            } if peer == HOST => {
                for s in subscriptions {
                    subscribed.0 |= s.filter == "spBv1.0/#";
                    subscribed.1 |= s.filter == STATE;
                }
            }
            Event::Publish { peer, publish } if peer == HOST => {
                let (t_connect, born) = session.expect("a host publish before any CONNECT");
                if publish.topic == STATE {
                    assert_eq!(
                        (publish.qos, publish.retain),
                        (QoS::AtLeastOnce, true),
                        "{at}"
                    );
                    let state = StateMessage::parse(&publish.payload).expect("STATE JSON");
                    if state.online {
                        assert_eq!(state.timestamp, t_connect, "{at}: birth = Will timestamp");
                    }
                    if !born {
                        assert!(state.online, "{at}: the first publish is the STATE birth");
                        assert_eq!(subscribed, (true, true), "{at}: subscribed before birth");
                        session = Some((t_connect, true));
                    }
                    continue;
                }
                assert!(born, "{at}: a publish before the STATE birth");
                let topic = Topic::parse(&publish.topic).expect("a Sparkplug topic");
                let kind = topic.message_type();
                assert!(kind.is_command(), "{at}: hosts only send commands");
                assert_eq!(
                    (publish.qos, publish.retain),
                    (QoS::AtMostOnce, false),
                    "{at}"
                );
                let payload = decode(&publish.payload);
                validate(kind, &payload)
                    .unwrap_or_else(|e| panic!("{at}: command breaks the rules: {e}"));
                assert_eq!(payload.seq, None, "{at}");
                assert_eq!(payload.timestamp, Some(entry.at.as_millis()), "{at}");
            }
            _ => {}
        }
    }
}

/// Whether a command payload is a rebirth request: `Node Control/Rebirth` = true, by name.
fn is_rebirth_request(payload: &Payload) -> bool {
    payload.metrics.iter().any(|m| {
        m.name.as_deref() == Some(NODE_CONTROL_REBIRTH)
            && m.alias.is_none()
            && m.value == Some(Value::Boolean(true))
    })
}
