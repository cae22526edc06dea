//! Live updates for the dashboard: what the host just received, as small JSON-ready events on a
//! broadcast channel. A receiver that falls behind skips what it missed (it can re-read the
//! latest values from the API); the ingest loop never waits for it.

use serde::Serialize;
use sparkplug_b::Value;
use sparkplug_b::session::HostEvent;
use tokio::sync::broadcast;

/// How many events a slow receiver may fall behind before it skips.
pub(crate) const CAPACITY: usize = 4096;

/// One metric value as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct LiveValue {
    /// The metric's name.
    pub(crate) name: String,
    /// Metric time, ms.
    pub(crate) timestamp_ms: Option<u64>,
    /// The value (`None`: null).
    pub(crate) value: Option<Value>,
    /// Quality code: 192 good, 500 stale, 0 bad.
    pub(crate) quality: i32,
}

/// An update, serialised as `{"type": "metrics", ...}` and so on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum LiveEvent {
    /// New values of a node's or device's metrics (births and data).
    Metrics {
        /// Group id.
        group: String,
        /// Edge node id.
        node: String,
        /// Device id, for device metrics.
        device: Option<String>,
        /// `NBIRTH`, `DBIRTH`, `NDATA` or `DDATA`.
        message_type: String,
        /// The values.
        values: Vec<LiveValue>,
    },
    /// A node or device came online or went offline.
    Presence {
        /// Group id.
        group: String,
        /// Edge node id.
        node: String,
        /// Device id, for a device.
        device: Option<String>,
        /// Whether it is online now.
        online: bool,
        /// When, ms.
        at_ms: u64,
    },
    /// A lifecycle event worth listing: a seq gap, a rebirth request, a violation.
    Event {
        /// `seq_gap`, `rebirth_requested` or `violation`.
        kind: String,
        /// Group id, when known.
        group: Option<String>,
        /// Edge node id, when known.
        node: Option<String>,
        /// What happened.
        detail: String,
    },
}

/// The members of a template value as values of their own, named by path (`Motor1/Speed`,
/// recursively), as the store keeps them: the dashboard reads members like flat metrics.
fn members(parent: &LiveValue, out: &mut Vec<LiveValue>) {
    let Some(Value::Template(t)) = &parent.value else {
        return;
    };
    for m in &t.metrics {
        let Some(name) = &m.name else {
            continue;
        };
        let live = LiveValue {
            name: format!("{}/{name}", parent.name),
            timestamp_ms: m.timestamp.or(parent.timestamp_ms),
            value: if m.is_null { None } else { m.value.clone() },
            quality: parent.quality,
        };
        members(&live, out);
        out.push(live);
    }
}

/// The live event of a host event, if it has one.
pub(crate) fn of(event: &HostEvent) -> Option<LiveEvent> {
    Some(match event {
        HostEvent::Metrics {
            group,
            node,
            device,
            message_type,
            metrics,
            ..
        } => LiveEvent::Metrics {
            group: group.to_string(),
            node: node.to_string(),
            device: device.as_ref().map(ToString::to_string),
            message_type: message_type.to_string(),
            values: {
                let mut values = Vec::with_capacity(metrics.len());
                for u in metrics {
                    let live = LiveValue {
                        name: u.name().to_owned(),
                        timestamp_ms: u.timestamp(),
                        value: u.value().cloned(),
                        quality: u.quality().code(),
                    };
                    members(&live, &mut values);
                    values.push(live);
                }
                values
            },
        },
        HostEvent::NodeOnline {
            group, node, at, ..
        }
        | HostEvent::NodeOffline {
            group, node, at, ..
        } => LiveEvent::Presence {
            group: group.to_string(),
            node: node.to_string(),
            device: None,
            online: matches!(event, HostEvent::NodeOnline { .. }),
            at_ms: at.as_millis(),
        },
        HostEvent::DeviceOnline {
            group,
            node,
            device,
            at,
        }
        | HostEvent::DeviceOffline {
            group,
            node,
            device,
            at,
            ..
        } => LiveEvent::Presence {
            group: group.to_string(),
            node: node.to_string(),
            device: Some(device.to_string()),
            online: matches!(event, HostEvent::DeviceOnline { .. }),
            at_ms: at.as_millis(),
        },
        HostEvent::SeqGap {
            group,
            node,
            expected,
            received,
            ..
        } => LiveEvent::Event {
            kind: "seq_gap".into(),
            group: Some(group.to_string()),
            node: Some(node.to_string()),
            detail: format!("expected seq {expected}, received {received}"),
        },
        HostEvent::RebirthRequested {
            group,
            node,
            reason,
        } => LiveEvent::Event {
            kind: "rebirth_requested".into(),
            group: Some(group.to_string()),
            node: Some(node.to_string()),
            detail: format!("{reason:?}"),
        },
        HostEvent::Violation {
            group,
            node,
            tck_id,
            detail,
            ..
        } => LiveEvent::Event {
            kind: "violation".into(),
            group: group.as_ref().map(ToString::to_string),
            node: node.as_ref().map(ToString::to_string),
            detail: format!("{tck_id}: {detail}"),
        },
        _ => return None,
    })
}

/// A new broadcast channel for live events.
pub(crate) fn channel() -> broadcast::Sender<LiveEvent> {
    broadcast::channel(CAPACITY).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparkplug_b::{Metric, Template};

    /// Template members reach the live stream by path, as the store keeps them.
    #[test]
    fn template_members_are_values_by_path() {
        let inner = Template::instance("Drive", vec![Metric::new("On", true)]);
        let parent = LiveValue {
            name: "Compressor1".into(),
            timestamp_ms: Some(5),
            value: Some(Value::Template(Box::new(Template::instance(
                "Compressor",
                vec![
                    Metric::new("SuctionPressure", 1.5).with_timestamp(4),
                    Metric::new("Drive", inner),
                ],
            )))),
            quality: 0,
        };
        let mut out = Vec::new();
        members(&parent, &mut out);
        let names: Vec<(&str, Option<u64>, i32)> = out
            .iter()
            .map(|v| (v.name.as_str(), v.timestamp_ms, v.quality))
            .collect();
        assert_eq!(
            names,
            [
                ("Compressor1/SuctionPressure", Some(4), 0),
                ("Compressor1/Drive/On", Some(5), 0),
                ("Compressor1/Drive", Some(5), 0)
            ]
        );
    }
}
