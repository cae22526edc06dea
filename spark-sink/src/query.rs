//! The read side: the [`Store`] trait the REST API and the report jobs query, and its row types.
//!
//! Every row type is `serde::Serialize`, so the API can return it as JSON as it is. Values are
//! [`sparkplug_b::Value`]s and render as `docs/JSON.md` describes (64-bit integers exactly,
//! NaN and the infinities as strings). Times are integer milliseconds since the Unix epoch, UTC.
//! Ranges are half-open: `[from_ms, to_ms)`.
//!
//! [`crate::sql::SqlStore::query`] gives the implementation on SQLite and MySQL/MariaDB.

use async_trait::async_trait;
use serde::Serialize;
use sparkplug_b::{DataType, Value};

use crate::record::Source;

/// Why a query failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The query itself is wrong (an empty time range, a bucket of zero ms, too many buckets).
    /// An API answers 400.
    #[error("bad query: {0}")]
    BadRequest(String),
    /// The store is unreachable or overloaded; asking again later can succeed. An API answers 503.
    #[error("the store is unavailable: {message}")]
    Unavailable {
        /// What happened.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The store answered something this version cannot read (a corrupt row, a schema from a
    /// newer version). An API answers 500.
    #[error("the store holds unreadable data: {0}")]
    Corrupt(String),
}

/// A half-open time range `[from_ms, to_ms)` in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimeRange {
    /// The first millisecond included.
    pub from_ms: i64,
    /// The first millisecond after the range.
    pub to_ms: i64,
}

impl TimeRange {
    /// `[from_ms, to_ms)`.
    pub fn new(from_ms: i64, to_ms: i64) -> Self {
        TimeRange { from_ms, to_ms }
    }

    /// Everything: `[i64::MIN, i64::MAX)`.
    pub fn all() -> Self {
        TimeRange::new(i64::MIN, i64::MAX)
    }
}

/// An edge node and its live state, as its Online/Offline events and births left it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeRow {
    /// The Sparkplug group id.
    pub group: String,
    /// The edge node id.
    pub node: String,
    /// Whether its last lifecycle event was Online.
    pub online: bool,
    /// The bdSeq of its current (or last) session.
    pub bd_seq: Option<u64>,
    /// When it was last born (ms).
    pub last_birth_ms: Option<i64>,
    /// When it last died (ms).
    pub last_death_ms: Option<i64>,
    /// Seq gaps seen from it, in all sessions.
    pub seq_gaps: u64,
    /// Births seen (Online events).
    pub births: u64,
    /// Deaths seen (Offline events).
    pub deaths: u64,
    /// How many devices it has had.
    pub device_count: u64,
}

/// A device of an edge node and its live state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceRow {
    /// The Sparkplug group id.
    pub group: String,
    /// The edge node id.
    pub node: String,
    /// The device id.
    pub device: String,
    /// Whether its last lifecycle event was Online.
    pub online: bool,
    /// When it was last born (ms).
    pub last_birth_ms: Option<i64>,
    /// When it last died (ms).
    pub last_death_ms: Option<i64>,
    /// Births seen.
    pub births: u64,
    /// Deaths seen.
    pub deaths: u64,
}

/// One metric of the catalogue, with its latest value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricRow {
    /// The metric's name (template members as `Template/member`).
    pub name: String,
    /// The alias its last birth gave it.
    pub alias: Option<u64>,
    /// The datatype its last birth (or, before any birth, its first sample) declared.
    pub datatype: DataType,
    /// The `engUnit` property, if the birth sent one.
    pub eng_unit: Option<String>,
    /// All properties the last birth sent, in the JSON rendering of `docs/JSON.md` (a list of
    /// `{"key", "type", "is_null", "value"}`).
    pub properties: Option<serde_json::Value>,
    /// The current value: the newest non-historical sample (`None` before the first).
    pub latest: Option<LatestValue>,
}

/// The current value of a metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatestValue {
    /// Metric time (ms).
    pub timestamp_ms: i64,
    /// The value; `None` for a null.
    pub value: Option<Value>,
    /// Its quality code (192 good, 500 stale, 0 bad).
    pub quality: i32,
    /// When the host received it (ms).
    pub received_at_ms: i64,
}

