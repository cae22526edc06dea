//! The MQTT driver (feature `tokio`): tokio + rumqttc runners for the sans-IO
//! [`EdgeNode`](crate::session::EdgeNode) and [`HostApplication`](crate::session::HostApplication).
//!
//! A runner is a thin loop around its state machine; everything Sparkplug (topics, QoS,
//! retain, Wills, births, deaths, seq, bdSeq, timers) is decided by the state machine. The
//! runner owns the state machine and one task; the application talks to it through a
//! cloneable handle ([`EdgeNodeHandle`], [`HostHandle`]) and reads [`RunnerEvent`]s from a
//! bounded channel.
//!
//! # The loop
//! - **Connect.** Before every CONNECT the runner calls the state machine's `connect(now)`
//!   and builds a new rumqttc client and event loop with a clean session (MQTT 5: Clean Start
//!   and Session Expiry Interval 0), the client id and the Will it returned. rumqttc keeps its
//!   options, Will included, inside its event loop, so a new one per connection is the way to
//!   give every CONNECT the Will of its own session (the edge node's bdSeq goes up by one on
//!   each). The edge runner saves the new bdSeq to its [`BdSeqStore`](crate::session::BdSeqStore)
//!   right after `connect`.
//! - **Session.** CONNACK → `handle_connected`; every incoming PUBLISH → `handle_publish`;
//!   the state machine's `poll_timeout` is awaited with `tokio::time::sleep_until` and fires
//!   `handle_timeout`; handle requests are applied in order. After each step `poll_transmit`
//!   is pumped into rumqttc (SUBSCRIBE and PUBLISH go out in order, so subscriptions precede
//!   births) and `poll_event` into the event channel.
//! - **Leaving.** When the state machine asks for `Disconnect` (clean shutdown, or an edge node
//!   leaving a server: its Primary Host went offline, was not online within
//!   [`EdgeNodeConfig::primary_host_wait`](crate::session::edge::EdgeNodeConfig) of the CONNACK
//!   (default 30 s, `None` waits for ever), or an NCMD wrote `Node Control/Next Server` =
//!   true), the runner waits until every QoS 1 publish before it,
//!   the death message included, is acknowledged (at most [`MqttConfig::shutdown_timeout`]),
//!   then sends DISCONNECT. rumqttc's MQTT 5 client can only send reason code 0x00, which makes
//!   the broker discard the Will; as Sparkplug asks an edge node for 0x04 "with Will message",
//!   the edge runner on MQTT 5 closes the connection without DISCONNECT instead, which has the
//!   same effect (the NDEATH Will is published; hosts ignore the duplicate of the same bdSeq).
//! - **Reconnect.** A failed attempt or a broken connection → `handle_disconnected`, a
//!   [`RunnerEvent::ConnectionLost`], and a new attempt after an exponential, capped, jittered
//!   [`Backoff`]; handle requests are still applied meanwhile (edge data goes to store and
//!   forward). After leaving a server the edge runner reconnects at once, to the next server
//!   of [`MqttConfig::rotation`] (round-robin, SPARKPLUG.md 2.6); a failed attempt also moves
//!   on. There is one connection at a time: the next CONNECT follows the end of the last
//!   session.
//!
//! # Backpressure
//! Events go through a bounded channel ([`MqttConfig::event_capacity`]). By default
//! ([`EventOverflow::DropNewest`]) a runner never waits for the application: when the channel
//! is full the event is dropped and counted, the count is reported by
//! [`RunnerEvent::EventsDropped`] once there is room again and by the handles'
//! `dropped_events()`. The state machine's own view (read with `inspect`) is never lost.
//! [`EventOverflow::Wait`] loses nothing but stalls the connection while the application lags.
//! Requests go through a bounded channel too ([`MqttConfig::command_capacity`]): handle calls
//! wait for room, then for the state machine's answer.
//!
//! # Shutdown
//! `handle.shutdown().await` (or dropping every handle) makes the state machine publish its
//! death (NDEATH, or STATE offline), then the runner leaves as above and `run` returns
//! `Ok(())`. `run` returns an error only when [`Backoff::max_attempts`] attempts in a row
//! failed.
//!
//! # Protocols and TLS
//! [`BrokerUrl`]: `mqtt://host:port` (MQTT 3.1.1), `mqtts://` (TLS through rustls, trusting
//! the platform's roots or [`MqttConfig::ca_pem`]), `mqtt5://` and `mqtts5://` for MQTT 5.
//!
//! The two examples `edge_node` and `host` of the crate run these against a broker.

mod channel;
pub mod clock;
mod config;
mod connection;
mod edge;
mod error;
mod host;
mod runner;
mod url;

pub use channel::{EventReceiver, RunnerEvent};
pub use config::{Backoff, Credentials, EventOverflow, MqttConfig};
pub use edge::{EdgeNodeHandle, EdgeNodeRunner, MemoryBdSeqStore, run_edge_node};
pub use error::{ConnectionError, DriverError, RequestError, RunnerStopped, UrlError};
pub use host::{HostHandle, HostRunner, run_host};
pub use url::{BrokerUrl, MqttVersion, redact_url};
