//! Validated Sparkplug identifiers: [`GroupId`], [`EdgeNodeId`], [`DeviceId`] and [`HostId`].
//!
//! The rules are documented on [`IdError`].

use core::borrow::Borrow;
use core::fmt;
use core::str::FromStr;
use std::sync::Arc;

/// Which identifier an [`IdError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// A Sparkplug group id (`group_id`).
    Group,
    /// A Sparkplug edge node id (`edge_node_id`).
    EdgeNode,
    /// A Sparkplug device id (`device_id`).
    Device,
    /// A Sparkplug Host Application id (`sparkplug_host_id`).
    Host,
}

impl IdKind {
    /// The spec's name for the identifier, e.g. `group_id`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Group => "group_id",
            Self::EdgeNode => "edge_node_id",
            Self::Device => "device_id",
            Self::Host => "sparkplug_host_id",
        }
    }

    /// The TCK assertion that fixes the identifier's format.
    const fn format_rule(self) -> &'static str {
        match self {
            Self::Group => "tck-id-topic-structure-namespace-valid-group-id",
            Self::EdgeNode => "tck-id-topic-structure-namespace-valid-edge-node-id",
            Self::Device => "tck-id-topic-structure-namespace-valid-device-id",
            Self::Host => "tck-id-host-topic-phid-birth-topic",
        }
    }

    /// The TCK assertion that requires a non-empty UTF-8 string.
    const fn string_rule(self) -> &'static str {
        match self {
            Self::Group => "tck-id-intro-group-id-string",
            Self::EdgeNode => "tck-id-intro-edge-node-id-string",
            Self::Device => "tck-id-intro-device-id-string",
            Self::Host => "tck-id-host-topic-phid-birth-topic",
        }
    }

    /// The TCK assertion that requires characters legal in MQTT topic names.
    const fn chars_rule(self) -> &'static str {
        match self {
            Self::Group => "tck-id-intro-group-id-chars",
            Self::EdgeNode => "tck-id-intro-edge-node-id-chars",
            Self::Device => "tck-id-intro-device-id-chars",
            Self::Host => "tck-id-host-topic-phid-birth-topic",
        }
    }
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The most bytes an MQTT topic name may hold: MQTT 3.1.1 (section 1.5.3) and MQTT 5 (section
/// 1.5.4) encode it as a UTF-8 string with a two-byte length.
pub const MAX_TOPIC_BYTES: usize = 65_535;

/// The fixed part of the longest Sparkplug topic, `spBv1.0/` + `/DBIRTH/` + `/`: everything but
/// the group, edge node and device ids.
const LONGEST_FIXED_LEVELS: usize = "spBv1.0/".len() + "/DBIRTH/".len() + "/".len();

/// The most bytes (UTF-8) a group, edge node, device or host id may hold: 21,839, so that a
/// topic made of three ids at this bound and the longest verb still fits in
/// [`MAX_TOPIC_BYTES`]. Every topic [`Topic`](super::Topic) can build from valid ids is a legal
/// MQTT topic name.
pub const MAX_ID_BYTES: usize = (MAX_TOPIC_BYTES - LONGEST_FIXED_LEVELS) / 3;

const _: () = assert!(LONGEST_FIXED_LEVELS + 3 * MAX_ID_BYTES <= MAX_TOPIC_BYTES);

/// Why a string is not a valid Sparkplug identifier.
///
/// Each identifier is one level of an MQTT topic name, so it is checked once, when it is built:
///
/// - it is a non-empty UTF-8 string (`tck-id-intro-group-id-string` and its edge node and
///   device twins); an empty level would leave the topic element out;
/// - it contains none of the reserved characters `+`, `/` and `#`
///   (`tck-id-topic-structure-namespace-valid-group-id`, `-valid-edge-node-id`,
///   `-valid-device-id`);
/// - it holds only characters legal in MQTT topic names (`tck-id-intro-group-id-chars`,
///   `tck-id-intro-edge-node-id-chars`, `tck-id-intro-device-id-chars`): no U+0000, which MQTT
///   forbids, no control character (C0 U+0001..U+001F, U+007F, C1 U+0080..U+009F) and no
///   Unicode noncharacter (U+FDD0..U+FDEF and the last two code points of every plane, U+FFFE,
///   U+FFFF, U+1FFFE ... U+10FFFF), which MQTT says topic names should not hold and which
///   brokers may answer by closing the connection (MQTT 5 section 1.5.4);
/// - it holds at most [`MAX_ID_BYTES`] bytes, so that every topic built from it fits in an
///   MQTT topic name.
///
/// The spec sets no format rule of its own for the Sparkplug Host ID; it only requires it to be
/// the last level of `spBv1.0/STATE/<sparkplug_host_id>` (`tck-id-host-topic-phid-birth-topic`),
/// so [`HostId`] follows the same rules.
///
/// Identifiers are case-sensitive and compared byte for byte. The spec adds that identifiers
/// which collide once lower-cased SHOULD NOT be used; that is a property of a set of
/// identifiers, not of one, and is left to the application.
///
/// The same rules apply to topics received from a broker: a topic whose identifier breaks them
/// does not parse ([`TopicParseError::InvalidId`](super::TopicParseError::InvalidId)), and the
/// host application and the monitor report it as a violation and drop the message, so nothing
/// built from such a topic can reach a command or a store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The identifier is empty.
    #[error("{kind} is empty ({})", kind.string_rule())]
    Empty {
        /// The identifier being checked.
        kind: IdKind,
    },
    /// The identifier contains `+`, `/` or `#`.
    #[error(
        "{kind} contains the reserved character `{ch}` at byte {index} ({})",
        kind.format_rule()
    )]
    ReservedChar {
        /// The identifier being checked.
        kind: IdKind,
        /// The offending character: `+`, `/` or `#`.
        ch: char,
        /// Its byte offset in the identifier.
        index: usize,
    },
    /// The identifier contains U+0000, which MQTT forbids in topic names.
    #[error(
        "{kind} contains U+0000 at byte {index}, illegal in MQTT topic names ({})",
        kind.chars_rule()
    )]
    NulChar {
        /// The identifier being checked.
        kind: IdKind,
        /// Its byte offset in the identifier.
        index: usize,
    },
    /// The identifier contains a control character other than U+0000: C0 (U+0001..U+001F),
    /// U+007F or C1 (U+0080..U+009F).
    #[error(
        "{kind} contains the control character U+{:04X} at byte {index}, not allowed in MQTT \
         topic names ({})",
        u32::from(*ch),
        kind.chars_rule()
    )]
    ControlChar {
        /// The identifier being checked.
        kind: IdKind,
        /// The control character.
        ch: char,
        /// Its byte offset in the identifier.
        index: usize,
    },
    /// The identifier contains a Unicode noncharacter (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF).
    #[error(
        "{kind} contains the Unicode noncharacter U+{:04X} at byte {index}, not allowed in \
         MQTT topic names ({})",
        u32::from(*ch),
        kind.chars_rule()
    )]
    Noncharacter {
        /// The identifier being checked.
        kind: IdKind,
        /// The noncharacter.
        ch: char,
        /// Its byte offset in the identifier.
        index: usize,
    },
    /// The identifier is longer than [`MAX_ID_BYTES`].
    #[error(
        "{kind} is {len} bytes long, more than the {} that keep every topic within the {} \
         bytes of an MQTT topic name ({})",
        MAX_ID_BYTES,
        MAX_TOPIC_BYTES,
        kind.chars_rule()
    )]
    TooLong {
        /// The identifier being checked.
        kind: IdKind,
        /// Its length in bytes.
        len: usize,
    },
}

