//! The host's hot path: an NDATA or DDATA that is next in its node's seq stream, read straight
//! from its bytes.
//!
//! The general path decodes a payload into a [`Payload`](crate::Payload), validates it,
//! passes it through the reorder buffer and then resolves its metrics, one pass each. Most
//! messages need none of the buffering: they are data, in order, from a node that is online.
//! For those, one pass over the wire ([`read_payload`], the pass `Payload::decode` makes)
//! decodes each metric with the decoder's own limits and errors, checks its data rules
//! ([`check_data_metric`]), resolves it against the birth and makes it an update. A metric that
//! breaks no rule by its form and carries a scalar for a known alias becomes an update without
//! an intermediate [`Metric`](crate::Metric). The live values change only once the whole
//! payload has decoded, so a malformed payload is reported exactly as the general path reports
//! it, and nothing of it is kept.
//!
//! ```text
//!  NDATA/DDATA, node (device) online ──► one pass: decode, check, resolve ──► decode error:
//!                                              │                              malformed, as
//!                                              │ seq next, timestamp,         the general path
//!                                              │ not compressed               says it
//!                                              ▼
//!                      report violations, store live values, Metrics event, deliver the
//!                      held messages that follow (SeqTracker::advance)
//! ```
//!
//! Every other message goes the general way, which reports what is wrong with it; so does a
//! data message this pass read and then declined (seq not the next one, no seq or timestamp,
//! compressed): it is read twice, the price of the rare case.

use std::sync::Arc;

use super::data::{Stamp, resolve_one, resolve_rule};
use super::event::MetricUpdate;
use super::inbound::NodeCtx;
use super::node::{MetricSet, NodeState, Presence};
use super::rebirth::RebirthReason;
use crate::compression::COMPRESSED_UUID;
use crate::decode::{MetricDecoder, TopLevel, read_payload};
use crate::session::{Seq, Timestamp};
use crate::topic::MessageType;
use crate::validate::{Violation, check_data_metric, is_plain_data_view};
use crate::{
    AliasTable, DataType, DecodeError, DecodeOptions, MetricView, ResolveError, TemplateCatalog,
    Value, ValueRef,
};

/// The metrics of one data message, resolved, before anything is reported or stored.
struct Resolved<'a> {
    /// The other top-level fields.
    top: TopLevel<'a>,
    /// The metrics that resolved, in payload order.
    updates: Vec<MetricUpdate>,
    /// The position of each update's live value in the store.
    slots: Vec<Option<usize>>,
    /// The data rules the metrics break, in payload order.
    violations: Vec<Violation>,
    /// The metrics that did not resolve: index in the payload, and why.
    unresolved: Vec<(usize, ResolveError)>,
}

impl NodeCtx<'_> {
    /// Processes an NDATA or DDATA of this node (of its device `device`) straight from its
    /// bytes if it is the next message of the node's seq stream and everything it needs is in
    /// place; `false` (and nothing done) otherwise.
    pub(super) fn direct_data(
        &mut self,
        node: &mut NodeState,
        now: Timestamp,
        device: Option<&str>,
        message_type: MessageType,
        bytes: &[u8],
    ) -> bool {
        if !matches!(message_type, MessageType::NData | MessageType::DData)
            || node.presence != Presence::Online
        {
            return false;
        }
        let options = &self.config.decode_options;
        // The slot buffer is kept between messages, so that its allocation is reused.
        let mut slots = core::mem::take(&mut self.out.slots);
        slots.clear();
        let (device_id, resolved) = match device {
            None => (
                None,
                resolve(
                    bytes,
                    message_type,
                    (&node.aliases, &node.templates),
                    &node.metrics,
                    options,
                    slots,
                ),
            ),
            Some(device) => match node.devices.get(device) {
                Some(state) if state.is_online() => (
                    Some(state.id.clone()),
                    resolve(
                        bytes,
                        message_type,
                        (&state.aliases, &node.templates),
                        &state.metrics,
                        options,
                        slots,
                    ),
                ),
                _ => {
                    self.out.slots = slots;
                    return false;
                }
            },
        };
        let resolved = match resolved {
            Ok(resolved) => resolved,
            Err((error, slots)) => {
                self.out.slots = slots;
                // What `Payload::decode_with` would say: its first pass over the top level
                // is this one.
                self.malformed(node, now, device_id.as_ref(), message_type, &error);
                return true;
            }
        };
        let Resolved {
            top,
            updates,
            slots,
            violations,
            unresolved,
        } = resolved;
        let seq = top.seq.and_then(Seq::from_wire);
        let seq = seq.filter(|seq| node.seq.is_next(*seq));
        let (Some(seq), Some(timestamp)) = (seq, top.timestamp) else {
            self.out.slots = slots;
            return false;
        };
        if top.uuid == Some(COMPRESSED_UUID) {
            self.out.slots = slots;
            return false;
        }
        self.report(device_id.as_ref(), message_type, &violations);
        let store = match device {
            None => Some(&mut node.metrics),
            Some(device) => node.devices.get_mut(device).map(|d| &mut d.metrics),
        };
        if let Some(store) = store {
            for (update, slot) in updates.iter().zip(&slots) {
                if let (Some(slot), false) = (*slot, update.is_historical()) {
                    store.update_slot(slot, update, now);
                }
            }
        }
        self.out.slots = slots;
        for (i, error) in &unresolved {
            let rule = resolve_rule(error, device.is_some());
            let detail = format!("{message_type} metrics[{i}]: {error}");
            self.violation(device_id.as_ref(), message_type, rule, detail, false);
        }
        let stamp = Stamp {
            message_type,
            seq: Some(seq),
            received_at: now,
            timestamp: Some(timestamp),
            out_of_sequence: false,
        };
        self.metrics(node.bd_seq, device_id, stamp, updates);
        if !unresolved.is_empty() {
            self.request_rebirth(node, now, RebirthReason::UnresolvedMetric, false);
        }
        for delivered in node.seq.advance(seq) {
            self.process(node, now, delivered);
        }
        true
    }
}

