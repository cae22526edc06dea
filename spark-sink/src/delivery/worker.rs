//! The task that drives one sink: take work, write it with retries, isolate rejected
//! records, flush, and at shutdown drain, flush and close.

use std::sync::Arc;
use tokio::time::{Instant, sleep_until, timeout_at};

use super::config::DeliveryConfig;
use super::dead_letter::DeadLetter;
use super::lane::{Lane, LaneState, Work, now_ms};
use super::spill::Spill;
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
    /// A write from memory failed or stalled: the rest of the batch went to the spill file.
    Diverted,
    /// Shutdown passed its deadline while the sink kept failing: the batch is still pending.
    GaveUp(Batch),
}

pub(crate) struct Worker {
    pub(crate) lane: Arc<Lane>,
    pub(crate) sink: Box<dyn Sink>,
    pub(crate) config: DeliveryConfig,
    /// Set when shutdown begins: the deadline for retries.
    pub(crate) deadline: Arc<tokio::sync::OnceCell<Instant>>,
    /// Where the records the sink can never write go.
    pub(crate) dead_letter: Option<DeadLetter>,
    /// Bounds the log lines a flood of quarantined records costs.
    pub(crate) quarantine_log: LogBudget,
}

/// A budget of log lines per minute: a flood of bad records writes them all to the
/// dead-letter file, but only the first few to the log, and then one summary line.
#[derive(Debug)]
pub(crate) struct LogBudget {
    window: Instant,
    logged: u32,
    suppressed: u64,
}

impl Default for LogBudget {
    fn default() -> Self {
        LogBudget {
            window: Instant::now(),
            logged: 0,
            suppressed: 0,
        }
    }
}

impl LogBudget {
    /// Lines per minute.
    const PER_MINUTE: u32 = 20;

    /// Whether one more line may be logged now.
    fn admit(&mut self) -> bool {
        if self.window.elapsed() >= std::time::Duration::from_secs(60) {
            self.window = Instant::now();
            self.logged = 0;
        }
        if self.logged < Self::PER_MINUTE {
            self.logged += 1;
            true
        } else {
            self.suppressed += 1;
            false
        }
    }

