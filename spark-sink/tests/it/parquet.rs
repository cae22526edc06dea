//! The Parquet archive, read back with the parquet crate's own reader (and, when
//! `SPARK_SINK_TEST_PYTHON` names a Python with pyarrow, by pyarrow).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMillisecondType, UInt64Type};
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use spark_sink::parquet::{ParquetConfig, ParquetSink, ParquetWriter, samples_schema};
use spark_sink::{
    Batch, Birth, CatalogueEntry, Event, EventKind, Record, Sample, Sink, SinkError, Source,
};
use sparkplug_b::{DataType, PropertySet, PropertyValue, Quality, Value};

/// 2023-11-14T22:13:20Z.
pub(crate) const T0: i64 = 1_700_000_000_000;
const DAY: i64 = 86_400_000;

pub(crate) fn sample(source: &Arc<Source>, metric: &str, ts: i64, value: Option<Value>) -> Record {
    Record::Sample(Sample {
        source: Arc::clone(source),
        metric: Arc::from(metric),
        datatype: value.as_ref().map_or(DataType::Double, Value::data_type),
        timestamp_ms: ts,
        value,
        is_historical: false,
        quality: Quality::Good,
        seq: Some(7),
        bd_seq: Some(2),
        received_at_ms: ts + 5,
        outside_window: false,
    })
}

/// Every `.parquet` file under `dir`, and whether any `.tmp` file is left.
fn files(dir: &Path) -> (Vec<PathBuf>, usize) {
    let mut out = Vec::new();
    let mut tmp = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                out.push(path);
            } else if path.extension().is_some_and(|e| e == "tmp") {
                tmp += 1;
            }
        }
    }
    out.sort();
    (out, tmp)
}

fn read(path: &Path) -> Vec<RecordBatch> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    builder.build().unwrap().map(Result::unwrap).collect()
}

/// The one record batch of a small file.
fn concat(batches: &[RecordBatch]) -> RecordBatch {
    assert_eq!(batches.len(), 1, "a small file reads as one batch");
    batches[0].clone()
}

#[test]
fn samples_round_trip_through_partitioned_zstd_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = ParquetWriter::new(ParquetConfig::new(dir.path())).unwrap();
    let node = Arc::new(Source::node("Ice Plant", "N1"));
    let device = Arc::new(Source::device("Ice Plant", "N1", "Comp1"));
    let values = vec![
        Some(Value::Int8(-3)),
        Some(Value::UInt64(u64::MAX)),
        Some(Value::Double(f64::NAN)),
        Some(Value::Float(f32::INFINITY)),
        Some(Value::Boolean(true)),
        Some(Value::String("x".repeat(100_000))),
        Some(Value::Bytes(vec![0, 255])),
        Some(Value::Int32Array(vec![1, -2])),
        None,
    ];
    let mut batch: Batch = values
        .iter()
        .enumerate()
        .map(|(i, v)| sample(&device, &format!("m{i}"), T0 + i as i64, v.clone()))
        .collect();
    // A sample of the next day, and one of another group.
    batch.push(sample(&node, "late", T0 + DAY, Some(Value::Int64(1))));
    batch.push(sample(
        &Arc::new(Source::node("Other", "N9")),
        "x",
        T0,
        Some(Value::Int64(2)),
    ));
    writer.write(&batch).unwrap();

    // While open, the files are hidden temporaries.
    let (visible, tmp) = files(dir.path());
    assert!(visible.is_empty());
    assert_eq!(tmp, 3);

    let closed = writer.close().unwrap();
    assert_eq!(closed.len(), 3);
    let (visible, tmp) = files(dir.path());
    assert_eq!((visible.len(), tmp), (3, 0));
    let rel: Vec<String> = visible
        .iter()
        .map(|p| {
            p.parent()
                .unwrap()
                .strip_prefix(dir.path())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        rel,
        [
            "samples/group=Ice%20Plant/date=2023-11-14",
            "samples/group=Ice%20Plant/date=2023-11-15",
            "samples/group=Other/date=2023-11-14",
        ]
    );
    assert!(writer.write(&batch).is_err(), "closed");

    let file = visible[0].clone();
    let meta = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).unwrap())
        .unwrap()
        .metadata()
        .clone();
    assert!(matches!(
        meta.row_group(0).column(0).compression(),
        Compression::ZSTD(_)
    ));
    let rows = concat(&read(&file));
    assert_eq!(rows.schema().fields(), samples_schema().fields());
    assert_eq!(rows.num_rows(), values.len());
    let col = |name: &str| rows.column_by_name(name).unwrap().clone();
    assert_eq!(col("device").as_string::<i32>().value(0), "Comp1");
    assert_eq!(col("metric").as_string::<i32>().value(1), "m1");
    assert_eq!(col("datatype").as_string::<i32>().value(1), "UInt64");
    assert_eq!(
        col("ts")
            .as_primitive::<TimestampMillisecondType>()
            .value(3),
        T0 + 3
    );
    assert_eq!(col("int_value").as_primitive::<Int64Type>().value(0), -3);
    assert_eq!(
        col("uint_value").as_primitive::<UInt64Type>().value(1),
        u64::MAX
    );
    assert!(
        col("double_value")
            .as_primitive::<Float64Type>()
            .value(2)
            .is_nan()
    );
    assert_eq!(
        col("double_value").as_primitive::<Float64Type>().value(3),
        f64::INFINITY
    );
    assert!(col("bool_value").as_boolean().value(4));
    assert_eq!(
        col("string_value").as_string::<i32>().value(5).len(),
        100_000
    );
    assert_eq!(col("bytes_value").as_binary::<i32>().value(6), [0, 255]);
    assert_eq!(col("json_value").as_string::<i32>().value(7), "[1,-2]");
    assert!(col("is_null").as_boolean().value(8));
    assert!(col("int_value").is_null(8) && col("double_value").is_null(8));
    assert_eq!(col("quality").as_primitive::<Int32Type>().value(0), 192);
    assert_eq!(col("seq").as_primitive::<Int32Type>().value(0), 7);
    assert_eq!(
        col("received_at")
            .as_primitive::<TimestampMillisecondType>()
            .value(0),
        T0 + 5
    );
    let stats = writer.stats();
    assert_eq!((stats.files_closed, stats.rows_closed), (3, 11));
}

