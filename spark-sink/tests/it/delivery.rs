//! The delivery pipeline against scripted faults: a sink that goes down mid-stream, a slow
//! sink beside a fast one, full queues and spills, rejected records, shutdown and restart.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use spark_sink::delivery::{DeliveryConfig, Pipeline, ShutdownReport, SinkStats};
use spark_sink::memory::{MemoryHandle, MemorySink};
use spark_sink::parquet::{ParquetConfig, ParquetSink};
use spark_sink::{Batch, Sink, Source};
use sparkplug_b::Value;

use crate::parquet::{T0, sample};

/// Batch `i` of a stream: `per` samples of one node, timestamps unique across the stream.
fn batch(source: &Arc<Source>, i: i64, per: i64) -> Batch {
    (0..per)
        .map(|j| {
            let ts = T0 + i * per + j;
            sample(source, &format!("m{}", j % 7), ts, Some(Value::Int64(ts)))
        })
        .collect()
}

fn fast() -> DeliveryConfig {
    DeliveryConfig::default()
        .with_batch_wait(Duration::from_millis(5))
        .with_retry(Duration::from_millis(5), Duration::from_millis(40))
        .with_shutdown_timeout(Duration::from_millis(500))
}

fn sinks(list: Vec<MemorySink>) -> Vec<Box<dyn Sink>> {
    list.into_iter()
        .map(|s| Box::new(s) as Box<dyn Sink>)
        .collect()
}

/// Every submitted sample is stored exactly once, and a node's samples in submission order.
fn assert_exactly_once(handle: &MemoryHandle, expected: usize) {
    let samples = handle.samples();
    assert_eq!(samples.len(), expected, "every sample arrived");
    assert_eq!(handle.duplicates(), 0, "and none twice");
    let mut last: HashMap<String, i64> = HashMap::new();
    for s in &samples {
        let prev = last.insert(s.source.to_string(), s.timestamp_ms);
        assert!(prev.is_none_or(|p| p < s.timestamp_ms), "in order");
    }
}

async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

fn stats(pipeline: &Pipeline, name: &str) -> SinkStats {
    pipeline
        .stats()
        .into_iter()
        .find(|s| s.sink == name)
        .unwrap()
}

/// The fault test: the store goes away mid-stream (every write fails, retriably) and
/// comes back; with a spill file every sample arrives exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_cut_mid_stream_loses_nothing_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (sink, handle) = MemorySink::new("db");
    let config = fast()
        .with_queue_records(500)
        .with_spill(dir.path(), 64 << 20);
    let pipeline = Pipeline::new(config, sinks(vec![sink])).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    for i in 0..100 {
        pipeline.submit(batch(&node, i, 50)).unwrap();
    }
    eventually("the first part", || handle.sample_count() > 0).await;
    handle.set_down(true);
    for i in 100..300 {
        pipeline.submit(batch(&node, i, 50)).unwrap();
        if i % 50 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    eventually("the sink to be seen down", || {
        stats(&pipeline, "db").sink_down
    })
    .await;
    let during = stats(&pipeline, "db");
    assert!(during.spilled_records > 0, "{during:?}");
    assert!(during.spill_bytes > 0);
    handle.set_down(false);
    for i in 300..400 {
        pipeline.submit(batch(&node, i, 50)).unwrap();
    }
    eventually("everything", || handle.sample_count() == 400 * 50).await;
    let report = pipeline.shutdown().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let s = &report.stats[0];
    assert_exactly_once(&handle, 400 * 50);
    assert_eq!(s.records_written, 400 * 50);
    assert_eq!((s.dropped_records, s.rejected_records), (0, 0));
    assert!(s.retries > 0 && s.replayed_records > 0, "{s:?}");
    assert_eq!((s.queued_records, s.spill_bytes), (0, 0));
    assert!(handle.is_closed() && handle.flushes() >= 1);
}

/// Without a spill file, a short outage is covered by the memory queue alone.
#[tokio::test]
async fn retries_alone_cover_an_outage_that_fits_in_memory() {
    let (sink, handle) = MemorySink::new("db");
    handle.fail_next(5);
    let pipeline = Pipeline::new(fast(), sinks(vec![sink])).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    for i in 0..20 {
        pipeline.submit(batch(&node, i, 10)).unwrap();
    }
    let report = pipeline.shutdown().await;
    assert_exactly_once(&handle, 200);
    assert_eq!(report.stats[0].retries, 5);
}

