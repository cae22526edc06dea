//! What the host knows of each edge node and device: presence, bdSeq, the birth's alias table,
//! and the last value and quality of every metric.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::event::MetricUpdate;
use super::inbound::Held;
use super::rebirth::RebirthLimiter;
use super::reorder::SeqTracker;
use crate::session::{BdSeq, Timestamp};
use crate::topic::{DeviceId, EdgeNodeId, GroupId};
use crate::{AliasTable, DataType, Metric, Payload, PropertySet, Quality, TemplateCatalog, Value};

/// Whether an edge node or device is online, as far as the host knows.
///
/// ```text
///                    birth                       death: NDEATH with the current bdSeq,
///  AwaitingRebirth ─────────► Online ──────────► Offline  DDEATH, or (a device) its node's
///        ▲                     │  ▲                 │      new NBIRTH
///        │ host lost its       │  └───── birth ─────┘
///        └──── broker ─────────┘
/// ```
/// A node or device seen for the first time through a message other than its birth starts in
/// `AwaitingRebirth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Presence {
    /// No current birth: never seen born, or the host lost its broker connection since. Its
    /// metrics, if any, are STALE.
    AwaitingRebirth,
    /// Born, and no death since.
    Online,
    /// Dead (NDEATH or DDEATH, or a device whose node was born again without it); its metrics
    /// are STALE.
    Offline,
}

/// The last known state of one metric.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricState {
    /// The name from the birth.
    pub name: String,
    /// The alias from the birth, if it gave one.
    pub alias: Option<u64>,
    /// The datatype from the birth.
    pub datatype: DataType,
    /// The last live value; `None` when it is null.
    pub value: Option<Value>,
    /// The edge's timestamp of that value (UTC ms).
    pub timestamp: Option<u64>,
    /// The properties that came with the value.
    pub properties: Option<PropertySet>,
    /// The quality: GOOD from the birth on (or what the `Quality` property says), STALE after a
    /// death or a lost connection.
    pub quality: Quality,
    /// When the quality last changed: host receive time, or the DDEATH payload timestamp
    /// (`tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-tags-stale`).
    pub quality_since: Timestamp,
}

/// The quality a received metric carries: its `Quality` property, GOOD without one, BAD when the
/// property is not a valid code.
pub(super) fn quality_of(metric: &Metric) -> Quality {
    metric
        .properties
        .as_ref()
        .map_or(Some(Quality::Good), PropertySet::quality)
        .unwrap_or(Quality::Bad)
}

/// The metrics of one birth, in birth order, with their last values.
#[derive(Debug, Clone, Default)]
pub(super) struct MetricSet {
    metrics: Vec<MetricState>,
    /// The name of each metric, shared with the [`MetricUpdate`](super::MetricUpdate)s that
    /// name it.
    names: Vec<Arc<str>>,
    by_name: HashMap<Arc<str>, usize>,
    /// The metric of each definition of the birth's alias table, by the definition's position:
    /// live data is resolved through that table, so its updates find their metric without
    /// hashing the name again.
    by_definition: Vec<Option<usize>>,
}

impl MetricSet {
    /// The metrics a birth declares (those with a name and a datatype), received at `at`.
    /// Template definitions are not metrics: they are the node's
    /// [`TemplateCatalog`](crate::TemplateCatalog), never values.
    pub(super) fn from_birth(birth: &Payload, at: Timestamp) -> Self {
        let mut set = MetricSet::default();
        for metric in &birth.metrics {
            if crate::template::is_definition(metric) {
                continue;
            }
            let (Some(name), Some(datatype)) = (&metric.name, metric.datatype) else {
                continue;
            };
            let state = MetricState {
                name: name.clone(),
                alias: metric.alias,
                datatype,
                value: if metric.is_null {
                    None
                } else {
                    metric.value.clone()
                },
                timestamp: metric.timestamp,
                properties: metric.properties.clone(),
                quality: quality_of(metric),
                quality_since: at,
            };
            match set.by_name.get(name.as_str()) {
                Some(&i) => set.metrics[i] = state,
                None => {
                    let shared: Arc<str> = Arc::from(name.as_str());
                    set.by_name.insert(Arc::clone(&shared), set.metrics.len());
                    set.names.push(shared);
                    set.metrics.push(state);
                }
            }
        }
        set
    }

