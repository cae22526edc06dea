//! NCMD and DCMD: rebirth, debounce, writes, and what a host can get wrong.

use core::time::Duration;

use super::*;
use crate::validate::BDSEQ;

/// tck-id-operational-behavior-data-commands-rebirth-action-1,
/// tck-id-operational-behavior-data-commands-rebirth-action-2,
/// tck-id-operational-behavior-data-commands-rebirth-action-3,
/// tck-id-payloads-nbirth-bdseq-repeat, tck-id-payloads-nbirth-seq,
/// tck-id-operational-behavior-data-commands-ncmd-rebirth-verb: NBIRTH with seq 0, the same
/// bdSeq and the current values, then every DBIRTH.
#[test]
fn rebirth() {
    let mut node = node(config().with_rebirth_debounce(Duration::ZERO));
    connect(&mut node, t(0));
    node.set_metric(t(1), None, "Count", 9u32).unwrap();
    node.flush(t(1));
    publishes(&mut node);
    events(&mut node);
    node.handle_publish(t(2), NCMD, &rebirth_request());
    let sent = publishes(&mut node);
    assert_eq!(kinds(&sent), [MessageType::NBirth, MessageType::DBirth]);
    assert_eq!(sent[0].seq(), Some(0));
    assert_eq!(sent[1].seq(), Some(1));
    assert_eq!(sent[0].metric(BDSEQ).unwrap().value, Some(Value::Int64(0)));
    assert_eq!(
        sent[0].metric("Count").unwrap().value,
        Some(Value::UInt32(9))
    );
    assert_eq!(
        events(&mut node),
        [EdgeEvent::RebirthRequested, EdgeEvent::Online]
    );
    assert_eq!(node.bd_seq(), BdSeq::new(0));
}

/// Rebirth requests inside the debounce window are answered when it ends, once; no data
/// flows meanwhile (tck-id-operational-behavior-data-commands-rebirth-action-1).
#[test]
fn rebirth_debounce() {
    let mut node = node(config().with_rebirth_debounce(Duration::from_millis(500)));
    connect(&mut node, t(0));
    assert_eq!(node.poll_timeout(), None);
    node.handle_publish(t(100), NCMD, &rebirth_request());
    node.handle_publish(t(200), NCMD, &rebirth_request());
    assert!(transmits(&mut node).is_empty());
    assert_eq!(node.state(), EdgeState::AwaitingRebirth { until: t(500) });
    assert_eq!(node.poll_timeout(), Some(t(500)));
    // Data recorded meanwhile is held, then sent as history after the births.
    node.set_metric(t(300), None, "Count", 1u32).unwrap();
    node.flush(t(300));
    assert!(transmits(&mut node).is_empty());
    node.handle_timeout(t(499));
    assert!(transmits(&mut node).is_empty());
    node.handle_timeout(t(500));
    let sent = publishes(&mut node);
    assert_eq!(
        kinds(&sent),
        [MessageType::NBirth, MessageType::DBirth, MessageType::NData]
    );
    assert!(sent[2].payload.metrics[0].is_historical);
    assert_eq!(node.state(), EdgeState::Online);
    assert_eq!(node.poll_timeout(), None);
    // Outside the window, at once.
    node.handle_publish(t(1000), NCMD, &rebirth_request());
    assert_eq!(kinds(&publishes(&mut node))[0], MessageType::NBirth);
    // Before the births of the session, the coming births answer the request.
    node.handle_disconnected(t(1001));
    node.connect(t(1002));
    node.handle_publish(t(1002), NCMD, &rebirth_request());
    assert!(transmits(&mut node).is_empty());
    assert_eq!(node.state(), EdgeState::AwaitingConnack);
}

