//! Deaths (TCK host `EdgeSessionTerminationTest`, edge `SessionTerminationTest`): the NDEATH
//! Will on connection loss, a late Will of an older session, and DDEATH.

use sparkplug_b::Quality;
use sparkplug_b::session::BdSeq;
use sparkplug_b::session::host::{DeviceOfflineCause, Presence};

use crate::harness::Origin;

use super::*;

/// tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline,
/// tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-tags-stale,
/// tck-id-operational-behavior-edge-node-termination-host-action-ndeath-devices-offline,
/// tck-id-operational-behavior-edge-node-termination-host-action-ndeath-devices-tags-stale,
/// tck-id-payloads-ndeath-will-message, tck-id-topics-ndeath-payload, tck-id-topics-ndeath-seq,
/// tck-id-topics-nbirth-bdseq-increment,
/// tck-id-message-flow-edge-node-birth-publish-will-message-payload-bdSeq: a lost connection
/// makes the broker publish the NDEATH Will; the host marks the node, its devices and all their
/// metrics offline/STALE at its receive time. The next CONNECT has
/// bdSeq + 1 and new births bring everything back.
#[test]
fn a_lost_connection_publishes_the_will_and_the_host_marks_all_stale() {
    let mut sim = online_pair();
    sim.advance(Duration::from_secs(1));
    sim.report(None, "Temperature", 22.0);
    sim.host_events();
    sim.advance(Duration::from_secs(2));
    let lost = sim.now();
    sim.drop_connection(EDGE);
    sim.run_until_idle();

    let wills = sim.log().wills();
    assert_eq!(wills.len(), 1);
    assert_eq!(wills[0].topic, NDEATH);
    assert_eq!(wills[0].origin, Origin::Will(EDGE.to_owned()));
    assert_eq!((wills[0].qos, wills[0].retain), (QoS::AtLeastOnce, false));
    let ndeath = decode(&wills[0].payload);
    assert_eq!((bd_seq(&ndeath), ndeath.seq), (0, None));

    let events = sim.host_events();
    assert_eq!(
        events,
        [
            HostEvent::NodeOffline {
                group: group(),
                node: node_id(),
                bd_seq: Some(BdSeq::new(0)),
                at: lost,
            },
            HostEvent::DeviceOffline {
                group: group(),
                node: node_id(),
                device: pump(),
                at: lost,
                cause: DeviceOfflineCause::NodeDeath,
            },
            HostEvent::DeviceOffline {
                group: group(),
                node: node_id(),
                device: tank(),
                at: lost,
                cause: DeviceOfflineCause::NodeDeath,
            },
        ]
    );
    let node = sim.host_node();
    assert_eq!((node.presence(), node.since()), (Presence::Offline, lost));
    assert!(
        node.metrics()
            .all(|m| m.quality == Quality::Stale && m.quality_since == lost)
    );
    for device in [pump(), tank()] {
        let state = sim.host_device(&device);
        assert_eq!((state.presence(), state.since()), (Presence::Offline, lost));
        assert!(
            state
                .metrics()
                .all(|m| m.quality == Quality::Stale && m.quality_since == lost)
        );
    }
    // STALE keeps the last known value.
    assert_eq!(
        sim.host_metric(None, "Temperature").value,
        Some(Value::Double(22.0))
    );

    sim.advance(Duration::from_secs(1));
    let back = sim.now();
    let mark = sim.log().len();
    sim.connect(EDGE);
    sim.run_until_idle();
    assert_eq!(
        bd_seq(&decode(&sim.log().connects(EDGE)[1].will.payload)),
        1
    );
    assert_eq!(
        topics_since(&sim, EDGE, mark),
        [NBIRTH, PUMP_DBIRTH, TANK_DBIRTH]
    );
    assert_eq!(bd_seq(&last_payload(&sim, EDGE, NBIRTH)), 1);
    let node = sim.host_node();
    assert_eq!((node.presence(), node.since()), (Presence::Online, back));
    assert_eq!(node.bd_seq().map(|b| b.value()), Some(1));
    assert!(node.metrics().all(|m| m.quality == Quality::Good));
    assert!(sim.host_device(&tank()).is_online());
    assert!(violations(&sim.host_events()).is_empty());
    check_wire(&sim);
}

