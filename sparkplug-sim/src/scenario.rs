//! The deterministic core: every simulated node, driven by a simulated clock.
//!
//! ```text
//!   caller (IO loop or Loopback)            Scenario
//!   advance(now) ────────────────────────► wakes what is due: connects, faults, samples
//!   handle_connected(node, now) ─────────► births (or waits for the Primary Host)
//!   handle_publish(node, now, t, bytes) ─► NCMD / DCMD / STATE → commands, rebirths
//!   handle_connection_lost(node, now) ───► store and forward, reconnect later
//!   poll_action() ◄────────────────────── Connect | Subscribe | Publish | Disconnect | Drop
//!   poll_event() ◄─────────────────────── SimEvent
//!   next_wake() ◄──────────────────────── when to call advance next
//! ```
//!
//! Nothing here reads a clock, draws unseeded randomness or does IO: the same configuration,
//! seed and inputs give the same actions, byte for byte.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use sparkplug_b::Value;
use sparkplug_b::session::{ConnectOptions, Publish, Subscription, Timestamp};

use crate::config::{FaultKind, MqttOverride};
use crate::node::{Link, Out, SimNode, Source};
use crate::rng::Rng;
use crate::stats::Counters;

/// Something the transport must do for a node.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Open a new MQTT connection (clean session) with this client id and Will; report the
    /// CONNACK with [`Scenario::handle_connected`] or the failure with
    /// [`Scenario::handle_connection_lost`].
    Connect {
        /// The node index.
        node: usize,
        /// Client id and Will.
        options: ConnectOptions,
    },
    /// Subscribe.
    Subscribe {
        /// The node index.
        node: usize,
        /// The filters.
        subscriptions: Vec<Subscription>,
    },
    /// Publish.
    Publish {
        /// The node index.
        node: usize,
        /// Topic, payload, QoS and retain.
        publish: Publish,
    },
    /// Close cleanly after what was published before: the node published its NDEATH.
    Disconnect {
        /// The node index.
        node: usize,
    },
    /// Close the connection abruptly, without DISCONNECT: the broker publishes the Will.
    Drop {
        /// The node index.
        node: usize,
    },
}

impl Action {
    /// The node the action is for.
    pub fn node(&self) -> usize {
        match self {
            Action::Connect { node, .. }
            | Action::Subscribe { node, .. }
            | Action::Publish { node, .. }
            | Action::Disconnect { node }
            | Action::Drop { node } => *node,
        }
    }
}

/// What happened in the simulation, for the application.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SimEvent {
    /// The node published its births.
    NodeOnline {
        /// The node index.
        node: usize,
    },
    /// The node's session ended.
    NodeOffline {
        /// The node index.
        node: usize,
    },
    /// A host asked the node for a rebirth.
    RebirthRequested {
        /// The node index.
        node: usize,
    },
    /// A command changed a setpoint or a writable metric.
    CommandApplied {
        /// The node index.
        node: usize,
        /// The device, `None` for a node metric.
        device: Option<String>,
        /// The metric.
        name: String,
        /// The value written.
        value: Value,
    },
    /// A command was refused: unknown or read-only metric, or a bad value.
    CommandRejected {
        /// The node index.
        node: usize,
        /// The device, `None` for a node metric.
        device: Option<String>,
        /// The metric, empty when the command gave none.
        name: String,
    },
    /// A fault was injected.
    FaultInjected {
        /// The node index.
        node: usize,
        /// The fault's `kind` in the scenario file.
        kind: &'static str,
    },
}

/// A fault due at a time, for one node or all.
#[derive(Debug, Clone)]
pub(crate) struct Scheduled {
    pub(crate) at: u64,
    pub(crate) node: Option<usize>,
    pub(crate) kind: FaultKind,
}

/// Random faults: per node, the time of the next one.
#[derive(Debug, Clone)]
pub(crate) struct RandomFaults {
    pub(crate) mean_gap_ms: f64,
    pub(crate) kinds: Vec<FaultKind>,
    /// (due time, node), earliest first.
    pub(crate) next: BinaryHeap<Reverse<(u64, usize)>>,
    pub(crate) rng: Rng,
}

/// The simulated nodes and their clock: the deterministic core.
///
/// ```text
///   caller (IO loop or Loopback)            Scenario
///   advance(now) ────────────────────────► wakes what is due: connects, faults, samples
///   handle_connected(node, now) ─────────► births (or waits for the Primary Host)
///   handle_publish(node, now, t, bytes) ─► NCMD / DCMD / STATE → commands, rebirths
///   handle_connection_lost(node, now) ───► store and forward, reconnect later
///   poll_action() ◄────────────────────── Connect | Subscribe | Publish | Disconnect | Drop
///   poll_event() ◄─────────────────────── SimEvent
///   next_wake() ◄──────────────────────── when to call advance next
/// ```
///
/// Nothing here reads a clock, draws unseeded randomness or does IO: the same configuration,
/// seed and inputs give the same actions, byte for byte.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub(crate) nodes: Vec<SimNode>,
    pub(crate) by_id: HashMap<(String, String), usize>,
    pub(crate) start_ms: u64,
    pub(crate) now_ms: u64,
    timers: BinaryHeap<Reverse<(u64, usize)>>,
    /// Scheduled faults, latest first (popped from the end).
    pub(crate) faults: Vec<Scheduled>,
    pub(crate) random: Option<RandomFaults>,
    actions: VecDeque<Action>,
    events: VecDeque<SimEvent>,
    counters: Counters,
    metric_count: usize,
}

