//! Delivery: from the host application to every sink, without loss while there is room.
//!
//! A [`Pipeline`] takes [`Batch`](crate::Batch)es with [`Pipeline::submit`] (never waits) and
//! gives each [`Sink`](crate::Sink) a lane of its own:
//!
//! - **Bounded memory.** Up to [`DeliveryConfig::queue_records`] records wait in memory.
//! - **Batching by size and time.** The sink's task merges queued batches into a write once
//!   [`DeliveryConfig::batch_records`] records are queued or the oldest has waited
//!   [`DeliveryConfig::batch_wait`]; a sink that fell behind gets bigger writes, up to
//!   [`DeliveryConfig::backlog_batch_records`].
//! - **Retries.** An error that is not the data's fault
//!   ([`SinkError::is_rejection`](crate::SinkError::is_rejection) is false: the sink is
//!   unavailable, or misconfigured until an operator acts) is retried with exponential back-off
//!   ([`DeliveryConfig::retry_initial`] up to [`DeliveryConfig::retry_max`]); the same batch is
//!   written again, so at-least-once is the guarantee and the sinks make replays no-ops.
//! - **Spill at the first failure.** With a spill file, a write from memory that fails, or has
//!   not finished after [`DeliveryConfig::stall_timeout`], sends that batch and everything
//!   memory holds to the spill file at once, and retries from there: a crash while the sink is
//!   down or stalled loses at most what the spill's `fsync` interval (1 s) allows, not what a
//!   pool timeout kept in memory.
//! - **Spill.** While the sink is down, or when its memory queue is full, new batches go to a
//!   spill file on local disk ([`DeliveryConfig::spill_dir`]); once memory is written, the
//!   spill is replayed in order, and new batches go to memory again when it is drained. A
//!   spill file left by an earlier run is replayed at start. Spilled batches are made
//!   durable (`fsync`) every second, off the submitter's path, and at shutdown.
//! - **When everything is full.** A batch that fits neither in memory nor in the spill file
//!   (or when there is no spill file) is dropped: the *newest* data is lost, not the oldest,
//!   and [`SinkStats::dropped_records`] counts it. Nothing is dropped silently.
//! - **Bad data is quarantined.** A rejection that names the records at fault
//!   ([`SinkError::RejectedRecords`](crate::SinkError::RejectedRecords)) takes them out of the
//!   batch; one that does not ([`SinkError::Rejected`](crate::SinkError::Rejected)) splits the
//!   batch in halves until the bad records are alone. Every other record is written. The bad
//!   ones are counted in [`SinkStats::rejected_records`], logged with the reason, and kept in
//!   the sink's dead-letter file, `<dead_letter_dir>/<sink>.deadletter.jsonl` (one JSON object
//!   per line: the record, the reason and the time; the spill directory unless
//!   [`DeliveryConfig::dead_letter_dir`] says otherwise), counted in
//!   [`SinkStats::quarantined_records`]. Nothing that can never be written is retried.
//! - **Fan-out.** Lanes are independent: a slow sink fills its own queue and spill, and holds
//!   up no other sink.
//! - **Shutdown.** [`Pipeline::shutdown`] stops intake, writes what is left, then flushes and
//!   closes every sink; a sink still failing after [`DeliveryConfig::shutdown_timeout`]
//!   leaves what it holds in its spill file for the next run.
//! - **Counters** per sink ([`SinkStats`]): records written, retries, spilled, replayed,
//!   dropped and rejected records, queued records, spill bytes, lag.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use spark_sink::delivery::{DeliveryConfig, Pipeline};
//! use spark_sink::memory::MemorySink;
//! use spark_sink::{Batch, Sink};
//!
//! let (sink, handle) = MemorySink::new("memory");
//! let sinks: Vec<Box<dyn Sink>> = vec![Box::new(sink)];
//! let pipeline = Pipeline::new(DeliveryConfig::default(), sinks)?;
//! pipeline.submit(Batch::new())?;
//! let report = pipeline.shutdown().await;
//! assert!(report.errors.is_empty());
//! assert!(handle.is_closed());
//! # Ok(())
//! # }
//! ```

pub(crate) mod codec;
mod config;
mod dead_letter;
mod lane;
mod pipeline;
mod spill;
mod stats;
mod worker;

pub use config::DeliveryConfig;
pub use dead_letter::DeadLetterError;
pub use pipeline::{Pipeline, PipelineError, ShutdownReport, StatsReader, SubmitError};
pub use spill::SpillError;
pub use stats::SinkStats;