    /// Links each definition of `table` (the alias table of the same birth) to its metric, for
    /// [`MetricSet::update_definition`].
    pub(super) fn index_definitions(&mut self, table: &AliasTable) {
        self.by_definition = table
            .iter()
            .map(|d| self.by_name.get(d.name.as_str()).copied())
            .collect();
    }

    /// The position of the metric that definition `definition` of the birth's alias table
    /// names (see [`MetricSet::index_definitions`]), or of the metric named `name`.
    pub(super) fn slot(&self, definition: usize, name: &str) -> Option<usize> {
        match self.by_definition.get(definition) {
            Some(Some(i)) => Some(*i),
            _ => self.by_name.get(name).copied(),
        }
    }

    /// The position of the metric that definition `definition` of the birth's alias table
    /// names, if [`MetricSet::index_definitions`] linked it.
    #[inline]
    pub(super) fn slot_of_definition(&self, definition: usize) -> Option<usize> {
        self.by_definition.get(definition).copied().flatten()
    }

    /// The metric named `name`, by position.
    pub(super) fn slot_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The shared name and the datatype of the metric at `slot`.
    #[inline]
    pub(super) fn definition(&self, slot: usize) -> Option<(&Arc<str>, DataType)> {
        Some((self.names.get(slot)?, self.metrics.get(slot)?.datatype))
    }

    /// Takes a live metric for the metric at `slot`, received at `at`.
    pub(super) fn update_slot(&mut self, slot: usize, metric: &MetricUpdate, at: Timestamp) {
        if let Some(state) = self.metrics.get_mut(slot) {
            apply(state, metric, at);
        }
    }
}

/// Sets a metric's live value, timestamp, properties and quality from a received update.
fn apply(state: &mut MetricState, update: &MetricUpdate, at: Timestamp) {
    if update.is_null() {
        state.value = None;
    } else if let Some(value) = update.value() {
        set_live(&mut state.value, value);
    }
    if update.timestamp().is_some() {
        state.timestamp = update.timestamp();
    }
    match (&mut state.properties, update.properties()) {
        (None, None) => {}
        (old, new) => *old = new.cloned(),
    }
    let quality = update.quality();
    if quality != state.quality {
        state.quality = quality;
        state.quality_since = at;
    }
}

/// Copies `value` into a live value. Scalars (what live data mostly is) are copied without a
/// call to `clone`, and a scalar they replace needs no drop.
#[inline]
fn set_live(live: &mut Option<Value>, value: &Value) {
    let scalar = match *value {
        Value::Int8(x) => Value::Int8(x),
        Value::Int16(x) => Value::Int16(x),
        Value::Int32(x) => Value::Int32(x),
        Value::Int64(x) => Value::Int64(x),
        Value::UInt8(x) => Value::UInt8(x),
        Value::UInt16(x) => Value::UInt16(x),
        Value::UInt32(x) => Value::UInt32(x),
        Value::UInt64(x) => Value::UInt64(x),
        Value::Float(x) => Value::Float(x),
        Value::Double(x) => Value::Double(x),
        Value::Boolean(x) => Value::Boolean(x),
        Value::DateTime(x) => Value::DateTime(x),
        _ => {
            *live = Some(value.clone());
            return;
        }
    };
    match live {
        // A scalar owns nothing: forgetting it frees nothing.
        Some(old) if is_scalar(old) => core::mem::forget(core::mem::replace(old, scalar)),
        _ => *live = Some(scalar),
    }
}