impl Scenario {
    pub(crate) fn assemble(
        nodes: Vec<SimNode>,
        start_ms: u64,
        mut faults: Vec<Scheduled>,
        random: Option<RandomFaults>,
        metric_count: usize,
    ) -> Self {
        faults.sort_by_key(|f| Reverse(f.at));
        let by_id = nodes
            .iter()
            .map(|n| ((n.group.clone(), n.node.clone()), n.index))
            .collect();
        let mut s = Scenario {
            nodes,
            by_id,
            start_ms,
            now_ms: start_ms,
            timers: BinaryHeap::new(),
            faults,
            random,
            actions: VecDeque::new(),
            events: VecDeque::new(),
            counters: Counters::default(),
            metric_count,
        };
        for i in 0..s.nodes.len() {
            s.schedule(i);
        }
        s
    }

    /// How many edge nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// How many metrics all nodes and devices declare (without `bdSeq` and `Node Control`).
    pub fn metric_count(&self) -> usize {
        self.metric_count
    }

    /// Metric values per second the configuration schedules (generic metrics at their
    /// periods, plant metrics at their plants' periods).
    pub fn scheduled_rate(&self) -> f64 {
        self.nodes
            .iter()
            .map(|n| match &n.source {
                Source::Plant(p) => p.targets.len() as f64 * 1000.0 / p.period_ms as f64,
                Source::Generic(g) => g.slots.iter().map(|s| 1000.0 / s.period_ms as f64).sum(),
            })
            .sum()
    }

    /// The group and edge node id of node `index`.
    pub fn node_id(&self, index: usize) -> Option<(&str, &str)> {
        self.nodes
            .get(index)
            .map(|n| (n.group.as_str(), n.node.as_str()))
    }

    /// The index of the node with these ids.
    pub fn node_index(&self, group: &str, node: &str) -> Option<usize> {
        self.by_id
            .get(&(group.to_owned(), node.to_owned()))
            .copied()
    }

    /// The broker settings a node's entry gave, if any.
    pub fn node_mqtt(&self, index: usize) -> Option<&MqttOverride> {
        self.nodes.get(index)?.mqtt.as_deref()
    }

    /// The plant model of node `index`, if it is an ice plant.
    pub fn plant(&self, index: usize) -> Option<&plant_model::Plant> {
        match &self.nodes.get(index)?.source {
            Source::Plant(p) => Some(&p.plant),
            Source::Generic(_) => None,
        }
    }

    /// The plant model of node `index` to act on (faults of the plant itself: fouling,
    /// leaks, trips), if it is an ice plant.
    pub fn plant_mut(&mut self, index: usize) -> Option<&mut plant_model::Plant> {
        match &mut self.nodes.get_mut(index)?.source {
            Source::Plant(p) => Some(&mut p.plant),
            Source::Generic(_) => None,
        }
    }

    /// The metrics node `index` samples, as (device, name); `None` is a node metric.
    pub fn metric_names(&self, index: usize) -> Vec<(Option<&str>, &str)> {
        let Some(n) = self.nodes.get(index) else {
            return Vec::new();
        };
        let device = |d: Option<usize>| d.and_then(|d| n.devices.get(d)).map(|d| d.as_str());
        match &n.source {
            Source::Plant(p) => p
                .targets
                .iter()
                .map(|t| (device(t.device), t.name.as_str()))
                .collect(),
            Source::Generic(g) => g
                .slots
                .iter()
                .map(|s| (device(s.device), s.name.as_str()))
                .collect(),
        }
    }

    /// The current value of a metric of node `index` (`device` `None` for a node metric).
    pub fn metric_value(&self, index: usize, device: Option<&str>, name: &str) -> Option<&Value> {
        let n = self.nodes.get(index)?;
        let d = match device {
            Some(d) => Some(n.devices.iter().find(|x| x.as_str() == d)?),
            None => None,
        };
        n.edge.metric_value(d, name)
    }

    /// Whether node `index` is connected and has published its births.
    pub fn is_online(&self, index: usize) -> bool {
        self.nodes.get(index).is_some_and(|n| {
            n.link == Link::Up
                && matches!(
                    n.edge.state(),
                    sparkplug_b::session::EdgeState::Online
                        | sparkplug_b::session::EdgeState::AwaitingRebirth { .. }
                )
        })
    }

    /// How many nodes are connected and born.
    pub fn online_count(&self) -> usize {
        (0..self.nodes.len()).filter(|&i| self.is_online(i)).count()
    }

