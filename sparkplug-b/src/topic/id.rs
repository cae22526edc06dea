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

/// Why a string is not a valid Sparkplug identifier.
///
/// Each identifier is one level of an MQTT topic name, so it is checked once, when it is built:
///
/// - it is a non-empty UTF-8 string (`tck-id-intro-group-id-string` and its edge node and
///   device twins); an empty level would leave the topic element out;
/// - it contains none of the reserved characters `+`, `/` and `#`
///   (`tck-id-topic-structure-namespace-valid-group-id`, `-valid-edge-node-id`,
///   `-valid-device-id`);
/// - it contains no U+0000, which MQTT forbids in topic names (`tck-id-intro-group-id-chars`,
///   `tck-id-intro-edge-node-id-chars`, `tck-id-intro-device-id-chars`).
///
/// The spec sets no format rule of its own for the Sparkplug Host ID; it only requires it to be
/// the last level of `spBv1.0/STATE/<sparkplug_host_id>` (`tck-id-host-topic-phid-birth-topic`),
/// so [`HostId`] follows the same three rules.
///
/// Identifiers are case-sensitive and compared byte for byte. The spec adds that identifiers
/// which collide once lower-cased SHOULD NOT be used; that is a property of a set of
/// identifiers, not of one, and is left to the application. Other characters MQTT only
/// discourages (control characters, non-characters) are accepted, so that every topic a broker
/// delivers can be parsed.
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
}

impl IdError {
    /// The identifier the error is about.
    pub const fn kind(&self) -> IdKind {
        match self {
            Self::Empty { kind } | Self::ReservedChar { kind, .. } | Self::NulChar { kind, .. } => {
                *kind
            }
        }
    }
}

/// Checks `id` against the rules in the module docs.
pub(crate) fn validate(kind: IdKind, id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty { kind });
    }
    // All four forbidden characters are ASCII, so a byte scan finds them and never lands inside
    // a multi-byte UTF-8 sequence.
    match id
        .bytes()
        .enumerate()
        .find(|(_, b)| matches!(b, b'+' | b'/' | b'#' | 0))
    {
        None => Ok(()),
        Some((index, 0)) => Err(IdError::NulChar { kind, index }),
        Some((index, b)) => Err(IdError::ReservedChar {
            kind,
            ch: char::from(b),
            index,
        }),
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
            /// [`IdError`] if `id` is empty or contains `+`, `/`, `#` or U+0000.
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
    /// Non-empty UTF-8 without `+`, `/`, `#` or U+0000
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
    /// Non-empty UTF-8 without `+`, `/`, `#` or U+0000
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
    /// Non-empty UTF-8 without `+`, `/`, `#` or U+0000
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
    /// Non-empty UTF-8 without `+`, `/`, `#` or U+0000, so that it is a single topic level
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

    // tck-id-topic-structure-namespace-valid-group-id, -valid-edge-node-id, -valid-device-id
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
            let ok = !s.is_empty() && !s.contains(['+', '/', '#', '\0']);
            prop_assert_eq!(GroupId::new(s.as_str()).is_ok(), ok);
            prop_assert_eq!(HostId::new(s.as_str()).is_ok(), ok);
        }
    }
}
