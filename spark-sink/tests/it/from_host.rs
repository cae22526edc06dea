//! `RecordBuilder` fed by a real `HostApplication`: encoded Sparkplug payloads in, records out.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::sync::Arc;

use spark_sink::{Batch, EventKind, Record, RecordBuilder};
use sparkplug_b::session::{HostApplication, HostConfig, Timestamp};
use sparkplug_b::topic::HostId;
use sparkplug_b::{DataType, Metric, Payload, Quality, Template, Value};

const T0: u64 = 1_700_000_000_000;

fn t(ms: u64) -> Timestamp {
    Timestamp::from_millis(T0 + ms)
}

fn host() -> HostApplication {
    let mut host = HostApplication::new(HostConfig::new(HostId::new("scada").unwrap()));
    host.connect(t(0));
    host.handle_connected(t(0));
    while host.poll_transmit().is_some() {}
    host
}

/// Feeds every pending host event to the builder.
fn pump(host: &mut HostApplication, builder: &mut RecordBuilder, batch: &mut Batch) {
    while let Some(event) = host.poll_event() {
        builder.push_event(&event, batch);
    }
}

fn nbirth() -> Vec<u8> {
    let ts = T0 + 10;
    Payload::new(ts)
        .with_seq(0)
        .with_metric(Metric::new("bdSeq", 3i64).with_timestamp(ts))
        .with_metric(Metric::new("Node Control/Rebirth", false).with_timestamp(ts))
        .with_metric(
            Metric::new("Brine/Temp", -9.5f64)
                .with_alias(1)
                .with_timestamp(ts),
        )
        .with_metric(
            Metric::new("Secret", 1i32)
                .with_alias(2)
                .transient()
                .with_timestamp(ts),
        )
        // The definition the instance refers to (tck-id-payloads-template-definition-nbirth):
        // the node's template catalogue, not a metric.
        .with_metric(
            Metric::new(
                "MotorType",
                Template::definition(vec![Metric::new("rpm", 0i32), Metric::new("on", false)]),
            )
            .with_timestamp(ts),
        )
        .with_metric(
            Metric::new(
                "Motor",
                Value::Template(Box::new(Template::instance(
                    "MotorType",
                    vec![Metric::new("rpm", 1450i32), Metric::new("on", true)],
                ))),
            )
            .with_alias(3)
            .with_timestamp(ts),
        )
        .encode_to_vec()
        .unwrap()
}

