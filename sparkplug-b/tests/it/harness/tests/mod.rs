//! Tests of the harness itself, with two small scripted peers standing in for the Sparkplug state
//! machines.

use core::time::Duration;

use sparkplug_b::session::{
    ConnectOptions, DisconnectReason, Publish, QoS, Subscription, Timestamp, Transmit,
};

mod peers;

use super::*;
use peers::{Echo, Scripted, publish, subscribe};

/// A simulation with a `watcher` subscribed to everything at QoS 1.
fn sim_with_watcher() -> Sim {
    let mut sim = Sim::new();
    sim.add_peer(
        "watcher",
        Scripted::new("watcher").on_connect(subscribe("#", QoS::AtLeastOnce)),
    );
    sim.connect("watcher");
    sim.run_until_idle();
    sim
}

fn received(sim: &Sim, peer: &str) -> Vec<String> {
    sim.peer::<Scripted>(peer).received()
}

#[test]
fn retained_messages_reach_new_subscribers_until_cleared() {
    let mut sim = Sim::new();
    sim.add_peer(
        "publisher",
        Scripted::new("publisher")
            .on_connect(publish("plant/state", "on", true))
            .on_connect(publish("plant/data", "42", false)),
    );
    sim.connect("publisher");
    sim.run_until_idle();
    assert_eq!(sim.broker().retained("plant/state").unwrap().payload, b"on");
    assert!(sim.broker().retained("plant/data").is_none());

    sim.add_peer(
        "late",
        Scripted::new("late").on_connect(subscribe("plant/#", QoS::AtMostOnce)),
    );
    sim.connect("late");
    sim.run_until_idle();
    assert_eq!(received(&sim, "late"), ["plant/state=on"]);
    let delivery = sim.log().deliveries("late")[0];
    assert!(delivery.retain, "replayed from the store: retain set");
    assert_eq!(
        delivery.qos,
        QoS::AtMostOnce,
        "min(publish QoS 1, granted QoS 0)"
    );
    assert_eq!(delivery.origin, Origin::Peer("publisher".into()));

    // A newer retained message replaces it; live subscribers get it with retain cleared.
    sim.peer_mut::<Scripted>("publisher")
        .send(publish("plant/state", "off", true));
    sim.run_until_idle();
    assert!(!sim.log().deliveries("late")[1].retain);
    assert_eq!(
        sim.broker().retained("plant/state").unwrap().payload,
        b"off"
    );

    // An empty retained payload clears it, and is still delivered to live subscribers.
    sim.peer_mut::<Scripted>("publisher")
        .send(publish("plant/state", "", true));
    sim.run_until_idle();
    assert_eq!(
        received(&sim, "late"),
        ["plant/state=on", "plant/state=off", "plant/state="]
    );
    assert!(sim.broker().retained("plant/state").is_none());
    assert_eq!(sim.broker().retained_messages().count(), 0);

    sim.add_peer(
        "later",
        Scripted::new("later").on_connect(subscribe("plant/#", QoS::AtLeastOnce)),
    );
    sim.connect("later");
    sim.run_until_idle();
    assert!(received(&sim, "later").is_empty());
}

#[test]
fn will_fires_on_drop_but_not_on_mqtt311_disconnect() {
    let mut sim = sim_with_watcher();
    sim.add_peer(
        "node",
        Scripted::new("node").with_will("spBv1.0/G/NDEATH/E", "bdSeq=0", false),
    );
    sim.connect("node");
    sim.run_until_idle();

    sim.drop_connection("node");
    sim.run_until_idle();
    assert_eq!(received(&sim, "watcher"), ["spBv1.0/G/NDEATH/E=bdSeq=0"]);
    let will = sim.log().deliveries("watcher")[0];
    assert_eq!(will.origin, Origin::Will("node".into()));
    assert_eq!(will.qos, QoS::AtLeastOnce);
    assert_eq!(sim.peer::<Scripted>("node").disconnected, 1);
    assert!(!sim.is_connected("node"));

    // MQTT 3.1.1: a DISCONNECT discards the Will, whatever the reason.
    sim.connect("node");
    sim.peer_mut::<Scripted>("node")
        .send(Transmit::Disconnect(DisconnectReason::Shutdown));
    sim.run_until_idle();
    assert_eq!(received(&sim, "watcher").len(), 1, "no second Will");
    assert!(!sim.is_connected("node"));
    assert_eq!(
        sim.peer::<Scripted>("node").disconnected,
        2,
        "told of its own DISCONNECT"
    );
    assert_eq!(sim.peer::<Scripted>("node").connected, 2);
    let last = &sim.log().entries().last().unwrap().event;
    assert!(matches!(
        last,
        Event::Disconnect { peer, close: Close::Disconnect(DisconnectReason::Shutdown), will_published: false } if peer == "node"
    ));
    assert_eq!(sim.log().wills().len(), 1);
}

