//! NDATA and DDATA: report by exception, aliases, seq, and store and forward.

use super::*;

/// tck-id-topics-ndata-topic, tck-id-topics-ndata-mqtt, tck-id-topics-ndata-seq-num,
/// tck-id-topics-ndata-timestamp, tck-id-topics-ndata-payload, tck-id-topics-ddata-topic,
/// tck-id-topics-ddata-mqtt, tck-id-topics-ddata-seq-num, tck-id-topics-ddata-timestamp,
/// tck-id-topics-ddata-payload, tck-id-payloads-ndata-seq-inc, tck-id-payloads-ddata-seq-inc,
/// tck-id-payloads-name-birth-data-requirement, tck-id-payloads-name-requirement,
/// tck-id-principles-rbe-recommended, tck-id-operational-behavior-data-publish-nbirth-change,
/// tck-id-operational-behavior-data-publish-dbirth-change
#[test]
fn data_carries_the_changes_only() {
    let mut node = node(config());
    connect(&mut node, t(0));
    node.flush(t(1));
    assert!(transmits(&mut node).is_empty(), "nothing changed");
    node.set_metric(t(3), None, "Count", 5u32).unwrap();
    node.set_metric(t(2), None, "Mode", "auto").unwrap();
    node.set_metric(t(2), None, "Temp", 20.4).unwrap(); // within the deadband
    node.set_metric(t(4), Some(&dev("Pump")), "Running", true)
        .unwrap();
    node.set_metric(t(4), Some(&dev("Pump")), "Speed", 0i32)
        .unwrap(); // unchanged
    node.flush(t(5));
    let sent = publishes(&mut node);
    assert_eq!(kinds(&sent), [MessageType::NData, MessageType::DData]);
    let ndata = &sent[0];
    assert_eq!(ndata.publish.topic, "spBv1.0/G/NDATA/E");
    assert_eq!(ndata.publish.qos, QoS::AtMostOnce);
    assert_eq!(
        (ndata.seq(), ndata.payload.timestamp),
        (Some(2), Some(T0 + 5))
    );
    // Chronological order, names only, no datatype, each with its own timestamp.
    let m = &ndata.payload.metrics;
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].name.as_deref(), Some("Mode"));
    assert_eq!(
        (m[0].timestamp, m[0].datatype, m[0].alias),
        (Some(T0 + 2), None, None)
    );
    assert_eq!(m[1].name.as_deref(), Some("Count"));
    assert_eq!(m[1].timestamp, Some(T0 + 3));
    assert_eq!(m[1].value, Some(Value::UInt32(5)));
    assert!(!m[1].is_historical);
    let ddata = &sent[1];
    assert_eq!(ddata.publish.topic, "spBv1.0/G/DDATA/E/Pump");
    assert_eq!(ddata.seq(), Some(3));
    assert_eq!(ddata.payload.metrics.len(), 1);
    assert_eq!(
        ddata.metric("Running").unwrap().value,
        Some(Value::Boolean(true))
    );
    // The deadband counts from the last reported value; null is reported as null.
    node.set_metric(t(6), None, "Temp", 20.6).unwrap();
    node.set_metric_null(t(6), None, "Mode").unwrap();
    node.flush(t(7));
    let sent = publishes(&mut node);
    assert_eq!(sent[0].seq(), Some(4));
    assert_eq!(
        sent[0].metric("Temp").unwrap().value,
        Some(Value::Double(20.6))
    );
    let mode = sent[0].metric("Mode").unwrap();
    assert!(mode.is_null && mode.value.is_none());
}

/// tck-id-payloads-alias-data-cmd-requirement, tck-id-payloads-metric-datatype-not-req: with
/// aliases, data carries the alias alone, and the birth resolves it.
#[test]
fn data_by_alias() {
    let mut node = node(config().with_aliases(true));
    let (_, births) = connect(&mut node, t(0));
    node.set_metric(t(1), Some(&dev("Pump")), "Speed", -3i32)
        .unwrap();
    node.flush(t(1));
    let sent = publishes(&mut node);
    let metric = &sent[0].payload.metrics[0];
    assert_eq!((metric.name.as_deref(), metric.datatype), (None, None));
    let table = crate::AliasTable::from_birth(&births[1].payload).unwrap();
    let mut data = sent[0].payload.clone();
    assert!(table.resolve_payload(&mut data).is_empty());
    assert_eq!(data.metrics[0].name.as_deref(), Some("Speed"));
    assert_eq!(data.metrics[0].value, Some(Value::Int32(-3)));
}

