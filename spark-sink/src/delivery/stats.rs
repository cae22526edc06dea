//! Counters per sink, readable at any time ([`SinkStats`]).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A snapshot of one sink's delivery counters. Counters only grow; gauges (`queued_records`,
/// `spill_bytes`, `spill_records`, `lag_ms`, `sink_down`) are the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SinkStats {
    /// The sink's name.
    pub sink: String,
    /// Records the sink accepted (`write` returned `Ok`).
    pub records_written: u64,
    /// Samples among them.
    pub samples_written: u64,
    /// Successful writes.
    pub writes: u64,
    /// Writes that failed with a retriable error and were tried again.
    pub retries: u64,
    /// Records that went to the spill file.
    pub spilled_records: u64,
    /// Records read back from the spill file and written.
    pub replayed_records: u64,
    /// Records dropped because the memory queue and the spill file were full (or there is no
    /// spill file): the newest are dropped.
    pub dropped_records: u64,
    /// Records the sink rejected (non-retriable errors), after the batch was split to isolate
    /// them.
    pub rejected_records: u64,
    /// Rejected records kept in the sink's dead-letter file (the others among
    /// `rejected_records` are lost: no dead-letter file, or it was full or failed).
    pub quarantined_records: u64,
    /// The sink's dead-letter file, once a record was quarantined in it.
    pub dead_letter_file: Option<std::path::PathBuf>,
    /// Spill frames that did not decode (damaged file), skipped.
    pub corrupt_spill_frames: u64,
    /// Records held in memory now.
    pub queued_records: u64,
    /// Bytes in the spill file not yet replayed.
    pub spill_bytes: u64,
    /// Records in the spill file not yet replayed (counted from the file at start, so what an
    /// earlier run left is included).
    pub spill_records: u64,
    /// For the last write: milliseconds from submission of its oldest batch to the sink's
    /// acceptance.
    pub lag_ms: u64,
    /// Successful flushes.
    pub flushes: u64,
    /// Whether the last write failed with a retriable error (the sink is down).
    pub sink_down: bool,
    /// The last error, in words.
    pub last_error: Option<String>,
}

/// The live counters behind [`SinkStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) records_written: AtomicU64,
    pub(crate) samples_written: AtomicU64,
    pub(crate) writes: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) spilled_records: AtomicU64,
    pub(crate) replayed_records: AtomicU64,
    pub(crate) dropped_records: AtomicU64,
    pub(crate) rejected_records: AtomicU64,
    pub(crate) quarantined_records: AtomicU64,
    pub(crate) dead_letter_file: std::sync::Mutex<Option<std::path::PathBuf>>,
    pub(crate) corrupt_spill_frames: AtomicU64,
    pub(crate) queued_records: AtomicU64,
    pub(crate) spill_bytes: AtomicU64,
    pub(crate) spill_records: AtomicU64,
    pub(crate) lag_ms: AtomicU64,
    pub(crate) flushes: AtomicU64,
    pub(crate) sink_down: AtomicU64,
    pub(crate) last_error: std::sync::Mutex<Option<String>>,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    pub(crate) fn set(counter: &AtomicU64, n: u64) {
        counter.store(n, Relaxed);
    }

    pub(crate) fn error(&self, error: String) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(error);
        }
    }

    pub(crate) fn snapshot(&self, sink: &str) -> SinkStats {
        SinkStats {
            sink: sink.to_owned(),
            records_written: self.records_written.load(Relaxed),
            samples_written: self.samples_written.load(Relaxed),
            writes: self.writes.load(Relaxed),
            retries: self.retries.load(Relaxed),
            spilled_records: self.spilled_records.load(Relaxed),
            replayed_records: self.replayed_records.load(Relaxed),
            dropped_records: self.dropped_records.load(Relaxed),
            rejected_records: self.rejected_records.load(Relaxed),
            quarantined_records: self.quarantined_records.load(Relaxed),
            dead_letter_file: self.dead_letter_file.lock().ok().and_then(|p| p.clone()),
            corrupt_spill_frames: self.corrupt_spill_frames.load(Relaxed),
            queued_records: self.queued_records.load(Relaxed),
            spill_bytes: self.spill_bytes.load(Relaxed),
            spill_records: self.spill_records.load(Relaxed),
            lag_ms: self.lag_ms.load(Relaxed),
            flushes: self.flushes.load(Relaxed),
            sink_down: self.sink_down.load(Relaxed) != 0,
            last_error: self.last_error.lock().ok().and_then(|e| e.clone()),
        }
    }
}
