//! CONNECT, Will, subscriptions, births, devices, reconnects and shutdown.

use super::*;
use crate::validate::{BDSEQ, NODE_CONTROL_REBIRTH};

/// tck-id-message-flow-edge-node-birth-publish-will-message,
/// tck-id-message-flow-edge-node-birth-publish-will-message-topic,
/// tck-id-message-flow-edge-node-birth-publish-will-message-payload,
/// tck-id-message-flow-edge-node-birth-publish-will-message-qos,
/// tck-id-message-flow-edge-node-birth-publish-will-message-will-retained,
/// tck-id-payloads-ndeath-will-message-qos, tck-id-payloads-ndeath-will-message-retain,
/// tck-id-topics-ndeath-payload, tck-id-topics-ndeath-seq, tck-id-payloads-ndeath-seq
#[test]
fn the_will_is_an_ndeath_with_bd_seq() {
    for aliases in [false, true] {
        let mut node = node(config().with_aliases(aliases).with_client_id("cid"));
        let options = node.connect(t(5));
        assert_eq!(options.client_id, "cid");
        let will = options.will;
        assert_eq!(will.topic, "spBv1.0/G/NDEATH/E");
        assert_eq!((will.qos, will.retain), (QoS::AtLeastOnce, false));
        let payload = Payload::decode(&will.payload).unwrap();
        validate(MessageType::NDeath, &payload).unwrap();
        assert_eq!(payload.seq, None);
        assert_eq!(payload.timestamp, Some(T0 + 5));
        assert_eq!(payload.metrics.len(), 1);
        let bd_seq = &payload.metrics[0];
        assert_eq!(bd_seq.name.as_deref(), Some(BDSEQ));
        assert_eq!(bd_seq.alias, None);
        assert_eq!(bd_seq.datatype, Some(DataType::Int64));
        assert_eq!(bd_seq.value, Some(Value::Int64(0)));
    }
}

/// tck-id-topics-nbirth-bdseq-increment,
/// tck-id-message-flow-edge-node-birth-publish-will-message-payload-bdSeq: 0 for a new node,
/// +1 per CONNECT, 255 wraps to 0, counting on from the stored value.
#[test]
fn bd_seq_counts_connects() {
    let will_bd_seq = |node: &mut EdgeNode, now| {
        let will = node.connect(now).will;
        Payload::decode(&will.payload).unwrap().metrics[0]
            .value
            .clone()
    };
    let mut node = EdgeNode::new(config(), None);
    assert_eq!(node.bd_seq(), BdSeq::new(0));
    assert_eq!(will_bd_seq(&mut node, t(0)), Some(Value::Int64(0)));
    assert_eq!(will_bd_seq(&mut node, t(1)), Some(Value::Int64(1)));
    assert_eq!(node.bd_seq(), BdSeq::new(1));
    let mut node = EdgeNode::new(config(), Some(BdSeq::new(254)));
    assert_eq!(will_bd_seq(&mut node, t(0)), Some(Value::Int64(255)));
    assert_eq!(will_bd_seq(&mut node, t(1)), Some(Value::Int64(0)));
    assert_eq!(node.bd_seq(), BdSeq::new(0));
}

/// tck-id-message-flow-edge-node-ncmd-subscribe, tck-id-message-flow-device-dcmd-subscribe,
/// tck-id-operational-behavior-primary-application-state-with-multiple-servers-state-subs:
/// subscriptions first, QoS 1, exact NCMD topic.
#[test]
fn subscriptions_come_first() {
    for primary in [false, true] {
        let config = if primary {
            config().with_primary_host(host())
        } else {
            config()
        };
        let mut node = node(config);
        node.connect(t(0));
        assert!(transmits(&mut node).is_empty(), "nothing before CONNACK");
        node.handle_connected(t(1));
        let Some(Transmit::Subscribe(subs)) = node.poll_transmit() else {
            panic!("the first transmit is the subscription");
        };
        let mut expected = vec!["spBv1.0/G/NCMD/E", "spBv1.0/G/DCMD/E/+"];
        if primary {
            expected.push("spBv1.0/STATE/scada");
        }
        assert_eq!(
            subs.iter().map(|s| s.filter.as_str()).collect::<Vec<_>>(),
            expected
        );
        assert!(subs.iter().all(|s| s.qos == QoS::AtLeastOnce));
    }
}