/// SPARKPLUG.md 2.2 (host side of tck-id-payloads-ndeath-bdseq): an NDEATH whose bdSeq is not
/// the current NBIRTH's is the late Will of an earlier session and changes nothing.
#[test]
fn a_late_ndeath_of_an_earlier_session_is_ignored() {
    let mut sim = online_pair();
    sim.hold_next(NDEATH);
    sim.drop_connection(EDGE);
    sim.run_until_idle();
    assert_eq!(sim.held().len(), 1, "the Will is on its way");
    assert!(sim.host_node().is_online(), "the host has not seen it yet");

    sim.advance(Duration::from_secs(1));
    sim.connect(EDGE);
    sim.run_until_idle();
    assert_eq!(bd_seq(&last_payload(&sim, EDGE, NBIRTH)), 1);
    sim.host_events();

    sim.advance(Duration::from_millis(500));
    sim.release_held();
    let late = sim.log().deliveries(HOST).last().cloned().unwrap();
    assert_eq!(late.topic, NDEATH);
    assert_eq!(bd_seq(&decode(&late.payload)), 0);
    assert_eq!(
        sim.host_events(),
        [HostEvent::StaleNdeathIgnored {
            group: group(),
            node: node_id(),
            ndeath_bd_seq: Some(BdSeq::new(0)),
            current_bd_seq: Some(BdSeq::new(1)),
        }]
    );
    let node = sim.host_node();
    assert!(node.is_online());
    assert!(node.metrics().all(|m| m.quality == Quality::Good));
    assert!(sim.host_device(&pump()).is_online());

    // The node is fully alive: its data is taken in order.
    sim.report(None, "Counter", 5u32);
    let got = batches(&sim.host_events());
    assert_eq!(
        (got.len(), got[0].seq, got[0].out_of_sequence),
        (1, Some(3), false)
    );
    check_wire(&sim);
}

/// tck-id-operational-behavior-device-ddeath, tck-id-topics-ddeath-topic,
/// tck-id-topics-ddeath-mqtt, tck-id-topics-ddeath-seq-num, tck-id-payloads-ddeath-timestamp,
/// tck-id-payloads-ddeath-seq, tck-id-payloads-ddeath-seq-inc,
/// tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-offline,
/// tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-tags-stale:
/// `remove_device` publishes DDEATH in the seq stream; the host marks that device and its
/// metrics offline/STALE at the DDEATH payload timestamp (here 250 ms before it arrives), and
/// nothing else.
#[test]
fn ddeath_marks_the_device_offline_at_its_payload_timestamp() {
    let mut sim = online_pair();
    sim.advance(Duration::from_secs(3));
    let arrived = sim.now();
    let lost_at = Timestamp::from_millis(arrived.as_millis() - 250);
    let mark = sim.log().len();
    sim.edge().remove_device(lost_at, &pump()).unwrap();
    sim.run_until_idle();

    assert_eq!(topics_since(&sim, EDGE, mark), [PUMP_DDEATH]);
    let ddeath = last_payload(&sim, EDGE, PUMP_DDEATH);
    assert_eq!(ddeath.seq, Some(3));
    assert_eq!(ddeath.timestamp, Some(lost_at.as_millis()));
    assert!(ddeath.metrics.is_empty());
    let delivery = sim.log().deliveries(HOST).last().cloned().unwrap();
    assert_eq!(delivery.topic, PUMP_DDEATH);

    assert_eq!(
        sim.host_events(),
        [HostEvent::DeviceOffline {
            group: group(),
            node: node_id(),
            device: pump(),
            at: lost_at,
            cause: DeviceOfflineCause::DeviceDeath,
        }]
    );
    let pump_state = sim.host_device(&pump());
    assert_eq!(
        (pump_state.presence(), pump_state.since()),
        (Presence::Offline, lost_at)
    );
    assert!(
        pump_state
            .metrics()
            .all(|m| m.quality == Quality::Stale && m.quality_since == lost_at)
    );
    assert!(sim.host_node().is_online());
    assert!(
        sim.host_device(&tank())
            .metrics()
            .all(|m| m.quality == Quality::Good)
    );
    assert_eq!(
        sim.host_node().expected_seq().map(|s| s.value()),
        Some(4),
        "DDEATH is in the seq stream"
    );
    check_wire(&sim);
}