/// Check the mapping of births, data, device lifecycle and deaths
/// (tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline for the
/// NDEATH -> offline event).
#[test]
fn host_events_become_births_samples_and_events() {
    let mut host = host();
    let mut builder = RecordBuilder::new();
    let mut batch = Batch::new();

    host.handle_publish(t(10), "spBv1.0/Plant/NBIRTH/N1", &nbirth());
    pump(&mut host, &mut builder, &mut batch);
    let ndata = Payload::new(T0 + 20)
        .with_seq(1)
        .with_metric(Metric::aliased(1, -9.25f64).with_timestamp(T0 + 19))
        .with_metric(
            Metric::aliased(1, -9.0f64)
                .historical()
                .with_timestamp(T0 + 5),
        );
    host.handle_publish(
        t(20),
        "spBv1.0/Plant/NDATA/N1",
        &ndata.encode_to_vec().unwrap(),
    );
    let dbirth = Payload::new(T0 + 30)
        .with_seq(2)
        .with_metric(
            Metric::new("Level", 7u16)
                .with_alias(10)
                .with_timestamp(T0 + 30),
        )
        .with_metric(
            Metric::null("Note", DataType::String)
                .with_alias(11)
                .with_timestamp(T0 + 30),
        );
    host.handle_publish(
        t(30),
        "spBv1.0/Plant/DBIRTH/N1/D1",
        &dbirth.encode_to_vec().unwrap(),
    );
    let ndeath = Payload {
        metrics: vec![Metric::new("bdSeq", 3i64)],
        ..Payload::default()
    };
    host.handle_publish(
        t(40),
        "spBv1.0/Plant/NDEATH/N1",
        &ndeath.encode_to_vec().unwrap(),
    );
    pump(&mut host, &mut builder, &mut batch);

    // The NBIRTH: a birth with the whole catalogue, the transient metric included.
    let births: Vec<_> = batch.births().collect();
    assert_eq!(births.len(), 2, "NBIRTH and DBIRTH");
    let names: Vec<&str> = births[0].metrics.iter().map(|m| &*m.metric).collect();
    assert_eq!(
        names,
        [
            "bdSeq",
            "Node Control/Rebirth",
            "Brine/Temp",
            "Secret",
            "Motor"
        ]
    );
    assert_eq!(births[0].bd_seq, Some(3));
    assert!(births[0].templates.contains("MotorType"));
    assert_eq!(births[0].metrics[2].alias, Some(1));
    assert_eq!(births[1].source.to_string(), "Plant/N1/D1");

    // Samples: the transient one skipped, the template whole and flattened.
    let samples: Vec<_> = batch.samples().collect();
    let keys: Vec<(&str, i64)> = samples
        .iter()
        .map(|s| (&*s.metric, s.timestamp_ms - T0 as i64))
        .collect();
    assert_eq!(
        keys,
        [
            ("bdSeq", 10),
            ("Node Control/Rebirth", 10),
            ("Brine/Temp", 10),
            ("Motor", 10),
            ("Motor/rpm", 10),
            ("Motor/on", 10),
            ("Brine/Temp", 19),
            ("Brine/Temp", 5),
            ("Level", 30),
            ("Note", 30),
        ]
    );
    assert_eq!(builder.stats().transient_skipped, 1);
    let live = samples[6];
    assert_eq!(live.value, Some(Value::Double(-9.25)));
    assert_eq!((live.seq, live.bd_seq), (Some(1), Some(3)));
    assert_eq!(live.received_at_ms, (T0 + 20) as i64);
    assert_eq!(live.quality, Quality::Good);
    assert!(samples[7].is_historical);
    assert_eq!(samples[9].value, None, "a null metric");
    assert_eq!(samples[9].datatype, DataType::String);
    assert_eq!(samples[4].value, Some(Value::Int32(1450)));
    // One shared source and one shared name per metric: no allocation per sample.
    assert!(Arc::ptr_eq(&samples[2].source, &samples[6].source));
    assert!(Arc::ptr_eq(&samples[2].metric, &samples[6].metric));

    // Lifecycle events.
    let events: Vec<(String, &EventKind)> = batch
        .events()
        .map(|e| (e.source.as_ref().unwrap().to_string(), &e.kind))
        .collect();
    assert_eq!(events[0], ("Plant/N1".into(), &EventKind::Online));
    assert_eq!(events[1], ("Plant/N1/D1".into(), &EventKind::Online));
    assert!(events.contains(&(
        "Plant/N1".into(),
        &EventKind::Offline {
            cause: "NDEATH".into()
        }
    )));
    assert!(events.contains(&(
        "Plant/N1/D1".into(),
        &EventKind::Offline {
            cause: "node death".into()
        }
    )));
    // Records stay in the order the host reported them: birth, then its samples.
    assert!(matches!(batch.records[0], Record::Event(_)));
    assert!(matches!(batch.records[1], Record::Birth(_)));
}

/// A seq gap and the rebirth request that follows become events
/// (tck-id-operational-behavior-host-reordering-rebirth).
#[test]
fn seq_gaps_and_rebirth_requests_become_events() {
    let mut host = HostApplication::new(
        HostConfig::new(HostId::new("scada").unwrap())
            .with_reorder_timeout(std::time::Duration::ZERO),
    );
    host.connect(t(0));
    host.handle_connected(t(0));
    let mut builder = RecordBuilder::new();
    let mut batch = Batch::new();
    host.handle_publish(t(10), "spBv1.0/Plant/NBIRTH/N1", &nbirth());
    let gap = Payload::new(T0 + 20)
        .with_seq(5)
        .with_metric(Metric::aliased(1, 1.0f64));
    host.handle_publish(
        t(20),
        "spBv1.0/Plant/NDATA/N1",
        &gap.encode_to_vec().unwrap(),
    );
    pump(&mut host, &mut builder, &mut batch);
    let kinds: Vec<&EventKind> = batch.events().map(|e| &e.kind).collect();
    assert!(
        kinds.iter().any(|k| matches!(
            k,
            EventKind::SeqGap {
                expected: 1,
                received: 5
            }
        )),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|k| matches!(k, EventKind::RebirthRequested { .. })),
        "{kinds:?}"
    );
    let gap_event = batch
        .events()
        .find(|e| matches!(e.kind, EventKind::SeqGap { .. }))
        .unwrap();
    let at = gap_event.timestamp_ms - T0 as i64;
    assert!((10..=20).contains(&at), "the latest host time seen: {at}");
}

