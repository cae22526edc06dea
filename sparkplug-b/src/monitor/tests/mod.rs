//! Tests of the monitor, fed real encoded payloads. Each test is named after the rule it
//! checks and names its TCK id.

mod data;
mod edge;
mod host;
mod sessions;

use super::*;
use crate::session::{QoS, Timestamp, Transmit};
use crate::validate::{BDSEQ, NODE_CONTROL_REBIRTH};
use crate::{Metric, Payload};

pub(super) const T0: u64 = 1_700_000_000_000;

/// A monitor and a clock that moves 10 ms per message.
pub(super) struct Harness {
    pub(super) monitor: Monitor,
    pub(super) now: u64,
}

impl Harness {
    pub(super) fn new() -> Self {
        Harness::with(MonitorConfig::default())
    }

    pub(super) fn with(config: MonitorConfig) -> Self {
        Harness {
            monitor: Monitor::new(config),
            now: T0,
        }
    }

    /// A live delivery at QoS 0.
    pub(super) fn send(&mut self, topic: &str, payload: &Payload) {
        self.send_with(topic, payload, 0, false);
    }

    pub(super) fn send_with(&mut self, topic: &str, payload: &Payload, qos: u8, retain: bool) {
        let bytes = payload.encode_to_vec().expect("encodes");
        self.raw(topic, &bytes, qos, retain);
    }

    pub(super) fn raw(&mut self, topic: &str, bytes: &[u8], qos: u8, retain: bool) {
        self.now += 10;
        let now = Timestamp::from_millis(self.now);
        self.monitor.handle_message(now, topic, bytes, qos, retain);
    }

    /// Every finding so far.
    pub(super) fn findings(&mut self) -> Vec<Finding> {
        core::iter::from_fn(|| self.monitor.poll_finding()).collect()
    }

    /// The ids of every finding so far.
    pub(super) fn ids(&mut self) -> Vec<&'static str> {
        self.findings().into_iter().map(|f| f.tck_id).collect()
    }

    /// The report of edge node `G/E`.
    pub(super) fn node(&self) -> NodeReport {
        let report = self.monitor.report();
        report
            .edge_nodes
            .into_iter()
            .find(|n| n.group.as_str() == "G" && n.node.as_str() == "E")
            .expect("G/E is tracked")
    }
}

/// A good NBIRTH of `G/E`: bdSeq, rebirth, `Temp` (Double, alias 1) and `Count` (Int8, alias 2).
pub(super) fn nbirth(bd_seq: i64) -> Payload {
    Payload::new(T0)
        .with_seq(0)
        .with_metric(Metric::new(BDSEQ, bd_seq).with_timestamp(T0))
        .with_metric(Metric::new(NODE_CONTROL_REBIRTH, false).with_timestamp(T0))
        .with_metric(Metric::new("Temp", 1.5).with_alias(1).with_timestamp(T0))
        .with_metric(Metric::new("Count", 0i8).with_alias(2).with_timestamp(T0))
}

/// A good DBIRTH: `Speed` (Double) with `alias`.
pub(super) fn dbirth(seq: u8, alias: u64) -> Payload {
    Payload::new(T0).with_seq(seq).with_metric(
        Metric::new("Speed", 0.0)
            .with_alias(alias)
            .with_timestamp(T0),
    )
}

/// An NDATA or DDATA with the given metrics.
pub(super) fn data(seq: u8, metrics: impl IntoIterator<Item = Metric>) -> Payload {
    metrics
        .into_iter()
        .fold(Payload::new(T0 + 1).with_seq(seq), Payload::with_metric)
}

/// A metric by alias, timestamped.
pub(super) fn aliased(alias: u64, value: impl Into<crate::Value>, ts: u64) -> Metric {
    Metric::aliased(alias, value).with_timestamp(ts)
}

/// An NDEATH (no seq, no timestamp).
pub(super) fn ndeath(bd_seq: i64) -> Payload {
    Payload::default().with_metric(Metric::new(BDSEQ, bd_seq))
}

/// Delivers what a session state machine publishes, as a QoS 1 subscriber receives it.
pub(super) fn deliver(
    h: &mut Harness,
    transmits: impl IntoIterator<Item = Transmit>,
) -> Vec<(String, Vec<u8>)> {
    let mut published = Vec::new();
    for t in transmits {
        if let Transmit::Publish(p) = t {
            let qos = if p.qos == QoS::AtMostOnce { 0 } else { 1 };
            h.raw(&p.topic, &p.payload, qos, false);
            published.push((p.topic, p.payload));
        }
    }
    published
}
