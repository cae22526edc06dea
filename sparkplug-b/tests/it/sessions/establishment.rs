//! Session establishment (TCK edge `SessionEstablishmentTest`, host
//! `SessionEstablishmentTest`): the host's Will, subscriptions and STATE birth, the edge node
//! waiting for the primary host, its subscriptions, NBIRTH and DBIRTHs, and what the host makes
//! of them.

use sparkplug_b::Quality;
use sparkplug_b::session::host::Presence;

use super::*;

/// tck-id-host-topic-phid-birth-message, tck-id-message-flow-phid-sparkplug-subscription,
/// tck-id-message-flow-phid-sparkplug-state-publish,
/// tck-id-message-flow-phid-sparkplug-state-publish-payload-timestamp,
/// tck-id-operational-behavior-host-application-connect-will,
/// tck-id-operational-behavior-host-application-connect-will-topic,
/// tck-id-operational-behavior-host-application-connect-will-qos,
/// tck-id-operational-behavior-host-application-connect-will-retained,
/// tck-id-operational-behavior-host-application-connect-birth-qos,
/// tck-id-operational-behavior-host-application-connect-birth-retained,
/// tck-id-payloads-state-birth-payload, tck-id-host-topic-phid-death-payload-timestamp-connect:
/// the host subscribes, then publishes its STATE birth (its first publish) with its Will's
/// timestamp, QoS 1, retained.
#[test]
fn the_host_subscribes_then_publishes_its_state_birth() {
    let mut sim = world(standard_edge(edge_config()), host_config());
    sim.connect(HOST);
    sim.run_until_idle();

    let connect = sim.log().connects(HOST)[0].clone();
    assert_eq!(connect.client_id, "scada");
    assert_eq!(connect.will.topic, STATE);
    assert_eq!(
        (connect.will.qos, connect.will.retain),
        (QoS::AtLeastOnce, true)
    );
    assert_eq!(
        StateMessage::parse(&connect.will.payload).unwrap(),
        StateMessage::death(START.as_millis())
    );

    let namespace = sim.log().subscribe_index(HOST, "spBv1.0/#").unwrap();
    let own_state = sim.log().subscribe_index(HOST, STATE).unwrap();
    let birth = sim.log().publish_index(HOST, STATE).unwrap();
    assert!(namespace < birth && own_state < birth);
    let first = sim.log().publishes(HOST)[0].clone();
    assert_eq!(first.topic, STATE);
    assert_eq!((first.qos, first.retain), (QoS::AtLeastOnce, true));
    assert_eq!(
        StateMessage::parse(&first.payload).unwrap(),
        StateMessage::birth(START.as_millis())
    );
    let retained = sim.broker().retained(STATE).unwrap();
    assert_eq!(retained.payload, state_json(true, START));

    assert_eq!(
        sim.host_events(),
        [HostEvent::StateBirthPublished { timestamp: START }]
    );
    assert!(sim.host().is_online());
    assert_eq!(sim.host().state_timestamp(), Some(START));
    check_wire(&sim);
}

