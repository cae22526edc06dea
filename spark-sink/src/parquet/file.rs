//! One open Parquet file of one partition: written under a hidden temporary name, renamed to
//! its final name when closed, so a reader never sees a file without its footer.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::config::ParquetConfig;
use super::error::ParquetError;
use super::lifecycle::{BirthColumns, EventColumns};
use super::partition::{Dataset, PartitionKey};
use super::samples::SampleColumns;
use super::schema::{births_schema, events_schema, samples_schema};
use super::wal::{self, Wal};

/// The builders of one dataset's rows.
pub(crate) enum Columns {
    Samples(Box<SampleColumns>),
    Events(Box<EventColumns>),
    Births(Box<BirthColumns>),
}

impl Columns {
    fn rows(&self) -> usize {
        match self {
            Columns::Samples(c) => c.rows(),
            Columns::Events(c) => c.rows(),
            Columns::Births(c) => c.rows(),
        }
    }

    fn data_bytes(&self) -> usize {
        match self {
            Columns::Samples(c) => c.data_bytes(),
            _ => 0,
        }
    }

    fn finish(&mut self) -> Result<RecordBatch, arrow_schema::ArrowError> {
        match self {
            Columns::Samples(c) => c.finish(),
            Columns::Events(c) => c.finish(),
            Columns::Births(c) => c.finish(),
        }
    }
}

/// Variable-width data gathered before the builders are encoded, whatever the row count:
/// keeps Arrow's 32-bit offsets far from overflowing and memory bounded.
const MAX_BUFFERED_DATA: usize = 64 << 20;

/// Columns whose values seldom repeat: plain encoding, no dictionary.
const PLAIN_COLUMNS: &[&str] = &[
    "double_value",
    "string_value",
    "bytes_value",
    "json_value",
    "detail",
    "properties_json",
];

/// Integer columns that rise steadily: delta encoding.
const DELTA_COLUMNS: &[&str] = &["ts", "received_at", "int_value", "uint_value"];

/// A file being written.
pub(crate) struct PartitionFile {
    tmp_path: PathBuf,
    final_path: PathBuf,
    writer: ArrowWriter<BufWriter<File>>,
    pub(crate) columns: Columns,
    opened: Instant,
    rows: u64,
    /// The rows appended so far, encoded, until the file is closed.
    pub(crate) wal: Option<Wal>,
}

impl PartitionFile {
    /// Creates `<root>/<partition dir>/.<name>.tmp`, the directories as needed.
    pub(crate) fn create(
        config: &ParquetConfig,
        key: &PartitionKey,
        name: &str,
    ) -> Result<Self, ParquetError> {
        let dir = config.root.join(key.relative_dir());
        fs::create_dir_all(&dir).map_err(|e| ParquetError::io(&dir, e))?;
        let final_path = dir.join(name);
        let tmp_path = dir.join(format!(".{name}.tmp"));
        let file = File::create(&tmp_path).map_err(|e| ParquetError::io(&tmp_path, e))?;
        let wal = match config.write_ahead {
            true => match Wal::create(dir.join(format!(".{name}{}", wal::SUFFIX))) {
                Ok(wal) => Some(wal),
                Err(e) => {
                    let _ = fs::remove_file(&tmp_path);
                    return Err(e);
                }
            },
            false => None,
        };
        let level = ZstdLevel::try_new(config.zstd_level).unwrap_or_default();
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_max_row_group_row_count(Some(config.row_group_rows.max(1)))
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_created_by(format!("spark-sink {}", env!("CARGO_PKG_VERSION")));
        // Names repeat: dictionaries. Values and times hardly do: no dictionary (it would be
        // built and thrown away), and times as deltas (they rise steadily).
        for column in PLAIN_COLUMNS {
            props = props.set_column_dictionary_enabled(ColumnPath::from(*column), false);
        }
        for column in DELTA_COLUMNS {
            props = props
                .set_column_dictionary_enabled(ColumnPath::from(*column), false)
                .set_column_encoding(ColumnPath::from(*column), Encoding::DELTA_BINARY_PACKED);
        }
        let props = props.build();
        let (schema, columns) = match key.dataset {
            Dataset::Samples => (
                samples_schema(),
                Columns::Samples(Box::new(SampleColumns::new())),
            ),
            Dataset::Events => (
                events_schema(),
                Columns::Events(Box::new(EventColumns::new())),
            ),
            Dataset::Births => (
                births_schema(),
                Columns::Births(Box::new(BirthColumns::new())),
            ),
        };
        let writer =
            ArrowWriter::try_new(BufWriter::with_capacity(1 << 20, file), schema, Some(props))?;
        Ok(PartitionFile {
            tmp_path,
            final_path,
            writer,
            columns,
            opened: Instant::now(),
            rows: 0,
            wal,
        })
    }

    /// Encodes the gathered rows when there are enough of them (`batch_rows`, or 64 MiB of
    /// variable-width data).
    pub(crate) fn maybe_encode(&mut self, batch_rows: usize) -> Result<(), ParquetError> {
        if self.columns.rows() >= batch_rows || self.columns.data_bytes() >= MAX_BUFFERED_DATA {
            self.encode()?;
        }
        Ok(())
    }

    /// Encodes the gathered rows into the open row group.
    fn encode(&mut self) -> Result<(), ParquetError> {
        let rows = self.columns.rows();
        if rows == 0 {
            return Ok(());
        }
        let batch = self.columns.finish()?;
        self.writer.write(&batch)?;
        self.rows += rows as u64;
        Ok(())
    }

    /// Whether the file should be closed: big enough, or open long enough.
    pub(crate) fn is_due(&self, config: &ParquetConfig, now: Instant) -> bool {
        let size = self.writer.bytes_written()
            + self.writer.in_progress_size()
            + self.columns.data_bytes();
        size as u64 >= config.max_file_bytes
            || now.saturating_duration_since(self.opened) >= config.max_file_age
    }

    /// Rows in the file so far, gathered ones included.
    pub(crate) fn rows(&self) -> u64 {
        self.rows + self.columns.rows() as u64
    }

    /// Writes the footer, syncs and renames the file to its final name; returns it with its
    /// row count and size.
    pub(crate) fn close(mut self) -> Result<ClosedFile, ParquetError> {
        self.encode()?;
        let wal = self.wal.take();
        let rows = self.rows;
        let tmp_path = self.tmp_path.clone();
        let final_path = self.final_path.clone();
        let mut out = self.writer.into_inner()?;
        std::io::Write::flush(&mut out).map_err(|e| ParquetError::io(&tmp_path, e))?;
        let file = out
            .into_inner()
            .map_err(|e| ParquetError::io(&tmp_path, e.into_error()))?;
        file.sync_all()
            .map_err(|e| ParquetError::io(&tmp_path, e))?;
        let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        drop(file);
        fs::rename(&tmp_path, &final_path).map_err(|e| ParquetError::io(&final_path, e))?;
        // Durable under its final name: the rows no longer need their log.
        if let Some(wal) = wal {
            wal.remove();
        }
        Ok(ClosedFile {
            path: final_path,
            rows,
            bytes,
        })
    }

    /// The temporary path, for error reports.
    pub(crate) fn tmp_path(&self) -> &Path {
        &self.tmp_path
    }
}

/// A file that was closed and renamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedFile {
    /// Its final path.
    pub path: PathBuf,
    /// Its row count.
    pub rows: u64,
    /// Its size in bytes.
    pub bytes: u64,
}
