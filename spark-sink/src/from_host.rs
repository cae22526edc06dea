//! [`RecordBuilder`]: what a Sparkplug host application reports, as [`Record`]s.
//!
//! The mapping and the choices it makes are documented on [`RecordBuilder`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sparkplug_b::session::host::{DeviceOfflineCause, MetricUpdate, RebirthReason};
use sparkplug_b::session::{BdSeq, HostEvent};
use sparkplug_b::topic::MessageType;
use sparkplug_b::{DataType, Metric, Quality, TemplateCatalog, Value};

use crate::record::{
    AcceptanceWindow, Batch, Birth, CatalogueEntry, Event, EventKind, Record, Sample, Source,
};

/// Counts of what the builder produced and skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuilderStats {
    /// Samples produced.
    pub samples: u64,
    /// Births produced.
    pub births: u64,
    /// Events produced.
    pub events: u64,
    /// Metrics not stored because they were sent with `is_transient`.
    pub transient_skipped: u64,
    /// Metrics not stored because they had no name.
    pub unnamed_skipped: u64,
    /// Samples whose metric time is outside the [`AcceptanceWindow`]: stored, flagged
    /// ([`Sample::outside_window`]).
    pub outside_window: u64,
    /// Violations not stored one by one but counted in their window's summary event.
    pub violations_summarised: u64,
}

/// How long violations of one rule by one edge node are summed up into one event
/// ([`RecordBuilder`]): 10 s.
pub const VIOLATION_WINDOW_MS: i64 = 10_000;

/// Most (source, rule) pairs summed up at a time; one more flushes every summary first, so a
/// flood of distinct junk costs bounded memory.
const MAX_VIOLATION_KEYS: usize = 4096;

/// The tally key of rebirth requests to nodes never born (not a `tck-id-*`, so no rule's).
const REBIRTH_KEY: &str = "rebirth_requested";

/// The record of a tally's first or summary event.
fn tally_kind(key: &str, detail: String) -> EventKind {
    if key == REBIRTH_KEY {
        EventKind::RebirthRequested { reason: detail }
    } else {
        EventKind::Violation {
            tck_id: key.to_owned(),
            detail,
        }
    }
}

/// The violations of one rule by one source (or by none) in the current window, after the
/// first, which was stored at once.
#[derive(Debug)]
struct ViolationTally {
    window_start_ms: i64,
    more: u64,
    last_ms: i64,
    last_detail: String,
}

