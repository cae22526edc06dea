//! What the host application tells its application: [`HostEvent`].
//!
//! The events are complete enough to rebuild the host's view elsewhere: a storage sink writes
//! [`HostEvent::Metrics`] rows and applies [`HostEvent::NodeOffline`],
//! [`HostEvent::DeviceOffline`] and [`HostEvent::ConnectionLost`] as STALE markers; a REST API
//! keeps presence from the online/offline events and the last value of each metric from
//! `Metrics`.

use crate::session::{BdSeq, Seq, Timestamp};
use crate::topic::{DeviceId, EdgeNodeId, GroupId, HostId, MessageType, StateMessage};
use crate::{Metric, Quality};

use super::rebirth::RebirthReason;

/// A metric as received, resolved against its birth: named, typed, with its timestamp,
/// `is_historical` flag and properties as the edge sent them.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricUpdate {
    /// The metric, with its birth name and datatype filled in and its value read as that
    /// datatype.
    pub metric: Metric,
    /// Its quality: the `Quality` property, GOOD when there is none, BAD when the property is
    /// not a valid quality code.
    pub quality: Quality,
}

/// Why a device went offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeviceOfflineCause {
    /// Its DDEATH; the time is the DDEATH payload timestamp.
    DeviceDeath,
    /// Its node's NDEATH; the time is host receive time.
    NodeDeath,
    /// Its node was born again (NBIRTH) and the device is offline until its own DBIRTH.
    NodeRebirth,
}

/// Something that happened, for the application. Taken with
/// [`HostApplication::poll_event`](super::HostApplication::poll_event).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum HostEvent {
    /// After a CONNACK the host subscribed and published its STATE birth
    /// `{"online":true,"timestamp":timestamp}`, `timestamp` being the one of its Will.
    StateBirthPublished {
        /// The CONNECT time, in the Will and the birth.
        timestamp: Timestamp,
    },
    /// `online:false` arrived on the host's own STATE topic (its previous session's Will,
    /// retained, or another client). With
    /// [`HostConfig::republish_online`](super::HostConfig::republish_online) the host published
    /// its birth again, with the same timestamp
    /// (`tck-id-message-flow-hid-sparkplug-state-message-delivered`).
    OwnStateOffline {
        /// The timestamp in the offline message.
        timestamp: u64,
        /// Whether the birth was published again.
        republished: bool,
    },
    /// Another host application's STATE.
    HostState {
        /// That host's id.
        host: HostId,
        /// Its STATE message.
        state: StateMessage,
    },
    /// The broker connection was lost (or the host shut down): every metric of every node and
    /// device is STALE from `at` (SPARKPLUG.md 2.5), and every node waits for a rebirth.
    ConnectionLost {
        /// Host time of the loss.
        at: Timestamp,
    },
    /// NBIRTH: the node is online; its metrics follow in a [`HostEvent::Metrics`].
    NodeOnline {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
        /// The NBIRTH's bdSeq.
        bd_seq: Option<BdSeq>,
        /// Host receive time.
        at: Timestamp,
    },
    /// NDEATH with the bdSeq of the current NBIRTH: the node and all its metrics are offline and
    /// STALE from `at`, host receive time
    /// (`tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline`).
    NodeOffline {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
        /// The bdSeq of the session that ended.
        bd_seq: Option<BdSeq>,
        /// Host receive time.
        at: Timestamp,
    },
    /// DBIRTH: the device is online; its metrics follow in a [`HostEvent::Metrics`].
    DeviceOnline {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
        /// Device id.
        device: DeviceId,
        /// Host receive time.
        at: Timestamp,
    },
    /// The device and all its metrics are offline and STALE from `at`.
    DeviceOffline {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
        /// Device id.
        device: DeviceId,
        /// The DDEATH payload timestamp, or host receive time (see `cause`).
        at: Timestamp,
        /// Why.
        cause: DeviceOfflineCause,
    },
    /// Metrics of a birth or data message, resolved against the birth.
    Metrics {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
        /// Device id, for DBIRTH and DDATA.
        device: Option<DeviceId>,
        /// NBIRTH, DBIRTH, NDATA or DDATA.
        message_type: MessageType,
        /// The bdSeq of the node's current NBIRTH.
        bd_seq: Option<BdSeq>,
        /// The message's seq.
        seq: Option<Seq>,
        /// Host receive time.
        received_at: Timestamp,
        /// The payload timestamp.
        timestamp: Option<u64>,
        /// The metrics that resolved, in payload order. Historical ones (`is_historical`) are
        /// here too but did not change the host's live values.
        metrics: Vec<MetricUpdate>,
        /// Delivered after a seq gap was given up (reorder timeout, full buffer, no
        /// reordering) or late: later messages may have been processed before it.
        out_of_sequence: bool,
    },
    /// A message's seq is not the expected one. With reordering the host holds the message and
    /// starts the reorder timer (`tck-id-operational-behavior-host-reordering-start`).
    SeqGap {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
        /// The bdSeq of the node's current NBIRTH.
        bd_seq: Option<BdSeq>,
        /// The seq the host expected next.
        expected: Seq,
        /// The seq that arrived.
        received: Seq,
    },
    /// The host published an NCMD `Node Control/Rebirth` = true.
    RebirthRequested {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
        /// Why.
        reason: RebirthReason,
    },
    /// A rebirth was called for but not requested: one went to this node less than
    /// [`HostConfig::rebirth_min_interval`](super::HostConfig::rebirth_min_interval) ago.
    RebirthSuppressed {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
        /// Why it was called for.
        reason: RebirthReason,
    },
    /// A message breaks a Sparkplug rule: a malformed topic or payload, a payload that fails
    /// [`validate`](crate::validate()), a data metric its birth does not name.
    Violation {
        /// Group id, when the topic names one.
        group: Option<GroupId>,
        /// Edge node id, when the topic names one.
        node: Option<EdgeNodeId>,
        /// Device id, when the topic names one.
        device: Option<DeviceId>,
        /// The message type, when the topic names one.
        message_type: Option<MessageType>,
        /// The TCK assertion id of the rule (without the `tck-id-` prefix).
        tck_id: &'static str,
        /// What and where.
        detail: String,
        /// Whether the rule is a recommendation (SHOULD) rather than a MUST.
        recommendation: bool,
    },
    /// An NDEATH whose bdSeq is not the current NBIRTH's: a late Will of an earlier session,
    /// ignored (SPARKPLUG.md 2.2).
    StaleNdeathIgnored {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
        /// The NDEATH's bdSeq.
        ndeath_bd_seq: Option<BdSeq>,
        /// The current NBIRTH's bdSeq.
        current_bd_seq: Option<BdSeq>,
    },
}