/// tck-id-topics-nbirth-topic, tck-id-topics-nbirth-mqtt, tck-id-topics-nbirth-seq-num,
/// tck-id-topics-nbirth-timestamp, tck-id-topics-nbirth-metrics,
/// tck-id-topics-nbirth-bdseq-included, tck-id-topics-nbirth-bdseq-matching,
/// tck-id-payloads-nbirth-bdseq-repeat, tck-id-topics-nbirth-rebirth-metric,
/// tck-id-operational-behavior-data-commands-rebirth-name,
/// tck-id-operational-behavior-data-commands-rebirth-datatype,
/// tck-id-operational-behavior-data-commands-rebirth-value,
/// tck-id-operational-behavior-data-publish-nbirth-values, tck-id-payloads-metric-datatype-req,
/// tck-id-topics-dbirth-topic, tck-id-topics-dbirth-mqtt, tck-id-topics-dbirth-seq,
/// tck-id-topics-dbirth-metrics, tck-id-message-flow-device-birth-publish-nbirth-wait,
/// tck-id-payloads-dbirth-order, tck-id-principles-birth-certificates-order
#[test]
fn the_birth_sequence() {
    let mut node = node(config());
    node.add_device(t(0), dev("Valve"), []).unwrap();
    let (options, sent) = connect(&mut node, t(10));
    assert_eq!(node.state(), EdgeState::Online);
    assert_eq!(
        kinds(&sent),
        [
            MessageType::NBirth,
            MessageType::DBirth,
            MessageType::DBirth
        ]
    );
    let nbirth = &sent[0];
    assert_eq!(nbirth.publish.topic, "spBv1.0/G/NBIRTH/E");
    assert_eq!(nbirth.publish.qos, QoS::AtMostOnce);
    assert_eq!(nbirth.seq(), Some(0));
    assert_eq!(nbirth.payload.timestamp, Some(T0 + 10));
    let will = Payload::decode(&options.will.payload).unwrap();
    assert_eq!(nbirth.metric(BDSEQ).unwrap().value, will.metrics[0].value);
    let rebirth = nbirth.metric(NODE_CONTROL_REBIRTH).unwrap();
    assert_eq!(
        (rebirth.alias, rebirth.datatype, &rebirth.value),
        (None, Some(DataType::Boolean), &Some(Value::Boolean(false)))
    );
    let temp = nbirth.metric("Temp").unwrap();
    assert_eq!(temp.value, Some(Value::Double(20.0)));
    assert_eq!(temp.timestamp, Some(T0 + 10));
    assert!(nbirth.metric("Mode").unwrap().is_null);
    assert_eq!(nbirth.payload.metrics.len(), 5);
    assert_eq!(sent[1].publish.topic, "spBv1.0/G/DBIRTH/E/Pump");
    assert_eq!(
        (sent[1].seq(), sent[1].publish.qos),
        (Some(1), QoS::AtMostOnce)
    );
    assert_eq!(
        sent[1].metric("Speed").unwrap().value,
        Some(Value::Int32(0))
    );
    assert_eq!(sent[2].publish.topic, "spBv1.0/G/DBIRTH/E/Valve");
    assert_eq!(sent[2].seq(), Some(2));
    assert_eq!(events(&mut node), [EdgeEvent::Online]);
}

