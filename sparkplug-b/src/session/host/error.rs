//! The errors of the host application's commands.

use crate::topic::{DeviceId, EdgeNodeId, GroupId};
use crate::{DataType, EncodeError};

/// Why a command ([`HostApplication::write_metric`](super::HostApplication::write_metric),
/// [`HostApplication::request_rebirth`](super::HostApplication::request_rebirth)) was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The host is not connected (or has not published its STATE birth yet): nothing may be
    /// published before the birth (`tck-id-host-topic-phid-birth-message`).
    #[error("the host application is not connected to a broker")]
    NotConnected,
    /// No birth of this edge node was ever received.
    #[error("edge node {group}/{node} is unknown")]
    UnknownNode {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
    },
    /// The edge node is not online, so its birth's aliases may no longer hold.
    #[error("edge node {group}/{node} is not online")]
    NodeNotOnline {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
    },
    /// No DBIRTH of this device was received since its node's NBIRTH.
    #[error("device {device} of edge node {group}/{node} is unknown")]
    UnknownDevice {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
        /// Device id.
        device: DeviceId,
    },
    /// The device is not online, so its birth's aliases may no longer hold.
    #[error("device {device} of edge node {group}/{node} is not online")]
    DeviceNotOnline {
        /// Group id.
        group: GroupId,
        /// Edge node id.
        node: EdgeNodeId,
        /// Device id.
        device: DeviceId,
    },
    /// The birth has no metric of this name
    /// (`tck-id-operational-behavior-data-commands-ncmd-metric-name`).
    #[error("metric {name:?} is not in the birth")]
    UnknownMetric {
        /// The name asked for.
        name: String,
    },
    /// The value does not fit the metric's datatype: another type, or out of range
    /// (`tck-id-operational-behavior-data-commands-ncmd-metric-value`).
    #[error("metric {name:?} is {datatype}; the {given} value given does not fit it")]
    IncompatibleValue {
        /// The metric name.
        name: String,
        /// The birth's datatype.
        datatype: DataType,
        /// The datatype of the value given.
        given: DataType,
    },
    /// The command could not be encoded.
    #[error("the command cannot be encoded")]
    Encode(#[from] EncodeError),
}
