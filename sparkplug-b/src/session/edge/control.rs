//! The optional Node Control metrics: `Node Control/Reboot`, `Node Control/Next Server` and
//! `Node Control/Scan Rate` (`Node Control/Rebirth` is always there: see `birth.rs`).
//!
//! The application turns them on with [`EdgeNode::add_node_control`]; they are node metrics of
//! the NBIRTH, and an NCMD writing them reaches the application as its own [`EdgeEvent`]
//! ([`EdgeEvent::RebootRequested`], [`EdgeEvent::NextServerRequested`],
//! [`EdgeEvent::ScanRateChanged`]) rather than as a plain command.

use crate::Value;
use crate::session::{DisconnectReason, Timestamp};

use super::error::{CommandError, MetricSpecError};
use super::{EdgeEvent, EdgeNode, MetricSpec};

/// The name of the reboot command metric (Boolean).
pub const NODE_CONTROL_REBOOT: &str = "Node Control/Reboot";
/// The name of the next-server command metric (Boolean): move to the next MQTT server.
pub const NODE_CONTROL_NEXT_SERVER: &str = "Node Control/Next Server";
/// The name of the scan rate metric (Int64, milliseconds).
pub const NODE_CONTROL_SCAN_RATE: &str = "Node Control/Scan Rate";

/// An optional Node Control metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NodeControl {
    /// `Node Control/Reboot`: a host may ask the node to reboot.
    Reboot,
    /// `Node Control/Next Server`: a host may ask the node to move to its next MQTT server.
    /// The node publishes its NDEATH and leaves with
    /// [`DisconnectReason::NextServer`]; the driver then connects to the next server of its list.
    NextServer,
    /// `Node Control/Scan Rate`: the node's scan rate in milliseconds (> 0), which a host may
    /// change.
    ScanRate {
        /// The scan rate now, ms.
        ms: i64,
    },
}

impl NodeControl {
    /// The metric name.
    pub const fn name(self) -> &'static str {
        match self {
            NodeControl::Reboot => NODE_CONTROL_REBOOT,
            NodeControl::NextServer => NODE_CONTROL_NEXT_SERVER,
            NodeControl::ScanRate { .. } => NODE_CONTROL_SCAN_RATE,
        }
    }

    fn spec(self) -> MetricSpec {
        match self {
            NodeControl::Reboot | NodeControl::NextServer => {
                MetricSpec::with_initial(self.name(), false)
            }
            NodeControl::ScanRate { ms } => MetricSpec::with_initial(self.name(), ms),
        }
    }
}

impl EdgeNode {
    /// Adds a Node Control metric to the node (in the NBIRTH from now on; while `Online` this
    /// publishes a new birth sequence, as [`EdgeNode::add_node_metric`] does). A scan rate must
    /// be above 0.
    pub fn add_node_control(
        &mut self,
        now: Timestamp,
        control: NodeControl,
    ) -> Result<(), MetricSpecError> {
        if let NodeControl::ScanRate { ms } = control {
            if ms <= 0 {
                return Err(MetricSpecError::InvalidScanRate(ms));
            }
        }
        self.add_node_metric(now, control.spec())
    }

    /// An NCMD command event for a Node Control metric as its own event: reboot and next
    /// server when written true (false asks for nothing), a new scan rate (recorded as the
    /// metric's value, reported by the next flush) when above 0. Other events pass unchanged.
    pub(super) fn node_control(&mut self, now: Timestamp, event: EdgeEvent) -> Option<EdgeEvent> {
        let EdgeEvent::Command {
            device: None,
            name,
            value,
        } = &event
        else {
            return Some(event);
        };
        let reject = |error| EdgeEvent::CommandRejected {
            device: None,
            name: Some(name.clone()),
            alias: None,
            error,
        };
        match (name.as_str(), value) {
            (NODE_CONTROL_REBOOT, Value::Boolean(true)) => Some(EdgeEvent::RebootRequested),
            (NODE_CONTROL_NEXT_SERVER, Value::Boolean(true)) => {
                self.leave_for_next_server(now, DisconnectReason::NextServer);
                Some(EdgeEvent::NextServerRequested)
            }
            (NODE_CONTROL_REBOOT | NODE_CONTROL_NEXT_SERVER, Value::Boolean(false)) => None,
            (NODE_CONTROL_SCAN_RATE, Value::Int64(ms)) if *ms > 0 => {
                let ms = *ms;
                match self.set_metric(now, None, NODE_CONTROL_SCAN_RATE, ms) {
                    Ok(()) => Some(EdgeEvent::ScanRateChanged { ms }),
                    Err(_) => Some(reject(CommandError::InvalidScanRate(ms))),
                }
            }
            (NODE_CONTROL_SCAN_RATE, Value::Int64(ms)) => {
                Some(reject(CommandError::InvalidScanRate(*ms)))
            }
            _ => Some(event),
        }
    }
}