/// One slow sink does not hold up another: the fast one has everything while the slow one
/// is still working through its queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_sink_does_not_stall_a_fast_one() {
    let (slow, slow_handle) = MemorySink::new("slow");
    let (quick, quick_handle) = MemorySink::new("quick");
    slow_handle.set_delay(Duration::from_millis(100));
    let config = fast().with_batch_records(10).with_backlog_batch_records(10);
    let pipeline = Pipeline::new(config, sinks(vec![slow, quick])).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    let started = std::time::Instant::now();
    for i in 0..50 {
        pipeline.submit(batch(&node, i, 10)).unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "submit never waits"
    );
    eventually("the quick sink", || quick_handle.sample_count() == 500).await;
    assert!(
        slow_handle.sample_count() < 200,
        "the slow sink is still behind"
    );
    let lagging = stats(&pipeline, "slow");
    assert!(lagging.queued_records > 0);
    pipeline.shutdown().await;
    assert_exactly_once(&slow_handle, 500);
    assert_exactly_once(&quick_handle, 500);
}

/// With memory full and no spill file the newest batches are dropped, and counted.
#[tokio::test]
async fn a_full_queue_without_spill_drops_the_newest_and_counts_them() {
    let (sink, handle) = MemorySink::new("db");
    handle.set_down(true);
    let pipeline = Pipeline::new(fast().with_queue_records(100), sinks(vec![sink])).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    for i in 0..30 {
        pipeline.submit(batch(&node, i, 10)).unwrap();
    }
    let s = stats(&pipeline, "db");
    assert_eq!(s.records_written, 0, "down");
    assert!(s.queued_records <= 100 + 10, "memory stays bounded: {s:?}");
    handle.set_down(false);
    let report = pipeline.shutdown().await;
    let s = &report.stats[0];
    assert_eq!(s.records_written + s.dropped_records, 300);
    assert!(s.dropped_records >= 190, "{s:?}");
    // The oldest were kept: the stored samples are the first ones submitted.
    let kept = handle.samples();
    assert_eq!(kept[0].timestamp_ms, T0);
    assert!(kept.iter().all(|x| x.timestamp_ms < T0 + 120));
}

/// A spill file that is full drops the newest batches, and counts them.
#[tokio::test]
async fn a_full_spill_drops_the_newest_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let (sink, handle) = MemorySink::new("db");
    handle.set_down(true);
    let config = fast().with_queue_records(10).with_spill(dir.path(), 20_000);
    let pipeline = Pipeline::new(config, sinks(vec![sink])).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    for i in 0..100 {
        pipeline.submit(batch(&node, i, 10)).unwrap();
    }
    let s = stats(&pipeline, "db");
    assert!(s.spilled_records > 0 && s.dropped_records > 0, "{s:?}");
    assert!(s.spill_bytes <= 20_000);
    handle.set_down(false);
    let report = pipeline.shutdown().await;
    let s = &report.stats[0];
    assert_eq!(s.records_written + s.dropped_records, 1000, "{s:?}");
    assert_exactly_once(&handle, s.records_written as usize);
}

/// A record the store cannot hold is isolated and counted; every other one is written.
#[tokio::test]
async fn rejected_records_are_isolated_and_counted() {
    let (sink, handle) = MemorySink::new("db");
    handle.reject_metric(Some("m3"));
    let pipeline = Pipeline::new(fast().with_batch_records(1000), sinks(vec![sink])).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    for i in 0..10 {
        pipeline.submit(batch(&node, i, 70)).unwrap();
    }
    let report = pipeline.shutdown().await;
    let s = &report.stats[0];
    assert_eq!(s.rejected_records, 100, "one in seven of 700");
    assert_eq!(s.records_written, 600);
    assert!(s.last_error.as_deref().unwrap_or("").contains("m3"));
    assert_exactly_once(&handle, 600);
}

/// Batching by size: many small submissions become few writes.
#[tokio::test]
async fn small_batches_are_merged_into_writes_of_the_configured_size() {
    let (sink, handle) = MemorySink::new("db");
    let config = fast()
        .with_batch_records(100)
        .with_batch_wait(Duration::from_secs(3600));
    let pipeline = Pipeline::new(config, sinks(vec![sink])).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    for i in 0..1000 {
        pipeline.submit(batch(&node, i, 1)).unwrap();
    }
    let report = pipeline.shutdown().await;
    assert_exactly_once(&handle, 1000);
    assert!(handle.writes() <= 12, "{} writes", handle.writes());
    assert_eq!(report.stats[0].writes, handle.writes());
}

