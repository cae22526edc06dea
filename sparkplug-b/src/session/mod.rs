//! Sparkplug sessions as sans-IO state machines: the edge node and the host application.
//!
//! The state machines never touch a socket or a clock. Inputs go in through `handle_*(now, ...)`
//! methods, with `now` the current UTC time given by the caller; outputs come out of
//! `poll_transmit()` (what to send to the broker: publishes, subscriptions, disconnects),
//! `poll_event()` (what happened, for the application) and `poll_timeout()` (when to call
//! `handle_timeout` next). The core decides topic, QoS and retain of every publish, the Will and
//! the subscriptions; a transport (the optional MQTT driver, a test harness, or your own) only
//! carries them.
//!
//! This module holds the types shared by both roles and by every transport.

pub mod edge;
pub mod host;
mod types;

pub use edge::{
    BdSeqStore, EdgeEvent, EdgeNode, EdgeNodeConfig, EdgeState, FileBdSeqStore, MetricSpec,
};
pub use host::{HostApplication, HostConfig, HostEvent};
pub use types::{
    BdSeq, ConnectOptions, DisconnectReason, Publish, QoS, Seq, Subscription, Timestamp, Transmit,
    Will,
};
