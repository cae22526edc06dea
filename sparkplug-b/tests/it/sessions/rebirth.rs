//! Rebirth (TCK edge `ReceiveCommandTest`, host `SendCommandTest` rebirth part): the host asks,
//! the edge node publishes its births again in the same MQTT session.

use sparkplug_b::session::host::{Presence, RebirthReason};

use super::*;

/// tck-id-operational-behavior-data-commands-ncmd-rebirth-verb,
/// tck-id-operational-behavior-data-commands-ncmd-rebirth-name,
/// tck-id-operational-behavior-data-commands-ncmd-rebirth-value, tck-id-topics-ncmd-topic,
/// tck-id-topics-ncmd-mqtt, tck-id-topics-ncmd-timestamp, tck-id-payloads-ncmd-seq,
/// tck-id-operational-behavior-data-commands-rebirth-action-1,
/// tck-id-operational-behavior-data-commands-rebirth-action-2,
/// tck-id-operational-behavior-data-commands-rebirth-action-3,
/// tck-id-payloads-nbirth-bdseq-repeat, tck-id-topics-nbirth-seq-num: `request_rebirth` sends
/// the NCMD; the edge node answers with NBIRTH (same bdSeq, seq 0) and all DBIRTHs without a new
/// CONNECT; the host resynchronises on them, and data before and after is all delivered.
#[test]
fn a_rebirth_request_brings_new_births_with_the_same_bdseq() {
    let mut sim = online_pair();
    sim.advance(Duration::from_secs(5));
    sim.report(None, "Counter", 1u32);
    sim.report(Some(&pump()), "Speed", 7.5f32);
    assert_eq!(batches(&sim.host_events()).len(), 2);
    let mark = sim.log().len();
    let now = sim.now();
    sim.host()
        .request_rebirth(now, &group(), &node_id())
        .unwrap();
    sim.run_until_idle();

    let ncmd = last_payload(&sim, HOST, NCMD);
    assert!(is_rebirth_request(&ncmd));
    assert_eq!((ncmd.seq, ncmd.timestamp), (None, Some(now.as_millis())));
    assert_eq!(ncmd.metrics.len(), 1);
    assert_eq!(
        topics_since(&sim, EDGE, mark),
        [NBIRTH, PUMP_DBIRTH, TANK_DBIRTH]
    );
    assert_eq!(sim.log().connects(EDGE).len(), 1, "no new CONNECT");
    let births = payloads(&sim, EDGE, NBIRTH);
    assert_eq!(births.len(), 2);
    assert_eq!(bd_seq(&births[0]), bd_seq(&births[1]));
    assert_eq!(births[1].seq, Some(0));
    // The new births carry the current values.
    assert_eq!(
        births[1].metric("Counter").unwrap().value,
        Some(Value::UInt32(1))
    );
    assert_eq!(
        last_payload(&sim, EDGE, PUMP_DBIRTH)
            .metric("Speed")
            .unwrap()
            .value,
        Some(Value::Float(7.5))
    );
    assert_eq!(
        sim.edge_events(),
        [EdgeEvent::RebirthRequested, EdgeEvent::Online]
    );

    let events = sim.host_events();
    assert!(events.contains(&HostEvent::RebirthRequested {
        group: group(),
        node: node_id(),
        reason: RebirthReason::Requested,
    }));
    assert!(violations(&events).is_empty());
    let kinds: Vec<MessageType> = batches(&events).iter().map(|b| b.message_type).collect();
    assert_eq!(
        kinds,
        [
            MessageType::NBirth,
            MessageType::DBirth,
            MessageType::DBirth
        ]
    );
    let node = sim.host_node();
    assert_eq!((node.presence(), node.since()), (Presence::Online, now));
    assert_eq!(node.bd_seq().map(|b| b.value()), Some(0));
    assert_eq!(node.expected_seq().map(|s| s.value()), Some(3));

    // Data flows on from seq 3, and nothing reported earlier was lost.
    sim.report(Some(&pump()), "Speed", 8.0f32);
    let got = batches(&sim.host_events());
    assert_eq!((got.len(), got[0].seq), (1, Some(3)));
    assert_eq!(
        sim.host_metric(Some(&pump()), "Speed").value,
        Some(Value::Float(8.0))
    );
    assert_eq!(
        sim.host_metric(None, "Counter").value,
        Some(Value::UInt32(1))
    );
    check_wire(&sim);
}

/// tck-id-operational-behavior-data-commands-rebirth-action-1,
/// tck-id-operational-behavior-data-commands-rebirth-action-2: a request right after a birth
/// waits out the edge node's debounce window; data recorded meanwhile is not published live but
/// follows the births as history, so the host loses nothing.
#[test]
fn a_rebirth_inside_the_debounce_window_waits_and_loses_nothing() {
    let mut sim = online_pair();
    let requested = sim.now();
    let mark = sim.log().len();
    sim.host()
        .request_rebirth(requested, &group(), &node_id())
        .unwrap();
    sim.run_until_idle();
    assert_eq!(
        sim.edge().state(),
        EdgeState::AwaitingRebirth {
            until: after(requested, 1000)
        }
    );
    assert!(topics_since(&sim, EDGE, mark).is_empty());

    sim.advance(Duration::from_millis(200));
    let recorded = sim.now();
    sim.report(Some(&pump()), "Speed", 3.5f32);
    assert!(topics_since(&sim, EDGE, mark).is_empty(), "no data now");
    assert_eq!(sim.edge().stored_len(), 1);

    sim.advance(Duration::from_secs(1));
    assert_eq!(
        topics_since(&sim, EDGE, mark),
        [NBIRTH, PUMP_DBIRTH, TANK_DBIRTH, PUMP_DDATA]
    );
    let nbirth = last_payload(&sim, EDGE, NBIRTH);
    assert_eq!(nbirth.timestamp, Some(after(requested, 1000).as_millis()));
    let events = sim.host_events();
    assert!(violations(&events).is_empty());
    let got = batches(&events);
    let history = got.last().unwrap();
    assert_eq!(
        (history.message_type, history.seq),
        (MessageType::DData, Some(3))
    );
    let speed = history.metric("Speed").unwrap();
    assert!(speed.is_historical);
    assert_eq!(speed.timestamp, Some(recorded.as_millis()));
    assert_eq!(speed.value, Some(Value::Float(3.5)));
    assert_eq!(
        sim.host_metric(Some(&pump()), "Speed").value,
        Some(Value::Float(3.5)),
        "the DBIRTH carries the current value"
    );
    check_wire(&sim);
}