/// Issue 12: a DDATA dated 2100 (far ahead of the receive time) is kept, flagged
/// `outside_window` and counted; a sample a minute ahead (edge clocks drift) is not; with a
/// past bound, an old live sample is flagged but an old historical one (store and forward) is
/// not.
#[test]
fn samples_outside_the_acceptance_window_are_flagged_and_counted() {
    use spark_sink::AcceptanceWindow;
    use std::time::Duration;
    let mut host = host();
    let window = AcceptanceWindow::new(Duration::from_secs(300), Some(Duration::from_secs(3600)));
    let mut builder = RecordBuilder::new().with_acceptance_window(window);
    let mut batch = Batch::new();
    host.handle_publish(t(10), "spBv1.0/Plant/NBIRTH/N1", &nbirth());
    pump(&mut host, &mut builder, &mut batch);
    assert_eq!(builder.stats().outside_window, 0);
    let year_2100 = 4_102_444_800_000;
    let ndata = Payload::new(T0 + 20)
        .with_seq(1)
        .with_metric(Metric::aliased(1, 55.5f64).with_timestamp(year_2100))
        .with_metric(Metric::aliased(1, 20.5f64).with_timestamp(T0 + 20 + 60_000))
        .with_metric(Metric::aliased(1, 19.5f64).with_timestamp(T0 - 7_200_000))
        .with_metric(
            Metric::aliased(1, 18.5f64)
                .with_timestamp(T0 - 7_200_000 - 1)
                .historical(),
        );
    let mut batch = Batch::new();
    host.handle_publish(
        t(20),
        "spBv1.0/Plant/NDATA/N1",
        &ndata.encode_to_vec().unwrap(),
    );
    pump(&mut host, &mut builder, &mut batch);
    let flags: Vec<(i64, bool)> = batch
        .samples()
        .map(|s| (s.timestamp_ms, s.outside_window))
        .collect();
    let base = T0 as i64;
    assert_eq!(
        flags,
        [
            (year_2100 as i64, true),
            (base + 20 + 60_000, false),
            (base - 7_200_000, true),
            (base - 7_200_001, false),
        ]
    );
    assert_eq!(builder.stats().outside_window, 2);
}

/// Issue 12: violations are summed up per node, rule and window: 8,750 bad messages from a
/// born node give one event at once and one summary with the count, not one row each; junk
/// from nodes never born names no source (it never becomes a node), and is summed up too.
#[test]
fn violations_are_summed_up_and_junk_never_becomes_a_node() {
    use spark_sink::VIOLATION_WINDOW_MS;
    let mut host = host();
    let mut builder = RecordBuilder::new();
    let mut batch = Batch::new();
    host.handle_publish(t(10), "spBv1.0/Plant/NBIRTH/N1", &nbirth());
    pump(&mut host, &mut builder, &mut batch);
    let now = (T0 + 20) as i64;
    let mut events = Batch::new();
    for i in 0..8_750u64 {
        host.handle_publish(t(20), "spBv1.0/Plant/NDATA/N1", b"\x0a\xff");
        let junk = format!("spBv1.0/Plant/NDATA/junk{i}");
        host.handle_publish(t(20), &junk, b"\x0a\xff");
        while let Some(event) = host.poll_event() {
            builder.push_event_at(&event, now, &mut events);
        }
    }
    let violations = |batch: &Batch| -> Vec<(Option<String>, String, String)> {
        batch
            .events()
            .filter_map(|e| match &e.kind {
                EventKind::Violation { tck_id, detail } => Some((
                    e.source.as_ref().map(|s| s.to_string()),
                    tck_id.clone(),
                    detail.clone(),
                )),
                _ => None,
            })
            .collect()
    };
    let first = violations(&events);
    assert_eq!(first.len(), 2, "{first:?}");
    assert_eq!(first[0].0.as_deref(), Some("Plant/N1"));
    assert_eq!(first[1].0, None, "junk names no node");
    assert!(first[1].2.starts_with("Plant/junk0: "), "{}", first[1].2);
    assert!(
        events
            .events()
            .all(|e| e.source.as_ref().is_none_or(|s| s.node == "N1")),
        "no record makes a junk node a node"
    );
    assert!(events.len() < 100, "{} records", events.len());

    let mut summaries = Batch::new();
    assert_eq!(
        builder.flush_violations(now + 1, &mut summaries),
        0,
        "still open"
    );
    builder.flush_violations(now + VIOLATION_WINDOW_MS, &mut summaries);
    let summed = violations(&summaries);
    assert_eq!(summed.len(), 2, "{summed:?}");
    assert!(
        summed[0].2.starts_with("8749 more like it"),
        "{}",
        summed[0].2
    );
    // The two rules, and the rebirth requests to the junk nodes (the host sends at most
    // MAX_UNBORN_REBIRTHS of them per interval).
    let rebirths = sparkplug_b::session::host::MAX_UNBORN_REBIRTHS as u64;
    assert_eq!(
        builder.stats().violations_summarised,
        2 * 8_749 + rebirths - 1
    );
}