impl IdError {
    /// The identifier the error is about.
    pub const fn kind(&self) -> IdKind {
        match self {
            Self::Empty { kind }
            | Self::ReservedChar { kind, .. }
            | Self::NulChar { kind, .. }
            | Self::ControlChar { kind, .. }
            | Self::Noncharacter { kind, .. }
            | Self::TooLong { kind, .. } => *kind,
        }
    }
}

/// Whether `ch` is a Unicode noncharacter: U+FDD0..U+FDEF, or one of the last two code points
/// of a plane (U+FFFE, U+FFFF, U+1FFFE, ..., U+10FFFF).
const fn is_noncharacter(ch: char) -> bool {
    let code = ch as u32;
    (code >= 0xFDD0 && code <= 0xFDEF) || code & 0xFFFE == 0xFFFE
}

/// Checks `id` against the rules on [`IdError`].
pub(crate) fn validate(kind: IdKind, id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if id.len() > MAX_ID_BYTES {
        return Err(IdError::TooLong {
            kind,
            len: id.len(),
        });
    }
    match id
        .char_indices()
        .find(|&(_, ch)| matches!(ch, '+' | '/' | '#') || ch.is_control() || is_noncharacter(ch))
    {
        None => Ok(()),
        Some((index, '\0')) => Err(IdError::NulChar { kind, index }),
        Some((index, ch @ ('+' | '/' | '#'))) => Err(IdError::ReservedChar { kind, ch, index }),
        // `char::is_control` is exactly the Cc category: C0, U+007F and C1.
        Some((index, ch)) if ch.is_control() => Err(IdError::ControlChar { kind, ch, index }),
        Some((index, ch)) => Err(IdError::Noncharacter { kind, ch, index }),
    }
}

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $example:literal) => {
        $(#[$doc])*
        ///
        /// Cloning is cheap: the text is shared (an `Arc<str>`), so events and maps can carry
        /// the identifier without copying it.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Checks `id` and wraps it.
            ///
            /// # Errors
            /// [`IdError`] if `id` is empty, longer than [`MAX_ID_BYTES`], or contains `+`, `/`,
            /// `#`, a control character or a Unicode noncharacter.
            ///
            /// # Example
            /// ```
            #[doc = concat!("use sparkplug_b::topic::", stringify!($name), ";")]
            #[doc = concat!("let id = ", stringify!($name), "::new(\"", $example, "\")?;")]
            #[doc = concat!("assert_eq!(id.as_str(), \"", $example, "\");")]
            #[doc = concat!("assert!(", stringify!($name), "::new(\"a/b\").is_err());")]
            /// # Ok::<(), sparkplug_b::topic::IdError>(())
            /// ```
            pub fn new(id: impl Into<String>) -> Result<Self, IdError> {
                let id = id.into();
                validate($kind, &id)?;
                Ok(Self(Arc::from(id)))
            }

            /// Wraps `id`, which the caller has already checked with [`validate`].
            pub(crate) fn from_validated(id: &str) -> Self {
                Self(Arc::from(id))
            }

            /// The identifier as it appears in the topic.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the identifier.
            pub fn into_string(self) -> String {
                String::from(&*self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                validate($kind, s)?;
                Ok(Self::from_validated(s))
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;

            fn try_from(s: &str) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.into_string()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                &*self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                &*self.0 == *other
            }
        }

        #[cfg(feature = "serde")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
    };
}