#[test]
fn will_fires_on_mqtt5_disconnect_with_reason_0x04() {
    assert_eq!(mqtt5_reason_code(DisconnectReason::Shutdown), 0x04);
    let mut sim = sim_with_watcher();
    sim.add_peer(
        "node",
        Scripted::new("node").with_will("spBv1.0/G/NDEATH/E", "bdSeq=0", false),
    );
    sim.set_mqtt_version("node", MqttVersion::V5);
    sim.connect("node");
    sim.peer_mut::<Scripted>("node")
        .send(Transmit::Disconnect(DisconnectReason::Shutdown));
    sim.run_until_idle();
    assert_eq!(received(&sim, "watcher"), ["spBv1.0/G/NDEATH/E=bdSeq=0"]);
    assert!(matches!(
        sim.log().connects("node")[..],
        [ConnectOptions { client_id, .. }] if client_id == "node"
    ));
}

#[test]
fn retained_will_stays_for_later_subscribers() {
    let mut sim = Sim::new();
    sim.add_peer(
        "host",
        Scripted::new("host").with_will("spBv1.0/STATE/h", "offline", true),
    );
    sim.connect("host");
    sim.drop_connection("host");
    sim.add_peer(
        "edge",
        Scripted::new("edge").on_connect(subscribe("spBv1.0/STATE/h", QoS::AtLeastOnce)),
    );
    sim.connect("edge");
    sim.run_until_idle();
    assert_eq!(received(&sim, "edge"), ["spBv1.0/STATE/h=offline"]);
    assert!(sim.log().deliveries("edge")[0].retain);
}

#[test]
fn subscriptions_are_lost_on_reconnect() {
    let mut sim = Sim::new();
    sim.add_peer("sub", Scripted::new("sub"));
    sim.add_peer("publisher", Scripted::new("publisher"));
    sim.connect("sub");
    sim.connect("publisher");
    sim.peer_mut::<Scripted>("sub")
        .send(subscribe("a/#", QoS::AtLeastOnce));
    sim.run_until_idle();
    sim.peer_mut::<Scripted>("publisher")
        .send(publish("a/1", "x", false));
    sim.run_until_idle();
    assert_eq!(received(&sim, "sub"), ["a/1=x"]);

    sim.drop_connection("sub");
    sim.connect("sub");
    assert_eq!(sim.broker().subscriptions("sub"), Some(&[][..]));
    sim.peer_mut::<Scripted>("publisher")
        .send(publish("a/2", "x", false));
    sim.run_until_idle();
    assert_eq!(
        received(&sim, "sub"),
        ["a/1=x"],
        "clean session: not subscribed"
    );
    assert_eq!(sim.broker().subscriptions("publisher"), Some(&[][..]));
    assert_eq!(sim.broker().subscriptions("nobody"), None);
}

#[test]
fn a_second_connection_with_the_same_client_id_kicks_the_first() {
    let mut sim = sim_with_watcher();
    sim.add_peer("old", Scripted::new("node-1"));
    sim.add_peer("new", Scripted::new("node-1"));
    sim.connect("old");
    sim.connect("new");
    sim.run_until_idle();
    assert!(!sim.is_connected("old"));
    assert!(sim.is_connected("new"));
    assert_eq!(sim.peer::<Scripted>("old").disconnected, 1);
    assert_eq!(received(&sim, "watcher"), ["will/node-1=dead"]);
    assert_eq!(
        sim.log().deliveries("watcher")[0].origin,
        Origin::Will("old".into())
    );
    assert!(sim.log().entries().iter().any(|e| matches!(
        &e.event,
        Event::Disconnect { peer, close: Close::TakenOver { by }, will_published: true }
            if peer == "old" && by == "new"
    )));
}