/// Turns [`HostEvent`]s into [`Record`]s.
///
/// The host application (`sparkplug_b::session::HostApplication`) resolves aliases, checks
/// sequence numbers and tracks births; it reports what happened as
/// [`HostEvent`]s. The builder turns each into records for a sink:
///
/// | host event | records |
/// |---|---|
/// | `Metrics` (NBIRTH, DBIRTH) | one [`Birth`] (the metric catalogue), then one [`Sample`] per metric |
/// | `Metrics` (NDATA, DDATA) | one [`Sample`] per metric |
/// | `NodeOnline`, `DeviceOnline` | an [`EventKind::Online`] event |
/// | `NodeOffline`, `DeviceOffline` | an [`EventKind::Offline`] event (`NDEATH`, `DDEATH`, `node death`, `node rebirth`) |
/// | `ConnectionLost` | an [`EventKind::Offline`] event (`connection lost`) for every node and device online until then |
/// | `SeqGap` | an [`EventKind::SeqGap`] event |
/// | `RebirthRequested` | an [`EventKind::RebirthRequested`] event |
/// | `Violation` | an [`EventKind::Violation`] event, its id prefixed `tck-id-`: the first of each rule and source in a window of [`VIOLATION_WINDOW_MS`], then one summary with the count of the rest |
/// | `DuplicateNodeBirth` | a violation of `tck-id-topic-structure-namespace-unique-edge-node-descriptor`, summed up the same way |
/// | `NodeTemplates` | nothing of its own: the definitions go with the NBIRTH's [`Birth`] (`templates`) |
/// | anything else (STATE, suppressed rebirths, stale NDEATHs) | nothing |
///
/// Choices the Sparkplug specification leaves to the host:
/// - Metrics sent with `is_transient` are *not* stored: the flag means "do not historize"
///   (SPARKPLUG.md 3.7). They are counted ([`BuilderStats::transient_skipped`]);
///   [`RecordBuilder::with_transient`] stores them anyway.
/// - A Template value is stored whole (as the complex value it is) *and* each member as its own
///   sample named `Template/member` (recursively for nested templates), so a member can be
///   queried like any other metric.
/// - The sample time is the metric's timestamp, else the payload's, else the receive time.
///   A sample time outside the [`AcceptanceWindow`] around the receive time (by default more
///   than 5 minutes ahead) is kept but flagged ([`Sample::outside_window`]) and counted
///   ([`BuilderStats::outside_window`]): it never becomes a latest value.
/// - A metric without a name (an alias the host could not resolve never reaches here, so this
///   is defensive) is skipped and counted ([`BuilderStats::unnamed_skipped`]).
///
/// Events never make an edge node out of junk: a violation or rebirth request about a node
/// the builder has not seen born (an `NodeOnline`) names no source (so no store lists it as a
/// node); its group, node and device are at the front of the detail instead. Violations are
/// summed up per source, rule and window, so a flood of bad messages costs at most two event
/// records per rule and node every [`VIOLATION_WINDOW_MS`]; call
/// [`RecordBuilder::flush_violations`] now and then so that the summaries of quiet windows are
/// written too.
///
/// Sources and metric names are interned: every sample of one node shares one
/// `Arc<Source>`, and every sample of one metric name one `Arc<str>`, so a steady stream does
/// not allocate for them.
///
/// ```
/// use spark_sink::{Batch, RecordBuilder};
/// use sparkplug_b::session::{HostEvent, Timestamp};
///
/// let mut builder = RecordBuilder::new();
/// let mut batch = Batch::new();
/// builder.push_event(&HostEvent::ConnectionLost { at: Timestamp::from_millis(1) }, &mut batch);
/// assert!(batch.is_empty(), "no node was online");
/// ```
#[derive(Debug, Default)]
pub struct RecordBuilder {
    /// group -> node -> the node's source and its devices' sources.
    sources: HashMap<String, HashMap<String, NodeSources>>,
    /// Interned metric names.
    names: HashSet<Arc<str>>,
    /// Sources online since their last birth, for `ConnectionLost`.
    online: HashSet<Arc<Source>>,
    store_transient: bool,
    /// Which metric times count as current.
    window: AcceptanceWindow,
    /// Violations being summed up, by source and rule.
    violations: HashMap<(Option<Arc<Source>>, String), ViolationTally>,
    /// The template definitions of an NBIRTH ([`HostEvent::NodeTemplates`]), until its
    /// `Metrics` event makes the birth record that carries them.
    pending_templates: HashMap<Arc<Source>, Arc<TemplateCatalog>>,
    /// The latest host time seen, for events that carry none.
    last_time_ms: i64,
    stats: BuilderStats,
}

#[derive(Debug)]
struct NodeSources {
    node: Arc<Source>,
    devices: HashMap<String, Arc<Source>>,
}

impl RecordBuilder {
    /// A builder that skips transient metrics.
    pub fn new() -> Self {
        RecordBuilder::default()
    }

    /// Whether metrics sent with `is_transient` are stored (default: not).
    pub fn with_transient(mut self, store: bool) -> Self {
        self.store_transient = store;
        self
    }

    /// Sets the acceptance window around the receive time (default
    /// [`AcceptanceWindow::default`]): samples outside it are flagged
    /// ([`Sample::outside_window`]) and counted ([`BuilderStats::outside_window`]).
    pub fn with_acceptance_window(mut self, window: AcceptanceWindow) -> Self {
        self.window = window;
        self
    }

    /// The acceptance window.
    pub fn acceptance_window(&self) -> AcceptanceWindow {
        self.window
    }

    /// What the builder produced so far.
    pub fn stats(&self) -> BuilderStats {
        self.stats
    }