    /// Logs how many lines were left out, if any.
    fn flush(&mut self, sink: &str) {
        if self.suppressed > 0 {
            tracing::warn!(
                sink,
                more = self.suppressed,
                "More records the sink cannot write were quarantined (not logged one by one; see the dead-letter file)."
            );
            self.suppressed = 0;
        }
    }
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
                    let divert = self.lane.lock().spill.is_some();
                    if let Delivery::GaveUp(batch) = self.deliver(batch, oldest_ms, divert).await {
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
                    if let Delivery::GaveUp(_) = self.deliver(batch, oldest_ms, false).await {
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

    /// Writes a batch: retries errors that are not the data's fault with back-off; isolates
    /// the records a sink rejects (by the indices it names, else by splitting the batch in
    /// halves until they are alone) and quarantines them. With `divert`, the batch comes from
    /// memory and a spill file exists: the first failure or stall sends it, with what memory
    /// still holds, to the spill file ([`Delivery::Diverted`]) instead of retrying it from
    /// memory.
    async fn deliver(&mut self, batch: Batch, oldest_ms: i64, divert: bool) -> Delivery {
        let delivery = self.deliver_pieces(batch, oldest_ms, divert).await;
        if let Some(dead_letter) = self.dead_letter.as_mut() {
            if let Err(e) = dead_letter.sync() {
                tracing::error!(sink = %self.lane.name, error = %e, "The dead-letter file could not be synced.");
                self.lane.counters.error(e.to_string());
            }
        }
        self.quarantine_log.flush(&self.lane.name);
        delivery
    }

    async fn deliver_pieces(&mut self, batch: Batch, oldest_ms: i64, divert: bool) -> Delivery {
        let mut pieces = vec![batch.records];
        while let Some(records) = pieces.pop() {
            let piece = Batch { records };
            let result = if divert {
                self.write_watched(&piece, &pieces, oldest_ms).await
            } else {
                self.write_with_retry(&piece).await
            };
            match result {
                Ok(()) => count_written(&self.lane, &piece, oldest_ms),
                Err(Failure::Diverted) => return Delivery::Diverted,
                Err(Failure::GaveUp) => {
                    // Put back what is not written yet, in order.
                    let mut rest = piece.records;
                    while let Some(p) = pieces.pop() {
                        rest.extend(p);
                    }
                    return Delivery::GaveUp(Batch { records: rest });
                }
                Err(Failure::Rejected(SinkError::RejectedRecords { records: bad, .. })) => {
                    let mut bad = bad.into_iter().peekable();
                    let mut keep = Vec::with_capacity(piece.len());
                    let mut quarantined = 0;
                    for (i, record) in piece.records.into_iter().enumerate() {
                        while bad.peek().is_some_and(|b| b.index < i) {
                            bad.next();
                        }
                        match bad.peek() {
                            Some(b) if b.index == i => {
                                let reason = b.reason.clone();
                                self.quarantine(&record, &reason);
                                quarantined += 1;
                            }
                            _ => keep.push(record),
                        }
                    }
                    if quarantined == 0 {
                        // The sink named no record of this piece: find them by splitting.
                        let e = SinkError::Rejected {
                            sink: self.lane.name.clone(),
                            message: "the rejected records named no record of the batch".into(),
                        };
                        self.split_or_quarantine(keep, &e, &mut pieces);
                    } else if !keep.is_empty() {
                        pieces.push(keep);
                    }
                }
                Err(Failure::Rejected(e)) => {
                    self.split_or_quarantine(piece.records, &e, &mut pieces);
                }
            }
        }
        Delivery::Written
    }

    /// A rejected piece whose bad records are not known: its halves are tried on their own;
    /// a single record is quarantined.
    fn split_or_quarantine(
        &mut self,
        mut records: Vec<Record>,
        e: &SinkError,
        pieces: &mut Vec<Vec<Record>>,
    ) {
        match records.len() {
            0 => {}
            1 => {
                if let Some(record) = records.pop() {
                    self.quarantine(&record, &e.to_string());
                }
            }
            n => {
                let second = records.split_off(n / 2);
                tracing::debug!(sink = %self.lane.name, error = %e, "A batch was rejected; splitting it.");
                pieces.push(second);
                pieces.push(records);
            }
        }
    }

    /// Counts a record the sink can never write, raises it in the log and keeps it in the
    /// dead-letter file (when there is one and it has room).
    fn quarantine(&mut self, record: &Record, reason: &str) {
        let c = &self.lane.counters;
        Counters::add(&c.rejected_records, 1);
        c.error(format!("rejected {}: {reason}", describe_record(record)));
        let Some(dead_letter) = self.dead_letter.as_mut() else {
            tracing::error!(sink = %self.lane.name, record = %describe_record(record), %reason, "A record the sink cannot write was dropped (no dead-letter file).");
            return;
        };
        match dead_letter.append(record, reason, now_ms()) {
            Ok(()) => {
                Counters::add(&c.quarantined_records, 1);
                if let Ok(mut file) = c.dead_letter_file.lock() {
                    file.get_or_insert_with(|| dead_letter.path().to_owned());
                }
                if self.quarantine_log.admit() {
                    tracing::warn!(sink = %self.lane.name, record = %describe_record(record), %reason, file = %dead_letter.path().display(), "A record the sink cannot write was quarantined.");
                }
            }
            Err(e) => {
                tracing::error!(sink = %self.lane.name, record = %describe_record(record), %reason, error = %e, "A record the sink cannot write was dropped: it could not be quarantined.");
                c.error(e.to_string());
            }
        }
    }

    /// One write of a piece taken from memory, watched: when it fails with an error worth
    /// retrying, or has not finished after [`DeliveryConfig::stall_timeout`], the piece, the
    /// pieces after it and the memory queue go to the spill file, and the sink is marked down
    /// so new batches go there too. A stalled write that then succeeds consumes its own copy
    /// in the spill when nothing older is pending (else that copy is written again later, a
    /// replay the sinks make a no-op).
    async fn write_watched(
        &mut self,
        piece: &Batch,
        rest: &[Vec<Record>],
        oldest_ms: i64,
    ) -> Result<(), Failure> {
        let Worker {
            lane, sink, config, ..
        } = self;
        let write = sink.write(piece);
        tokio::pin!(write);
        let stall = tokio::time::sleep(config.stall_timeout);
        let mut copy = None;
        let result = tokio::select! {
            result = &mut write => result,
            () = stall => {
                tracing::warn!(sink = %lane.name, stalled_ms = config.stall_timeout.as_millis() as u64, "A write is stalled; what memory holds goes to the spill file.");
                copy = Some(divert(lane, piece, rest, oldest_ms));
                write.await
            }
        };
        match (result, copy) {
            (Ok(()), None) => {
                mark_up(lane);
                Ok(())
            }
            (Ok(()), Some(copy)) => {
                mark_up(lane);
                let mut state = lane.lock();
                let consumed = match (copy, state.spill.as_mut()) {
                    (Some((start, end)), Some(spill)) if spill.read_offset() == start => {
                        spill.commit(end).is_ok()
                    }
                    _ => false,
                };
                lane.update_gauges(&state);
                drop(state);
                if consumed {
                    count_written(lane, piece, oldest_ms);
                }
                Err(Failure::Diverted)
            }
            (Err(e), copy) if !e.is_rejection() => {
                Counters::add(&lane.counters.retries, 1);
                note_down(lane, &e);
                if copy.is_none() {
                    divert(lane, piece, rest, oldest_ms);
                }
                Err(Failure::Diverted)
            }
            (Err(_), Some(_)) => {
                // A rejection of a write whose copy is already in the spill: the replay
                // isolates the bad records.
                Err(Failure::Diverted)
            }
            (Err(e), None) => Err(Failure::Rejected(e)),
        }
    }

    async fn write_with_retry(&mut self, batch: &Batch) -> Result<(), Failure> {
        let mut backoff = self.config.retry_initial;
        loop {
            match self.sink.write(batch).await {
                Ok(()) => {
                    mark_up(&self.lane);
                    return Ok(());
                }
                Err(e) if !e.is_rejection() => {
                    Counters::add(&self.lane.counters.retries, 1);
                    note_down(&self.lane, &e);
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

/// Counts a piece the sink accepted.
fn count_written(lane: &Lane, piece: &Batch, oldest_ms: i64) {
    let c = &lane.counters;
    Counters::add(&c.records_written, piece.len() as u64);
    Counters::add(&c.samples_written, piece.samples().count() as u64);
    Counters::add(&c.writes, 1);
    let lag = u64::try_from(now_ms().saturating_sub(oldest_ms)).unwrap_or(0);
    Counters::set(&c.lag_ms, lag);
}

/// Clears the lane's "sink down" flag after a successful write.
fn mark_up(lane: &Lane) {
    let mut state = lane.lock();
    if state.sink_down {
        state.sink_down = false;
        lane.update_gauges(&state);
        tracing::info!(sink = %lane.name, "The sink accepts writes again.");
    }
}

/// Sets the lane's "sink down" flag after a failed write (new batches then go to the spill).
fn note_down(lane: &Lane, e: &SinkError) {
    {
        let mut state = lane.lock();
        if !state.sink_down {
            if matches!(e, SinkError::Unavailable { .. }) {
                tracing::warn!(sink = %lane.name, error = %e, "The sink is unavailable; retrying.");
            } else {
                tracing::error!(sink = %lane.name, error = %e, "The sink cannot write (it needs an operator); retrying.");
            }
        }
        state.sink_down = true;
        lane.update_gauges(&state);
    }
    lane.counters.error(e.to_string());
}

/// Sends a piece being written from memory, the pieces after it and the memory queue to the
/// spill file, in that order, and marks the sink down. Returns the spill offsets of the
/// piece's own frame (`None` when it could not be spilled, and was dropped and counted).
fn divert(lane: &Lane, piece: &Batch, rest: &[Vec<Record>], oldest_ms: i64) -> Option<(u64, u64)> {
    let mut state = lane.lock();
    state.sink_down = true;
    let start = state.spill.as_ref().map(Spill::end_offset);
    lane.spill_or_drop(&mut state, piece, oldest_ms);
    let end = state.spill.as_ref().map(Spill::end_offset);
    for records in rest.iter().rev() {
        let batch = Batch {
            records: records.clone(),
        };
        lane.spill_or_drop(&mut state, &batch, oldest_ms);
    }
    while let Some(Work::Memory { batch, oldest_ms }) = lane.take_memory(&mut state, usize::MAX) {
        lane.spill_or_drop(&mut state, &batch, oldest_ms);
    }
    lane.update_gauges(&state);
    match (start, end) {
        (Some(start), Some(end)) if end > start => Some((start, end)),
        _ => None,
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
    /// The piece (and what followed it) went to the spill file.
    Diverted,
    Rejected(SinkError),
}

/// A short description of a rejected record for the log.
fn describe_record(record: &Record) -> String {
    match record {
        Record::Sample(s) => {
            format!("sample {} {} at {}", s.source, s.metric, s.timestamp_ms)
        }
        Record::Birth(b) => format!("birth of {}", b.source),
        Record::Event(e) => match &e.source {
            Some(source) => format!("event {} of {source}", e.kind.name()),
            None => format!("event {}", e.kind.name()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_flood_of_quarantined_records_logs_twenty_lines_a_minute() {
        let mut budget = LogBudget::default();
        let admitted = (0..100).filter(|_| budget.admit()).count();
        assert_eq!((admitted, budget.suppressed), (20, 80));
        budget.flush("db");
        assert_eq!(budget.suppressed, 0);
        tokio::time::advance(std::time::Duration::from_secs(61)).await;
        assert!(budget.admit(), "a new minute, a new budget");
    }
}