/// A sink that fell behind catches up in bigger writes, up to `backlog_batch_records`, and
/// never bigger.
#[tokio::test]
async fn a_backlog_is_written_in_bigger_batches() {
    async fn writes_for(backlog: usize) -> u64 {
        let (sink, handle) = MemorySink::new("db");
        handle.set_delay(Duration::from_millis(20));
        let config = fast()
            .with_batch_records(100)
            .with_backlog_batch_records(backlog);
        let pipeline = Pipeline::new(config, sinks(vec![sink])).unwrap();
        let node = Arc::new(Source::node("G", "N1"));
        for i in 0..200 {
            pipeline.submit(batch(&node, i, 10)).unwrap();
        }
        pipeline.shutdown().await;
        assert_exactly_once(&handle, 2000);
        handle.writes()
    }
    let plain = writes_for(100).await;
    let bigger = writes_for(500).await;
    assert!(plain >= 20, "at most 100 records a write: {plain} writes");
    assert!(
        (4..=8).contains(&bigger),
        "up to 500 records a write once behind: {bigger} writes"
    );
}

/// Batching by time: a lone record is written after `batch_wait`, not held for more.
#[tokio::test(start_paused = true)]
async fn a_lone_record_is_written_after_the_batch_wait() {
    let (sink, handle) = MemorySink::new("db");
    let config = fast()
        .with_batch_records(1000)
        .with_batch_wait(Duration::from_secs(2));
    let pipeline = Pipeline::new(config, sinks(vec![sink])).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    pipeline.submit(batch(&node, 0, 1)).unwrap();
    tokio::time::sleep(Duration::from_millis(1900)).await;
    assert_eq!(handle.sample_count(), 0, "still waiting for more");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(handle.sample_count(), 1);
    pipeline.shutdown().await;
}

/// A sink still down at shutdown leaves its data in the spill file; the next run replays it.
#[tokio::test]
async fn what_a_down_sink_holds_at_shutdown_is_replayed_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    let config = fast().with_spill(dir.path(), 64 << 20);
    let (sink, first) = MemorySink::new("db");
    first.set_down(true);
    let pipeline = Pipeline::new(config.clone(), sinks(vec![sink])).unwrap();
    for i in 0..50 {
        pipeline.submit(batch(&node, i, 10)).unwrap();
    }
    let report = pipeline.shutdown().await;
    assert_eq!(first.sample_count(), 0);
    assert_eq!(report.stats[0].dropped_records, 0);
    assert!(report.stats[0].spill_bytes > 0);
    assert!(first.is_closed(), "closed even when down");

    let (sink, second) = MemorySink::new("db");
    let pipeline = Pipeline::new(config, sinks(vec![sink])).unwrap();
    pipeline.submit(batch(&node, 50, 10)).unwrap();
    let report = pipeline.shutdown().await;
    assert_exactly_once(&second, 510);
    // The new batch queued behind the spill (order is kept), so it was replayed too.
    assert_eq!(report.stats[0].replayed_records, 510);
}

/// Fan-out to a memory sink and the Parquet archive; shutdown closes every file. (A
/// multi-thread runtime: the Parquet sink writes in `block_in_place` there.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_to_memory_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let (memory, handle) = MemorySink::new("memory");
    let parquet = ParquetSink::new(ParquetConfig::new(dir.path())).unwrap();
    let list: Vec<Box<dyn Sink>> = vec![Box::new(memory), Box::new(parquet)];
    let pipeline = Pipeline::new(fast(), list).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    for i in 0..100 {
        pipeline.submit(batch(&node, i, 100)).unwrap();
    }
    let report = pipeline.shutdown().await;
    assert!(report.errors.is_empty());
    assert_exactly_once(&handle, 10_000);
    assert!(report.stats.iter().all(|s| s.records_written == 10_000));
    assert!(pipeline_closed_files(dir.path()) >= 1);
}

fn pipeline_closed_files(dir: &std::path::Path) -> usize {
    let day = dir.join("samples/group=G/date=2023-11-14");
    std::fs::read_dir(day)
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            assert!(!name.ends_with(".tmp"), "no temporary file is left");
            name.ends_with(".parquet")
        })
        .count()
}

/// A sink name used twice is refused (names key counters and spill files).
#[tokio::test]
async fn sink_names_must_be_unique() {
    let (a, _) = MemorySink::new("x");
    let (b, _) = MemorySink::new("x");
    assert!(Pipeline::new(fast(), sinks(vec![a, b])).is_err());
}

