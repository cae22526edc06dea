//! The primary host's STATE as the edge node sees it (TCK edge `PrimaryHostTest`): leaving when
//! the host goes offline, coming back when it returns, and ignoring stale STATE messages.

use sparkplug_b::session::DisconnectReason;
use sparkplug_b::session::host::RebirthReason;

use crate::harness::Close;

use super::*;

/// The index of the first DISCONNECT of `peer` for `reason`.
fn disconnect_index(sim: &Sim, peer: &str, reason: DisconnectReason) -> Option<usize> {
    sim.log().position(|e| {
        matches!(e, Event::Disconnect { peer: p, close: Close::Disconnect(r), .. }
            if p == peer && *r == reason)
    })
}

/// A STATE of the primary host published by a stand-in client (the TCK plays the host).
fn fake_state(online: bool, timestamp: Timestamp) -> Publish {
    Publish {
        topic: STATE.to_owned(),
        payload: state_json(online, timestamp),
        qos: QoS::AtLeastOnce,
        retain: true,
    }
}

/// tck-id-message-flow-edge-node-birth-publish-phid-offline,
/// tck-id-operational-behavior-edge-node-termination-host-offline,
/// tck-id-operational-behavior-edge-node-termination-host-offline-reconnect,
/// tck-id-operational-behavior-primary-application-state-with-multiple-servers-walk,
/// tck-id-operational-behavior-host-application-termination,
/// tck-id-host-topic-phid-death-payload-timestamp-disconnect-clean,
/// tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp: the host shuts down (STATE
/// offline with a newer timestamp, then DISCONNECT); the edge node publishes its NDEATH and
/// disconnects. The host comes back with a new STATE birth; the edge node's next CONNECT has
/// bdSeq + 1 and it re-births.
#[test]
fn host_shutdown_takes_the_edge_offline_and_its_return_brings_new_births() {
    let mut sim = online_pair();
    sim.advance(Duration::from_secs(1));
    let down = sim.now();
    sim.host().shutdown(down);
    sim.run_until_idle();

    // The host: death with the shutdown time, then DISCONNECT.
    assert_eq!(
        states(&sim, HOST),
        [
            StateMessage::birth(START.as_millis()),
            StateMessage::death(down.as_millis())
        ]
    );
    let host_death = sim.log().position(|e| {
        matches!(e, Event::Publish { peer, publish } if peer == HOST
            && StateMessage::parse(&publish.payload).is_ok_and(|s| !s.online))
    });
    let host_disconnect = disconnect_index(&sim, HOST, DisconnectReason::Shutdown);
    assert!(host_death.unwrap() < host_disconnect.unwrap());

    // The edge node: NDEATH (the session's bdSeq), then DISCONNECT; no Will under MQTT 3.1.1.
    let ndeath = sim.log().publish_index(EDGE, NDEATH).unwrap();
    let edge_disconnect =
        disconnect_index(&sim, EDGE, DisconnectReason::PrimaryHostOffline).unwrap();
    assert!(ndeath < edge_disconnect);
    assert_eq!(bd_seq(&last_payload(&sim, EDGE, NDEATH)), 0);
    assert!(sim.log().wills().is_empty());
    assert!(!sim.is_connected(EDGE));
    assert_eq!(sim.edge().state(), EdgeState::Disconnected);
    assert_eq!(
        sim.edge_events(),
        [
            EdgeEvent::PrimaryHostOffline {
                timestamp: down.as_millis()
            },
            EdgeEvent::Offline
        ]
    );

    sim.advance(Duration::from_secs(5));
    let up = sim.now();
    sim.connect(HOST);
    sim.run_until_idle();
    assert_eq!(
        states(&sim, HOST).last(),
        Some(&StateMessage::birth(up.as_millis()))
    );
    assert!(
        sim.log().publishes(EDGE).len() == 4,
        "nothing from the edge node while it is away"
    );

    sim.advance(Duration::from_secs(1));
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
    assert_eq!(
        sim.edge_events(),
        [
            EdgeEvent::PrimaryHostOnline {
                timestamp: up.as_millis()
            },
            EdgeEvent::Online
        ]
    );
    assert!(sim.host_node().is_online());
    assert_eq!(sim.host_node().bd_seq().map(|b| b.value()), Some(1));
    check_wire(&sim);
}