/// Whether a value owns no heap memory.
#[inline]
fn is_scalar(value: &Value) -> bool {
    matches!(
        value,
        Value::Int8(_)
            | Value::Int16(_)
            | Value::Int32(_)
            | Value::Int64(_)
            | Value::UInt8(_)
            | Value::UInt16(_)
            | Value::UInt32(_)
            | Value::UInt64(_)
            | Value::Float(_)
            | Value::Double(_)
            | Value::Boolean(_)
            | Value::DateTime(_)
    )
}

impl MetricSet {
    /// Marks every metric STALE at `at` (those already STALE keep their time).
    pub(super) fn mark_stale(&mut self, at: Timestamp) {
        for state in &mut self.metrics {
            if state.quality != Quality::Stale {
                state.quality = Quality::Stale;
                state.quality_since = at;
            }
        }
    }

    pub(super) fn get(&self, name: &str) -> Option<&MetricState> {
        self.by_name.get(name).and_then(|&i| self.metrics.get(i))
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &MetricState> {
        self.metrics.iter()
    }
}

/// What the host knows of one device.
#[derive(Debug, Clone)]
pub struct DeviceState {
    pub(super) id: DeviceId,
    pub(super) presence: Presence,
    pub(super) since: Timestamp,
    pub(super) aliases: AliasTable,
    pub(super) metrics: MetricSet,
}

impl DeviceState {
    pub(super) fn new(id: DeviceId, now: Timestamp) -> Self {
        DeviceState {
            id,
            presence: Presence::AwaitingRebirth,
            since: now,
            aliases: AliasTable::new(),
            metrics: MetricSet::default(),
        }
    }

    /// Online, offline or awaiting a rebirth.
    pub fn presence(&self) -> Presence {
        self.presence
    }

    /// Whether the device is online.
    pub fn is_online(&self) -> bool {
        self.presence == Presence::Online
    }

    /// When the presence last changed: DBIRTH receive time, DDEATH payload timestamp, or host
    /// receive time of the node's NDEATH or NBIRTH.
    pub fn since(&self) -> Timestamp {
        self.since
    }

    /// A metric by its birth name.
    pub fn metric(&self, name: &str) -> Option<&MetricState> {
        self.metrics.get(name)
    }

    /// Every metric of the last DBIRTH, in birth order.
    pub fn metrics(&self) -> impl Iterator<Item = &MetricState> {
        self.metrics.iter()
    }

    /// The names, aliases and datatypes of the last DBIRTH.
    pub fn aliases(&self) -> &AliasTable {
        &self.aliases
    }

    /// Changes presence at `at`; leaving `Online` marks the metrics STALE. `false` when the
    /// presence already was `presence`.
    pub(super) fn go(&mut self, presence: Presence, at: Timestamp) -> bool {
        if self.presence == presence {
            return false;
        }
        self.presence = presence;
        self.since = at;
        if presence != Presence::Online {
            self.metrics.mark_stale(at);
        }
        true
    }
}

/// What the host knows of one edge node and its devices.
#[derive(Debug, Clone)]
pub struct NodeState {
    pub(super) group: GroupId,
    pub(super) id: EdgeNodeId,
    pub(super) presence: Presence,
    pub(super) since: Timestamp,
    pub(super) bd_seq: Option<BdSeq>,
    pub(super) born: bool,
    pub(super) aliases: AliasTable,
    pub(super) metrics: MetricSet,
    /// The template definitions of the current NBIRTH.
    pub(super) templates: Arc<TemplateCatalog>,
    pub(super) devices: BTreeMap<DeviceId, DeviceState>,
    pub(super) seq: SeqTracker<Held>,
    pub(super) rebirth: RebirthLimiter,
}

impl NodeState {
    pub(super) fn new(group: GroupId, id: EdgeNodeId, now: Timestamp) -> Self {
        NodeState {
            group,
            id,
            presence: Presence::AwaitingRebirth,
            since: now,
            bd_seq: None,
            born: false,
            aliases: AliasTable::new(),
            metrics: MetricSet::default(),
            templates: Arc::default(),
            devices: BTreeMap::new(),
            seq: SeqTracker::default(),
            rebirth: RebirthLimiter::default(),
        }
    }

