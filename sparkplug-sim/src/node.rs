//! One simulated edge node: its `EdgeNode` state machine, where its values come from, its
//! connection as the simulator sees it, and the faults acting on it.

use sparkplug_b::Quality::Bad;
use sparkplug_b::Value;
use sparkplug_b::session::{EdgeEvent, EdgeNode, Timestamp, Transmit};
use sparkplug_b::topic::DeviceId;

use crate::config::{FaultKind, MqttOverride};
use crate::faults::{self, Kind, MessageFaults, Mutation};
use crate::generic::GenericSource;
use crate::plant::{Applied, PlantSource};
use crate::scenario::{Action, SimEvent};
use crate::stats::Counters;
use crate::values;

/// Where a node's values come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Plant(Box<PlantSource>),
    Generic(GenericSource),
}

/// The connection, as the simulator drives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    /// Not connected; connect at `reconnect_at` (simulated ms).
    Down { reconnect_at: u64 },
    /// CONNECT asked for, waiting for `handle_connected`.
    Connecting,
    /// Connected.
    Up,
    /// Shut down for good.
    Closed,
}

#[derive(Debug, Clone)]
pub(crate) struct SimNode {
    pub(crate) index: usize,
    pub(crate) edge: EdgeNode,
    pub(crate) group: String,
    pub(crate) node: String,
    pub(crate) devices: Vec<DeviceId>,
    pub(crate) source: Source,
    pub(crate) link: Link,
    /// Shared by every node of its entry.
    pub(crate) mqtt: Option<std::sync::Arc<MqttOverride>>,
    faults: MessageFaults,
    skew_ms: i64,
    skew_until: Option<u64>,
    flaps_left: u32,
    flap_interval_ms: u64,
    next_flap: Option<u64>,
    reconnect_delay_ms: u64,
    /// A failed sensor: its metric (`Device/Metric`, or `None` for the first device metric)
    /// is published BAD until the simulated ms given.
    failed: Option<(Option<String>, u64)>,
    /// Simulated ms the generators count from.
    start_ms: u64,
    /// The wake-up time queued in the scenario's timer heap, to drop stale entries.
    pub(crate) queued: Option<u64>,
}

/// Where the node's outputs go.
pub(crate) struct Out<'a> {
    pub(crate) actions: &'a mut std::collections::VecDeque<Action>,
    pub(crate) events: &'a mut std::collections::VecDeque<SimEvent>,
    pub(crate) counters: &'a mut Counters,
}