    /// Appends the records for `event` to `batch`; returns how many. Events that carry no time
    /// of their own (seq gaps, rebirth requests, violations) are stamped with the latest host
    /// time seen in an earlier event; [`RecordBuilder::push_event_at`] gives one instead.
    pub fn push_event(&mut self, event: &HostEvent, batch: &mut Batch) -> usize {
        let now = self.last_time_ms;
        self.push_event_at(event, now, batch)
    }

    /// [`RecordBuilder::push_event`], stamping events that carry no time with `now_ms`
    /// (milliseconds since the Unix epoch).
    pub fn push_event_at(&mut self, event: &HostEvent, now_ms: i64, batch: &mut Batch) -> usize {
        let before = batch.len();
        self.last_time_ms = self.last_time_ms.max(now_ms);
        match event {
            HostEvent::Metrics {
                group,
                node,
                device,
                message_type,
                bd_seq,
                seq,
                received_at,
                timestamp,
                metrics,
                ..
            } => {
                let received_at_ms = self.observe(received_at.as_millis());
                let source = self.source(group.as_str(), node.as_str(), device_str(device));
                let ctx = SampleContext {
                    source: &source,
                    default_ts: timestamp.map_or(received_at_ms, millis),
                    seq: seq.map(|s| s.value()),
                    bd_seq: bd_seq.map(bd_seq_u64),
                    received_at_ms,
                };
                if matches!(message_type, MessageType::NBirth | MessageType::DBirth) {
                    let metrics = metrics
                        .iter()
                        .map(|update| CatalogueEntry {
                            metric: Arc::clone(update.shared_name()),
                            alias: update.alias(),
                            datatype: update.datatype(),
                            properties: update.properties().cloned(),
                        })
                        .collect();
                    let templates = if *message_type == MessageType::NBirth {
                        self.pending_templates.remove(&source).unwrap_or_default()
                    } else {
                        Arc::default()
                    };
                    batch.push(Record::Birth(Birth {
                        source: Arc::clone(&source),
                        bd_seq: ctx.bd_seq,
                        timestamp_ms: ctx.default_ts,
                        received_at_ms,
                        metrics,
                        templates,
                    }));
                    self.stats.births += 1;
                }
                for update in metrics {
                    self.push_update(&ctx, update, batch);
                }
            }
            HostEvent::NodeOnline {
                group,
                node,
                bd_seq,
                at,
            } => {
                let at = self.observe(at.as_millis());
                let source = self.source(group.as_str(), node.as_str(), None);
                self.online.insert(Arc::clone(&source));
                self.event(batch, Some(source), EventKind::Online, *bd_seq, at);
            }
            HostEvent::NodeOffline {
                group,
                node,
                bd_seq,
                at,
            } => {
                let at = self.observe(at.as_millis());
                let source = self.source(group.as_str(), node.as_str(), None);
                self.online.remove(&source);
                let kind = offline("NDEATH");
                self.event(batch, Some(source), kind, *bd_seq, at);
            }
            HostEvent::DeviceOnline {
                group,
                node,
                device,
                at,
            } => {
                let at = self.observe(at.as_millis());
                let source = self.source(group.as_str(), node.as_str(), Some(device.as_str()));
                self.online.insert(Arc::clone(&source));
                self.event(batch, Some(source), EventKind::Online, None, at);
            }
            HostEvent::DeviceOffline {
                group,
                node,
                device,
                at,
                cause,
            } => {
                let at = self.observe(at.as_millis());
                let source = self.source(group.as_str(), node.as_str(), Some(device.as_str()));
                self.online.remove(&source);
                let kind = offline(match cause {
                    DeviceOfflineCause::DeviceDeath => "DDEATH",
                    DeviceOfflineCause::NodeDeath => "node death",
                    DeviceOfflineCause::NodeRebirth => "node rebirth",
                    _ => "offline",
                });
                self.event(batch, Some(source), kind, None, at);
            }
            HostEvent::ConnectionLost { at } => {
                let at = self.observe(at.as_millis());
                let mut gone: Vec<Arc<Source>> = self.online.drain().collect();
                gone.sort();
                for source in gone {
                    self.event(batch, Some(source), offline("connection lost"), None, at);
                }
            }
            HostEvent::SeqGap {
                group,
                node,
                bd_seq,
                expected,
                received,
            } => {
                let source = self.source(group.as_str(), node.as_str(), None);
                let kind = EventKind::SeqGap {
                    expected: expected.value(),
                    received: received.value(),
                };
                let at = self.last_time_ms;
                self.event(batch, Some(source), kind, *bd_seq, at);
            }
            HostEvent::RebirthRequested {
                group,
                node,
                reason,
            } => {
                let (source, about) = self.known_source(group.as_str(), node.as_str(), None);
                let reason = format!("{about}{}", rebirth_reason(reason));
                let at = self.last_time_ms;
                match source {
                    Some(source) => {
                        let kind = EventKind::RebirthRequested { reason };
                        self.event(batch, Some(source), kind, None, at);
                    }
                    // Requests to nodes never born (junk ids) are summed up like violations.
                    None => self.violation(batch, None, REBIRTH_KEY.to_owned(), reason, at),
                }
            }
            HostEvent::NodeTemplates {
                group,
                node,
                templates,
                ..
            } => {
                let source = self.source(group.as_str(), node.as_str(), None);
                self.pending_templates.insert(source, Arc::clone(templates));
            }
            HostEvent::Violation {
                group,
                node,
                device,
                message_type,
                tck_id,
                detail,
                ..
            } => {
                let (source, about) = match (group, node) {
                    (Some(g), Some(n)) => {
                        self.known_source(g.as_str(), n.as_str(), device_str(device))
                    }
                    _ => (None, String::new()),
                };
                let detail = match message_type {
                    Some(t) => format!("{about}{t}: {detail}"),
                    None => format!("{about}{detail}"),
                };
                let at = self.last_time_ms;
                self.violation(batch, source, format!("tck-id-{tck_id}"), detail, at);
            }
            HostEvent::DuplicateNodeBirth {
                group,
                node,
                current_bd_seq,
                new_bd_seq,
                at,
                ..
            } => {
                let at = self.observe(at.as_millis());
                let (source, about) = self.known_source(group.as_str(), node.as_str(), None);
                let bd = |b: &Option<BdSeq>| b.map_or("none".to_owned(), |b| b.value().to_string());
                let detail = format!(
                    "{about}NBIRTH with bdSeq {} while the session of bdSeq {} is live: a second \
                     client with this edge node id?",
                    bd(new_bd_seq),
                    bd(current_bd_seq)
                );
                let tck_id = "tck-id-topic-structure-namespace-unique-edge-node-descriptor";
                self.violation(batch, source, tck_id.to_owned(), detail, at);
            }
            _ => {}
        }
        batch.len() - before
    }