/// tck-id-message-flow-edge-node-birth-publish-connect,
/// tck-id-message-flow-edge-node-birth-publish-will-message,
/// tck-id-message-flow-edge-node-birth-publish-will-message-topic,
/// tck-id-message-flow-edge-node-birth-publish-will-message-payload,
/// tck-id-message-flow-edge-node-birth-publish-will-message-qos,
/// tck-id-message-flow-edge-node-birth-publish-will-message-will-retained,
/// tck-id-payloads-ndeath-will-message, tck-id-payloads-ndeath-bdseq,
/// tck-id-message-flow-edge-node-ncmd-subscribe, tck-id-message-flow-device-dcmd-subscribe,
/// tck-id-operational-behavior-primary-application-state-with-multiple-servers-state-subs,
/// tck-id-message-flow-edge-node-birth-publish-phid-wait,
/// tck-id-principles-birth-certificates-order, tck-id-topics-nbirth-topic,
/// tck-id-topics-nbirth-mqtt, tck-id-topics-nbirth-seq-num, tck-id-topics-nbirth-timestamp,
/// tck-id-topics-nbirth-bdseq-included, tck-id-topics-nbirth-bdseq-matching,
/// tck-id-topics-nbirth-metrics, tck-id-topics-nbirth-rebirth-metric,
/// tck-id-operational-behavior-data-commands-rebirth-name-aliases,
/// tck-id-operational-behavior-data-publish-nbirth-values, tck-id-topics-dbirth-topic,
/// tck-id-topics-dbirth-mqtt, tck-id-topics-dbirth-seq, tck-id-topics-dbirth-metrics,
/// tck-id-message-flow-device-birth-publish-nbirth-wait, tck-id-payloads-dbirth-order:
/// with the host online, the edge node connects with its NDEATH Will, subscribes to NCMD, DCMD
/// and the primary host's STATE, sees the retained online STATE, then publishes NBIRTH (seq 0,
/// the Will's bdSeq) and the DBIRTHs.
#[test]
fn the_edge_subscribes_then_births_once_the_primary_host_is_online() {
    let mut sim = world(standard_edge(edge_config()), host_config());
    sim.connect(HOST);
    sim.run_until_idle();
    sim.host_events();
    sim.advance(Duration::from_millis(250));
    let t_edge = sim.now();
    let mark = sim.log().len();
    sim.connect(EDGE);
    sim.run_until_idle();

    // CONNECT: client id and the NDEATH Will with bdSeq 0.
    let connect = sim.log().connects(EDGE)[0].clone();
    assert_eq!(connect.client_id, "Plant-Line1");
    assert_eq!(connect.will.topic, NDEATH);
    let will = decode(&connect.will.payload);
    assert_eq!(bd_seq(&will), 0);
    assert_eq!(will.metrics.len(), 1);

    // Subscriptions, QoS 1, before the STATE arrives and before any publish.
    let subscriptions: Vec<(String, QoS)> = sim
        .log()
        .subscriptions(EDGE)
        .into_iter()
        .map(|s| (s.filter.clone(), s.qos))
        .collect();
    assert_eq!(
        subscriptions,
        [
            (NCMD.to_owned(), QoS::AtLeastOnce),
            ("spBv1.0/Plant/DCMD/Line1/+".to_owned(), QoS::AtLeastOnce),
            (STATE.to_owned(), QoS::AtLeastOnce),
        ]
    );
    let state_seen = sim
        .log()
        .position(|e| matches!(e, Event::Deliver(d) if d.to == EDGE && d.topic == STATE))
        .unwrap();
    let delivered = &sim.log().deliveries(EDGE)[0];
    assert!(delivered.retain, "the host's retained birth");
    let subscribed = sim.log().subscribe_index(EDGE, NCMD).unwrap();
    let nbirth = sim.log().publish_index(EDGE, NBIRTH).unwrap();
    assert!(mark < subscribed && subscribed < state_seen && state_seen < nbirth);

    // The births: NBIRTH first, then every DBIRTH, seq 0, 1, 2.
    assert_eq!(
        topics_since(&sim, EDGE, mark),
        [NBIRTH, PUMP_DBIRTH, TANK_DBIRTH]
    );
    let nbirth = last_payload(&sim, EDGE, NBIRTH);
    assert_eq!(nbirth.seq, Some(0));
    assert_eq!(nbirth.timestamp, Some(t_edge.as_millis()));
    assert_eq!(bd_seq(&nbirth), bd_seq(&will));
    let rebirth = nbirth.metric(NODE_CONTROL_REBIRTH).unwrap();
    assert_eq!(
        (rebirth.alias, rebirth.datatype, &rebirth.value),
        (None, Some(DataType::Boolean), &Some(Value::Boolean(false)))
    );
    let offset = nbirth.metric("Offset").unwrap();
    assert_eq!(offset.datatype, Some(DataType::Int8));
    assert!(offset.alias.is_some(), "aliases are on");
    let label = nbirth.metric("Label").unwrap();
    assert!(label.is_null && label.value.is_none());
    assert_eq!(label.datatype, Some(DataType::String));
    let pump_birth = last_payload(&sim, EDGE, PUMP_DBIRTH);
    assert_eq!(pump_birth.seq, Some(1));
    assert_eq!(
        pump_birth.metric("Speed").unwrap().datatype,
        Some(DataType::Float)
    );
    assert_eq!(last_payload(&sim, EDGE, TANK_DBIRTH).seq, Some(2));

    assert_eq!(sim.edge().state(), EdgeState::Online);
    assert_eq!(
        sim.edge_events(),
        [
            EdgeEvent::PrimaryHostOnline {
                timestamp: START.as_millis()
            },
            EdgeEvent::Online
        ]
    );
    check_wire(&sim);
}

