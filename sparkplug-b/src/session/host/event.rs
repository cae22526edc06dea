//! What the host application tells its application: [`HostEvent`].
//!
//! The events are complete enough to rebuild the host's view elsewhere: a storage sink writes
//! [`HostEvent::Metrics`] rows and applies [`HostEvent::NodeOffline`],
//! [`HostEvent::DeviceOffline`] and [`HostEvent::ConnectionLost`] as STALE markers; a REST API
//! keeps presence from the online/offline events and the last value of each metric from
//! `Metrics`.

use std::sync::Arc;

use crate::session::{BdSeq, Seq, Timestamp};
use crate::topic::{DeviceId, EdgeNodeId, GroupId, HostId, MessageType, StateMessage};
use crate::{DataType, MetaData, Metric, PropertySet, Quality, TemplateCatalog, Value};

use super::rebirth::RebirthReason;

/// A metric as received, resolved against its birth: the birth's name and datatype, the value
/// read as that datatype, and the timestamp, flags and properties as the edge sent them.
///
/// The name is shared with the host's record of the birth ([`MetricUpdate::shared_name`]), so
/// an update costs no allocation for it; [`MetricUpdate::to_metric`] gives a complete
/// [`Metric`] when one is needed.
///
/// ```
/// use sparkplug_b::session::host::{HostApplication, HostConfig, HostEvent};
/// use sparkplug_b::session::Timestamp;
/// use sparkplug_b::topic::HostId;
/// use sparkplug_b::{DataType, Metric, Payload, Quality, Value};
///
/// let mut host = HostApplication::new(HostConfig::new(HostId::new("scada")?));
/// let now = Timestamp::from_millis(1_700_000_000_000);
/// host.connect(now);
/// host.handle_connected(now);
/// let nbirth = Payload::new(1)
///     .with_seq(0)
///     .with_metric(Metric::new("bdSeq", 0i64).with_timestamp(1))
///     .with_metric(Metric::new("Node Control/Rebirth", false).with_timestamp(1))
///     .with_metric(Metric::new("Tank/Level", Value::Int8(0)).with_alias(8).with_timestamp(1));
/// host.handle_publish(now, "spBv1.0/Plant/NBIRTH/Line1", &nbirth.encode_to_vec()?);
/// // NDATA by alias: no name, no datatype, the Int8 sign-extended in a uint32.
/// let ndata = Payload::new(2)
///     .with_seq(1)
///     .with_metric(Metric::aliased(8, Value::Int8(-1)).with_timestamp(2));
/// host.handle_publish(now, "spBv1.0/Plant/NDATA/Line1", &ndata.encode_to_vec()?);
/// let update = std::iter::from_fn(|| host.poll_event())
///     .find_map(|event| match event {
///         HostEvent::Metrics { metrics, .. } if metrics.len() == 1 => metrics.into_iter().next(),
///         _ => None,
///     })
///     .unwrap();
/// assert_eq!(update.name(), "Tank/Level");
/// assert_eq!(update.datatype(), DataType::Int8);
/// assert_eq!(update.value(), Some(&Value::Int8(-1)));
/// assert_eq!((update.timestamp(), update.quality()), (Some(2), Quality::Good));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MetricUpdate {
    name: Arc<str>,
    datatype: DataType,
    alias: Option<u64>,
    timestamp: Option<u64>,
    value: Option<Value>,
    is_null: bool,
    is_historical: bool,
    is_transient: bool,
    /// Properties and metadata, which data metrics seldom carry: boxed, so that an update is
    /// small enough to be moved without a call to `memcpy`.
    extra: Option<Box<Extra>>,
    quality: Quality,
}

/// The rarer parts of a [`MetricUpdate`].
#[derive(Debug, Clone, PartialEq)]
struct Extra {
    properties: Option<PropertySet>,
    metadata: Option<Box<MetaData>>,
}

impl MetricUpdate {
    /// A received metric, typed already, under its birth name and datatype. Its own `name` and
    /// `datatype` fields are not read.
    pub(super) fn new(
        name: Arc<str>,
        datatype: DataType,
        metric: Metric,
        quality: Quality,
    ) -> Self {
        let Metric {
            alias,
            timestamp,
            is_historical,
            is_transient,
            is_null,
            metadata,
            properties,
            value,
            ..
        } = metric;
        MetricUpdate {
            name,
            datatype,
            alias,
            timestamp,
            value,
            is_null,
            is_historical,
            is_transient,
            extra: match (properties, metadata) {
                (None, None) => None,
                (properties, metadata) => Some(Box::new(Extra {
                    properties,
                    metadata,
                })),
            },
            quality,
        }
    }

    /// A metric that arrived with an alias, a timestamp and a value only (and its flags): what
    /// [`MetricUpdate::new`] makes of such a metric, without building the [`Metric`] first.
    #[inline]
    pub(super) fn plain(
        name: Arc<str>,
        datatype: DataType,
        alias: u64,
        timestamp: Option<u64>,
        value: Value,
        is_historical: bool,
        is_transient: bool,
    ) -> Self {
        MetricUpdate {
            name,
            datatype,
            alias: Some(alias),
            timestamp,
            value: Some(value),
            is_null: false,
            is_historical,
            is_transient,
            extra: None,
            quality: Quality::Good,
        }
    }

