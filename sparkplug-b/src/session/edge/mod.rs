//! The Sparkplug B edge node as a sans-IO state machine.
//!
//! [`EdgeNode`] decides everything an edge node puts on the wire: the Will (NDEATH) of each
//! CONNECT, the subscriptions, the birth sequence, data by exception, deaths, and the answers to
//! commands and to the Primary Host's STATE. The caller carries bytes and time:
//!
//! ```text
//!   caller                          EdgeNode
//!   connect(now) ─────────────────► ConnectOptions (client id, Will = NDEATH with bdSeq)
//!   handle_connected(now) ────────► queues Subscribe, then NBIRTH + DBIRTHs (or waits for STATE)
//!   handle_publish(now, t, bytes) ► NCMD / DCMD / STATE
//!   set_metric(..), flush(now) ───► NDATA / DDATA (or store and forward)
//!   poll_transmit() ◄───────────── Subscribe | Publish | Disconnect
//!   poll_event() ◄──────────────── EdgeEvent
//!   poll_timeout() / handle_timeout(now): the rebirth debounce timer
//! ```
//!
//! # States
//!
//! ```text
//!                  connect()                  handle_connected()
//!   Disconnected ────────────► AwaitingConnack ──────────┬───────────────────────┐
//!        ▲                                               │ primary host          │ no primary
//!        │ handle_disconnected(),                        ▼ configured            │ host
//!        │ from any state                       AwaitingPrimaryHost              │
//!        │ but ShutDown                                  │ STATE online,         │
//!        │                                               │ timestamp >= last     │
//!        │                                               ▼                       │
//!        │                                  NBIRTH (seq 0) + DBIRTHs ◄───────────┘
//!        │                                               │
//!        │  STATE offline, timestamp >= last:            ▼
//!        ├───────────────────────────────────────────  Online ◄────────────────┐
//!        │  NDEATH, Disconnect(PrimaryHostOffline)       │ rebirth request     │ handle_timeout
//!        │                                               │ inside the          │ (until):
//!        │  (the same from AwaitingRebirth)              ▼ debounce window     │ NBIRTH + DBIRTHs
//!        └──────────────────────────────────── AwaitingRebirth { until } ──────┘
//!
//!   shutdown(), from a connected state: NDEATH, Disconnect(Shutdown) ──► ShutDown
//!   connect(), from any state: a new session, bdSeq + 1 ──► AwaitingConnack
//! ```
//!
//! A rebirth request outside the debounce window, and adding a node metric while `Online`,
//! publish the birth sequence at once (same bdSeq, seq from 0). Every `connect()` starts a new
//! session: bdSeq + 1 (255 wraps to 0), anything queued from the old session is dropped, and
//! nothing but the subscriptions is published before the births.
//!
//! Data is only published `Online`. In every other state [`EdgeNode::flush`] moves the changed
//! values to store and forward; they are published with `is_historical = true` after the next
//! birth sequence.
//!
//! # Example
//!
//! ```
//! use sparkplug_b::session::{EdgeNode, EdgeNodeConfig, MetricSpec, Timestamp, Transmit};
//! use sparkplug_b::topic::{EdgeNodeId, GroupId};
//! use sparkplug_b::{DataType, Payload};
//!
//! let config = EdgeNodeConfig::new(GroupId::new("IcePlant")?, EdgeNodeId::new("Plant1")?);
//! let mut node = EdgeNode::new(config, None);
//! node.add_node_metric(Timestamp::from_millis(0), MetricSpec::new("Brine/Temp", DataType::Double))?;
//!
//! let now = Timestamp::from_millis(1_700_000_000_000);
//! let connect = node.connect(now); // put connect.will in the MQTT CONNECT
//! assert_eq!(connect.will.topic, "spBv1.0/IcePlant/NDEATH/Plant1");
//! node.handle_connected(now); // CONNACK
//! assert!(matches!(node.poll_transmit(), Some(Transmit::Subscribe(_))));
//! let Some(Transmit::Publish(nbirth)) = node.poll_transmit() else { panic!() };
//! assert_eq!(nbirth.topic, "spBv1.0/IcePlant/NBIRTH/Plant1");
//!
//! node.set_metric(now, None, "Brine/Temp", -8.5)?;
//! node.flush(now);
//! let Some(Transmit::Publish(ndata)) = node.poll_transmit() else { panic!() };
//! assert_eq!(Payload::decode(&ndata.payload)?.seq, Some(1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod application;
mod bd_seq_store;
mod birth;
mod command;
mod config;
mod control;
mod error;
mod event;
mod metrics;
mod publishing;
mod store_forward;
#[cfg(test)]
mod tests;

