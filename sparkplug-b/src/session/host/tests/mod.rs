//! Scenario tests of the host application: real encoded payloads in, decoded transmits and
//! events out. Each test names the TCK assertions it checks.

mod direct;
mod hostile;
mod nodes;
mod ordering;
mod state;
mod templates;

use core::time::Duration;

use super::{HostApplication, HostConfig, HostEvent};
use crate::session::{Publish, QoS, Timestamp, Transmit};
use crate::topic::{DeviceId, EdgeNodeId, GroupId, HostId};
use crate::{Metric, Payload, Value};

pub(super) const T0: u64 = 1_700_000_000_000;
pub(super) const NBIRTH: &str = "spBv1.0/G1/NBIRTH/E1";
pub(super) const NDEATH: &str = "spBv1.0/G1/NDEATH/E1";
pub(super) const NDATA: &str = "spBv1.0/G1/NDATA/E1";
pub(super) const DBIRTH: &str = "spBv1.0/G1/DBIRTH/E1/D1";
pub(super) const DDATA: &str = "spBv1.0/G1/DDATA/E1/D1";
pub(super) const DDEATH: &str = "spBv1.0/G1/DDEATH/E1/D1";
pub(super) const REORDER: Duration = Duration::from_millis(1000);
pub(super) const REBIRTH_INTERVAL: Duration = Duration::from_millis(5000);

/// `ms` after T0.
pub(super) fn t(ms: u64) -> Timestamp {
    Timestamp::from_millis(T0 + ms)
}

pub(super) fn g() -> GroupId {
    GroupId::new("G1").unwrap()
}

pub(super) fn e() -> EdgeNodeId {
    EdgeNodeId::new("E1").unwrap()
}

pub(super) fn d() -> DeviceId {
    DeviceId::new("D1").unwrap()
}

pub(super) fn config() -> HostConfig {
    HostConfig::new(HostId::new("host1").unwrap())
        .with_reorder_timeout(REORDER)
        .with_rebirth_min_interval(REBIRTH_INTERVAL)
}

/// A host connected at `t(0)`, with its subscriptions and birth taken.
pub(super) fn online(config: HostConfig) -> HostApplication {
    let mut host = HostApplication::new(config);
    host.connect(t(0));
    host.handle_connected(t(0));
    drain(&mut host);
    host
}

/// A host with E1 born (NBIRTH seq 0, bdSeq 3, at t(10)) and D1 born (DBIRTH seq 1, at t(11)).
pub(super) fn born(config: HostConfig) -> HostApplication {
    let mut host = online(config);
    host.handle_publish(t(10), NBIRTH, &nbirth(0, 3, T0 + 10));
    host.handle_publish(t(11), DBIRTH, &dbirth(1, T0 + 11));
    drain(&mut host);
    host
}

pub(super) fn drain(host: &mut HostApplication) -> (Vec<Transmit>, Vec<HostEvent>) {
    (transmits(host), events(host))
}

pub(super) fn transmits(host: &mut HostApplication) -> Vec<Transmit> {
    core::iter::from_fn(|| host.poll_transmit()).collect()
}

pub(super) fn events(host: &mut HostApplication) -> Vec<HostEvent> {
    core::iter::from_fn(|| host.poll_event()).collect()
}

pub(super) fn publishes(transmits: &[Transmit]) -> Vec<&Publish> {
    transmits
        .iter()
        .filter_map(|t| match t {
            Transmit::Publish(p) => Some(p),
            _ => None,
        })
        .collect()
}

/// The decoded rebirth requests among `transmits`, checked to be well-formed NCMDs to E1
/// (tck-id-operational-behavior-data-commands-ncmd-rebirth-verb,
/// tck-id-operational-behavior-data-commands-ncmd-rebirth-name,
/// tck-id-operational-behavior-data-commands-ncmd-rebirth-value,
/// tck-id-topics-ncmd-topic, tck-id-topics-ncmd-mqtt, tck-id-payloads-ncmd-seq,
/// tck-id-payloads-ncmd-timestamp, tck-id-payloads-ncmd-qos, tck-id-payloads-ncmd-retain).
pub(super) fn rebirth_requests(transmits: &[Transmit]) -> Vec<Payload> {
    publishes(transmits)
        .into_iter()
        .filter(|p| p.topic.contains("/NCMD/"))
        .map(|p| {
            assert_eq!(p.topic, "spBv1.0/G1/NCMD/E1");
            assert_eq!((p.qos, p.retain), (QoS::AtMostOnce, false));
            let payload = Payload::decode(&p.payload).unwrap();
            assert_eq!(payload.seq, None);
            assert!(payload.timestamp.is_some());
            let m = payload.metric("Node Control/Rebirth").unwrap();
            assert_eq!((m.alias, &m.value), (None, &Some(Value::Boolean(true))));
            payload
        })
        .collect()
}

pub(super) fn nbirth(seq: u8, bd_seq: i64, ts: u64) -> Vec<u8> {
    Payload::new(ts)
        .with_seq(seq)
        .with_metric(Metric::new("bdSeq", bd_seq).with_timestamp(ts))
        .with_metric(Metric::new("Node Control/Rebirth", false).with_timestamp(ts))
        .with_metric(Metric::new("Temp", 20.5).with_alias(1).with_timestamp(ts))
        .with_metric(
            Metric::new("Offset", Value::Int8(0))
                .with_alias(2)
                .with_timestamp(ts),
        )
        .with_metric(Metric::new("Label", "a").with_timestamp(ts))
        .encode_to_vec()
        .unwrap()
}

pub(super) fn dbirth(seq: u8, ts: u64) -> Vec<u8> {
    Payload::new(ts)
        .with_seq(seq)
        .with_metric(Metric::new("Level", 7u16).with_alias(10).with_timestamp(ts))
        .with_metric(
            Metric::new("Valve", false)
                .with_alias(11)
                .with_timestamp(ts),
        )
        .encode_to_vec()
        .unwrap()
}

/// A data message (NDATA or DDATA) with `metrics`.
pub(super) fn data(seq: u8, ts: u64, metrics: Vec<Metric>) -> Vec<u8> {
    let mut payload = Payload::new(ts).with_seq(seq);
    payload.metrics = metrics;
    payload.encode_to_vec().unwrap()
}

/// A DDATA setting Level (alias 10) to `level`.
pub(super) fn level(seq: u8, level: u16) -> Vec<u8> {
    data(seq, T0, vec![Metric::aliased(10, level).with_timestamp(T0)])
}

pub(super) fn ndeath(bd_seq: i64) -> Vec<u8> {
    Payload {
        metrics: vec![Metric::new("bdSeq", bd_seq)],
        ..Payload::default()
    }
    .encode_to_vec()
    .unwrap()
}

pub(super) fn ddeath(seq: u8, ts: u64) -> Vec<u8> {
    Payload::new(ts).with_seq(seq).encode_to_vec().unwrap()
}

/// The `Metrics` events among `events`: (message type, seq, out of sequence, metric names).
pub(super) fn metric_events(events: &[HostEvent]) -> Vec<(String, Option<u8>, bool, Vec<String>)> {
    events
        .iter()
        .filter_map(|e| match e {
            HostEvent::Metrics {
                message_type,
                seq,
                out_of_sequence,
                metrics,
                ..
            } => Some((
                message_type.to_string(),
                seq.map(|s| s.value()),
                *out_of_sequence,
                metrics.iter().map(|m| m.name().to_owned()).collect(),
            )),
            _ => None,
        })
        .collect()
}