/// A sink in a long back-off does not hold shutdown beyond its timeout.
#[tokio::test(start_paused = true)]
async fn shutdown_does_not_wait_out_a_long_back_off() {
    let (sink, handle) = MemorySink::new("db");
    handle.set_down(true);
    let config = fast()
        .with_retry(Duration::from_secs(30), Duration::from_secs(60))
        .with_shutdown_timeout(Duration::from_millis(300));
    let pipeline = Pipeline::new(config, sinks(vec![sink])).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    pipeline.submit(batch(&node, 0, 10)).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let start = tokio::time::Instant::now();
    let report = pipeline.shutdown().await;
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        report.stats[0].dropped_records, 10,
        "no spill file: counted as dropped"
    );
    assert!(handle.is_closed());
}

/// What a crash leaves: the pipeline is abandoned without shutdown (its tasks are left to
/// the runtime), and a new one on the same spill directory replays into `sink`.
async fn restart_after_crash(
    crashed: Pipeline,
    config: DeliveryConfig,
    sink: MemorySink,
) -> ShutdownReport {
    std::mem::forget(crashed);
    let pipeline = Pipeline::new(config, sinks(vec![sink])).unwrap();
    pipeline.shutdown().await
}

/// Issue 12, crash safety: while the store is down, records used to be retried from memory
/// until the pool gave up (10 s), and a crash meanwhile lost them. Now the first failed write
/// sends its batch and the memory queue to the spill file, so a crash loses nothing written
/// to the spill (durable within the 1 s fsync interval).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_sends_what_memory_holds_to_the_spill_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = fast()
        .with_spill(dir.path(), 64 << 20)
        .with_retry(Duration::from_secs(30), Duration::from_secs(30));
    let (sink, first) = MemorySink::new("db");
    first.set_down(true);
    let pipeline = Pipeline::new(config.clone(), sinks(vec![sink])).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    for i in 0..20 {
        pipeline.submit(batch(&node, i, 50)).unwrap();
    }
    eventually("every record in the spill", || {
        stats(&pipeline, "db").spilled_records == 1000
    })
    .await;
    assert!(first.failed_writes() >= 1);
    let (sink, second) = MemorySink::new("db");
    let report = restart_after_crash(pipeline, config, sink).await;
    assert_exactly_once(&second, 1000);
    assert_eq!(report.stats[0].replayed_records, 1000);
}

/// A write that hangs (a database that stopped answering, short of a connection error) sends
/// what memory holds to the spill after `stall_timeout`; a crash then loses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_write_sends_what_memory_holds_to_the_spill() {
    let dir = tempfile::tempdir().unwrap();
    let config = fast()
        .with_spill(dir.path(), 64 << 20)
        .with_stall_timeout(Duration::from_millis(100));
    let (sink, first) = MemorySink::new("db");
    first.set_delay(Duration::from_secs(60));
    let pipeline = Pipeline::new(config.clone(), sinks(vec![sink])).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    for i in 0..20 {
        pipeline.submit(batch(&node, i, 50)).unwrap();
    }
    eventually("every record in the spill", || {
        let s = stats(&pipeline, "db");
        s.spilled_records == 1000 && s.sink_down
    })
    .await;
    let (sink, second) = MemorySink::new("db");
    let report = restart_after_crash(pipeline, config, sink).await;
    assert_exactly_once(&second, 1000);
    assert_eq!(report.stats[0].replayed_records, 1000);
}

/// A slow write that does finish after the stall deadline consumes its own copy in the
/// spill: the batch is not written twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_write_that_finishes_is_not_written_again_from_the_spill() {
    let dir = tempfile::tempdir().unwrap();
    let config = fast()
        .with_spill(dir.path(), 64 << 20)
        .with_stall_timeout(Duration::from_millis(50));
    let (sink, handle) = MemorySink::new("db");
    handle.set_delay(Duration::from_millis(200));
    let pipeline = Pipeline::new(config, sinks(vec![sink])).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    pipeline.submit(batch(&node, 0, 50)).unwrap();
    eventually("the slow write", || handle.sample_count() == 50).await;
    handle.set_delay(Duration::ZERO);
    for i in 1..10 {
        pipeline.submit(batch(&node, i, 50)).unwrap();
    }
    let report = pipeline.shutdown().await;
    assert_exactly_once(&handle, 500);
    let s = &report.stats[0];
    assert_eq!(s.records_written, 500, "{s:?}");
    assert_eq!(s.spill_bytes, 0);
}