pub use bd_seq_store::{BdSeqFileError, BdSeqStore, FileBdSeqStore};
pub use config::EdgeNodeConfig;
pub use control::{
    NODE_CONTROL_NEXT_SERVER, NODE_CONTROL_REBOOT, NODE_CONTROL_SCAN_RATE, NodeControl,
};
pub use error::{
    AddDeviceError, CommandError, DefineTemplateError, MessageError, MetricSpecError,
    SetMetricError, UnknownDevice,
};
pub use event::EdgeEvent;
pub use metrics::MetricSpec;

use std::collections::VecDeque;

use crate::session::{
    BdSeq, ConnectOptions, DisconnectReason, QoS, Seq, Subscription, Timestamp, Transmit, Will,
};
use crate::topic::{
    DeviceId, DeviceMessageType, EdgeNodeId, GroupId, NAMESPACE, NodeMessageType, StateMessage,
    Topic,
};
use crate::{AliasTable, Payload, TemplateCatalog};

use metrics::MetricSet;
use store_forward::StoreForward;

/// Where the edge node is in its session; see the [module docs](self) for the transitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EdgeState {
    /// No connection. Call [`EdgeNode::connect`] to start one.
    Disconnected,
    /// CONNECT sent with the Will; waiting for CONNACK ([`EdgeNode::handle_connected`]).
    AwaitingConnack,
    /// Connected and subscribed; waiting for the Primary Host's STATE to say online before the
    /// births (`tck-id-message-flow-edge-node-birth-publish-phid-wait`).
    AwaitingPrimaryHost,
    /// Births published; data flows.
    Online,
    /// A rebirth was requested inside the debounce window: no data until the births are
    /// published again at `until` (`tck-id-operational-behavior-data-commands-rebirth-action-1`).
    AwaitingRebirth {
        /// When the births are due.
        until: Timestamp,
    },
    /// [`EdgeNode::shutdown`] was called. [`EdgeNode::connect`] starts over.
    ShutDown,
}

impl EdgeState {
    /// Whether an MQTT session is up (CONNACK received, not yet lost or left).
    fn is_connected(self) -> bool {
        matches!(
            self,
            EdgeState::AwaitingPrimaryHost | EdgeState::Online | EdgeState::AwaitingRebirth { .. }
        )
    }

    /// Whether the birth sequence of this session has been published.
    fn is_born(self) -> bool {
        matches!(self, EdgeState::Online | EdgeState::AwaitingRebirth { .. })
    }
}

/// A device of the node.
#[derive(Debug, Clone)]
struct Device {
    id: DeviceId,
    metrics: MetricSet,
    /// Its last DBIRTH, to read DCMDs.
    table: AliasTable,
}

/// A Sparkplug B edge node: see the [module docs](self).
#[derive(Debug, Clone)]
pub struct EdgeNode {
    config: EdgeNodeConfig,
    state: EdgeState,
    /// The bdSeq of the last CONNECT; `None` before the first one ever.
    last_bd_seq: Option<BdSeq>,
    /// The seq of the next message.
    seq: Seq,
    node: MetricSet,
    /// The template definitions, published in the NBIRTH only; every instance of the node and
    /// its devices refers to one.
    templates: TemplateCatalog,
    /// The last NBIRTH, to read NCMDs.
    node_table: AliasTable,
    devices: Vec<Device>,
    next_alias: u64,
    /// The timestamp of the last Primary Host STATE accepted; kept across sessions.
    last_state_timestamp: Option<u64>,
    last_birth: Option<Timestamp>,
    /// While awaiting the Primary Host: when to give up on this server.
    primary_host_deadline: Option<Timestamp>,
    store: StoreForward,
    transmits: VecDeque<Transmit>,
    events: VecDeque<EdgeEvent>,
}

