//! [`ParquetError`]: why the Parquet writer could not write.

use std::path::{Path, PathBuf};

use crate::error::SinkError;

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
    /// A record cannot be stored; nothing of its batch was written.
    #[error("record {index} of the batch cannot be stored: {reason}")]
    Rejected {
        /// Its index in the batch.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The writer was closed.
    #[error("the writer is closed")]
    Closed,
}

impl ParquetError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        ParquetError::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// The [`SinkError`] for a sink named `sink`: rejections stay rejections, a closed writer
    /// is [`SinkError::Closed`], everything else may pass when retried (disk space freed).
    pub fn into_sink_error(self, sink: &str) -> SinkError {
        let sink = sink.to_owned();
        match self {
            ParquetError::Rejected { .. } => SinkError::Rejected {
                sink,
                message: self.to_string(),
            },
            ParquetError::Closed => SinkError::Closed { sink },
            other => SinkError::Unavailable {
                sink,
                message: other.to_string(),
                source: Some(Box::new(other)),
            },
        }
    }
}
