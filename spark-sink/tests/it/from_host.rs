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