/// tck-id-payloads-sequence-num-incrementing, tck-id-payloads-sequence-num-always-included:
/// one counter for node and devices, 255 followed by 0.
#[test]
fn seq_wraps() {
    let mut node = node(config());
    connect(&mut node, t(0)); // NBIRTH 0, DBIRTH 1
    let mut seqs = Vec::new();
    for i in 0..300u32 {
        let device = (i % 2 == 0).then(|| dev("Pump"));
        match &device {
            Some(d) => node.set_metric(t(1), Some(d), "Speed", i as i32 + 1),
            None => node.set_metric(t(1), None, "Count", i + 1),
        }
        .unwrap();
        node.flush(t(1));
        seqs.extend(publishes(&mut node).iter().map(|s| s.seq().unwrap()));
    }
    let expected: Vec<u64> = (2..302u64).map(|s| s % 256).collect();
    assert_eq!(seqs, expected);
}

/// tck-id-payloads-ndata-order, tck-id-payloads-ddata-order: no data before the births of the
/// session.
#[test]
fn no_data_before_the_births() {
    let mut node = node(config().with_store_forward_capacity(0));
    node.set_metric(t(1), None, "Count", 1u32).unwrap();
    node.flush(t(1));
    assert!(transmits(&mut node).is_empty());
    node.connect(t(2));
    node.set_metric(t(3), None, "Count", 2u32).unwrap();
    node.flush(t(3));
    assert!(transmits(&mut node).is_empty());
    node.handle_connected(t(4));
    let tx = transmits(&mut node);
    assert!(matches!(tx[0], Transmit::Subscribe(_)));
    let Transmit::Publish(nbirth) = tx[1].clone() else {
        panic!("births next");
    };
    let nbirth = decode(nbirth);
    assert_eq!(nbirth.kind(), MessageType::NBirth);
    assert_eq!(
        nbirth.metric("Count").unwrap().value,
        Some(Value::UInt32(2))
    );
    assert_eq!(tx.len(), 3, "NBIRTH and DBIRTH, no data");
}

/// SPARKPLUG.md 2.6 and 3.7: values recorded while disconnected are published after the next
/// births as historical data, with their original timestamps.
#[test]
fn store_and_forward_across_a_reconnect() {
    let mut node = node(config().with_aliases(true));
    connect(&mut node, t(0));
    node.handle_disconnected(t(1));
    for i in 1..=3u32 {
        node.set_metric(t(10 * u64::from(i)), None, "Count", i)
            .unwrap();
        node.set_metric(t(10 * u64::from(i)), Some(&dev("Pump")), "Speed", i as i32)
            .unwrap();
        node.flush(t(10 * u64::from(i) + 1));
    }
    assert_eq!(node.stored_len(), 6);
    let (_, sent) = connect(&mut node, t(100));
    assert_eq!(
        kinds(&sent),
        [
            MessageType::NBirth,
            MessageType::DBirth,
            MessageType::NData,
            MessageType::DData
        ]
    );
    // The births carry the current values; the stored ones follow as history.
    assert_eq!(
        sent[0].metric("Count").unwrap().value,
        Some(Value::UInt32(3))
    );
    let history = &sent[2].payload.metrics;
    assert_eq!(sent[2].seq(), Some(2));
    assert_eq!(history.len(), 3);
    assert!(history.iter().all(|m| m.is_historical && m.name.is_none()));
    assert_eq!(
        history.iter().map(|m| m.timestamp).collect::<Vec<_>>(),
        [Some(T0 + 10), Some(T0 + 20), Some(T0 + 30)]
    );
    assert_eq!(history[0].value, Some(Value::UInt32(1)));
    assert_eq!(sent[3].seq(), Some(3));
    assert_eq!(sent[3].payload.metrics.len(), 3);
    assert_eq!(node.stored_len(), 0);
    // Live data resumes after the history.
    node.set_metric(t(101), None, "Count", 4u32).unwrap();
    node.flush(t(101));
    let live = publishes(&mut node);
    assert_eq!(live[0].seq(), Some(4));
    assert!(!live[0].payload.metrics[0].is_historical);
}

