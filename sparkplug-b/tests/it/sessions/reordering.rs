//! Reordering (TCK host `MessageOrderingTest`): a DDATA withheld by the network, released
//! within half the reorder timeout, or never.

use sparkplug_b::Quality;
use sparkplug_b::session::host::RebirthReason;
use sparkplug_b::session::{BdSeq, Seq};

use super::*;

/// The time of the first PUBLISH `peer` sent on `topic` since log entry `mark`.
fn first_publish_at(sim: &Sim, peer: &str, topic: &str, mark: usize) -> Option<(usize, Timestamp)> {
    sim.log()
        .since(mark)
        .iter()
        .enumerate()
        .find_map(|(i, entry)| match &entry.event {
            Event::Publish { peer: p, publish } if p == peer && publish.topic == topic => {
                Some((mark + i, entry.at))
            }
            _ => None,
        })
}

/// tck-id-operational-behavior-host-reordering-param,
/// tck-id-operational-behavior-host-reordering-start,
/// tck-id-operational-behavior-host-reordering-success: a DDATA arrives before the one it
/// follows; the host holds it and starts its timer; the missing one arrives after timeout/2 and
/// both are delivered in seq order, and no rebirth is requested, then or later.
#[test]
fn a_gap_filled_within_half_the_timeout_is_reordered_without_a_rebirth() {
    let mut sim = online_pair();
    sim.advance(Duration::from_secs(5));
    sim.report(Some(&pump()), "Speed", 1.0f32);
    sim.host_events();
    let mark = sim.log().len();

    sim.hold_next(PUMP_DDATA);
    sim.report(Some(&pump()), "Speed", 2.0f32); // seq 4, withheld
    assert_eq!(sim.held().len(), 1);
    let gap_at = sim.now();
    sim.report(Some(&pump()), "Speed", 3.0f32); // seq 5, arrives first
    assert_eq!(
        sim.host_events(),
        [HostEvent::SeqGap {
            group: group(),
            node: node_id(),
            bd_seq: Some(BdSeq::new(0)),
            expected: Seq::new(4),
            received: Seq::new(5),
        }]
    );
    assert_eq!(sim.host_node().held_messages(), 1);
    assert_eq!(
        sim.peer::<HostApplication>(HOST).poll_timeout(),
        Some(gap_at.saturating_add(REORDER_TIMEOUT))
    );
    // The held value is not live yet.
    assert_eq!(
        sim.host_metric(Some(&pump()), "Speed").value,
        Some(Value::Float(1.0))
    );

    sim.advance(REORDER_TIMEOUT / 2);
    let released = sim.now();
    sim.release_held();
    let events = sim.host_events();
    let got = batches(&events);
    let order: Vec<(Option<u8>, bool, Value)> = got
        .iter()
        .map(|b| (b.seq, b.out_of_sequence, b.value("Speed").clone()))
        .collect();
    assert_eq!(
        order,
        [
            (Some(4), false, Value::Float(2.0)),
            (Some(5), false, Value::Float(3.0))
        ]
    );
    // Each carries the time it reached the host.
    assert_eq!((got[0].received_at, got[1].received_at), (released, gap_at));
    assert_eq!(sim.host_node().held_messages(), 0);
    assert_eq!(sim.peer::<HostApplication>(HOST).poll_timeout(), None);

    sim.advance(REORDER_TIMEOUT * 3);
    assert_eq!(rebirth_requests(&sim.host_events()), 0);
    assert!(payloads(&sim, HOST, NCMD).is_empty());
    assert_eq!(topics_since(&sim, EDGE, mark), [PUMP_DDATA, PUMP_DDATA]);
    let speed = sim.host_metric(Some(&pump()), "Speed");
    assert_eq!(
        (&speed.value, speed.quality),
        (&Some(Value::Float(3.0)), Quality::Good)
    );
    check_wire(&sim);
}

