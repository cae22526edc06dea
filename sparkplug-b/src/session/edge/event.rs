//! What the edge node tells the application.

use crate::Value;
use crate::topic::DeviceId;

use super::error::{CommandError, MessageError};

/// Something that happened, for the application; see [`EdgeNode::poll_event`](super::EdgeNode::poll_event).
///
/// A peer's protocol violation (a malformed command, a stale STATE) is one of these, never an
/// `Err`: the node carries on.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EdgeEvent {
    /// The birth sequence (NBIRTH and every DBIRTH) was published: after connecting, after the
    /// Primary Host came online, or for a rebirth. Data flows from here.
    Online,
    /// The MQTT session ended (connection lost, closed, or left because the Primary Host went
    /// offline). Data is kept by store and forward until the next birth sequence.
    Offline,
    /// The Primary Host's STATE said online, with a timestamp not older than the last seen.
    PrimaryHostOnline {
        /// The STATE timestamp.
        timestamp: u64,
    },
    /// The Primary Host's STATE said offline, with a timestamp not older than the last seen.
    PrimaryHostOffline {
        /// The STATE timestamp.
        timestamp: u64,
    },
    /// A STATE of the Primary Host older than the last one seen was ignored: a late Will or a
    /// stale retained message
    /// (`tck-id-operational-behavior-edge-node-termination-host-offline-timestamp`).
    StalePrimaryHostState {
        /// What it said.
        online: bool,
        /// Its timestamp.
        timestamp: u64,
    },
    /// An NCMD asked for a rebirth (`Node Control/Rebirth` = true). The births follow at once,
    /// or when the rebirth debounce window ends.
    RebirthRequested,
    /// An NCMD wrote `Node Control/Reboot` = true (see
    /// [`EdgeNode::add_node_control`](super::EdgeNode::add_node_control)): the application
    /// reboots the node.
    RebootRequested,
    /// An NCMD wrote `Node Control/Next Server` = true: the node is to move to its next MQTT
    /// server (the driver acts on it).
    NextServerRequested,
    /// An NCMD set `Node Control/Scan Rate` to `ms` (> 0); the metric has the new value
    /// already, reported by the next flush. The application scans at that rate.
    ScanRateChanged {
        /// The new scan rate, ms.
        ms: i64,
    },
    /// A command metric from NCMD (`device: None`) or DCMD, resolved against this node's birth
    /// and typed with its birth datatype. The node does not change the metric itself: the
    /// application acts, then reports the new value with
    /// [`EdgeNode::set_metric`](super::EdgeNode::set_metric).
    Command {
        /// The device, `None` for a node metric.
        device: Option<DeviceId>,
        /// The metric name.
        name: String,
        /// The value to write.
        value: Value,
    },
    /// A command metric that was not delivered (unknown name or alias, incompatible value, ...)
    /// (`tck-id-operational-behavior-data-commands-ncmd-metric-name`).
    CommandRejected {
        /// The device, `None` for a node metric.
        device: Option<DeviceId>,
        /// The metric name, if the command gave one.
        name: Option<String>,
        /// The metric alias, if the command gave one.
        alias: Option<u64>,
        /// Why.
        error: CommandError,
    },
    /// Store and forward was full: this many of the oldest stored values were dropped.
    StoreForwardDropped {
        /// How many values.
        count: usize,
    },
    /// A received message could not be read; it was ignored.
    MalformedMessage {
        /// The topic it came on.
        topic: String,
        /// Why.
        error: MessageError,
    },
}
