//! The messages of an edge node's seq stream, in their turn: DBIRTH, NDATA, DDATA and DDEATH.

use super::event::{DeviceOfflineCause, HostEvent, MetricUpdate};
use super::inbound::{Held, NodeCtx, birth_table, birth_updates};
use super::node::{DeviceState, MetricSet, NodeState, Presence, quality_of};
use super::rebirth::RebirthReason;
use super::reorder::Delivered;
use crate::session::{BdSeq, Seq, Timestamp};
use crate::topic::{DeviceId, MessageType};
use std::sync::Arc;

use crate::{AliasTable, DataType, Metric, ResolveError};

/// Where a message stands, as [`HostEvent::Metrics`] reports it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stamp {
    pub(super) message_type: MessageType,
    pub(super) seq: Option<Seq>,
    pub(super) received_at: Timestamp,
    pub(super) timestamp: Option<u64>,
    pub(super) out_of_sequence: bool,
}

impl NodeCtx<'_> {
    /// A message of the seq stream, in its turn, at `now`.
    pub(super) fn process(
        &mut self,
        node: &mut NodeState,
        now: Timestamp,
        delivered: Delivered<Held>,
    ) {
        let Delivered {
            seq,
            item,
            out_of_sequence,
        } = delivered;
        let Held {
            device,
            message_type,
            payload,
            received_at,
        } = item;
        let stamp = Stamp {
            message_type,
            seq,
            received_at,
            timestamp: payload.timestamp,
            out_of_sequence,
        };
        let Some(device) = device else {
            // NDATA is the only node message of the stream.
            let (aliases, store) = (&node.aliases, &mut node.metrics);
            let (updates, unresolved) = self.resolve(None, aliases, store, payload.metrics, stamp);
            self.metrics(node.bd_seq, None, stamp, updates);
            if unresolved {
                self.request_rebirth(node, now, RebirthReason::UnresolvedMetric, false);
            }
            return;
        };
        match message_type {
            MessageType::DBirth => {
                let aliases = birth_table(&payload);
                if let Some(detail) = alias_clash(node, &device, &aliases) {
                    let rule = "payloads-alias-uniqueness";
                    self.violation(Some(&device), message_type, rule, detail, false);
                }
                let state = node
                    .devices
                    .entry(device.clone())
                    .or_insert_with(|| DeviceState::new(device.clone(), received_at));
                state.aliases = aliases;
                state.metrics = MetricSet::from_birth(&payload, received_at);
                state.metrics.index_definitions(&state.aliases);
                state.go(Presence::Online, received_at);
                state.since = received_at;
                self.event(HostEvent::DeviceOnline {
                    group: self.group.clone(),
                    node: self.node_id.clone(),
                    device: device.clone(),
                    at: received_at,
                });
                let updates = birth_updates(payload.metrics, &state.metrics);
                self.metrics(node.bd_seq, Some(device), stamp, updates);
            }
            MessageType::DData => {
                let Some(state) = node.devices.get_mut(&device).filter(|d| d.is_online()) else {
                    let reason = RebirthReason::MessageBeforeBirth(message_type);
                    self.request_rebirth(node, now, reason, false);
                    return;
                };
                let (aliases, store) = (&state.aliases, &mut state.metrics);
                let (updates, unresolved) =
                    self.resolve(Some(&device), aliases, store, payload.metrics, stamp);
                self.metrics(node.bd_seq, Some(device), stamp, updates);
                if unresolved {
                    self.request_rebirth(node, now, RebirthReason::UnresolvedMetric, false);
                }
            }
            MessageType::DDeath => {
                // Offline and STALE at the DDEATH's own timestamp (SPARKPLUG.md 2.5).
                let at = payload
                    .timestamp
                    .map_or(received_at, Timestamp::from_millis);
                let Some(state) = node.devices.get_mut(&device) else {
                    return;
                };
                if state.is_online() && state.go(Presence::Offline, at) {
                    self.event(HostEvent::DeviceOffline {
                        group: self.group.clone(),
                        node: self.node_id.clone(),
                        device,
                        at,
                        cause: DeviceOfflineCause::DeviceDeath,
                    });
                }
            }
            _ => {}
        }
    }

    /// Names and types data metrics through their birth's table and stores the live ones;
    /// metrics that do not resolve are reported and left out. `true` when some did not.
    fn resolve(
        &mut self,
        device: Option<&DeviceId>,
        table: &AliasTable,
        store: &mut MetricSet,
        metrics: Vec<Metric>,
        stamp: Stamp,
    ) -> (Vec<MetricUpdate>, bool) {
        let mut updates = Vec::with_capacity(metrics.len());
        let mut unresolved = false;
        for (i, metric) in metrics.into_iter().enumerate() {
            match resolve_one(table, store, metric) {
                Ok((update, slot)) => {
                    if let (Some(slot), false) = (slot, update.is_historical()) {
                        store.update_slot(slot, &update, stamp.received_at);
                    }
                    updates.push(update);
                }
                Err(error) => {
                    unresolved = true;
                    let rule = resolve_rule(&error, device.is_some());
                    let detail = format!("{} metrics[{i}]: {error}", stamp.message_type);
                    self.violation(device, stamp.message_type, rule, detail, false);
                }
            }
        }
        (updates, unresolved)
    }

    /// Reports the metrics of a birth or data message.
    pub(super) fn metrics(
        &mut self,
        bd_seq: Option<BdSeq>,
        device: Option<DeviceId>,
        stamp: Stamp,
        metrics: Vec<MetricUpdate>,
    ) {
        self.event(HostEvent::Metrics {
            group: self.group.clone(),
            node: self.node_id.clone(),
            device,
            message_type: stamp.message_type,
            bd_seq,
            seq: stamp.seq,
            received_at: stamp.received_at,
            timestamp: stamp.timestamp,
            metrics,
            out_of_sequence: stamp.out_of_sequence,
        });
    }
}

