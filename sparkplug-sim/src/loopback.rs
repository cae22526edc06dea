//! The simulator joined to a Sparkplug host application in memory: no broker, no sockets, a
//! simulated clock. For tests, and for anyone who wants a plant's data without MQTT.
//!
//! The in-memory broker delivers every message at once and in order, keeps retained
//! messages, publishes a node's Will when its connection is dropped (and not when it
//! disconnects cleanly), and routes commands by the nodes' subscriptions.

use std::collections::HashMap;
use std::time::Duration;

use sparkplug_b::Value;
use sparkplug_b::session::host::{CommandError, HostApplication, HostConfig, HostEvent};
use sparkplug_b::session::{Publish, Subscription, Timestamp, Transmit, Will};
use sparkplug_b::topic::{DeviceId, EdgeNodeId, GroupId, HostId};

use crate::scenario::{Action, Scenario, SimEvent};

/// A node's session on the in-memory broker.
#[derive(Debug, Default)]
struct Session {
    will: Option<Will>,
    filters: Vec<Subscription>,
}

/// [`Scenario`] + [`HostApplication`] over an in-memory broker, on the simulated clock.
///
/// The broker delivers every message at once and in order, keeps retained messages,
/// publishes a node's Will when its connection is dropped (and not when it disconnects
/// cleanly), and routes commands by the nodes' subscriptions.
#[derive(Debug)]
pub struct Loopback {
    scenario: Scenario,
    host: HostApplication,
    sessions: HashMap<usize, Session>,
    retained: HashMap<String, Vec<u8>>,
    published: Vec<(Timestamp, Publish)>,
    host_events: Vec<(Timestamp, HostEvent)>,
    sim_events: Vec<SimEvent>,
}

impl Loopback {
    /// The scenario with a host application `SimHost` (default host settings), connected at
    /// the scenario's start.
    pub fn new(scenario: Scenario) -> Self {
        // "SimHost" is a valid host id; the fallback is unreachable but keeps this total.
        let id = HostId::new("SimHost").unwrap_or_else(|_| unreachable!("valid host id"));
        Self::with_host(scenario, HostConfig::new(id))
    }

    /// The scenario with a host application of this configuration.
    pub fn with_host(scenario: Scenario, config: HostConfig) -> Self {
        let mut host = HostApplication::new(config);
        let t0 = scenario.start();
        host.connect(t0);
        host.handle_connected(t0);
        let mut lb = Loopback {
            scenario,
            host,
            sessions: HashMap::new(),
            retained: HashMap::new(),
            published: Vec::new(),
            host_events: Vec::new(),
            sim_events: Vec::new(),
        };
        lb.pump(t0);
        lb
    }

    /// Runs the simulated clock up to `until`, delivering everything on the way.
    pub fn run_until(&mut self, until: Timestamp) {
        loop {
            let next = [self.scenario.next_wake(), self.host.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next.filter(|t| *t <= until) else {
                break;
            };
            let now = next.max(self.scenario.now());
            self.scenario.advance(now);
            if self.host.poll_timeout().is_some_and(|t| t <= now) {
                self.host.handle_timeout(now);
            }
            self.pump(now);
        }
        self.scenario.advance(until);
        self.pump(until);
    }

    /// Runs the simulated clock `d` further.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.scenario.now().saturating_add(d);
        self.run_until(until);
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The scenario, to act on (inject a fault, reach a plant).
    pub fn scenario_mut(&mut self) -> &mut Scenario {
        &mut self.scenario
    }

    /// What the host application knows.
    pub fn host(&self) -> HostView<'_> {
        HostView(&self.host)
    }

    /// Every message the nodes (and the broker, for their Wills) published, in order, with
    /// the simulated time.
    pub fn published(&self) -> &[(Timestamp, Publish)] {
        &self.published
    }

    /// The host's events so far, taken.
    pub fn take_host_events(&mut self) -> Vec<(Timestamp, HostEvent)> {
        std::mem::take(&mut self.host_events)
    }

    /// The simulator's events so far, taken.
    pub fn take_sim_events(&mut self) -> Vec<SimEvent> {
        std::mem::take(&mut self.sim_events)
    }

    /// Injects a fault now.
    pub fn inject(&mut self, node: Option<usize>, kind: &crate::config::FaultKind) {
        let now = self.scenario.now();
        self.scenario.inject(node, kind, now);
        self.pump(now);
    }

    /// The host writes a metric (NCMD, or DCMD with a device), delivered at once.
    pub fn write_metric(
        &mut self,
        group: &str,
        node: &str,
        device: Option<&str>,
        name: &str,
        value: impl Into<Value>,
    ) -> Result<(), CommandError> {
        let now = self.scenario.now();
        let (g, n, d) = ids(group, node, device).ok_or(CommandError::NotConnected)?;
        self.host
            .write_metric(now, &g, &n, d.as_ref(), name, value)?;
        self.pump(now);
        Ok(())
    }

