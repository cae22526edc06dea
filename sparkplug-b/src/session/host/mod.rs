//! The Sparkplug B host application as a sans-IO state machine.
//!
//! [`HostApplication`] decides everything a Sparkplug host sends and keeps what it knows of every
//! edge node and device; a transport carries its [`Transmit`]s to the broker and feeds it what
//! arrives. Time is a parameter (`now`) of every input.
//!
//! ```text
//!                 connect(now)                      handle_connected(now):
//!  ┌──────────────┐ ───────────► ┌─────────────────┐ Subscribe, then the   ┌────────┐ own STATE
//!  │ Disconnected │              │ AwaitingConnAck │ ────────────────────► │ Online │ ◄─┐ offline:
//!  └──────────────┘ ◄─────────── │ (Will: STATE    │ STATE birth with the  └────────┘ ──┘ birth
//!     ▲        ▲    handle_      │  offline, T)    │ Will's T                │    │       again
//!     │        │    disconnected └─────────────────┘                         │    │
//!     │        └─────────── handle_disconnected: everything STALE ───────────┘    │ shutdown(now):
//!     │                                                                           ▼ STATE offline
//!     │      handle_disconnected: everything STALE            ┌────────────────────┐ (now), then
//!     └────────────────────────────────────────────────────── │ AwaitingDisconnect │ DISCONNECT
//!                                                             └────────────────────┘
//! ```
//!
//! An `online:false` on its own STATE topic is answered as [`HostConfig::own_state_offline`]
//! says: by default a stale one (older than the birth: an earlier session's Will) with the
//! birth again, and one the edge nodes act on (forged, or another client with the same host
//! id) by leaving with [`DisconnectReason::NewSession`](crate::session::DisconnectReason) so
//! that the next session's birth is dated past it ([`OwnStateOffline`]).
//!
//! While `Online`, each edge node moves through [`Presence`] (`AwaitingRebirth`, `Online`,
//! `Offline`) with its births and deaths, and its seq stream goes through a reorder buffer
//! (see the `reorder` module docs): out-of-order messages wait up to
//! [`HostConfig::reorder_timeout`] for the ones before them; then the host asks for a rebirth
//! and delivers what it held. Everything the host learns comes out as [`HostEvent`]s, and its
//! current view can be read with [`HostApplication::node`], [`HostApplication::device`] and
//! [`HostApplication::metric`].
//!
//! ```
//! use sparkplug_b::session::host::{HostApplication, HostConfig, HostEvent, Presence};
//! use sparkplug_b::session::{Timestamp, Transmit};
//! use sparkplug_b::topic::{EdgeNodeId, GroupId, HostId};
//! use sparkplug_b::{Metric, Payload};
//!
//! let mut host = HostApplication::new(HostConfig::new(HostId::new("scada")?));
//! let t0 = Timestamp::from_millis(1_700_000_000_000);
//! let connect = host.connect(t0);
//! assert_eq!(connect.will.topic, "spBv1.0/STATE/scada");
//! host.handle_connected(t0);
//! assert!(matches!(host.poll_transmit(), Some(Transmit::Subscribe(_))));
//! assert!(matches!(host.poll_transmit(), Some(Transmit::Publish(p)) if p.retain));
//!
//! let nbirth = Payload::new(1_700_000_000_100)
//!     .with_seq(0)
//!     .with_metric(Metric::new("bdSeq", 0i64).with_timestamp(1_700_000_000_100))
//!     .with_metric(Metric::new("Node Control/Rebirth", false).with_timestamp(1_700_000_000_100));
//! host.handle_publish(t0, "spBv1.0/Plant/NBIRTH/Line1", &nbirth.encode_to_vec()?);
//! let node = host.node(&GroupId::new("Plant")?, &EdgeNodeId::new("Line1")?).unwrap();
//! assert_eq!(node.presence(), Presence::Online);
//! while let Some(event) = host.poll_event() {
//!     if let HostEvent::NodeOnline { node, .. } = event {
//!         assert_eq!(node.as_str(), "Line1");
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod command;
mod config;
mod data;
mod direct;
mod error;
mod event;
mod inbound;
mod node;
mod rebirth;
mod reorder;
mod state;
mod stats;
#[cfg(test)]
mod tests;