#[test]
fn files_roll_by_size_and_by_age() {
    let dir = tempfile::tempdir().unwrap();
    let config = ParquetConfig::new(dir.path().join("size"))
        .with_max_file_bytes(20_000)
        .with_write_batch_rows(500)
        .with_row_group_rows(500);
    let mut writer = ParquetWriter::new(config).unwrap();
    let node = Arc::new(Source::node("G", "N"));
    let mut total = 0;
    for chunk in 0..20 {
        let batch: Batch = (0..500)
            .map(|i| {
                let ts = T0 + chunk * 500 + i;
                sample(
                    &node,
                    &format!("metric-{i}"),
                    ts,
                    Some(Value::Double(ts as f64 * 0.37)),
                )
            })
            .collect();
        total += batch.len();
        writer.write(&batch).unwrap();
    }
    writer.close().unwrap();
    let (visible, _) = files(&dir.path().join("size"));
    assert!(visible.len() > 2, "rolled by size: {} files", visible.len());
    let rows: usize = visible
        .iter()
        .flat_map(|f| read(f))
        .map(|b| b.num_rows())
        .sum();
    assert_eq!(rows, total);

    let config = ParquetConfig::new(dir.path().join("age")).with_max_file_age(Duration::ZERO);
    let mut writer = ParquetWriter::new(config).unwrap();
    for i in 0..3 {
        let closed = writer
            .write(
                &[sample(&node, "m", T0 + i, Some(Value::Int32(1)))]
                    .into_iter()
                    .collect(),
            )
            .unwrap();
        assert_eq!(closed.len(), 1, "closed at the write that found it due");
    }
    assert_eq!(files(&dir.path().join("age")).0.len(), 3);
}

#[test]
fn oversized_values_reject_the_whole_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer =
        ParquetWriter::new(ParquetConfig::new(dir.path()).with_max_value_bytes(1000)).unwrap();
    let node = Arc::new(Source::node("G", "N"));
    let batch: Batch = [
        sample(&node, "ok", T0, Some(Value::Int32(1))),
        sample(&node, "huge", T0, Some(Value::String("y".repeat(1001)))),
    ]
    .into_iter()
    .collect();
    let err = writer.write(&batch).unwrap_err();
    assert!(err.to_string().contains("record 1"), "{err}");
    let sink_err = err.into_sink_error("parquet");
    assert!(
        matches!(sink_err, SinkError::RejectedRecords { ref records, .. } if records.len() == 1 && records[0].index == 1)
    );
    assert_eq!(
        writer.stats().rows_open,
        0,
        "nothing of the batch was appended"
    );
}

