//! The message types of the `message_type` topic level.

use core::fmt;
use core::str::FromStr;

use super::TopicParseError;

/// A Sparkplug message type (the `message_type` topic level), spelled as in the spec by
/// [`Display`](fmt::Display) and [`FromStr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MessageType {
    /// `NBIRTH`: edge node birth certificate.
    NBirth,
    /// `NDEATH`: edge node death certificate.
    NDeath,
    /// `DBIRTH`: device birth certificate.
    DBirth,
    /// `DDEATH`: device death certificate.
    DDeath,
    /// `NDATA`: edge node data.
    NData,
    /// `DDATA`: device data.
    DData,
    /// `NCMD`: command to an edge node.
    NCmd,
    /// `DCMD`: command to a device.
    DCmd,
    /// `STATE`: Host Application birth/death certificate.
    State,
}

impl MessageType {
    /// All message types, in spec order.
    pub const ALL: [MessageType; 9] = [
        Self::NBirth,
        Self::NDeath,
        Self::DBirth,
        Self::DDeath,
        Self::NData,
        Self::DData,
        Self::NCmd,
        Self::DCmd,
        Self::State,
    ];

    /// The spec spelling, e.g. `NBIRTH`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NBirth => "NBIRTH",
            Self::NDeath => "NDEATH",
            Self::DBirth => "DBIRTH",
            Self::DDeath => "DDEATH",
            Self::NData => "NDATA",
            Self::DData => "DDATA",
            Self::NCmd => "NCMD",
            Self::DCmd => "DCMD",
            Self::State => "STATE",
        }
    }

    /// The message type spelled exactly `s` (case-sensitive).
    pub(super) fn from_spec(s: &str) -> Option<Self> {
        // A match on the spellings compiles to a few integer comparisons; the test below keeps
        // it in step with `as_str`.
        Some(match s {
            "NBIRTH" => Self::NBirth,
            "NDEATH" => Self::NDeath,
            "DBIRTH" => Self::DBirth,
            "DDEATH" => Self::DDeath,
            "NDATA" => Self::NData,
            "DDATA" => Self::DData,
            "NCMD" => Self::NCmd,
            "DCMD" => Self::DCmd,
            "STATE" => Self::State,
            _ => return None,
        })
    }

    /// True for DBIRTH, DDEATH, DDATA and DCMD, whose topics carry a device id
    /// (`tck-id-topic-structure-namespace-device-id-associated-message-types`).
    pub const fn is_device_level(self) -> bool {
        matches!(self, Self::DBirth | Self::DDeath | Self::DData | Self::DCmd)
    }

    /// True for NBIRTH and DBIRTH.
    pub const fn is_birth(self) -> bool {
        matches!(self, Self::NBirth | Self::DBirth)
    }

    /// True for NDEATH and DDEATH.
    pub const fn is_death(self) -> bool {
        matches!(self, Self::NDeath | Self::DDeath)
    }

    /// True for NDATA and DDATA.
    pub const fn is_data(self) -> bool {
        matches!(self, Self::NData | Self::DData)
    }

    /// True for NCMD and DCMD.
    pub const fn is_command(self) -> bool {
        matches!(self, Self::NCmd | Self::DCmd)
    }

    /// True if the payload carries the per-session `seq` field: NBIRTH, DBIRTH, NDATA, DDATA and
    /// DDEATH (`tck-id-payloads-sequence-num-always-included`). NDEATH, NCMD and DCMD must not
    /// carry it (`tck-id-topics-ndeath-seq`, `tck-id-payloads-ncmd-seq`,
    /// `tck-id-payloads-dcmd-seq`); STATE is JSON and has none.
    pub const fn carries_seq(self) -> bool {
        matches!(
            self,
            Self::NBirth | Self::DBirth | Self::NData | Self::DData | Self::DDeath
        )
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageType {
    type Err = TopicParseError;

    /// Parses the exact, case-sensitive spec spelling.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| TopicParseError::UnknownMessageType {
                found: s.to_owned(),
            })
    }
}

/// The message types of edge node topics, which have no device id
/// (`tck-id-topic-structure-namespace-device-id-non-associated-message-types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NodeMessageType {
    /// `NBIRTH`.
    NBirth,
    /// `NDEATH`.
    NDeath,
    /// `NDATA`.
    NData,
    /// `NCMD`.
    NCmd,
}

/// The message types of device topics, which need a device id
/// (`tck-id-topic-structure-namespace-device-id-associated-message-types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DeviceMessageType {
    /// `DBIRTH`.
    DBirth,
    /// `DDEATH`.
    DDeath,
    /// `DDATA`.
    DData,
    /// `DCMD`.
    DCmd,
}

