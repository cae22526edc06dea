//! CONNECT, STATE birth and death, own-STATE handling, shutdown and commands.

use super::*;
use crate::DataType;
use crate::session::DisconnectReason;
use crate::session::host::{CommandError, OwnStateOffline, OwnStateResponse};
use crate::topic::StateMessage;

fn state_of(publish: &Publish) -> StateMessage {
    StateMessage::parse(&publish.payload).unwrap()
}

/// tck-id-host-topic-phid-death-required, tck-id-host-topic-phid-death-topic,
/// tck-id-host-topic-phid-death-qos, tck-id-host-topic-phid-death-retain,
/// tck-id-host-topic-phid-death-payload, tck-id-host-topic-phid-death-payload-timestamp-connect,
/// tck-id-operational-behavior-host-application-connect-will,
/// tck-id-operational-behavior-host-application-connect-will-topic,
/// tck-id-operational-behavior-host-application-connect-will-payload,
/// tck-id-operational-behavior-host-application-connect-will-qos,
/// tck-id-operational-behavior-host-application-connect-will-retained,
/// tck-id-payloads-state-will-message, tck-id-payloads-state-will-message-qos,
/// tck-id-payloads-state-will-message-retain, tck-id-payloads-state-will-message-payload
#[test]
fn the_will_is_the_state_death_of_connect_time() {
    let mut host = HostApplication::new(config().with_client_id("client-7"));
    let options = host.connect(t(5));
    assert_eq!(options.client_id, "client-7");
    assert_eq!(options.will.topic, "spBv1.0/STATE/host1");
    assert_eq!(
        (options.will.qos, options.will.retain),
        (QoS::AtLeastOnce, true)
    );
    assert_eq!(
        std::str::from_utf8(&options.will.payload).unwrap(),
        format!(r#"{{"online":false,"timestamp":{}}}"#, T0 + 5)
    );
    assert_eq!(host.state_timestamp(), Some(t(5)));
    assert!(host.poll_transmit().is_none(), "nothing before the CONNACK");
}

/// tck-id-message-flow-phid-sparkplug-subscription, tck-id-host-topic-phid-birth-sub-required,
/// tck-id-payloads-state-subscribe, tck-id-host-topic-phid-birth-required,
/// tck-id-host-topic-phid-birth-message, tck-id-principles-birth-certificates-order,
/// tck-id-host-topic-phid-birth-topic, tck-id-host-topic-phid-birth-qos,
/// tck-id-host-topic-phid-birth-retain, tck-id-host-topic-phid-birth-payload,
/// tck-id-host-topic-phid-birth-payload-timestamp,
/// tck-id-message-flow-phid-sparkplug-state-publish,
/// tck-id-message-flow-phid-sparkplug-state-publish-payload,
/// tck-id-message-flow-phid-sparkplug-state-publish-payload-timestamp,
/// tck-id-operational-behavior-host-application-connect-birth,
/// tck-id-operational-behavior-host-application-connect-birth-topic,
/// tck-id-operational-behavior-host-application-connect-birth-payload,
/// tck-id-operational-behavior-host-application-connect-birth-qos,
/// tck-id-operational-behavior-host-application-connect-birth-retained,
/// tck-id-payloads-state-birth, tck-id-payloads-state-birth-payload,
/// tck-id-conformance-primary-host, tck-id-intro-sparkplug-host-state, tck-id-components-ph-state
#[test]
fn subscriptions_then_the_birth_with_the_wills_timestamp() {
    let mut host = HostApplication::new(config());
    host.connect(t(5));
    host.handle_connected(t(900));
    let sent = transmits(&mut host);
    assert_eq!(sent.len(), 2);
    let Transmit::Subscribe(subs) = &sent[0] else {
        panic!("subscribe first, got {:?}", sent[0]);
    };
    let filters: Vec<_> = subs.iter().map(|s| (s.filter.as_str(), s.qos)).collect();
    assert_eq!(
        filters,
        [
            ("spBv1.0/#", QoS::AtLeastOnce),
            ("spBv1.0/STATE/host1", QoS::AtLeastOnce)
        ]
    );
    let birth = publishes(&sent)[0];
    assert_eq!(birth.topic, "spBv1.0/STATE/host1");
    assert_eq!((birth.qos, birth.retain), (QoS::AtLeastOnce, true));
    assert_eq!(
        std::str::from_utf8(&birth.payload).unwrap(),
        format!(r#"{{"online":true,"timestamp":{}}}"#, T0 + 5)
    );
    assert_eq!(
        events(&mut host),
        [HostEvent::StateBirthPublished { timestamp: t(5) }]
    );
    assert!(host.is_online());
}

/// tck-id-operational-behavior-primary-application-state-with-multiple-servers-state,
/// tck-id-operational-behavior-host-application-multi-server-timestamp: every new session
/// starts with subscriptions and a birth carrying that session's CONNECT time, and nothing left
/// from the previous session goes first.
#[test]
fn every_session_births_first_with_its_own_timestamp() {
    let mut host = born(config());
    host.write_metric(t(20), &g(), &e(), None, "Temp", 1.0)
        .unwrap();
    host.handle_disconnected(t(21));
    let options = host.connect(t(30));
    assert_eq!(state_of_will(&options.will.payload).timestamp, T0 + 30);
    host.handle_connected(t(31));
    let sent = transmits(&mut host);
    assert!(matches!(sent[0], Transmit::Subscribe(_)));
    let first = publishes(&sent)[0];
    assert_eq!(state_of(first), StateMessage::birth(T0 + 30));
    assert_eq!(
        sent.len(),
        2,
        "the queued NCMD of the old session is dropped"
    );
    // A connect without a disconnect in between is a lost connection, too.
    host.connect(t(40));
    assert!(events(&mut host).contains(&HostEvent::ConnectionLost { at: t(40) }));
}

fn state_of_will(payload: &[u8]) -> StateMessage {
    StateMessage::parse(payload).unwrap()
}

/// tck-id-message-flow-hid-sparkplug-state-message-delivered: online:false on its own topic
/// (here its previous session's retained Will) makes the host publish its birth again at once,
/// with the same timestamp.
#[test]
fn own_offline_state_is_answered_with_the_same_birth() {
    let mut host = online(config());
    host.handle_publish(
        t(1),
        "spBv1.0/STATE/host1",
        br#"{"online":false,"timestamp":5}"#,
    );
    let sent = transmits(&mut host);
    let again = publishes(&sent);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].topic, "spBv1.0/STATE/host1");
    assert_eq!((again[0].qos, again[0].retain), (QoS::AtLeastOnce, true));
    assert_eq!(state_of(again[0]), StateMessage::birth(T0));
    assert_eq!(
        events(&mut host),
        [HostEvent::OwnStateOffline {
            timestamp: 5,
            current: t(0),
            response: OwnStateResponse::RepublishedBirth
        }]
    );
    // Its own online echo is nothing to act on.
    host.handle_publish(
        t(2),
        "spBv1.0/STATE/host1",
        StateMessage::birth(T0).to_json().as_bytes(),
    );
    assert_eq!(drain(&mut host), (vec![], vec![]));
}

