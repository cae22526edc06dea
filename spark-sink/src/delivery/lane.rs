//! One sink's lane: its memory queue, its spill file and its counters, shared between
//! [`Pipeline::submit`](super::Pipeline::submit) (any thread) and the sink's task.
//!
//! ```text
//!            submit                               the sink's task
//!   ┌──────────────────────┐  room, sink up   ┌───────────────┐  write ok
//!   │ new batch            ├─────────────────►│ memory queue  ├──────────► sink
//!   └──────────┬───────────┘                  └───────────────┘   ▲
//!              │ queue full, or sink down,                        │ replay in order once
//!              │ or spilling already (keeps order)                │ the queue is empty
//!              ▼                                                  │
//!   ┌──────────────────────┐  fits            ┌───────────────┐   │
//!   │ spill file?          ├─────────────────►│ spill file    ├───┘
//!   └──────────┬───────────┘                  └───────────────┘
//!              │ no spill file, or full
//!              ▼
//!   dropped (newest first), counted in `dropped_records`
//! ```
//!
//! Without a spill file a batch still goes to memory while the sink is down, as long as the
//! queue has room. With one, the sink's task also moves what memory holds to the spill file
//! as soon as a write from memory fails or stalls (`worker.rs`): the spill is the durable
//! place for anything not yet written. Those batches go after the frames already spilled, so
//! when the queue was full at that moment, older batches are replayed after newer ones (the
//! sinks key samples by metric time, so nothing is stored differently).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

use super::codec::{decode_batch, encode_batch};
use super::spill::{Frame, Spill};
use super::stats::Counters;
use crate::record::{Batch, Record};

/// A submitted batch waiting in memory.
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) batch: Arc<Batch>,
    pub(crate) submitted_ms: i64,
    /// When it was submitted, on the runtime's clock (for batching by time).
    pub(crate) at: tokio::time::Instant,
}

/// What a lane's task writes next.
#[derive(Debug)]
pub(crate) enum Work {
    /// Batches taken from memory, merged.
    Memory { batch: Batch, oldest_ms: i64 },
    /// Frames read from the spill file; `commit` consumes them once written.
    Spill {
        batch: Batch,
        oldest_ms: i64,
        commit: u64,
    },
}

#[derive(Debug, Default)]
pub(crate) struct LaneState {
    pub(crate) queue: VecDeque<Queued>,
    pub(crate) queued_records: usize,
    pub(crate) spill: Option<Spill>,
    /// New batches go to the spill file until it is drained (order is kept).
    pub(crate) spilling: bool,
    /// The last write failed with a retriable error.
    pub(crate) sink_down: bool,
    /// Shutdown began: no more submissions.
    pub(crate) closing: bool,
}

/// The state one sink's task shares with the submitters.
#[derive(Debug)]
pub(crate) struct Lane {
    pub(crate) name: String,
    pub(crate) state: Mutex<LaneState>,
    pub(crate) notify: Notify,
    pub(crate) counters: Counters,
    pub(crate) queue_records: usize,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Lane {
    pub(crate) fn new(name: String, spill: Option<Spill>, queue_records: usize) -> Lane {
        let spilling = spill.as_ref().is_some_and(|s| !s.is_drained());
        let lane = Lane {
            name,
            state: Mutex::new(LaneState {
                spill,
                spilling,
                ..LaneState::default()
            }),
            notify: Notify::new(),
            counters: Counters::default(),
            queue_records,
        };
        if let Ok(state) = lane.state.lock() {
            lane.update_gauges(&state);
        }
        lane
    }

    /// The state; a panic while it was held (none is expected) does not stop delivery.
    pub(crate) fn lock(&self) -> MutexGuard<'_, LaneState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn update_gauges(&self, state: &LaneState) {
        Counters::set(&self.counters.queued_records, state.queued_records as u64);
        let spill_bytes = state.spill.as_ref().map_or(0, Spill::pending_bytes);
        Counters::set(&self.counters.spill_bytes, spill_bytes);
        let spill_records = state.spill.as_ref().map_or(0, Spill::pending_records);
        Counters::set(&self.counters.spill_records, spill_records);
        Counters::set(&self.counters.sink_down, u64::from(state.sink_down));
    }

    /// Takes a batch in: memory, spill or drop, as drawn in the module docs. `encoded` caches
    /// the spill encoding across the lanes of one submission. Returns `false` when the lane
    /// is closing.
    pub(crate) fn submit(
        &self,
        batch: &Arc<Batch>,
        submitted_ms: i64,
        encoded: &mut Option<Vec<u8>>,
    ) -> bool {
        let n = batch.len();
        let mut state = self.lock();
        if state.closing {
            return false;
        }
        let room = state.queue.is_empty() || state.queued_records + n <= self.queue_records;
        let divert = state.spilling || state.sink_down;
        let has_spill = state.spill.is_some();
        if room && !(divert && has_spill) {
            state.queued_records += n;
            state.queue.push_back(Queued {
                batch: Arc::clone(batch),
                submitted_ms,
                at: tokio::time::Instant::now(),
            });
        } else if let Some(spill) = state.spill.as_mut() {
            let bytes = encoded.get_or_insert_with(|| {
                let mut out = Vec::new();
                encode_batch(batch, submitted_ms, &mut out);
                out
            });
            match spill.append(bytes) {
                Ok(true) => {
                    state.spilling = true;
                    Counters::add(&self.counters.spilled_records, n as u64);
                }
                Ok(false) => {
                    Counters::add(&self.counters.dropped_records, n as u64);
                    self.counters
                        .error("the spill file is full: the newest batch was dropped".into());
                }
                Err(e) => {
                    Counters::add(&self.counters.dropped_records, n as u64);
                    tracing::error!(sink = %self.name, error = %e, "A batch could not be spilled and was dropped.");
                    self.counters.error(e.to_string());
                }
            }
        } else {
            Counters::add(&self.counters.dropped_records, n as u64);
            self.counters.error(
                "the memory queue is full and there is no spill file: the newest batch was dropped"
                    .into(),
            );
        }
        self.update_gauges(&state);
        drop(state);
        self.notify.notify_one();
        true
    }