/// tck-id-operational-behavior-host-reordering-start,
/// tck-id-operational-behavior-host-reordering-rebirth,
/// tck-id-operational-behavior-data-commands-ncmd-rebirth-verb,
/// tck-id-operational-behavior-data-commands-rebirth-action-2: a DDATA that never arrives; when
/// the reorder timeout expires (within 2 × timeout of the gap) the host delivers what it held,
/// out of sequence, and sends a rebirth NCMD; the edge node re-births and the host is back in
/// step.
#[test]
fn a_gap_never_filled_ends_in_a_rebirth_within_twice_the_timeout() {
    let mut sim = online_pair();
    sim.advance(Duration::from_secs(5));
    sim.report(Some(&pump()), "Speed", 1.0f32);
    sim.host_events();
    let mark = sim.log().len();

    sim.hold_next(PUMP_DDATA);
    sim.report(Some(&pump()), "Speed", 2.0f32); // seq 4, lost for good
    let gap_at = sim.now();
    sim.report(Some(&pump()), "Speed", 3.0f32); // seq 5
    sim.advance(Duration::from_millis(300));
    sim.report(None, "Counter", 9u32); // seq 6
    assert_eq!(sim.host_node().held_messages(), 2);
    assert!(batches(&sim.host_events()).is_empty(), "both held");

    sim.advance(REORDER_TIMEOUT * 2);
    let (ncmd_index, ncmd_at) = first_publish_at(&sim, HOST, NCMD, mark).unwrap();
    let waited = ncmd_at.saturating_since(gap_at);
    assert!(
        waited >= REORDER_TIMEOUT && waited <= REORDER_TIMEOUT * 2,
        "rebirth requested {waited:?} after the gap"
    );
    assert!(is_rebirth_request(&last_payload(&sim, HOST, NCMD)));
    let (nbirth_index, _) = first_publish_at(&sim, EDGE, NBIRTH, mark).unwrap();
    assert!(
        ncmd_index < nbirth_index,
        "the edge re-births on the request"
    );
    assert_eq!(
        topics_since(&sim, EDGE, ncmd_index),
        [NBIRTH, PUMP_DBIRTH, TANK_DBIRTH]
    );
    assert_eq!(sim.held().len(), 1, "seq 4 never reached the broker");

    let events = sim.host_events();
    assert!(events.contains(&HostEvent::RebirthRequested {
        group: group(),
        node: node_id(),
        reason: RebirthReason::ReorderTimeout {
            expected: Seq::new(4)
        },
    }));
    let got = batches(&events);
    let delivered: Vec<(MessageType, Option<u8>, bool)> = got
        .iter()
        .map(|b| (b.message_type, b.seq, b.out_of_sequence))
        .collect();
    assert_eq!(
        delivered,
        [
            (MessageType::DData, Some(5), true),
            (MessageType::NData, Some(6), true),
            (MessageType::NBirth, Some(0), false),
            (MessageType::DBirth, Some(1), false),
            (MessageType::DBirth, Some(2), false),
        ]
    );
    assert_eq!(*got[0].value("Speed"), Value::Float(3.0));
    assert_eq!(*got[1].value("Counter"), Value::UInt32(9));
    assert_eq!(
        sim.host_metric(Some(&pump()), "Speed").value,
        Some(Value::Float(3.0))
    );
    assert_eq!(sim.host_node().expected_seq().map(|s| s.value()), Some(3));
    assert_eq!(
        sim.edge_events(),
        [EdgeEvent::RebirthRequested, EdgeEvent::Online]
    );
    check_wire(&sim);
}