#[test]
fn republishing_can_be_switched_off() {
    let mut host = online(config().with_own_state_offline(OwnStateOffline::Report));
    host.handle_publish(
        t(1),
        "spBv1.0/STATE/host1",
        br#"{"online":false,"timestamp":5}"#,
    );
    assert!(transmits(&mut host).is_empty());
    assert_eq!(
        events(&mut host),
        [HostEvent::OwnStateOffline {
            timestamp: 5,
            current: t(0),
            response: OwnStateResponse::Reported
        }]
    );
}

/// Other hosts' STATE is reported; a malformed one is a violation of
/// tck-id-host-topic-phid-birth-payload.
#[test]
fn other_hosts_state() {
    let mut host = online(config());
    host.handle_publish(
        t(1),
        "spBv1.0/STATE/other",
        br#"{"online":false,"timestamp":9}"#,
    );
    host.handle_publish(t(1), "spBv1.0/STATE/other", b"OFFLINE");
    let (sent, seen) = drain(&mut host);
    assert!(sent.is_empty());
    assert!(matches!(&seen[0], HostEvent::HostState { host, state }
        if host.as_str() == "other" && *state == StateMessage::death(9)));
    assert!(matches!(
        &seen[1],
        HostEvent::Violation {
            tck_id: "host-topic-phid-birth-payload",
            ..
        }
    ));
}

/// tck-id-operational-behavior-host-application-termination,
/// tck-id-operational-behavior-host-application-death-topic,
/// tck-id-operational-behavior-host-application-death-payload,
/// tck-id-operational-behavior-host-application-death-qos,
/// tck-id-operational-behavior-host-application-death-retained,
/// tck-id-operational-behavior-host-application-disconnect-intentional,
/// tck-id-host-topic-phid-death-payload-timestamp-disconnect-clean
#[test]
fn shutdown_publishes_the_death_of_now_then_disconnects() {
    let mut host = born(config());
    host.shutdown(t(50));
    let sent = transmits(&mut host);
    assert_eq!(sent.len(), 2);
    let death = publishes(&sent)[0];
    assert_eq!(death.topic, "spBv1.0/STATE/host1");
    assert_eq!((death.qos, death.retain), (QoS::AtLeastOnce, true));
    assert_eq!(state_of(death), StateMessage::death(T0 + 50));
    assert_eq!(sent[1], Transmit::Disconnect(DisconnectReason::Shutdown));
    // Nothing more is published, and the transport's close marks everything STALE.
    host.handle_publish(t(51), NDATA, &data(2, T0, vec![]));
    host.shutdown(t(52));
    assert!(transmits(&mut host).is_empty());
    host.handle_disconnected(t(53));
    assert!(events(&mut host).contains(&HostEvent::ConnectionLost { at: t(53) }));
    assert_eq!(host.poll_timeout(), None);
    assert_eq!(
        host.write_metric(t(54), &g(), &e(), None, "Temp", 1.0),
        Err(CommandError::NotConnected)
    );
}

