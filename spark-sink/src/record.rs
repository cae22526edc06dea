//! What a sink stores: records that know nothing of MQTT.
//!
//! A host application turns what it receives into three kinds of record:
//! [`Sample`]s (one metric value at one time), [`Birth`]s (the metric catalogue a node or device
//! declared, one schema version per birth) and [`Event`]s (lifecycle: births, deaths, seq gaps,
//! rebirth requests, protocol violations). A [`Batch`] carries any mix of them to a sink in the
//! order they were received.

use std::sync::Arc;
use std::time::Duration;

use sparkplug_b::{DataType, PropertySet, Quality, TemplateCatalog, Value};

/// How far a sample's metric time may be from the time the host received it for the sample
/// to count as current (docs/STORAGE.md, "Acceptance window"). A sample outside the window is
/// still stored, with [`Sample::outside_window`] set, but it is never a metric's latest value
/// and does not move report watermarks: an edge node with a wrong clock, or a forged DDATA
/// dated 2100, cannot make a value current for ever.
///
/// ```
/// use std::time::Duration;
/// use spark_sink::AcceptanceWindow;
///
/// let window = AcceptanceWindow::default();
/// assert_eq!(window.future, Duration::from_secs(300));
/// let received = 1_700_000_000_000;
/// assert!(window.accepts(received + 299_000, received, false));
/// assert!(!window.accepts(4_102_444_800_000, received, false)); // 2100
/// assert!(window.accepts(0, received, false), "no past bound by default");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AcceptanceWindow {
    /// How far ahead of the receive time a metric time may be. Default 5 minutes.
    pub future: Duration,
    /// How far behind the receive time a live (not `is_historical`) metric time may be;
    /// `None` (the default) for no bound. Historical samples (store and forward) are old by
    /// nature: this bound does not apply to them.
    pub past: Option<Duration>,
}

impl Default for AcceptanceWindow {
    fn default() -> Self {
        AcceptanceWindow {
            future: Duration::from_secs(300),
            past: None,
        }
    }
}

impl AcceptanceWindow {
    /// A window `future` ahead of the receive time and `past` behind it (`None`: no bound).
    pub fn new(future: Duration, past: Option<Duration>) -> Self {
        AcceptanceWindow { future, past }
    }

    /// Whether metric time `timestamp_ms` of a sample received at `received_at_ms` (both ms
    /// since the Unix epoch) is inside the window.
    pub fn accepts(&self, timestamp_ms: i64, received_at_ms: i64, is_historical: bool) -> bool {
        let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        if timestamp_ms > received_at_ms.saturating_add(millis(self.future)) {
            return false;
        }
        match self.past {
            Some(past) if !is_historical => {
                timestamp_ms >= received_at_ms.saturating_sub(millis(past))
            }
            _ => true,
        }
    }
}

/// Where a record comes from: a Sparkplug edge node, or one of its devices.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source {
    /// The Sparkplug group id.
    pub group: String,
    /// The edge node id.
    pub node: String,
    /// The device id, `None` for the edge node itself.
    pub device: Option<String>,
}

impl Source {
    /// The edge node `group/node` itself.
    pub fn node(group: impl Into<String>, node: impl Into<String>) -> Self {
        Source {
            group: group.into(),
            node: node.into(),
            device: None,
        }
    }

    /// The device `group/node/device`.
    pub fn device(
        group: impl Into<String>,
        node: impl Into<String>,
        device: impl Into<String>,
    ) -> Self {
        Source {
            group: group.into(),
            node: node.into(),
            device: Some(device.into()),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.device {
            Some(device) => write!(f, "{}/{}/{}", self.group, self.node, device),
            None => write!(f, "{}/{}", self.group, self.node),
        }
    }
}

/// One metric value at one time.
///
/// The identity of a sample, and so the key that makes replaying a batch a no-op, is
/// (`source`, `metric`, `timestamp_ms`, `is_historical`): a metric has one value per
/// millisecond of metric time.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The node or device that published it. Shared: many samples have the same source.
    pub source: Arc<Source>,
    /// The metric's name as its birth declared it (template members as `Template/member`).
    pub metric: Arc<str>,
    /// The birth's datatype of the metric.
    pub datatype: DataType,
    /// Metric time in milliseconds since the Unix epoch, UTC (the metric's own timestamp, else
    /// the payload's, else the receive time).
    pub timestamp_ms: i64,
    /// The value; `None` when the metric was sent with `is_null`.
    pub value: Option<Value>,
    /// Sent with `is_historical` (store and forward): it must not move current values.
    pub is_historical: bool,
    /// The quality the host application gave it (Good, or Stale after a death).
    pub quality: Quality,
    /// The payload's seq (absent in deaths).
    pub seq: Option<u8>,
    /// The bdSeq of the node's session the value belongs to.
    pub bd_seq: Option<u64>,
    /// When the host application received it, milliseconds since the Unix epoch.
    pub received_at_ms: i64,
    /// Its metric time is outside the [`AcceptanceWindow`] around `received_at_ms`: stored,
    /// but never a latest value and never a reason to move a report watermark.
    pub outside_window: bool,
}