id_newtype!(
    /// A Sparkplug group id: the second level of every edge node and device topic.
    ///
    /// Non-empty UTF-8 of at most [`MAX_ID_BYTES`] bytes without `+`, `/`, `#`, control characters
    /// or noncharacters
    /// (`tck-id-topic-structure-namespace-valid-group-id`, `tck-id-intro-group-id-chars`).
    /// `STATE` is a valid group id: Sparkplug 3.0 does not reserve it, and the number of topic
    /// levels tells `spBv1.0/STATE/<host_id>` from `spBv1.0/STATE/<message_type>/<edge_node_id>`.
    GroupId,
    IdKind::Group,
    "Plant1"
);

id_newtype!(
    /// A Sparkplug edge node id: the fourth topic level.
    ///
    /// Non-empty UTF-8 of at most [`MAX_ID_BYTES`] bytes without `+`, `/`, `#`, control characters
    /// or noncharacters
    /// (`tck-id-topic-structure-namespace-valid-edge-node-id`, `tck-id-intro-edge-node-id-chars`).
    /// Together with the [`GroupId`] it forms the Edge Node Descriptor, which must be unique in
    /// the infrastructure (`tck-id-topic-structure-namespace-unique-edge-node-descriptor`).
    EdgeNodeId,
    IdKind::EdgeNode,
    "Line3"
);