/// Store and forward is bounded: the oldest values go first, and the loss is reported.
#[test]
fn store_and_forward_drops_the_oldest() {
    let mut node = node(
        config()
            .with_store_forward_capacity(2)
            .with_store_forward_batch(1),
    );
    for i in 1..=3u32 {
        node.set_metric(t(u64::from(i)), None, "Count", i).unwrap();
        node.flush(t(u64::from(i)));
    }
    assert_eq!(
        events(&mut node),
        [EdgeEvent::StoreForwardDropped { count: 1 }]
    );
    let (_, sent) = connect(&mut node, t(10));
    // One value per message with a batch of 1.
    let history: Vec<_> = sent
        .iter()
        .filter(|s| s.kind() == MessageType::NData)
        .map(|s| s.payload.metrics[0].value.clone())
        .collect();
    assert_eq!(history, [Some(Value::UInt32(2)), Some(Value::UInt32(3))]);
    // A removed device's stored values are forgotten.
    node.handle_disconnected(t(11));
    node.set_metric(t(12), Some(&dev("Pump")), "Speed", 9i32)
        .unwrap();
    node.flush(t(12));
    node.remove_device(t(13), &dev("Pump")).unwrap();
    let (_, sent) = connect(&mut node, t(14));
    assert_eq!(kinds(&sent), [MessageType::NBirth]);
}

/// tck-id-payloads-propertyset-quality-value-type, tck-id-payloads-propertyset-quality-value-value:
/// a failed sensor is published as BAD (the `Quality` property, Int32 0) with its last value,
/// in data and in the next birth; a new value is GOOD again, without the property.
#[test]
fn a_bad_value_is_published_with_its_quality() {
    use crate::{PropertySet, Quality};
    let mut node = node(config());
    connect(&mut node, t(0));
    node.set_metric_quality(t(1), None, "Temp", Quality::Bad)
        .unwrap();
    node.flush(t(2));
    let sent = publishes(&mut node);
    let m = sent[0].metric("Temp").unwrap();
    let props = m.properties.as_ref().unwrap();
    assert_eq!(props.quality(), Some(Quality::Bad));
    assert_eq!(
        props.get("Quality").unwrap().datatype,
        Some(DataType::Int32)
    );
    assert_eq!(m.value, Some(Value::Double(20.0)));
    // Unchanged: nothing more to report.
    node.flush(t(3));
    assert!(publishes(&mut node).is_empty());
    // A rebirth carries the quality.
    node.handle_publish(t(4), NCMD, &rebirth_request());
    node.handle_timeout(t(2000));
    let sent = publishes(&mut node);
    let birth = sent
        .iter()
        .find(|s| s.kind() == MessageType::NBirth)
        .unwrap();
    let temp = birth.metric("Temp").unwrap();
    assert_eq!(
        temp.properties.as_ref().map(PropertySet::quality),
        Some(Some(Quality::Bad))
    );
    node.set_metric(t(2001), None, "Temp", 25.0).unwrap();
    node.flush(t(2002));
    let sent = publishes(&mut node);
    let m = sent[0].metric("Temp").unwrap();
    assert!(m.properties.is_none(), "GOOD is the absence of Quality");
    assert!(matches!(
        node.set_metric_quality(t(1), None, "Nope", Quality::Bad),
        Err(SetMetricError::UnknownMetric { .. })
    ));
}