pub use config::{HostConfig, OwnStateOffline};
pub use error::CommandError;
pub use event::{DeviceOfflineCause, HostEvent, MetricUpdate, OwnStateResponse};
pub use inbound::{MAX_UNBORN_REBIRTHS, MAX_VIOLATIONS_PER_MESSAGE};
pub use node::{DeviceState, MetricState, NodeState, Presence};
pub use rebirth::RebirthReason;
pub use stats::HostStats;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use inbound::{NodeCtx, Outbox};

use crate::session::{ConnectOptions, DisconnectReason, Timestamp, Transmit};
use crate::topic::{
    DeviceId, EdgeNodeId, GroupId, HostId, MessageType, NAMESPACE, StateMessage, TopicRef,
};

/// The host's connection to its broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Connection {
    /// No connection: waiting for [`HostApplication::connect`].
    Disconnected,
    /// CONNECT sent with the Will of time `t_connect`: waiting for the CONNACK.
    AwaitingConnAck { t_connect: Timestamp },
    /// Subscribed and born with `t_connect`.
    Online { t_connect: Timestamp },
    /// Death published after [`HostApplication::shutdown`]: waiting for the transport to close.
    AwaitingDisconnect,
}

/// One message of an edge node or its device, handed to the node's [`NodeCtx`]; the node's
/// reorder timer follows its deadline.
#[allow(clippy::too_many_arguments)]
fn edge_message(
    config: &HostConfig,
    out: &mut Outbox,
    timers: &mut BTreeSet<(Timestamp, GroupId, EdgeNodeId)>,
    node: &mut node::NodeState,
    now: Timestamp,
    device: Option<&str>,
    message_type: MessageType,
    bytes: &[u8],
) {
    let (group, node_id) = (node.group.clone(), node.id.clone());
    let before = node.seq.deadline();
    let mut ctx = NodeCtx {
        config,
        out,
        group: &group,
        node_id: &node_id,
        connected: true,
    };
    ctx.message(node, now, device, message_type, bytes);
    out.end_message(&group, &node_id);
    let after = node.seq.deadline();
    if before != after {
        if let Some(before) = before {
            timers.remove(&(before, group.clone(), node_id.clone()));
        }
        if let Some(after) = after {
            timers.insert((after, group, node_id));
        }
    }
}

/// A Sparkplug B host application: STATE birth and death, per edge node presence, seq ordering,
/// alias resolution and metric quality, rebirth requests and commands. Does no IO.
#[derive(Debug)]
pub struct HostApplication {
    config: HostConfig,
    connection: Connection,
    nodes: BTreeMap<GroupId, BTreeMap<EdgeNodeId, node::NodeState>>,
    /// Reorder deadlines of the nodes holding messages, earliest first.
    timers: BTreeSet<(Timestamp, GroupId, EdgeNodeId)>,
    /// The earliest timestamp the next session's Will and birth may carry: just past the
    /// newest offline STATE of the host's own that ended a session (see
    /// [`OwnStateOffline::NewSession`]), so that the edge nodes accept the next birth.
    state_floor: Timestamp,
    /// The edge nodes created by a message other than a birth, in the order they were; some
    /// may have been born since (they are skipped when evicting).
    unborn: VecDeque<(GroupId, EdgeNodeId)>,
    out: Outbox,
}

impl HostApplication {
    /// A host application, disconnected.
    pub fn new(config: HostConfig) -> Self {
        HostApplication {
            config,
            connection: Connection::Disconnected,
            nodes: BTreeMap::new(),
            timers: BTreeSet::new(),
            state_floor: Timestamp::default(),
            unborn: VecDeque::new(),
            out: Outbox::default(),
        }
    }