    /// Online, offline or awaiting a rebirth.
    pub fn presence(&self) -> Presence {
        self.presence
    }

    /// Whether the node is online.
    pub fn is_online(&self) -> bool {
        self.presence == Presence::Online
    }

    /// When the presence last changed, in host receive time (NBIRTH, NDEATH, lost connection).
    pub fn since(&self) -> Timestamp {
        self.since
    }

    /// The bdSeq of the last NBIRTH (`None` before one, or when it had none).
    pub fn bd_seq(&self) -> Option<BdSeq> {
        self.bd_seq
    }

    /// The seq the host expects next (`None` when it is not synchronised).
    pub fn expected_seq(&self) -> Option<crate::session::Seq> {
        self.seq.expected()
    }

    /// How many out-of-order messages are held, waiting for a gap to fill.
    pub fn held_messages(&self) -> usize {
        self.seq.held()
    }

    /// A node metric by its birth name.
    pub fn metric(&self, name: &str) -> Option<&MetricState> {
        self.metrics.get(name)
    }

    /// Every metric of the last NBIRTH, in birth order.
    pub fn metrics(&self) -> impl Iterator<Item = &MetricState> {
        self.metrics.iter()
    }

    /// The names, aliases and datatypes of the last NBIRTH.
    pub fn aliases(&self) -> &AliasTable {
        &self.aliases
    }

    /// The template definitions of the last NBIRTH: the node's template catalogue, against
    /// which the instances of the node and its devices are resolved (their parameters with
    /// the definitions' defaults: [`TemplateCatalog::parameters`]).
    pub fn templates(&self) -> &TemplateCatalog {
        &self.templates
    }

    /// A device of this node.
    pub fn device(&self, device: &DeviceId) -> Option<&DeviceState> {
        self.devices.get(device)
    }

    /// Every device ever born on this node, by id.
    pub fn devices(&self) -> impl Iterator<Item = (&DeviceId, &DeviceState)> {
        self.devices.iter()
    }

