//! [`MemorySink`]: a sink that keeps what it is given in memory, with scripted faults, for
//! tests and examples.
//!
//! Samples are keyed like in the SQL store (source, metric, timestamp, historical), so a
//! replayed batch stores nothing twice; [`MemoryHandle::duplicates`] counts the samples that
//! arrived again. Faults: [`MemoryHandle::set_down`] (every write fails, retriably),
//! [`MemoryHandle::fail_next`] (the next `n` writes fail), [`MemoryHandle::set_delay`] (a slow
//! sink), [`MemoryHandle::reject_metric`] (a batch holding that metric is rejected with
//! [`SinkError::RejectedRecords`] naming those samples, like a value the schema cannot hold) and
//! [`MemoryHandle::reject_metric_unnamed`] (the same, as a [`SinkError::Rejected`] that names
//! no record). A failed write stores nothing, like a rolled-back transaction.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;

use crate::error::{RejectedRecord, SinkError};
use crate::record::{Batch, Birth, Event, Record, Sample, Source};
use crate::sink::Sink;

type SampleKey = (Arc<Source>, Arc<str>, i64, bool);

#[derive(Debug, Default)]
struct State {
    samples: Vec<Sample>,
    index: HashMap<SampleKey, usize>,
    births: Vec<Birth>,
    events: Vec<Event>,
    duplicates: u64,
    writes: u64,
    failed_writes: u64,
    flushes: u64,
    closed: bool,
    down: bool,
    fail_next: u64,
    delay: Duration,
    reject_metric: Option<String>,
    reject_unnamed: bool,
}

/// The sink; see the [module docs](self).
#[derive(Debug)]
pub struct MemorySink {
    name: String,
    shared: Arc<Mutex<State>>,
}

/// Reads what a [`MemorySink`] stored and scripts its faults, from anywhere.
#[derive(Debug, Clone)]
pub struct MemoryHandle {
    shared: Arc<Mutex<State>>,
}

impl MemorySink {
    /// A sink named `name` and its handle.
    pub fn new(name: impl Into<String>) -> (MemorySink, MemoryHandle) {
        let shared = Arc::new(Mutex::new(State::default()));
        let handle = MemoryHandle {
            shared: Arc::clone(&shared),
        };
        (
            MemorySink {
                name: name.into(),
                shared,
            },
            handle,
        )
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn unavailable(&self, message: &str) -> SinkError {
        SinkError::Unavailable {
            sink: self.name.clone(),
            message: message.to_owned(),
            source: None,
        }
    }
}

impl MemoryHandle {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The samples stored, once each, in the order they first arrived.
    pub fn samples(&self) -> Vec<Sample> {
        self.lock().samples.clone()
    }

    /// How many samples are stored.
    pub fn sample_count(&self) -> usize {
        self.lock().samples.len()
    }

    /// The births stored, in order.
    pub fn births(&self) -> Vec<Birth> {
        self.lock().births.clone()
    }

    /// The events stored, in order.
    pub fn events(&self) -> Vec<Event> {
        self.lock().events.clone()
    }

    /// Samples that arrived again after they were stored (replays).
    pub fn duplicates(&self) -> u64 {
        self.lock().duplicates
    }

    /// Successful writes.
    pub fn writes(&self) -> u64 {
        self.lock().writes
    }

    /// Writes that failed (faults).
    pub fn failed_writes(&self) -> u64 {
        self.lock().failed_writes
    }

