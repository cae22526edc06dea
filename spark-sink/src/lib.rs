//! Storage sinks for Sparkplug data behind async traits: SQLite (embedded default),
//! MySQL/MariaDB and Parquet.
//!
//! The crate knows nothing of MQTT: a host application turns what it receives into
//! [`Record`]s ([`Sample`], [`Birth`], [`Event`]) and hands them to a [`Sink`] in [`Batch`]es.

mod error;
mod record;
mod sink;

pub use error::SinkError;
pub use record::{Batch, Birth, CatalogueEntry, Event, EventKind, Record, Sample, Source};
pub use sink::Sink;
