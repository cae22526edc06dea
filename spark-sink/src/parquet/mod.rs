//! The Parquet archive: hive-partitioned, zstd-compressed files for Spark, Trino, DuckDB,
//! DataFusion and pyarrow.
//!
//! ```text
//! <root>/samples/group=<group>/date=<yyyy-mm-dd>/part-<run>-<n>.parquet
//! <root>/events/group=<group>/date=<yyyy-mm-dd>/part-<run>-<n>.parquet
//! <root>/births/group=<group>/date=<yyyy-mm-dd>/part-<run>-<n>.parquet
//! ```
//!
//! The date is the UTC day of the record's own time (metric time for samples). Group ids are
//! escaped the Hive way (`%XX`), long ones bounded with a hash suffix; records that name no
//! group go to `group=__HIVE_DEFAULT_PARTITION__`. A file is written as a hidden
//! `.part-….parquet.tmp` (readers skip names starting with `.`), beside its write-ahead log
//! `.part-….parquet.wal` (a crash loses none of its rows: the next writer on the same root
//! writes them again), and renamed when it is closed: when it reaches
//! [`ParquetConfig::max_file_bytes`], when it has been open [`ParquetConfig::max_file_age`]
//! at a write or flush, on [`Sink::flush`](crate::Sink::flush) and on
//! [`Sink::close`](crate::Sink::close). The columns are documented in `docs/PARQUET.md`
//! and built by [`samples_schema`], [`events_schema`] and [`births_schema`].
//!
//! ```
//! # use spark_sink::parquet::{ParquetConfig, ParquetWriter};
//! # use spark_sink::{Batch, Record, Sample, Source};
//! # use std::sync::Arc;
//! # let dir = std::env::temp_dir().join(format!("spark-sink-doc-{}", std::process::id()));
//! let mut writer = ParquetWriter::new(ParquetConfig::new(&dir))?;
//! let mut batch = Batch::new();
//! batch.push(Record::Sample(Sample {
//!     source: Arc::new(Source::node("Plant", "N1")),
//!     metric: Arc::from("Brine/Temperature"),
//!     datatype: sparkplug_b::DataType::Double,
//!     timestamp_ms: 1_700_000_000_000,
//!     value: Some(sparkplug_b::Value::Double(-9.5)),
//!     is_historical: false,
//!     quality: sparkplug_b::Quality::Good,
//!     seq: Some(1),
//!     bd_seq: Some(0),
//!     received_at_ms: 1_700_000_000_005,
//!     outside_window: false,
//! }));
//! writer.write(&batch)?;
//! let files = writer.close()?;
//! assert!(files[0].path.ends_with(format!("{}", files[0].path.file_name().unwrap().to_string_lossy())));
//! assert!(files[0].path.to_string_lossy().contains("samples/group=Plant/date=2023-11-14"));
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cells;
mod config;
mod error;
mod file;
mod lifecycle;
mod partition;
mod samples;
mod schema;
mod sink;
mod wal;
mod writer;

pub use config::ParquetConfig;
pub use error::ParquetError;
pub use file::ClosedFile;
pub use schema::{births_schema, events_schema, samples_schema};
pub use sink::ParquetSink;
pub use writer::{ParquetStats, ParquetWriter};