    /// Successful flushes.
    pub fn flushes(&self) -> u64 {
        self.lock().flushes
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// While `down`, every write fails with a retriable error.
    pub fn set_down(&self, down: bool) {
        self.lock().down = down;
    }

    /// The next `n` writes fail with a retriable error.
    pub fn fail_next(&self, n: u64) {
        self.lock().fail_next = n;
    }

    /// Every write takes this long.
    pub fn set_delay(&self, delay: Duration) {
        self.lock().delay = delay;
    }

    /// A write holding a sample of this metric is rejected (not retriable), naming each such
    /// sample ([`SinkError::RejectedRecords`]).
    pub fn reject_metric(&self, metric: Option<&str>) {
        let mut state = self.lock();
        state.reject_metric = metric.map(str::to_owned);
        state.reject_unnamed = false;
    }

    /// A write holding a sample of this metric is rejected (not retriable) with a
    /// [`SinkError::Rejected`] that does not say which record is at fault.
    pub fn reject_metric_unnamed(&self, metric: Option<&str>) {
        let mut state = self.lock();
        state.reject_metric = metric.map(str::to_owned);
        state.reject_unnamed = true;
    }
}

#[async_trait]
impl Sink for MemorySink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn write(&mut self, batch: &Batch) -> Result<(), SinkError> {
        let delay = self.lock().delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let mut state = self.lock();
        if state.closed {
            return Err(SinkError::Closed {
                sink: self.name.clone(),
            });
        }
        if state.down || state.fail_next > 0 {
            state.fail_next = state.fail_next.saturating_sub(1);
            state.failed_writes += 1;
            return Err(self.unavailable("scripted fault"));
        }
        if let Some(bad) = &state.reject_metric {
            let rejected: Vec<RejectedRecord> = batch
                .records
                .iter()
                .enumerate()
                .filter_map(|(index, r)| match r {
                    Record::Sample(s) if &*s.metric == bad.as_str() => Some(RejectedRecord {
                        index,
                        reason: format!("{} {} cannot be stored", s.source, s.metric),
                    }),
                    _ => None,
                })
                .collect();
            if let Some(first) = rejected.first() {
                state.failed_writes += 1;
                let sink = self.name.clone();
                return Err(if state.reject_unnamed {
                    SinkError::Rejected {
                        sink,
                        message: first.reason.clone(),
                    }
                } else {
                    SinkError::RejectedRecords {
                        sink,
                        records: rejected,
                    }
                });
            }
        }
        for record in &batch.records {
            match record {
                Record::Sample(s) => {
                    let key = (
                        Arc::clone(&s.source),
                        Arc::clone(&s.metric),
                        s.timestamp_ms,
                        s.is_historical,
                    );
                    if state.index.contains_key(&key) {
                        state.duplicates += 1;
                    } else {
                        let at = state.samples.len();
                        state.index.insert(key, at);
                        state.samples.push(s.clone());
                    }
                }
                Record::Birth(b) => state.births.push(b.clone()),
                Record::Event(e) => state.events.push(e.clone()),
            }
        }
        state.writes += 1;
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.lock().flushes += 1;
        Ok(())
    }

    async fn close(&mut self) -> Result<(), SinkError> {
        self.lock().closed = true;
        Ok(())
    }

    async fn healthcheck(&mut self) -> Result<(), SinkError> {
        if self.lock().down {
            return Err(self.unavailable("scripted fault"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparkplug_b::{DataType, Quality, Value};

    fn sample(metric: &str, ts: i64) -> Record {
        Record::Sample(Sample {
            source: Arc::new(Source::node("G", "N")),
            metric: Arc::from(metric),
            datatype: DataType::Int32,
            timestamp_ms: ts,
            value: Some(Value::Int32(1)),
            is_historical: false,
            quality: Quality::Good,
            seq: None,
            bd_seq: None,
            received_at_ms: ts,
            outside_window: false,
        })
    }

    #[tokio::test]
    async fn replays_are_no_ops_and_faults_store_nothing() {
        let (mut sink, handle) = MemorySink::new("m");
        let batch: Batch = [sample("a", 1), sample("b", 1)].into_iter().collect();
        sink.write(&batch).await.unwrap();
        sink.write(&batch).await.unwrap();
        assert_eq!((handle.sample_count(), handle.duplicates()), (2, 2));
        handle.fail_next(1);
        let more: Batch = [sample("c", 1)].into_iter().collect();
        assert!(sink.write(&more).await.unwrap_err().is_retriable());
        sink.write(&more).await.unwrap();
        handle.reject_metric(Some("d"));
        let bad: Batch = [sample("e", 1), sample("d", 1)].into_iter().collect();
        assert!(!sink.write(&bad).await.unwrap_err().is_retriable());
        assert_eq!(handle.sample_count(), 3, "a rejected batch stores nothing");
        sink.close().await.unwrap();
        assert!(handle.is_closed());
    }
}
