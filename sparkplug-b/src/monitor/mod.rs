//! A passive conformance monitor: it watches any broker's Sparkplug traffic, grades every edge
//! node and host application against the rules a subscriber can check, and names each
//! violation by its TCK assertion id.
//!
//! [`Monitor`] is sans-IO like the session state machines, and never publishes: subscribe to
//! `spBv1.0/#` **at QoS 1**, hand every delivered message to [`Monitor::handle_message`] with
//! its receive time, delivered QoS and retain flag, then drain [`Monitor::poll_finding`]. A
//! [`Report`] sums up each edge node, device and host.
//!
//! ```
//! use sparkplug_b::monitor::{Monitor, MonitorConfig, Severity};
//! use sparkplug_b::session::Timestamp;
//! use sparkplug_b::{Metric, Payload};
//!
//! let mut monitor = Monitor::new(MonitorConfig::default());
//! let now = Timestamp::from_millis(1_700_000_000_000);
//! let nbirth = Payload::new(1_700_000_000_000)
//!     .with_seq(0)
//!     .with_metric(Metric::new("bdSeq", 0i64).with_timestamp(1_700_000_000_000))
//!     .with_metric(Metric::new("Node Control/Rebirth", false).with_timestamp(1_700_000_000_000));
//! monitor.handle_message(now, "spBv1.0/G/NBIRTH/E", &nbirth.encode_to_vec()?, 0, false);
//! let ndata = Payload::new(1_700_000_000_100).with_seq(2); // seq 1 never came
//! monitor.handle_message(now, "spBv1.0/G/NDATA/E", &ndata.encode_to_vec()?, 0, false);
//!
//! let finding = monitor.poll_finding().expect("a seq gap");
//! assert_eq!(finding.tck_id, "payloads-ndata-seq-inc");
//! assert_eq!(finding.severity, Severity::Must);
//! println!("{finding}\n{}", monitor.report());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What a subscriber sees, and what it does not
//! A subscriber sees each message's topic and payload, the QoS and retain flag *as delivered*,
//! and the broker's delivery order. That shapes what can be graded:
//! - **QoS.** A broker delivers at min(publish QoS, subscription QoS). Subscribed at QoS 1, a
//!   delivery above QoS 0 proves an NBIRTH, DBIRTH, NDATA, DDATA, DDEATH, NCMD or DCMD was
//!   published above QoS 0, and a STATE delivered at QoS 0 proves a QoS 0 publish. Subscribed
//!   at QoS 0 the second check is meaningless; tell the monitor with
//!   [`MonitorConfig::subscription_qos`].
//! - **Retain.** Brokers clear the retain flag on live deliveries (MQTT 3.1.1, and MQTT 5
//!   without Retain As Published) and set it only when replaying a stored message to a new
//!   subscription. A retained delivery therefore proves a retained publish (a violation for
//!   edge messages and commands, the expected proof for STATE, noted in the [`HostReport`]);
//!   a live delivery proves nothing, so a STATE published without retain goes unnoticed.
//!   Retained edge messages are reported and kept out of session tracking: they replay the
//!   past.
//! - **Loss and order.** Edge messages travel at QoS 0, which a broker may drop: a seq gap is
//!   the edge's fault or the broker's. A monitor started during a session grades the seq stream
//!   from its first message, and ordering and birth contents from the next NBIRTH.
//! - **Invisible**: CONNECT (clean session, client id, the Will's topic, payload, QoS and retain
//!   until it fires), SUBSCRIBE, DISCONNECT and reason codes, the publish QoS above the
//!   subscription's, and which client sent what.
//!
//! # Graded
//! - Topics (`B0`): `topic-structure`, `topic-structure-namespace-a`, `-valid-group-id`,
//!   `-valid-edge-node-id`, `-valid-device-id`, `-device-id-associated-message-types`,
//!   `-device-id-non-associated-message-types`, `intro-{group,edge-node,device}-id-{string,chars}`,
//!   `host-topic-phid-birth-topic`; `case-sensitivity-sparkplug-ids` (SHOULD).
//! - Payloads: every rule of [`validate()`](crate::validate()) with its own id, except that
//!   NCMD/DCMD name `payloads-ncmd-seq`/`payloads-dcmd-seq` and a missing timestamp the id of
//!   its message type (`topics-nbirth-timestamp`, `payloads-ndata-timestamp`, ...); undecodable
//!   payloads (`message-flow-edge-node-birth-publish-nbirth-payload`, `topics-ndata-payload`, ...);
//!   with [`MonitorConfig::utc_window`], `payloads-timestamp-in-UTC`.
//! - Sessions: `payloads-dbirth-seq-inc`, `payloads-ndata-seq-inc`, `payloads-ddata-seq-inc`,
//!   `payloads-ddeath-seq-inc` (the shared counter of `payloads-sequence-num-incrementing`, 255
//!   wrapping to 0, reset by NBIRTH); `topics-nbirth-seq-num`; `topics-nbirth-bdseq-increment`
//!   when the previous session's bdSeq was seen; `payloads-ndeath-bdseq` (an NDEATH of another
//!   session is an observation, as hosts ignore it); `payloads-dbirth-order`,
//!   `payloads-ndata-order`, `payloads-ddata-order` (also DDATA before its device's DBIRTH);
//!   `topics-nbirth-metric-reqs`, `topics-dbirth-metric-reqs` (data metrics the birth did not
//!   declare, or values that do not fit its datatype); `payloads-alias-uniqueness` across the
//!   node and its devices; `topics-nbirth-templates`; `operational-behavior-data-publish-nbirth-order`
//!   and `-dbirth-order` (SHOULD: a metric's live timestamps going back).
//! - MQTT flags: `payloads-{nbirth,dbirth,ndata,ddata,ncmd,dcmd}-{qos,retain}`,
//!   `topics-ddeath-mqtt`, `host-topic-phid-birth-qos`, `host-topic-phid-death-qos`.
//! - Hosts: `host-topic-phid-birth-payload` (JSON with an integer timestamp; birth timestamps of
//!   one host never going back); a death older than the birth is a stale Will (observation).
//! - Commands: `operational-behavior-data-commands-{ncmd,dcmd}-metric-name` (SHOULD) and
//!   `-metric-value` against the birth, `operational-behavior-data-commands-ncmd-rebirth-value`;
//!   rebirth requests are counted.
//!
//! # Not graded: a passive observer cannot see them
//! - CONNECT and Will: `principles-persistence-clean-session-311`/`-50`,
//!   `message-flow-edge-node-birth-publish-will-message` and its `-topic`, `-payload`,
//!   `-payload-bdSeq`, `-qos`, `-will-retained`; `payloads-ndeath-will-message` and its `-qos`,
//!   `-retain`; `topics-nbirth-bdseq-matching`, `payloads-nbirth-bdseq-repeat`,
//!   `operational-behavior-data-commands-rebirth-action-3`; the host's Will ids
//!   (`payloads-state-will-message*`, `operational-behavior-host-application-connect-will*`,
//!   `host-topic-phid-death-required`, `host-topic-phid-birth-payload-timestamp`,
//!   `message-flow-phid-sparkplug-clean-session-*`).
//! - Subscriptions: `message-flow-edge-node-ncmd-subscribe`, `message-flow-device-dcmd-subscribe`,
//!   `host-topic-phid-birth-sub-required`, `message-flow-phid-sparkplug-subscription`,
//!   `payloads-state-subscribe`.
//! - DISCONNECT: `payloads-ndeath-will-message-publisher-disconnect-mqtt311`/`-mqtt50`,
//!   `operational-behavior-edge-node-intentional-disconnect-*`.
//! - Client identity: `intro-edge-node-id-uniqueness`,
//!   `topic-structure-namespace-unique-edge-node-descriptor`,
//!   `payloads-nbirth-edge-node-descriptor`, `operational-behavior-host-application-host-id`
//!   (two clients sharing an id show up only as seq and bdSeq findings).
//! - Retain of live STATE (`host-topic-phid-birth-retain`, `-death-retain`); NDEATH's QoS (a
//!   Will and an explicit NDEATH look alike, and only the Will has a rule).
//! - Reactions over time: the rebirth actions, host reactions to deaths and gaps (`C3`, `C4`),
//!   Primary Host awareness (`B5`), `message-flow-hid-sparkplug-state-message-delivered`.
//! - `principles-rbe-recommended` and `-data-publish-*-change`: periodic reporting is legal, and
//!   flagging every repeated value would bury the real findings. Broker ids (`D1`).