/// One stored sample of a metric's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleRow {
    /// Metric time (ms).
    pub timestamp_ms: i64,
    /// The value; `None` for a null.
    pub value: Option<Value>,
    /// Whether it came as historical (store and forward).
    pub is_historical: bool,
    /// Its quality code (192 good, 500 stale, 0 bad).
    pub quality: i32,
    /// The payload's seq.
    pub seq: Option<u8>,
    /// The session's bdSeq.
    pub bd_seq: Option<u64>,
    /// When the host received it (ms).
    pub received_at_ms: i64,
    /// Its metric time is outside the acceptance window around `received_at_ms`
    /// (`AcceptanceWindow`, docs/STORAGE.md): stored, but not a current value.
    pub outside_window: bool,
}

/// Aggregates of one metric over one time bucket `[start_ms, start_ms + bucket_ms)`.
///
/// `min`, `max` and `avg` are over the numeric values (integers, floats, booleans as 0/1);
/// they are `None` when the bucket has none. `min` and `max` are exact for every integer type
/// (as [`Value`]s of the metric's type); `avg` is an `f64`. `first` and `last` are the values at
/// the earliest and latest timestamps in the bucket, of any type, nulls included.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BucketRow {
    /// The bucket's first millisecond.
    pub start_ms: i64,
    /// Samples in the bucket (nulls included).
    pub count: u64,
    /// The smallest numeric value.
    pub min: Option<Value>,
    /// The largest numeric value.
    pub max: Option<Value>,
    /// The mean of the numeric values.
    pub avg: Option<f64>,
    /// The value at the earliest timestamp.
    pub first: Option<Value>,
    /// The value at the latest timestamp.
    pub last: Option<Value>,
}

/// A stored lifecycle event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    /// Its store id, increasing in insertion order.
    pub id: i64,
    /// The kind's name (`online`, `offline`, `seq_gap`, `rebirth_requested`, `violation`).
    pub kind: String,
    /// The group, when the event names a source.
    pub group: Option<String>,
    /// The edge node, when the event names a source.
    pub node: Option<String>,
    /// The device, for device events.
    pub device: Option<String>,
    /// The session's bdSeq, when known.
    pub bd_seq: Option<u64>,
    /// When it happened (ms).
    pub timestamp_ms: i64,
    /// The kind's fields as a JSON object (`{"cause": ...}`, `{"expected":, "received":}`,
    /// `{"reason": ...}`, `{"tck_id":, "detail":}`, `{}` for online).
    pub detail: serde_json::Value,
}

/// One page of a list: skip `offset` rows, then at most `limit`. The order is the list's own
/// (each [`Store`] method says it), so consecutive pages neither repeat nor skip a row while
/// the list does not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows to skip.
    pub offset: u64,
    /// Most rows to return.
    pub limit: u32,
}

impl Page {
    /// Every row.
    pub const ALL: Page = Page {
        offset: 0,
        limit: u32::MAX,
    };

    /// `limit` rows after `offset`.
    pub const fn new(offset: u64, limit: u32) -> Self {
        Page { offset, limit }
    }

    /// This page of `rows` (for stores that list everything and cut).
    pub fn cut<T>(self, rows: Vec<T>) -> Vec<T> {
        rows.into_iter()
            .skip(usize::try_from(self.offset).unwrap_or(usize::MAX))
            .take(self.limit as usize)
            .collect()
    }
}

/// Which events to list. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    /// Only this kind (`online`, `offline`, `seq_gap`, `rebirth_requested`, `violation`).
    pub kind: Option<String>,
    /// Only this group.
    pub group: Option<String>,
    /// Only this edge node (with `group`).
    pub node: Option<String>,
    /// Only this time range.
    pub range: Option<TimeRange>,
    /// At most this many, newest first (default 1000).
    pub limit: Option<u32>,
    /// After skipping this many (default 0).
    pub offset: Option<u64>,
}

/// One stored birth certificate: a version of a node's or device's metric catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BirthRow {
    /// Its store id; a higher id is a later version.
    pub id: i64,
    /// The session's bdSeq.
    pub bd_seq: Option<u64>,
    /// The birth payload's timestamp (ms).
    pub timestamp_ms: i64,
    /// When the host received it (ms).
    pub received_at_ms: i64,
    /// The declared metrics as JSON: `[{"name", "alias", "datatype", "properties"}]`.
    pub metrics: serde_json::Value,
}

/// A row of a report table: what a batch job computed for one key over one window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportRow {
    /// The job that wrote it (`rollup_1h`, `ice_kpis`).
    pub job: String,
    /// What the row is about (a metric path, a KPI name).
    pub key: String,
    /// The window's first millisecond.
    pub window_start_ms: i64,
    /// The first millisecond after the window.
    pub window_end_ms: i64,
    /// The computed fields, a JSON object.
    pub fields: serde_json::Value,
}

