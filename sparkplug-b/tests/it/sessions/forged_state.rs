//! A forged `online:false` on the host's own STATE topic (issue 12): the edge nodes go offline
//! as they must, and the host gets them back by itself with a new session whose birth carries
//! a newer timestamp (SPARKPLUG.md 2.6, the development branch's rule), or, with the 3.0 rule
//! kept behind [`OwnStateOffline::RepublishSameTimestamp`], leaves them waiting.

use sparkplug_b::session::DisconnectReason;

use crate::harness::Close;

use super::*;

/// The pseudo-client that forges the STATE.
const FORGER: &str = "forger";

/// A retained `online:false` for the host, published by someone else, dated `timestamp`.
fn forge_offline(sim: &mut Sim, timestamp: Timestamp) {
    sim.inject(
        FORGER,
        Publish {
            topic: STATE.to_owned(),
            payload: state_json(false, timestamp),
            qos: QoS::AtLeastOnce,
            retain: true,
        },
    );
    sim.run_until_idle();
}

/// What each runner does after its state machine left on its own request: connect again at
/// once (the edge node to the next server, here the same broker).
fn reconnect_both(sim: &mut Sim) {
    sim.advance(Duration::from_millis(10));
    sim.connect(EDGE);
    sim.run_until_idle();
    sim.connect(HOST);
    sim.run_until_idle();
}

/// tck-id-operational-behavior-edge-node-termination-host-offline,
/// tck-id-operational-behavior-edge-node-termination-host-offline-reconnect,
/// tck-id-operational-behavior-edge-node-termination-host-offline-timestamp,
/// tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp,
/// tck-id-host-topic-phid-birth-payload-timestamp,
/// tck-id-host-topic-phid-death-payload-timestamp-connect: a forged offline STATE dated now
/// takes the edge node offline (NDEATH, reconnect, wait). The host names it in an event, ends
/// its session without its Will, and its next session's Will and birth carry a newer timestamp
/// than the forged one: the edge node accepts it, is born again with the next bdSeq, and its
/// data reaches the host.
#[test]
fn a_forged_offline_state_is_answered_with_a_new_session() {
    let mut sim = online_pair();
    let born_at = START;
    sim.advance(Duration::from_secs(1));
    let forged = sim.now();
    forge_offline(&mut sim, forged);

    assert!(
        sim.edge_events().contains(&EdgeEvent::PrimaryHostOffline {
            timestamp: forged.as_millis()
        }),
        "the edge node takes the forged STATE for the host going offline"
    );
    let events = sim.host_events();
    let next = Timestamp::from_millis(forged.as_millis() + 1);
    assert!(
        events.contains(&HostEvent::OwnStateOffline {
            timestamp: forged.as_millis(),
            current: born_at,
            response: OwnStateResponse::NewSession {
                next_timestamp: next
            },
        }),
        "{events:?}"
    );
    assert!(!sim.is_connected(HOST) && !sim.is_connected(EDGE));
    let host_left = sim
        .log()
        .entries()
        .iter()
        .rev()
        .find_map(|entry| match &entry.event {
            Event::Disconnect {
                peer,
                close,
                will_published,
            } if peer == HOST => Some((close.clone(), *will_published)),
            _ => None,
        });
    assert_eq!(
        host_left,
        Some((Close::Disconnect(DisconnectReason::NewSession), false)),
        "a DISCONNECT without the Will (its timestamp would be older anyway)"
    );

    let mark = sim.log().len();
    reconnect_both(&mut sim);
    let t_connect = sim.now().max(next);
    let births = states(&sim, HOST);
    assert_eq!(
        births.last(),
        Some(&StateMessage::birth(t_connect.as_millis()))
    );
    assert!(t_connect.as_millis() > forged.as_millis());
    assert_eq!(sim.edge().state(), EdgeState::Online);
    let nbirths: Vec<Payload> = publishes_since(&sim, EDGE, mark)
        .iter()
        .filter(|p| p.topic == NBIRTH)
        .map(|p| decode(&p.payload))
        .collect();
    assert_eq!(nbirths.len(), 1, "born again once");
    assert_eq!(bd_seq(&nbirths[0]), 1, "a new MQTT session, the next bdSeq");
    assert!(sim.host_node().is_online());

    sim.advance(Duration::from_millis(100));
    sim.report(None, "Counter", 7u32);
    assert_eq!(
        sim.host_metric(None, "Counter").value,
        Some(Value::UInt32(7))
    );
    check_wire(&sim);
}

/// tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp: a forged offline STATE
/// dated far in the future (2100) still lets the host back: the next birth is dated past it,
/// which is the only birth the edge node can accept.
#[test]
fn a_forged_offline_state_from_the_future_is_outdated_too() {
    let mut sim = online_pair();
    let year_2100 = Timestamp::from_millis(4_102_444_800_000);
    forge_offline(&mut sim, year_2100);
    assert_eq!(sim.edge().state(), EdgeState::Disconnected);
    reconnect_both(&mut sim);
    assert_eq!(
        states(&sim, HOST).last(),
        Some(&StateMessage::birth(year_2100.as_millis() + 1))
    );
    assert_eq!(sim.edge().state(), EdgeState::Online);
    assert!(sim.host_node().is_online());
    check_wire(&sim);
}

/// tck-id-message-flow-hid-sparkplug-state-message-delivered: the Sparkplug 3.0 rule, kept
/// behind a switch: the birth again with the same timestamp, which the edge node ignores as
/// older than the forged offline. This is the hole the default closes: the plant stays silent.
#[test]
fn with_the_3_0_rule_a_forged_offline_state_leaves_the_edge_waiting() {
    let host = host_config().with_own_state_offline(OwnStateOffline::RepublishSameTimestamp);
    let mut sim = online_pair_with(standard_edge(edge_config()), host);
    sim.advance(Duration::from_secs(1));
    let forged = sim.now();
    forge_offline(&mut sim, forged);
    assert!(sim.is_connected(HOST));
    assert!(sim.host_events().contains(&HostEvent::OwnStateOffline {
        timestamp: forged.as_millis(),
        current: START,
        response: OwnStateResponse::RepublishedBirth,
    }));
    sim.advance(Duration::from_millis(10));
    sim.connect(EDGE);
    sim.advance(Duration::from_secs(5));
    assert_eq!(sim.edge().state(), EdgeState::AwaitingPrimaryHost);
    check_wire(&sim);
}

/// tck-id-message-flow-hid-sparkplug-state-message-delivered: an offline STATE older than the
/// current birth (a stale Will, or a forgery the edge nodes ignore) does not cost a session:
/// the birth again, same timestamp, and the edge node stays online.
#[test]
fn an_older_forged_offline_state_only_restores_the_birth() {
    let mut sim = online_pair();
    sim.advance(Duration::from_secs(1));
    let old = Timestamp::from_millis(START.as_millis() - 1);
    forge_offline(&mut sim, old);
    assert!(sim.is_connected(HOST) && sim.is_connected(EDGE));
    assert_eq!(sim.edge().state(), EdgeState::Online);
    assert_eq!(
        sim.host_events(),
        [HostEvent::OwnStateOffline {
            timestamp: old.as_millis(),
            current: START,
            response: OwnStateResponse::RepublishedBirth,
        }]
    );
    assert_eq!(
        sim.broker().retained(STATE).unwrap().payload,
        state_json(true, START)
    );
    check_wire(&sim);
}