#[tokio::test]
async fn events_and_births_have_their_own_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = ParquetSink::new(ParquetConfig::new(dir.path())).unwrap();
    sink.healthcheck().await.unwrap();
    let node = Arc::new(Source::node("G", "N"));
    let batch: Batch = vec![
        Record::Birth(Birth {
            source: Arc::clone(&node),
            bd_seq: Some(1),
            timestamp_ms: T0,
            received_at_ms: T0,
            metrics: vec![CatalogueEntry {
                metric: Arc::from("Temp"),
                alias: Some(4),
                datatype: DataType::Double,
                properties: Some(PropertySet::new().with("engUnit", PropertyValue::new("°C"))),
            }],
            templates: Default::default(),
        }),
        Record::Event(Event {
            source: None,
            kind: EventKind::Violation {
                tck_id: "tck-id-topics-namespace-valid".into(),
                detail: "bad topic".into(),
            },
            bd_seq: None,
            timestamp_ms: T0,
        }),
        Record::Event(Event {
            source: Some(Arc::clone(&node)),
            kind: EventKind::SeqGap {
                expected: 3,
                received: 5,
            },
            bd_seq: Some(1),
            timestamp_ms: T0,
        }),
    ]
    .into_iter()
    .collect();
    sink.write(&batch).await.unwrap();
    sink.close().await.unwrap();
    let births = dir.path().join("births/group=G/date=2023-11-14");
    let (b, _) = files(&births);
    let rows = concat(&read(&b[0]));
    let col = |name: &str| rows.column_by_name(name).unwrap().clone();
    assert_eq!(col("metric").as_string::<i32>().value(0), "Temp");
    assert_eq!(col("alias").as_primitive::<UInt64Type>().value(0), 4);
    assert!(
        col("properties_json")
            .as_string::<i32>()
            .value(0)
            .contains("engUnit")
    );
    let (e, _) = files(&dir.path().join("events/group=__HIVE_DEFAULT_PARTITION__"));
    let rows = concat(&read(&e[0]));
    assert_eq!(
        rows.column_by_name("tck_id")
            .unwrap()
            .as_string::<i32>()
            .value(0),
        "tck-id-topics-namespace-valid"
    );
    let (e, _) = files(&dir.path().join("events/group=G"));
    let rows = concat(&read(&e[0]));
    assert_eq!(
        rows.column_by_name("kind")
            .unwrap()
            .as_string::<i32>()
            .value(0),
        "seq_gap"
    );
    assert_eq!(
        rows.column_by_name("received_seq")
            .unwrap()
            .as_primitive::<Int32Type>()
            .value(0),
        5
    );
    assert!(sink.write(&batch).await.is_err(), "closed");
}

/// A second, independent reader: pyarrow's dataset API with Hive partitioning. Runs when
/// `SPARK_SINK_TEST_PYTHON` names a Python that has pyarrow; passes with a note otherwise.
#[test]
fn pyarrow_reads_the_archive() {
    let Ok(python) = std::env::var("SPARK_SINK_TEST_PYTHON") else {
        eprintln!("note: SPARK_SINK_TEST_PYTHON is not set; the pyarrow cross-check is skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut writer = ParquetWriter::new(ParquetConfig::new(dir.path())).unwrap();
    let node = Arc::new(Source::node("Ice Plant", "N1"));
    let batch: Batch = (0..1000)
        .map(|i| {
            sample(
                &node,
                "Brine/Temp",
                T0 + i * 60_000,
                Some(Value::Double(i as f64)),
            )
        })
        .chain([sample(&node, "big", T0, Some(Value::UInt64(u64::MAX)))])
        .collect();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let script = r#"
import sys, pyarrow.dataset as ds, pyarrow.compute as pc
d = ds.dataset(sys.argv[1] + "/samples", format="parquet", partitioning="hive")
t = d.to_table()
groups = sorted(set(t.column("group").to_pylist()))
dates = sorted(set(str(x) for x in t.column("date").to_pylist()))
temp = t.filter(pc.equal(t.column("metric"), "Brine/Temp"))
big = t.filter(pc.equal(t.column("metric"), "big")).column("uint_value").to_pylist()
print(t.num_rows, groups, dates, pc.sum(temp.column("double_value")).as_py(), big, t.schema.field("ts").type)
"#;
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.trim(),
        "1001 ['Ice Plant'] ['2023-11-14', '2023-11-15'] 499500.0 [18446744073709551615] timestamp[ms, tz=UTC]"
    );
}

/// Every `.wal` file under `dir`.
fn logs(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "wal") {
                n += 1;
            }
        }
    }
    n
}

