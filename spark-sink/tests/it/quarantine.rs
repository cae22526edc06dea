//! Records a sink can never write: isolated, kept in the sink's dead-letter file with the
//! reason, counted, and the rest of the batch written; Parquet partition names bounded.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use spark_sink::delivery::{DeliveryConfig, Pipeline, SinkStats};
use spark_sink::memory::MemorySink;
use spark_sink::parquet::{ParquetConfig, ParquetSink};
use spark_sink::{Batch, Birth, CatalogueEntry, Event, EventKind, Record, Sink, Source};
use sparkplug_b::{DataType, Value};

use crate::parquet::{T0, sample};

pub(crate) fn fast() -> DeliveryConfig {
    DeliveryConfig::default()
        .with_batch_wait(Duration::from_millis(5))
        .with_retry(Duration::from_millis(5), Duration::from_millis(40))
        .with_shutdown_timeout(Duration::from_millis(500))
}

/// What an NBIRTH of `source` gives: the birth, its `online` event and a sample per metric.
pub(crate) fn nbirth(source: &Arc<Source>, ts: i64) -> Vec<Record> {
    let mut records = vec![
        Record::Birth(Birth {
            source: Arc::clone(source),
            bd_seq: Some(0),
            timestamp_ms: ts,
            received_at_ms: ts + 1,
            metrics: vec![CatalogueEntry {
                metric: Arc::from("Temperature"),
                alias: Some(1),
                datatype: DataType::Double,
                properties: None,
            }],
            templates: Default::default(),
        }),
        Record::Event(Event {
            source: Some(Arc::clone(source)),
            kind: EventKind::Online,
            bd_seq: Some(0),
            timestamp_ms: ts,
        }),
    ];
    records.push(sample(source, "Temperature", ts, Some(Value::Double(1.5))));
    records
}

/// The JSON lines of a dead-letter file.
pub(crate) fn dead_letters(path: &Path) -> Vec<serde_json::Value> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        Err(_) => Vec::new(),
    }
}

async fn eventually(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let end = tokio::time::Instant::now() + deadline;
    while tokio::time::Instant::now() < end {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

fn stats_of(pipeline: &Pipeline, name: &str) -> SinkStats {
    pipeline
        .stats()
        .into_iter()
        .find(|s| s.sink == name)
        .unwrap()
}

/// Rows under `dir` in closed `.parquet` files, and `.tmp` files left.
fn parquet_rows(dir: &Path) -> (u64, usize) {
    let (mut rows, mut tmp) = (0, 0);
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                let file = std::fs::File::open(&path).unwrap();
                let reader = parquet::file::reader::SerializedFileReader::new(file).unwrap();
                use parquet::file::reader::FileReader;
                rows += reader.metadata().file_metadata().num_rows() as u64;
            } else if path.extension().is_some_and(|e| e == "tmp") {
                tmp += 1;
            }
        }
    }
    (rows, tmp)
}

/// The case: one NBIRTH with a 300-byte group id. The archive used to fail with
/// "File name too long", classed as retriable, and retry it for ever (its spill growing, the
/// same batch replayed first after a restart). Now the group gets a bounded partition name
/// and everything is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_300_byte_group_id_is_archived_under_a_bounded_partition_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("parquet");
    let parquet = ParquetSink::new(ParquetConfig::new(&root)).unwrap();
    let config = fast().with_spill(dir.path().join("spill"), 64 << 20);
    let pipeline = Pipeline::new(config, vec![Box::new(parquet) as Box<dyn Sink>]).unwrap();
    let long = Arc::new(Source::node("g".repeat(300), "N1"));
    let normal = Arc::new(Source::node("G", "N1"));
    let mut batch: Batch = nbirth(&long, T0).into_iter().collect();
    batch.records.extend(nbirth(&normal, T0));
    pipeline.submit(batch).unwrap();
    eventually("every record written", Duration::from_secs(10), || {
        stats_of(&pipeline, "parquet").records_written == 6
    })
    .await;
    let report = pipeline.shutdown().await;
    let s = &report.stats[0];
    assert_eq!(
        (s.rejected_records, s.spill_bytes, s.retries),
        (0, 0, 0),
        "{s:?}"
    );
    // births: one row per metric; events: one; samples: one; for each group.
    assert_eq!(parquet_rows(&root), (6, 0));
    for entry in std::fs::read_dir(root.join("samples")).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(name.len() <= 255, "{name:?}");
    }
}