/// tck-id-operational-behavior-edge-node-termination-host-offline-timestamp,
/// tck-id-message-flow-hid-sparkplug-state-message-delivered: the host's connection drops and
/// its Will (offline, the old CONNECT time) is delayed past its reconnect and new birth. When the
/// stale Will finally arrives, and is retained over the birth, the edge node ignores it and
/// stays online, and the host publishes its birth again.
#[test]
fn a_stale_offline_will_does_not_take_the_edge_offline() {
    let mut sim = online_pair();
    sim.advance(Duration::from_secs(1));
    sim.hold_next(STATE);
    sim.drop_connection(HOST);
    sim.run_until_idle();
    assert_eq!(sim.held().len(), 1);

    sim.advance(Duration::from_secs(1));
    let up = sim.now();
    sim.connect(HOST);
    sim.run_until_idle();
    assert_eq!(
        sim.edge_events(),
        [EdgeEvent::PrimaryHostOnline {
            timestamp: up.as_millis()
        }]
    );
    sim.host_events();

    sim.advance(Duration::from_secs(1));
    let mark = sim.log().len();
    sim.release_held();
    // The stale Will is ignored; the host's answer (its birth again) changes nothing.
    assert_eq!(
        sim.edge_events(),
        [
            EdgeEvent::StalePrimaryHostState {
                online: false,
                timestamp: START.as_millis()
            },
            EdgeEvent::PrimaryHostOnline {
                timestamp: up.as_millis()
            }
        ]
    );
    assert_eq!(sim.edge().state(), EdgeState::Online);
    assert!(topics_since(&sim, EDGE, mark).is_empty(), "no NDEATH");
    assert!(sim.is_connected(EDGE));

    // The host put its birth back over the stale retained Will.
    assert_eq!(
        sim.host_events(),
        [HostEvent::OwnStateOffline {
            timestamp: START.as_millis(),
            current: up,
            response: OwnStateResponse::RepublishedBirth
        }]
    );
    assert_eq!(
        sim.broker().retained(STATE).unwrap().payload,
        state_json(true, up)
    );

    // The reconnected host holds no birth of the node: the first data gets it one.
    let mark = sim.log().len();
    sim.report(None, "Counter", 2u32);
    assert_eq!(
        topics_since(&sim, EDGE, mark),
        [NDATA, NBIRTH, PUMP_DBIRTH, TANK_DBIRTH]
    );
    let events = sim.host_events();
    assert!(events.contains(&HostEvent::RebirthRequested {
        group: group(),
        node: node_id(),
        reason: RebirthReason::MessageBeforeBirth(MessageType::NData),
    }));
    assert!(sim.host_node().is_online());
    assert_eq!(
        sim.host_metric(None, "Counter").value,
        Some(Value::UInt32(2))
    );
    check_wire(&sim);
}

/// tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp,
/// tck-id-message-flow-edge-node-birth-publish-phid-wait-online,
/// tck-id-operational-behavior-edge-node-birth-sequence-wait (TCK `PrimaryHostTest` step 6):
/// the edge node reconnects while its primary host is offline; an online STATE with a timestamp
/// lower than the last one seen brings no births; a newer one does.
#[test]
fn an_older_online_state_after_a_reconnect_brings_no_births() {
    let mut sim = online_pair();
    sim.advance(Duration::from_secs(1));
    let down = sim.now();
    sim.host().shutdown(down);
    sim.run_until_idle();
    sim.edge_events();

    sim.advance(Duration::from_secs(1));
    let mark = sim.log().len();
    sim.connect(EDGE);
    sim.run_until_idle();
    // The retained offline STATE keeps it waiting.
    assert_eq!(sim.edge().state(), EdgeState::AwaitingPrimaryHost);
    assert_eq!(
        sim.edge_events(),
        [EdgeEvent::PrimaryHostOffline {
            timestamp: down.as_millis()
        }]
    );

    sim.advance(Duration::from_secs(1));
    sim.inject("tck", fake_state(true, START));
    sim.run_until_idle();
    assert!(topics_since(&sim, EDGE, mark).is_empty(), "no births");
    assert_eq!(sim.edge().state(), EdgeState::AwaitingPrimaryHost);
    assert_eq!(
        sim.edge_events(),
        [EdgeEvent::StalePrimaryHostState {
            online: true,
            timestamp: START.as_millis()
        }]
    );

    sim.advance(Duration::from_secs(1));
    let newer = sim.now();
    sim.inject("tck", fake_state(true, newer));
    sim.run_until_idle();
    assert_eq!(
        topics_since(&sim, EDGE, mark),
        [NBIRTH, PUMP_DBIRTH, TANK_DBIRTH]
    );
    assert_eq!(bd_seq(&last_payload(&sim, EDGE, NBIRTH)), 1);
    assert_eq!(
        sim.edge_events(),
        [
            EdgeEvent::PrimaryHostOnline {
                timestamp: newer.as_millis()
            },
            EdgeEvent::Online
        ]
    );
    check_wire(&sim);
}
