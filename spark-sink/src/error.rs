//! [`SinkError`]: why a sink could not write, and whether trying again can help.

/// Why a sink operation failed.
///
/// The delivery pipeline acts on the kind: [`SinkError::Unavailable`] (and
/// [`SinkError::Config`], which an operator can fix) is retried with back-off while the data
/// waits in the spill file; [`SinkError::Rejected`] and [`SinkError::RejectedRecords`] say
/// that records can never be written: they are isolated, quarantined in the sink's dead-letter
/// file and the rest of the batch is written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// The backend is unreachable or overloaded (connection refused or lost, timeout, lock wait,
    /// disk full). Retrying the same batch later can succeed.
    #[error("{sink} is unavailable: {message}")]
    Unavailable {
        /// The sink's name.
        sink: String,
        /// What happened.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The batch itself cannot be written (a value the schema cannot hold), and the sink does
    /// not know which record is at fault. Retrying the same batch fails the same way.
    #[error("{sink} rejected the data: {message}")]
    Rejected {
        /// The sink's name.
        sink: String,
        /// What was wrong.
        message: String,
    },
    /// These records of the batch can never be written by this sink; nothing of the batch was
    /// written. Writing the batch without them can succeed.
    #[error("{sink} cannot store {} record(s) of the batch: {}", records.len(), first_reason(records))]
    RejectedRecords {
        /// The sink's name.
        sink: String,
        /// The records at fault, by index in the batch, in increasing order.
        records: Vec<RejectedRecord>,
    },
    /// The sink is misconfigured or its store is not usable (bad URL, schema from a newer
    /// version, permission denied). Needs an operator.
    #[error("{sink} is misconfigured: {message}")]
    Config {
        /// The sink's name.
        sink: String,
        /// What is wrong.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The sink was already closed.
    #[error("{sink} is closed")]
    Closed {
        /// The sink's name.
        sink: String,
    },
}

/// One record a sink can never write: its index in the batch and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRecord {
    /// The record's index in the batch given to [`Sink::write`](crate::Sink::write).
    pub index: usize,
    /// Why it cannot be written, in words.
    pub reason: String,
}

fn first_reason(records: &[RejectedRecord]) -> &str {
    records.first().map_or("", |r| r.reason.as_str())
}

impl SinkError {
    /// Whether writing the same batch again later can succeed.
    pub fn is_retriable(&self) -> bool {
        matches!(self, SinkError::Unavailable { .. })
    }

    /// Whether the data is at fault ([`SinkError::Rejected`] or
    /// [`SinkError::RejectedRecords`]): retrying the same records can never succeed.
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            SinkError::Rejected { .. } | SinkError::RejectedRecords { .. }
        )
    }
}