#[test]
fn own_messages_come_back_and_overlapping_filters_deliver_once() {
    let mut sim = Sim::new();
    sim.add_peer(
        "host",
        Scripted::new("host")
            .on_connect(Transmit::Subscribe(vec![
                Subscription {
                    filter: "spBv1.0/#".into(),
                    qos: QoS::AtMostOnce,
                },
                Subscription {
                    filter: "spBv1.0/STATE/+".into(),
                    qos: QoS::AtLeastOnce,
                },
            ]))
            .on_connect(publish("spBv1.0/STATE/h", "online", true)),
    );
    sim.connect("host");
    sim.run_until_idle();
    assert_eq!(received(&sim, "host"), ["spBv1.0/STATE/h=online"]);
    assert_eq!(sim.log().deliveries("host")[0].qos, QoS::AtLeastOnce);
}

#[test]
fn hold_and_release_reorder_delivery() {
    let mut sim = sim_with_watcher();
    sim.add_peer("edge", Scripted::new("edge"));
    sim.connect("edge");
    sim.hold_next("data/+");
    for n in ["1", "2", "3"] {
        sim.peer_mut::<Scripted>("edge")
            .send(publish(&format!("data/{n}"), n, false));
    }
    sim.run_until_idle();
    assert_eq!(received(&sim, "watcher"), ["data/2=2", "data/3=3"]);
    assert_eq!(sim.held().len(), 1);
    assert_eq!(sim.armed_faults(), 0, "the rule is used up");

    sim.release_held();
    assert_eq!(
        received(&sim, "watcher"),
        ["data/2=2", "data/3=3", "data/1=1"]
    );
    assert!(sim.held().is_empty());

    sim.drop_next("data/#");
    sim.peer_mut::<Scripted>("edge")
        .send(publish("data/4", "4", false));
    sim.peer_mut::<Scripted>("edge")
        .send(publish("data/5", "5", false));
    sim.run_until_idle();
    assert_eq!(received(&sim, "watcher")[3..], ["data/5=5"]);
    assert_eq!(sim.log().publishes("edge").len(), 5, "all five were sent");
    assert!(
        sim.log()
            .entries()
            .iter()
            .any(|e| matches!(&e.event, Event::Dropped(m) if m.topic == "data/4"))
    );
}

/// A late Will: the NDEATH of the old session arrives after the new session's birth.
#[test]
fn a_held_will_arrives_after_the_next_session() {
    let mut sim = sim_with_watcher();
    sim.add_peer(
        "edge",
        Scripted::new("edge")
            .with_will("spBv1.0/G/NDEATH/E", "bdSeq", false)
            .on_connect(publish("spBv1.0/G/NBIRTH/E", "birth", false)),
    );
    sim.connect("edge");
    sim.run_until_idle();
    sim.hold_next("spBv1.0/+/NDEATH/+");
    sim.drop_connection("edge");
    sim.connect("edge");
    sim.run_until_idle();
    sim.release_held();
    assert_eq!(
        received(&sim, "watcher"),
        [
            "spBv1.0/G/NBIRTH/E=birth",
            "spBv1.0/G/NBIRTH/E=birth",
            "spBv1.0/G/NDEATH/E=bdSeq"
        ]
    );
}

