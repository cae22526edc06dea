//! Topic parsing without allocation: [`TopicRef`] borrows its identifiers from the topic name.
//! [`Topic::parse`](super::Topic::parse) is this parse plus one allocation per identifier; a
//! host that looks its edge nodes up by name uses the borrowed form and allocates nothing for
//! nodes it already knows.

use super::id::{self, IdError, IdKind};
use super::{
    DeviceId, DeviceMessageType, EdgeNodeId, GroupId, HostId, MessageType, NAMESPACE,
    NodeMessageType, STATE_TOKEN, Topic, TopicParseError,
};

/// A parsed topic name whose identifiers are checked but borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TopicRef<'a> {
    /// `spBv1.0/<group_id>/<NBIRTH|NDEATH|NDATA|NCMD>/<edge_node_id>`.
    Node {
        group: &'a str,
        message_type: NodeMessageType,
        node: &'a str,
    },
    /// `spBv1.0/<group_id>/<DBIRTH|DDEATH|DDATA|DCMD>/<edge_node_id>/<device_id>`.
    Device {
        group: &'a str,
        message_type: DeviceMessageType,
        node: &'a str,
        device: &'a str,
    },
    /// `spBv1.0/STATE/<sparkplug_host_id>`.
    State { host: &'a str },
}

impl<'a> TopicRef<'a> {
    /// Parses a topic name with exactly the checks and errors of
    /// [`Topic::parse`](super::Topic::parse).
    pub(crate) fn parse(topic: &'a str) -> Result<Self, TopicParseError> {
        // One pass over the bytes: the first five levels, the number of levels, and whether
        // any byte that may start a character an identifier may not hold appears at all: `+`,
        // `#`, an ASCII control, or any non-ASCII byte (C1 controls and noncharacters are
        // multi-byte). If none does, checking an identifier is checking its length. No
        // allocation.
        let mut levels = [""; 5];
        let mut count = 0usize;
        let mut start = 0usize;
        let mut suspect = false;
        for (i, b) in topic.bytes().enumerate() {
            match b {
                b'/' => {
                    if let (Some(slot), Some(level)) = (levels.get_mut(count), topic.get(start..i))
                    {
                        *slot = level;
                    }
                    count += 1;
                    start = i + 1;
                }
                b'+' | b'#' | 0..=0x1F | 0x7F..=0xFF => suspect = true,
                _ => {}
            }
        }
        if let (Some(slot), Some(level)) = (levels.get_mut(count), topic.get(start..)) {
            *slot = level;
        }
        count += 1;
        let check = |kind: IdKind, id: &str| -> Result<(), IdError> {
            if suspect {
                id::validate(kind, id)
            } else if id.is_empty() {
                Err(IdError::Empty { kind })
            } else if id.len() > id::MAX_ID_BYTES {
                Err(IdError::TooLong {
                    kind,
                    len: id.len(),
                })
            } else {
                Ok(())
            }
        };
        let [namespace, group, verb, node, device] = levels;
        if namespace != NAMESPACE {
            return Err(TopicParseError::WrongNamespace);
        }
        if count < 3 {
            return Err(TopicParseError::TooFewLevels { levels: count });
        }
        if group == STATE_TOKEN && count == 3 {
            check(IdKind::Host, verb)?;
            return Ok(TopicRef::State { host: verb });
        }
        let message_type = match MessageType::from_spec(verb) {
            Some(MessageType::State) | None if group == STATE_TOKEN => {
                // `spBv1.0/STATE/<host_id>/...`: a STATE topic with extra levels.
                let message_type = MessageType::State;
                return Err(if count == 4 {
                    TopicParseError::UnexpectedDeviceId { message_type }
                } else {
                    TopicParseError::TooManyLevels {
                        message_type,
                        levels: count,
                    }
                });
            }
            Some(MessageType::State) => return Err(TopicParseError::MisplacedState),
            Some(message_type) => message_type,
            None => {
                return Err(TopicParseError::UnknownMessageType {
                    found: verb.to_owned(),
                });
            }
        };
        match (count, message_type.is_device_level()) {
            (4, false) | (5, true) => {}
            (4, true) => return Err(TopicParseError::MissingDeviceId { message_type }),
            (5, false) => return Err(TopicParseError::UnexpectedDeviceId { message_type }),
            (0..=3, _) => return Err(TopicParseError::TooFewLevels { levels: count }),
            _ => {
                return Err(TopicParseError::TooManyLevels {
                    message_type,
                    levels: count,
                });
            }
        }
        check(IdKind::Group, group)?;
        check(IdKind::EdgeNode, node)?;
        if let Ok(message_type) = DeviceMessageType::try_from(message_type) {
            check(IdKind::Device, device)?;
            Ok(TopicRef::Device {
                group,
                message_type,
                node,
                device,
            })
        } else {
            let message_type = NodeMessageType::try_from(message_type)?;
            Ok(TopicRef::Node {
                group,
                message_type,
                node,
            })
        }
    }

