//! What the host does with each edge node message: births, deaths and the seq-ordered stream
//! of DBIRTH, NDATA, DDATA and DDEATH.

use std::collections::VecDeque;
use std::sync::Arc;

use super::command;
use super::config::HostConfig;
use super::data::Stamp;
use super::event::{DeviceOfflineCause, HostEvent, MetricUpdate};
use super::node::{MetricSet, NodeState, Presence, quality_of};
use super::rebirth::{RebirthLimiter, RebirthReason};
use super::reorder::{Delivered, Outcome};
use super::stats::HostStats;
use crate::session::{BdSeq, Seq, Timestamp, Transmit};
use crate::topic::{DeviceId, EdgeNodeId, GroupId, MessageType};
use crate::validate::{BDSEQ, Rule, Violation, validate_with_templates};
use crate::{AliasTable, DecodeError, Metric, Payload, TemplateCatalog, Value};

/// Most violations one message reports one by one; the rest are summed up in one more
/// [`HostEvent::Violation`], so that a message with 50,000 bad metrics costs 17 events, not
/// 50,000.
pub const MAX_VIOLATIONS_PER_MESSAGE: usize = 16;

/// Most rebirth requests the host sends to edge nodes it never saw born, all together, per
/// [`HostConfig::rebirth_min_interval`]: a flood of messages with random node ids cannot make
/// it flood the broker with NCMDs. Nodes seen born have their own limiter only.
pub const MAX_UNBORN_REBIRTHS: usize = 16;

/// The violations the message being handled reported, and the first it did not.
#[derive(Debug, Default)]
pub(super) struct ViolationBudget {
    reported: usize,
    suppressed: u64,
    first_suppressed: Option<(Option<DeviceId>, MessageType, &'static str, String)>,
}

/// What the host has to send and to tell, in order.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    pub(super) transmits: VecDeque<Transmit>,
    pub(super) events: VecDeque<HostEvent>,
    /// What the host counted.
    pub(super) stats: HostStats,
    /// The violations of the message being handled.
    pub(super) budget: ViolationBudget,
    /// Rebirth requests to never-born edge nodes in the current interval: (its start, count).
    pub(super) unborn_rebirths: (Timestamp, usize),
    /// Scratch space of the direct path (see `direct`), kept so that its allocation is reused
    /// from one message to the next (cleared before each use).
    pub(super) slots: Vec<Option<usize>>,
}

/// A message of an edge node's seq stream, kept until its turn.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Held {
    pub(super) device: Option<DeviceId>,
    pub(super) message_type: MessageType,
    pub(super) payload: Payload,
    pub(super) received_at: Timestamp,
}

/// Handling of one edge node's messages.
pub(super) struct NodeCtx<'a> {
    pub(super) config: &'a HostConfig,
    pub(super) out: &'a mut Outbox,
    pub(super) group: &'a GroupId,
    pub(super) node_id: &'a EdgeNodeId,
    /// Whether the host is online with its broker (no rebirth request goes out otherwise).
    pub(super) connected: bool,
}

impl Outbox {
    /// The message of `node` of `group` is handled: the violations it did not report one by
    /// one become one more, with their count.
    pub(super) fn end_message(&mut self, group: &GroupId, node: &EdgeNodeId) {
        let budget = core::mem::take(&mut self.budget);
        if let Some((device, message_type, tck_id, first)) = budget.first_suppressed {
            self.events.push_back(HostEvent::Violation {
                group: Some(group.clone()),
                node: Some(node.clone()),
                device,
                message_type: Some(message_type),
                tck_id,
                detail: format!(
                    "{} more violations in this message, not reported one by one; the first \
                     of them: {first}",
                    budget.suppressed
                ),
                recommendation: false,
            });
        }
    }
}

