//! [`ParquetConfig`]: where the archive goes and how its files are cut.

use std::path::PathBuf;
use std::time::Duration;

/// How the Parquet archive is written. Start from [`ParquetConfig::new`] and change what you
/// need with the `with_*` setters.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ParquetConfig {
    /// The archive's root directory; the datasets are `samples/`, `events/` and `births/`
    /// under it. Created when missing.
    pub root: PathBuf,
    /// A file is closed (and a new one started) once its size reaches this many bytes
    /// (written bytes plus the estimated size of the row group in memory). Default 256 MiB.
    pub max_file_bytes: u64,
    /// A file is closed at the first write or flush after it has been open this long.
    /// Default 15 minutes.
    pub max_file_age: Duration,
    /// Rows per row group (the unit a scan reads and skips by its statistics).
    /// Default 1 Mi rows.
    pub row_group_rows: usize,
    /// Rows gathered in Arrow builders before they are encoded into the open row group.
    /// Default 64 Ki rows.
    pub write_batch_rows: usize,
    /// zstd compression level (1 = fastest; up to 22). Default 1.
    pub zstd_level: i32,
    /// A string, bytes or JSON value longer than this is refused (the batch is rejected with
    /// [`SinkError::RejectedRecords`](crate::SinkError::RejectedRecords), and the delivery pipeline isolates
    /// and counts the sample). Default 16 MiB.
    pub max_value_bytes: usize,
    /// Keep a write-ahead log beside each open file (`.part-….parquet.wal`, removed when the
    /// file closes), so a crash loses none of the rows of the files still open: the next
    /// writer on the same root writes them again. Costs a second encoding of every record.
    /// Default true.
    pub write_ahead: bool,
}

impl ParquetConfig {
    /// The defaults, writing under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ParquetConfig {
            root: root.into(),
            max_file_bytes: 256 << 20,
            max_file_age: Duration::from_secs(15 * 60),
            row_group_rows: 1 << 20,
            write_batch_rows: 1 << 16,
            zstd_level: 1,
            max_value_bytes: 16 << 20,
            write_ahead: true,
        }
    }

    /// Sets [`ParquetConfig::max_file_bytes`].
    pub fn with_max_file_bytes(mut self, bytes: u64) -> Self {
        self.max_file_bytes = bytes.max(1);
        self
    }

    /// Sets [`ParquetConfig::max_file_age`].
    pub fn with_max_file_age(mut self, age: Duration) -> Self {
        self.max_file_age = age;
        self
    }

    /// Sets [`ParquetConfig::row_group_rows`] (at least 1).
    pub fn with_row_group_rows(mut self, rows: usize) -> Self {
        self.row_group_rows = rows.max(1);
        self
    }

    /// Sets [`ParquetConfig::write_batch_rows`] (at least 1).
    pub fn with_write_batch_rows(mut self, rows: usize) -> Self {
        self.write_batch_rows = rows.max(1);
        self
    }

    /// Sets [`ParquetConfig::zstd_level`] (clamped to 1..=22).
    pub fn with_zstd_level(mut self, level: i32) -> Self {
        self.zstd_level = level.clamp(1, 22);
        self
    }

    /// Sets [`ParquetConfig::max_value_bytes`].
    pub fn with_max_value_bytes(mut self, bytes: usize) -> Self {
        self.max_value_bytes = bytes;
        self
    }

    /// Sets [`ParquetConfig::write_ahead`].
    pub fn with_write_ahead(mut self, on: bool) -> Self {
        self.write_ahead = on;
        self
    }
}