    /// The topic with owned identifiers.
    pub(crate) fn to_owned(self) -> Topic {
        match self {
            TopicRef::Node {
                group,
                message_type,
                node,
            } => Topic::Node {
                group: GroupId::from_validated(group),
                message_type,
                node: EdgeNodeId::from_validated(node),
            },
            TopicRef::Device {
                group,
                message_type,
                node,
                device,
            } => Topic::Device {
                group: GroupId::from_validated(group),
                message_type,
                node: EdgeNodeId::from_validated(node),
                device: DeviceId::from_validated(device),
            },
            TopicRef::State { host } => Topic::State {
                host: HostId::from_validated(host),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrowed_and_owned_parses_agree() {
        for topic in [
            "spBv1.0/G/NDATA/E",
            "spBv1.0/G/DDATA/E/D",
            "spBv1.0/STATE/h",
            "spBv1.0/STATE/NBIRTH/E",
            "spBv1.0/G/NDATA/E/D",
            "spBv1.0/G/DDATA/E",
            "spBv1.0/G/STATE/E",
            "spBv1.0/G/NOPE/E",
            "spBv1.0/G+/NDATA/E",
            "spBv1.0/G/NDATA/",
            "spBv1.0/G/DDATA/E/#",
            "spBv1.0/STATE/h/x/y",
            "spBv1.0/G",
            "spAv1.0/G/NDATA/E",
            "spBv1.0//NDATA/E",
            "spBv1.0/G/NDATA/E\0",
            "spBv1.0/G#/DDATA/E/D+",
            "spBv1.0/G/DDATA/E/",
            "spBv1.0/STATE/",
            "spBv1.0/STATE/h#",
            "spBv1.0/Zürich/NDATA/Süd",
            "spBv1.0/a\u{1}b/NCMD/N1",
            "spBv1.0/G/NDATA/E\u{7f}",
            "spBv1.0/G/DDATA/E/\u{85}",
            "spBv1.0/G/DDATA/E/\u{fffe}",
            "spBv1.0/STATE/h\u{10ffff}",
            "spBv1.0/G/NDATA/工場",
            "",
            "/",
            "spBv1.0/G/NDATA/E/D/F/G",
        ] {
            let borrowed = TopicRef::parse(topic).map(TopicRef::to_owned);
            assert_eq!(borrowed, Topic::parse(topic), "{topic}");
        }
        // The ASCII fast path checks the length too.
        let long = format!("spBv1.0/G/NDATA/{}", "e".repeat(id::MAX_ID_BYTES + 1));
        assert_eq!(
            TopicRef::parse(&long),
            Err(TopicParseError::InvalidId(IdError::TooLong {
                kind: IdKind::EdgeNode,
                len: id::MAX_ID_BYTES + 1
            }))
        );
        assert_eq!(
            TopicRef::parse("spBv1.0/G/DDATA/E/D"),
            Ok(TopicRef::Device {
                group: "G",
                message_type: DeviceMessageType::DData,
                node: "E",
                device: "D",
            })
        );
    }
}
