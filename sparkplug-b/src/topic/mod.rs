//! The Sparkplug B topic namespace (spec chapter 4, "Topics and Messages").
//!
//! Every Sparkplug topic name has one of three forms (`tck-id-topic-structure`):
//!
//! ```text
//! spBv1.0/<group_id>/<NBIRTH|NDEATH|NDATA|NCMD>/<edge_node_id>
//! spBv1.0/<group_id>/<DBIRTH|DDEATH|DDATA|DCMD>/<edge_node_id>/<device_id>
//! spBv1.0/STATE/<sparkplug_host_id>
//! ```
//!
//! [`Topic::parse`] turns a received topic name into a [`Topic`] holding validated
//! identifiers ([`GroupId`], [`EdgeNodeId`], [`DeviceId`], [`HostId`]); its [`Display`]
//! writes the exact topic name back. A [`Topic`] cannot hold a device verb without a device id
//! or a node verb with one: [`NodeMessageType`] and [`DeviceMessageType`] split the verbs.
//! [`StateMessage`] is the JSON body of STATE messages.
//!
//! A [`Topic`] is a topic *name*, as published; subscription filters with `+` and `#` are not
//! topics and are rejected by the identifier rules.
//!
//! ```
//! use sparkplug_b::topic::{MessageType, Topic};
//!
//! let topic = Topic::parse("spBv1.0/Plant1/DDATA/Line3/Press 7")?;
//! assert_eq!(topic.message_type(), MessageType::DData);
//! assert_eq!(topic.group().map(|g| g.as_str()), Some("Plant1"));
//! assert_eq!(topic.device().map(|d| d.as_str()), Some("Press 7"));
//! assert_eq!(topic.to_string(), "spBv1.0/Plant1/DDATA/Line3/Press 7");
//!
//! let state: Topic = "spBv1.0/STATE/scada-primary".parse()?;
//! assert_eq!(state.host().map(|h| h.as_str()), Some("scada-primary"));
//! # Ok::<(), sparkplug_b::topic::TopicParseError>(())
//! ```
//!
//! [`Display`]: core::fmt::Display

mod borrowed;
mod error;
mod id;
mod message_type;
mod state;

pub(crate) use borrowed::TopicRef;
pub use error::TopicParseError;
pub use id::{
    DeviceId, EdgeNodeId, GroupId, HostId, IdError, IdKind, MAX_ID_BYTES, MAX_TOPIC_BYTES,
};
pub use message_type::{DeviceMessageType, MessageType, NodeMessageType};
pub use state::{StateMessage, StateParseError};

use core::fmt;
use core::str::FromStr;

/// The namespace token of Sparkplug B topics (`tck-id-topic-structure-namespace-a`).
pub const NAMESPACE: &str = "spBv1.0";

/// The `message_type` level that marks a Host Application STATE topic.
const STATE_TOKEN: &str = "STATE";

/// A parsed Sparkplug B topic name.
///
/// [`Display`](fmt::Display) writes the exact topic name; [`Topic::parse`] reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Topic {
    /// `spBv1.0/<group_id>/<NBIRTH|NDEATH|NDATA|NCMD>/<edge_node_id>`.
    Node {
        /// The group id.
        group: GroupId,
        /// The node-level message type.
        message_type: NodeMessageType,
        /// The edge node id.
        node: EdgeNodeId,
    },
    /// `spBv1.0/<group_id>/<DBIRTH|DDEATH|DDATA|DCMD>/<edge_node_id>/<device_id>`.
    Device {
        /// The group id.
        group: GroupId,
        /// The device-level message type.
        message_type: DeviceMessageType,
        /// The edge node id.
        node: EdgeNodeId,
        /// The device id.
        device: DeviceId,
    },
    /// `spBv1.0/STATE/<sparkplug_host_id>` (`tck-id-host-topic-phid-birth-topic`).
    State {
        /// The Host Application id.
        host: HostId,
    },
}

