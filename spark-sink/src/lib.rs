//! Storage sinks for Sparkplug data behind async traits: SQLite (embedded default),
//! MySQL/MariaDB and Parquet.
//!
//! The crate knows nothing of MQTT: a host application turns what it receives into
//! [`Record`]s ([`Sample`], [`Birth`], [`Event`]) and hands them to a [`Sink`] in [`Batch`]es.

pub mod delivery;
mod error;
mod from_host;
pub mod memory;
pub mod parquet;
mod query;
mod record;
mod sink;
pub mod sql;

pub use error::SinkError;
pub use from_host::{BuilderStats, RecordBuilder};
pub use query::{
    BirthRow, BucketRow, DeviceRow, EventFilter, EventRow, LatestValue, MetricRow, NodeRow,
    QueryError, ReportFilter, ReportRow, SampleRow, Store, TimeRange,
};
pub use record::{Batch, Birth, CatalogueEntry, Event, EventKind, Record, Sample, Source};
pub use sink::Sink;