impl SimNode {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        index: usize,
        edge: EdgeNode,
        group: String,
        node: String,
        devices: Vec<DeviceId>,
        source: Source,
        mqtt: Option<std::sync::Arc<MqttOverride>>,
        reconnect_delay_ms: u64,
        start_ms: u64,
    ) -> Self {
        SimNode {
            index,
            edge,
            group,
            node,
            devices,
            source,
            link: Link::Down {
                reconnect_at: start_ms,
            },
            mqtt,
            faults: MessageFaults::default(),
            skew_ms: 0,
            skew_until: None,
            flaps_left: 0,
            flap_interval_ms: 0,
            next_flap: None,
            reconnect_delay_ms,
            failed: None,
            start_ms,
            queued: None,
        }
    }

    /// The time the node puts in its messages: the simulated clock plus any skew.
    fn stamp(&self, now: u64) -> Timestamp {
        Timestamp::from_millis(now.saturating_add_signed(self.skew_ms))
    }

    /// When the node next needs [`SimNode::wake`].
    pub(crate) fn next_wake(&self) -> Option<u64> {
        let sample = match &self.source {
            Source::Plant(p) => p.next_due,
            Source::Generic(g) => g.next_due,
        };
        let mut t = (self.link != Link::Closed).then_some(sample);
        let mut min = |x: Option<u64>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |t: u64| t.min(x)));
            }
        };
        if let Link::Down { reconnect_at } = self.link {
            min(Some(reconnect_at));
        }
        min(self.next_flap);
        min(self.skew_until);
        min(self
            .edge
            .poll_timeout()
            .map(|t| t.as_millis().saturating_add_signed(-self.skew_ms)));
        t
    }

    /// Does everything due at `now` (simulated ms).
    pub(crate) fn wake(&mut self, now: u64, out: &mut Out<'_>) {
        if self.link == Link::Closed {
            return;
        }
        if self.skew_until.is_some_and(|t| t <= now) {
            self.skew_until = None;
            self.skew_ms = 0;
        }
        if self.next_flap.is_some_and(|t| t <= now) {
            self.flaps_left = self.flaps_left.saturating_sub(1);
            self.next_flap = (self.flaps_left > 0).then_some(now + self.flap_interval_ms);
            self.drop_connection(now, self.reconnect_delay_ms, out);
        }
        if let Link::Down { reconnect_at } = self.link {
            if reconnect_at <= now {
                let options = self.edge.connect(self.stamp(now));
                self.link = Link::Connecting;
                out.actions.push_back(Action::Connect {
                    node: self.index,
                    options,
                });
            }
        }
        let stamp = self.stamp(now);
        if self.edge.poll_timeout().is_some_and(|t| t <= stamp) {
            self.edge.handle_timeout(stamp);
        }
        self.sample(now, out);
        self.pump(now, out);
    }

    /// Samples what is due and reports it.
    fn sample(&mut self, now: u64, out: &mut Out<'_>) {
        let stamp = self.stamp(now);
        let mut sampled = 0u64;
        let mut failed = FailedSensor::new(self.failed.as_ref(), now);
        match &mut self.source {
            Source::Plant(p) => {
                if p.next_due > now {
                    return;
                }
                p.step_to(now);
                for (target, value) in p.targets.iter().zip(p.values()) {
                    let device = target.device.and_then(|d| self.devices.get(d));
                    if failed.hits(device, &target.name) {
                        let _ = self
                            .edge
                            .set_metric_quality(stamp, device, &target.name, Bad);
                        continue;
                    }
                    if self
                        .edge
                        .set_metric(stamp, device, &target.name, value)
                        .is_ok()
                    {
                        sampled += 1;
                    }
                }
                while p.next_due <= now {
                    p.next_due += p.period_ms;
                }
            }
            Source::Generic(g) => {
                if g.next_due > now {
                    return;
                }
                let start = self.start_ms;
                for slot in g.slots.iter_mut().filter(|s| s.next_due <= now) {
                    let value = slot.sample(now, start, stamp.as_millis());
                    let device = slot.device.and_then(|d| self.devices.get(d));
                    if failed.hits(device, &slot.name) {
                        let _ = self.edge.set_metric_quality(stamp, device, &slot.name, Bad);
                        slot.next_due += slot.period_ms;
                        continue;
                    }
                    if self
                        .edge
                        .set_metric(stamp, device, &slot.name, value)
                        .is_ok()
                    {
                        sampled += 1;
                    }
                    slot.next_due += slot.period_ms;
                    if slot.next_due <= now {
                        // Behind by more than a period: skip the missed samples.
                        out.counters.missed_samples += 1;
                        slot.next_due = now + slot.period_ms;
                    }
                }
                g.refresh_due();
            }
        }
        out.counters.samples += sampled;
        self.edge.flush(stamp);
    }

    /// A fault hits this node at `now`.
    pub(crate) fn inject(&mut self, now: u64, kind: &FaultKind, out: &mut Out<'_>) {
        out.counters.faults += 1;
        out.events.push_back(SimEvent::FaultInjected {
            node: self.index,
            kind: kind.name(),
        });
        match kind {
            FaultKind::DropConnection => self.drop_connection(now, self.reconnect_delay_ms, out),
            FaultKind::SkipSeq => self.faults.push(Mutation::Skip),
            FaultKind::RepeatSeq => self.faults.push(Mutation::Repeat),
            FaultKind::Reorder => self.faults.push(Mutation::Reorder),
            FaultKind::MalformedPayload => self.faults.push(Mutation::Malformed),
            FaultKind::UnknownAlias => self.faults.push(Mutation::UnknownAlias),
            FaultKind::DataBeforeBirth => {
                self.drop_connection(now, self.reconnect_delay_ms, out);
                self.faults.hold_births = true;
            }
            FaultKind::ClockSkew {
                skew_ms,
                duration_s,
            } => {
                self.skew_ms = *skew_ms;
                self.skew_until = duration_s.map(|d| now + (d * 1000.0) as u64);
            }
            FaultKind::Flapping { cycles, interval_s } => {
                self.flaps_left = *cycles;
                self.flap_interval_ms = ((interval_s * 1000.0) as u64).max(1);
                self.next_flap = Some(now);
            }
            FaultKind::StoreForwardBurst { duration_s } => {
                self.drop_connection(now, (duration_s * 1000.0) as u64, out);
            }
            FaultKind::FailedSensor { metric, duration_s } => {
                self.failed = Some((metric.clone(), now + (duration_s * 1000.0) as u64));
            }
        }
        self.pump(now, out);
    }

    /// Closes the connection without NDEATH; reconnects `after` ms later.
    fn drop_connection(&mut self, now: u64, after: u64, out: &mut Out<'_>) {
        if matches!(self.link, Link::Up | Link::Connecting) {
            out.actions.push_back(Action::Drop { node: self.index });
        }
        if self.link != Link::Closed {
            self.edge.handle_disconnected(self.stamp(now));
            self.faults.end_session();
            let reconnect_at = match self.link {
                // Already down: keep the later of the two.
                Link::Down { reconnect_at } => reconnect_at.max(now + after),
                _ => now + after,
            };
            self.link = Link::Down { reconnect_at };
        }
    }

    /// The transport connected.
    pub(crate) fn handle_connected(&mut self, now: u64, out: &mut Out<'_>) {
        if self.link == Link::Connecting {
            self.link = Link::Up;
            self.edge.handle_connected(self.stamp(now));
            self.pump(now, out);
        }
    }

    /// The transport lost the connection (or could not make it).
    pub(crate) fn handle_connection_lost(&mut self, now: u64, out: &mut Out<'_>) {
        if matches!(self.link, Link::Up | Link::Connecting) {
            self.edge.handle_disconnected(self.stamp(now));
            self.faults.end_session();
            self.link = Link::Down {
                reconnect_at: now + self.reconnect_delay_ms,
            };
            self.pump(now, out);
        }
    }

    /// A message arrived for this node.
    pub(crate) fn handle_publish(
        &mut self,
        now: u64,
        topic: &str,
        payload: &[u8],
        out: &mut Out<'_>,
    ) {
        if self.link == Link::Up {
            self.edge.handle_publish(self.stamp(now), topic, payload);
            self.pump(now, out);
        }
    }

    /// Publishes NDEATH and leaves.
    pub(crate) fn shutdown(&mut self, now: u64, out: &mut Out<'_>) {
        self.edge.shutdown(self.stamp(now));
        self.pump(now, out);
        self.link = Link::Closed;
    }

    /// Handles the edge node's events and moves its transmits through the faults.
    fn pump(&mut self, now: u64, out: &mut Out<'_>) {
        let mut commands = false;
        while let Some(event) = self.edge.poll_event() {
            match event {
                EdgeEvent::Online => out
                    .events
                    .push_back(SimEvent::NodeOnline { node: self.index }),
                EdgeEvent::Offline => {
                    out.events
                        .push_back(SimEvent::NodeOffline { node: self.index });
                }
                EdgeEvent::RebirthRequested => {
                    out.events
                        .push_back(SimEvent::RebirthRequested { node: self.index });
                }
                EdgeEvent::Command {
                    device,
                    name,
                    value,
                } => {
                    commands = true;
                    self.command(now, device, name, value, out);
                }
                EdgeEvent::CommandRejected { device, name, .. } => {
                    out.counters.commands_rejected += 1;
                    out.events.push_back(SimEvent::CommandRejected {
                        node: self.index,
                        device: device.map(|d| d.as_str().to_owned()),
                        name: name.unwrap_or_default(),
                    });
                }
                _ => {}
            }
        }
        if commands {
            self.edge.flush(self.stamp(now));
        }
        let mut wire = Vec::new();
        while let Some(t) = self.edge.poll_transmit() {
            match t {
                Transmit::Publish(p) => self.faults.filter(p, &mut wire),
                Transmit::Subscribe(subscriptions) => {
                    self.emit(&mut wire, out);
                    out.actions.push_back(Action::Subscribe {
                        node: self.index,
                        subscriptions,
                    });
                }
                Transmit::Disconnect(_) => {
                    self.emit(&mut wire, out);
                    out.actions
                        .push_back(Action::Disconnect { node: self.index });
                    if self.link != Link::Closed {
                        self.link = Link::Down {
                            reconnect_at: now + self.reconnect_delay_ms,
                        };
                    }
                }
                _ => {}
            }
        }
        self.emit(&mut wire, out);
    }

    fn emit(&mut self, wire: &mut Vec<crate::Publish>, out: &mut Out<'_>) {
        for publish in wire.drain(..) {
            out.counters.messages += 1;
            out.counters.bytes += publish.payload.len() as u64;
            match faults::kind(&publish.topic) {
                Kind::Data => out.counters.metrics += faults::metric_count(&publish.payload) as u64,
                Kind::Birth => out.counters.births += 1,
                Kind::Other => {}
            }
            out.actions.push_back(Action::Publish {
                node: self.index,
                publish,
            });
        }
    }

    /// A command for one of this node's metrics.
    fn command(
        &mut self,
        now: u64,
        device: Option<DeviceId>,
        name: String,
        value: Value,
        out: &mut Out<'_>,
    ) {
        let stamp = self.stamp(now);
        let device_index = device
            .as_ref()
            .and_then(|d| self.devices.iter().position(|x| x == d));
        let applied = match &mut self.source {
            Source::Plant(p) => {
                let applied = p.command(device.as_ref().map(DeviceId::as_str), &name, &value);
                if applied == Applied::Done {
                    // Report the new state at once: the setpoint and what it moved.
                    for (target, v) in p.targets.iter().zip(p.values()) {
                        let d = target.device.and_then(|d| self.devices.get(d));
                        let _ = self.edge.set_metric(stamp, d, &target.name, v);
                    }
                }
                applied
            }
            Source::Generic(g) => match g.writable_slot(device_index, &name) {
                Some(slot) => match values::to_number(&value) {
                    Some(x) => {
                        slot.generator.overwrite(x);
                        let dev = device.as_ref();
                        match self.edge.set_metric(stamp, dev, &name, value.clone()) {
                            Ok(()) => Applied::Done,
                            Err(_) => Applied::BadValue,
                        }
                    }
                    None => Applied::BadValue,
                },
                None => Applied::NotWritable,
            },
        };
        let device = device.map(|d| d.as_str().to_owned());
        if applied == Applied::Done {
            out.counters.commands_applied += 1;
            out.events.push_back(SimEvent::CommandApplied {
                node: self.index,
                device,
                name,
                value,
            });
        } else {
            out.counters.commands_rejected += 1;
            out.events.push_back(SimEvent::CommandRejected {
                node: self.index,
                device,
                name,
            });
        }
    }
}

/// Which metric a failed sensor fault hits while it lasts.
struct FailedSensor<'a> {
    /// `Some(None)`: the first device metric sampled; `Some(Some(m))`: the metric `m`
    /// (`Device/Metric`, or a node metric's name).
    target: Option<Option<&'a str>>,
    /// Whether the first device metric was hit in this sampling.
    taken: bool,
}

impl<'a> FailedSensor<'a> {
    fn new(failed: Option<&'a (Option<String>, u64)>, now: u64) -> Self {
        FailedSensor {
            target: failed
                .filter(|(_, until)| now < *until)
                .map(|(m, _)| m.as_deref()),
            taken: false,
        }
    }

    /// Whether the metric `name` of `device` (None: the node) is the failed one.
    fn hits(&mut self, device: Option<&DeviceId>, name: &str) -> bool {
        match (self.target, device) {
            (None, _) => false,
            (Some(None), Some(_)) if !self.taken => {
                self.taken = true;
                true
            }
            (Some(None), _) => false,
            (Some(Some(m)), Some(d)) => {
                m.strip_prefix(d.as_str()).and_then(|r| r.strip_prefix('/')) == Some(name)
            }
            (Some(Some(m)), None) => m == name,
        }
    }
}