mod config;
mod data;
mod edge;
mod finding;
mod host;
mod message;
mod report;
mod rules;
#[cfg(test)]
mod tests;
mod track;

pub use config::MonitorConfig;
pub use finding::{CAPACITY, Finding, Severity, Subject};
pub use report::{DeviceReport, HostReport, NodeReport, Report, Status, Tally};

use std::collections::{HashMap, VecDeque};

use crate::session::Timestamp;
use crate::topic::{DeviceId, EdgeNodeId, GroupId, HostId, MessageType, NAMESPACE, Topic};

use edge::{Msg, NodeTracker};
use finding::Emit;
use host::HostTracker;

/// The key of a tracked edge node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct NodeKey {
    group: GroupId,
    node: EdgeNodeId,
}

/// The passive conformance monitor; see the [module docs](self).
#[derive(Debug)]
pub struct Monitor {
    config: MonitorConfig,
    nodes: HashMap<NodeKey, NodeTracker>,
    hosts: HashMap<HostId, HostTracker>,
    queue: VecDeque<Finding>,
    /// Findings of the message being handled, before they are counted and queued.
    scratch: Vec<Finding>,
    report: Report,
}

impl Monitor {
    /// A monitor that has seen nothing yet.
    pub fn new(config: MonitorConfig) -> Self {
        Monitor {
            config,
            nodes: HashMap::new(),
            hosts: HashMap::new(),
            queue: VecDeque::new(),
            scratch: Vec::new(),
            report: Report::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &MonitorConfig {
        &self.config
    }

    /// One message as a subscriber to `spBv1.0/#` received it: `qos` and `retain` as delivered,
    /// `now` the receive time. Messages outside `spBv1.0/` are counted and ignored (but
    /// `spAv1.0/` breaks `tck-id-topic-structure-namespace-a`). Never fails and never panics:
    /// whatever is wrong becomes a [`Finding`].
    pub fn handle_message(
        &mut self,
        now: Timestamp,
        topic: &str,
        payload: &[u8],
        qos: u8,
        retain: bool,
    ) {
        self.report.messages += 1;
        let sparkplug = topic
            .strip_prefix(NAMESPACE)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        if !sparkplug && !topic.starts_with("spAv1.0/") {
            self.report.ignored += 1;
            return;
        }
        match Topic::parse(topic) {
            Err(e) => {
                self.report.topics.messages += 1;
                let mut emit = Emit {
                    out: &mut self.scratch,
                    at: now,
                    subject: Subject::Topic(topic.to_owned()),
                    message_type: None,
                };
                emit.must(rules::topic_error(&e), format!("topic does not parse: {e}"));
            }
            Ok(Topic::State { host }) => self.state(now, host, payload, qos, retain),
            Ok(Topic::Node {
                group,
                message_type,
                node,
            }) => {
                self.edge(
                    now,
                    NodeKey { group, node },
                    None,
                    message_type.into(),
                    payload,
                    (qos, retain),
                );
            }
            Ok(Topic::Device {
                group,
                message_type,
                node,
                device,
            }) => {
                self.edge(
                    now,
                    NodeKey { group, node },
                    Some(device),
                    message_type.into(),
                    payload,
                    (qos, retain),
                );
            }
        }
        let mut batch = core::mem::take(&mut self.scratch);
        for finding in batch.drain(..) {
            self.record(finding);
        }
        self.scratch = batch;
    }

    /// The next finding, in the order they were made; `None` when all were taken.
    pub fn poll_finding(&mut self) -> Option<Finding> {
        self.queue.pop_front()
    }

    /// A summary of everything seen so far, sorted by edge node and host id.
    pub fn report(&self) -> Report {
        let mut report = self.report.clone();
        report.edge_nodes = self
            .nodes
            .iter()
            .map(|(key, node)| track::node_report(key, node))
            .collect();
        report
            .edge_nodes
            .sort_by(|a, b| (&a.group, &a.node).cmp(&(&b.group, &b.node)));
        report.hosts = self
            .hosts
            .iter()
            .map(|(id, host)| track::host_report(id, host))
            .collect();
        report.hosts.sort_by(|a, b| a.host.cmp(&b.host));
        report
    }

    /// An edge node or device message: MQTT flags, decoding and the payload rules, then the
    /// session.
    fn edge(
        &mut self,
        now: Timestamp,
        key: NodeKey,
        device: Option<DeviceId>,
        t: MessageType,
        bytes: &[u8],
        (qos, retain): (u8, bool),
    ) {
        let node_subject = Subject::EdgeNode {
            group: key.group.clone(),
            node: key.node.clone(),
        };
        let subject = match &device {
            Some(d) => Subject::Device {
                group: key.group.clone(),
                node: key.node.clone(),
                device: d.clone(),
            },
            None => node_subject.clone(),
        };
        let mut emit = Emit {
            out: &mut self.scratch,
            at: now,
            subject,
            message_type: Some(t),
        };
        let payload = message::grade(&mut emit, &self.config, t, bytes, (qos, retain));
        self.report.evicted += track::ensure_node(
            &mut self.nodes,
            &mut self.scratch,
            now,
            &key,
            self.config.max_edge_nodes,
        );
        let Some(node) = self.nodes.get_mut(&key) else {
            return;
        };
        node.last_seen = now;
        let mut m = Msg {
            t,
            emit: Emit {
                out: &mut self.scratch,
                at: now,
                subject: node_subject.clone(),
                message_type: Some(t),
            },
            node: node_subject,
            max_metrics: self.config.max_metrics_per_birth,
        };
        if let Some(id) = &device {
            m.emit.subject = Subject::Device {
                group: key.group.clone(),
                node: key.node.clone(),
                device: id.clone(),
            };
            if node.ensure_device(&mut m, id, self.config.max_devices_per_node) {
                self.report.evicted += 1;
            }
            if let Some(dev) = node.devices.get_mut(id) {
                dev.last_seen = now;
                dev.tally.messages += 1;
            }
        } else {
            node.tally.messages += 1;
        }
        if !retain {
            node.handle(&mut m, device.as_ref(), payload);
        }
    }

    /// A STATE message.
    fn state(&mut self, now: Timestamp, host: HostId, bytes: &[u8], qos: u8, retain: bool) {
        self.report.evicted += track::ensure_host(
            &mut self.hosts,
            &mut self.scratch,
            now,
            &host,
            self.config.max_hosts,
        );
        let Some(tracker) = self.hosts.get_mut(&host) else {
            return;
        };
        tracker.last_seen = now;
        tracker.tally.messages += 1;
        let mut emit = Emit {
            out: &mut self.scratch,
            at: now,
            subject: Subject::Host { id: host },
            message_type: Some(MessageType::State),
        };
        tracker.handle(&mut emit, bytes, qos, retain, self.config.subscription_qos);
    }

    /// Counts a finding for its subject and queues it, dropping the oldest beyond the bound.
    fn record(&mut self, finding: Finding) {
        self.report.findings += 1;
        let tally = match &finding.subject {
            Subject::EdgeNode { group, node } => {
                let key = NodeKey {
                    group: group.clone(),
                    node: node.clone(),
                };
                self.nodes.get_mut(&key).map(|n| &mut n.tally)
            }
            Subject::Device {
                group,
                node,
                device,
            } => {
                let key = NodeKey {
                    group: group.clone(),
                    node: node.clone(),
                };
                self.nodes
                    .get_mut(&key)
                    .and_then(|n| n.devices.get_mut(device))
                    .map(|d| &mut d.tally)
            }
            Subject::Host { id } => self.hosts.get_mut(id).map(|h| &mut h.tally),
            Subject::Topic(_) => Some(&mut self.report.topics),
        };
        if let Some(tally) = tally {
            tally.add(&finding);
        }
        let max = self.config.max_pending_findings;
        if max == 0 {
            self.report.dropped_findings += 1;
            return;
        }
        if self.queue.len() >= max {
            self.queue.pop_front();
            self.report.dropped_findings += 1;
        }
        self.queue.push_back(finding);
    }
}