    /// Writes the summaries of the violation windows that ended by `now_ms` (milliseconds
    /// since the Unix epoch); returns how many records it appended.
    pub fn flush_violations(&mut self, now_ms: i64, batch: &mut Batch) -> usize {
        let before = batch.len();
        let mut due: Vec<_> = self
            .violations
            .iter()
            .filter(|(_, t)| now_ms >= t.window_start_ms.saturating_add(VIOLATION_WINDOW_MS))
            .map(|(key, _)| key.clone())
            .collect();
        due.sort();
        for key in due {
            if let Some(tally) = self.violations.remove(&key) {
                self.summary(batch, key, tally);
            }
        }
        batch.len() - before
    }

    /// Writes every violation summary, ended or not (at shutdown).
    pub fn finish_violations(&mut self, batch: &mut Batch) -> usize {
        self.flush_violations(i64::MAX, batch)
    }

    /// One violation at `at`: stored if it is the first of its source and rule in a window,
    /// counted for the window's summary otherwise.
    fn violation(
        &mut self,
        batch: &mut Batch,
        source: Option<Arc<Source>>,
        tck_id: String,
        detail: String,
        at: i64,
    ) {
        let key = (source, tck_id);
        if let Some(tally) = self.violations.get_mut(&key) {
            if at < tally.window_start_ms.saturating_add(VIOLATION_WINDOW_MS) {
                tally.more += 1;
                tally.last_ms = tally.last_ms.max(at);
                tally.last_detail = detail;
                self.stats.violations_summarised += 1;
                return;
            }
            if let Some(tally) = self.violations.remove(&key) {
                self.summary(batch, key.clone(), tally);
            }
        } else if self.violations.len() >= MAX_VIOLATION_KEYS {
            self.finish_violations(batch);
        }
        let (source, tck_id) = key;
        let kind = tally_kind(&tck_id, detail);
        self.event(batch, source.clone(), kind, None, at);
        let tally = ViolationTally {
            window_start_ms: at,
            more: 0,
            last_ms: at,
            last_detail: String::new(),
        };
        self.violations.insert((source, tck_id), tally);
    }

