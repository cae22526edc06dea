//! The write side: the [`Sink`] trait every backend implements.

use async_trait::async_trait;

use crate::error::SinkError;
use crate::record::Batch;

/// A place records are written to: a database, a Parquet archive, anything else.
///
/// The delivery layer calls `write` with batches in order, `flush` when it wants what was
/// written to be durable, and `close` once on shutdown. A backend must make `write` idempotent
/// for samples: writing the same batch twice stores every sample once (delivery is at least
/// once). An `Err` says through [`SinkError::is_retriable`] whether trying the same batch again
/// can help.
#[async_trait]
pub trait Sink: Send {
    /// A short name for logs and counters (`sqlite`, `mysql`, `parquet`).
    fn name(&self) -> &str;

    /// Writes a batch. When this returns `Ok`, a later `flush` makes the batch durable.
    async fn write(&mut self, batch: &Batch) -> Result<(), SinkError>;

    /// Makes everything written so far durable (commits, closes open files).
    async fn flush(&mut self) -> Result<(), SinkError>;

    /// Flushes and releases the backend's resources. Called once; no write follows.
    async fn close(&mut self) -> Result<(), SinkError>;

    /// Checks that the backend can take writes now (a connection answers, a directory is
    /// writable).
    async fn healthcheck(&mut self) -> Result<(), SinkError>;
}