impl NodeCtx<'_> {
    /// A message from this node (or its device `device`) received at `now`, as it arrived: an
    /// NDATA or DDATA that is next in the seq stream is read straight from its bytes (see
    /// `direct`); everything else is decoded, validated and handled.
    pub(super) fn message(
        &mut self,
        node: &mut NodeState,
        now: Timestamp,
        device: Option<&str>,
        message_type: MessageType,
        bytes: &[u8],
    ) {
        if !self.direct_data(node, now, device, message_type, bytes) {
            self.decode_and_handle(node, now, device, message_type, bytes);
        }
    }

    /// The general way of a message: decoded, validated, then handled by its type (the seq
    /// stream through the reorder buffer).
    pub(super) fn decode_and_handle(
        &mut self,
        node: &mut NodeState,
        now: Timestamp,
        device: Option<&str>,
        message_type: MessageType,
        bytes: &[u8],
    ) {
        let device = device.map(|d| match node.devices.get_key_value(d) {
            Some((id, _)) => id.clone(),
            None => DeviceId::from_validated(d),
        });
        match Payload::decode_with(bytes, &self.config.decode_options) {
            Ok(payload) => self.handle(node, now, device, message_type, payload),
            Err(error) => self.malformed(node, now, device.as_ref(), message_type, &error),
        }
    }

    /// A decoded message from this node (or one of its devices) received at `now`.
    pub(super) fn handle(
        &mut self,
        node: &mut NodeState,
        now: Timestamp,
        device: Option<DeviceId>,
        message_type: MessageType,
        payload: Payload,
    ) {
        // An NBIRTH is checked against its own definitions; anything else against those of
        // the node's current NBIRTH (tck-id-payloads-template-definition-nbirth).
        if let Err(error) = validate_with_templates(message_type, &payload, &node.templates) {
            self.report(device.as_ref(), message_type, &error.violations);
        }
        match message_type {
            MessageType::NBirth => self.nbirth(node, now, payload),
            MessageType::NDeath => self.ndeath(node, now, &payload),
            _ => self.sequenced(node, now, device, message_type, payload),
        }
    }

    /// A payload that does not decode: reported, and a rebirth asked for (except for NDEATH,
    /// which a rebirth cannot repair).
    pub(super) fn malformed(
        &mut self,
        node: &mut NodeState,
        now: Timestamp,
        device: Option<&DeviceId>,
        message_type: MessageType,
        error: &DecodeError,
    ) {
        let rule = match message_type {
            MessageType::NBirth => "message-flow-edge-node-birth-publish-nbirth-payload",
            MessageType::DBirth => "message-flow-device-birth-publish-dbirth-payload",
            MessageType::NDeath => "message-flow-edge-node-birth-publish-will-message-payload",
            MessageType::DData => "topics-ddata-payload",
            MessageType::DDeath => "payloads-ddeath-seq",
            _ => "topics-ndata-payload",
        };
        self.out.stats.undecodable_payloads += 1;
        let detail = format!("{message_type} payload does not decode: {error}");
        self.violation(device, message_type, rule, detail, false);
        if message_type != MessageType::NDeath {
            self.request_rebirth(
                node,
                now,
                RebirthReason::MalformedPayload(message_type),
                false,
            );
        }
    }

    /// The reorder timer of this node fired at `now`.
    pub(super) fn expire(&mut self, node: &mut NodeState, now: Timestamp) {
        if let Some(outcome) = node.seq.expire(now) {
            self.apply(node, now, outcome);
        }
    }

    /// The host lost its broker at `now`: what is held is delivered, the online node and devices
    /// wait for a rebirth, their metrics STALE.
    pub(super) fn connection_lost(&mut self, node: &mut NodeState, now: Timestamp) {
        for delivered in node.seq.flush() {
            self.process(node, now, delivered);
        }
        node.seq.resync(None);
        node.rebirth = RebirthLimiter::default();
        if node.presence == Presence::Online {
            node.go(Presence::AwaitingRebirth, now);
        }
        for device in node.devices.values_mut() {
            if device.presence == Presence::Online {
                device.go(Presence::AwaitingRebirth, now);
            }
        }
    }

    /// Publishes a rebirth request unless one went to this node less than the configured
    /// interval ago (`forced`: whatever the interval). A reorder timeout's request is always
    /// forced: the spec makes it a MUST (`tck-id-operational-behavior-host-reordering-rebirth`),
    /// and a suppressed one would leave the gap open for good, since nothing asks again.
    pub(super) fn request_rebirth(
        &mut self,
        node: &mut NodeState,
        now: Timestamp,
        reason: RebirthReason,
        forced: bool,
    ) {
        if !self.connected {
            return;
        }
        let (group, node_id) = (self.group.clone(), self.node_id.clone());
        let forced = forced || matches!(reason, RebirthReason::ReorderTimeout { .. });
        let allowed = if forced {
            node.rebirth.record(now);
            true
        } else if !node.born && !self.unborn_rebirth_allowed(now) {
            // Junk node ids are new every message: their own limiters cannot bound the NCMDs.
            false
        } else {
            node.rebirth
                .try_acquire(now, self.config.rebirth_min_interval)
        };
        if !allowed {
            self.event(HostEvent::RebirthSuppressed {
                group,
                node: node_id,
                reason,
            });
            return;
        }
        // A single Boolean metric always encodes; should it ever fail, nothing is sent.
        if let Ok(publish) = command::rebirth(now, &group, &node_id, &self.config.encode_options) {
            self.out.transmits.push_back(Transmit::Publish(publish));
            self.event(HostEvent::RebirthRequested {
                group,
                node: node_id,
                reason,
            });
        }
    }

    /// Whether one more rebirth request to a never-born node fits in the host-wide budget of
    /// [`MAX_UNBORN_REBIRTHS`] per [`HostConfig::rebirth_min_interval`].
    fn unborn_rebirth_allowed(&mut self, now: Timestamp) -> bool {
        let (start, count) = &mut self.out.unborn_rebirths;
        if now.saturating_since(*start) >= self.config.rebirth_min_interval {
            *start = now;
            *count = 0;
        }
        if *count >= MAX_UNBORN_REBIRTHS {
            return false;
        }
        *count += 1;
        true
    }

    fn nbirth(&mut self, node: &mut NodeState, now: Timestamp, payload: Payload) {
        // What is held belongs to the previous birth: deliver it first.
        for delivered in node.seq.flush() {
            self.process(node, now, delivered);
        }
        // The birth answers any request made so far; the next problem asks afresh.
        node.rebirth = RebirthLimiter::default();
        let seq = payload.seq.and_then(Seq::from_wire);
        let bd_seq = bd_seq_of(&payload);
        if node.born && node.presence == Presence::Online && bd_seq != node.bd_seq {
            self.out.stats.duplicate_births += 1;
            self.event(HostEvent::DuplicateNodeBirth {
                group: self.group.clone(),
                node: self.node_id.clone(),
                current_bd_seq: node.bd_seq,
                new_bd_seq: bd_seq,
                session_since: node.since,
                at: now,
            });
        }
        node.seq.resync(seq);
        for (id, device) in &mut node.devices {
            if device.go(Presence::Offline, now) {
                self.out.events.push_back(HostEvent::DeviceOffline {
                    group: self.group.clone(),
                    node: self.node_id.clone(),
                    device: id.clone(),
                    at: now,
                    cause: DeviceOfflineCause::NodeRebirth,
                });
            }
        }
        node.bd_seq = bd_seq;
        node.born = true;
        node.aliases = birth_table(&payload);
        node.templates = Arc::new(TemplateCatalog::from_birth(&payload));
        node.metrics = MetricSet::from_birth(&payload, now);
        node.metrics.index_definitions(&node.aliases);
        node.go(Presence::Online, now);
        node.since = now;
        self.event(HostEvent::NodeOnline {
            group: self.group.clone(),
            node: self.node_id.clone(),
            bd_seq: node.bd_seq,
            at: now,
        });
        if !node.templates.is_empty() {
            self.event(HostEvent::NodeTemplates {
                group: self.group.clone(),
                node: self.node_id.clone(),
                bd_seq: node.bd_seq,
                templates: Arc::clone(&node.templates),
                at: now,
            });
        }
        let stamp = Stamp {
            message_type: MessageType::NBirth,
            seq,
            received_at: now,
            timestamp: payload.timestamp,
            out_of_sequence: false,
        };
        let updates = birth_updates(payload.metrics, &node.metrics);
        self.metrics(node.bd_seq, None, stamp, updates);
    }

    fn ndeath(&mut self, node: &mut NodeState, now: Timestamp, payload: &Payload) {
        let bd_seq = bd_seq_of(payload);
        if !node.born || bd_seq != node.bd_seq {
            self.out.stats.stale_ndeaths_ignored += 1;
            self.event(HostEvent::StaleNdeathIgnored {
                group: self.group.clone(),
                node: self.node_id.clone(),
                ndeath_bd_seq: bd_seq,
                current_bd_seq: node.bd_seq,
            });
            return;
        }
        if node.presence == Presence::Offline {
            return; // the same death twice (published, then the Will): nothing new
        }
        for delivered in node.seq.flush() {
            self.process(node, now, delivered);
        }
        node.seq.resync(None);
        node.go(Presence::Offline, now);
        self.event(HostEvent::NodeOffline {
            group: self.group.clone(),
            node: self.node_id.clone(),
            bd_seq: node.bd_seq,
            at: now,
        });
        for (id, device) in &mut node.devices {
            if device.go(Presence::Offline, now) {
                self.out.events.push_back(HostEvent::DeviceOffline {
                    group: self.group.clone(),
                    node: self.node_id.clone(),
                    device: id.clone(),
                    at: now,
                    cause: DeviceOfflineCause::NodeDeath,
                });
            }
        }
    }

    fn sequenced(
        &mut self,
        node: &mut NodeState,
        now: Timestamp,
        device: Option<DeviceId>,
        message_type: MessageType,
        payload: Payload,
    ) {
        if node.presence != Presence::Online {
            let reason = RebirthReason::MessageBeforeBirth(message_type);
            self.request_rebirth(node, now, reason, false);
            return;
        }
        let seq = payload.seq.and_then(Seq::from_wire);
        let item = Held {
            device,
            message_type,
            payload,
            received_at: now,
        };
        let Some(seq) = seq else {
            // No usable seq (reported by validation): processed as it is.
            let delivered = Delivered {
                seq: None,
                item,
                out_of_sequence: true,
            };
            self.process(node, now, delivered);
            return;
        };
        let timeout = self.config.reorder_timeout;
        let outcome = node
            .seq
            .accept(now, seq, item, timeout, self.config.max_held_messages);
        self.apply(node, now, outcome);
    }

    fn apply(&mut self, node: &mut NodeState, now: Timestamp, outcome: Outcome<Held>) {
        if let Some((expected, received)) = outcome.gap {
            self.event(HostEvent::SeqGap {
                group: self.group.clone(),
                node: self.node_id.clone(),
                bd_seq: node.bd_seq,
                expected,
                received,
            });
        }
        for delivered in outcome.deliver {
            self.process(node, now, delivered);
        }
        if let Some(reason) = outcome.rebirth {
            self.request_rebirth(node, now, reason, false);
        }
    }

    /// Reports the rules a message breaks, as [`validate`] found them.
    pub(super) fn report(
        &mut self,
        device: Option<&DeviceId>,
        message_type: MessageType,
        violations: &[Violation],
    ) {
        for v in violations {
            // Hosts accept any NBIRTH seq and resynchronise from it (SPARKPLUG.md 2.1).
            if v.rule != Rule::NBirthSeqNotZero {
                let detail = format!("{message_type} {v}");
                let recommendation = v.rule.is_recommendation();
                let tck_id = v.rule.tck_id_in(message_type);
                self.violation(device, message_type, tck_id, detail, recommendation);
            }
        }
    }

    pub(super) fn violation(
        &mut self,
        device: Option<&DeviceId>,
        message_type: MessageType,
        tck_id: &'static str,
        detail: String,
        recommendation: bool,
    ) {
        self.out.stats.violations += 1;
        let budget = &mut self.out.budget;
        if budget.reported >= MAX_VIOLATIONS_PER_MESSAGE {
            budget.suppressed += 1;
            self.out.stats.violations_summarised += 1;
            if budget.first_suppressed.is_none() {
                budget.first_suppressed = Some((device.cloned(), message_type, tck_id, detail));
            }
            return;
        }
        budget.reported += 1;
        self.event(HostEvent::Violation {
            group: Some(self.group.clone()),
            node: Some(self.node_id.clone()),
            device: device.cloned(),
            message_type: Some(message_type),
            tck_id,
            detail,
            recommendation,
        });
    }

    pub(super) fn event(&mut self, event: HostEvent) {
        self.out.events.push_back(event);
    }
}