id_newtype!(
    /// A Sparkplug device id: the fifth level of DBIRTH, DDEATH, DDATA and DCMD topics.
    ///
    /// Non-empty UTF-8 of at most [`MAX_ID_BYTES`] bytes without `+`, `/`, `#`, control characters
    /// or noncharacters
    /// (`tck-id-topic-structure-namespace-valid-device-id`, `tck-id-intro-device-id-chars`).
    /// Unique per edge node; the same id may appear under other edge nodes
    /// (`tck-id-topic-structure-namespace-duplicate-device-id-across-edge-node`).
    DeviceId,
    IdKind::Device,
    "Press 7"
);

id_newtype!(
    /// A Sparkplug Host Application id: the last level of `spBv1.0/STATE/<sparkplug_host_id>`.
    ///
    /// Non-empty UTF-8 of at most [`MAX_ID_BYTES`] bytes without `+`, `/`, `#`, control characters
    /// or noncharacters, so that it is a single topic level
    /// (`tck-id-host-topic-phid-birth-topic`); unique in the infrastructure
    /// (`tck-id-operational-behavior-host-application-host-id`).
    HostId,
    IdKind::Host,
    "scada-primary"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // tck-id-topic-structure-namespace-valid-group-id,
    // tck-id-topic-structure-namespace-valid-edge-node-id,
    // tck-id-topic-structure-namespace-valid-device-id
    #[test]
    fn accepts_utf8_ids_case_sensitive() {
        for s in [
            "G1",
            "g1",
            "Plant 1",
            "Zürich-Süd",
            "工場",
            "$SYS",
            "STATE",
            "a.b-c_d",
            " ",
        ] {
            assert_eq!(GroupId::new(s).map(|id| id.into_string()), Ok(s.to_owned()));
            assert_eq!(
                EdgeNodeId::new(s).map(|id| id.into_string()),
                Ok(s.to_owned())
            );
            assert_eq!(
                DeviceId::new(s).map(|id| id.into_string()),
                Ok(s.to_owned())
            );
            assert_eq!(HostId::new(s).map(|id| id.into_string()), Ok(s.to_owned()));
        }
        // Case-sensitive: different ids.
        assert_ne!(GroupId::new("Plant"), GroupId::new("plant"));
    }

    // tck-id-intro-group-id-string, tck-id-intro-edge-node-id-string, tck-id-intro-device-id-string
    #[test]
    fn rejects_empty() {
        assert_eq!(
            GroupId::new(""),
            Err(IdError::Empty {
                kind: IdKind::Group
            })
        );
        assert_eq!(
            EdgeNodeId::new(""),
            Err(IdError::Empty {
                kind: IdKind::EdgeNode
            })
        );
        assert_eq!(
            DeviceId::new(""),
            Err(IdError::Empty {
                kind: IdKind::Device
            })
        );
        assert_eq!(HostId::new(""), Err(IdError::Empty { kind: IdKind::Host }));
    }

    // tck-id-topic-structure-namespace-valid-group-id
    #[test]
    fn group_id_rejects_reserved_chars() {
        for (s, ch, index) in [
            ("a+b", '+', 1),
            ("/a", '/', 0),
            ("ab#", '#', 2),
            ("é+", '+', 2),
        ] {
            let err = GroupId::new(s).err();
            assert_eq!(
                err,
                Some(IdError::ReservedChar {
                    kind: IdKind::Group,
                    ch,
                    index
                })
            );
        }
    }

    // tck-id-topic-structure-namespace-valid-edge-node-id
    #[test]
    fn edge_node_id_rejects_reserved_chars() {
        for s in ["+", "/", "#", "e/1"] {
            assert!(matches!(
                EdgeNodeId::new(s),
                Err(IdError::ReservedChar {
                    kind: IdKind::EdgeNode,
                    ..
                })
            ));
        }
    }

    // tck-id-topic-structure-namespace-valid-device-id
    #[test]
    fn device_id_rejects_reserved_chars() {
        for s in ["+", "/", "#", "d#"] {
            assert!(matches!(
                DeviceId::new(s),
                Err(IdError::ReservedChar {
                    kind: IdKind::Device,
                    ..
                })
            ));
        }
    }

    // tck-id-host-topic-phid-birth-topic: the host id must be one topic level.
    #[test]
    fn host_id_rejects_reserved_chars_and_nul() {
        assert!(matches!(
            HostId::new("h/1"),
            Err(IdError::ReservedChar { .. })
        ));
        assert!(matches!(
            HostId::new("h\0"),
            Err(IdError::NulChar { index: 1, .. })
        ));
    }

    // tck-id-intro-group-id-chars, tck-id-intro-edge-node-id-chars, tck-id-intro-device-id-chars
    #[test]
    fn rejects_nul() {
        assert_eq!(
            GroupId::new("a\0"),
            Err(IdError::NulChar {
                kind: IdKind::Group,
                index: 1
            })
        );
        assert_eq!(
            "\0".parse::<EdgeNodeId>(),
            Err(IdError::NulChar {
                kind: IdKind::EdgeNode,
                index: 0
            })
        );
        assert_eq!(
            DeviceId::try_from("x\0y"),
            Err(IdError::NulChar {
                kind: IdKind::Device,
                index: 1
            })
        );
    }

    // tck-id-intro-group-id-chars, tck-id-intro-edge-node-id-chars, tck-id-intro-device-id-chars,
    // tck-id-host-topic-phid-birth-topic: control characters (C0, U+007F, C1) are refused.
    #[test]
    fn rejects_control_characters() {
        for (s, ch, index) in [
            ("a\u{1}b", '\u{1}', 1),
            ("\tx", '\t', 0),
            ("line\n", '\n', 4),
            ("x\u{1f}", '\u{1f}', 1),
            ("del\u{7f}", '\u{7f}', 3),
            ("é\u{80}", '\u{80}', 2),
            ("\u{9f}", '\u{9f}', 0),
        ] {
            assert_eq!(
                GroupId::new(s),
                Err(IdError::ControlChar {
                    kind: IdKind::Group,
                    ch,
                    index
                }),
                "{s:?}"
            );
            assert!(matches!(
                EdgeNodeId::new(s),
                Err(IdError::ControlChar {
                    kind: IdKind::EdgeNode,
                    ..
                })
            ));
            assert!(matches!(
                DeviceId::new(s),
                Err(IdError::ControlChar {
                    kind: IdKind::Device,
                    ..
                })
            ));
            assert!(matches!(
                HostId::new(s),
                Err(IdError::ControlChar {
                    kind: IdKind::Host,
                    ..
                })
            ));
        }
        // The characters next to the control ranges are fine.
        for s in ["\u{20}", "~", "\u{a0}", "\u{a0}x"] {
            assert!(GroupId::new(s).is_ok(), "{s:?}");
        }
    }

    // tck-id-intro-group-id-chars, tck-id-intro-edge-node-id-chars, tck-id-intro-device-id-chars:
    // Unicode noncharacters are refused.
    #[test]
    fn rejects_noncharacters() {
        for ch in [
            '\u{fdd0}',
            '\u{fdef}',
            '\u{fffe}',
            '\u{ffff}',
            '\u{1fffe}',
            '\u{1ffff}',
            '\u{10fffe}',
            '\u{10ffff}',
        ] {
            let s = format!("a{ch}");
            assert_eq!(
                DeviceId::new(s.as_str()),
                Err(IdError::Noncharacter {
                    kind: IdKind::Device,
                    ch,
                    index: 1
                }),
                "{s:?}"
            );
            assert!(matches!(
                HostId::new(s.as_str()),
                Err(IdError::Noncharacter { .. })
            ));
        }
        for ok in [
            '\u{fdcf}',
            '\u{fdf0}',
            '\u{fffd}',
            '\u{1fffd}',
            '\u{10fffd}',
        ] {
            assert!(GroupId::new(format!("a{ok}")).is_ok(), "{ok:?}");
        }
    }

    // tck-id-intro-group-id-chars: an id too long for any topic it would be part of.
    #[test]
    fn rejects_ids_too_long_for_a_topic() -> Result<(), IdError> {
        assert_eq!(MAX_ID_BYTES, 21_839);
        let longest = "g".repeat(MAX_ID_BYTES);
        let group = GroupId::new(longest.as_str())?;
        let node = EdgeNodeId::new(longest.as_str())?;
        let device = DeviceId::new(longest.as_str())?;
        // The longest topic built from valid ids is a legal MQTT topic name.
        let topic = super::super::Topic::Device {
            group,
            message_type: super::super::DeviceMessageType::DBirth,
            node,
            device,
        };
        assert!(topic.to_string().len() <= MAX_TOPIC_BYTES);
        let too_long = "g".repeat(MAX_ID_BYTES + 1);
        for kind in [
            IdKind::Group,
            IdKind::EdgeNode,
            IdKind::Device,
            IdKind::Host,
        ] {
            assert_eq!(
                validate(kind, &too_long),
                Err(IdError::TooLong {
                    kind,
                    len: MAX_ID_BYTES + 1
                })
            );
        }
        // Bytes, not characters: 7,280 three-byte characters are 21,840 bytes.
        assert!(matches!(
            HostId::new("工".repeat(7_280)),
            Err(IdError::TooLong { len: 21_840, .. })
        ));
        Ok(())
    }

    #[test]
    fn error_messages_name_the_tck_id() {
        let msg = |e: IdError| e.to_string();
        assert_eq!(
            msg(GroupId::new("a+")
                .err()
                .unwrap_or(IdError::Empty { kind: IdKind::Host })),
            "group_id contains the reserved character `+` at byte 1 \
             (tck-id-topic-structure-namespace-valid-group-id)"
        );
        assert_eq!(
            msg(IdError::Empty {
                kind: IdKind::Device
            }),
            "device_id is empty (tck-id-intro-device-id-string)"
        );
        assert_eq!(
            msg(IdError::NulChar {
                kind: IdKind::EdgeNode,
                index: 0
            }),
            "edge_node_id contains U+0000 at byte 0, illegal in MQTT topic names \
             (tck-id-intro-edge-node-id-chars)"
        );
        assert_eq!(
            msg(IdError::ControlChar {
                kind: IdKind::Group,
                ch: '\u{1}',
                index: 1
            }),
            "group_id contains the control character U+0001 at byte 1, not allowed in MQTT \
             topic names (tck-id-intro-group-id-chars)"
        );
        assert_eq!(
            msg(IdError::Noncharacter {
                kind: IdKind::Device,
                ch: '\u{fffe}',
                index: 0
            }),
            "device_id contains the Unicode noncharacter U+FFFE at byte 0, not allowed in MQTT \
             topic names (tck-id-intro-device-id-chars)"
        );
        assert_eq!(
            msg(IdError::TooLong {
                kind: IdKind::EdgeNode,
                len: 30_000
            }),
            "edge_node_id is 30000 bytes long, more than the 21839 that keep every topic within \
             the 65535 bytes of an MQTT topic name (tck-id-intro-edge-node-id-chars)"
        );
        assert_eq!(
            IdError::NulChar {
                kind: IdKind::Host,
                index: 0
            }
            .kind(),
            IdKind::Host
        );
    }

    #[test]
    fn conversions_and_comparisons() -> Result<(), IdError> {
        let id = DeviceId::try_from(String::from("Press 7"))?;
        assert_eq!(id, "Press 7");
        assert_eq!(&id, "Press 7");
        assert_eq!(id.to_string(), "Press 7");
        assert_eq!(AsRef::<str>::as_ref(&id), "Press 7");
        let set: std::collections::HashSet<DeviceId> = [id.clone()].into_iter().collect();
        assert!(set.contains("Press 7"));
        assert_eq!(String::from(id), "Press 7");
        Ok(())
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serializes_as_string() -> Result<(), Box<dyn std::error::Error>> {
        let id = GroupId::new("G \"1\"")?;
        assert_eq!(serde_json::to_string(&id)?, r#""G \"1\"""#);
        Ok(())
    }

    proptest! {
        // Accepts exactly the strings the rules allow.
        #[test]
        fn validity_matches_rules(s in any::<String>()) {
            let ok = !s.is_empty()
                && s.len() <= MAX_ID_BYTES
                && !s.contains(['+', '/', '#'])
                && !s.chars().any(|c| {
                    let u = u32::from(c);
                    u < 0x20 || (0x7f..=0x9f).contains(&u) || (0xfdd0..=0xfdef).contains(&u)
                        || u & 0xfffe == 0xfffe
                });
            prop_assert_eq!(GroupId::new(s.as_str()).is_ok(), ok);
            prop_assert_eq!(HostId::new(s.as_str()).is_ok(), ok);
        }
    }
}