/// tck-id-operational-behavior-data-commands-ncmd-verb,
/// tck-id-operational-behavior-data-commands-ncmd-metric-value,
/// tck-id-operational-behavior-data-commands-dcmd-verb,
/// tck-id-operational-behavior-data-commands-dcmd-metric-value,
/// tck-id-payloads-alias-data-cmd-requirement: writes by alias, typed with the birth's
/// datatype.
#[test]
fn commands_are_delivered_typed() {
    let mut node = node(config().with_aliases(true));
    let (_, births) = connect(&mut node, t(0));
    events(&mut node);
    let alias = |birth: &Sent, name: &str| birth.metric(name).unwrap().alias.unwrap();
    let count = alias(&births[0], "Count");
    let speed = alias(&births[1], "Speed");
    node.handle_publish(
        t(1),
        NCMD,
        &command(vec![Metric::aliased(count, 7u32).with_timestamp(T0)]),
    );
    node.handle_publish(
        t(1),
        "spBv1.0/G/DCMD/E/Pump",
        &command(vec![
            Metric::aliased(speed, -5i32),
            Metric::new("Running", true).without_datatype(),
        ]),
    );
    assert_eq!(
        events(&mut node),
        [
            EdgeEvent::Command {
                device: None,
                name: "Count".into(),
                value: Value::UInt32(7)
            },
            EdgeEvent::Command {
                device: Some(dev("Pump")),
                name: "Speed".into(),
                value: Value::Int32(-5)
            },
            EdgeEvent::Command {
                device: Some(dev("Pump")),
                name: "Running".into(),
                value: Value::Boolean(true)
            },
        ]
    );
    // Commands change nothing by themselves.
    assert!(transmits(&mut node).is_empty());
    assert_eq!(node.metric_value(None, "Count"), Some(&Value::UInt32(0)));
}

/// tck-id-operational-behavior-data-commands-ncmd-metric-name,
/// tck-id-operational-behavior-data-commands-dcmd-metric-name: unknown names, aliases and
/// devices, incompatible values and malformed payloads are events, and the node carries on.
#[test]
fn bad_commands_are_events() {
    let mut node = node(config());
    connect(&mut node, t(0));
    events(&mut node);
    node.handle_publish(t(1), NCMD, &command(vec![Metric::new("Nope", 1i32)]));
    node.handle_publish(
        t(1),
        NCMD,
        &command(vec![Metric::new("Count", true).without_datatype()]),
    );
    node.handle_publish(t(1), NCMD, &command(vec![Metric::new("Count", 1i64)]));
    node.handle_publish(
        t(1),
        "spBv1.0/G/DCMD/E/Ghost",
        &command(vec![Metric::new("Speed", 1i32)]),
    );
    node.handle_publish(t(1), NCMD, &[0xff, 0xff]);
    node.handle_publish(t(1), "not/a/sparkplug/topic", b"x");
    // Not for this node, or not a command: ignored.
    node.handle_publish(t(1), "spBv1.0/G/NCMD/Other", &rebirth_request());
    node.handle_publish(t(1), "spBv1.0/H/NCMD/E", &rebirth_request());
    node.handle_publish(t(1), "spBv1.0/G/NDATA/E", &[0xff]);
    node.handle_publish(t(1), "spBv1.0/STATE/scada", b"{}");
    let events = events(&mut node);
    assert_eq!(events.len(), 6, "{events:?}");
    assert!(matches!(
        &events[0],
        EdgeEvent::CommandRejected {
            device: None,
            error: CommandError::Resolve(crate::ResolveError::UnknownName(_)),
            ..
        }
    ));
    assert!(matches!(
        &events[1],
        EdgeEvent::CommandRejected {
            error: CommandError::Resolve(crate::ResolveError::Value { .. }),
            ..
        }
    ));
    assert!(matches!(
        &events[2],
        EdgeEvent::CommandRejected {
            error: CommandError::Resolve(crate::ResolveError::DatatypeMismatch { .. }),
            ..
        }
    ));
    assert!(matches!(
        &events[3],
        EdgeEvent::CommandRejected {
            device: Some(_),
            error: CommandError::UnknownDevice(_),
            ..
        }
    ));
    assert!(matches!(
        &events[4],
        EdgeEvent::MalformedMessage {
            error: MessageError::Payload(_),
            ..
        }
    ));
    assert!(matches!(
        &events[5],
        EdgeEvent::MalformedMessage {
            error: MessageError::Topic(_),
            ..
        }
    ));
    assert!(transmits(&mut node).is_empty());
    assert_eq!(node.state(), EdgeState::Online);
}