/// tck-id-topics-ncmd-topic, tck-id-topics-ncmd-mqtt, tck-id-topics-ncmd-timestamp,
/// tck-id-topics-ncmd-payload, tck-id-operational-behavior-data-commands-ncmd-verb,
/// tck-id-operational-behavior-data-commands-ncmd-metric-name,
/// tck-id-operational-behavior-data-commands-ncmd-metric-value, tck-id-payloads-ncmd-timestamp,
/// tck-id-payloads-ncmd-seq, tck-id-payloads-ncmd-qos,
/// tck-id-payloads-ncmd-retain, tck-id-payloads-name-cmd-requirement,
/// tck-id-payloads-metric-datatype-not-req,
/// tck-id-payloads-alias-data-cmd-requirement
#[test]
fn ncmd_writes_by_alias_or_name_as_the_birth_datatype() {
    let mut host = born(config());
    host.write_metric(t(20), &g(), &e(), None, "Offset", -1i64)
        .unwrap();
    host.write_metric(t(21), &g(), &e(), None, "Label", "b")
        .unwrap();
    let sent = transmits(&mut host);
    let cmds = publishes(&sent);
    assert_eq!(cmds.len(), 2);
    for cmd in &cmds {
        assert_eq!(cmd.topic, "spBv1.0/G1/NCMD/E1");
        assert_eq!((cmd.qos, cmd.retain), (QoS::AtMostOnce, false));
    }
    let by_alias = Payload::decode(&cmds[0].payload).unwrap();
    assert_eq!((by_alias.timestamp, by_alias.seq), (Some(T0 + 20), None));
    let m = &by_alias.metrics[0];
    assert_eq!(
        (m.name.as_deref(), m.alias, m.datatype),
        (None, Some(2), None)
    );
    assert_eq!(m.timestamp, Some(T0 + 20));
    // Int8 -1 is sign-extended into int_value (SPARKPLUG.md 3.2).
    assert_eq!(m.value, Some(Value::UInt32(u32::MAX)));
    let by_name = Payload::decode(&cmds[1].payload).unwrap();
    let m = &by_name.metrics[0];
    assert_eq!((m.name.as_deref(), m.alias), (Some("Label"), None));
    assert_eq!(m.value, Some(Value::String("b".into())));
}

/// tck-id-topics-dcmd-topic, tck-id-topics-dcmd-mqtt, tck-id-topics-dcmd-timestamp,
/// tck-id-topics-dcmd-payload, tck-id-operational-behavior-data-commands-dcmd-verb,
/// tck-id-operational-behavior-data-commands-dcmd-metric-name,
/// tck-id-operational-behavior-data-commands-dcmd-metric-value, tck-id-payloads-dcmd-timestamp,
/// tck-id-payloads-dcmd-seq, tck-id-payloads-dcmd-qos,
/// tck-id-payloads-dcmd-retain
#[test]
fn dcmd_writes_and_command_errors() {
    let mut host = born(config());
    host.write_metric(t(20), &g(), &e(), Some(&d()), "Level", 9u8)
        .unwrap();
    let sent = transmits(&mut host);
    let cmd = publishes(&sent)[0];
    assert_eq!(cmd.topic, "spBv1.0/G1/DCMD/E1/D1");
    assert_eq!((cmd.qos, cmd.retain), (QoS::AtMostOnce, false));
    let payload = Payload::decode(&cmd.payload).unwrap();
    assert_eq!((payload.timestamp, payload.seq), (Some(T0 + 20), None));
    assert_eq!(payload.metrics[0].alias, Some(10));
    assert_eq!(payload.metrics[0].value, Some(Value::UInt32(9)));

    let other = EdgeNodeId::new("E9").unwrap();
    let nobody = DeviceId::new("D9").unwrap();
    let now = t(21);
    assert!(matches!(
        host.write_metric(now, &g(), &other, None, "Temp", 1.0),
        Err(CommandError::UnknownNode { .. })
    ));
    assert!(matches!(
        host.write_metric(now, &g(), &e(), Some(&nobody), "Level", 1u16),
        Err(CommandError::UnknownDevice { .. })
    ));
    assert_eq!(
        host.write_metric(now, &g(), &e(), None, "Nope", 1.0),
        Err(CommandError::UnknownMetric {
            name: "Nope".into()
        })
    );
    assert_eq!(
        host.write_metric(now, &g(), &e(), Some(&d()), "Level", -1i32),
        Err(CommandError::IncompatibleValue {
            name: "Level".into(),
            datatype: DataType::UInt16,
            given: DataType::Int32
        })
    );
    assert!(matches!(
        host.write_metric(now, &g(), &e(), Some(&d()), "Valve", 1.0),
        Err(CommandError::IncompatibleValue { .. })
    ));
    host.handle_publish(t(22), DDEATH, &ddeath(2, T0 + 22));
    assert!(matches!(
        host.write_metric(now, &g(), &e(), Some(&d()), "Level", 1u16),
        Err(CommandError::DeviceNotOnline { .. })
    ));
    host.handle_publish(t(23), NDEATH, &ndeath(3));
    assert!(matches!(
        host.write_metric(now, &g(), &e(), None, "Temp", 1.0),
        Err(CommandError::NodeNotOnline { .. })
    ));
    assert!(transmits(&mut host).is_empty());
}