    /// The counters so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The simulated time of the last [`Scenario::advance`] (the start before any).
    pub fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.now_ms)
    }

    /// When the simulated clock started.
    pub fn start(&self) -> Timestamp {
        Timestamp::from_millis(self.start_ms)
    }

    /// When something is next due: call [`Scenario::advance`] then.
    pub fn next_wake(&self) -> Option<Timestamp> {
        let timers = self.timers.peek().map(|Reverse((t, _))| *t);
        let fault = self.faults.last().map(|f| f.at);
        let random = self
            .random
            .as_ref()
            .and_then(|r| r.next.peek().map(|Reverse((t, _))| *t));
        [timers, fault, random]
            .into_iter()
            .flatten()
            .min()
            .map(Timestamp::from_millis)
    }

    /// Runs everything due up to `now`, in time order; the simulated clock never goes back.
    pub fn advance(&mut self, now: Timestamp) {
        let now = now.as_millis().max(self.now_ms);
        while let Some(due) = self.next_wake().map(Timestamp::as_millis) {
            if due > now {
                break;
            }
            self.now_ms = due;
            if self.faults.last().is_some_and(|f| f.at <= due) {
                if let Some(f) = self.faults.pop() {
                    self.fire(f.node, &f.kind, due);
                }
                continue;
            }
            if let Some(r) = self.random.as_mut() {
                if let Some(Reverse((t, i))) = r.next.peek().copied() {
                    if t <= due {
                        r.next.pop();
                        let kind = r.kinds.get(r.rng.below(r.kinds.len())).cloned();
                        let next = due + r.rng.exponential(r.mean_gap_ms).max(1.0) as u64;
                        r.next.push(Reverse((next, i)));
                        if let Some(kind) = kind {
                            self.fire(Some(i), &kind, due);
                        }
                        continue;
                    }
                }
            }
            if let Some(Reverse((t, i))) = self.timers.pop() {
                let Some(node) = self.nodes.get_mut(i) else {
                    continue;
                };
                if node.queued != Some(t) {
                    continue;
                }
                node.queued = None;
                let mut out = Out {
                    actions: &mut self.actions,
                    events: &mut self.events,
                    counters: &mut self.counters,
                };
                node.wake(due, &mut out);
                self.schedule(i);
            }
        }
        self.now_ms = now;
    }

    fn fire(&mut self, node: Option<usize>, kind: &FaultKind, now: u64) {
        let range = match node {
            Some(i) => i..i + 1,
            None => 0..self.nodes.len(),
        };
        for i in range {
            self.with_node(i, |n, out| n.inject(now, kind, out));
        }
    }

    /// Runs `f` on node `i` with the outputs, then reschedules it.
    fn with_node(&mut self, i: usize, f: impl FnOnce(&mut SimNode, &mut Out<'_>)) {
        if let Some(node) = self.nodes.get_mut(i) {
            let mut out = Out {
                actions: &mut self.actions,
                events: &mut self.events,
                counters: &mut self.counters,
            };
            f(node, &mut out);
            self.schedule(i);
        }
    }

    /// Queues node `i`'s next wake-up if it is earlier than the one queued.
    fn schedule(&mut self, i: usize) {
        let Some(node) = self.nodes.get_mut(i) else {
            return;
        };
        if let Some(t) = node.next_wake() {
            if node.queued.is_none_or(|q| t < q) {
                node.queued = Some(t);
                self.timers.push(Reverse((t, i)));
            }
        }
    }

    /// The transport connected node `node` (CONNACK).
    pub fn handle_connected(&mut self, node: usize, now: Timestamp) {
        let now = self.input_time(now);
        self.with_node(node, |n, out| n.handle_connected(now, out));
    }

    /// Node `node`'s connection failed or broke.
    pub fn handle_connection_lost(&mut self, node: usize, now: Timestamp) {
        let now = self.input_time(now);
        self.with_node(node, |n, out| n.handle_connection_lost(now, out));
    }

    /// A message arrived on node `node`'s connection.
    pub fn handle_publish(&mut self, node: usize, now: Timestamp, topic: &str, payload: &[u8]) {
        let now = self.input_time(now);
        self.with_node(node, |n, out| n.handle_publish(now, topic, payload, out));
    }

    /// Injects a fault now, as a scheduled one would be.
    pub fn inject(&mut self, node: Option<usize>, kind: &FaultKind, now: Timestamp) {
        let now = self.input_time(now);
        self.fire(node, kind, now);
    }

    /// Every node publishes its NDEATH and disconnects; nothing more is scheduled.
    pub fn shutdown(&mut self, now: Timestamp) {
        let now = self.input_time(now);
        for i in 0..self.nodes.len() {
            self.with_node(i, |n, out| n.shutdown(now, out));
        }
        self.faults.clear();
        self.random = None;
    }

    fn input_time(&mut self, now: Timestamp) -> u64 {
        self.now_ms = self.now_ms.max(now.as_millis());
        self.now_ms
    }

    /// The next thing the transport must do, in order.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<SimEvent> {
        self.events.pop_front()
    }
}