impl Topic {
    /// Parses a topic name.
    ///
    /// The whole name is checked: the namespace, the number of levels for the message type, the
    /// message type and every identifier. The result owns its identifiers (one allocation each).
    ///
    /// # Errors
    /// [`TopicParseError`], naming the rule the topic breaks.
    ///
    /// # Example
    /// ```
    /// use sparkplug_b::topic::{MessageType, Topic, TopicParseError};
    ///
    /// let topic = Topic::parse("spBv1.0/G1/NBIRTH/E1")?;
    /// assert_eq!(topic.message_type(), MessageType::NBirth);
    /// assert_eq!(topic.edge_node().map(|e| e.as_str()), Some("E1"));
    /// assert_eq!(topic.device(), None);
    ///
    /// assert_eq!(
    ///     Topic::parse("spBv1.0/G1/DBIRTH/E1"),
    ///     Err(TopicParseError::MissingDeviceId { message_type: MessageType::DBirth })
    /// );
    /// # Ok::<(), TopicParseError>(())
    /// ```
    pub fn parse(topic: &str) -> Result<Topic, TopicParseError> {
        borrowed::TopicRef::parse(topic).map(borrowed::TopicRef::to_owned)
    }

    /// An edge node topic `spBv1.0/<group_id>/<message_type>/<edge_node_id>`.
    ///
    /// # Errors
    /// [`TopicParseError::MissingDeviceId`] for a device verb,
    /// [`TopicParseError::MisplacedState`] for STATE.
    pub fn new_node(
        group: GroupId,
        message_type: MessageType,
        node: EdgeNodeId,
    ) -> Result<Topic, TopicParseError> {
        let message_type = NodeMessageType::try_from(message_type)?;
        Ok(Topic::Node {
            group,
            message_type,
            node,
        })
    }

    /// A device topic `spBv1.0/<group_id>/<message_type>/<edge_node_id>/<device_id>`.
    ///
    /// # Errors
    /// [`TopicParseError::UnexpectedDeviceId`] for a node verb or STATE.
    pub fn new_device(
        group: GroupId,
        message_type: MessageType,
        node: EdgeNodeId,
        device: DeviceId,
    ) -> Result<Topic, TopicParseError> {
        let message_type = DeviceMessageType::try_from(message_type)?;
        Ok(Topic::Device {
            group,
            message_type,
            node,
            device,
        })
    }

    /// The Host Application STATE topic `spBv1.0/STATE/<sparkplug_host_id>`.
    pub fn new_state(host: HostId) -> Topic {
        Topic::State { host }
    }

    /// The message type.
    pub fn message_type(&self) -> MessageType {
        match self {
            Topic::Node { message_type, .. } => (*message_type).into(),
            Topic::Device { message_type, .. } => (*message_type).into(),
            Topic::State { .. } => MessageType::State,
        }
    }

    /// The group id; `None` for STATE.
    pub fn group(&self) -> Option<&GroupId> {
        match self {
            Topic::Node { group, .. } | Topic::Device { group, .. } => Some(group),
            Topic::State { .. } => None,
        }
    }

    /// The edge node id; `None` for STATE.
    pub fn edge_node(&self) -> Option<&EdgeNodeId> {
        match self {
            Topic::Node { node, .. } | Topic::Device { node, .. } => Some(node),
            Topic::State { .. } => None,
        }
    }

    /// The device id; `Some` only for device topics.
    pub fn device(&self) -> Option<&DeviceId> {
        match self {
            Topic::Device { device, .. } => Some(device),
            _ => None,
        }
    }

    /// The Host Application id; `Some` only for STATE.
    pub fn host(&self) -> Option<&HostId> {
        match self {
            Topic::State { host } => Some(host),
            _ => None,
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Node {
                group,
                message_type,
                node,
            } => {
                write!(f, "{NAMESPACE}/{group}/{message_type}/{node}")
            }
            Topic::Device {
                group,
                message_type,
                node,
                device,
            } => {
                write!(f, "{NAMESPACE}/{group}/{message_type}/{node}/{device}")
            }
            Topic::State { host } => write!(f, "{NAMESPACE}/{STATE_TOKEN}/{host}"),
        }
    }
}

