//! The task that drives one sink: take work, write it with retries, isolate rejected
//! records, flush, and at shutdown drain, flush and close.

use std::sync::Arc;
use tokio::time::{Instant, sleep_until, timeout_at};

use super::config::DeliveryConfig;
use super::lane::{Lane, LaneState, Work, now_ms};
use super::stats::Counters;
use crate::error::SinkError;
use crate::record::{Batch, Record};
use crate::sink::Sink;

/// How often a retry's back-off looks for the start of shutdown.
const SHUTDOWN_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// How one sink's task ended.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) close_error: Option<SinkError>,
}

/// The outcome of writing a batch with retries.
enum Delivery {
    Written,
    /// Shutdown passed its deadline while the sink kept failing: the batch is still pending.
    GaveUp(Batch),
}

pub(crate) struct Worker {
    pub(crate) lane: Arc<Lane>,
    pub(crate) sink: Box<dyn Sink>,
    pub(crate) config: DeliveryConfig,
    /// Set when shutdown begins: the deadline for retries.
    pub(crate) deadline: Arc<tokio::sync::OnceCell<Instant>>,
}

impl Worker {
    pub(crate) async fn run(mut self) -> Finished {
        let mut last_flush = Instant::now();
        let mut unflushed = false;
        loop {
            let Some(work) = next_work(&self.lane, &self.config).await else {
                break;
            };
            match work {
                Work::Memory { batch, oldest_ms } => {
                    if let Delivery::GaveUp(batch) = self.deliver(batch, oldest_ms).await {
                        let mut state = self.lane.lock();
                        self.lane.spill_or_drop(&mut state, &batch, oldest_ms);
                        self.give_up_rest(&mut state);
                        break;
                    }
                }
                Work::Spill {
                    batch,
                    oldest_ms,
                    commit,
                } => {
                    let n = batch.len() as u64;
                    if let Delivery::GaveUp(_) = self.deliver(batch, oldest_ms).await {
                        // Still in the spill file, replayed by the next run.
                        let mut state = self.lane.lock();
                        self.give_up_rest(&mut state);
                        break;
                    }
                    Counters::add(&self.lane.counters.replayed_records, n);
                    let mut state = self.lane.lock();
                    if let Some(spill) = state.spill.as_mut() {
                        if let Err(e) = spill.commit(commit) {
                            self.lane.counters.error(e.to_string());
                        }
                    }
                    self.lane.update_gauges(&state);
                }
            }
            unflushed = true;
            if let Some(interval) = self.config.flush_interval {
                if last_flush.elapsed() >= interval {
                    self.flush().await;
                    last_flush = Instant::now();
                    unflushed = false;
                }
            }
        }
        if unflushed || self.config.flush_interval.is_none() {
            self.flush().await;
        }
        let close_error = self.sink.close().await.err();
        if let Some(e) = &close_error {
            tracing::error!(sink = %self.lane.name, error = %e, "The sink did not close cleanly.");
            self.lane.counters.error(e.to_string());
        }
        Finished { close_error }
    }

    async fn flush(&mut self) {
        match self.sink.flush().await {
            Ok(()) => Counters::add(&self.lane.counters.flushes, 1),
            Err(e) => {
                tracing::warn!(sink = %self.lane.name, error = %e, "The sink did not flush.");
                self.lane.counters.error(e.to_string());
            }
        }
    }

    /// Moves what memory still holds to the spill file (or counts it dropped) after the
    /// sink gave up at shutdown.
    fn give_up_rest(&self, state: &mut LaneState) {
        while let Some(Work::Memory { batch, oldest_ms }) = self.lane.take_memory(state, usize::MAX)
        {
            self.lane.spill_or_drop(state, &batch, oldest_ms);
        }
        self.lane.update_gauges(state);
    }

