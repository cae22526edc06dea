//! The host's own STATE (TCK host `SessionEstablishmentTest`, the own-STATE-offline part): an
//! `online:false` for its id answered with its birth again, with its own CONNECT timestamp.

use super::*;

/// tck-id-message-flow-hid-sparkplug-state-message-delivered, tck-id-host-topic-phid-birth-message,
/// tck-id-operational-behavior-host-application-connect-birth-payload: a stale retained
/// `online:false` of the host's id (an old session's Will, an hour old) is on the broker before
/// the host connects. The host gets it right after subscribing and publishes `online:true` again
/// with its own CONNECT timestamp, which ends up retained. An edge node that connected first
/// waits through the stale offline and births once, on the host's birth.
#[test]
fn a_stale_retained_offline_state_is_answered_with_the_birth_again() {
    let mut sim = world(standard_edge(edge_config()), host_config());
    let an_hour_ago = Timestamp::from_millis(START.as_millis() - 3_600_000);
    sim.inject(
        "old-scada",
        Publish {
            topic: STATE.to_owned(),
            payload: state_json(false, an_hour_ago),
            qos: QoS::AtLeastOnce,
            retain: true,
        },
    );
    sim.run_until_idle();
    sim.connect(EDGE);
    sim.run_until_idle();
    assert_eq!(sim.edge().state(), EdgeState::AwaitingPrimaryHost);

    sim.advance(Duration::from_secs(1));
    let t_connect = sim.now();
    sim.connect(HOST);
    sim.run_until_idle();

    let delivered: Vec<(StateMessage, bool)> = sim
        .log()
        .deliveries(HOST)
        .iter()
        .filter(|d| d.topic == STATE)
        .map(|d| (StateMessage::parse(&d.payload).unwrap(), d.retain))
        .collect();
    assert_eq!(
        delivered[0],
        (StateMessage::death(an_hour_ago.as_millis()), true),
        "the stale death, right after subscribing"
    );
    assert_eq!(
        states(&sim, HOST),
        [
            StateMessage::birth(t_connect.as_millis()),
            StateMessage::birth(t_connect.as_millis())
        ]
    );
    assert_eq!(
        sim.host_events()[..2],
        [
            HostEvent::StateBirthPublished {
                timestamp: t_connect
            },
            HostEvent::OwnStateOffline {
                timestamp: an_hour_ago.as_millis(),
                current: t_connect,
                response: OwnStateResponse::RepublishedBirth
            }
        ]
    );
    assert_eq!(
        sim.broker().retained(STATE).unwrap().payload,
        state_json(true, t_connect)
    );

    // The edge node saw the stale offline, then the birth (twice), and was born once.
    assert_eq!(
        sim.edge_events(),
        [
            EdgeEvent::PrimaryHostOffline {
                timestamp: an_hour_ago.as_millis()
            },
            EdgeEvent::PrimaryHostOnline {
                timestamp: t_connect.as_millis()
            },
            EdgeEvent::Online,
            EdgeEvent::PrimaryHostOnline {
                timestamp: t_connect.as_millis()
            },
        ]
    );
    assert_eq!(payloads(&sim, EDGE, NBIRTH).len(), 1);
    assert!(sim.host_node().is_online());
    check_wire(&sim);
}

/// tck-id-message-flow-hid-sparkplug-state-message-delivered,
/// tck-id-operational-behavior-primary-application-state-with-multiple-servers-state: the
/// host's own Will from a dropped session is retained when it reconnects; the new session
/// publishes its birth first and answers the old Will with the same (new) timestamp.
#[test]
fn the_hosts_own_will_from_a_dropped_session_is_answered() {
    let mut sim = online_pair();
    sim.advance(Duration::from_secs(1));
    sim.drop_connection(HOST);
    sim.run_until_idle();
    let will = sim.log().wills()[0].clone();
    assert_eq!(
        StateMessage::parse(&will.payload).unwrap(),
        StateMessage::death(START.as_millis())
    );
    assert_eq!(sim.broker().retained(STATE).unwrap().payload, will.payload);

    sim.advance(Duration::from_secs(1));
    let t_connect = sim.now();
    let mark = sim.log().len();
    sim.connect(HOST);
    sim.run_until_idle();
    let session: Vec<StateMessage> = publishes_since(&sim, HOST, mark)
        .iter()
        .map(|p| StateMessage::parse(&p.payload).unwrap())
        .collect();
    assert_eq!(
        session,
        [
            StateMessage::birth(t_connect.as_millis()),
            StateMessage::birth(t_connect.as_millis())
        ]
    );
    assert!(sim.host_events().contains(&HostEvent::OwnStateOffline {
        timestamp: START.as_millis(),
        current: t_connect,
        response: OwnStateResponse::RepublishedBirth
    }));
    assert_eq!(
        sim.broker().retained(STATE).unwrap().payload,
        state_json(true, t_connect)
    );
    check_wire(&sim);
}