impl FromStr for Topic {
    type Err = TopicParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Topic::parse(s)
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::{DeviceMessageType, MessageType, NodeMessageType, Topic};

    impl serde::Serialize for MessageType {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_str(self.as_str())
        }
    }

    impl serde::Serialize for NodeMessageType {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            MessageType::from(*self).serialize(serializer)
        }
    }

    impl serde::Serialize for DeviceMessageType {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            MessageType::from(*self).serialize(serializer)
        }
    }

    /// Serializes as the topic name.
    impl serde::Serialize for Topic {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_str(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type E = TopicParseError;

    fn id_err(topic: &str) -> Option<IdError> {
        match Topic::parse(topic) {
            Err(E::InvalidId(e)) => Some(e),
            _ => None,
        }
    }

    // tck-id-topic-structure, tck-id-topics-nbirth-topic, tck-id-topics-ndata-topic,
    // tck-id-topics-ndeath-topic, tck-id-topics-ncmd-topic
    #[test]
    fn parses_node_topics() -> Result<(), E> {
        for (verb, mt) in [
            ("NBIRTH", MessageType::NBirth),
            ("NDEATH", MessageType::NDeath),
            ("NDATA", MessageType::NData),
            ("NCMD", MessageType::NCmd),
        ] {
            let text = format!("spBv1.0/Plant 1/{verb}/Edge-1");
            let topic = Topic::parse(&text)?;
            assert_eq!(topic.message_type(), mt);
            assert_eq!(topic.group().map(GroupId::as_str), Some("Plant 1"));
            assert_eq!(topic.edge_node().map(EdgeNodeId::as_str), Some("Edge-1"));
            assert_eq!(topic.device(), None);
            assert_eq!(topic.host(), None);
            assert_eq!(topic.to_string(), text);
            assert_eq!(
                topic,
                Topic::new_node("Plant 1".parse()?, mt, "Edge-1".parse()?)?
            );
        }
        Ok(())
    }

    // tck-id-topic-structure-namespace-device-id-associated-message-types,
    // tck-id-topics-dbirth-topic, tck-id-topics-ddata-topic, tck-id-topics-ddeath-topic,
    // tck-id-topics-dcmd-topic
    #[test]
    fn parses_device_topics() -> Result<(), E> {
        for (verb, mt) in [
            ("DBIRTH", MessageType::DBirth),
            ("DDEATH", MessageType::DDeath),
            ("DDATA", MessageType::DData),
            ("DCMD", MessageType::DCmd),
        ] {
            let text = format!("spBv1.0/G/{verb}/E/Dév 1");
            let topic: Topic = text.parse()?;
            assert_eq!(topic.message_type(), mt);
            assert_eq!(topic.group().map(GroupId::as_str), Some("G"));
            assert_eq!(topic.edge_node().map(EdgeNodeId::as_str), Some("E"));
            assert_eq!(topic.device().map(DeviceId::as_str), Some("Dév 1"));
            assert_eq!(topic.host(), None);
            assert_eq!(topic.to_string(), text);
            let built = Topic::new_device("G".parse()?, mt, "E".parse()?, "Dév 1".parse()?)?;
            assert_eq!(topic, built);
        }
        Ok(())
    }

    // tck-id-host-topic-phid-birth-topic, tck-id-host-topic-phid-death-topic
    #[test]
    fn parses_state_topic() -> Result<(), E> {
        let topic = Topic::parse("spBv1.0/STATE/scada-1")?;
        assert_eq!(topic.message_type(), MessageType::State);
        assert_eq!(topic.host().map(HostId::as_str), Some("scada-1"));
        assert_eq!(
            (topic.group(), topic.edge_node(), topic.device()),
            (None, None, None)
        );
        assert_eq!(topic, Topic::new_state("scada-1".parse()?));
        assert_eq!(topic.to_string(), "spBv1.0/STATE/scada-1");
        // Three levels always mean STATE, even when the host id looks like a verb.
        assert_eq!(
            Topic::parse("spBv1.0/STATE/NBIRTH")?
                .host()
                .map(HostId::as_str),
            Some("NBIRTH")
        );
        Ok(())
    }

    // tck-id-topic-structure-namespace-valid-group-id: `STATE` is a legal group id in 3.0.
    #[test]
    fn group_named_state_is_a_group() -> Result<(), E> {
        let topic = Topic::parse("spBv1.0/STATE/NBIRTH/E")?;
        assert_eq!(topic.group().map(GroupId::as_str), Some("STATE"));
        assert_eq!(
            Topic::parse("spBv1.0/STATE/DDATA/E/D")?.message_type(),
            MessageType::DData
        );
        Ok(())
    }

    // tck-id-topic-structure-namespace-a
    #[test]
    fn rejects_wrong_namespace() {
        for t in [
            "spAv1.0/G/NBIRTH/E",
            "spbv1.0/G/NBIRTH/E",
            "spBv1.0 /G/NBIRTH/E",
            "/spBv1.0/G/NBIRTH/E",
            "STATE/host", // Sparkplug 2.2 STATE form
            "",
        ] {
            assert_eq!(Topic::parse(t), Err(E::WrongNamespace), "{t}");
        }
    }

    // tck-id-topic-structure
    #[test]
    fn rejects_too_few_levels() {
        for (t, levels) in [
            ("spBv1.0", 1),
            ("spBv1.0/G", 2),
            ("spBv1.0/STATE", 2),
            ("spBv1.0/G/NBIRTH", 3),
            ("spBv1.0/G/DBIRTH", 3),
        ] {
            assert_eq!(Topic::parse(t), Err(E::TooFewLevels { levels }), "{t}");
        }
    }

    // tck-id-topic-structure, tck-id-host-topic-phid-birth-topic
    #[test]
    fn rejects_too_many_levels() {
        for (t, message_type, levels) in [
            ("spBv1.0/G/NDATA/E/D/X", MessageType::NData, 6),
            ("spBv1.0/G/DDATA/E/D/X", MessageType::DData, 6),
            ("spBv1.0/G/DDATA/E/D/", MessageType::DData, 6),
            ("spBv1.0/STATE/h/x/y", MessageType::State, 5),
        ] {
            assert_eq!(
                Topic::parse(t),
                Err(E::TooManyLevels {
                    message_type,
                    levels
                }),
                "{t}"
            );
        }
    }

    // tck-id-topic-structure: the message type is one of nine case-sensitive verbs.
    #[test]
    fn rejects_unknown_message_type() {
        for (t, found) in [
            ("spBv1.0/G/nbirth/E", "nbirth"),
            ("spBv1.0/G/NBIRTH2/E", "NBIRTH2"),
            ("spBv1.0/G//E", ""),
            ("spBv1.0/state/h", "h"),
        ] {
            let expected = E::UnknownMessageType {
                found: found.to_owned(),
            };
            assert_eq!(Topic::parse(t), Err(expected), "{t}");
        }
    }

    // tck-id-topic-structure-namespace-device-id-associated-message-types
    #[test]
    fn rejects_device_verb_without_device_id() {
        for verb in ["DBIRTH", "DDEATH", "DDATA", "DCMD"] {
            let Err(E::MissingDeviceId { message_type }) =
                Topic::parse(&format!("spBv1.0/G/{verb}/E"))
            else {
                panic!("{verb} accepted without device id");
            };
            assert_eq!(message_type.as_str(), verb);
        }
    }

    // tck-id-topic-structure-namespace-device-id-non-associated-message-types
    #[test]
    fn rejects_node_verb_or_state_with_device_id() {
        for verb in ["NBIRTH", "NDEATH", "NDATA", "NCMD"] {
            let Err(E::UnexpectedDeviceId { message_type }) =
                Topic::parse(&format!("spBv1.0/G/{verb}/E/D"))
            else {
                panic!("{verb} accepted with a device id");
            };
            assert_eq!(message_type.as_str(), verb);
        }
        assert_eq!(
            Topic::parse("spBv1.0/STATE/h/D"),
            Err(E::UnexpectedDeviceId {
                message_type: MessageType::State
            })
        );
    }

    // tck-id-host-topic-phid-birth-topic: STATE only as `spBv1.0/STATE/<host_id>`.
    #[test]
    fn rejects_state_as_edge_node_verb() {
        assert_eq!(Topic::parse("spBv1.0/G/STATE/E"), Err(E::MisplacedState));
        assert_eq!(Topic::parse("spBv1.0/G/STATE/E/D"), Err(E::MisplacedState));
    }

    // tck-id-topic-structure-namespace-valid-group-id,
    // tck-id-topic-structure-namespace-valid-edge-node-id,
    // tck-id-topic-structure-namespace-valid-device-id,
    // tck-id-intro-group-id-string, tck-id-intro-group-id-chars, tck-id-host-topic-phid-birth-topic
    #[test]
    fn rejects_invalid_ids() {
        use IdKind::*;
        let cases = [
            ("spBv1.0//NBIRTH/E", IdError::Empty { kind: Group }),
            ("spBv1.0/G/NBIRTH/", IdError::Empty { kind: EdgeNode }),
            ("spBv1.0/G/DDATA/E/", IdError::Empty { kind: Device }),
            ("spBv1.0/STATE/", IdError::Empty { kind: Host }),
            (
                "spBv1.0/G+/NBIRTH/E",
                IdError::ReservedChar {
                    kind: Group,
                    ch: '+',
                    index: 1,
                },
            ),
            (
                "spBv1.0/G/NCMD/#",
                IdError::ReservedChar {
                    kind: EdgeNode,
                    ch: '#',
                    index: 0,
                },
            ),
            (
                "spBv1.0/G/DCMD/E/+",
                IdError::ReservedChar {
                    kind: Device,
                    ch: '+',
                    index: 0,
                },
            ),
            (
                "spBv1.0/STATE/+",
                IdError::ReservedChar {
                    kind: Host,
                    ch: '+',
                    index: 0,
                },
            ),
            (
                "spBv1.0/G\0/NBIRTH/E",
                IdError::NulChar {
                    kind: Group,
                    index: 1,
                },
            ),
            (
                "spBv1.0/G/DBIRTH/E/\0",
                IdError::NulChar {
                    kind: Device,
                    index: 0,
                },
            ),
        ];
        for (t, expected) in cases {
            assert_eq!(id_err(t), Some(expected), "{t:?}");
        }
    }

    // tck-id-topic-structure-namespace-device-id-associated-message-types,
    // tck-id-topic-structure-namespace-device-id-non-associated-message-types
    #[test]
    fn constructors_refuse_wrong_verbs() -> Result<(), E> {
        let (g, e, d) = (
            GroupId::new("G")?,
            EdgeNodeId::new("E")?,
            DeviceId::new("D")?,
        );
        assert_eq!(
            Topic::new_node(g.clone(), MessageType::DBirth, e.clone()),
            Err(E::MissingDeviceId {
                message_type: MessageType::DBirth
            })
        );
        assert_eq!(
            Topic::new_node(g.clone(), MessageType::State, e.clone()),
            Err(E::MisplacedState)
        );
        for mt in [MessageType::NData, MessageType::State] {
            assert_eq!(
                Topic::new_device(g.clone(), mt, e.clone(), d.clone()),
                Err(E::UnexpectedDeviceId { message_type: mt })
            );
        }
        Ok(())
    }

    #[test]
    fn error_messages_name_tck_ids() {
        let msg = |t: &str| {
            Topic::parse(t)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            msg("spBv1.0/G/DBIRTH/E"),
            "device id missing for DBIRTH \
             (tck-id-topic-structure-namespace-device-id-associated-message-types)"
        );
        assert_eq!(
            msg("spBv1.0/G/NDATA/E/D"),
            "device id present for NDATA \
             (tck-id-topic-structure-namespace-device-id-non-associated-message-types)"
        );
        assert_eq!(
            msg("spBv1.0/G+/NDATA/E"),
            "group_id contains the reserved character `+` at byte 1 \
             (tck-id-topic-structure-namespace-valid-group-id)"
        );
        for t in [
            "x/G/NDATA/E",
            "spBv1.0",
            "spBv1.0/G/X/E",
            "spBv1.0/G/STATE/E",
            "spBv1.0/STATE/h/x/y",
        ] {
            assert!(
                msg(t).ends_with(')') && msg(t).contains("(tck-id-"),
                "{t}: {}",
                msg(t)
            );
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serializes_as_strings() -> Result<(), Box<dyn std::error::Error>> {
        let topic = Topic::parse("spBv1.0/G/DDATA/E/D")?;
        assert_eq!(serde_json::to_string(&topic)?, r#""spBv1.0/G/DDATA/E/D""#);
        assert_eq!(serde_json::to_string(&MessageType::NBirth)?, r#""NBIRTH""#);
        assert_eq!(serde_json::to_string(&NodeMessageType::NCmd)?, r#""NCMD""#);
        assert_eq!(
            serde_json::to_string(&DeviceMessageType::DCmd)?,
            r#""DCMD""#
        );
        Ok(())
    }

    fn id_text() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[^+/#\\x00]{1,12}",
            1 => prop::sample::select(vec!["STATE", "NBIRTH", "DDATA", "spBv1.0", "$SYS", " "])
                .prop_map(str::to_owned),
        ]
    }

    fn any_topic() -> impl Strategy<Value = Topic> {
        (
            prop::sample::select(MessageType::ALL.to_vec()),
            id_text(),
            id_text(),
            id_text(),
        )
            .prop_map(|(mt, a, b, c)| {
                if mt == MessageType::State {
                    HostId::new(a).map(Topic::new_state).map_err(E::from)
                } else if mt.is_device_level() {
                    Topic::new_device(a.parse()?, mt, b.parse()?, c.parse()?)
                } else {
                    Topic::new_node(a.parse()?, mt, b.parse()?)
                }
            })
            .prop_filter_map("ids are valid by construction", Result::ok)
    }

    proptest! {
        // tck-id-topic-structure: format -> parse is the identity.
        #[test]
        fn display_parse_round_trip(topic in any_topic()) {
            prop_assert_eq!(Topic::parse(&topic.to_string()), Ok(topic));
        }

        // Total on arbitrary input; whatever parses, displays back byte for byte.
        #[test]
        fn parse_never_panics(s in any::<String>()) {
            if let Ok(topic) = Topic::parse(&s) {
                prop_assert_eq!(topic.to_string(), s);
            }
        }

        // Same, on inputs built from Sparkplug-looking pieces to reach the deep branches.
        #[test]
        fn parse_is_exact_on_topic_like_input(
            parts in prop::collection::vec(
                prop_oneof![
                    Just("spBv1.0".to_owned()), Just("STATE".to_owned()), Just("NBIRTH".to_owned()),
                    Just("DDATA".to_owned()), Just("/".to_owned()), Just("+".to_owned()),
                    Just("\0".to_owned()), "[a-zA-Z#]{0,3}",
                ],
                0..10,
            )
        ) {
            let s: String = parts.concat();
            if let Ok(topic) = Topic::parse(&s) {
                prop_assert_eq!(topic.to_string(), s);
            }
        }
    }
}
