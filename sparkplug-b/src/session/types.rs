//! The vocabulary between the session state machines and a transport.

use core::fmt;
use core::time::Duration;

/// A point in time: milliseconds since the Unix epoch, UTC.
///
/// The state machines take `now` as a parameter instead of reading a clock, so tests run on a
/// simulated clock and a transport decides where time comes from. The same value stamps
/// payloads (Sparkplug timestamps are UTC milliseconds) and drives timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The time `millis` milliseconds after the Unix epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Timestamp(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// This time plus `d`, saturating at the end of time.
    pub fn saturating_add(self, d: Duration) -> Self {
        Timestamp(
            self.0
                .saturating_add(d.as_millis().min(u128::from(u64::MAX)) as u64),
        )
    }

    /// The time from `earlier` to this one; zero when `earlier` is later (a clock that stepped
    /// back must not make a timer fire early or panic).
    pub fn saturating_since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// The message sequence number of an edge node session: 0..=255, wrapping
/// (`tck-id-payloads-sequence-num-incrementing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Seq(u8);

impl Seq {
    /// The sequence number every NBIRTH carries (`tck-id-topics-nbirth-seq-num`).
    pub const ZERO: Seq = Seq(0);

    /// A sequence number.
    pub const fn new(value: u8) -> Self {
        Seq(value)
    }

    /// The sequence number from a payload's `seq` field; `None` when it is above 255.
    pub fn from_wire(seq: u64) -> Option<Self> {
        u8::try_from(seq).ok().map(Seq)
    }

    /// The value.
    pub const fn value(self) -> u8 {
        self.0
    }

    /// The next sequence number: +1, with 255 followed by 0.
    pub const fn next(self) -> Self {
        Seq(self.0.wrapping_add(1))
    }

    /// How many steps forward `later` is from this one, modulo 256.
    pub const fn distance_to(self, later: Seq) -> u8 {
        later.0.wrapping_sub(self.0)
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The birth/death sequence number: the `bdSeq` metric of an edge node's Will and NBIRTH.
/// It starts at 0, goes up by one on every MQTT CONNECT and wraps from 255 to 0
/// (`tck-id-topics-nbirth-bdseq-increment`); it travels as an Int64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BdSeq(u8);

impl BdSeq {
    /// A bdSeq.
    pub const fn new(value: u8) -> Self {
        BdSeq(value)
    }

    /// The bdSeq from a metric value; `None` outside 0..=255.
    pub fn from_wire(value: i64) -> Option<Self> {
        u8::try_from(value).ok().map(BdSeq)
    }

    /// The value.
    pub const fn value(self) -> u8 {
        self.0
    }

    /// The value as the Int64 the `bdSeq` metric carries.
    pub const fn as_i64(self) -> i64 {
        self.0 as i64
    }

    /// The bdSeq of the next CONNECT: +1, with 255 followed by 0.
    pub const fn next(self) -> Self {
        BdSeq(self.0.wrapping_add(1))
    }
}

impl fmt::Display for BdSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// MQTT quality of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum QoS {
    /// QoS 0.
    AtMostOnce,
    /// QoS 1.
    AtLeastOnce,
    /// QoS 2 (Sparkplug itself never asks for it).
    ExactlyOnce,
}

/// A message to publish, with the QoS and retain flag the specification requires for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    /// The topic name.
    pub topic: String,
    /// The payload bytes.
    pub payload: Vec<u8>,
    /// The QoS to publish at.
    pub qos: QoS,
    /// The retain flag.
    pub retain: bool,
}

/// The Will (last will and testament) to register in the MQTT CONNECT packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Will {
    /// The Will topic.
    pub topic: String,
    /// The Will payload.
    pub payload: Vec<u8>,
    /// The Will QoS.
    pub qos: QoS,
    /// The Will retain flag.
    pub retain: bool,
}

/// A subscription to make.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subscription {
    /// The topic filter.
    pub filter: String,
    /// The maximum QoS requested.
    pub qos: QoS,
}

/// What the transport must put in the next MQTT CONNECT.
///
/// Sparkplug sessions are always clean (MQTT 3.1.1 CleanSession = 1; MQTT 5 Clean Start = 1 with
/// Session Expiry Interval 0), so subscriptions are made again after every CONNACK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// The MQTT client id.
    pub client_id: String,
    /// The Will to register.
    pub will: Will,
}

/// Why the state machine asks the transport to disconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// A clean shutdown after the death message was published. With MQTT 5, send reason code
    /// 0x04 "Disconnect with Will Message"
    /// (`tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt50`); with MQTT 3.1.1, a
    /// plain DISCONNECT after the death message
    /// (`tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt311`).
    Shutdown,
    /// The primary host went offline: the edge node published its NDEATH and moves to the next
    /// server (SPARKPLUG.md 2.6). Reconnect, to the next server when there are several.
    PrimaryHostOffline,
    /// The host application saw a valid-looking `online:false` on its own STATE topic that it
    /// did not send (a forged or misdirected STATE): the edge nodes took it as the host going
    /// offline, and only a STATE birth with a newer timestamp brings them back. Leave without
    /// the Will (MQTT 5: reason code 0x00) and connect again at once, to the same server.
    NewSession,
    /// The Primary Host was not online within
    /// [`EdgeNodeConfig::primary_host_wait`](crate::session::edge::EdgeNodeConfig) of the
    /// CONNACK: the edge node published its NDEATH and moves to the next server (SPARKPLUG.md
    /// 2.6). Reconnect, to the next server when there are several.
    PrimaryHostWaitExpired,
    /// An NCMD wrote `Node Control/Next Server` = true: the edge node published its NDEATH
    /// and moves to the next server. Reconnect, to the next server when there are several.
    NextServer,
}

/// Something the transport must do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transmit {
    /// Subscribe to these filters (before any publish of the session).
    Subscribe(Vec<Subscription>),
    /// Publish this message.
    Publish(Publish),
    /// Disconnect from the broker.
    Disconnect(DisconnectReason),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tck-id-payloads-sequence-num-incrementing: 255 is followed by 0.
    #[test]
    fn seq_wraps() {
        assert_eq!(Seq::new(254).next(), Seq::new(255));
        assert_eq!(Seq::new(255).next(), Seq::ZERO);
        assert_eq!(Seq::new(250).distance_to(Seq::new(3)), 9);
        assert_eq!(Seq::from_wire(256), None);
    }

    /// tck-id-topics-nbirth-bdseq-increment: +1 per CONNECT, 255 wraps to 0.
    #[test]
    fn bdseq_wraps() {
        assert_eq!(BdSeq::new(255).next(), BdSeq::new(0));
        assert_eq!(BdSeq::new(7).as_i64(), 7);
        assert_eq!(BdSeq::from_wire(-1), None);
        assert_eq!(BdSeq::from_wire(255), Some(BdSeq::new(255)));
    }

    #[test]
    fn timestamps_never_go_negative() {
        let t = Timestamp::from_millis(1000);
        assert_eq!(
            t.saturating_since(Timestamp::from_millis(2000)),
            Duration::ZERO
        );
        assert_eq!(t.saturating_add(Duration::from_millis(5)).as_millis(), 1005);
        assert_eq!(
            Timestamp::from_millis(u64::MAX)
                .saturating_add(Duration::MAX)
                .as_millis(),
            u64::MAX
        );
    }
}
