//! A deterministic test harness for the sans-IO Sparkplug session state machines.
//!
//! Any number of peers (edge nodes, host applications, or small scripted stand-ins) are joined
//! by an in-memory MQTT [`Broker`] and driven on a simulated [`Clock`] by a [`Sim`], in the
//! style of quinn-proto's test `Pair`: no sockets, no threads, no real time. The harness plays
//! the part of the transport (the MQTT client library and its driver loop) and of the MQTT
//! server, with the behaviour Sparkplug depends on (SPARKPLUG.md 1.3, 1.4): wildcard filters,
//! retained messages, Wills on connection loss, MQTT 3.1.1 versus MQTT 5 DISCONNECT, clean
//! sessions and session takeover. Everything that crosses the wire is recorded in a [`Log`] for
//! assertions, and faults (withheld or lost messages) can be injected at a precise message.
//!
//! Not modelled: packet encoding, packet ids, PUBACK/retransmission (delivery is exactly once
//! and in order unless a fault is injected; the QoS is only recorded), persistent sessions
//! (Sparkplug never uses them), MQTT 5 Will Delay, No Local, Retain As Published, subscription
//! identifiers, shared subscriptions, authentication, keep-alive timing and network latency.

mod broker;
mod clock;
mod fault;
mod record;
mod sim;
mod topic;

#[cfg(test)]
mod tests;

// The vocabulary of scenario tests: not every one is named by every build of the tests.
#[allow(unused_imports)]
pub(crate) use broker::{Broker, Close, Delivery, Message, MqttVersion, Origin, mqtt5_reason_code};
#[allow(unused_imports)]
pub(crate) use clock::{Clock, START};
#[allow(unused_imports)]
pub(crate) use record::{Entry, Event, Log};
#[allow(unused_imports)]
pub(crate) use sim::{NotIdle, Sim};
#[allow(unused_imports)]
pub(crate) use topic::{is_valid_filter, is_valid_topic_name, matches};

use sparkplug_b::session::{ConnectOptions, Timestamp, Transmit};

/// A sans-IO MQTT client state machine the [`Sim`] can drive: the interface shared by the
/// Sparkplug edge node and host application.
///
/// The simulation calls the methods the way a transport would: `connect` when it opens a
/// connection, `handle_connected` on CONNACK, `handle_disconnected` when the connection ends
/// (dropped, taken over, or after the peer's own `Transmit::Disconnect`), `handle_publish` for
/// each incoming PUBLISH, `handle_timeout` once `poll_timeout` is due, and `poll_transmit` until
/// it returns `None` whenever the peer is connected (a disconnected peer's transmits wait in the
/// peer, as they would in a client library's request queue).
///
/// Implement it with [`impl_peer!`] for a type that has inherent methods of the same names.
pub(crate) trait Peer: 'static {
    /// The CONNECT to send: client id and Will.
    fn connect(&mut self, now: Timestamp) -> ConnectOptions;
    /// The broker accepted the CONNECT (CONNACK) with a clean session.
    fn handle_connected(&mut self, now: Timestamp);
    /// The connection ended.
    fn handle_disconnected(&mut self, now: Timestamp);
    /// A PUBLISH arrived.
    fn handle_publish(&mut self, now: Timestamp, topic: &str, payload: &[u8]);
    /// The deadline returned by `poll_timeout` has passed.
    fn handle_timeout(&mut self, now: Timestamp);
    /// The next thing to send.
    fn poll_transmit(&mut self) -> Option<Transmit>;
    /// When `handle_timeout` is due next.
    fn poll_timeout(&self) -> Option<Timestamp>;
}

/// `impl Peer for $ty` by forwarding every method to the inherent method of the same name:
/// `harness::impl_peer!(EdgeNode);`.
macro_rules! impl_peer {
    ($ty:ty) => {
        impl $crate::harness::Peer for $ty {
            fn connect(
                &mut self,
                now: ::sparkplug_b::session::Timestamp,
            ) -> ::sparkplug_b::session::ConnectOptions {
                <$ty>::connect(self, now)
            }
            fn handle_connected(&mut self, now: ::sparkplug_b::session::Timestamp) {
                <$ty>::handle_connected(self, now)
            }
            fn handle_disconnected(&mut self, now: ::sparkplug_b::session::Timestamp) {
                <$ty>::handle_disconnected(self, now)
            }
            fn handle_publish(
                &mut self,
                now: ::sparkplug_b::session::Timestamp,
                topic: &str,
                payload: &[u8],
            ) {
                <$ty>::handle_publish(self, now, topic, payload)
            }
            fn handle_timeout(&mut self, now: ::sparkplug_b::session::Timestamp) {
                <$ty>::handle_timeout(self, now)
            }
            fn poll_transmit(&mut self) -> Option<::sparkplug_b::session::Transmit> {
                <$ty>::poll_transmit(self)
            }
            fn poll_timeout(&self) -> Option<::sparkplug_b::session::Timestamp> {
                <$ty>::poll_timeout(self)
            }
        }
    };
}
pub(crate) use impl_peer;
