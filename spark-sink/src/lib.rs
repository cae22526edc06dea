//! Storage sinks for Sparkplug data behind async traits: SQLite (embedded default),
//! MySQL/MariaDB and Parquet.
//!
//! The crate knows nothing of MQTT: a host application turns what it receives into
//! [`Record`]s ([`Sample`], [`Birth`], [`Event`]) and hands them to a [`Sink`] in [`Batch`]es.
//!
//! - [`RecordBuilder`] turns `sparkplug_b::session::HostEvent`s into records.
//! - [`delivery::Pipeline`] fans batches out to several sinks, each with a bounded queue,
//!   batching, retries, a spill file and counters; `shutdown` flushes and closes them all.
//! - [`parquet::ParquetSink`] is the Hive-partitioned Parquet archive (`docs/PARQUET.md`);
//!   [`memory::MemorySink`] keeps records in memory, with scripted faults, for tests.

pub mod delivery;
mod error;
mod from_host;
pub mod memory;
pub mod parquet;
mod query;
mod record;
mod sink;
pub mod sql;

pub use error::{RejectedRecord, SinkError};
pub use from_host::{BuilderStats, RecordBuilder, VIOLATION_WINDOW_MS};
pub use query::{
    BirthRow, BucketRow, DeviceRow, EventFilter, EventRow, LatestValue, MetricRow, NodeRow, Page,
    QueryError, ReportFilter, ReportRow, SampleRow, Store, TimeRange,
};
pub use record::{
    AcceptanceWindow, Batch, Birth, CatalogueEntry, Event, EventKind, Record, Sample, Source,
};
pub use sink::Sink;