impl EdgeNode {
    /// An edge node. `last_bd_seq` is the bdSeq of its previous CONNECT, from the caller's
    /// [`BdSeqStore`]; `None` if it never connected, so that the first CONNECT uses 0
    /// (`tck-id-topics-nbirth-bdseq-increment`).
    pub fn new(config: EdgeNodeConfig, last_bd_seq: Option<BdSeq>) -> Self {
        EdgeNode {
            store: StoreForward::new(config.store_forward_capacity),
            config,
            state: EdgeState::Disconnected,
            last_bd_seq,
            seq: Seq::ZERO,
            node: MetricSet::default(),
            templates: TemplateCatalog::new(),
            node_table: AliasTable::new(),
            devices: Vec::new(),
            next_alias: 1,
            last_state_timestamp: None,
            last_birth: None,
            primary_host_deadline: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EdgeNodeConfig {
        &self.config
    }

    /// The observable state.
    pub fn state(&self) -> EdgeState {
        self.state
    }

    /// The bdSeq in force: the one of the last [`EdgeNode::connect`] (0 before any). Persist it
    /// after each `connect()`.
    pub fn bd_seq(&self) -> BdSeq {
        self.last_bd_seq.unwrap_or_default()
    }

    /// Starts a new MQTT session: call right before each CONNECT and put the returned Will in
    /// it. bdSeq goes up by one (255 wraps to 0; the first CONNECT ever uses 0), and the Will
    /// is the NDEATH carrying it, QoS 1, not retained
    /// (`tck-id-message-flow-edge-node-birth-publish-will-message-qos`,
    /// `tck-id-message-flow-edge-node-birth-publish-will-message-will-retained`).
    /// Whatever was still queued from the previous session is dropped.
    pub fn connect(&mut self, now: Timestamp) -> ConnectOptions {
        self.end_session();
        self.transmits.clear();
        let bd_seq = self.last_bd_seq.map_or(BdSeq::new(0), BdSeq::next);
        self.last_bd_seq = Some(bd_seq);
        self.state = EdgeState::AwaitingConnack;
        ConnectOptions {
            client_id: self.config.client_id.clone(),
            will: Will {
                topic: self.node_topic(NodeMessageType::NDeath),
                payload: self.encode(&birth::ndeath(now, bd_seq)).unwrap_or_default(),
                qos: QoS::AtLeastOnce,
                retain: false,
            },
        }
    }

    /// CONNACK received: subscribes to NCMD, DCMD and the Primary Host's STATE, then publishes
    /// the births, or waits for the Primary Host. Ignored unless a CONNECT is pending.
    pub fn handle_connected(&mut self, now: Timestamp) {
        if self.state != EdgeState::AwaitingConnack {
            return;
        }
        let qos = QoS::AtLeastOnce;
        let mut filters = vec![
            Subscription {
                filter: self.node_topic(NodeMessageType::NCmd),
                qos,
            },
            Subscription {
                filter: format!(
                    "{NAMESPACE}/{}/{}/{}/+",
                    self.config.group,
                    DeviceMessageType::DCmd,
                    self.config.node
                ),
                qos,
            },
        ];
        if let Some(host) = &self.config.primary_host {
            filters.push(Subscription {
                filter: Topic::new_state(host.clone()).to_string(),
                qos,
            });
        }
        self.transmits.push_back(Transmit::Subscribe(filters));
        if self.config.primary_host.is_some() {
            self.state = EdgeState::AwaitingPrimaryHost;
            self.primary_host_deadline =
                self.config.primary_host_wait.map(|w| now.saturating_add(w));
        } else {
            self.publish_births(now);
        }
    }

    /// The connection was lost or closed. The broker publishes the Will; the next
    /// [`EdgeNode::connect`] starts a new session.
    pub fn handle_disconnected(&mut self, _now: Timestamp) {
        self.end_session();
    }

    /// A message arrived on `topic`. NCMD and DCMD of this node and the Primary Host's STATE
    /// are acted on; anything else is ignored. Nothing here fails: what cannot be read becomes
    /// an [`EdgeEvent::MalformedMessage`].
    pub fn handle_publish(&mut self, now: Timestamp, topic: &str, payload: &[u8]) {
        let parsed = match Topic::parse(topic) {
            Ok(t) => t,
            Err(e) => return self.malformed(topic, e.into()),
        };
        match parsed {
            Topic::State { host } if Some(&host) == self.config.primary_host.as_ref() => {
                match StateMessage::parse(payload) {
                    Ok(state) => self.handle_state(now, state),
                    Err(e) => self.malformed(topic, e.into()),
                }
            }
            Topic::Node {
                group,
                message_type: NodeMessageType::NCmd,
                node,
            } if self.is_ours(&group, &node) => self.handle_command(now, None, topic, payload),
            Topic::Device {
                group,
                message_type: DeviceMessageType::DCmd,
                node,
                device,
            } if self.is_ours(&group, &node) => {
                self.handle_command(now, Some(device), topic, payload)
            }
            _ => {}
        }
    }

    /// Fires the timer of [`EdgeNode::poll_timeout`]: the end of the rebirth debounce window.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        match self.state {
            EdgeState::AwaitingRebirth { until } if now >= until => self.publish_births(now),
            EdgeState::AwaitingPrimaryHost
                if self.primary_host_deadline.is_some_and(|by| now >= by) =>
            {
                // tck-id-operational-behavior-primary-application-state-with-multiple-servers-walk
                self.leave_for_next_server(now, DisconnectReason::PrimaryHostWaitExpired);
            }
            _ => {}
        }
    }

