//! Scenario tests of the edge node, each naming the `tck-id-*` it checks. Every publish is
//! decoded, its topic parsed and its payload validated against the rules of its message type.

mod commands;
mod data;
mod primary_host;
mod session;
mod templates;

use super::*;
use crate::session::Publish;
use crate::topic::{EdgeNodeId, GroupId, HostId, MessageType};
use crate::validate::validate;
use crate::{DataType, Metric, Value};

pub(super) const T0: u64 = 1_700_000_000_000;

/// `T0 + ms`.
pub(super) fn t(ms: u64) -> Timestamp {
    Timestamp::from_millis(T0 + ms)
}

pub(super) fn config() -> EdgeNodeConfig {
    EdgeNodeConfig::new(GroupId::new("G").unwrap(), EdgeNodeId::new("E").unwrap())
}

pub(super) fn host() -> HostId {
    HostId::new("scada").unwrap()
}

pub(super) fn dev(id: &str) -> DeviceId {
    DeviceId::new(id).unwrap()
}

/// A node with node metrics Temp (Double 20.0, deadband 0.5), Mode (String, null) and Count
/// (UInt32 0), and a device Pump with Speed (Int32 0) and Running (Boolean false).
pub(super) fn node(config: EdgeNodeConfig) -> EdgeNode {
    let mut node = EdgeNode::new(config, None);
    node.add_node_metrics(
        t(0),
        [
            MetricSpec::with_initial("Temp", 20.0).with_deadband(0.5),
            MetricSpec::new("Mode", DataType::String),
            MetricSpec::with_initial("Count", 0u32),
        ],
    )
    .unwrap();
    node.add_device(
        t(0),
        dev("Pump"),
        [
            MetricSpec::with_initial("Speed", 0i32),
            MetricSpec::with_initial("Running", false),
        ],
    )
    .unwrap();
    node
}

/// A decoded publish.
#[derive(Debug)]
pub(super) struct Sent {
    pub(super) topic: Topic,
    pub(super) publish: Publish,
    pub(super) payload: Payload,
}

impl Sent {
    pub(super) fn kind(&self) -> MessageType {
        self.topic.message_type()
    }

    pub(super) fn seq(&self) -> Option<u64> {
        self.payload.seq
    }

    /// The value of the metric named `name` or, in data, aliased `alias`.
    pub(super) fn metric(&self, name: &str) -> Option<&Metric> {
        self.payload.metric(name)
    }
}

/// Decodes a publish and checks it against the rules of its message type.
pub(super) fn decode(publish: Publish) -> Sent {
    let topic = Topic::parse(&publish.topic).unwrap();
    let payload = Payload::decode(&publish.payload).unwrap();
    if let Err(e) = validate(topic.message_type(), &payload) {
        panic!("{} breaks the rules: {e}", publish.topic);
    }
    assert!(!publish.retain, "edge node messages are never retained");
    Sent {
        topic,
        publish,
        payload,
    }
}

pub(super) fn transmits(node: &mut EdgeNode) -> Vec<Transmit> {
    std::iter::from_fn(|| node.poll_transmit()).collect()
}

/// Every queued transmit, which must all be publishes, decoded.
pub(super) fn publishes(node: &mut EdgeNode) -> Vec<Sent> {
    transmits(node)
        .into_iter()
        .map(|tx| match tx {
            Transmit::Publish(p) => decode(p),
            other => panic!("expected a publish, got {other:?}"),
        })
        .collect()
}

pub(super) fn events(node: &mut EdgeNode) -> Vec<EdgeEvent> {
    std::iter::from_fn(|| node.poll_event()).collect()
}

pub(super) fn kinds(sent: &[Sent]) -> Vec<MessageType> {
    sent.iter().map(Sent::kind).collect()
}

/// CONNECT and CONNACK; checks the subscriptions come first and returns the Will and what
/// followed them.
pub(super) fn connect(node: &mut EdgeNode, now: Timestamp) -> (ConnectOptions, Vec<Sent>) {
    let options = node.connect(now);
    node.handle_connected(now);
    let mut tx = transmits(node).into_iter();
    assert!(matches!(tx.next(), Some(Transmit::Subscribe(_))));
    let rest = tx
        .map(|tx| match tx {
            Transmit::Publish(p) => decode(p),
            other => panic!("expected a publish, got {other:?}"),
        })
        .collect();
    (options, rest)
}

/// An NCMD or DCMD payload as a host sends it: timestamp, no seq.
pub(super) fn command(metrics: Vec<Metric>) -> Vec<u8> {
    let mut payload = Payload::new(T0);
    payload.metrics = metrics;
    payload.encode_to_vec().unwrap()
}

pub(super) fn rebirth_request() -> Vec<u8> {
    command(vec![Metric::new(
        crate::validate::NODE_CONTROL_REBIRTH,
        true,
    )])
}

pub(super) const NCMD: &str = "spBv1.0/G/NCMD/E";
