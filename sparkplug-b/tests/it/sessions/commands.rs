//! Commands (TCK host `SendCommandTest`, edge `ReceiveCommandTest`): writes by alias, typed on
//! both sides through the births, and writes the host refuses.

use sparkplug_b::session::host::CommandError;

use super::*;

/// tck-id-topics-dcmd-topic, tck-id-topics-dcmd-mqtt, tck-id-topics-dcmd-timestamp,
/// tck-id-topics-dcmd-payload, tck-id-payloads-dcmd-seq, tck-id-payloads-dcmd-qos,
/// tck-id-payloads-dcmd-retain, tck-id-operational-behavior-data-commands-dcmd-verb,
/// tck-id-operational-behavior-data-commands-dcmd-metric-name,
/// tck-id-operational-behavior-data-commands-dcmd-metric-value, tck-id-topics-ncmd-payload,
/// tck-id-operational-behavior-data-commands-ncmd-verb,
/// tck-id-operational-behavior-data-commands-ncmd-metric-value,
/// tck-id-payloads-alias-data-cmd-requirement, tck-id-payloads-metric-datatype-not-req:
/// `write_metric` on a device metric sends a DCMD addressing it by its DBIRTH alias, without
/// datatype; the edge node reads it through its DBIRTH and hands the application the typed
/// value; the application reports the new value and the host sees it. The same for a node
/// metric over NCMD.
#[test]
fn a_write_goes_out_by_alias_and_reaches_the_edge_typed() {
    let mut sim = online_pair();
    sim.advance(Duration::from_millis(500));
    let now = sim.now();
    let mark = sim.log().len();
    // An Int64 that fits the Int32 metric.
    sim.host()
        .write_metric(now, &group(), &node_id(), Some(&pump()), "Setpoint", -40i64)
        .unwrap();
    sim.run_until_idle();

    let sent = publishes_since(&sim, HOST, mark);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].topic, PUMP_DCMD);
    assert_eq!((sent[0].qos, sent[0].retain), (QoS::AtMostOnce, false));
    let dcmd = decode(&sent[0].payload);
    assert_eq!((dcmd.seq, dcmd.timestamp), (None, Some(now.as_millis())));
    assert_eq!(dcmd.metrics.len(), 1);
    let birth_alias = last_payload(&sim, EDGE, PUMP_DBIRTH)
        .metric("Setpoint")
        .unwrap()
        .alias;
    let metric = &dcmd.metrics[0];
    assert!(birth_alias.is_some());
    assert_eq!(
        (metric.name.as_deref(), metric.alias, metric.datatype),
        (None, birth_alias, None)
    );
    assert!(
        sim.log()
            .deliveries(EDGE)
            .iter()
            .any(|d| d.topic == PUMP_DCMD)
    );

    assert_eq!(
        sim.edge_events(),
        [EdgeEvent::Command {
            device: Some(pump()),
            name: "Setpoint".to_owned(),
            value: Value::Int32(-40),
        }]
    );
    // The edge node does not change the metric itself; the application does and reports it.
    assert_eq!(
        sim.edge().metric_value(Some(&pump()), "Setpoint"),
        Some(&Value::Int32(0))
    );
    sim.report(Some(&pump()), "Setpoint", -40i32);
    assert_eq!(
        sim.host_metric(Some(&pump()), "Setpoint").value,
        Some(Value::Int32(-40))
    );

    // A node metric: NCMD, a Double.
    sim.host_events();
    sim.host()
        .write_metric(now, &group(), &node_id(), None, "Temperature", 19.5f32)
        .unwrap();
    sim.run_until_idle();
    let ncmd = last_payload(&sim, HOST, NCMD);
    assert_eq!(ncmd.metrics[0].name, None);
    assert_eq!(
        ncmd.metrics[0].alias,
        last_payload(&sim, EDGE, NBIRTH)
            .metric("Temperature")
            .unwrap()
            .alias
    );
    assert_eq!(
        sim.edge_events(),
        [EdgeEvent::Command {
            device: None,
            name: "Temperature".to_owned(),
            value: Value::Double(19.5),
        }]
    );

    // A negative Int8 goes sign-extended in int_value and comes back as an Int8.
    sim.host()
        .write_metric(now, &group(), &node_id(), None, "Offset", -3i32)
        .unwrap();
    sim.run_until_idle();
    assert_eq!(
        sim.edge_events(),
        [EdgeEvent::Command {
            device: None,
            name: "Offset".to_owned(),
            value: Value::Int8(-3),
        }]
    );
    check_wire(&sim);
}

/// tck-id-operational-behavior-data-commands-dcmd-metric-value,
/// tck-id-operational-behavior-data-commands-ncmd-metric-value,
/// tck-id-operational-behavior-data-commands-dcmd-metric-name: a value that does not fit the
/// metric's birth datatype, an unknown metric, or a device that is gone: `write_metric` returns
/// an error and nothing is published.
#[test]
fn a_write_the_birth_does_not_allow_is_refused_before_anything_is_sent() {
    let mut sim = online_pair();
    let now = sim.now();
    let mark = sim.log().len();
    let host = sim.host();
    assert_eq!(
        host.write_metric(now, &group(), &node_id(), Some(&pump()), "Running", "yes"),
        Err(CommandError::IncompatibleValue {
            name: "Running".to_owned(),
            datatype: DataType::Boolean,
            given: DataType::String,
        })
    );
    assert_eq!(
        host.write_metric(
            now,
            &group(),
            &node_id(),
            Some(&pump()),
            "Setpoint",
            3_000_000_000u32
        ),
        Err(CommandError::IncompatibleValue {
            name: "Setpoint".to_owned(),
            datatype: DataType::Int32,
            given: DataType::UInt32,
        })
    );
    assert_eq!(
        host.write_metric(now, &group(), &node_id(), None, "Offset", 128i32),
        Err(CommandError::IncompatibleValue {
            name: "Offset".to_owned(),
            datatype: DataType::Int8,
            given: DataType::Int32,
        })
    );
    assert_eq!(
        host.write_metric(now, &group(), &node_id(), None, "Speed", 1.0f32),
        Err(CommandError::UnknownMetric {
            name: "Speed".to_owned()
        })
    );
    assert_eq!(host.poll_transmit(), None);
    sim.run_until_idle();
    assert!(publishes_since(&sim, HOST, mark).is_empty());
    assert!(sim.edge_events().is_empty());

    // A device that sent its DDEATH can no longer be written.
    sim.edge().remove_device(now, &pump()).unwrap();
    sim.run_until_idle();
    let mark = sim.log().len();
    assert_eq!(
        sim.host()
            .write_metric(now, &group(), &node_id(), Some(&pump()), "Setpoint", 1i32),
        Err(CommandError::DeviceNotOnline {
            group: group(),
            node: node_id(),
            device: pump(),
        })
    );
    sim.run_until_idle();
    assert!(publishes_since(&sim, HOST, mark).is_empty());
    check_wire(&sim);
}