impl From<NodeMessageType> for MessageType {
    fn from(t: NodeMessageType) -> Self {
        match t {
            NodeMessageType::NBirth => Self::NBirth,
            NodeMessageType::NDeath => Self::NDeath,
            NodeMessageType::NData => Self::NData,
            NodeMessageType::NCmd => Self::NCmd,
        }
    }
}

impl From<DeviceMessageType> for MessageType {
    fn from(t: DeviceMessageType) -> Self {
        match t {
            DeviceMessageType::DBirth => Self::DBirth,
            DeviceMessageType::DDeath => Self::DDeath,
            DeviceMessageType::DData => Self::DData,
            DeviceMessageType::DCmd => Self::DCmd,
        }
    }
}

impl TryFrom<MessageType> for NodeMessageType {
    type Error = TopicParseError;

    /// Refuses device verbs ([`TopicParseError::MissingDeviceId`]) and STATE
    /// ([`TopicParseError::MisplacedState`]).
    fn try_from(t: MessageType) -> Result<Self, Self::Error> {
        match t {
            MessageType::NBirth => Ok(Self::NBirth),
            MessageType::NDeath => Ok(Self::NDeath),
            MessageType::NData => Ok(Self::NData),
            MessageType::NCmd => Ok(Self::NCmd),
            MessageType::State => Err(TopicParseError::MisplacedState),
            device => Err(TopicParseError::MissingDeviceId {
                message_type: device,
            }),
        }
    }
}

impl TryFrom<MessageType> for DeviceMessageType {
    type Error = TopicParseError;

    /// Refuses node verbs and STATE ([`TopicParseError::UnexpectedDeviceId`]).
    fn try_from(t: MessageType) -> Result<Self, Self::Error> {
        match t {
            MessageType::DBirth => Ok(Self::DBirth),
            MessageType::DDeath => Ok(Self::DDeath),
            MessageType::DData => Ok(Self::DData),
            MessageType::DCmd => Ok(Self::DCmd),
            other => Err(TopicParseError::UnexpectedDeviceId {
                message_type: other,
            }),
        }
    }
}

impl fmt::Display for NodeMessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        MessageType::from(*self).fmt(f)
    }
}

impl fmt::Display for DeviceMessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        MessageType::from(*self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_spec_reads_every_spelling_of_as_str() {
        for t in MessageType::ALL {
            assert_eq!(MessageType::from_spec(t.as_str()), Some(t));
        }
        for s in ["", "ndata", "NDATA ", "NDAT", "STATE/"] {
            assert_eq!(MessageType::from_spec(s), None);
        }
    }

    #[test]
    fn message_type_spelling_and_classes() -> Result<(), TopicParseError> {
        let table = [
            // verb, device, birth, death, data, command, seq (SPARKPLUG.md 1.2)
            ("NBIRTH", false, true, false, false, false, true),
            ("NDEATH", false, false, true, false, false, false),
            ("DBIRTH", true, true, false, false, false, true),
            ("DDEATH", true, false, true, false, false, true),
            ("NDATA", false, false, false, true, false, true),
            ("DDATA", true, false, false, true, false, true),
            ("NCMD", false, false, false, false, true, false),
            ("DCMD", true, false, false, false, true, false),
            ("STATE", false, false, false, false, false, false),
        ];
        for ((verb, device, birth, death, data, cmd, seq), mt) in
            table.into_iter().zip(MessageType::ALL)
        {
            assert_eq!(verb.parse::<MessageType>()?, mt);
            assert_eq!((mt.as_str(), mt.to_string()), (verb, verb.to_owned()));
            assert_eq!(
                (
                    mt.is_device_level(),
                    mt.is_birth(),
                    mt.is_death(),
                    mt.is_data(),
                    mt.is_command()
                ),
                (device, birth, death, data, cmd),
                "{verb}"
            );
            // tck-id-payloads-sequence-num-always-included, tck-id-topics-ndeath-seq,
            // tck-id-payloads-ncmd-seq, tck-id-payloads-dcmd-seq
            assert_eq!(mt.carries_seq(), seq, "{verb}");
        }
        assert!("Nbirth".parse::<MessageType>().is_err());
        assert_eq!(NodeMessageType::NCmd.to_string(), "NCMD");
        assert_eq!(DeviceMessageType::DDeath.to_string(), "DDEATH");
        Ok(())
    }
}
