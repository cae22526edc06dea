//! The Primary Host Application's STATE: waiting for it, leaving when it goes offline, and
//! ignoring stale messages.

use super::*;
use crate::topic::StateMessage;
use crate::validate::BDSEQ;
use std::time::Duration;

const STATE: &str = "spBv1.0/STATE/scada";

fn state(online: bool, timestamp: u64) -> Vec<u8> {
    StateMessage { online, timestamp }.to_json().into_bytes()
}

fn primary_node() -> EdgeNode {
    node(config().with_primary_host(host()))
}

/// tck-id-message-flow-edge-node-birth-publish-phid-wait,
/// tck-id-message-flow-edge-node-birth-publish-phid-wait-id,
/// tck-id-message-flow-edge-node-birth-publish-phid-wait-online,
/// tck-id-operational-behavior-edge-node-birth-sequence-wait: no births until the configured
/// host's STATE says online.
#[test]
fn births_wait_for_the_primary_host() {
    let mut node = primary_node();
    let (_, sent) = connect(&mut node, t(0));
    assert!(sent.is_empty());
    assert_eq!(node.state(), EdgeState::AwaitingPrimaryHost);
    // Another host, a prefix of the id, an offline STATE, a malformed one: no births.
    node.handle_publish(t(1), "spBv1.0/STATE/other", &state(true, 10));
    node.handle_publish(t(1), "spBv1.0/STATE/scad", &state(true, 10));
    node.handle_publish(t(1), STATE, &state(false, 10));
    node.handle_publish(t(1), STATE, br#"{"online":true,"timestamp":1.5e12}"#);
    assert!(transmits(&mut node).is_empty());
    let ev = events(&mut node);
    assert_eq!(ev[0], EdgeEvent::PrimaryHostOffline { timestamp: 10 });
    assert!(matches!(
        &ev[1],
        EdgeEvent::MalformedMessage {
            error: MessageError::State(_),
            ..
        }
    ));
    node.handle_publish(t(2), STATE, &state(true, 10));
    let sent = publishes(&mut node);
    assert_eq!(kinds(&sent), [MessageType::NBirth, MessageType::DBirth]);
    assert_eq!(node.state(), EdgeState::Online);
    assert_eq!(
        events(&mut node),
        [
            EdgeEvent::PrimaryHostOnline { timestamp: 10 },
            EdgeEvent::Online
        ]
    );
}

/// tck-id-message-flow-edge-node-birth-publish-phid-offline,
/// tck-id-operational-behavior-edge-node-termination-host-offline,
/// tck-id-operational-behavior-edge-node-termination-host-offline-reconnect,
/// tck-id-operational-behavior-primary-application-state-with-multiple-servers-walk: NDEATH,
/// then disconnect; the next CONNECT has the next bdSeq.
#[test]
fn primary_host_offline_ends_the_session() {
    let mut node = primary_node();
    connect(&mut node, t(0));
    node.handle_publish(t(1), STATE, &state(true, 100));
    publishes(&mut node);
    node.handle_publish(t(2), STATE, &state(false, 100));
    let tx = transmits(&mut node);
    assert_eq!(tx.len(), 2);
    let Transmit::Publish(ndeath) = tx[0].clone() else {
        panic!("NDEATH first");
    };
    assert_eq!(ndeath.qos, QoS::AtLeastOnce);
    let ndeath = decode(ndeath);
    assert_eq!(ndeath.kind(), MessageType::NDeath);
    assert_eq!(ndeath.metric(BDSEQ).unwrap().value, Some(Value::Int64(0)));
    assert_eq!(
        tx[1],
        Transmit::Disconnect(DisconnectReason::PrimaryHostOffline)
    );
    assert_eq!(node.state(), EdgeState::Disconnected);
    assert!(events(&mut node).ends_with(&[
        EdgeEvent::PrimaryHostOffline { timestamp: 100 },
        EdgeEvent::Offline
    ]));
    node.handle_disconnected(t(3));
    assert!(events(&mut node).is_empty());
    // While away, data is stored.
    node.set_metric(t(4), None, "Count", 1u32).unwrap();
    node.flush(t(4));
    assert_eq!(node.stored_len(), 1);
    // Next server: the retained offline STATE holds the births back; a newer online releases
    // them, with the stored data after them.
    let (options, sent) = connect(&mut node, t(5));
    let will = Payload::decode(&options.will.payload).unwrap();
    assert_eq!(will.metrics[0].value, Some(Value::Int64(1)));
    assert!(sent.is_empty());
    node.handle_publish(t(6), STATE, &state(false, 100));
    assert!(transmits(&mut node).is_empty());
    node.handle_publish(t(7), STATE, &state(true, 200));
    let sent = publishes(&mut node);
    assert_eq!(
        kinds(&sent),
        [MessageType::NBirth, MessageType::DBirth, MessageType::NData]
    );
    assert_eq!(sent[0].metric(BDSEQ).unwrap().value, Some(Value::Int64(1)));
    assert!(sent[2].payload.metrics[0].is_historical);
}

/// tck-id-operational-behavior-edge-node-termination-host-offline-timestamp: an offline STATE
/// older than the last one seen is a stale Will and is ignored.
#[test]
fn stale_offline_is_ignored() {
    let mut node = primary_node();
    connect(&mut node, t(0));
    node.handle_publish(t(1), STATE, &state(true, 100));
    publishes(&mut node);
    events(&mut node);
    node.handle_publish(t(2), STATE, &state(false, 99));
    assert!(transmits(&mut node).is_empty());
    assert_eq!(node.state(), EdgeState::Online);
    assert_eq!(
        events(&mut node),
        [EdgeEvent::StalePrimaryHostState {
            online: false,
            timestamp: 99
        }]
    );
}

/// tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp: the last STATE timestamp
/// survives reconnects, so an older online STATE after a reconnect brings no births; an equal
/// one (the retained birth, after a network drop) does.
#[test]
fn the_last_state_timestamp_survives_reconnects() {
    let mut node = primary_node();
    connect(&mut node, t(0));
    node.handle_publish(t(1), STATE, &state(true, 100));
    publishes(&mut node);
    node.handle_disconnected(t(2));
    connect(&mut node, t(3));
    node.handle_publish(t(4), STATE, &state(true, 50));
    assert!(transmits(&mut node).is_empty());
    assert_eq!(node.state(), EdgeState::AwaitingPrimaryHost);
    node.handle_publish(t(5), STATE, &state(true, 100));
    assert_eq!(kinds(&publishes(&mut node))[0], MessageType::NBirth);
    // Shutdown while waiting for the host still publishes the NDEATH.
    node.handle_disconnected(t(6));
    connect(&mut node, t(7));
    node.shutdown(t(8));
    let tx = transmits(&mut node);
    assert!(matches!(&tx[0], Transmit::Publish(p) if p.topic == "spBv1.0/G/NDEATH/E"));
    assert_eq!(tx[1], Transmit::Disconnect(DisconnectReason::Shutdown));
}

/// tck-id-operational-behavior-primary-application-state-with-multiple-servers-walk,
/// tck-id-operational-behavior-edge-node-termination-host-offline-reconnect: on a server where
/// the Primary Host never says online (no STATE, or a retained `online:false`), the node gives
/// up after `primary_host_wait`: NDEATH (bdSeq of the session), then
/// `Disconnect(PrimaryHostWaitExpired)`; the next CONNECT has the next bdSeq. An online STATE
/// in time cancels the timer; `None` never times out.
#[test]
fn primary_host_wait_expires_and_leaves_the_server() {
    let wait = Duration::from_secs(5);
    let mut node = node(
        config()
            .with_primary_host(host())
            .with_primary_host_wait(Some(wait)),
    );
    assert_eq!(config().primary_host_wait, Some(Duration::from_secs(30)));
    connect(&mut node, t(0));
    assert_eq!(node.poll_timeout(), Some(t(5_000)));
    node.handle_publish(t(1), STATE, &state(false, 10));
    node.handle_timeout(t(4_999));
    assert!(transmits(&mut node).is_empty());
    node.handle_timeout(t(5_000));
    let tx = transmits(&mut node);
    assert_eq!(tx.len(), 2);
    let Transmit::Publish(ndeath) = tx[0].clone() else {
        panic!("NDEATH first");
    };
    let ndeath = decode(ndeath);
    assert_eq!(ndeath.kind(), MessageType::NDeath);
    assert_eq!(ndeath.metric(BDSEQ).unwrap().value, Some(Value::Int64(0)));
    assert_eq!(
        tx[1],
        Transmit::Disconnect(DisconnectReason::PrimaryHostWaitExpired)
    );
    assert_eq!(node.state(), EdgeState::Disconnected);
    assert_eq!(node.poll_timeout(), None);
    node.handle_disconnected(t(5_001));
    // The next server: a new bdSeq, a new timer; the host online in time cancels it.
    let (options, _) = connect(&mut node, t(6_000));
    let will = Payload::decode(&options.will.payload).unwrap();
    assert_eq!(will.metrics[0].value, Some(Value::Int64(1)));
    assert_eq!(node.poll_timeout(), Some(t(11_000)));
    node.handle_publish(t(7_000), STATE, &state(true, 20));
    assert_eq!(node.state(), EdgeState::Online);
    assert_eq!(node.poll_timeout(), None);
    node.handle_timeout(t(11_000));
    assert!(
        transmits(&mut node)
            .iter()
            .all(|t| !matches!(t, Transmit::Disconnect(_)))
    );

    // Waiting for ever: no timer.
    let mut patient = node_with_wait(None);
    connect(&mut patient, t(0));
    assert_eq!(patient.poll_timeout(), None);
    let mut zero = node_with_wait(Some(Duration::ZERO));
    connect(&mut zero, t(0));
    assert_eq!(zero.poll_timeout(), None);
}

fn node_with_wait(wait: Option<Duration>) -> EdgeNode {
    node(
        config()
            .with_primary_host(host())
            .with_primary_host_wait(wait),
    )
}

/// `Node Control/Next Server` = true (SPARKPLUG.md 3.7, 2.6): the node reports it, publishes
/// its NDEATH and leaves with `Disconnect(NextServer)`, for the driver to walk on
/// (tck-id-operational-behavior-primary-application-state-with-multiple-servers-walk).
#[test]
fn next_server_command_leaves_the_server() {
    use crate::session::edge::{NODE_CONTROL_NEXT_SERVER, NodeControl};
    let mut node = primary_node();
    node.add_node_control(t(0), NodeControl::NextServer)
        .unwrap();
    connect(&mut node, t(0));
    node.handle_publish(t(1), STATE, &state(true, 10));
    publishes(&mut node);
    events(&mut node);
    let ncmd = command(vec![
        Metric::new(NODE_CONTROL_NEXT_SERVER, false).without_datatype(),
    ]);
    node.handle_publish(t(2), NCMD, &ncmd);
    assert!(transmits(&mut node).is_empty());
    let ncmd = command(vec![
        Metric::new(NODE_CONTROL_NEXT_SERVER, true).without_datatype(),
    ]);
    node.handle_publish(t(3), NCMD, &ncmd);
    let tx = transmits(&mut node);
    assert_eq!(tx.len(), 2);
    let Transmit::Publish(ndeath) = tx[0].clone() else {
        panic!("NDEATH first");
    };
    assert_eq!(decode(ndeath).kind(), MessageType::NDeath);
    assert_eq!(tx[1], Transmit::Disconnect(DisconnectReason::NextServer));
    assert_eq!(
        events(&mut node),
        [EdgeEvent::Offline, EdgeEvent::NextServerRequested]
    );
    assert_eq!(node.state(), EdgeState::Disconnected);
}