/// Resolves a data metric through its birth's `table`: the update, named with the name `store`
/// (the live values of the same birth) shares, and the position of its live value in `store`
/// (`None`: it has none).
#[inline]
pub(super) fn resolve_one(
    table: &AliasTable,
    store: &MetricSet,
    mut metric: Metric,
) -> Result<(MetricUpdate, Option<usize>), ResolveError> {
    let definition = table.resolve_unnamed(&mut metric)?;
    let quality = quality_of(&metric);
    let def = table.get(definition);
    let def_name = def.map_or("", |d| d.name.as_str());
    let slot = store.slot(definition, def_name);
    let (name, datatype) = match slot.and_then(|slot| store.definition(slot)) {
        Some((name, datatype)) => (Arc::clone(name), datatype),
        // Unreachable while the store and the table come from the same birth.
        None => (
            Arc::from(def_name),
            def.map_or(DataType::Unknown, |d| d.datatype),
        ),
    };
    Ok((MetricUpdate::new(name, datatype, metric, quality), slot))
}

/// An alias of a new DBIRTH that the node's NBIRTH or another online device already uses:
/// aliases are unique across the whole edge node (`tck-id-payloads-alias-uniqueness`). The
/// first clash, described.
fn alias_clash(node: &NodeState, device: &DeviceId, table: &AliasTable) -> Option<String> {
    table.iter().find_map(|def| {
        let alias = def.alias?;
        let other = match node.aliases.by_alias(alias) {
            Some(other) => other.name.clone(),
            None => node
                .devices
                .iter()
                .filter(|(id, dev)| *id != device && dev.is_online())
                .find_map(|(id, dev)| {
                    Some(format!("{id}/{}", dev.aliases.by_alias(alias)?.name))
                })?,
        };
        Some(format!(
            "DBIRTH alias {alias} of {:?} is also {other:?}",
            def.name
        ))
    })
}

/// The TCK assertion a data metric that does not resolve breaks.
pub(super) fn resolve_rule(error: &ResolveError, device: bool) -> &'static str {
    match error {
        ResolveError::UnknownAlias(_) | ResolveError::UnknownName(_) if device => {
            "topics-dbirth-metric-reqs"
        }
        ResolveError::UnknownAlias(_) | ResolveError::UnknownName(_) => "topics-nbirth-metric-reqs",
        ResolveError::Unaddressed => "payloads-name-requirement",
        ResolveError::NameMismatch { .. } => "payloads-alias-data-cmd-requirement",
        ResolveError::Member { source, .. } => resolve_rule(source, device),
        _ => "payloads-metric-datatype-value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tck-id-topics-nbirth-metric-reqs, tck-id-topics-dbirth-metric-reqs,
    /// tck-id-payloads-name-requirement: each resolve failure names the rule it breaks.
    #[test]
    fn resolve_errors_name_their_rule() {
        let rule = resolve_rule;
        assert_eq!(
            rule(&ResolveError::UnknownAlias(1), false),
            "topics-nbirth-metric-reqs"
        );
        assert_eq!(
            rule(&ResolveError::UnknownName("x".into()), true),
            "topics-dbirth-metric-reqs"
        );
        assert_eq!(
            rule(&ResolveError::Unaddressed, true),
            "payloads-name-requirement"
        );
        let member = ResolveError::Member {
            template: "T".into(),
            source: Box::new(ResolveError::UnknownAlias(2)),
        };
        assert_eq!(rule(&member, false), "topics-nbirth-metric-reqs");
    }
}