#[test]
fn advance_fires_timeouts_in_time_order() {
    let mut sim = Sim::new();
    let start = sim.now();
    assert_eq!(start, START);
    let at = |secs| start.saturating_add(Duration::from_secs(secs));
    let mut a = Scripted::new("a");
    a.timers.extend([at(30), at(10)]);
    let mut b = Scripted::new("b");
    b.timers.insert(at(20));
    b.timers.insert(at(90));
    sim.add_peer("a", a);
    sim.add_peer("b", b);
    assert_eq!(sim.next_timeout(), Some(at(10)));

    sim.advance(Duration::from_secs(60));
    assert_eq!(sim.now(), at(60));
    let fired: Vec<(String, Timestamp)> = sim
        .log()
        .entries()
        .iter()
        .filter_map(|e| match &e.event {
            Event::Timeout { peer } => Some((peer.clone(), e.at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        fired,
        [
            ("a".to_owned(), at(10)),
            ("b".to_owned(), at(20)),
            ("a".to_owned(), at(30))
        ]
    );
    assert_eq!(sim.peer::<Scripted>("a").fired, [at(10), at(30)]);
    assert_eq!(sim.peer::<Scripted>("b").fired, [at(20)]);
    assert_eq!(sim.next_timeout(), Some(at(90)));
}

#[test]
fn a_ping_pong_loop_is_reported_instead_of_hanging() {
    let mut sim = Sim::new();
    sim.add_peer("ping", Echo::new("ping", "ping", "pong"));
    sim.add_peer("pong", Echo::new("pong", "pong", "ping"));
    sim.connect("ping");
    sim.connect("pong");
    sim.run_until_idle();
    sim.set_step_limit(500);
    sim.inject(
        "test",
        Publish {
            topic: "ping".into(),
            payload: b"ball".to_vec(),
            qos: QoS::AtMostOnce,
            retain: false,
        },
    );
    let stuck = sim.try_run_until_idle().unwrap_err();
    assert_eq!(stuck.steps, 500);
    let message = stuck.to_string();
    assert!(message.contains("did not become idle"), "{message}");
    assert!(message.contains("PUBLISH ping"), "{message}");
}

#[test]
#[should_panic(expected = "did not become idle within 100 steps")]
fn run_until_idle_panics_on_a_ping_pong_loop() {
    let mut sim = Sim::new();
    sim.set_step_limit(100);
    sim.add_peer("ping", Echo::new("ping", "ping", "pong"));
    sim.add_peer("pong", Echo::new("pong", "pong", "ping"));
    sim.connect("ping");
    sim.connect("pong");
    sim.peer_mut::<Echo>("pong")
        .outbox
        .push_back(publish("ping", "ball", false));
    sim.run_until_idle();
}

#[test]
fn the_log_orders_subscriptions_and_publishes_per_session() {
    let mut sim = Sim::new();
    assert!(sim.log().is_empty());
    sim.add_peer(
        "edge",
        Scripted::new("edge")
            .on_connect(subscribe("spBv1.0/G/NCMD/E", QoS::AtLeastOnce))
            .on_connect(publish("spBv1.0/G/NBIRTH/E", "birth", false)),
    );
    sim.connect("edge");
    sim.run_until_idle();
    let log = sim.log();
    assert!(
        log.subscribe_index("edge", "spBv1.0/G/NCMD/E").unwrap()
            < log.publish_index("edge", "spBv1.0/G/NBIRTH/E").unwrap()
    );
    assert_eq!(log.subscriptions("edge")[0].qos, QoS::AtLeastOnce);

    let mark = sim.log().len();
    sim.peer_mut::<Scripted>("edge")
        .send(publish("spBv1.0/G/NDATA/E", "data", false));
    sim.run_until_idle();
    sim.drop_connection("edge");
    sim.connect("edge");
    sim.run_until_idle();
    let log = sim.log();
    assert_eq!(log.publishes("edge").len(), 3);
    let session: Vec<&str> = log
        .session_publishes("edge")
        .iter()
        .map(|p| p.topic.as_str())
        .collect();
    assert_eq!(session, ["spBv1.0/G/NBIRTH/E"]);
    assert!(matches!(log.since(mark)[0].event, Event::Publish { .. }));
    assert!(log.tail(3).contains("edge PUBLISH spBv1.0/G/NBIRTH/E"));
}

#[test]
fn a_disconnected_peer_sends_nothing_until_it_connects() {
    let mut sim = sim_with_watcher();
    sim.add_peer("edge", Scripted::new("edge"));
    sim.peer_mut::<Scripted>("edge")
        .send(publish("early", "x", false));
    sim.run_until_idle();
    assert!(sim.log().publishes("edge").is_empty());
    sim.connect("edge");
    sim.run_until_idle();
    assert_eq!(received(&sim, "watcher"), ["early=x"]);
}

#[test]
#[should_panic(expected = "edge is a")]
fn asking_for_the_wrong_peer_type_names_both() {
    let mut sim = Sim::new();
    sim.add_peer("edge", Scripted::new("edge"));
    let _ = sim.peer_mut::<Echo>("edge");
}