    /// Changes presence at `at`; leaving `Online` marks the metrics STALE. `false` when the
    /// presence already was `presence`.
    pub(super) fn go(&mut self, presence: Presence, at: Timestamp) -> bool {
        if self.presence == presence {
            return false;
        }
        self.presence = presence;
        self.since = at;
        if presence != Presence::Online {
            self.metrics.mark_stale(at);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PropertyValue;
    use crate::property::QUALITY;

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    fn birth() -> Payload {
        Payload::new(1)
            .with_seq(0)
            .with_metric(Metric::new("bdSeq", 0i64).with_timestamp(1))
            .with_metric(Metric::new("Temp", 1.5).with_alias(1).with_timestamp(1))
            .with_metric(Metric::null("Note", DataType::String).with_timestamp(1))
            .with_metric(Metric::aliased(9, 1.0))
    }

    #[test]
    fn a_birth_gives_good_metrics_and_skips_unnamed_ones() {
        let set = MetricSet::from_birth(&birth(), t(5));
        assert_eq!(set.iter().count(), 3);
        let temp = set.get("Temp").unwrap();
        assert_eq!(
            (temp.alias, temp.datatype, &temp.value),
            (Some(1), DataType::Double, &Some(Value::Double(1.5)))
        );
        assert_eq!((temp.quality, temp.quality_since), (Quality::Good, t(5)));
        assert_eq!(set.get("Note").unwrap().value, None);
    }

    /// The update the host would make of `metric` for the metric at `slot`.
    fn update_for(set: &MetricSet, slot: usize, metric: Metric) -> MetricUpdate {
        let (name, datatype) = set.definition(slot).unwrap();
        let quality = quality_of(&metric);
        MetricUpdate::new(Arc::clone(name), datatype, metric, quality)
    }

    #[test]
    fn updates_keep_values_and_track_quality() {
        let mut set = MetricSet::from_birth(&birth(), t(5));
        let slot = set.slot_of("Temp").unwrap();
        let bad = PropertySet::new().with(QUALITY, PropertyValue::new(Quality::Bad.code()));
        let mut m = Metric::aliased(1, 2.5)
            .with_timestamp(7)
            .with_properties(bad);
        set.update_slot(slot, &update_for(&set, slot, m.clone()), t(8));
        let temp = set.get("Temp").unwrap();
        assert_eq!(temp.value, Some(Value::Double(2.5)));
        assert_eq!(
            (temp.quality, temp.quality_since, temp.timestamp),
            (Quality::Bad, t(8), Some(7))
        );
        assert!(temp.properties.is_some());
        m.properties = None;
        m.is_null = true;
        m.value = None;
        m.timestamp = None;
        set.update_slot(slot, &update_for(&set, slot, m), t(9));
        let temp = set.get("Temp").unwrap();
        assert_eq!((&temp.value, &temp.properties), (&None, &None));
        assert_eq!((temp.quality, temp.timestamp), (Quality::Good, Some(7)));
        // A value where there was none, and a slot the set does not have.
        let note = set.slot_of("Note").unwrap();
        set.update_slot(
            note,
            &update_for(&set, note, Metric::aliased(2, "hi")),
            t(9),
        );
        assert_eq!(set.get("Note").unwrap().value, Some(Value::from("hi")));
        set.update_slot(99, &update_for(&set, note, Metric::aliased(2, "x")), t(9));
        assert_eq!(set.iter().count(), 3);
    }

    #[test]
    fn definitions_find_the_same_metric_as_names() {
        let birth = birth();
        let table = crate::AliasTable::from_birth(&Payload {
            // The unnamed metric cannot be in an alias table.
            metrics: birth.metrics[..3].to_vec(),
            ..birth.clone()
        })
        .unwrap();
        let mut set = MetricSet::from_birth(&birth, t(5));
        set.index_definitions(&table);
        let mut m = Metric::aliased(1, 4.5).with_timestamp(8);
        let definition = table.resolve_unnamed(&mut m).unwrap();
        assert_eq!(m.name, None);
        let slot = set.slot(definition, "Temp").unwrap();
        assert_eq!(Some(slot), set.slot_of("Temp"));
        let (name, datatype) = set.definition(slot).unwrap();
        assert_eq!((&**name, datatype), ("Temp", DataType::Double));
        // An index the set does not know falls back to the name.
        assert_eq!(set.slot(99, "Temp"), Some(slot));
        assert_eq!(set.slot(99, "Nope"), None);
    }

    /// tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-tags-stale
    #[test]
    fn going_offline_marks_stale_once() {
        let (group, id) = (GroupId::new("G").unwrap(), EdgeNodeId::new("E").unwrap());
        let mut node = NodeState::new(group, id, t(0));
        node.metrics = MetricSet::from_birth(&birth(), t(1));
        assert!(node.go(Presence::Online, t(1)));
        assert!(!node.go(Presence::Online, t(2)));
        assert!(node.go(Presence::Offline, t(3)));
        assert!(
            node.metrics()
                .all(|m| m.quality == Quality::Stale && m.quality_since == t(3))
        );
        node.metrics.mark_stale(t(4));
        assert_eq!(node.metric("Temp").unwrap().quality_since, t(3));
        assert_eq!((node.presence(), node.since()), (Presence::Offline, t(3)));
    }

    #[test]
    fn invalid_quality_codes_are_bad() {
        let odd = PropertySet::new().with(QUALITY, PropertyValue::new(7i32));
        assert_eq!(
            quality_of(&Metric::new("x", 1.0).with_properties(odd)),
            Quality::Bad
        );
        assert_eq!(quality_of(&Metric::new("x", 1.0)), Quality::Good);
    }
}