    /// Call right before each MQTT CONNECT (clean session), with the time it is sent: the Will
    /// to register is the STATE death `{"online":false,"timestamp":now}`, QoS 1, retained
    /// (`tck-id-host-topic-phid-death-payload-timestamp-connect`,
    /// `tck-id-payloads-state-will-message-qos`, `tck-id-payloads-state-will-message-retain`).
    /// After an offline STATE of its own ended a session
    /// ([`OwnStateResponse::NewSession`]), the timestamp is at least the one that event named,
    /// should the clock be behind it.
    pub fn connect(&mut self, now: Timestamp) -> ConnectOptions {
        let now = now.max(self.state_floor);
        if matches!(
            self.connection,
            Connection::Online { .. } | Connection::AwaitingDisconnect
        ) {
            self.lose_connection(now);
        }
        // Nothing left from an earlier connection may go before the next STATE birth.
        self.out.transmits.clear();
        self.connection = Connection::AwaitingConnAck { t_connect: now };
        ConnectOptions {
            client_id: self.config.client_id.clone(),
            will: state::will(&self.config.host_id, now),
        }
    }

    /// The CONNACK arrived: the host subscribes to `spBv1.0/#` and its own STATE topic, then
    /// publishes its STATE birth with the timestamp of its Will, QoS 1, retained — its first
    /// publish of the session (`tck-id-message-flow-phid-sparkplug-subscription`,
    /// `tck-id-host-topic-phid-birth-payload-timestamp`).
    pub fn handle_connected(&mut self, now: Timestamp) {
        let t_connect = match self.connection {
            Connection::AwaitingConnAck { t_connect } | Connection::Online { t_connect } => {
                t_connect
            }
            // No connect() call: the Will's time is unknown, `now` is the best guess.
            Connection::Disconnected | Connection::AwaitingDisconnect => now,
        };
        self.out.transmits.clear();
        let host_id = &self.config.host_id;
        self.out.transmits.push_back(state::subscriptions(host_id));
        let birth = StateMessage::birth(t_connect.as_millis());
        self.out.transmits.push_back(state::publish(host_id, birth));
        self.connection = Connection::Online { t_connect };
        self.out.events.push_back(HostEvent::StateBirthPublished {
            timestamp: t_connect,
        });
    }

    /// The connection closed or broke: everything from this broker is STALE from `now`
    /// (SPARKPLUG.md 2.5) and every online node waits for a rebirth.
    pub fn handle_disconnected(&mut self, now: Timestamp) {
        match self.connection {
            Connection::Disconnected => return,
            Connection::AwaitingConnAck { .. } => {}
            Connection::Online { .. } | Connection::AwaitingDisconnect => self.lose_connection(now),
        }
        self.connection = Connection::Disconnected;
        self.out.transmits.clear();
    }

    /// A message arrived on `topic`. Anything from the network is accepted: what breaks the
    /// rules comes out as [`HostEvent::Violation`], never as a panic or an error.
    pub fn handle_publish(&mut self, now: Timestamp, topic: &str, payload: &[u8]) {
        if !matches!(self.connection, Connection::Online { .. }) {
            return;
        }
        let parsed = match TopicRef::parse(topic) {
            Ok(parsed) => parsed,
            Err(error) => {
                if topic.split('/').next() == Some(NAMESPACE) {
                    self.out.events.push_back(HostEvent::Violation {
                        group: None,
                        node: None,
                        device: None,
                        message_type: None,
                        tck_id: "topic-structure",
                        detail: format!("topic {topic:?}: {error}"),
                        recommendation: false,
                    });
                }
                return;
            }
        };
        match parsed {
            TopicRef::State { host } => {
                self.handle_state(now, HostId::from_validated(host), payload);
            }
            TopicRef::Node {
                group,
                message_type,
                node,
            } => {
                let message_type = MessageType::from(message_type);
                if message_type != MessageType::NCmd {
                    self.handle_edge(now, group, node, None, message_type, payload);
                }
            }
            TopicRef::Device {
                group,
                message_type,
                node,
                device,
            } => {
                let message_type = MessageType::from(message_type);
                if message_type != MessageType::DCmd {
                    self.handle_edge(now, group, node, Some(device), message_type, payload);
                }
            }
        }
    }

