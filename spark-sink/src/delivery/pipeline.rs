//! [`Pipeline`]: fan-out of submitted batches to several sinks, each on its own task.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::config::DeliveryConfig;
use super::dead_letter::DeadLetter;
use super::lane::{Lane, now_ms};
use super::spill::{Spill, SpillError};
use super::stats::SinkStats;
use super::worker::{Finished, Worker};
use crate::record::Batch;
use crate::sink::Sink;

/// Why a pipeline could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// [`Pipeline::new`] must be called inside a tokio runtime (it spawns a task per sink).
    #[error("the pipeline needs a tokio runtime")]
    NoRuntime,
    /// Two sinks have the same name (names key the counters and the spill files).
    #[error("two sinks are named {0:?}")]
    DuplicateSink(String),
    /// The spill directory or a spill file cannot be used.
    #[error(transparent)]
    Spill(#[from] SpillError),
}

/// Why a batch was not taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// Shutdown has begun; the batch is handed back.
    #[error("the pipeline is shutting down")]
    Closed(Batch),
}

/// What [`Pipeline::shutdown`] did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Every sink's final counters.
    pub stats: Vec<SinkStats>,
    /// Sinks that did not close cleanly (or whose task panicked), by name.
    pub errors: Vec<(String, String)>,
}

/// A cloneable reader of every sink's counters (for a metrics endpoint).
#[derive(Debug, Clone)]
pub struct StatsReader {
    lanes: Vec<Arc<Lane>>,
}

impl StatsReader {
    /// The counters of every sink, in the order the sinks were given.
    pub fn snapshot(&self) -> Vec<SinkStats> {
        self.lanes
            .iter()
            .map(|lane| lane.counters.snapshot(&lane.name))
            .collect()
    }
}

/// Delivers batches to several sinks at once (see the [module docs](super)).
///
/// Each sink has its own lane: a bounded memory queue, an optional spill file and a task that
/// batches, writes, retries and replays. [`Pipeline::submit`] never waits for a sink, so a
/// slow or failing sink holds up no other sink and not the caller; it fills its own queue,
/// then its spill file, then drops (and counts) the newest batches.
#[derive(Debug)]
pub struct Pipeline {
    lanes: Vec<Arc<Lane>>,
    tasks: Vec<JoinHandle<Finished>>,
    /// Makes spill files durable every [`SPILL_SYNC_EVERY`] (with a spill directory).
    spill_sync: Option<JoinHandle<()>>,
    deadline: Arc<tokio::sync::OnceCell<Instant>>,
    config: DeliveryConfig,
}

