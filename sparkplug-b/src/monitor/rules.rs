//! Which TCK assertion each observable fault breaks, by message type.

use crate::alias::ResolveError;
use crate::topic::{IdError, IdKind, MessageType, TopicParseError};
use crate::validate::Rule;

use super::finding::Severity;

/// The assertion a topic that does not parse breaks.
pub(super) fn topic_error(e: &TopicParseError) -> &'static str {
    use TopicParseError as E;
    match e {
        E::WrongNamespace => "topic-structure-namespace-a",
        E::TooManyLevels {
            message_type: MessageType::State,
            ..
        }
        | E::MisplacedState => "host-topic-phid-birth-topic",
        E::TooFewLevels { .. } | E::TooManyLevels { .. } | E::UnknownMessageType { .. } => {
            "topic-structure"
        }
        E::MissingDeviceId { .. } => "topic-structure-namespace-device-id-associated-message-types",
        E::UnexpectedDeviceId { .. } => {
            "topic-structure-namespace-device-id-non-associated-message-types"
        }
        E::InvalidId(e) => id_error(e),
    }
}

fn id_error(e: &IdError) -> &'static str {
    use IdKind as K;
    match (e, e.kind()) {
        (_, K::Host) => "host-topic-phid-birth-topic",
        (IdError::Empty { .. }, K::Group) => "intro-group-id-string",
        (IdError::Empty { .. }, K::EdgeNode) => "intro-edge-node-id-string",
        (IdError::Empty { .. }, K::Device) => "intro-device-id-string",
        (IdError::ReservedChar { .. }, K::Group) => "topic-structure-namespace-valid-group-id",
        (IdError::ReservedChar { .. }, K::EdgeNode) => {
            "topic-structure-namespace-valid-edge-node-id"
        }
        (IdError::ReservedChar { .. }, K::Device) => "topic-structure-namespace-valid-device-id",
        // The rest: U+0000, control characters, noncharacters, or more bytes than a topic
        // can hold.
        (_, K::Group) => "intro-group-id-chars",
        (_, K::EdgeNode) => "intro-edge-node-id-chars",
        (_, K::Device) => "intro-device-id-chars",
    }
}

/// The assertion a payload that does not decode breaks: the one saying what it must be.
pub(super) fn undecodable(t: MessageType) -> &'static str {
    use MessageType as M;
    match t {
        M::NBirth => "message-flow-edge-node-birth-publish-nbirth-payload",
        M::DBirth => "message-flow-device-birth-publish-dbirth-payload",
        M::NDeath => "message-flow-edge-node-birth-publish-will-message-payload",
        M::DDeath => "payloads-ddeath-seq",
        M::DData => "topics-ddata-payload",
        M::NCmd => "topics-ncmd-payload",
        M::DCmd => "topics-dcmd-payload",
        M::NData | M::State => "topics-ndata-payload",
    }
}

/// The severity of a validator rule.
pub(super) fn severity(rule: Rule) -> Severity {
    if rule.is_recommendation() {
        Severity::Should
    } else {
        Severity::Must
    }
}

/// The QoS 0 rule of a message type (NDEATH and STATE have their own, see the callers).
pub(super) fn qos_zero(t: MessageType) -> Option<&'static str> {
    use MessageType as M;
    Some(match t {
        M::NBirth => "payloads-nbirth-qos",
        M::DBirth => "payloads-dbirth-qos",
        M::NData => "payloads-ndata-qos",
        M::DData => "payloads-ddata-qos",
        M::DDeath => "topics-ddeath-mqtt",
        M::NCmd => "payloads-ncmd-qos",
        M::DCmd => "payloads-dcmd-qos",
        M::NDeath | M::State => return None,
    })
}

/// The retain-false rule of a message type.
pub(super) fn not_retained(t: MessageType) -> Option<&'static str> {
    use MessageType as M;
    Some(match t {
        M::NBirth => "payloads-nbirth-retain",
        M::DBirth => "payloads-dbirth-retain",
        M::NData => "payloads-ndata-retain",
        M::DData => "payloads-ddata-retain",
        M::DDeath => "topics-ddeath-mqtt",
        M::NCmd => "payloads-ncmd-retain",
        M::DCmd => "payloads-dcmd-retain",
        M::NDeath | M::State => return None,
    })
}

/// The "seq = previous + 1" rule of a message type of the seq stream.
pub(super) fn seq_increment(t: MessageType) -> &'static str {
    use MessageType as M;
    match t {
        M::DBirth => "payloads-dbirth-seq-inc",
        M::NData => "payloads-ndata-seq-inc",
        M::DData => "payloads-ddata-seq-inc",
        M::DDeath => "payloads-ddeath-seq-inc",
        _ => "payloads-sequence-num-incrementing",
    }
}

/// The "not before NBIRTH" rule of a message type.
pub(super) fn order(t: MessageType) -> Option<&'static str> {
    use MessageType as M;
    match t {
        M::DBirth => Some("payloads-dbirth-order"),
        M::NData => Some("payloads-ndata-order"),
        M::DData => Some("payloads-ddata-order"),
        _ => None,
    }
}

/// The rule a data or command metric breaks when it does not resolve against its birth;
/// `None` when the validator already reported it.
pub(super) fn unresolved(t: MessageType, e: &ResolveError) -> Option<(Severity, &'static str)> {
    use MessageType as M;
    use ResolveError as R;
    let unknown = matches!(
        e,
        R::UnknownAlias(_) | R::UnknownName(_) | R::NameMismatch { .. }
    );
    Some(match (e, t) {
        (R::Unaddressed, _) => return None,
        (R::Member { source, .. }, _) => return unresolved(t, source),
        // Commands SHOULD name birth metrics (an edge must tolerate others), MUST fit them.
        (_, M::NCmd) if unknown => (
            Severity::Should,
            "operational-behavior-data-commands-ncmd-metric-name",
        ),
        (_, M::DCmd) if unknown => (
            Severity::Should,
            "operational-behavior-data-commands-dcmd-metric-name",
        ),
        (_, M::NCmd) => (
            Severity::Must,
            "operational-behavior-data-commands-ncmd-metric-value",
        ),
        (_, M::DCmd) => (
            Severity::Must,
            "operational-behavior-data-commands-dcmd-metric-value",
        ),
        // Births declare every metric the session reports, with its datatype.
        (_, M::DData) => (Severity::Must, "topics-dbirth-metric-reqs"),
        _ => (Severity::Must, "topics-nbirth-metric-reqs"),
    })
}