    /// Fires the reorder timers due at `now`: for each node whose gap did not fill, a rebirth
    /// request, and what it held delivered out of sequence
    /// (`tck-id-operational-behavior-host-reordering-rebirth`).
    pub fn handle_timeout(&mut self, now: Timestamp) {
        if !matches!(self.connection, Connection::Online { .. }) {
            return;
        }
        while let Some((deadline, group, node_id)) = self.timers.first().cloned() {
            if deadline > now {
                break;
            }
            self.timers
                .remove(&(deadline, group.clone(), node_id.clone()));
            let Some(node) = self.nodes.get_mut(&group).and_then(|g| g.get_mut(&node_id)) else {
                continue;
            };
            let mut ctx = NodeCtx {
                config: &self.config,
                out: &mut self.out,
                group: &group,
                node_id: &node_id,
                connected: true,
            };
            ctx.expire(node, now);
            self.out.end_message(&group, &node_id);
            if let Some(next) = node.seq.deadline() {
                self.timers.insert((next, group, node_id));
            }
        }
    }

    /// The next thing to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<HostEvent> {
        self.out.events.pop_front()
    }

    /// When [`HostApplication::handle_timeout`] is due next, if a reorder timer runs.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        match self.connection {
            Connection::Online { .. } => self.timers.first().map(|(deadline, ..)| *deadline),
            _ => None,
        }
    }

    /// A clean shutdown: the STATE death `{"online":false,"timestamp":now}` (QoS 1, retained),
    /// then a DISCONNECT
    /// (`tck-id-operational-behavior-host-application-termination`,
    /// `tck-id-host-topic-phid-death-payload-timestamp-disconnect-clean`). Before a CONNACK
    /// nothing can be published, and only the DISCONNECT is asked for.
    pub fn shutdown(&mut self, now: Timestamp) {
        match self.connection {
            Connection::Online { .. } => {
                let death = StateMessage::death(now.as_millis());
                let publish = state::publish(&self.config.host_id, death);
                self.out.transmits.push_back(publish);
            }
            Connection::AwaitingConnAck { .. } => self.out.transmits.clear(),
            Connection::Disconnected | Connection::AwaitingDisconnect => return,
        }
        self.out
            .transmits
            .push_back(Transmit::Disconnect(DisconnectReason::Shutdown));
        self.connection = Connection::AwaitingDisconnect;
    }

    /// What the host counted so far.
    pub fn stats(&self) -> HostStats {
        self.out.stats
    }

    /// The configuration.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// Whether the host is connected and has published its STATE birth.
    pub fn is_online(&self) -> bool {
        matches!(self.connection, Connection::Online { .. })
    }

    /// The timestamp of the current session's Will and STATE birth (from the last
    /// [`HostApplication::connect`]), while connecting or online.
    pub fn state_timestamp(&self) -> Option<Timestamp> {
        match self.connection {
            Connection::AwaitingConnAck { t_connect } | Connection::Online { t_connect } => {
                Some(t_connect)
            }
            _ => None,
        }
    }

    /// What the host knows of an edge node.
    pub fn node(&self, group: &GroupId, node: &EdgeNodeId) -> Option<&NodeState> {
        self.nodes.get(group)?.get(node)
    }

    /// Every edge node the host has heard of, by group and id.
    pub fn nodes(&self) -> impl Iterator<Item = (&GroupId, &EdgeNodeId, &NodeState)> {
        self.nodes
            .iter()
            .flat_map(|(g, nodes)| nodes.iter().map(move |(e, n)| (g, e, n)))
    }

    /// What the host knows of a device.
    pub fn device(
        &self,
        group: &GroupId,
        node: &EdgeNodeId,
        device: &DeviceId,
    ) -> Option<&DeviceState> {
        self.node(group, node)?.device(device)
    }

    /// A node metric (`device` `None`) or device metric, by its birth name: last value, quality
    /// and when the quality last changed.
    pub fn metric(
        &self,
        group: &GroupId,
        node: &EdgeNodeId,
        device: Option<&DeviceId>,
        name: &str,
    ) -> Option<&MetricState> {
        let node = self.node(group, node)?;
        match device {
            None => node.metric(name),
            Some(device) => node.device(device)?.metric(name),
        }
    }

    /// The datatype a write to `name` takes, as the birth declared it: a metric's, or a
    /// template member's by its path (`Motor1/Speed`), as
    /// [`HostApplication::write_metric`] accepts them.
    pub fn writable_datatype(
        &self,
        group: &GroupId,
        node: &EdgeNodeId,
        device: Option<&DeviceId>,
        name: &str,
    ) -> Option<crate::DataType> {
        let state = self.node(group, node)?;
        let table = match device {
            None => state.aliases(),
            Some(device) => state.device(device)?.aliases(),
        };
        if let Some(def) = table.by_name(name) {
            return Some(def.datatype);
        }
        name.match_indices('/').find_map(|(i, _)| {
            let def = table.by_name(&name[..i])?;
            Some(def.members.as_ref()?.by_name(&name[i + 1..])?.datatype)
        })
    }

    /// A message of edge node `node_id` of `group` (or of its device `device`), its identifiers
    /// checked already. Nodes are looked up by name: only a node's first message allocates.
    fn handle_edge(
        &mut self,
        now: Timestamp,
        group: &str,
        node_id: &str,
        device: Option<&str>,
        message_type: MessageType,
        bytes: &[u8],
    ) {
        if !self.nodes.contains_key(group) {
            self.nodes
                .insert(GroupId::from_validated(group), BTreeMap::new());
        }
        let Some(nodes) = self.nodes.get_mut(group) else {
            return;
        };
        let (config, out, timers) = (&self.config, &mut self.out, &mut self.timers);
        if let Some(node) = nodes.get_mut(node_id) {
            let was_born = node.born;
            edge_message(config, out, timers, node, now, device, message_type, bytes);
            if node.born && !was_born {
                out.stats.unborn_nodes = out.stats.unborn_nodes.saturating_sub(1);
            }
            return;
        }
        let (group, node_id) = (
            GroupId::from_validated(group),
            EdgeNodeId::from_validated(node_id),
        );
        let node = nodes
            .entry(node_id.clone())
            .or_insert_with(|| node::NodeState::new(group.clone(), node_id.clone(), now));
        edge_message(config, out, timers, node, now, device, message_type, bytes);
        if !node.born {
            out.stats.unborn_nodes += 1;
            self.unborn.push_back((group, node_id));
            self.evict_unborn();
        }
    }

    /// Forgets the oldest edge nodes that were never born while there are more than
    /// [`HostConfig::max_unborn_nodes`]: nodes that exist only in junk traffic (random ids,
    /// malformed messages) cost bounded memory. A real node among them is asked for a rebirth
    /// again by its next message.
    fn evict_unborn(&mut self) {
        while self.out.stats.unborn_nodes > self.config.max_unborn_nodes as u64 {
            let Some((group, node_id)) = self.unborn.pop_front() else {
                return;
            };
            let Some(nodes) = self.nodes.get_mut(&group) else {
                continue;
            };
            if nodes.get(&node_id).is_none_or(|n| n.born) {
                continue;
            }
            if let Some(node) = nodes.remove(&node_id) {
                if let Some(deadline) = node.seq.deadline() {
                    self.timers
                        .remove(&(deadline, group.clone(), node_id.clone()));
                }
            }
            if nodes.is_empty() {
                self.nodes.remove(&group);
            }
            self.out.stats.unborn_nodes -= 1;
            self.out.stats.unborn_nodes_evicted += 1;
        }
    }

    /// The broker is gone: deliver what is held, mark everything STALE, stop the timers.
    fn lose_connection(&mut self, now: Timestamp) {
        self.timers.clear();
        for (group, nodes) in &mut self.nodes {
            for (node_id, node) in nodes {
                let mut ctx = NodeCtx {
                    config: &self.config,
                    out: &mut self.out,
                    group,
                    node_id,
                    connected: false,
                };
                ctx.connection_lost(node, now);
                self.out.end_message(group, node_id);
            }
        }
        self.out
            .events
            .push_back(HostEvent::ConnectionLost { at: now });
    }
}