/// SPARKPLUG.md 3.7: back-filled values go out with `is_historical` (checked like any value,
/// the live value untouched), and a transient metric carries `is_transient` in birth and data.
#[test]
fn historical_backfill_and_transient_metrics() {
    let mut node = node(config());
    node.add_node_metric(t(0), MetricSpec::with_initial("Debug", 1i32).transient())
        .unwrap();
    let (_, sent) = connect(&mut node, t(1));
    assert!(sent[0].metric("Debug").unwrap().is_transient);
    assert!(!sent[0].metric("Temp").unwrap().is_transient);
    node.publish_historical(
        t(2),
        None,
        [
            (
                "Temp".to_owned(),
                Value::Double(18.0),
                Timestamp::from_millis(T0 - 5000),
            ),
            (
                "Count".to_owned(),
                Value::UInt32(7),
                Timestamp::from_millis(T0 - 4000),
            ),
        ],
    )
    .unwrap();
    let sent = publishes(&mut node);
    assert_eq!(kinds(&sent), [MessageType::NData]);
    let m = &sent[0].payload.metrics;
    assert!(m.iter().all(|m| m.is_historical));
    assert_eq!(m[0].timestamp, Some(T0 - 5000));
    assert_eq!(node.metric_value(None, "Temp"), Some(&Value::Double(20.0)));
    // All or nothing: a mistyped value refuses the lot.
    assert!(matches!(
        node.publish_historical(
            t(3),
            None,
            [
                ("Temp".to_owned(), Value::Double(1.0), t(0)),
                ("Count".to_owned(), Value::Double(1.0), t(0)),
            ],
        ),
        Err(SetMetricError::TypeMismatch { .. })
    ));
    assert!(publishes(&mut node).is_empty());
    node.set_metric(t(4), None, "Debug", 2i32).unwrap();
    node.flush(t(5));
    let sent = publishes(&mut node);
    assert!(sent[0].metric("Debug").unwrap().is_transient);
}

/// SPARKPLUG.md 3.7: a File metric with its MetaData (file name, type, size, md5) in the birth
/// and in data; metadata that cannot describe the value is refused before the wire.
#[test]
fn file_metrics_carry_checked_metadata() {
    use crate::MetaData;
    let md = |size: u64, md5: Option<&str>| MetaData {
        file_name: Some("recipe.csv".into()),
        file_type: Some("csv".into()),
        size: Some(size),
        md5: md5.map(str::to_owned),
        ..MetaData::default()
    };
    let md5 = "0cc175b9c0f1b6a831c399e269772661";
    let mut node = node(config());
    assert!(matches!(
        node.add_node_metric(
            t(0),
            MetricSpec::with_initial("Recipe", Value::File(b"abc".to_vec()))
                .with_metadata(md(4, None))
        ),
        Err(MetricSpecError::InvalidMetadata { .. })
    ));
    assert!(matches!(
        node.add_node_metric(
            t(0),
            MetricSpec::with_initial("Recipe", Value::File(b"abc".to_vec()))
                .with_metadata(md(3, Some("nope")))
        ),
        Err(MetricSpecError::InvalidMetadata { .. })
    ));
    node.add_node_metric(
        t(0),
        MetricSpec::with_initial("Recipe", Value::File(b"abc".to_vec()))
            .with_metadata(md(3, Some(md5))),
    )
    .unwrap();
    let (_, sent) = connect(&mut node, t(1));
    let birth = sent[0].metric("Recipe").unwrap();
    let m = birth.metadata.as_deref().unwrap();
    assert_eq!(
        (m.file_name.as_deref(), m.size, m.md5.as_deref()),
        (Some("recipe.csv"), Some(3), Some(md5))
    );
    // A new value: its size follows, the old md5 no longer holds.
    node.set_metric(t(2), None, "Recipe", Value::File(b"abcdef".to_vec()))
        .unwrap();
    node.flush(t(3));
    let sent = publishes(&mut node);
    let m = sent[0]
        .metric("Recipe")
        .unwrap()
        .metadata
        .as_deref()
        .unwrap();
    assert_eq!((m.size, m.md5.as_deref()), (Some(6), None));
    // New metadata for the value, checked against it, published with it.
    assert!(matches!(
        node.set_metric_metadata(t(4), None, "Recipe", md(3, None)),
        Err(SetMetricError::InvalidMetadata { .. })
    ));
    node.set_metric_metadata(t(4), None, "Recipe", md(6, Some(md5)))
        .unwrap();
    node.flush(t(5));
    let sent = publishes(&mut node);
    let m = sent[0]
        .metric("Recipe")
        .unwrap()
        .metadata
        .as_deref()
        .unwrap();
    assert_eq!(m.md5.as_deref(), Some(md5));
    // A part of a multi-part transfer may be shorter than the whole.
    let part = MetaData {
        is_multi_part: Some(true),
        seq: Some(0),
        size: Some(1000),
        ..MetaData::default()
    };
    node.add_node_metric(
        t(6),
        MetricSpec::with_initial("Blob", Value::Bytes(vec![1, 2])).with_metadata(part),
    )
    .unwrap();
}
