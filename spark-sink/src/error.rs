//! [`SinkError`]: why a sink could not write, and whether trying again can help.

/// Why a sink operation failed.
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
    /// The batch itself cannot be written (a value the schema cannot hold). Retrying the same
    /// batch fails the same way.
    #[error("{sink} rejected the data: {message}")]
    Rejected {
        /// The sink's name.
        sink: String,
        /// What was wrong.
        message: String,
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

impl SinkError {
    /// Whether writing the same batch again later can succeed.
    pub fn is_retriable(&self) -> bool {
        matches!(self, SinkError::Unavailable { .. })
    }
}