    /// Takes up to `max` records from memory (whole batches, at least one).
    pub(crate) fn take_memory(&self, state: &mut LaneState, max: usize) -> Option<Work> {
        let first = state.queue.pop_front()?;
        let oldest_ms = first.submitted_ms;
        let mut records = unwrap_records(first.batch);
        while let Some(next) = state.queue.front() {
            if records.len() + next.batch.len() > max {
                break;
            }
            let Some(next) = state.queue.pop_front() else {
                break;
            };
            records.extend(unwrap_records(next.batch));
        }
        state.queued_records = state.queued_records.saturating_sub(records.len());
        self.update_gauges(state);
        Some(Work::Memory {
            batch: Batch { records },
            oldest_ms,
        })
    }

    /// Reads up to `max` records from the spill file (whole frames, at least one). When the
    /// spill is drained, leaves spill mode. Damaged frames are skipped and counted.
    pub(crate) fn take_spill(&self, state: &mut LaneState, max: usize) -> Option<Work> {
        if !state.spilling {
            return None;
        }
        let spill = state.spill.as_mut()?;
        let mut at = spill.read_offset();
        let mut records: Vec<Record> = Vec::new();
        let mut oldest_ms = None;
        loop {
            match spill.peek(at) {
                Ok(Frame::Batch(bytes, next)) => match decode_batch(&bytes) {
                    Ok((batch, submitted)) => {
                        if !records.is_empty() && records.len() + batch.len() > max {
                            break;
                        }
                        oldest_ms.get_or_insert(submitted);
                        records.extend(batch.records);
                        at = next;
                    }
                    Err(e) => {
                        tracing::error!(sink = %self.name, error = %e, "A spilled batch did not decode and was skipped.");
                        Counters::add(&self.counters.corrupt_spill_frames, 1);
                        at = next;
                    }
                },
                Ok(Frame::Corrupt(next)) => {
                    Counters::add(&self.counters.corrupt_spill_frames, 1);
                    at = next;
                }
                Ok(Frame::End) => break,
                Err(e) => {
                    tracing::error!(sink = %self.name, error = %e, "The spill file could not be read.");
                    self.counters.error(e.to_string());
                    break;
                }
            }
        }
        if records.is_empty() {
            // Nothing readable is left: consume what was skipped and leave spill mode.
            let _ = spill.commit(at);
            if spill.is_drained() {
                state.spilling = false;
            }
            self.update_gauges(state);
            return None;
        }
        Some(Work::Spill {
            batch: Batch { records },
            oldest_ms: oldest_ms.unwrap_or_else(now_ms),
            commit: at,
        })
    }

    /// Makes what was spilled so far durable (`fsync`). The disk is waited for outside the
    /// lock, so submitters never wait on it; a failure is recorded as the lane's last error.
    pub(crate) fn sync_spill(&self) {
        let handle = self.lock().spill.as_mut().and_then(Spill::sync_handle);
        if let Some(Err(e)) = handle.map(|file| file.and_then(|f| f.sync_data())) {
            self.counters.error(format!("syncing the spill file: {e}"));
        }
    }

    /// Writes a batch to the spill file at shutdown (what memory still holds when the sink
    /// gave up); counts it as dropped when it cannot.
    pub(crate) fn spill_or_drop(&self, state: &mut LaneState, batch: &Batch, submitted_ms: i64) {
        let n = batch.len() as u64;
        let Some(spill) = state.spill.as_mut() else {
            Counters::add(&self.counters.dropped_records, n);
            return;
        };
        let mut bytes = Vec::new();
        encode_batch(batch, submitted_ms, &mut bytes);
        match spill.append(&bytes) {
            Ok(true) => {
                state.spilling = true;
                Counters::add(&self.counters.spilled_records, n);
            }
            Ok(false) => Counters::add(&self.counters.dropped_records, n),
            Err(e) => {
                self.counters.error(e.to_string());
                Counters::add(&self.counters.dropped_records, n);
            }
        }
    }
}

/// The records of a shared batch: moved when this was the last reference, cloned otherwise.
fn unwrap_records(batch: Arc<Batch>) -> Vec<Record> {
    match Arc::try_unwrap(batch) {
        Ok(batch) => batch.records,
        Err(shared) => shared.records.clone(),
    }
}