    /// The summary of a window's violations after its first, if there were any.
    fn summary(
        &mut self,
        batch: &mut Batch,
        (source, tck_id): (Option<Arc<Source>>, String),
        tally: ViolationTally,
    ) {
        if tally.more == 0 {
            return;
        }
        let detail = format!(
            "{} more like it within {} s of {} ms (summed up); the last: {}",
            tally.more,
            VIOLATION_WINDOW_MS / 1000,
            tally.window_start_ms,
            tally.last_detail
        );
        let kind = tally_kind(&tck_id, detail);
        self.event(batch, source, kind, None, tally.last_ms);
    }

    /// The source of a node (or its device) seen born, or none and the ids as words for the
    /// front of a detail: junk about an unknown node must not make it a node.
    fn known_source(
        &self,
        group: &str,
        node: &str,
        device: Option<&str>,
    ) -> (Option<Arc<Source>>, String) {
        let known = self.sources.get(group).and_then(|nodes| nodes.get(node));
        match (known, device) {
            (Some(sources), None) => (Some(Arc::clone(&sources.node)), String::new()),
            (Some(sources), Some(device)) => match sources.devices.get(device) {
                Some(source) => (Some(Arc::clone(source)), String::new()),
                None => (
                    Some(Arc::clone(&sources.node)),
                    format!("device {device}: "),
                ),
            },
            (None, None) => (None, format!("{group}/{node}: ")),
            (None, Some(device)) => (None, format!("{group}/{node}/{device}: ")),
        }
    }

    /// Records `ms` as host time seen; returns it as `i64`.
    fn observe(&mut self, ms: u64) -> i64 {
        let ms = millis(ms);
        self.last_time_ms = self.last_time_ms.max(ms);
        ms
    }

    fn event(
        &mut self,
        batch: &mut Batch,
        source: Option<Arc<Source>>,
        kind: EventKind,
        bd_seq: Option<BdSeq>,
        timestamp_ms: i64,
    ) {
        batch.push(Record::Event(Event {
            source,
            kind,
            bd_seq: bd_seq.map(bd_seq_u64),
            timestamp_ms,
        }));
        self.stats.events += 1;
    }

    /// The shared source for a node or device, created on first use.
    fn source(&mut self, group: &str, node: &str, device: Option<&str>) -> Arc<Source> {
        if !self.sources.contains_key(group) {
            self.sources.insert(group.to_owned(), HashMap::new());
        }
        let nodes = self.sources.get_mut(group);
        let Some(nodes) = nodes else {
            // Inserted just above; a fresh source is still correct, only not shared.
            return Arc::new(new_source(group, node, device));
        };
        if !nodes.contains_key(node) {
            let sources = NodeSources {
                node: Arc::new(Source::node(group, node)),
                devices: HashMap::new(),
            };
            nodes.insert(node.to_owned(), sources);
        }
        let Some(sources) = nodes.get_mut(node) else {
            return Arc::new(new_source(group, node, device));
        };
        let Some(device) = device else {
            return Arc::clone(&sources.node);
        };
        if let Some(source) = sources.devices.get(device) {
            return Arc::clone(source);
        }
        let source = Arc::new(Source::device(group, node, device));
        sources
            .devices
            .insert(device.to_owned(), Arc::clone(&source));
        source
    }

    /// Whether a sample of metric time `timestamp_ms` is outside the acceptance window
    /// (counted).
    fn outside_window(
        &mut self,
        timestamp_ms: i64,
        ctx: &SampleContext<'_>,
        is_historical: bool,
    ) -> bool {
        let outside = !self
            .window
            .accepts(timestamp_ms, ctx.received_at_ms, is_historical);
        self.stats.outside_window += u64::from(outside);
        outside
    }