/// tck-id-payloads-alias-uniqueness, tck-id-payloads-alias-birth-requirement: births carry
/// name and alias, and no alias repeats across the node and its devices.
#[test]
fn aliases_are_unique_across_the_node_and_devices() {
    let mut node = node(config().with_aliases(true));
    let (_, sent) = connect(&mut node, t(1));
    node.add_device(t(2), dev("Fan"), [MetricSpec::with_initial("Speed", 1i32)])
        .unwrap();
    let late = publishes(&mut node);
    let mut aliases = Vec::new();
    for birth in sent.iter().chain(&late) {
        for m in &birth.payload.metrics {
            assert!(m.name.is_some());
            if let Some(a) = m.alias {
                aliases.push(a);
            } else {
                assert!(matches!(
                    m.name.as_deref(),
                    Some(BDSEQ | NODE_CONTROL_REBIRTH)
                ));
            }
        }
    }
    assert_eq!(aliases.len(), 6);
    let mut unique = aliases.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique, aliases);
}

/// tck-id-topics-nbirth-metric-reqs, tck-id-operational-behavior-data-publish-nbirth,
/// tck-id-operational-behavior-device-ddeath, tck-id-topics-ddeath-topic,
/// tck-id-topics-ddeath-mqtt, tck-id-topics-ddeath-seq-num, tck-id-payloads-ddeath-timestamp,
/// tck-id-payloads-ddeath-seq-inc: a node metric added later brings a rebirth, a device added
/// later its DBIRTH, a device removed its DDEATH.
#[test]
fn metrics_and_devices_change_mid_session() {
    let mut node = node(config());
    connect(&mut node, t(0));
    node.add_node_metric(t(1), MetricSpec::with_initial("Level", 3u8))
        .unwrap();
    let rebirth = publishes(&mut node);
    assert_eq!(kinds(&rebirth), [MessageType::NBirth, MessageType::DBirth]);
    assert_eq!(rebirth[0].seq(), Some(0));
    assert_eq!(
        rebirth[0].metric("Level").unwrap().value,
        Some(Value::UInt8(3))
    );
    node.add_device(t(2), dev("Fan"), []).unwrap();
    let dbirth = publishes(&mut node);
    assert_eq!(dbirth[0].publish.topic, "spBv1.0/G/DBIRTH/E/Fan");
    assert_eq!(dbirth[0].seq(), Some(2));
    node.remove_device(t(3), &dev("Pump")).unwrap();
    let ddeath = publishes(&mut node);
    assert_eq!(ddeath[0].publish.topic, "spBv1.0/G/DDEATH/E/Pump");
    assert_eq!(ddeath[0].publish.qos, QoS::AtMostOnce);
    assert_eq!(ddeath[0].seq(), Some(3));
    assert_eq!(ddeath[0].payload.timestamp, Some(T0 + 3));
    assert_eq!(node.devices().collect::<Vec<_>>(), [&dev("Fan")]);
    assert_eq!(
        node.remove_device(t(4), &dev("Pump")),
        Err(UnknownDevice(dev("Pump")))
    );
    // Offline, devices come and go without messages.
    node.handle_disconnected(t(5));
    node.add_device(t(6), dev("Pump"), []).unwrap();
    node.remove_device(t(6), &dev("Fan")).unwrap();
    assert!(transmits(&mut node).is_empty());
}

/// tck-id-message-flow-edge-node-birth-publish-connect,
/// tck-id-principles-birth-certificates-order: a new session has a new bdSeq, starts with the
/// subscriptions and births, and nothing queued in the old one leaks into it.
#[test]
fn reconnect_starts_a_new_session() {
    let mut node = node(config());
    connect(&mut node, t(0));
    node.set_metric(t(1), None, "Count", 1u32).unwrap();
    node.flush(t(1));
    node.handle_disconnected(t(2));
    assert_eq!(node.state(), EdgeState::Disconnected);
    let (options, sent) = connect(&mut node, t(3));
    let will = Payload::decode(&options.will.payload).unwrap();
    assert_eq!(will.metrics[0].value, Some(Value::Int64(1)));
    assert_eq!(kinds(&sent), [MessageType::NBirth, MessageType::DBirth]);
    assert_eq!(sent[0].metric(BDSEQ).unwrap().value, Some(Value::Int64(1)));
    assert_eq!(
        sent[0].metric("Count").unwrap().value,
        Some(Value::UInt32(1))
    );
    assert_eq!(
        events(&mut node),
        [EdgeEvent::Online, EdgeEvent::Offline, EdgeEvent::Online]
    );
    // A CONNECT that fails before CONNACK.
    node.connect(t(4));
    node.handle_disconnected(t(5));
    node.handle_connected(t(5));
    assert!(transmits(&mut node).is_empty());
    assert_eq!(events(&mut node), [EdgeEvent::Offline]);
}

/// tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath,
/// tck-id-operational-behavior-edge-node-intentional-disconnect-packet,
/// tck-id-payloads-ndeath-will-message-publisher,
/// tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt311,
/// tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt50, tck-id-topics-ndeath-topic
#[test]
fn shutdown_publishes_ndeath_then_disconnects() {
    let mut node = node(config());
    connect(&mut node, t(0));
    node.shutdown(t(1));
    let tx = transmits(&mut node);
    assert_eq!(tx.len(), 2);
    let Transmit::Publish(ndeath) = tx[0].clone() else {
        panic!("NDEATH first");
    };
    assert_eq!(ndeath.qos, QoS::AtLeastOnce);
    let ndeath = decode(ndeath);
    assert_eq!(ndeath.publish.topic, "spBv1.0/G/NDEATH/E");
    assert_eq!(ndeath.seq(), None);
    assert_eq!(ndeath.metric(BDSEQ).unwrap().value, Some(Value::Int64(0)));
    assert_eq!(tx[1], Transmit::Disconnect(DisconnectReason::Shutdown));
    assert_eq!(node.state(), EdgeState::ShutDown);
    node.handle_disconnected(t(2));
    assert_eq!(node.state(), EdgeState::ShutDown);
    assert_eq!(events(&mut node), [EdgeEvent::Online, EdgeEvent::Offline]);
    // Shutting down when not connected sends nothing; a new connect starts over.
    node.shutdown(t(3));
    assert!(transmits(&mut node).is_empty());
    node.connect(t(4));
    assert_eq!(node.state(), EdgeState::AwaitingConnack);
    node.shutdown(t(5));
    assert_eq!(
        transmits(&mut node),
        [Transmit::Disconnect(DisconnectReason::Shutdown)]
    );
}

#[test]
fn application_errors() {
    let mut node = node(config());
    assert_eq!(
        node.add_device(t(0), dev("Pump"), []),
        Err(AddDeviceError::DuplicateDevice(dev("Pump")))
    );
    assert!(matches!(
        node.add_device(t(0), dev("X"), [MetricSpec::new("", DataType::Int8)]),
        Err(AddDeviceError::Metric(MetricSpecError::EmptyName))
    ));
    assert!(matches!(
        node.add_node_metrics(
            t(0),
            [
                MetricSpec::new("A", DataType::Int8),
                MetricSpec::new("A", DataType::Int8)
            ]
        ),
        Err(MetricSpecError::DuplicateName(_))
    ));
    // All or nothing.
    assert_eq!(node.metric_value(None, "A"), None);
    assert!(
        node.add_node_metric(t(0), MetricSpec::new("A", DataType::Int8))
            .is_ok()
    );
    assert!(matches!(
        node.set_metric(t(1), None, "Nope", 1i32),
        Err(SetMetricError::UnknownMetric { device: None, .. })
    ));
    assert!(matches!(
        node.set_metric(t(1), Some(&dev("X")), "Speed", 1i32),
        Err(SetMetricError::UnknownDevice(_))
    ));
    assert!(matches!(
        node.set_metric(t(1), Some(&dev("Pump")), "Speed", 1i64),
        Err(SetMetricError::TypeMismatch {
            expected: DataType::Int32,
            found: DataType::Int64,
            ..
        })
    ));
    node.set_metric(t(1), Some(&dev("Pump")), "Speed", 7i32)
        .unwrap();
    assert_eq!(
        node.metric_value(Some(&dev("Pump")), "Speed"),
        Some(&Value::Int32(7))
    );
    let e = node
        .set_metric(t(1), Some(&dev("Pump")), "Nope", 1i32)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "no metric \"Nope\" is defined on device Pump"
    );
    assert_eq!(node.metric_value(Some(&dev("X")), "Speed"), None);
}