    /// Leaves this server so that the driver connects to the next one: NDEATH (a clean
    /// disconnect, `tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath`), then
    /// `Transmit::Disconnect(reason)`. The next [`EdgeNode::connect`] takes a new bdSeq.
    fn leave_for_next_server(&mut self, now: Timestamp, reason: DisconnectReason) {
        if !self.state.is_connected() {
            return;
        }
        self.publish_ndeath(now);
        self.transmits.push_back(Transmit::Disconnect(reason));
        self.end_session();
    }

    /// The next thing to send, in order.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<EdgeEvent> {
        self.events.pop_front()
    }

    /// When to call [`EdgeNode::handle_timeout`]; `None` when no timer runs.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        match self.state {
            EdgeState::AwaitingRebirth { until } => Some(until),
            EdgeState::AwaitingPrimaryHost => self.primary_host_deadline,
            _ => None,
        }
    }

    /// Ends the session cleanly: NDEATH (same bdSeq, no seq, QoS 1) then
    /// `Transmit::Disconnect(Shutdown)` (`tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath`,
    /// `tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt311`). With MQTT, wait for
    /// the NDEATH's PUBACK before disconnecting.
    pub fn shutdown(&mut self, now: Timestamp) {
        if self.state.is_connected() {
            self.publish_ndeath(now);
        }
        if self.state.is_connected() || self.state == EdgeState::AwaitingConnack {
            self.transmits
                .push_back(Transmit::Disconnect(DisconnectReason::Shutdown));
        }
        self.end_session();
        self.state = EdgeState::ShutDown;
    }

    /// Leaves the current session, if any.
    fn end_session(&mut self) {
        if self.state.is_connected() {
            self.events.push_back(EdgeEvent::Offline);
        }
        if self.state != EdgeState::ShutDown {
            self.state = EdgeState::Disconnected;
        }
    }

    fn handle_state(&mut self, now: Timestamp, state: StateMessage) {
        // tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp: older than the last
        // STATE seen is stale (a late Will, an old retained message).
        if self
            .last_state_timestamp
            .is_some_and(|last| state.timestamp < last)
        {
            self.events.push_back(EdgeEvent::StalePrimaryHostState {
                online: state.online,
                timestamp: state.timestamp,
            });
            return;
        }
        self.last_state_timestamp = Some(state.timestamp);
        let timestamp = state.timestamp;
        if state.online {
            self.events
                .push_back(EdgeEvent::PrimaryHostOnline { timestamp });
            if self.state == EdgeState::AwaitingPrimaryHost {
                self.publish_births(now);
            }
        } else {
            self.events
                .push_back(EdgeEvent::PrimaryHostOffline { timestamp });
            // tck-id-message-flow-edge-node-birth-publish-phid-offline
            if self.state.is_born() {
                self.publish_ndeath(now);
                self.transmits
                    .push_back(Transmit::Disconnect(DisconnectReason::PrimaryHostOffline));
                self.end_session();
            }
        }
    }

    fn handle_command(
        &mut self,
        now: Timestamp,
        device: Option<DeviceId>,
        topic: &str,
        bytes: &[u8],
    ) {
        let payload = match Payload::decode(bytes) {
            Ok(p) => p,
            Err(e) => return self.malformed(topic, e.into()),
        };
        let table = match &device {
            None => Some(&self.node_table),
            Some(d) => self.device_index(d).map(|i| &self.devices[i].table),
        };
        let commands = match (table, &device) {
            (Some(table), _) => command::read(table, device.as_ref(), payload),
            (None, Some(d)) => command::Commands {
                events: command::unknown_device(d, payload),
                rebirth: false,
            },
            // The node table always exists.
            (None, None) => command::Commands::default(),
        };
        for event in commands.events {
            if let Some(event) = self.node_control(now, event) {
                self.events.push_back(event);
            }
        }
        if commands.rebirth {
            self.request_rebirth(now);
        }
    }

    /// `Node Control/Rebirth`: births now, or when the debounce window ends; never dropped.
    fn request_rebirth(&mut self, now: Timestamp) {
        self.events.push_back(EdgeEvent::RebirthRequested);
        if self.state != EdgeState::Online {
            // Waiting for a CONNACK or the Primary Host: births follow anyway. Already
            // awaiting a rebirth: that one answers this request too.
            return;
        }
        let due = self
            .last_birth
            .map_or(now, |t| t.saturating_add(self.config.rebirth_debounce));
        if now >= due {
            self.publish_births(now);
        } else {
            self.state = EdgeState::AwaitingRebirth { until: due };
        }
    }

    fn is_ours(&self, group: &GroupId, node: &EdgeNodeId) -> bool {
        *group == self.config.group && *node == self.config.node
    }

    fn malformed(&mut self, topic: &str, error: MessageError) {
        self.events.push_back(EdgeEvent::MalformedMessage {
            topic: topic.to_owned(),
            error,
        });
    }
}
