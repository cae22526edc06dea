//! [`ParquetError`]: why the Parquet writer could not write.

use std::path::{Path, PathBuf};

use crate::error::{RejectedRecord, SinkError};

/// Why a [`ParquetWriter`](super::ParquetWriter) operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParquetError {
    /// A file or directory operation failed (disk full, permission denied).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The Parquet encoder failed (usually an IO error underneath).
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Arrow refused a column (a bug: the builders follow the schema).
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// Records of the batch can never be stored (a value over the size limit, a partition
    /// path the file system refuses); nothing of the batch was written.
    #[error("{} of the batch cannot be stored: {}", describe(records), records.first().map_or("", |r| r.reason.as_str()))]
    Rejected {
        /// The records, by index in the batch, in increasing order.
        records: Vec<RejectedRecord>,
    },
    /// The writer was closed.
    #[error("the writer is closed")]
    Closed,
}

fn describe(records: &[RejectedRecord]) -> String {
    match records {
        [one] => format!("record {}", one.index),
        _ => format!("{} records", records.len()),
    }
}

/// Whether an IO error is about the path itself, so that trying again cannot help: a name or
/// path too long for the file system, a name it refuses.
pub(crate) fn is_permanent(e: &std::io::Error) -> bool {
    /// `ENAMETOOLONG` on Linux and the BSDs.
    const ENAMETOOLONG: &[i32] = &[36, 63];
    matches!(
        e.kind(),
        std::io::ErrorKind::InvalidFilename | std::io::ErrorKind::InvalidInput
    ) || e.raw_os_error().is_some_and(|c| ENAMETOOLONG.contains(&c))
}

/// Whether an IO error needs an operator (permissions, a read-only file system, a file where a
/// directory belongs): retried, but logged as such.
fn needs_operator(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::PermissionDenied
            | std::io::ErrorKind::ReadOnlyFilesystem
            | std::io::ErrorKind::NotADirectory
    )
}

impl ParquetError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        ParquetError::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// The [`SinkError`] for a sink named `sink`: rejections name their records
    /// ([`SinkError::RejectedRecords`]), a closed writer is [`SinkError::Closed`], a
    /// permission or read-only file system is [`SinkError::Config`], everything else may pass
    /// when retried (disk space freed).
    pub fn into_sink_error(self, sink: &str) -> SinkError {
        let sink = sink.to_owned();
        match self {
            ParquetError::Rejected { records } => SinkError::RejectedRecords { sink, records },
            ParquetError::Closed => SinkError::Closed { sink },
            ParquetError::Io { ref source, .. } if needs_operator(source) => SinkError::Config {
                sink,
                message: self.to_string(),
                source: Some(Box::new(self)),
            },
            other => SinkError::Unavailable {
                sink,
                message: other.to_string(),
                source: Some(Box::new(other)),
            },
        }
    }
}
