//! [`DeliveryConfig`]: queue sizes, batching, retries and the spill file.

use std::path::PathBuf;
use std::time::Duration;

/// How the [`Pipeline`](super::Pipeline) delivers to each sink. Start from
/// [`DeliveryConfig::default`] and change what you need with the `with_*` setters.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DeliveryConfig {
    /// Records held in memory per sink before new batches go to the spill file (or, without
    /// one, are dropped and counted). Default 100 000.
    pub queue_records: usize,
    /// A write carries at most this many records (whole submitted batches; one batch larger
    /// than this is written alone). Default 5 000.
    pub batch_records: usize,
    /// A write takes up to this many records when more are queued than
    /// [`DeliveryConfig::batch_records`] (the sink fell behind, or a spill is replayed):
    /// fewer, bigger writes cost a database less per record, so a backlog is caught up
    /// faster, while a sink that keeps up still writes every `batch_records` or
    /// `batch_wait`. Never less than `batch_records`. Default 20 000.
    pub backlog_batch_records: usize,
    /// A write waits at most this long for more records before it goes with what it has.
    /// Default 200 ms.
    pub batch_wait: Duration,
    /// The first retry waits this long after a retriable error; each further retry doubles it.
    /// Default 100 ms.
    pub retry_initial: Duration,
    /// The longest wait between retries. Default 10 s.
    pub retry_max: Duration,
    /// The directory of the spill files (`<sink name>.spill`), `None` for no spill.
    /// Default `None`.
    pub spill_dir: Option<PathBuf>,
    /// The most bytes a sink's spill file holds; a batch that does not fit is dropped and
    /// counted. Default 1 GiB.
    pub spill_max_bytes: u64,
    /// Call [`Sink::flush`](crate::Sink::flush) this often while records are being written
    /// (`None`: only at shutdown). Default `None`.
    pub flush_interval: Option<Duration>,
    /// At shutdown, how long a sink that fails may keep retrying before what it still holds
    /// goes to its spill file (or is dropped and counted). Default 10 s.
    pub shutdown_timeout: Duration,
    /// A write from memory that has not finished after this long, or that failed with an
    /// error worth retrying, sends what memory holds to the spill file at once (with a spill
    /// directory), so a crash while the sink is down or stalled loses no more than the spill
    /// file's `fsync` interval. The stalled write still runs; when it succeeds, its copy in
    /// the spill is consumed without a second write where it can be. Default 2 s (well under
    /// a SQL pool's 10 s acquire timeout).
    pub stall_timeout: Duration,
    /// The directory of the dead-letter files (`<sink name>.deadletter.jsonl`, the records a
    /// sink can never write, with the reason); `None`: the spill directory, and without one
    /// no dead-letter file (rejected records are then only counted and logged).
    /// Default `None`.
    pub dead_letter_dir: Option<PathBuf>,
    /// The most bytes a sink's dead-letter file may hold; a rejected record that does not fit
    /// is counted and logged but not kept. Default 256 MiB.
    pub dead_letter_max_bytes: u64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            queue_records: 100_000,
            batch_records: 5_000,
            backlog_batch_records: 20_000,
            batch_wait: Duration::from_millis(200),
            retry_initial: Duration::from_millis(100),
            retry_max: Duration::from_secs(10),
            spill_dir: None,
            spill_max_bytes: 1 << 30,
            flush_interval: None,
            shutdown_timeout: Duration::from_secs(10),
            stall_timeout: Duration::from_secs(2),
            dead_letter_dir: None,
            dead_letter_max_bytes: 256 << 20,
        }
    }
}

impl DeliveryConfig {
    /// Sets [`DeliveryConfig::queue_records`] (at least 1).
    pub fn with_queue_records(mut self, records: usize) -> Self {
        self.queue_records = records.max(1);
        self
    }

    /// Sets [`DeliveryConfig::batch_records`] (at least 1).
    pub fn with_batch_records(mut self, records: usize) -> Self {
        self.batch_records = records.max(1);
        self
    }

    /// Sets [`DeliveryConfig::backlog_batch_records`] (at least 1).
    pub fn with_backlog_batch_records(mut self, records: usize) -> Self {
        self.backlog_batch_records = records.max(1);
        self
    }

    /// Sets [`DeliveryConfig::batch_wait`].
    pub fn with_batch_wait(mut self, wait: Duration) -> Self {
        self.batch_wait = wait;
        self
    }

    /// Sets [`DeliveryConfig::retry_initial`] and [`DeliveryConfig::retry_max`].
    pub fn with_retry(mut self, initial: Duration, max: Duration) -> Self {
        self.retry_initial = initial;
        self.retry_max = max.max(initial);
        self
    }

    /// Sets [`DeliveryConfig::spill_dir`] and [`DeliveryConfig::spill_max_bytes`].
    pub fn with_spill(mut self, dir: impl Into<PathBuf>, max_bytes: u64) -> Self {
        self.spill_dir = Some(dir.into());
        self.spill_max_bytes = max_bytes;
        self
    }

    /// Sets [`DeliveryConfig::flush_interval`].
    pub fn with_flush_interval(mut self, interval: Option<Duration>) -> Self {
        self.flush_interval = interval;
        self
    }

    /// Sets [`DeliveryConfig::shutdown_timeout`].
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Sets [`DeliveryConfig::stall_timeout`].
    pub fn with_stall_timeout(mut self, timeout: Duration) -> Self {
        self.stall_timeout = timeout;
        self
    }

    /// Sets [`DeliveryConfig::dead_letter_dir`] and [`DeliveryConfig::dead_letter_max_bytes`].
    pub fn with_dead_letter(mut self, dir: impl Into<PathBuf>, max_bytes: u64) -> Self {
        self.dead_letter_dir = Some(dir.into());
        self.dead_letter_max_bytes = max_bytes;
        self
    }

    /// Where the dead-letter files go: [`DeliveryConfig::dead_letter_dir`], else the spill
    /// directory.
    pub(crate) fn dead_letters_in(&self) -> Option<&PathBuf> {
        self.dead_letter_dir.as_ref().or(self.spill_dir.as_ref())
    }
}
