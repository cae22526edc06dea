//! Scenarios every SQL engine must pass; `sql_sqlite` and `sql_mysql` run them on a fresh store.

// Helpers shared by tests: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use serde_json::json;
use spark_sink::delivery::Pipeline;
use spark_sink::sql::SqlStore;
use spark_sink::{
    Batch, Birth, CatalogueEntry, Event, EventFilter, EventKind, Page, Record, ReportFilter,
    ReportRow, Sample, Sink, SinkError, Source, Store, TimeRange,
};
use sparkplug_b::{
    DataSet, DataType, Metric, PropertySet, PropertyValue, Quality, Template, Value,
};

pub(crate) fn node() -> Arc<Source> {
    Arc::new(Source::node("Plant", "Edge1"))
}

pub(crate) fn device() -> Arc<Source> {
    Arc::new(Source::device("Plant", "Edge1", "Brine"))
}

pub(crate) fn sample(source: &Arc<Source>, metric: &str, ts: i64, value: Value) -> Sample {
    Sample {
        source: source.clone(),
        metric: Arc::from(metric),
        datatype: value.data_type(),
        timestamp_ms: ts,
        value: Some(value),
        is_historical: false,
        quality: Quality::Good,
        seq: Some((ts % 256) as u8),
        bd_seq: Some(0),
        received_at_ms: ts + 1,
        outside_window: false,
    }
}

pub(crate) fn batch(samples: impl IntoIterator<Item = Sample>) -> Batch {
    samples.into_iter().map(Record::Sample).collect()
}

fn event(source: &Arc<Source>, kind: EventKind, ts: i64, bd_seq: Option<u64>) -> Record {
    Record::Event(Event {
        source: Some(source.clone()),
        kind,
        bd_seq,
        timestamp_ms: ts,
    })
}

async fn count_history(store: &SqlStore, source: &Source, metric: &str) -> usize {
    store
        .query()
        .history(source, metric, TimeRange::all(), 1_000_000)
        .await
        .unwrap()
        .len()
}