    /// The host asks a node for a rebirth, delivered at once.
    pub fn request_rebirth(&mut self, group: &str, node: &str) -> Result<(), CommandError> {
        let now = self.scenario.now();
        let (g, n, _) = ids(group, node, None).ok_or(CommandError::NotConnected)?;
        self.host.request_rebirth(now, &g, &n)?;
        self.pump(now);
        Ok(())
    }

    /// Delivers until nothing moves.
    fn pump(&mut self, now: Timestamp) {
        loop {
            let mut moved = false;
            while let Some(action) = self.scenario.poll_action() {
                moved = true;
                self.node_action(now, action);
            }
            while let Some(t) = self.host.poll_transmit() {
                moved = true;
                if let Transmit::Publish(p) = t {
                    self.route_to_nodes(now, &p.topic, &p.payload, p.retain);
                }
            }
            while let Some(e) = self.host.poll_event() {
                self.host_events.push((now, e));
            }
            while let Some(e) = self.scenario.poll_event() {
                self.sim_events.push(e);
            }
            if !moved {
                break;
            }
        }
    }

    fn node_action(&mut self, now: Timestamp, action: Action) {
        match action {
            Action::Connect { node, options } => {
                self.sessions.insert(
                    node,
                    Session {
                        will: Some(options.will),
                        filters: Vec::new(),
                    },
                );
                self.scenario.handle_connected(node, now);
            }
            Action::Subscribe {
                node,
                subscriptions,
            } => {
                let retained: Vec<(String, Vec<u8>)> = self
                    .retained
                    .iter()
                    .filter(|(t, _)| subscriptions.iter().any(|s| matches(&s.filter, t)))
                    .map(|(t, p)| (t.clone(), p.clone()))
                    .collect();
                if let Some(s) = self.sessions.get_mut(&node) {
                    s.filters.extend(subscriptions);
                }
                for (topic, payload) in retained {
                    self.scenario.handle_publish(node, now, &topic, &payload);
                }
            }
            Action::Publish { node, publish } => {
                if self.sessions.contains_key(&node) {
                    self.host
                        .handle_publish(now, &publish.topic, &publish.payload);
                    self.published.push((now, publish));
                }
            }
            Action::Disconnect { node } => {
                self.sessions.remove(&node);
            }
            Action::Drop { node } => {
                if let Some(will) = self.sessions.remove(&node).and_then(|s| s.will) {
                    self.host.handle_publish(now, &will.topic, &will.payload);
                    self.published.push((
                        now,
                        Publish {
                            topic: will.topic,
                            payload: will.payload,
                            qos: will.qos,
                            retain: will.retain,
                        },
                    ));
                }
            }
        }
    }

    fn route_to_nodes(&mut self, now: Timestamp, topic: &str, payload: &[u8], retain: bool) {
        if retain {
            self.retained.insert(topic.to_owned(), payload.to_vec());
        }
        let mut targets: Vec<usize> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.filters.iter().any(|f| matches(&f.filter, topic)))
            .map(|(n, _)| *n)
            .collect();
        targets.sort_unstable();
        for node in targets {
            self.scenario.handle_publish(node, now, topic, payload);
        }
    }
}

/// The host application's view, by plain strings.
#[derive(Debug, Clone, Copy)]
pub struct HostView<'a>(&'a HostApplication);

impl<'a> HostView<'a> {
    /// The host application itself.
    pub fn app(&self) -> &'a HostApplication {
        self.0
    }

    /// Whether the host holds the node online.
    pub fn is_online(&self, group: &str, node: &str) -> bool {
        ids(group, node, None)
            .and_then(|(g, n, _)| self.0.node(&g, &n).map(|s| s.is_online()))
            .unwrap_or(false)
    }

    /// The last live value the host holds for a node metric (`device` `None`) or device
    /// metric.
    pub fn node_metric_value(
        &self,
        group: &str,
        node: &str,
        device: Option<&str>,
        name: &str,
    ) -> Option<&'a Value> {
        let (g, n, d) = ids(group, node, device)?;
        self.0.metric(&g, &n, d.as_ref(), name)?.value.as_ref()
    }
}

fn ids(
    group: &str,
    node: &str,
    device: Option<&str>,
) -> Option<(GroupId, EdgeNodeId, Option<DeviceId>)> {
    let g = GroupId::new(group).ok()?;
    let n = EdgeNodeId::new(node).ok()?;
    let d = match device {
        Some(d) => Some(DeviceId::new(d).ok()?),
        None => None,
    };
    Some((g, n, d))
}

/// MQTT topic filter matching (`+` one level, `#` the rest).
fn matches(filter: &str, topic: &str) -> bool {
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn filters() {
        assert!(matches("spBv1.0/G/DCMD/N/+", "spBv1.0/G/DCMD/N/D1"));
        assert!(!matches("spBv1.0/G/DCMD/N/+", "spBv1.0/G/DCMD/M/D1"));
        assert!(matches("spBv1.0/#", "spBv1.0/STATE/h"));
        assert!(matches("spBv1.0/STATE/h", "spBv1.0/STATE/h"));
        assert!(!matches("spBv1.0/STATE/h", "spBv1.0/STATE/h/x"));
    }
}