fn rows_in(dir: &Path) -> Vec<i64> {
    let mut ts: Vec<i64> = files(dir)
        .0
        .iter()
        .filter(|p| p.to_string_lossy().contains("/samples/"))
        .flat_map(|p| read(p))
        .flat_map(|b| {
            let col = b.column_by_name("ts").unwrap();
            let ts = col.as_primitive::<TimestampMillisecondType>();
            (0..ts.len()).map(|i| ts.value(i)).collect::<Vec<_>>()
        })
        .collect();
    ts.sort_unstable();
    ts
}

fn two_groups(from: i64, n: i64) -> Batch {
    let a = Arc::new(Source::node("A", "N"));
    let b = Arc::new(Source::node("B", "N"));
    (from..from + n)
        .map(|i| {
            let source = if i % 2 == 0 { &a } else { &b };
            sample(source, "m", T0 + i, Some(Value::Int64(i)))
        })
        .collect()
}

/// Issue 12, crash safety: the rows of files still open were only in memory and in footerless
/// `.tmp` files, so a crash lost them. Each open file now has a write-ahead log; the next
/// writer on the same root writes those rows again, and nothing is left behind.
#[test]
fn a_crash_loses_none_of_the_rows_of_open_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = ParquetWriter::new(ParquetConfig::new(dir.path())).unwrap();
    writer.write(&two_groups(0, 100)).unwrap();
    writer.write(&two_groups(100, 100)).unwrap();
    assert_eq!(writer.stats().rows_open, 200);
    // A crash: no close, no flush, no drop.
    std::mem::forget(writer);
    assert_eq!(
        files(dir.path()),
        (vec![], 2),
        "two open files, no closed one"
    );
    assert_eq!(logs(dir.path()), 2);

    let writer = ParquetWriter::new(ParquetConfig::new(dir.path())).unwrap();
    assert_eq!(writer.stats().rows_recovered, 200);
    let (closed, tmp) = files(dir.path());
    assert_eq!((closed.len(), tmp, logs(dir.path())), (2, 0, 0));
    assert_eq!(
        rows_in(dir.path()),
        (0..200).map(|i| T0 + i).collect::<Vec<_>>()
    );
}

/// A crash after a file was renamed but before its log was removed: the log is removed at
/// start, its rows (already in the closed file) are not written twice.
#[test]
fn a_log_whose_file_closed_is_not_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = ParquetWriter::new(ParquetConfig::new(dir.path())).unwrap();
    writer.write(&two_groups(0, 10)).unwrap();
    let saved: Vec<(PathBuf, Vec<u8>)> = walk_logs(dir.path())
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    writer.close().unwrap();
    assert_eq!(logs(dir.path()), 0, "closing a file removes its log");
    for (path, bytes) in &saved {
        std::fs::write(path, bytes).unwrap();
    }
    let writer = ParquetWriter::new(ParquetConfig::new(dir.path())).unwrap();
    assert_eq!(writer.stats().rows_recovered, 0);
    assert_eq!(logs(dir.path()), 0);
    assert_eq!(rows_in(dir.path()).len(), 10, "no duplicates");
}

/// A `.tmp` file with no log (an older build, or logs turned off) cannot be read back: it is
/// removed at start, and counted.
#[test]
fn a_tmp_file_without_a_log_is_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = ParquetConfig::new(dir.path()).with_write_ahead(false);
    let mut writer = ParquetWriter::new(config.clone()).unwrap();
    writer.write(&two_groups(0, 10)).unwrap();
    std::mem::forget(writer);
    assert_eq!(files(dir.path()).1, 2);
    let writer = ParquetWriter::new(config).unwrap();
    assert_eq!(writer.stats().orphaned_tmp_removed, 2);
    assert_eq!(files(dir.path()), (vec![], 0));
}

fn walk_logs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "wal") {
                out.push(path);
            }
        }
    }
    out
}
