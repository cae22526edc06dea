//! [`Finding`]: one violation or notable observation, with the rule it is about.

use core::fmt;

use crate::session::Timestamp;
use crate::topic::{DeviceId, EdgeNodeId, GroupId, HostId, MessageType};

/// The id of findings about the monitor itself (a tracked node, device or host dropped to
/// stay within the configured bounds). Not a TCK assertion.
pub const CAPACITY: &str = "monitor-capacity";

/// How binding the rule behind a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Severity {
    /// A MUST of the specification is broken.
    Must,
    /// A SHOULD of the specification is not followed.
    Should,
    /// Not a violation: something worth knowing (a stale death, a rebirth request, a dropped
    /// tracker), named by the rule it relates to.
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Must => "MUST",
            Severity::Should => "SHOULD",
            Severity::Info => "INFO",
        })
    }
}

/// Whom a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Subject {
    /// An edge node, for its node-level messages and its seq stream (which its devices share).
    EdgeNode {
        /// The group id.
        group: GroupId,
        /// The edge node id.
        node: EdgeNodeId,
    },
    /// A device, for its own messages.
    Device {
        /// The group id.
        group: GroupId,
        /// The edge node id.
        node: EdgeNodeId,
        /// The device id.
        device: DeviceId,
    },
    /// A host application, for its STATE messages.
    Host {
        /// The Sparkplug host id.
        id: HostId,
    },
    /// A topic under `spBv1.0/` that is not a Sparkplug topic; nobody can be named.
    Topic(String),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::EdgeNode { group, node } => write!(f, "edge node {group}/{node}"),
            Subject::Device {
                group,
                node,
                device,
            } => write!(f, "device {group}/{node}/{device}"),
            Subject::Host { id } => write!(f, "host {id}"),
            Subject::Topic(topic) => write!(f, "topic {topic:?}"),
        }
    }
}

/// One violation or observation.
///
/// `Display` gives one line for humans, e.g.
/// `1700000000000ms MUST edge node G/E: NDATA seq 7 after 5, expected 6 (tck-id-payloads-ndata-seq-inc)`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Finding {
    /// When the message that showed it was received.
    #[cfg_attr(feature = "serde", serde(serialize_with = "serde_impls::millis"))]
    pub at: Timestamp,
    /// Whom it is about.
    pub subject: Subject,
    /// The TCK assertion id, without the `tck-id-` prefix ([`CAPACITY`] for the monitor's own).
    pub tck_id: &'static str,
    /// MUST, SHOULD or an observation.
    pub severity: Severity,
    /// The type of the message that showed it; `None` for a topic that does not parse.
    pub message_type: Option<MessageType>,
    /// What was seen, in a sentence.
    pub detail: String,
}

impl Finding {
    /// Whether it is a violation (MUST or SHOULD) rather than an observation.
    pub fn is_violation(&self) -> bool {
        matches!(self.severity, Severity::Must | Severity::Should)
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}: {} (",
            self.at, self.severity, self.subject, self.detail
        )?;
        if self.tck_id != CAPACITY {
            f.write_str("tck-id-")?;
        }
        write!(f, "{})", self.tck_id)
    }
}

/// Collects the findings of one message, all about the same subject and message type.
pub(super) struct Emit<'a> {
    pub(super) out: &'a mut Vec<Finding>,
    pub(super) at: Timestamp,
    pub(super) subject: Subject,
    pub(super) message_type: Option<MessageType>,
}

impl Emit<'_> {
    pub(super) fn push(&mut self, severity: Severity, tck_id: &'static str, detail: String) {
        self.out.push(Finding {
            at: self.at,
            subject: self.subject.clone(),
            tck_id,
            severity,
            message_type: self.message_type,
            detail,
        });
    }

    pub(super) fn must(&mut self, tck_id: &'static str, detail: String) {
        self.push(Severity::Must, tck_id, detail);
    }

    pub(super) fn should(&mut self, tck_id: &'static str, detail: String) {
        self.push(Severity::Should, tck_id, detail);
    }

    pub(super) fn info(&mut self, tck_id: &'static str, detail: String) {
        self.push(Severity::Info, tck_id, detail);
    }

    /// The same message, about another subject (a device message's seq is its node's).
    pub(super) fn about(&mut self, subject: Subject) -> Emit<'_> {
        Emit {
            out: self.out,
            at: self.at,
            subject,
            message_type: self.message_type,
        }
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use serde::ser::{SerializeMap, Serializer};

    use super::Subject;
    use crate::session::Timestamp;

    pub(super) fn millis<S: Serializer>(at: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(at.as_millis())
    }

    /// `{"kind":"edge_node","group":..,"node":..}`, `{"kind":"device",..,"device":..}`,
    /// `{"kind":"host","id":..}`, `{"kind":"topic","topic":..}`.
    impl serde::Serialize for Subject {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(None)?;
            match self {
                Subject::EdgeNode { group, node } => {
                    map.serialize_entry("kind", "edge_node")?;
                    map.serialize_entry("group", group)?;
                    map.serialize_entry("node", node)?;
                }
                Subject::Device {
                    group,
                    node,
                    device,
                } => {
                    map.serialize_entry("kind", "device")?;
                    map.serialize_entry("group", group)?;
                    map.serialize_entry("node", node)?;
                    map.serialize_entry("device", device)?;
                }
                Subject::Host { id } => {
                    map.serialize_entry("kind", "host")?;
                    map.serialize_entry("id", id)?;
                }
                Subject::Topic(topic) => {
                    map.serialize_entry("kind", "topic")?;
                    map.serialize_entry("topic", topic)?;
                }
            }
            map.end()
        }
    }
}