/// tck-id-operational-behavior-data-commands-ncmd-rebirth-verb,
/// tck-id-operational-behavior-data-commands-ncmd-rebirth-name,
/// tck-id-operational-behavior-data-commands-ncmd-rebirth-value:
/// an explicit request goes out whatever the rate limit.
#[test]
fn explicit_rebirth_requests_ignore_the_rate_limit() {
    let mut host = born(config().with_reorder_timeout(Duration::ZERO));
    host.request_rebirth(t(20), &g(), &e()).unwrap();
    host.request_rebirth(t(21), &g(), &e()).unwrap();
    let (sent, seen) = drain(&mut host);
    assert_eq!(rebirth_requests(&sent).len(), 2);
    assert!(seen.iter().all(|ev| matches!(
        ev,
        HostEvent::RebirthRequested {
            reason: crate::session::host::RebirthReason::Requested,
            ..
        }
    )));
    // ... but it restarts the interval for automatic ones.
    host.handle_publish(t(22), NDATA, &data(5, T0, vec![]));
    let (sent, seen) = drain(&mut host);
    assert!(rebirth_requests(&sent).is_empty());
    assert!(
        seen.iter()
            .any(|ev| matches!(ev, HostEvent::RebirthSuppressed { .. }))
    );
    let mut offline = HostApplication::new(config());
    assert_eq!(
        offline.request_rebirth(t(0), &g(), &e()),
        Err(CommandError::NotConnected)
    );
}

/// tck-id-host-topic-phid-birth-payload-timestamp,
/// tck-id-host-topic-phid-death-payload-timestamp-connect: an offline STATE of its own that is
/// not older than its birth (forged: the edge nodes act on it) ends the session without a death
/// of its own, and the next Will and birth are dated past the forged timestamp, even when the
/// clock is behind it; nothing more is handled until then.
#[test]
fn a_current_offline_state_ends_the_session() {
    let mut host = born(config());
    let forged = T0 + 60_000;
    let forged_json = format!(r#"{{"online":false,"timestamp":{forged}}}"#);
    host.handle_publish(t(20), "spBv1.0/STATE/host1", forged_json.as_bytes());
    assert_eq!(
        transmits(&mut host),
        [Transmit::Disconnect(DisconnectReason::NewSession)]
    );
    let next = Timestamp::from_millis(forged + 1);
    assert_eq!(
        events(&mut host),
        [HostEvent::OwnStateOffline {
            timestamp: forged,
            current: t(0),
            response: OwnStateResponse::NewSession {
                next_timestamp: next
            },
        }]
    );
    assert!(!host.is_online());
    host.handle_disconnected(t(21));
    assert!(events(&mut host).contains(&HostEvent::ConnectionLost { at: t(21) }));
    let options = host.connect(t(22));
    assert_eq!(state_of_will(&options.will.payload).timestamp, forged + 1);
    host.handle_connected(t(23));
    let sent = transmits(&mut host);
    assert_eq!(
        state_of(publishes(&sent)[0]),
        StateMessage::birth(forged + 1)
    );
    // Once the clock is past it, the clock again.
    host.handle_disconnected(t(100_000));
    let options = host.connect(t(100_001));
    assert_eq!(state_of_will(&options.will.payload).timestamp, T0 + 100_001);
}