/// A record the archive can never write (its partition path is longer than the OS allows)
/// is quarantined in the dead-letter file with the reason, counted, and the rest of its batch
/// is written; nothing is left to replay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_the_archive_can_never_write_is_quarantined_and_the_rest_written() {
    let dir = tempfile::tempdir().unwrap();
    // A root so deep that a long group's partition path passes PATH_MAX (4096 bytes) on
    // Linux, while a short group's fits.
    let mut root = dir.path().to_owned();
    while root.as_os_str().len() < 3_800 {
        root.push("d".repeat(200));
    }
    let room = 3_960 - root.as_os_str().len();
    root.push("d".repeat(room));
    let parquet = ParquetSink::new(ParquetConfig::new(&root)).unwrap();
    let spill = dir.path().join("spill");
    let config = fast().with_spill(&spill, 64 << 20);
    let pipeline = Pipeline::new(config, vec![Box::new(parquet) as Box<dyn Sink>]).unwrap();
    let long = Arc::new(Source::node("g".repeat(300), "N1"));
    let normal = Arc::new(Source::node("G", "N1"));
    let mut batch: Batch = nbirth(&normal, T0).into_iter().collect();
    batch.records.extend(nbirth(&long, T0));
    batch.push(sample(&normal, "Pressure", T0, Some(Value::Double(2.0))));
    pipeline.submit(batch).unwrap();
    eventually("the batch settled", Duration::from_secs(10), || {
        let s = stats_of(&pipeline, "parquet");
        s.records_written + s.rejected_records == 7
    })
    .await;
    let report = pipeline.shutdown().await;
    let s = &report.stats[0];
    assert_eq!(s.records_written, 4, "{s:?}");
    assert_eq!((s.rejected_records, s.quarantined_records), (3, 3), "{s:?}");
    assert_eq!(s.spill_bytes, 0, "nothing is left to replay");
    let file = s.dead_letter_file.clone().unwrap();
    assert_eq!(file, spill.join("parquet.deadletter.jsonl"));
    let lines = dead_letters(&file);
    assert_eq!(lines.len(), 3);
    let types: Vec<_> = lines.iter().map(|l| l["record"]["type"].clone()).collect();
    assert_eq!(types, ["birth", "event", "sample"]);
    for line in &lines {
        assert_eq!(line["sink"], "parquet");
        assert_eq!(line["record"]["group"], "g".repeat(300));
        let reason = line["reason"].as_str().unwrap();
        assert!(reason.contains("too long"), "{reason}");
    }
}

/// A sink that names the records it cannot store: they are quarantined, the rest written,
/// with one extra write per batch.
#[tokio::test]
async fn named_rejections_quarantine_exactly_those_records() {
    let dir = tempfile::tempdir().unwrap();
    let (sink, handle) = MemorySink::new("db");
    handle.reject_metric(Some("bad"));
    let config = fast().with_dead_letter(dir.path(), 1 << 20);
    let pipeline = Pipeline::new(config, vec![Box::new(sink) as Box<dyn Sink>]).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    let batch: Batch = (0..100)
        .map(|i| {
            let metric = if i % 10 == 3 { "bad" } else { "good" };
            sample(&node, metric, T0 + i, Some(Value::Int64(i)))
        })
        .collect();
    pipeline.submit(batch).unwrap();
    let report = pipeline.shutdown().await;
    let s = &report.stats[0];
    assert_eq!((s.records_written, s.rejected_records), (90, 10), "{s:?}");
    assert_eq!(s.quarantined_records, 10);
    assert_eq!(handle.sample_count(), 90);
    assert_eq!(
        handle.failed_writes(),
        1,
        "one rejection, then the rest in one write"
    );
    let lines = dead_letters(&dir.path().join("db.deadletter.jsonl"));
    let ts: Vec<i64> = lines
        .iter()
        .map(|l| l["record"]["timestamp_ms"].as_i64().unwrap() - T0)
        .collect();
    assert_eq!(ts, [3, 13, 23, 33, 43, 53, 63, 73, 83, 93]);
    assert!(
        lines[0]["reason"]
            .as_str()
            .unwrap()
            .contains("bad cannot be stored")
    );
}

/// A sink that rejects a batch without naming the record: the batch is split in halves until
/// the bad records are alone; they are quarantined. Without a dead-letter file (no spill
/// directory either) they are counted as rejected, not quarantined.
#[tokio::test]
async fn unnamed_rejections_are_found_by_splitting() {
    let (sink, handle) = MemorySink::new("db");
    handle.reject_metric_unnamed(Some("bad"));
    let pipeline = Pipeline::new(fast(), vec![Box::new(sink) as Box<dyn Sink>]).unwrap();
    let node = Arc::new(Source::node("G", "N1"));
    let batch: Batch = (0..64)
        .map(|i| {
            let metric = if i == 5 || i == 40 { "bad" } else { "good" };
            sample(&node, metric, T0 + i, Some(Value::Int64(i)))
        })
        .collect();
    pipeline.submit(batch).unwrap();
    let report = pipeline.shutdown().await;
    let s = &report.stats[0];
    assert_eq!((s.records_written, s.rejected_records), (62, 2), "{s:?}");
    assert_eq!(
        (s.quarantined_records, s.dead_letter_file.clone()),
        (0, None)
    );
    assert_eq!(handle.sample_count(), 62);
}