    /// The interned name.
    fn name(&mut self, name: &str) -> Arc<str> {
        if let Some(name) = self.names.get(name) {
            return Arc::clone(name);
        }
        let name: Arc<str> = Arc::from(name);
        self.names.insert(Arc::clone(&name));
        name
    }

    /// One metric of a host event: its name is the birth's, shared, so no interning.
    fn push_update(&mut self, ctx: &SampleContext<'_>, update: &MetricUpdate, batch: &mut Batch) {
        if update.is_transient() && !self.store_transient {
            self.stats.transient_skipped += 1;
            return;
        }
        let value = if update.is_null() {
            None
        } else {
            update.value().cloned()
        };
        let timestamp_ms = update.timestamp().map_or(ctx.default_ts, millis);
        let quality = update.quality();
        batch.push(Record::Sample(Sample {
            source: Arc::clone(ctx.source),
            metric: Arc::clone(update.shared_name()),
            datatype: update.datatype(),
            timestamp_ms,
            value,
            is_historical: update.is_historical(),
            quality,
            seq: ctx.seq,
            bd_seq: ctx.bd_seq,
            received_at_ms: ctx.received_at_ms,
            outside_window: self.outside_window(timestamp_ms, ctx, update.is_historical()),
        }));
        self.stats.samples += 1;
        if let (Some(Value::Template(template)), false) = (update.value(), update.is_null()) {
            let member_ctx = SampleContext {
                default_ts: timestamp_ms,
                ..*ctx
            };
            for member in &template.metrics {
                self.push_metric(&member_ctx, Some(update.name()), member, quality, batch);
            }
        }
    }

    fn push_metric(
        &mut self,
        ctx: &SampleContext<'_>,
        parent: Option<&str>,
        metric: &Metric,
        quality: Quality,
        batch: &mut Batch,
    ) {
        if metric.is_transient && !self.store_transient {
            self.stats.transient_skipped += 1;
            return;
        }
        let Some(own_name) = metric.name.as_deref() else {
            self.stats.unnamed_skipped += 1;
            return;
        };
        let path;
        let full_name = match parent {
            Some(parent) => {
                path = format!("{parent}/{own_name}");
                path.as_str()
            }
            None => own_name,
        };
        let name = self.name(full_name);
        let value = if metric.is_null {
            None
        } else {
            metric.value.clone()
        };
        let timestamp_ms = metric.timestamp.map_or(ctx.default_ts, millis);
        batch.push(Record::Sample(Sample {
            source: Arc::clone(ctx.source),
            metric: name,
            datatype: datatype_of(metric),
            timestamp_ms,
            value,
            is_historical: metric.is_historical,
            quality,
            seq: ctx.seq,
            bd_seq: ctx.bd_seq,
            received_at_ms: ctx.received_at_ms,
            outside_window: self.outside_window(timestamp_ms, ctx, metric.is_historical),
        }));
        self.stats.samples += 1;
        if let (Some(Value::Template(template)), false) = (&metric.value, metric.is_null) {
            let member_ctx = SampleContext {
                default_ts: timestamp_ms,
                ..*ctx
            };
            for member in &template.metrics {
                self.push_metric(&member_ctx, Some(full_name), member, quality, batch);
            }
        }
    }
}

/// What every sample of one message shares.
#[derive(Clone, Copy)]
struct SampleContext<'a> {
    source: &'a Arc<Source>,
    default_ts: i64,
    seq: Option<u8>,
    bd_seq: Option<u64>,
    received_at_ms: i64,
}

fn new_source(group: &str, node: &str, device: Option<&str>) -> Source {
    match device {
        Some(device) => Source::device(group, node, device),
        None => Source::node(group, node),
    }
}

fn device_str(device: &Option<sparkplug_b::topic::DeviceId>) -> Option<&str> {
    device.as_ref().map(|d| d.as_str())
}

