//! Errors of topic parsing.

use super::{IdError, MessageType};

/// Why a string is not a Sparkplug B topic name, or a verb does not fit a topic form.
///
/// Each message names the TCK assertion it enforces.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopicParseError {
    /// The first level is not `spBv1.0`.
    #[error("topic namespace is not `spBv1.0` (tck-id-topic-structure-namespace-a)")]
    WrongNamespace,
    /// Too few levels for any Sparkplug topic, or an edge node id is missing.
    #[error(
        "topic has {levels} level(s), expected `spBv1.0/<group_id>/<message_type>/\
         <edge_node_id>[/<device_id>]` or `spBv1.0/STATE/<sparkplug_host_id>` \
         (tck-id-topic-structure)"
    )]
    TooFewLevels {
        /// The number of `/`-separated levels found.
        levels: usize,
    },
    /// More levels than the message type allows, beyond a single extra one.
    #[error(
        "topic has {levels} levels, too many for {message_type} ({})",
        structure_rule(*message_type)
    )]
    TooManyLevels {
        /// The message type.
        message_type: MessageType,
        /// The number of `/`-separated levels found.
        levels: usize,
    },
    /// The `message_type` level is not a Sparkplug verb (matching is case-sensitive).
    #[error("unknown message type `{found}` (tck-id-topic-structure)")]
    UnknownMessageType {
        /// The level found in place of the message type.
        found: String,
    },
    /// A device verb without a device id.
    #[error(
        "device id missing for {message_type} \
         (tck-id-topic-structure-namespace-device-id-associated-message-types)"
    )]
    MissingDeviceId {
        /// The device-level message type.
        message_type: MessageType,
    },
    /// A node verb or STATE followed by a device id.
    #[error(
        "device id present for {message_type} \
         (tck-id-topic-structure-namespace-device-id-non-associated-message-types)"
    )]
    UnexpectedDeviceId {
        /// The message type that takes no device id.
        message_type: MessageType,
    },
    /// STATE used as the message type of an edge node topic.
    #[error(
        "STATE topics have the form `spBv1.0/STATE/<sparkplug_host_id>` \
         (tck-id-host-topic-phid-birth-topic)"
    )]
    MisplacedState,
    /// A group, edge node, device or host id breaks the identifier rules.
    #[error(transparent)]
    InvalidId(#[from] IdError),
}

/// The TCK assertion that fixes the topic form of `message_type`.
const fn structure_rule(message_type: MessageType) -> &'static str {
    match message_type {
        MessageType::State => "tck-id-host-topic-phid-birth-topic",
        _ => "tck-id-topic-structure",
    }
}