    /// The metric's name, from its birth.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name, shared with the host's record of the birth: cloning it copies no text.
    pub fn shared_name(&self) -> &Arc<str> {
        &self.name
    }

    /// The datatype, from the birth.
    pub fn datatype(&self) -> DataType {
        self.datatype
    }

    /// The alias the message used, if any.
    pub fn alias(&self) -> Option<u64> {
        self.alias
    }

    /// The metric timestamp the edge sent (UTC ms), if any.
    pub fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }

    /// The value, read as [`MetricUpdate::datatype`]; `None` when it is null (or absent).
    pub fn value(&self) -> Option<&Value> {
        self.value.as_ref()
    }

    /// The `is_null` flag.
    pub fn is_null(&self) -> bool {
        self.is_null
    }

    /// The `is_historical` flag: historical values do not change the host's live values.
    pub fn is_historical(&self) -> bool {
        self.is_historical
    }

    /// The `is_transient` flag: the value should not be historized.
    pub fn is_transient(&self) -> bool {
        self.is_transient
    }

    /// The properties that came with the value.
    pub fn properties(&self) -> Option<&PropertySet> {
        self.extra.as_ref()?.properties.as_ref()
    }

    /// The metadata that came with the value.
    pub fn metadata(&self) -> Option<&MetaData> {
        self.extra.as_ref()?.metadata.as_deref()
    }

    /// The quality: the `Quality` property, GOOD when there is none, BAD when the property is
    /// not a valid quality code.
    pub fn quality(&self) -> Quality {
        self.quality
    }

    /// The update as a complete [`Metric`], with its birth name and datatype (copies the name).
    pub fn to_metric(&self) -> Metric {
        self.clone().into_metric()
    }

    /// The update as a complete [`Metric`], with its birth name and datatype (copies the name).
    pub fn into_metric(self) -> Metric {
        let (properties, metadata) = match self.extra {
            Some(extra) => (extra.properties, extra.metadata),
            None => (None, None),
        };
        Metric {
            name: Some(String::from(&*self.name)),
            alias: self.alias,
            timestamp: self.timestamp,
            datatype: Some(self.datatype),
            is_historical: self.is_historical,
            is_transient: self.is_transient,
            is_null: self.is_null,
            metadata,
            properties,
            value: self.value,
        }
    }
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

/// What a host application did about an `online:false` on its own STATE topic
/// ([`HostEvent::OwnStateOffline`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OwnStateResponse {
    /// It published its birth again, with the same timestamp, so that the retained STATE says
    /// online (`tck-id-message-flow-hid-sparkplug-state-message-delivered`). The edge nodes
    /// ignored the offline message if it was older than the birth.
    RepublishedBirth,
    /// The offline message was not older than the current birth, so the edge nodes took it as
    /// the host going offline: the host ends this MQTT session and starts a new one whose Will
    /// and STATE birth carry `next_timestamp` (newer than the offline message).
    NewSession {
        /// The timestamp of the next session's Will and birth (at the earliest).
        next_timestamp: Timestamp,
    },
    /// Nothing: reported only.
    Reported,
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
    /// retained, or another client); what the host did about it follows
    /// [`HostConfig::own_state_offline`](super::HostConfig::own_state_offline).
    OwnStateOffline {
        /// The timestamp in the offline message.
        timestamp: u64,
        /// The timestamp of the host's current STATE birth.
        current: Timestamp,
        /// What the host did.
        response: OwnStateResponse,
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
    /// The template definitions of an NBIRTH, right after its [`HostEvent::NodeOnline`] and
    /// before its [`HostEvent::Metrics`] (only when it defines any): the node's template
    /// catalogue. Definitions are types, not metrics: they are never in a `Metrics` event.
    NodeTemplates {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
        /// The NBIRTH's bdSeq.
        bd_seq: Option<BdSeq>,
        /// The definitions, by name, with their versions, members and parameters.
        templates: Arc<TemplateCatalog>,
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
    /// An NBIRTH with another bdSeq for an edge node whose session is live (no death since its
    /// last NBIRTH): most likely a second client publishing under the same group and edge node
    /// id, forged or misconfigured, as the node id must be unique
    /// (`tck-id-topic-structure-namespace-unique-edge-node-descriptor`,
    /// `tck-id-intro-edge-node-id-uniqueness`). The new birth is taken (the latest birth wins),
    /// so the two clients will keep taking the node over from each other; broker credentials
    /// and ACLs are the defence (docs/SECURITY.md).
    DuplicateNodeBirth {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
        /// The bdSeq of the live session's NBIRTH.
        current_bd_seq: Option<BdSeq>,
        /// The bdSeq of the new NBIRTH.
        new_bd_seq: Option<BdSeq>,
        /// Host receive time of the live session's NBIRTH.
        session_since: Timestamp,
        /// Host receive time of the new one.
        at: Timestamp,
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