/// Which report rows to list.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFilter {
    /// The job.
    pub job: String,
    /// Only this key.
    pub key: Option<String>,
    /// Only windows starting in this range.
    pub range: Option<TimeRange>,
    /// At most this many, by window start then key (default 10000).
    pub limit: Option<u32>,
    /// After skipping this many (default 0).
    pub offset: Option<u64>,
}

/// The read side of a store, for the REST API and the report jobs.
///
/// Sources are named by [`Source`] (group, node, optional device). Lists are ordered as each
/// method says. Unknown nodes or metrics give `Ok(None)` or an empty list, never an error.
#[async_trait]
pub trait Store: Send + Sync {
    /// Every edge node with its state, by group then node.
    async fn nodes(&self) -> Result<Vec<NodeRow>, QueryError>;

    /// One page of [`Store::nodes`]. The default lists every node and cuts; a store that can
    /// page in its query does.
    async fn nodes_page(&self, page: Page) -> Result<Vec<NodeRow>, QueryError> {
        Ok(page.cut(self.nodes().await?))
    }

    /// One edge node.
    async fn node(&self, group: &str, node: &str) -> Result<Option<NodeRow>, QueryError>;

    /// The devices of an edge node, by device id.
    async fn devices(&self, group: &str, node: &str) -> Result<Vec<DeviceRow>, QueryError>;

    /// One page of [`Store::devices`] (the default cuts the whole list).
    async fn devices_page(
        &self,
        group: &str,
        node: &str,
        page: Page,
    ) -> Result<Vec<DeviceRow>, QueryError> {
        Ok(page.cut(self.devices(group, node).await?))
    }

    /// The metric catalogue of a node (`source.device = None`) or device, with latest values
    /// and engineering units, by name.
    async fn metrics(&self, source: &Source) -> Result<Vec<MetricRow>, QueryError>;

    /// One page of [`Store::metrics`] (the default cuts the whole list).
    async fn metrics_page(
        &self,
        source: &Source,
        page: Page,
    ) -> Result<Vec<MetricRow>, QueryError> {
        Ok(page.cut(self.metrics(source).await?))
    }

    /// One metric of the catalogue with its latest value.
    async fn metric(&self, source: &Source, metric: &str) -> Result<Option<MetricRow>, QueryError>;

    /// Raw samples of one metric in `range`, oldest first, at most `limit`. Historical samples
    /// are included (flagged).
    async fn history(
        &self,
        source: &Source,
        metric: &str,
        range: TimeRange,
        limit: u32,
    ) -> Result<Vec<SampleRow>, QueryError>;

    /// Aggregates of one metric per bucket of `bucket_ms` in `range`, buckets aligned to
    /// `range.from_ms`, oldest first; empty buckets are left out. At most 100,000 buckets.
    async fn history_buckets(
        &self,
        source: &Source,
        metric: &str,
        range: TimeRange,
        bucket_ms: i64,
    ) -> Result<Vec<BucketRow>, QueryError>;

    /// Events matching `filter`, newest first.
    async fn events(&self, filter: &EventFilter) -> Result<Vec<EventRow>, QueryError>;

    /// The birth certificates of a node or device, newest first, at most `limit`.
    async fn births(&self, source: &Source, limit: u32) -> Result<Vec<BirthRow>, QueryError>;

    /// One page of the births, newest first (the default cuts the first `offset + limit`).
    async fn births_page(&self, source: &Source, page: Page) -> Result<Vec<BirthRow>, QueryError> {
        let first = u32::try_from(page.offset)
            .unwrap_or(u32::MAX)
            .saturating_add(page.limit);
        Ok(page.cut(self.births(source, first).await?))
    }

    /// Inserts or replaces report rows by (job, key, window start): writing the same rows twice
    /// leaves one copy. Returns how many rows were given.
    async fn upsert_report_rows(&self, rows: &[ReportRow]) -> Result<u64, QueryError>;

    /// Report rows matching `filter`, by window start then key.
    async fn report_rows(&self, filter: &ReportFilter) -> Result<Vec<ReportRow>, QueryError>;

    /// A job's watermark: the end of the last window it completed.
    async fn watermark(&self, job: &str) -> Result<Option<i64>, QueryError>;

    /// Sets a job's watermark.
    async fn set_watermark(&self, job: &str, watermark_ms: i64) -> Result<(), QueryError>;
}