/// The bdSeq metric of an NBIRTH or NDEATH, read from Int64 or UInt64 (SPARKPLUG.md 2.2).
fn bd_seq_of(payload: &Payload) -> Option<BdSeq> {
    payload
        .metric(BDSEQ)
        .and_then(|m| m.value.as_ref())
        .and_then(Value::as_i64)
        .and_then(BdSeq::from_wire)
}

/// The alias table of a birth. A birth that breaks the rules (reported by validation) still
/// gives one: metrics without name or datatype are left out, and a repeated alias is dropped
/// from the later metric, so that the rest of the birth stays usable.
pub(super) fn birth_table(birth: &Payload) -> AliasTable {
    if let Ok(table) = AliasTable::from_birth(birth) {
        return table;
    }
    let mut usable = Payload::default();
    let mut aliases = std::collections::HashSet::new();
    for metric in &birth.metrics {
        if metric.name.is_none() || metric.datatype.is_none() {
            continue;
        }
        let mut metric = metric.clone();
        if let Some(alias) = metric.alias {
            if !aliases.insert(alias) {
                metric.alias = None;
            }
        }
        usable.metrics.push(metric);
    }
    AliasTable::from_birth(&usable).unwrap_or_default()
}

/// The metrics of a birth as updates: typed already, with their quality, named with the names
/// `store` (the [`MetricSet`] of the same birth) shares. Metrics without a name or a datatype
/// (reported by validation) declare nothing and are left out.
pub(super) fn birth_updates(metrics: Vec<Metric>, store: &MetricSet) -> Vec<MetricUpdate> {
    metrics
        .into_iter()
        .filter_map(|metric| {
            let datatype = metric.datatype?;
            let slot = store.slot_of(metric.name.as_deref()?)?;
            let (name, _) = store.definition(slot)?;
            let quality = quality_of(&metric);
            Some(MetricUpdate::new(
                Arc::clone(name),
                datatype,
                metric,
                quality,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataType;

    #[test]
    fn bd_seq_is_read_from_int64_or_uint64() {
        let int64 = Payload::new(1).with_metric(Metric::new(BDSEQ, 7i64));
        assert_eq!(bd_seq_of(&int64), Some(BdSeq::new(7)));
        let uint64 = Payload::new(1).with_metric(Metric::new(BDSEQ, 8u64));
        assert_eq!(bd_seq_of(&uint64), Some(BdSeq::new(8)));
        let bad = Payload::new(1).with_metric(Metric::new(BDSEQ, 300i64));
        assert_eq!(bd_seq_of(&bad), None);
        assert_eq!(bd_seq_of(&Payload::new(1)), None);
    }

    /// tck-id-payloads-alias-uniqueness: a birth with a repeated alias still gives a table.
    #[test]
    fn a_broken_birth_still_gives_a_table() {
        let birth = Payload::new(1)
            .with_metric(Metric::new("A", 1.0).with_alias(1))
            .with_metric(Metric::new("B", 2.0).with_alias(1))
            .with_metric(Metric::new("C", 3.0).without_datatype())
            .with_metric(Metric::aliased(5, 1.0));
        let table = birth_table(&birth);
        assert_eq!(table.len(), 2);
        assert_eq!(table.by_alias(1).map(|d| d.name.as_str()), Some("A"));
        assert_eq!(
            table.by_name("B").map(|d| (d.alias, d.datatype)),
            Some((None, DataType::Double))
        );
    }
}