impl Pipeline {
    /// Starts a task per sink on the current tokio runtime. Spill files left by an earlier
    /// run (`<spill_dir>/<sink name>.spill`) are replayed first.
    pub fn new(
        config: DeliveryConfig,
        sinks: Vec<Box<dyn Sink>>,
    ) -> Result<Pipeline, PipelineError> {
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| PipelineError::NoRuntime)?;
        let mut names = HashSet::new();
        for sink in &sinks {
            if !names.insert(sink.name().to_owned()) {
                return Err(PipelineError::DuplicateSink(sink.name().to_owned()));
            }
        }
        if let Some(dir) = &config.spill_dir {
            std::fs::create_dir_all(dir).map_err(|source| SpillError::Io {
                path: dir.clone(),
                source,
            })?;
        }
        let mut lanes = Vec::new();
        for sink in &sinks {
            let spill = match &config.spill_dir {
                Some(dir) => {
                    let path = dir.join(format!("{}.spill", file_name(sink.name())));
                    Some(Spill::open(&path, config.spill_max_bytes)?)
                }
                None => None,
            };
            lanes.push(Arc::new(Lane::new(
                sink.name().to_owned(),
                spill,
                config.queue_records,
            )));
        }
        let deadline = Arc::new(tokio::sync::OnceCell::new());
        let tasks = sinks
            .into_iter()
            .zip(&lanes)
            .map(|(sink, lane)| {
                let dead_letter = config.dead_letters_in().map(|dir| {
                    let path = dir.join(format!("{}.deadletter.jsonl", file_name(&lane.name)));
                    DeadLetter::new(path, &lane.name, config.dead_letter_max_bytes)
                });
                let worker = Worker {
                    lane: Arc::clone(lane),
                    sink,
                    config: config.clone(),
                    deadline: Arc::clone(&deadline),
                    dead_letter,
                    quarantine_log: Default::default(),
                };
                runtime.spawn(worker.run())
            })
            .collect();
        let spill_sync = config
            .spill_dir
            .is_some()
            .then(|| runtime.spawn(sync_spills(lanes.clone())));
        Ok(Pipeline {
            lanes,
            tasks,
            spill_sync,
            deadline,
            config,
        })
    }

    /// Hands a batch to every sink. Never waits: each sink queues it in memory, spills it, or
    /// drops it and counts the drop, as its state allows.
    pub fn submit(&self, batch: Batch) -> Result<(), SubmitError> {
        if batch.is_empty() {
            return Ok(());
        }
        let submitted_ms = now_ms();
        let batch = Arc::new(batch);
        let mut encoded = None;
        let mut taken = false;
        for lane in &self.lanes {
            taken |= lane.submit(&batch, submitted_ms, &mut encoded);
        }
        if taken || self.lanes.is_empty() {
            Ok(())
        } else {
            let batch = Arc::try_unwrap(batch).unwrap_or_else(|shared| (*shared).clone());
            Err(SubmitError::Closed(batch))
        }
    }

    /// Every sink's counters now.
    pub fn stats(&self) -> Vec<SinkStats> {
        self.stats_reader().snapshot()
    }

    /// A reader of the counters that outlives borrows of the pipeline.
    pub fn stats_reader(&self) -> StatsReader {
        StatsReader {
            lanes: self.lanes.clone(),
        }
    }

    /// Stops taking batches, writes what every sink still holds (memory, then spill), then
    /// flushes and closes every sink. A sink that keeps failing is given
    /// [`DeliveryConfig::shutdown_timeout`]; then what it still holds goes to its spill file
    /// for the next run (or, without one, is dropped and counted).
    pub async fn shutdown(mut self) -> ShutdownReport {
        let _ = self
            .deadline
            .set(Instant::now() + self.config.shutdown_timeout);
        self.close_lanes();
        let mut report = ShutdownReport::default();
        let tasks = std::mem::take(&mut self.tasks);
        for (lane, task) in self.lanes.iter().zip(tasks) {
            match task.await {
                Ok(finished) => {
                    if let Some(e) = finished.close_error {
                        report.errors.push((lane.name.clone(), e.to_string()));
                    }
                }
                Err(e) => report
                    .errors
                    .push((lane.name.clone(), format!("the sink's task failed: {e}"))),
            }
        }
        // Every worker is done, so nothing is appended any more: make it all durable.
        if let Some(task) = self.spill_sync.take() {
            task.abort();
            sync_all(&self.lanes).await;
        }
        for lane in &self.lanes {
            report.stats.push(lane.counters.snapshot(&lane.name));
        }
        report
    }

    fn close_lanes(&self) {
        for lane in &self.lanes {
            lane.lock().closing = true;
            lane.notify.notify_one();
        }
    }
}

impl Drop for Pipeline {
    /// Without [`Pipeline::shutdown`], the tasks still drain, flush and close their sinks in
    /// the background.
    fn drop(&mut self) {
        self.close_lanes();
        if let Some(task) = self.spill_sync.take() {
            task.abort();
        }
    }
}

/// How often what was spilled is made durable: the most a power loss can take from a spill
/// file. An `fsync` per appended batch would put the disk in the submitter's path.
const SPILL_SYNC_EVERY: Duration = Duration::from_secs(1);

/// Syncs every lane's spill file every [`SPILL_SYNC_EVERY`].
async fn sync_spills(lanes: Vec<Arc<Lane>>) {
    let mut every = tokio::time::interval(SPILL_SYNC_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        sync_all(&lanes).await;
    }
}

/// Syncs every lane's spill file on a blocking thread (an `fsync` can take a while).
async fn sync_all(lanes: &[Arc<Lane>]) {
    let lanes = lanes.to_vec();
    let _ = tokio::task::spawn_blocking(move || lanes.iter().for_each(|l| l.sync_spill())).await;
}

/// A sink name as a file name: anything but `[A-Za-z0-9_.-]` as `_`.
fn file_name(name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with('.') {
        format!("sink{name}")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_names_become_safe_file_names() {
        assert_eq!(file_name("mysql"), "mysql");
        assert_eq!(file_name("a/b c"), "a_b_c");
        assert_eq!(file_name(".."), "sink..");
        assert_eq!(file_name(""), "sink");
    }

    #[test]
    fn a_pipeline_needs_a_runtime() {
        assert!(matches!(
            Pipeline::new(DeliveryConfig::default(), vec![]),
            Err(PipelineError::NoRuntime)
        ));
    }
}