/// tck-id-operational-behavior-host-reordering-rebirth,
/// tck-id-operational-behavior-host-reordering-success,
/// tck-id-payloads-sequence-num-incrementing: the TCK's sequence in one session: a DDATA lost
/// for good brings a rebirth; after it, a DDATA withheld across the 255 → 0 wrap and released
/// after timeout/2 is reordered without another rebirth.
#[test]
fn the_tck_ordering_sequence_loss_then_reorder_across_the_wrap() {
    let mut sim = online_pair();
    sim.advance(Duration::from_secs(5));
    sim.drop_next(PUMP_DDATA);
    sim.report(Some(&pump()), "Speed", 1.0f32); // seq 3, lost
    sim.report(Some(&pump()), "Speed", 2.0f32); // seq 4, held by the host
    sim.advance(REORDER_TIMEOUT * 2);
    assert_eq!(payloads(&sim, HOST, NCMD).len(), 1);
    assert_eq!(payloads(&sim, EDGE, NBIRTH).len(), 2);
    sim.host_events();

    // After the rebirth: seq 3 ..= 254.
    for i in 3..=254u32 {
        sim.report(None, "Counter", i);
    }
    assert_eq!(
        decode(&sim.log().publishes(EDGE).last().unwrap().payload).seq,
        Some(254)
    );
    sim.host_events();
    sim.advance(Duration::from_secs(1));
    sim.hold_next(PUMP_DDATA);
    sim.report(Some(&pump()), "Speed", 3.0f32); // seq 255, withheld
    sim.report(Some(&pump()), "Speed", 4.0f32); // seq 0, held by the host
    sim.report(Some(&tank()), "Level", 9u16); // seq 1, held by the host
    assert_eq!(sim.host_node().held_messages(), 2);
    sim.advance(REORDER_TIMEOUT / 2);
    sim.release_held();
    let got = batches(&sim.host_events());
    let order: Vec<(Option<u8>, bool)> = got.iter().map(|b| (b.seq, b.out_of_sequence)).collect();
    assert_eq!(
        order,
        [(Some(255), false), (Some(0), false), (Some(1), false)]
    );
    sim.advance(REORDER_TIMEOUT * 3);
    assert_eq!(payloads(&sim, HOST, NCMD).len(), 1, "no second rebirth");
    assert_eq!(
        sim.host_metric(Some(&pump()), "Speed").value,
        Some(Value::Float(4.0))
    );
    check_wire(&sim);
}

/// tck-id-operational-behavior-host-reordering-success, tck-id-topics-dbirth-seq: a device
/// attached mid-session whose DBIRTH is overtaken by its first DDATA: the host holds the DDATA
/// until the DBIRTH arrives and then reads it through that DBIRTH, with no rebirth.
#[test]
fn a_dbirth_overtaken_by_its_ddata_is_reordered() {
    let mut sim = online_pair();
    sim.advance(Duration::from_secs(5));
    let valve = DeviceId::new("Valve").unwrap();
    sim.hold_next("spBv1.0/Plant/DBIRTH/Line1/Valve");
    let now = sim.now();
    sim.edge()
        .add_device(
            now,
            valve.clone(),
            [MetricSpec::with_initial("Open", false)],
        )
        .unwrap();
    sim.run_until_idle();
    sim.report(Some(&valve), "Open", true);
    assert_eq!(sim.host_node().held_messages(), 1);
    assert!(sim.host_node().device(&valve).is_none());

    sim.advance(Duration::from_millis(400));
    sim.release_held();
    let events = sim.host_events();
    assert_eq!(rebirth_requests(&events), 0);
    let got = batches(&events);
    let order: Vec<(MessageType, Option<u8>, bool)> = got
        .iter()
        .map(|b| (b.message_type, b.seq, b.out_of_sequence))
        .collect();
    assert_eq!(
        order,
        [
            (MessageType::DBirth, Some(3), false),
            (MessageType::DData, Some(4), false)
        ]
    );
    assert_eq!(*got[1].value("Open"), Value::Boolean(true));
    assert!(sim.host_device(&valve).is_online());
    assert_eq!(
        sim.host_metric(Some(&valve), "Open").value,
        Some(Value::Boolean(true))
    );
    check_wire(&sim);
}