/// One pass over a data payload: each metric decoded, checked and resolved as it is read. A
/// metric that does not decode makes the whole payload malformed, with the error
/// [`Payload::decode`](crate::Payload::decode) gives.
///
/// `slots` is an empty buffer for [`Resolved::slots`], handed back with the error if there is
/// one.
fn resolve<'a>(
    bytes: &'a [u8],
    message_type: MessageType,
    (table, templates): (&AliasTable, &TemplateCatalog),
    store: &MetricSet,
    options: &DecodeOptions,
    slots: Vec<Option<usize>>,
) -> Result<Resolved<'a>, (DecodeError, Vec<Option<usize>>)> {
    let decoder = MetricDecoder::new(options);
    // The capacity guess of `Payload::decode`: about 17 bytes per aliased metric.
    let capacity = (bytes.len() / 16).min(256);
    let mut out = Resolved {
        top: TopLevel::default(),
        updates: Vec::with_capacity(capacity),
        slots,
        violations: Vec::new(),
        unresolved: Vec::new(),
    };
    let top = read_payload(bytes, |i, metric| {
        if out.push_plain(&metric, &decoder, table, store)? {
            return Ok(());
        }
        let metric = decoder.decode(i, &metric)?;
        check_data_metric(
            message_type,
            i,
            &metric,
            Some(templates),
            &mut out.violations,
        );
        match resolve_one(table, store, metric) {
            Ok((update, slot)) => {
                out.updates.push(update);
                out.slots.push(slot);
            }
            Err(error) => out.unresolved.push((i, error)),
        }
        Ok::<(), DecodeError>(())
    });
    match top {
        Ok(top) => {
            out.top = top;
            Ok(out)
        }
        Err(error) => Err((error, out.slots)),
    }
}

impl Resolved<'_> {
    /// The common case, without building a [`Metric`](crate::Metric): a metric that breaks
    /// no data rule by its form ([`is_plain_data_view`]), whose alias the birth declares and
    /// whose scalar value reads as the birth's datatype. Gives the update that decoding,
    /// checking and [`resolve_one`] would give; `false` (nothing pushed) for any other metric,
    /// which takes the general way.
    #[inline]
    fn push_plain(
        &mut self,
        metric: &MetricView<'_>,
        decoder: &MetricDecoder,
        table: &AliasTable,
        store: &MetricSet,
    ) -> Result<bool, DecodeError> {
        if !is_plain_data_view(metric) {
            return Ok(false);
        }
        let (Some(alias), Some(value)) = (metric.alias(), metric.value()) else {
            return Ok(false);
        };
        let Some(slot) = table
            .alias_index(alias)
            .and_then(|definition| store.slot_of_definition(definition))
        else {
            return Ok(false);
        };
        let Some((name, datatype)) = store.definition(slot) else {
            return Ok(false);
        };
        let value = match (value, datatype) {
            // The field already has the birth's type: nothing to reinterpret.
            (ValueRef::Double(x), DataType::Double) => Value::Double(x),
            (ValueRef::Float(x), DataType::Float) => Value::Float(x),
            (ValueRef::Boolean(x), DataType::Boolean) => Value::Boolean(x),
            (value, datatype) => {
                let natural = match value {
                    ValueRef::Int(x) => Value::UInt32(x),
                    ValueRef::Long(x) => Value::UInt64(x),
                    ValueRef::Float(x) => Value::Float(x),
                    ValueRef::Double(x) => Value::Double(x),
                    ValueRef::Boolean(x) => Value::Boolean(x),
                    _ => return Ok(false),
                };
                match natural.try_reinterpret(datatype) {
                    Ok(value) => value,
                    Err(_) => return Ok(false),
                }
            }
        };
        decoder.count_one()?;
        self.updates.push(MetricUpdate::plain(
            Arc::clone(name),
            datatype,
            alias,
            metric.timestamp(),
            value,
            metric.is_historical(),
            metric.is_transient(),
        ));
        self.slots.push(Some(slot));
        Ok(true)
    }
}
