//! What the edge node publishes, and in which order: the birth sequence, data, history from
//! store and forward, NDEATH. Every publish gets its topic, QoS (0, NDEATH 1), retain flag
//! (never) and sequence number (one counter for the node and its devices) here.

use crate::session::{Publish, QoS, Seq, Timestamp, Transmit};
use crate::topic::{DeviceId, DeviceMessageType, NAMESPACE, NodeMessageType};
use crate::{AliasTable, Payload};

use super::metrics::Change;
use super::{EdgeEvent, EdgeNode, EdgeState, birth};

impl EdgeNode {
    /// NBIRTH (seq 0, the session's bdSeq) and every DBIRTH, then the stored values
    /// (`tck-id-payloads-dbirth-order`, `tck-id-operational-behavior-data-commands-rebirth-action-2`,
    /// `tck-id-operational-behavior-data-commands-rebirth-action-3`).
    pub(super) fn publish_births(&mut self, now: Timestamp) {
        self.seq = Seq::ZERO;
        let nbirth = birth::nbirth(now, self.bd_seq(), &self.templates, &self.node);
        self.node_table = birth_table(&nbirth);
        self.node.mark_reported();
        let seq = self.take_seq();
        debug_assert_eq!(seq, Seq::ZERO);
        let topic = self.node_topic(NodeMessageType::NBirth);
        self.publish(topic, &nbirth, QoS::AtMostOnce);
        for index in 0..self.devices.len() {
            self.publish_dbirth(now, index);
        }
        self.state = EdgeState::Online;
        self.last_birth = Some(now);
        self.events.push_back(EdgeEvent::Online);
        self.publish_stored(now);
    }

    pub(super) fn publish_dbirth(&mut self, now: Timestamp, index: usize) {
        if index >= self.devices.len() {
            return;
        }
        let seq = self.take_seq();
        let Some(device) = self.devices.get_mut(index) else {
            return;
        };
        let dbirth = birth::dbirth(now, seq, &device.metrics);
        device.table = birth_table(&dbirth);
        device.metrics.mark_reported();
        let topic = format!(
            "{NAMESPACE}/{}/{}/{}/{}",
            self.config.group,
            DeviceMessageType::DBirth,
            self.config.node,
            device.id
        );
        self.publish(topic, &dbirth, QoS::AtMostOnce);
    }

    /// Store and forward, as historical NDATA and DDATA in batches.
    fn publish_stored(&mut self, now: Timestamp) {
        let batch = self.config.store_forward_batch.max(1);
        for (device, changes) in self.store.drain_grouped() {
            for chunk in changes.chunks(batch) {
                self.publish_data(now, device.as_ref(), chunk, true);
            }
        }
    }

    pub(super) fn publish_data(
        &mut self,
        now: Timestamp,
        device: Option<&DeviceId>,
        changes: &[Change],
        historical: bool,
    ) {
        let seq = self.take_seq();
        let topic = match device {
            None => self.node_topic(NodeMessageType::NData),
            Some(d) => self.device_topic(DeviceMessageType::DData, d),
        };
        let payload = birth::data(now, seq, changes, historical);
        self.publish(topic, &payload, QoS::AtMostOnce);
    }

    pub(super) fn publish_ndeath(&mut self, now: Timestamp) {
        let topic = self.node_topic(NodeMessageType::NDeath);
        let payload = birth::ndeath(now, self.bd_seq());
        self.publish(topic, &payload, QoS::AtLeastOnce);
    }

    pub(super) fn publish(&mut self, topic: String, payload: &Payload, qos: QoS) {
        // Values are checked for a wire form when they are added or set, so this cannot fail.
        if let Some(payload) = self.encode(payload) {
            self.transmits.push_back(Transmit::Publish(Publish {
                topic,
                payload,
                qos,
                retain: false,
            }));
        }
    }

    pub(super) fn encode(&self, payload: &Payload) -> Option<Vec<u8>> {
        let mut buf = Vec::new();
        let result = payload.encode_with(&mut buf, &self.config.encode);
        debug_assert!(result.is_ok(), "unencodable payload: {result:?}");
        result.ok().map(|()| buf)
    }

    pub(super) fn take_seq(&mut self) -> Seq {
        let seq = self.seq;
        self.seq = seq.next();
        seq
    }

    pub(super) fn node_topic(&self, verb: NodeMessageType) -> String {
        format!(
            "{NAMESPACE}/{}/{verb}/{}",
            self.config.group, self.config.node
        )
    }

    pub(super) fn device_topic(&self, verb: DeviceMessageType, device: &DeviceId) -> String {
        format!(
            "{NAMESPACE}/{}/{verb}/{}/{device}",
            self.config.group, self.config.node
        )
    }
}

/// The alias table of a birth this node built. Names and aliases are unique by construction
/// (names checked when added, aliases from one counter), so `from_birth` cannot fail; if it
/// did, commands would be reported as unknown metrics rather than crash the node.
fn birth_table(birth: &Payload) -> AliasTable {
    let table = AliasTable::from_birth(birth);
    debug_assert!(
        table.is_ok(),
        "own birth is not a valid alias table: {table:?}"
    );
    table.unwrap_or_default()
}