/// Epoch milliseconds as `i64`, saturating (a `u64` time past the year 292 million).
fn millis(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn bd_seq_u64(bd_seq: BdSeq) -> u64 {
    u64::from(bd_seq.value())
}

fn datatype_of(metric: &Metric) -> DataType {
    metric
        .datatype
        .or_else(|| metric.value.as_ref().map(Value::data_type))
        .unwrap_or(DataType::Unknown)
}

fn offline(cause: &str) -> EventKind {
    EventKind::Offline {
        cause: cause.to_owned(),
    }
}

fn rebirth_reason(reason: &RebirthReason) -> String {
    match reason {
        RebirthReason::MessageBeforeBirth(t) => format!("{t} before birth"),
        RebirthReason::UnresolvedMetric => "unresolved metric".to_owned(),
        RebirthReason::MalformedPayload(t) => format!("malformed {t} payload"),
        RebirthReason::SeqGap { expected, received } => {
            format!(
                "seq gap: expected {}, received {}",
                expected.value(),
                received.value()
            )
        }
        RebirthReason::ReorderTimeout { expected } => {
            format!("reorder timeout waiting for seq {}", expected.value())
        }
        RebirthReason::ReorderBufferFull => "reorder buffer full".to_owned(),
        RebirthReason::Requested => "requested".to_owned(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparkplug_b::session::{Seq, Timestamp};
    use sparkplug_b::topic::{DeviceId, EdgeNodeId, GroupId};

    fn g() -> GroupId {
        GroupId::new("Plant").unwrap()
    }
    fn n() -> EdgeNodeId {
        EdgeNodeId::new("N1").unwrap()
    }

    #[test]
    fn sources_are_shared_and_devices_distinct() {
        let mut b = RecordBuilder::new();
        let a = b.source("G", "N", None);
        let c = b.source("G", "N", None);
        assert!(Arc::ptr_eq(&a, &c));
        let d = b.source("G", "N", Some("D"));
        assert_eq!(d.to_string(), "G/N/D");
        assert!(Arc::ptr_eq(&d, &b.source("G", "N", Some("D"))));
        assert!(!Arc::ptr_eq(&a, &b.source("G", "M", None)));
    }

    #[test]
    fn connection_lost_takes_every_online_source_offline_once() {
        let mut b = RecordBuilder::new();
        let mut batch = Batch::new();
        let at = Timestamp::from_millis(100);
        b.push_event(
            &HostEvent::NodeOnline {
                group: g(),
                node: n(),
                bd_seq: Some(BdSeq::new(3)),
                at,
            },
            &mut batch,
        );
        b.push_event(
            &HostEvent::DeviceOnline {
                group: g(),
                node: n(),
                device: DeviceId::new("D1").unwrap(),
                at,
            },
            &mut batch,
        );
        let lost = HostEvent::ConnectionLost {
            at: Timestamp::from_millis(200),
        };
        assert_eq!(b.push_event(&lost, &mut batch), 2);
        assert_eq!(b.push_event(&lost, &mut batch), 0, "already offline");
        let events: Vec<_> = batch.events().collect();
        assert_eq!(events[0].kind, EventKind::Online);
        assert_eq!(events[0].bd_seq, Some(3));
        assert_eq!(
            events[2].kind,
            EventKind::Offline {
                cause: "connection lost".into()
            }
        );
        assert_eq!(events[2].timestamp_ms, 200);
        assert_eq!(b.stats().events, 4);
    }

    #[test]
    fn events_without_time_take_the_latest_host_time() {
        let mut b = RecordBuilder::new();
        let mut batch = Batch::new();
        b.push_event(
            &HostEvent::ConnectionLost {
                at: Timestamp::from_millis(5_000),
            },
            &mut batch,
        );
        b.push_event(
            &HostEvent::SeqGap {
                group: g(),
                node: n(),
                bd_seq: None,
                expected: Seq::new(4),
                received: Seq::new(6),
            },
            &mut batch,
        );
        b.push_event(
            &HostEvent::Violation {
                group: None,
                node: None,
                device: None,
                message_type: None,
                tck_id: "topics-namespace-valid",
                detail: "bad topic".into(),
                recommendation: false,
            },
            &mut batch,
        );
        let events: Vec<_> = batch.events().collect();
        assert_eq!(
            events[0].kind,
            EventKind::SeqGap {
                expected: 4,
                received: 6
            }
        );
        assert_eq!(events[0].timestamp_ms, 5_000);
        assert_eq!(events[1].source, None);
        assert!(
            matches!(&events[1].kind, EventKind::Violation { tck_id, .. } if tck_id == "tck-id-topics-namespace-valid")
        );
    }

    #[test]
    fn templates_flatten_and_transients_are_skipped() {
        let mut b = RecordBuilder::new();
        let source = b.source("G", "N", None);
        let ctx = SampleContext {
            source: &source,
            default_ts: 10,
            seq: Some(1),
            bd_seq: Some(0),
            received_at_ms: 11,
        };
        let inner = sparkplug_b::Template::instance("Motor", vec![Metric::new("rpm", 5i32)]);
        let outer = sparkplug_b::Template::instance(
            "Line",
            vec![
                Metric::new("m1", Value::Template(Box::new(inner))),
                Metric::new("secret", 1i32).transient(),
            ],
        );
        let mut batch = Batch::new();
        let metric = Metric::new("L", Value::Template(Box::new(outer))).with_timestamp(50);
        b.push_metric(&ctx, None, &metric, Quality::Good, &mut batch);
        let names: Vec<_> = batch
            .samples()
            .map(|s| (&*s.metric, s.timestamp_ms))
            .collect();
        assert_eq!(names, [("L", 50), ("L/m1", 50), ("L/m1/rpm", 50)]);
        assert_eq!(b.stats().transient_skipped, 1);
        let names_interned = b.name("L/m1/rpm");
        assert!(Arc::ptr_eq(
            &names_interned,
            &batch.samples().nth(2).unwrap().metric
        ));
    }

    /// tck-id-payloads-template-definition-nbirth-only: a Tahu-style NBIRTH with a `Motor`
    /// definition and an instance M1, through a real host: the definition's members are not
    /// stored as node metrics (`Motor/Speed` with the definition's default as if it were a
    /// reading); the instance and its members are, by path.
    #[test]
    fn template_definitions_are_not_samples() {
        use sparkplug_b::session::host::{HostApplication, HostConfig};
        use sparkplug_b::topic::HostId;
        use sparkplug_b::{Parameter, Payload, Template};
        let mut host = HostApplication::new(HostConfig::new(HostId::new("h").unwrap()));
        host.connect(Timestamp::from_millis(0));
        host.handle_connected(Timestamp::from_millis(0));
        let def = Template::definition(vec![
            Metric::new("Speed", 0.0),
            Metric::new("Running", false),
        ])
        .with_parameter(Parameter::new("Rated", 1500u32))
        .with_version("3");
        let m1 = Template::instance(
            "Motor",
            vec![Metric::new("Speed", 812.5), Metric::new("Running", true)],
        );
        let ts = 1_700_000_000_000;
        let nbirth = Payload::new(ts)
            .with_seq(0)
            .with_metric(Metric::new("bdSeq", 0i64).with_timestamp(ts))
            .with_metric(Metric::new("Node Control/Rebirth", false).with_timestamp(ts))
            .with_metric(Metric::new("Motor", def).with_timestamp(ts))
            .with_metric(Metric::new("M1", m1).with_timestamp(ts));
        host.handle_publish(
            Timestamp::from_millis(ts + 1),
            "spBv1.0/Plant/NBIRTH/N1",
            &nbirth.encode_to_vec().unwrap(),
        );
        let mut b = RecordBuilder::new();
        let mut batch = Batch::new();
        while let Some(event) = host.poll_event() {
            b.push_event(&event, &mut batch);
        }
        let names: Vec<&str> = batch.samples().map(|s| &*s.metric).collect();
        assert!(!names.iter().any(|n| n.starts_with("Motor")), "{names:?}");
        assert!(
            names.contains(&"M1/Speed") && names.contains(&"M1/Running"),
            "{names:?}"
        );
        // The definition is the node's template catalogue, with the birth certificate.
        let birth = batch.births().next().expect("the NBIRTH's record");
        let motor = birth.templates.get("Motor").expect("the definition");
        assert_eq!(motor.version.as_deref(), Some("3"));
        assert_eq!(motor.parameters[0].value, Some(Value::UInt32(1500)));
        assert!(!birth.metrics.iter().any(|m| &*m.metric == "Motor"));
    }
}