/// Commands from a host arrive whatever their content: no input panics the node.
#[test]
fn hostile_command_payloads_never_panic() {
    let mut node = node(config().with_aliases(true));
    connect(&mut node, t(0));
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for len in 0..400usize {
        let bytes: Vec<u8> = (0..len % 64)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        node.handle_publish(t(1), NCMD, &bytes);
        node.handle_publish(t(1), "spBv1.0/G/DCMD/E/Pump", &bytes);
    }
    let _ = events(&mut node);
    assert_eq!(node.state(), EdgeState::Online);
}

/// The optional Node Control metrics (SPARKPLUG.md 3.7): Reboot, Next Server and Scan Rate are
/// in the NBIRTH once added, and an NCMD writing them reaches the application as its own event;
/// a new scan rate is checked (> 0), recorded and reported; a Reboot that is not a Boolean is
/// rejected like any mistyped command
/// (tck-id-operational-behavior-data-commands-ncmd-metric-value).
#[test]
fn node_control_metrics_reach_the_application() {
    use crate::session::edge::{NODE_CONTROL_REBOOT, NODE_CONTROL_SCAN_RATE, NodeControl};
    let mut node = node(config());
    for control in [
        NodeControl::Reboot,
        NodeControl::NextServer,
        NodeControl::ScanRate { ms: 1000 },
    ] {
        node.add_node_control(t(0), control).unwrap();
    }
    assert!(matches!(
        node.add_node_control(t(0), NodeControl::ScanRate { ms: 0 }),
        Err(MetricSpecError::InvalidScanRate(0))
    ));
    let (_, sent) = connect(&mut node, t(1));
    let nbirth = &sent[0];
    assert_eq!(
        nbirth.metric(NODE_CONTROL_REBOOT).unwrap().value,
        Some(Value::Boolean(false))
    );
    assert_eq!(
        nbirth.metric("Node Control/Next Server").unwrap().datatype,
        Some(DataType::Boolean)
    );
    assert_eq!(
        nbirth.metric(NODE_CONTROL_SCAN_RATE).unwrap().value,
        Some(Value::Int64(1000))
    );
    events(&mut node);
    let ncmd = command(vec![
        Metric::new(NODE_CONTROL_REBOOT, true).without_datatype(),
        Metric::new("Node Control/Next Server", false).without_datatype(),
        Metric::new(NODE_CONTROL_SCAN_RATE, 250i64).without_datatype(),
    ]);
    node.handle_publish(t(2), NCMD, &ncmd);
    assert_eq!(
        events(&mut node),
        [
            EdgeEvent::RebootRequested,
            EdgeEvent::ScanRateChanged { ms: 250 }
        ]
    );
    node.flush(t(3));
    let sent = publishes(&mut node);
    // Data carries no datatype: the natural value of `long_value` until resolved.
    assert_eq!(
        sent[0].metric(NODE_CONTROL_SCAN_RATE).unwrap().value,
        Some(Value::UInt64(250))
    );
    let bad = command(vec![
        Metric::new(NODE_CONTROL_SCAN_RATE, -5i64).without_datatype(),
        Metric::new(NODE_CONTROL_REBOOT, "now").without_datatype(),
        Metric::new(NODE_CONTROL_REBOOT, false).without_datatype(),
    ]);
    node.handle_publish(t(4), NCMD, &bad);
    let seen = events(&mut node);
    assert!(
        matches!(
            &seen[..],
            [
                EdgeEvent::CommandRejected {
                    error: CommandError::InvalidScanRate(-5),
                    ..
                },
                EdgeEvent::CommandRejected {
                    error: CommandError::Resolve(_),
                    ..
                },
            ]
        ),
        "{seen:?}"
    );
}