/// Samples come back as written; the latest value is the newest; a replayed batch is a no-op
/// (at-least-once delivery never creates duplicates).
pub(crate) async fn write_read_and_replay(store: &SqlStore) {
    let mut sink = store.sink();
    let n = node();
    let b = batch((0..100).map(|i| sample(&n, "Temp", 1000 + i, Value::Double(i as f64 / 4.0))));
    sink.write(&b).await.unwrap();
    sink.write(&b).await.unwrap();
    sink.flush().await.unwrap();
    let q = store.query();
    let hist = q
        .history(&n, "Temp", TimeRange::new(1000, 1100), 1000)
        .await
        .unwrap();
    assert_eq!(hist.len(), 100, "a replayed batch adds nothing");
    assert_eq!(hist[3].timestamp_ms, 1003);
    assert_eq!(hist[3].value, Some(Value::Double(0.75)));
    assert_eq!(hist[3].seq, Some((1003 % 256) as u8));
    assert_eq!(hist[3].received_at_ms, 1004);
    let limited = q
        .history(&n, "Temp", TimeRange::new(1010, 1100), 5)
        .await
        .unwrap();
    assert_eq!(limited.len(), 5);
    assert_eq!(limited[0].timestamp_ms, 1010);
    let latest = q.metric(&n, "Temp").await.unwrap().unwrap();
    assert_eq!(
        latest.latest.unwrap().value,
        Some(Value::Double(99.0 / 4.0))
    );
    let stats = sink.stats();
    assert_eq!(stats.batches, 2);
    assert_eq!(stats.samples, 200);
    assert_eq!(stats.rejected_total(), 0);
    // A sink with a cold cache replays as well.
    let mut other = store.sink();
    other.write(&b).await.unwrap();
    assert_eq!(count_history(store, &n, "Temp").await, 100);
    assert!(q.metric(&n, "Nope").await.unwrap().is_none());
    assert!(
        q.history(&n, "Nope", TimeRange::all(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// UInt64 and Int64 extremes round-trip without loss, in history, latest values and
/// aggregates.
pub(crate) async fn integer_extremes(store: &SqlStore) {
    let mut sink = store.sink();
    let n = node();
    let u = [
        0,
        1,
        i64::MAX as u64,
        i64::MAX as u64 + 1,
        u64::MAX - 1,
        u64::MAX,
    ];
    let i = [i64::MIN, -1, 0, i64::MAX];
    let mut b = batch(
        u.iter()
            .enumerate()
            .map(|(k, v)| sample(&n, "U", k as i64, Value::UInt64(*v))),
    );
    for (k, v) in i.iter().enumerate() {
        b.push(Record::Sample(sample(&n, "I", k as i64, Value::Int64(*v))));
    }
    b.push(Record::Sample(sample(
        &n,
        "DT",
        0,
        Value::DateTime(u64::MAX),
    )));
    sink.write(&b).await.unwrap();
    let q = store.query();
    let got: Vec<_> = q
        .history(&n, "U", TimeRange::all(), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.value)
        .collect();
    let want: Vec<_> = u.iter().map(|v| Some(Value::UInt64(*v))).collect();
    assert_eq!(got, want);
    let got: Vec<_> = q
        .history(&n, "I", TimeRange::all(), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.value)
        .collect();
    let want: Vec<_> = i.iter().map(|v| Some(Value::Int64(*v))).collect();
    assert_eq!(got, want);
    let latest = q.metric(&n, "U").await.unwrap().unwrap().latest.unwrap();
    assert_eq!(latest.value, Some(Value::UInt64(u64::MAX)));
    let dt = q.metric(&n, "DT").await.unwrap().unwrap().latest.unwrap();
    assert_eq!(dt.value, Some(Value::DateTime(u64::MAX)));
    // Buckets of 3 ms over U: [0, 1, 2^63-1] and [2^63, 2^64-2, 2^64-1].
    let buckets = q
        .history_buckets(&n, "U", TimeRange::new(0, 6), 3)
        .await
        .unwrap();
    assert_eq!(buckets.len(), 2);
    assert_eq!(buckets[0].min, Some(Value::UInt64(0)));
    assert_eq!(buckets[0].max, Some(Value::UInt64(i64::MAX as u64)));
    assert_eq!(buckets[1].min, Some(Value::UInt64(i64::MAX as u64 + 1)));
    assert_eq!(buckets[1].max, Some(Value::UInt64(u64::MAX)));
    assert_eq!(buckets[1].last, Some(Value::UInt64(u64::MAX)));
    let ib = q
        .history_buckets(&n, "I", TimeRange::new(0, 4), 4)
        .await
        .unwrap();
    assert_eq!(ib[0].min, Some(Value::Int64(i64::MIN)));
    assert_eq!(ib[0].max, Some(Value::Int64(i64::MAX)));
}

/// Bucketed aggregates against known data: count, min, max, avg, first, last per bucket,
/// buckets aligned to the range start, empty buckets left out.
pub(crate) async fn bucket_aggregates(store: &SqlStore) {
    let mut sink = store.sink();
    let d = device();
    // 0..=9 at ts 100..=109 and 20..=24 at ts 130..=134; nothing in [110, 130).
    let mut samples: Vec<_> = (0..10)
        .map(|v| sample(&d, "Level", 100 + v, Value::Int32(v as i32)))
        .collect();
    samples.extend((20..25).map(|v| sample(&d, "Level", 110 + v, Value::Int32(v as i32))));
    // Out of order within the batch: aggregates must not care.
    samples.reverse();
    sink.write(&batch(samples)).await.unwrap();
    let q = store.query();
    let b = q
        .history_buckets(&d, "Level", TimeRange::new(100, 140), 5)
        .await
        .unwrap();
    let summary: Vec<_> = b
        .iter()
        .map(|r| {
            (
                r.start_ms,
                r.count,
                r.min.clone(),
                r.max.clone(),
                r.avg,
                r.first.clone(),
                r.last.clone(),
            )
        })
        .collect();
    let i = |v: i32| Some(Value::Int32(v));
    assert_eq!(
        summary,
        vec![
            (100, 5, i(0), i(4), Some(2.0), i(0), i(4)),
            (105, 5, i(5), i(9), Some(7.0), i(5), i(9)),
            (130, 5, i(20), i(24), Some(22.0), i(20), i(24)),
        ]
    );
    // A range that starts mid-data aligns buckets to its start.
    let b = q
        .history_buckets(&d, "Level", TimeRange::new(103, 110), 100)
        .await
        .unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(
        (b[0].start_ms, b[0].count, b[0].first.clone()),
        (103, 7, i(3))
    );
    // Booleans average as 0/1; strings count but have no min/max/avg.
    let flags = (0..4).map(|k| sample(&d, "Run", k, Value::Boolean(k % 4 != 0)));
    let words = (0..3).map(|k| sample(&d, "Word", k, Value::String(format!("w{k}"))));
    sink.write(&batch(flags.chain(words))).await.unwrap();
    let run = q
        .history_buckets(&d, "Run", TimeRange::new(0, 4), 4)
        .await
        .unwrap();
    assert_eq!(run[0].avg, Some(0.75));
    assert_eq!(run[0].min, Some(Value::Boolean(false)));
    let word = q
        .history_buckets(&d, "Word", TimeRange::new(0, 4), 4)
        .await
        .unwrap();
    assert_eq!(
        (word[0].count, word[0].min.clone(), word[0].avg),
        (3, None, None)
    );
    assert_eq!(word[0].last, Some(Value::String("w2".into())));
    // Bad queries are refused, not run.
    assert!(
        q.history_buckets(&d, "Level", TimeRange::new(0, 10), 0)
            .await
            .is_err()
    );
    assert!(
        q.history_buckets(&d, "Level", TimeRange::new(0, 10_000_000), 1)
            .await
            .is_err()
    );
    assert!(
        q.history(&d, "Level", TimeRange::new(5, 5), 1)
            .await
            .is_err()
    );
}

/// The current value never moves backwards: an older sample or a historical one leaves it.
pub(crate) async fn current_values_only_move_forward(store: &SqlStore) {
    let mut sink = store.sink();
    let n = node();
    sink.write(&batch([sample(&n, "P", 500, Value::Float(5.0))]))
        .await
        .unwrap();
    sink.write(&batch([sample(&n, "P", 400, Value::Float(4.0))]))
        .await
        .unwrap();
    let mut late = sample(&n, "P", 600, Value::Float(6.0));
    late.is_historical = true;
    sink.write(&batch([late])).await.unwrap();
    let q = store.query();
    let latest = q.metric(&n, "P").await.unwrap().unwrap().latest.unwrap();
    assert_eq!(
        (latest.timestamp_ms, latest.value),
        (500, Some(Value::Float(5.0)))
    );
    // Every sample is still in the history, the historical one flagged.
    let hist = q.history(&n, "P", TimeRange::all(), 10).await.unwrap();
    assert_eq!(hist.len(), 3);
    assert!(hist[2].is_historical);
    // A newer one moves it; within one batch the newest wins whatever the order.
    sink.write(&batch([
        sample(&n, "P", 800, Value::Float(8.0)),
        sample(&n, "P", 700, Value::Float(7.0)),
    ]))
    .await
    .unwrap();
    let latest = q.metric(&n, "P").await.unwrap().unwrap().latest.unwrap();
    assert_eq!(latest.value, Some(Value::Float(8.0)));
    // The same timestamp again (a replay) keeps the value.
    sink.write(&batch([sample(&n, "P", 800, Value::Float(8.0))]))
        .await
        .unwrap();
    assert_eq!(count_history(store, &n, "P").await, 5);
}

/// Issue 12: a sample dated far ahead of its receive time (a DDATA dated 2100) is stored,
/// flagged `outside_window`, and never becomes the latest value: later real samples are
/// current as they arrive.
pub(crate) async fn samples_outside_the_window_are_never_latest(store: &SqlStore) {
    let mut sink = store.sink();
    let n = node();
    sink.write(&batch([sample(&n, "T", 1_000, Value::Double(20.0))]))
        .await
        .unwrap();
    let mut year_2100 = sample(&n, "T", 4_102_444_800_000, Value::Double(55.5));
    year_2100.received_at_ms = 1_001;
    year_2100.outside_window = true;
    sink.write(&batch([year_2100])).await.unwrap();
    sink.write(&batch([sample(&n, "T", 2_000, Value::Double(21.0))]))
        .await
        .unwrap();
    let q = store.query();
    let latest = q.metric(&n, "T").await.unwrap().unwrap().latest.unwrap();
    assert_eq!(
        (latest.timestamp_ms, latest.value),
        (2_000, Some(Value::Double(21.0)))
    );
    let listed = q.metrics(&n).await.unwrap();
    let t = listed.iter().find(|m| m.name == "T").unwrap();
    assert_eq!(t.latest.as_ref().unwrap().timestamp_ms, 2_000);
    assert_eq!(
        count_history(store, &n, "T").await,
        3,
        "the flagged row is kept"
    );
    let flags: Vec<(i64, bool)> = q
        .history(&n, "T", TimeRange::all(), 10)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.timestamp_ms, r.outside_window))
        .collect();
    assert_eq!(
        flags,
        [(1_000, false), (2_000, false), (4_102_444_800_000, true)]
    );
    // Only flagged rows: no latest value at all.
    let mut alone = sample(&n, "U", 4_102_444_800_000, Value::Double(1.0));
    alone.outside_window = true;
    sink.write(&batch([alone])).await.unwrap();
    assert!(q.metric(&n, "U").await.unwrap().unwrap().latest.is_none());
}

/// NaN and the infinities are stored faithfully; oversized values and names are refused with a
/// counted reason; unknown datatypes and nulls are kept; nothing stops the writer.
pub(crate) async fn bad_data(store: &SqlStore) {
    let mut sink = store.sink();
    let n = node();
    let mut b = batch([
        sample(&n, "F", 1, Value::Double(f64::NAN)),
        sample(&n, "F", 2, Value::Double(f64::INFINITY)),
        sample(&n, "F", 3, Value::Double(f64::NEG_INFINITY)),
        sample(&n, "F", 4, Value::Double(1.5)),
        sample(&n, "G", 1, Value::Float(f32::NAN)),
        sample(&n, "Big", 1, Value::String("x".repeat(5 << 20))),
        sample(&n, &"n".repeat(600), 1, Value::Int8(1)),
        sample(&n, "Huge", 1, Value::String("é".repeat(300_000))),
    ]);
    let mut unknown = sample(&n, "Odd", 1, Value::UInt32(7));
    unknown.datatype = DataType::Unrecognized(99);
    b.push(Record::Sample(unknown));
    let mut null = sample(&n, "Null", 1, Value::Int16(0));
    null.value = None;
    null.datatype = DataType::Int16;
    b.push(Record::Sample(null));
    // The records that can never be stored are named, and nothing of the batch is written;
    // the rest is written once they are taken out (as the delivery pipeline does).
    let err = sink.write(&b).await.unwrap_err();
    let SinkError::RejectedRecords { records, .. } = &err else {
        panic!("{err}");
    };
    let indices: Vec<usize> = records.iter().map(|r| r.index).collect();
    assert_eq!(indices, [5, 6], "{err}");
    assert!(records[0].reason.contains("larger than"), "{err}");
    assert!(records[1].reason.contains("longer than 512"), "{err}");
    assert!(!err.is_retriable() && err.is_rejection());
    assert_eq!(
        count_history(store, &n, "F").await,
        0,
        "nothing was written"
    );
    b.records.remove(6);
    b.records.remove(5);
    sink.write(&b).await.unwrap();
    let stats = sink.stats().clone();
    assert_eq!(stats.rejected.get("value_too_large"), Some(&1));
    assert_eq!(stats.rejected.get("name_too_long"), Some(&1));
    assert_eq!(stats.rejected_total(), 2);
    let q = store.query();
    let f: Vec<_> = q
        .history(&n, "F", TimeRange::all(), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| match r.value {
            Some(Value::Double(v)) => format!("{v}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(f, ["NaN", "inf", "-inf", "1.5"]);
    let g = q.history(&n, "G", TimeRange::all(), 10).await.unwrap();
    assert!(matches!(g[0].value, Some(Value::Float(v)) if v.is_nan()));
    let buckets = q
        .history_buckets(&n, "F", TimeRange::new(0, 10), 10)
        .await
        .unwrap();
    assert_eq!(buckets[0].count, 4);
    assert_eq!(
        buckets[0].avg,
        Some(1.5),
        "non-finite values stay out of aggregates"
    );
    let huge = q.history(&n, "Huge", TimeRange::all(), 1).await.unwrap();
    assert_eq!(huge[0].value, Some(Value::String("é".repeat(300_000))));
    let odd = q.metric(&n, "Odd").await.unwrap().unwrap();
    assert_eq!(odd.datatype, DataType::Unrecognized(99));
    assert_eq!(odd.latest.unwrap().value, Some(Value::UInt32(7)));
    let null = q.history(&n, "Null", TimeRange::all(), 1).await.unwrap();
    assert_eq!(null[0].value, None);
    // A metric name with quotes and a group with SQL in it are data, nothing else.
    let weird = Arc::new(Source::node("G'; DROP TABLE sink_samples; --", "N\"1"));
    sink.write(&batch([sample(&weird, "a'b", 1, Value::Int8(-1))]))
        .await
        .unwrap();
    let back = q.history(&weird, "a'b", TimeRange::all(), 1).await.unwrap();
    assert_eq!(back[0].value, Some(Value::Int8(-1)));
}

/// Strings, bytes, arrays, DataSets and Templates are kept losslessly; template members are
/// also stored as their own metrics by path.
pub(crate) async fn complex_values_and_templates(store: &SqlStore) {
    let mut sink = store.sink();
    let d = device();
    let ds = DataSet::new([("a", DataType::Int64), ("b", DataType::String)])
        .with_row(vec![Some(Value::Int64(i64::MIN)), None]);
    let motor = Template::instance(
        "MotorType",
        vec![
            Metric::new("Rpm", Value::UInt64(u64::MAX)),
            Metric::new(
                "Inner",
                Value::Template(Box::new(Template::instance(
                    "Sub",
                    vec![Metric::new("On", Value::Boolean(true))],
                ))),
            ),
        ],
    );
    let values = vec![
        ("Bytes", Value::Bytes(vec![0, 1, 255])),
        ("Arr", Value::UInt64Array(vec![u64::MAX, 0])),
        ("Strs", Value::StringArray(vec!["a".into(), String::new()])),
        ("Dbl", Value::DoubleArray(vec![f64::NAN, -0.0])),
        ("Table", Value::DataSet(Box::new(ds.clone()))),
        ("Motor", Value::Template(Box::new(motor.clone()))),
        ("Id", Value::Uuid("9b2c".into())),
    ];
    sink.write(&batch(
        values.iter().map(|(m, v)| sample(&d, m, 10, v.clone())),
    ))
    .await
    .unwrap();
    let q = store.query();
    for (m, v) in &values {
        let got = q.history(&d, m, TimeRange::all(), 1).await.unwrap();
        let got = got[0].value.clone().unwrap();
        if let (Value::DoubleArray(a), Value::DoubleArray(b)) = (v, &got) {
            assert!(b[0].is_nan() && a[1].to_bits() == b[1].to_bits());
        } else {
            assert_eq!(&got, v, "{m}");
        }
    }
    let rpm = q.metric(&d, "Motor/Rpm").await.unwrap().unwrap();
    assert_eq!(rpm.latest.unwrap().value, Some(Value::UInt64(u64::MAX)));
    let on = q.metric(&d, "Motor/Inner/On").await.unwrap().unwrap();
    assert_eq!(on.latest.unwrap().value, Some(Value::Boolean(true)));
    let names: Vec<_> = q
        .metrics(&d)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert!(names.contains(&"Motor/Inner".to_owned()));
    // The JSON rendering of the API: the template as docs/JSON.md shows it.
    let row = q.metric(&d, "Motor").await.unwrap().unwrap();
    let js = serde_json::to_value(&row).unwrap();
    assert_eq!(js["latest"]["value"]["template_ref"], json!("MotorType"));
    assert_eq!(
        js["latest"]["value"]["metrics"][0]["value"],
        json!(u64::MAX)
    );
}

fn birth(source: &Arc<Source>, ts: i64, unit: &str) -> Record {
    Record::Birth(Birth {
        source: source.clone(),
        bd_seq: Some(3),
        timestamp_ms: ts,
        received_at_ms: ts + 2,
        metrics: vec![
            CatalogueEntry {
                metric: Arc::from("Temp"),
                alias: Some(1),
                datatype: DataType::Double,
                properties: Some(
                    PropertySet::new()
                        .with("engUnit", PropertyValue::new(Value::String(unit.into()))),
                ),
            },
            CatalogueEntry {
                metric: Arc::from("Count"),
                alias: Some(2),
                datatype: DataType::UInt64,
                properties: None,
            },
        ],
        templates: Default::default(),
    })
}

/// Births become schema versions and the catalogue; Online/Offline events move node and device
/// state (a node's death takes its devices offline); seq gaps are counted; replayed events
/// change nothing.
pub(crate) async fn births_events_and_state(store: &SqlStore) {
    let mut sink = store.sink();
    let n = node();
    let d = device();
    let mut b = Batch::new();
    b.push(birth(&n, 1000, "degC"));
    b.push(event(&n, EventKind::Online, 1000, Some(3)));
    b.push(Record::Sample(sample(
        &n,
        "Temp",
        1000,
        Value::Double(-8.5),
    )));
    b.push(event(&d, EventKind::Online, 1001, Some(3)));
    b.push(event(
        &n,
        EventKind::SeqGap {
            expected: 4,
            received: 6,
        },
        1500,
        Some(3),
    ));
    sink.write(&b).await.unwrap();
    sink.write(&b).await.unwrap();
    let q = store.query();
    let node_row = q.node("Plant", "Edge1").await.unwrap().unwrap();
    assert!(node_row.online);
    assert_eq!(node_row.bd_seq, Some(3));
    assert_eq!(node_row.last_birth_ms, Some(1000));
    assert_eq!(
        (node_row.births, node_row.seq_gaps, node_row.device_count),
        (1, 1, 1)
    );
    let devices = q.devices("Plant", "Edge1").await.unwrap();
    assert_eq!(devices.len(), 1);
    assert!(devices[0].online);
    let temp = q.metric(&n, "Temp").await.unwrap().unwrap();
    assert_eq!(
        (temp.alias, temp.eng_unit.as_deref()),
        (Some(1), Some("degC"))
    );
    assert_eq!(temp.datatype, DataType::Double);
    assert!(temp.properties.is_some());
    let count = q.metric(&n, "Count").await.unwrap().unwrap();
    assert_eq!((count.datatype, count.latest), (DataType::UInt64, None));
    // The node dies, then is born again with a new unit: a second schema version.
    let mut b = Batch::new();
    b.push(event(
        &n,
        EventKind::Offline {
            cause: "NDEATH".into(),
        },
        2000,
        Some(3),
    ));
    sink.write(&b).await.unwrap();
    let node_row = q.node("Plant", "Edge1").await.unwrap().unwrap();
    assert!(!node_row.online);
    assert_eq!(node_row.last_death_ms, Some(2000));
    assert!(
        !q.devices("Plant", "Edge1").await.unwrap()[0].online,
        "devices die with their node"
    );
    let mut b = Batch::new();
    b.push(birth(&n, 3000, "K"));
    b.push(event(&n, EventKind::Online, 3000, Some(4)));
    sink.write(&b).await.unwrap();
    // A late, replayed Offline from before the rebirth does not take the node down.
    let mut stale = Batch::new();
    stale.push(event(
        &n,
        EventKind::Offline {
            cause: "NDEATH".into(),
        },
        2500,
        Some(3),
    ));
    sink.write(&stale).await.unwrap();
    let node_row = q.node("Plant", "Edge1").await.unwrap().unwrap();
    assert!(node_row.online);
    assert_eq!(
        (node_row.bd_seq, node_row.births, node_row.deaths),
        (Some(4), 2, 2)
    );
    // Replaying the first birth does not take the catalogue back.
    let mut old = Batch::new();
    old.push(birth(&n, 1000, "degC"));
    sink.write(&old).await.unwrap();
    let temp = q.metric(&n, "Temp").await.unwrap().unwrap();
    assert_eq!(temp.eng_unit.as_deref(), Some("K"));
    let births = q.births(&n, 10).await.unwrap();
    assert_eq!(births.len(), 2);
    assert_eq!(births[0].timestamp_ms, 3000);
    assert_eq!(births[0].metrics[0]["name"], json!("Temp"));
    assert_eq!(births[0].metrics[1]["datatype"], json!(8));
    // Events: filters by kind, node and time; newest first; replays were not stored twice.
    let all = q.events(&EventFilter::default()).await.unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[0].timestamp_ms, 3000);
    let gaps = q
        .events(&EventFilter {
            kind: Some("seq_gap".into()),
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].detail, json!({"expected": 4, "received": 6}));
    let window = q
        .events(&EventFilter {
            group: Some("Plant".into()),
            node: Some("Edge1".into()),
            range: Some(TimeRange::new(1000, 2001)),
            limit: Some(2),
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(window.len(), 2);
    assert_eq!(window[0].kind, "offline");
    assert_eq!(window[0].detail, json!({"cause": "NDEATH"}));
    let nodes = q.nodes().await.unwrap();
    assert_eq!(nodes.len(), 1);
    assert!(q.node("Plant", "Nope").await.unwrap().is_none());
    // An event that names no node is stored too.
    let mut v = Batch::new();
    v.push(Record::Event(Event {
        source: None,
        kind: EventKind::Violation {
            tck_id: "tck-id-topic-structure".into(),
            detail: "bad topic".into(),
        },
        bd_seq: None,
        timestamp_ms: 4000,
    }));
    sink.write(&v).await.unwrap();
    let violations = q
        .events(&EventFilter {
            kind: Some("violation".into()),
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(violations[0].group, None);
    assert_eq!(
        violations[0].detail["tck_id"],
        json!("tck-id-topic-structure")
    );
}

/// Report rows upsert idempotently by (job, key, window); watermarks are per job.
pub(crate) async fn reports_and_watermarks(store: &SqlStore) {
    let q = store.query();
    let row = |key: &str, start: i64, v: f64| ReportRow {
        job: "rollup_1h".into(),
        key: key.into(),
        window_start_ms: start,
        window_end_ms: start + 3_600_000,
        fields: json!({"avg": v, "count": 3}),
    };
    let rows = vec![
        row("Temp", 0, 1.0),
        row("Temp", 3_600_000, 2.0),
        row("Level", 0, 3.0),
    ];
    assert_eq!(q.upsert_report_rows(&rows).await.unwrap(), 3);
    q.upsert_report_rows(&rows).await.unwrap();
    q.upsert_report_rows(&[row("Temp", 0, 9.0)]).await.unwrap();
    let filter = ReportFilter {
        job: "rollup_1h".into(),
        key: None,
        range: None,
        limit: None,
        offset: None,
    };
    let got = q.report_rows(&filter).await.unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(
        (got[0].key.as_str(), got[1].key.as_str()),
        ("Level", "Temp")
    );
    assert_eq!(got[1].fields, json!({"avg": 9.0, "count": 3}));
    let temp = q
        .report_rows(&ReportFilter {
            key: Some("Temp".into()),
            range: Some(TimeRange::new(3_600_000, 7_200_000)),
            ..filter.clone()
        })
        .await
        .unwrap();
    assert_eq!(temp, vec![row("Temp", 3_600_000, 2.0)]);
    assert_eq!(q.watermark("rollup_1h").await.unwrap(), None);
    q.set_watermark("rollup_1h", 7_200_000).await.unwrap();
    q.set_watermark("rollup_1h", 10_800_000).await.unwrap();
    assert_eq!(q.watermark("rollup_1h").await.unwrap(), Some(10_800_000));
    assert_eq!(q.watermark("other").await.unwrap(), None);
    assert!(q.set_watermark("", 1).await.is_err());
}

/// The case: an NBIRTH with a 300-byte group id. The store's key columns hold 255
/// characters, and the sink used to leave such records out silently (counted only in its own
/// stats). Now it names them; through the delivery pipeline they are quarantined in the
/// dead-letter file with the reason, counted, and the rest of the batch is written.
pub(crate) async fn unstorable_records_are_named_and_quarantined(store: &SqlStore) {
    let long = Arc::new(Source::node("g".repeat(300), "Edge1"));
    let n = node();
    let mut b = Batch::new();
    b.push(Record::Sample(sample(&n, "Ok", 10, Value::Int32(1))));
    b.records.extend(crate::quarantine::nbirth(&long, 20));
    b.push(Record::Sample(sample(&n, "Ok", 30, Value::Int32(2))));
    let mut sink = store.sink();
    let err = sink.write(&b).await.unwrap_err();
    let SinkError::RejectedRecords { records, .. } = &err else {
        panic!("{err}");
    };
    let indices: Vec<usize> = records.iter().map(|r| r.index).collect();
    assert_eq!(indices, [1, 2, 3], "{err}");
    assert!(records[0].reason.contains("255"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let config = crate::quarantine::fast().with_dead_letter(dir.path(), 1 << 20);
    let pipeline = Pipeline::new(config, vec![Box::new(store.sink()) as Box<dyn Sink>]).unwrap();
    pipeline.submit(b).unwrap();
    let report = pipeline.shutdown().await;
    let s = &report.stats[0];
    assert_eq!((s.records_written, s.rejected_records), (2, 3), "{s:?}");
    assert_eq!(s.quarantined_records, 3);
    let lines = crate::quarantine::dead_letters(s.dead_letter_file.as_ref().unwrap());
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|l| l["record"]["group"] == "g".repeat(300))
    );
    assert_eq!(count_history(store, &n, "Ok").await, 2);
    let nodes = store.query().nodes().await.unwrap();
    assert!(nodes.iter().all(|r| r.group.len() < 300));
}

/// The sink's lifecycle: healthcheck, close, no writes after close.
pub(crate) async fn lifecycle(store: &SqlStore) {
    let mut sink = store.sink();
    sink.healthcheck().await.unwrap();
    sink.write(&Batch::new()).await.unwrap();
    sink.close().await.unwrap();
    let err = sink
        .write(&batch([sample(&node(), "x", 1, Value::Int8(1))]))
        .await
        .unwrap_err();
    assert!(!err.is_retriable());
}

/// The quality of a metric's latest value, read through the catalogue.
async fn latest_quality(store: &SqlStore, source: &Source, metric: &str) -> Option<i32> {
    let m = store.query().metric(source, metric).await.unwrap()?;
    m.latest.map(|l| l.quality)
}

fn offline(source: &Arc<Source>, ts: i64) -> Record {
    event(
        source,
        EventKind::Offline {
            cause: "DEATH".into(),
        },
        ts,
        Some(3),
    )
}

/// Latest values read STALE after a death and good again after the next birth:
/// tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-tags-stale,
/// tck-id-operational-behavior-edge-node-termination-host-action-ndeath-devices-tags-stale
/// (a node's devices stay STALE after its rebirth until their own DBIRTH), and
/// tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-tags-stale.
pub(crate) async fn latest_values_go_stale_with_deaths(store: &SqlStore) {
    let mut sink = store.sink();
    let (n, d) = (node(), device());
    let mut b = Batch::new();
    b.push(event(&n, EventKind::Online, 1000, Some(3)));
    b.push(event(&d, EventKind::Online, 1000, Some(3)));
    b.push(Record::Sample(sample(&n, "Temp", 1000, Value::Double(1.0))));
    b.push(Record::Sample(sample(
        &d,
        "Level",
        1000,
        Value::Double(2.0),
    )));
    sink.write(&b).await.unwrap();
    assert_eq!(latest_quality(store, &n, "Temp").await, Some(192));
    assert_eq!(latest_quality(store, &d, "Level").await, Some(192));

    // NDEATH: the node's and its devices' values go STALE.
    sink.write(&[offline(&n, 2000)].into_iter().collect())
        .await
        .unwrap();
    assert_eq!(latest_quality(store, &n, "Temp").await, Some(500));
    assert_eq!(latest_quality(store, &d, "Level").await, Some(500));
    let temp = store.query().metric(&n, "Temp").await.unwrap().unwrap();
    assert_eq!(
        temp.latest.unwrap().value,
        Some(Value::Double(1.0)),
        "the last known value stays, only its quality changes"
    );

    // NBIRTH with new values: the node's are good, the device's stay STALE until its DBIRTH.
    let mut b = Batch::new();
    b.push(event(&n, EventKind::Online, 3000, Some(4)));
    b.push(Record::Sample(sample(&n, "Temp", 3000, Value::Double(3.0))));
    sink.write(&b).await.unwrap();
    assert_eq!(latest_quality(store, &n, "Temp").await, Some(192));
    assert_eq!(latest_quality(store, &d, "Level").await, Some(500));
    let mut b = Batch::new();
    b.push(event(&d, EventKind::Online, 3001, Some(4)));
    b.push(Record::Sample(sample(
        &d,
        "Level",
        3001,
        Value::Double(4.0),
    )));
    sink.write(&b).await.unwrap();
    assert_eq!(latest_quality(store, &d, "Level").await, Some(192));

    // DDEATH: only the device's values go STALE; data and death in one batch work too.
    let mut b = Batch::new();
    b.push(Record::Sample(sample(
        &d,
        "Level",
        3500,
        Value::Double(5.0),
    )));
    b.push(Record::Sample(sample(&n, "Temp", 3500, Value::Double(6.0))));
    b.push(offline(&d, 4000));
    sink.write(&b).await.unwrap();
    assert_eq!(latest_quality(store, &d, "Level").await, Some(500));
    assert_eq!(latest_quality(store, &n, "Temp").await, Some(192));
    // A sample sent as bad keeps its own quality while its node is online.
    let mut bad = sample(&n, "Temp", 5000, Value::Double(7.0));
    bad.quality = Quality::Bad;
    sink.write(&batch([bad])).await.unwrap();
    assert_eq!(latest_quality(store, &n, "Temp").await, Some(0));
}

/// A batch big enough to be split over several connections is stored whole, once, and a
/// replay of it writes nothing.
pub(crate) async fn a_big_batch_written_in_parallel(store: &SqlStore) {
    let mut sink = store.sink();
    let n = node();
    let samples: Vec<Sample> = (0..3000)
        .map(|i| {
            sample(
                &n,
                &format!("M{}", i % 30),
                10_000 + i / 30,
                Value::Int64(i),
            )
        })
        .collect();
    let b = batch(samples);
    sink.write(&b).await.unwrap();
    sink.write(&b).await.unwrap();
    assert_eq!(sink.stats().samples, 6000);
    // MySQL reports a duplicate as a found row; SQLite counts only what it inserted.
    let written = sink.stats().samples_written;
    match sink.dialect() {
        spark_sink::sql::Dialect::Sqlite => assert_eq!(written, 3000),
        _ => assert!((3000..=6000).contains(&written), "{written}"),
    }
    for m in ["M0", "M17", "M29"] {
        assert_eq!(count_history(store, &n, m).await, 100, "{m}");
    }
    let latest = store.query().metric(&n, "M29").await.unwrap().unwrap();
    assert_eq!(latest.latest.unwrap().value, Some(Value::Int64(2999)));
}

/// Every list pages with LIMIT/OFFSET in its own order: nodes, devices, metric catalogues,
/// events, births and report rows.
pub(crate) async fn lists_page(store: &SqlStore) {
    let q = store.query();
    let mut sink = store.sink();
    let mut b = Batch::new();
    for i in 0..5 {
        let edge = Arc::new(Source::node("Plant", format!("Edge{i}")));
        b.push(Record::Sample(sample(&edge, "M", 1000, Value::Int64(i))));
        b.push(event(&edge, EventKind::Online, 1000 + i, Some(0)));
        let dev = Arc::new(Source::device("Plant", "Edge0", format!("D{i}")));
        b.push(Record::Sample(sample(&dev, "M", 1000, Value::Int64(i))));
        b.push(Record::Sample(sample(
            &node(),
            &format!("M{i}"),
            1000,
            Value::Int64(i),
        )));
    }
    sink.write(&b).await.unwrap();
    sink.flush().await.unwrap();
    let names =
        |rows: Vec<spark_sink::NodeRow>| rows.into_iter().map(|r| r.node).collect::<Vec<_>>();
    assert_eq!(
        names(q.nodes_page(Page::new(1, 2)).await.unwrap()),
        ["Edge1", "Edge2"]
    );
    let all = names(q.nodes().await.unwrap());
    let mut pages = Vec::new();
    for offset in (0..all.len() as u64 + 2).step_by(2) {
        pages.extend(names(q.nodes_page(Page::new(offset, 2)).await.unwrap()));
    }
    assert_eq!(pages, all, "pages neither repeat nor skip a node");
    let devices = q
        .devices_page("Plant", "Edge0", Page::new(3, 10))
        .await
        .unwrap();
    assert_eq!(
        devices
            .iter()
            .map(|d| d.device.as_str())
            .collect::<Vec<_>>(),
        ["D3", "D4"]
    );
    // Edge1 (node()) has "M" from the loop too.
    let metrics = q.metrics_page(&node(), Page::new(1, 2)).await.unwrap();
    assert_eq!(
        metrics.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        ["M0", "M1"]
    );
    let events = q
        .events(&EventFilter {
            limit: Some(2),
            offset: Some(1),
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        events.iter().map(|e| e.timestamp_ms).collect::<Vec<_>>(),
        [1003, 1002]
    );
    assert!(
        q.births_page(&node(), Page::new(5, 5))
            .await
            .unwrap()
            .is_empty()
    );
    let row = |key: &str| ReportRow {
        job: "j".into(),
        key: key.into(),
        window_start_ms: 0,
        window_end_ms: 1,
        fields: json!({}),
    };
    q.upsert_report_rows(&[row("a"), row("b"), row("c")])
        .await
        .unwrap();
    let rows = q
        .report_rows(&ReportFilter {
            job: "j".into(),
            key: None,
            range: None,
            limit: Some(1),
            offset: Some(1),
        })
        .await
        .unwrap();
    assert_eq!(rows, [row("b")]);
}

/// Runs every scenario, each on a fresh store from `fresh` (which returns the store and a
/// handle that `cleanup` takes afterwards).
#[macro_export]
macro_rules! sql_scenarios {
    ($fresh:path, $cleanup:path) => {
        $crate::sql_scenarios!(@each $fresh, $cleanup; write_read_and_replay, integer_extremes, bucket_aggregates, current_values_only_move_forward, samples_outside_the_window_are_never_latest, bad_data, unstorable_records_are_named_and_quarantined, complex_values_and_templates, births_events_and_state, reports_and_watermarks, latest_values_go_stale_with_deaths, a_big_batch_written_in_parallel, lifecycle, lists_page);
    };
    (@each $fresh:path, $cleanup:path; $($scenario:ident),+) => {
        $(
            #[tokio::test]
            async fn $scenario() {
                if let Some((s, handle)) = $fresh().await {
                    $crate::sql_common::$scenario(&s).await;
                    s.close().await;
                    $cleanup(handle).await;
                }
            }
        )+
    };
}
