//! Batch reports: the original design's Spark batch job as incremental jobs over closed
//! windows of metric time.
//!
//! Each job keeps a watermark in the store: the end of the last window it completed. A run
//! computes every whole window from the watermark up to the close time (the newest metric time
//! seen, minus a grace period for late data), upserts its rows (so re-running a range rewrites
//! the same rows) and moves the watermark. `reference-app report --from --to` runs the same
//! code over any range without touching watermarks.

mod kpi;
mod rollup;

use std::sync::Arc;
use std::time::Duration;

use spark_sink::{QueryError, Source, Store, TimeRange};
use tokio::sync::watch;

use crate::config::{JobConfig, JobKind};

/// Late data this long after a window's end still lands in it.
pub(crate) const GRACE_MS: i64 = 10_000;

/// A job's first window starts here when it has no watermark: the first window that holds
/// data, aligned to the window length.
async fn first_window(
    store: &dyn Store,
    window_ms: i64,
    close_ms: i64,
) -> Result<Option<i64>, QueryError> {
    let mut earliest: Option<i64> = None;
    for source in sources(store).await? {
        for metric in store.metrics(&source).await? {
            let rows = store
                .history(&source, &metric.name, TimeRange::new(i64::MIN, close_ms), 1)
                .await?;
            // A sample outside the acceptance window does not start a job's first window.
            if let Some(row) = rows.first().filter(|r| !r.outside_window) {
                earliest = Some(earliest.map_or(row.timestamp_ms, |e| e.min(row.timestamp_ms)));
            }
        }
    }
    Ok(earliest.map(|t| t.div_euclid(window_ms) * window_ms))
}

/// Every node and device source in the store.
pub(crate) async fn sources(store: &dyn Store) -> Result<Vec<Source>, QueryError> {
    let mut out = Vec::new();
    for node in store.nodes().await? {
        out.push(Source::node(node.group.clone(), node.node.clone()));
        for device in store.devices(&node.group, &node.node).await? {
            out.push(Source::device(
                node.group.clone(),
                node.node.clone(),
                device.device,
            ));
        }
    }
    Ok(out)
}

/// Computes one window of one job and upserts its rows; how many rows.
pub(crate) async fn run_window(
    store: &dyn Store,
    job: &JobConfig,
    window: TimeRange,
) -> Result<u64, QueryError> {
    let rows = match job.kind {
        JobKind::Rollup => rollup::window(store, job, window).await?,
        JobKind::IcePlantKpis => kpi::window(store, job, window).await?,
    };
    if rows.is_empty() {
        return Ok(0);
    }
    store.upsert_report_rows(&rows).await
}

/// What one pass of a job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Windows computed.
    pub(crate) windows: u64,
    /// Rows upserted.
    pub(crate) rows: u64,
}

/// Runs `job` over every closed window after its watermark, up to `close_ms`, at most
/// `max_windows` of them, moving the watermark after each.
pub(crate) async fn catch_up(
    store: &dyn Store,
    job: &JobConfig,
    close_ms: i64,
    max_windows: u64,
) -> Result<Progress, QueryError> {
    let window_ms = (job.window_s as i64).saturating_mul(1000);
    let start = match store.watermark(&job.name).await? {
        Some(w) => w,
        None => match first_window(store, window_ms, close_ms).await? {
            Some(first) => first,
            None => return Ok(Progress::default()),
        },
    };
    let mut progress = Progress::default();
    let mut from = start;
    while from.saturating_add(window_ms) <= close_ms && progress.windows < max_windows {
        let to = from + window_ms;
        progress.rows += run_window(store, job, TimeRange::new(from, to)).await?;
        progress.windows += 1;
        store.set_watermark(&job.name, to).await?;
        from = to;
    }
    Ok(progress)
}

/// Runs `job` over `[from_ms, to_ms)` rounded out to whole windows, calling `on_window` after
/// each. Watermarks are left alone: this is the back-fill of `reference-app report`.
pub(crate) async fn backfill(
    store: &dyn Store,
    job: &JobConfig,
    range: TimeRange,
    mut on_window: impl FnMut(u64, u64),
) -> Result<Progress, QueryError> {
    let window_ms = (job.window_s as i64).saturating_mul(1000);
    let first = range.from_ms.div_euclid(window_ms) * window_ms;
    let total = ((range.to_ms - first) + window_ms - 1) / window_ms;
    let total = total.max(0) as u64;
    let mut progress = Progress::default();
    let mut from = first;
    while from < range.to_ms {
        progress.rows += run_window(store, job, TimeRange::new(from, from + window_ms)).await?;
        progress.windows += 1;
        on_window(progress.windows, total);
        from += window_ms;
    }
    Ok(progress)
}

/// The scheduler: every `every`, each job catches up to the newest metric time seen (read from
/// `newest_ms`) minus the grace period. Stops when `stop` turns true.
pub(crate) async fn schedule(
    store: Arc<dyn Store>,
    jobs: Vec<JobConfig>,
    every: Duration,
    newest_ms: impl Fn() -> Option<i64> + Send,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let Some(newest) = newest_ms() else { continue };
        let close = newest.saturating_sub(GRACE_MS);
        for job in &jobs {
            // A bounded number of windows per tick keeps the scheduler responsive to `stop`.
            match catch_up(store.as_ref(), job, close, 100).await {
                Ok(p) if p.windows > 0 => {
                    tracing::info!(job = %job.name, windows = p.windows, rows = p.rows, "Report windows completed.");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(job = %job.name, error = %e, "A report job failed; it will try again.")
                }
            }
        }
        if *stop.borrow() {
            return;
        }
    }
}