    /// Writes a batch: retries retriable errors with back-off; on a rejection splits the
    /// batch in halves until the rejected records are alone, and counts them.
    async fn deliver(&mut self, batch: Batch, oldest_ms: i64) -> Delivery {
        let mut pieces = vec![batch.records];
        while let Some(records) = pieces.pop() {
            let piece = Batch { records };
            match self.write_with_retry(&piece).await {
                Ok(()) => {
                    let c = &self.lane.counters;
                    Counters::add(&c.records_written, piece.len() as u64);
                    Counters::add(&c.samples_written, piece.samples().count() as u64);
                    Counters::add(&c.writes, 1);
                    let lag = u64::try_from(now_ms().saturating_sub(oldest_ms)).unwrap_or(0);
                    Counters::set(&c.lag_ms, lag);
                }
                Err(Failure::GaveUp) => {
                    // Put back what is not written yet, in order.
                    let mut rest = piece.records;
                    while let Some(p) = pieces.pop() {
                        rest.extend(p);
                    }
                    return Delivery::GaveUp(Batch { records: rest });
                }
                Err(Failure::Rejected(e)) if piece.len() > 1 => {
                    let mut first = piece.records;
                    let second = first.split_off(first.len() / 2);
                    tracing::debug!(sink = %self.lane.name, error = %e, "A batch was rejected; splitting it.");
                    pieces.push(second);
                    pieces.push(first);
                }
                Err(Failure::Rejected(e)) => {
                    tracing::warn!(sink = %self.lane.name, error = %e, record = ?describe(&piece), "A record was rejected.");
                    Counters::add(&self.lane.counters.rejected_records, piece.len() as u64);
                    self.lane.counters.error(e.to_string());
                }
            }
        }
        Delivery::Written
    }

    async fn write_with_retry(&mut self, batch: &Batch) -> Result<(), Failure> {
        let mut backoff = self.config.retry_initial;
        loop {
            match self.sink.write(batch).await {
                Ok(()) => {
                    let mut state = self.lane.lock();
                    if state.sink_down {
                        state.sink_down = false;
                        self.lane.update_gauges(&state);
                        tracing::info!(sink = %self.lane.name, "The sink accepts writes again.");
                    }
                    return Ok(());
                }
                Err(e) if e.is_retriable() => {
                    Counters::add(&self.lane.counters.retries, 1);
                    {
                        let mut state = self.lane.lock();
                        if !state.sink_down {
                            tracing::warn!(sink = %self.lane.name, error = %e, "The sink is unavailable; retrying.");
                        }
                        state.sink_down = true;
                        self.lane.update_gauges(&state);
                    }
                    self.lane.counters.error(e.to_string());
                    let wake = Instant::now() + backoff;
                    // Sleep in short steps so a shutdown that begins meanwhile is noticed.
                    loop {
                        if let Some(deadline) = self.deadline.get() {
                            if wake >= *deadline {
                                return Err(Failure::GaveUp);
                            }
                        }
                        let now = Instant::now();
                        if now >= wake {
                            break;
                        }
                        sleep_until(wake.min(now + SHUTDOWN_POLL)).await;
                    }
                    backoff = (backoff * 2).min(self.config.retry_max);
                }
                Err(e) => return Err(Failure::Rejected(e)),
            }
        }
    }
}

/// Waits for work: memory first (it is older than the spill), then the spill; batches by
/// size and time. `None` when shutdown began and nothing is left.
async fn next_work(lane: &Lane, config: &DeliveryConfig) -> Option<Work> {
    let max = config.batch_records;
    // A write starts at `max` records (or after `batch_wait`) and takes whatever is queued up
    // to the backlog size: no more than `max` when the sink keeps up, more when it does not.
    let take = config.backlog_batch_records.max(max);
    loop {
        let wait_until = {
            let mut state = lane.lock();
            if let Some(first) = state.queue.front() {
                let waited = first.at.elapsed();
                if state.queued_records >= max || state.closing || waited >= config.batch_wait {
                    return lane.take_memory(&mut state, take);
                }
                Some(Instant::now() + (config.batch_wait - waited))
            } else if let Some(work) = lane.take_spill(&mut state, take) {
                return Some(work);
            } else if state.closing {
                return None;
            } else {
                None
            }
        };
        match wait_until {
            Some(at) => {
                let _ = timeout_at(at, lane.notify.notified()).await;
            }
            None => lane.notify.notified().await,
        }
    }
}

enum Failure {
    GaveUp,
    Rejected(SinkError),
}

/// A short description of a rejected record for the log.
fn describe(batch: &Batch) -> String {
    match batch.records.first() {
        Some(Record::Sample(s)) => {
            format!("sample {} {} at {}", s.source, s.metric, s.timestamp_ms)
        }
        Some(Record::Birth(b)) => format!("birth of {}", b.source),
        Some(Record::Event(e)) => format!("event {}", e.kind.name()),
        None => String::new(),
    }
}