/// tck-id-operational-behavior-edge-node-birth-sequence-wait,
/// tck-id-message-flow-edge-node-birth-publish-phid-wait,
/// tck-id-message-flow-edge-node-birth-publish-phid-wait-online: an edge node that connects
/// before its primary host publishes nothing but its subscriptions until the host's STATE birth.
#[test]
fn an_edge_that_connects_first_waits_for_the_primary_host() {
    let mut sim = world(standard_edge(edge_config()), host_config());
    sim.connect(EDGE);
    sim.run_until_idle();
    assert_eq!(sim.edge().state(), EdgeState::AwaitingPrimaryHost);
    sim.advance(Duration::from_secs(10));
    assert!(sim.log().publishes(EDGE).is_empty());
    assert_eq!(sim.log().subscriptions(EDGE).len(), 3);

    sim.connect(HOST);
    sim.run_until_idle();
    let host_birth = sim.log().publish_index(HOST, STATE).unwrap();
    let nbirth = sim.log().publish_index(EDGE, NBIRTH).unwrap();
    assert!(host_birth < nbirth);
    assert_eq!(sim.edge().state(), EdgeState::Online);
    assert_eq!(
        sim.edge_events(),
        [
            EdgeEvent::PrimaryHostOnline {
                timestamp: sim.now().as_millis()
            },
            EdgeEvent::Online
        ]
    );
    assert!(sim.host_node().is_online());
    check_wire(&sim);
}

/// tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline (its
/// inverse: NBIRTH brings the node online), tck-id-payloads-alias-birth-requirement,
/// tck-id-payloads-metric-datatype-req: the host takes the births: node and devices online at
/// receive time, bdSeq recorded, every metric GOOD under its birth name, alias and datatype,
/// with its birth value.
#[test]
fn the_host_sees_the_node_and_its_devices_online() {
    let mut sim = online_pair();
    let node = sim.host_node();
    assert_eq!(node.presence(), Presence::Online);
    assert_eq!(node.since(), START);
    assert_eq!(node.bd_seq().map(|b| b.value()), Some(0));
    assert_eq!(node.expected_seq().map(|s| s.value()), Some(3));
    let names: Vec<&str> = node.metrics().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            BDSEQ,
            NODE_CONTROL_REBIRTH,
            "Temperature",
            "Offset",
            "Counter",
            "Label"
        ]
    );
    assert!(node.metrics().all(|m| m.quality == Quality::Good));
    let nbirth = last_payload(&sim, EDGE, NBIRTH);
    let offset = sim.host_metric(None, "Offset");
    assert_eq!(offset.alias, nbirth.metric("Offset").unwrap().alias);
    assert_eq!(
        (offset.datatype, &offset.value),
        (DataType::Int8, &Some(Value::Int8(0)))
    );
    assert_eq!(
        sim.host_metric(None, "Counter").value,
        Some(Value::UInt32(0))
    );
    assert_eq!(sim.host_metric(None, "Label").value, None);

    for (device, metrics) in [
        (pump(), vec!["Speed", "Running", "Setpoint"]),
        (tank(), vec!["Level", "Profile"]),
    ] {
        let state = sim.host_device(&device);
        assert_eq!((state.presence(), state.since()), (Presence::Online, START));
        let names: Vec<&str> = state.metrics().map(|m| m.name.as_str()).collect();
        assert_eq!(names, metrics);
        assert!(
            state
                .metrics()
                .all(|m| m.quality == Quality::Good && m.alias.is_some())
        );
    }
    assert_eq!(
        sim.host_metric(Some(&tank()), "Profile").value,
        Some(Value::Int16Array(vec![0, 0, 0]))
    );

    // Replaying the establishment shows the events in order.
    let mut sim2 = world(standard_edge(edge_config()), host_config());
    sim2.connect(HOST);
    sim2.connect(EDGE);
    sim2.run_until_idle();
    let events = sim2.host_events();
    let kinds: Vec<String> = events
        .iter()
        .map(|e| match e {
            HostEvent::StateBirthPublished { .. } => "STATE".to_owned(),
            HostEvent::NodeOnline { bd_seq, .. } => {
                format!("NodeOnline bdSeq {}", bd_seq.unwrap())
            }
            HostEvent::DeviceOnline { device, .. } => format!("DeviceOnline {device}"),
            HostEvent::Metrics {
                message_type,
                metrics,
                ..
            } => format!("{message_type} x{}", metrics.len()),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "STATE",
            "NodeOnline bdSeq 0",
            "NBIRTH x6",
            "DeviceOnline Pump",
            "DBIRTH x3",
            "DeviceOnline Tank",
            "DBIRTH x2"
        ]
    );
    assert!(violations(&events).is_empty());
    assert!(sim.host_events().is_empty());
    check_wire(&sim);
    check_wire(&sim2);
}
