//! Clean shutdown of the edge node (TCK edge `SessionTerminationTest`) under MQTT 3.1.1 and
//! MQTT 5, and what the host makes of it.

use sparkplug_b::session::host::Presence;
use sparkplug_b::session::{BdSeq, DisconnectReason};

use crate::harness::{Close, MqttVersion, mqtt5_reason_code};

use super::*;

/// The standard pair with the edge node speaking `version`; shuts the edge node down one
/// second after its births and returns the time of the shutdown.
fn shut_down_edge(version: MqttVersion) -> (Sim, Timestamp) {
    let mut sim = world(standard_edge(edge_config()), host_config());
    sim.set_mqtt_version(EDGE, version);
    sim.connect(HOST);
    sim.connect(EDGE);
    sim.run_until_idle();
    sim.host_events();
    sim.advance(Duration::from_secs(1));
    let now = sim.now();
    sim.edge().shutdown(now);
    sim.run_until_idle();
    (sim, now)
}

/// The log index of the edge node's DISCONNECT and whether its Will was published.
fn edge_disconnect(sim: &Sim) -> (usize, bool) {
    sim.log()
        .entries()
        .iter()
        .enumerate()
        .find_map(|(i, entry)| match &entry.event {
            Event::Disconnect {
                peer,
                close,
                will_published,
            } if peer == EDGE => {
                assert_eq!(*close, Close::Disconnect(DisconnectReason::Shutdown));
                Some((i, *will_published))
            }
            _ => None,
        })
        .expect("the edge node disconnected")
}

/// The host's NodeOffline events.
fn node_offline_events(events: &[HostEvent]) -> Vec<&HostEvent> {
    events
        .iter()
        .filter(|e| matches!(e, HostEvent::NodeOffline { .. }))
        .collect()
}

/// tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath,
/// tck-id-operational-behavior-edge-node-intentional-disconnect-packet,
/// tck-id-payloads-ndeath-will-message-publisher,
/// tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt311, tck-id-topics-ndeath-topic,
/// tck-id-topics-ndeath-payload, tck-id-topics-ndeath-seq:
/// MQTT 3.1.1: the edge node publishes its NDEATH (QoS 1, the session's bdSeq, no seq), then
/// DISCONNECTs, which discards the Will; the host marks the node offline once.
#[test]
fn clean_shutdown_under_mqtt_311_publishes_the_ndeath_before_disconnecting() {
    let (mut sim, at) = shut_down_edge(MqttVersion::V311);
    let ndeath = sim.log().publish_index(EDGE, NDEATH).unwrap();
    let (disconnect, will_published) = edge_disconnect(&sim);
    assert!(ndeath < disconnect);
    assert!(!will_published);
    assert!(sim.log().wills().is_empty());
    let publish = &sim.log().publishes(EDGE)[3];
    assert_eq!(publish.topic, NDEATH);
    assert_eq!((publish.qos, publish.retain), (QoS::AtLeastOnce, false));
    let payload = decode(&publish.payload);
    assert_eq!((bd_seq(&payload), payload.seq), (0, None));
    assert_eq!(payload.metrics.len(), 1);
    assert_eq!(sim.edge().state(), EdgeState::ShutDown);

    let events = sim.host_events();
    assert_eq!(node_offline_events(&events).len(), 1);
    assert_eq!(
        events[0],
        HostEvent::NodeOffline {
            group: group(),
            node: node_id(),
            bd_seq: Some(BdSeq::new(0)),
            at,
        }
    );
    assert_eq!(sim.host_node().presence(), Presence::Offline);
    check_wire(&sim);
}

/// tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt50,
/// tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath: MQTT 5: the NDEATH goes
/// first, then a DISCONNECT with reason code 0x04, so the broker publishes the Will too; the
/// host takes the first NDEATH and ignores the duplicate with the same bdSeq.
#[test]
fn clean_shutdown_under_mqtt_5_also_sends_the_will_and_the_host_ignores_the_duplicate() {
    let (mut sim, at) = shut_down_edge(MqttVersion::V5);
    assert_eq!(mqtt5_reason_code(DisconnectReason::Shutdown), 0x04);
    let ndeath = sim.log().publish_index(EDGE, NDEATH).unwrap();
    let (disconnect, will_published) = edge_disconnect(&sim);
    assert!(ndeath < disconnect);
    assert!(will_published);
    let wills = sim.log().wills();
    assert_eq!(wills.len(), 1);
    assert_eq!(bd_seq(&decode(&wills[0].payload)), 0);

    let received: Vec<i64> = sim
        .log()
        .deliveries(HOST)
        .iter()
        .filter(|d| d.topic == NDEATH)
        .map(|d| bd_seq(&decode(&d.payload)))
        .collect();
    assert_eq!(received, [0, 0], "the published NDEATH, then the Will");

    let events = sim.host_events();
    assert_eq!(
        events.iter().take(1).collect::<Vec<_>>(),
        [&HostEvent::NodeOffline {
            group: group(),
            node: node_id(),
            bd_seq: Some(BdSeq::new(0)),
            at,
        }]
    );
    assert_eq!(node_offline_events(&events).len(), 1);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, HostEvent::StaleNdeathIgnored { .. }))
    );
    let device_offline = events
        .iter()
        .filter(|e| matches!(e, HostEvent::DeviceOffline { .. }))
        .count();
    assert_eq!(device_offline, 2, "each device once");
    assert_eq!(sim.host_node().presence(), Presence::Offline);
    assert_eq!(sim.host_node().since(), at);
    check_wire(&sim);
}