/// One metric as a birth declared it: an entry of the metric catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueEntry {
    /// The metric's name.
    pub metric: Arc<str>,
    /// The alias the birth gave it, if any.
    pub alias: Option<u64>,
    /// Its datatype.
    pub datatype: DataType,
    /// Its properties (engineering units, ranges, ...), if any.
    pub properties: Option<PropertySet>,
}

impl CatalogueEntry {
    /// The entry as the birth certificate and the dead-letter file write it:
    /// `{"name", "alias", "datatype", "datatype_name", "properties"}`.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": &*self.metric,
            "alias": self.alias,
            "datatype": self.datatype.code(),
            "datatype_name": self.datatype.name(),
            "properties": self.properties,
        })
    }
}

/// An NBIRTH or DBIRTH: one version of a node's or device's metric catalogue (its "birth
/// certificate"). The values it carried arrive as [`Sample`]s beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Birth {
    /// The node or device that was born.
    pub source: Arc<Source>,
    /// The bdSeq of the node's session.
    pub bd_seq: Option<u64>,
    /// The payload timestamp, milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// When the host application received it.
    pub received_at_ms: i64,
    /// Every metric the birth declared, in birth order.
    pub metrics: Vec<CatalogueEntry>,
    /// An NBIRTH's template definitions (UDTs: members, parameters and their defaults,
    /// version): the node's template catalogue. Definitions are types, not metrics, so they
    /// are not among `metrics` and give no samples. Empty for a DBIRTH.
    pub templates: Arc<TemplateCatalog>,
}

/// What happened to a node or device, or what went wrong on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// The node or device came online (a birth was accepted).
    Online,
    /// The node or device went offline (a death, a Will, a rebirth, or the host's connection).
    Offline {
        /// Why, in words (`NDEATH`, `DDEATH`, `node death`, `node rebirth`, `connection lost`).
        cause: String,
    },
    /// A seq number was skipped.
    SeqGap {
        /// The seq the host expected.
        expected: u8,
        /// The seq that arrived.
        received: u8,
    },
    /// The host asked the node for a rebirth (NCMD `Node Control/Rebirth`).
    RebirthRequested {
        /// Why, in words.
        reason: String,
    },
    /// A message broke a Sparkplug rule.
    Violation {
        /// The rule's `tck-id-*` assertion id.
        tck_id: String,
        /// What was wrong.
        detail: String,
    },
}

impl EventKind {
    /// A short, stable name for storage and filters: `online`, `offline`, `seq_gap`,
    /// `rebirth_requested`, `violation`.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Online => "online",
            EventKind::Offline { .. } => "offline",
            EventKind::SeqGap { .. } => "seq_gap",
            EventKind::RebirthRequested { .. } => "rebirth_requested",
            EventKind::Violation { .. } => "violation",
        }
    }
}

/// A lifecycle event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The node or device it concerns; `None` for a violation that names no edge node.
    pub source: Option<Arc<Source>>,
    /// What happened.
    pub kind: EventKind,
    /// The bdSeq of the node's session, when known.
    pub bd_seq: Option<u64>,
    /// When it happened, milliseconds since the Unix epoch (the payload timestamp for device
    /// deaths, the receive time otherwise).
    pub timestamp_ms: i64,
}

/// One record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A metric value.
    Sample(Sample),
    /// A metric catalogue version.
    Birth(Birth),
    /// A lifecycle event.
    Event(Event),
}

/// Records in the order they were received, written together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// The records.
    pub records: Vec<Record>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Batch::default()
    }

    /// Adds a record.
    pub fn push(&mut self, record: Record) {
        self.records.push(record);
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The samples, in order.
    pub fn samples(&self) -> impl Iterator<Item = &Sample> {
        self.records.iter().filter_map(|r| match r {
            Record::Sample(s) => Some(s),
            _ => None,
        })
    }

    /// The births, in order.
    pub fn births(&self) -> impl Iterator<Item = &Birth> {
        self.records.iter().filter_map(|r| match r {
            Record::Birth(b) => Some(b),
            _ => None,
        })
    }

    /// The events, in order.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.records.iter().filter_map(|r| match r {
            Record::Event(e) => Some(e),
            _ => None,
        })
    }
}

impl FromIterator<Record> for Batch {
    fn from_iter<I: IntoIterator<Item = Record>>(iter: I) -> Self {
        Batch {
            records: iter.into_iter().collect(),
        }
    }
}
