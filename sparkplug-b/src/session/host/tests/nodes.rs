//! Births, deaths, data and metric quality.

use super::*;
use crate::session::BdSeq;
use crate::session::host::{DeviceOfflineCause, Presence, RebirthReason};
use crate::{DataType, Quality};

fn quality(host: &HostApplication, device: Option<&DeviceId>, name: &str) -> (Quality, Timestamp) {
    let m = host.metric(&g(), &e(), device, name).unwrap();
    (m.quality, m.quality_since)
}

/// NBIRTH brings the node online at receive time with GOOD metrics, and the birth's metrics come
/// out as an event; NDATA by alias is named and typed through the birth.
#[test]
fn births_and_data_resolve_through_the_birth() {
    let mut host = online(config());
    host.handle_publish(t(10), NBIRTH, &nbirth(0, 3, T0 + 9));
    let seen = events(&mut host);
    assert_eq!(
        seen[0],
        HostEvent::NodeOnline {
            group: g(),
            node: e(),
            bd_seq: Some(BdSeq::new(3)),
            at: t(10)
        }
    );
    let names = &metric_events(&seen)[0];
    assert_eq!(
        names,
        &(
            "NBIRTH".to_owned(),
            Some(0),
            false,
            ["bdSeq", "Node Control/Rebirth", "Temp", "Offset", "Label"]
                .map(String::from)
                .to_vec()
        )
    );
    let node = host.node(&g(), &e()).unwrap();
    assert_eq!(
        (node.presence(), node.since(), node.bd_seq()),
        (Presence::Online, t(10), Some(BdSeq::new(3)))
    );
    assert_eq!(quality(&host, None, "Temp"), (Quality::Good, t(10)));

    // Int8 -1 by alias, zero-extended by its sender: read as -1 through the birth's datatype.
    let ndata = data(
        1,
        T0 + 12,
        vec![Metric::aliased(2, Value::UInt32(0xff)).with_timestamp(T0 + 12)],
    );
    host.handle_publish(t(12), NDATA, &ndata);
    let seen = events(&mut host);
    let HostEvent::Metrics {
        message_type,
        seq,
        received_at,
        timestamp,
        metrics,
        out_of_sequence,
        bd_seq,
        device,
        ..
    } = &seen[0]
    else {
        panic!("metrics expected, got {seen:?}");
    };
    assert_eq!(message_type.to_string(), "NDATA");
    assert_eq!(
        (seq.map(|s| s.value()), *received_at, *timestamp),
        (Some(1), t(12), Some(T0 + 12))
    );
    assert_eq!(
        (*out_of_sequence, *bd_seq, device),
        (false, Some(BdSeq::new(3)), &None)
    );
    assert_eq!(metrics[0].name(), "Offset");
    assert_eq!(metrics[0].datatype(), DataType::Int8);
    assert_eq!(metrics[0].value(), Some(&Value::Int8(-1)));
    assert_eq!(metrics[0].quality(), Quality::Good);
    let stored = host.metric(&g(), &e(), None, "Offset").unwrap();
    assert_eq!(
        (&stored.value, stored.timestamp),
        (&Some(Value::Int8(-1)), Some(T0 + 12))
    );
    assert!(transmits(&mut host).is_empty());
}

/// SPARKPLUG.md 2.1: the host accepts any NBIRTH seq and resynchronises from it.
#[test]
fn any_nbirth_seq_is_a_resync_point() {
    let mut host = online(config());
    host.handle_publish(t(10), NBIRTH, &nbirth(200, 0, T0));
    host.handle_publish(t(11), NDATA, &data(201, T0, vec![]));
    let seen = events(&mut host);
    assert!(
        !seen
            .iter()
            .any(|ev| matches!(ev, HostEvent::Violation { .. } | HostEvent::SeqGap { .. }))
    );
    assert_eq!(metric_events(&seen)[1].1, Some(201));
}

/// tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline,
/// tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-tags-stale,
/// tck-id-operational-behavior-edge-node-termination-host-action-ndeath-devices-offline,
/// tck-id-operational-behavior-edge-node-termination-host-action-ndeath-devices-tags-stale: on an
/// NDEATH
/// with the current bdSeq everything goes offline and STALE at host receive time (not at the
/// NDEATH's payload timestamp).
#[test]
fn ndeath_marks_node_devices_and_metrics_at_receive_time() {
    let mut host = born(config());
    let mut death = Payload::decode(&ndeath(3)).unwrap();
    death.timestamp = Some(T0 + 1); // useless to hosts
    host.handle_publish(t(30), NDEATH, &death.encode_to_vec().unwrap());
    let node = host.node(&g(), &e()).unwrap();
    assert_eq!((node.presence(), node.since()), (Presence::Offline, t(30)));
    assert!(
        node.metrics()
            .all(|m| (m.quality, m.quality_since) == (Quality::Stale, t(30)))
    );
    let device = node.device(&d()).unwrap();
    assert_eq!(
        (device.presence(), device.since()),
        (Presence::Offline, t(30))
    );
    assert!(
        device
            .metrics()
            .all(|m| (m.quality, m.quality_since) == (Quality::Stale, t(30)))
    );
    assert_eq!(
        events(&mut host),
        [
            HostEvent::NodeOffline {
                group: g(),
                node: e(),
                bd_seq: Some(BdSeq::new(3)),
                at: t(30)
            },
            HostEvent::DeviceOffline {
                group: g(),
                node: e(),
                device: d(),
                at: t(30),
                cause: DeviceOfflineCause::NodeDeath
            },
        ]
    );
    // The same death again (its Will after the explicit publish): nothing new.
    host.handle_publish(t(31), NDEATH, &ndeath(3));
    assert!(events(&mut host).is_empty());
}

/// SPARKPLUG.md 2.2: an NDEATH with another bdSeq (a late Will of an earlier session) is ignored.
#[test]
fn ndeath_of_another_session_is_ignored() {
    let mut host = born(config());
    host.handle_publish(t(30), NDEATH, &ndeath(2));
    assert_eq!(
        events(&mut host),
        [HostEvent::StaleNdeathIgnored {
            group: g(),
            node: e(),
            ndeath_bd_seq: Some(BdSeq::new(2)),
            current_bd_seq: Some(BdSeq::new(3))
        }]
    );
    assert!(host.node(&g(), &e()).unwrap().is_online());
    assert_eq!(quality(&host, None, "Temp").0, Quality::Good);
}

/// tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-offline,
/// tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-tags-stale: DDEATH
/// marks the device at the DDEATH payload timestamp.
#[test]
fn ddeath_marks_the_device_at_its_payload_timestamp() {
    let mut host = born(config());
    host.handle_publish(t(40), DDEATH, &ddeath(2, T0 + 35));
    let device = host.device(&g(), &e(), &d()).unwrap();
    assert_eq!(
        (device.presence(), device.since()),
        (Presence::Offline, t(35))
    );
    assert_eq!(quality(&host, Some(&d()), "Level"), (Quality::Stale, t(35)));
    assert_eq!(
        quality(&host, None, "Temp"),
        (Quality::Good, t(10)),
        "the node is untouched"
    );
    assert_eq!(
        events(&mut host),
        [HostEvent::DeviceOffline {
            group: g(),
            node: e(),
            device: d(),
            at: t(35),
            cause: DeviceOfflineCause::DeviceDeath
        }]
    );
    // DDEATH is in the seq stream: the next message follows it without a gap.
    host.handle_publish(t(41), NDATA, &data(3, T0, vec![]));
    assert!(
        !events(&mut host)
            .iter()
            .any(|ev| matches!(ev, HostEvent::SeqGap { .. }))
    );
}

/// SPARKPLUG.md 2.5: on a new NBIRTH the node's devices are offline and STALE until their own
/// DBIRTH; DDATA before it asks for a rebirth; the DBIRTH resets the device's aliases.
#[test]
fn devices_wait_for_their_dbirth_after_a_rebirth() {
    let mut host = born(config());
    host.handle_publish(t(50), NBIRTH, &nbirth(0, 3, T0 + 50));
    let seen = events(&mut host);
    assert!(seen.contains(&HostEvent::DeviceOffline {
        group: g(),
        node: e(),
        device: d(),
        at: t(50),
        cause: DeviceOfflineCause::NodeRebirth
    }));
    assert_eq!(
        host.device(&g(), &e(), &d()).unwrap().presence(),
        Presence::Offline
    );
    assert_eq!(quality(&host, Some(&d()), "Level"), (Quality::Stale, t(50)));
    host.handle_publish(t(51), DDATA, &level(1, 8));
    let (sent, seen) = drain(&mut host);
    assert_eq!(rebirth_requests(&sent).len(), 1);
    assert!(seen.contains(&HostEvent::RebirthRequested {
        group: g(),
        node: e(),
        reason: RebirthReason::MessageBeforeBirth(crate::topic::MessageType::DData)
    }));
    assert!(
        metric_events(&seen).is_empty(),
        "data without a birth cannot be read"
    );
    // The DBIRTH (seq 2, as the DDATA took seq 1) brings it back with new aliases.
    let new_birth = data(
        2,
        T0 + 52,
        vec![
            Metric::new("Pressure", 1.5)
                .with_alias(10)
                .with_timestamp(T0 + 52),
        ],
    );
    host.handle_publish(t(52), DBIRTH, &new_birth);
    host.handle_publish(
        t(53),
        DDATA,
        &data(3, T0, vec![Metric::aliased(10, 2.5).with_timestamp(T0)]),
    );
    let seen = events(&mut host);
    assert!(seen.contains(&HostEvent::DeviceOnline {
        group: g(),
        node: e(),
        device: d(),
        at: t(52)
    }));
    let device = host.device(&g(), &e(), &d()).unwrap();
    assert!(device.is_online());
    assert!(device.metric("Level").is_none());
    assert_eq!(
        device.metric("Pressure").unwrap().value,
        Some(Value::Double(2.5))
    );
    assert_eq!(metric_events(&seen).last().unwrap().3, ["Pressure"]);
}

/// SPARKPLUG.md 2.5 (the one non-testable assertion): when the host loses its broker, every
/// metric from it is STALE and every node waits for a rebirth; the first data afterwards asks
/// for one.
#[test]
fn a_lost_connection_makes_everything_stale() {
    let mut host = born(config());
    host.handle_publish(t(20), DDATA, &level(4, 1)); // held: 2 and 3 are missing
    host.handle_disconnected(t(21));
    let seen = events(&mut host);
    assert_eq!(
        metric_events(&seen),
        [("DDATA".to_owned(), Some(4), true, vec!["Level".to_owned()])]
    );
    assert_eq!(seen.last(), Some(&HostEvent::ConnectionLost { at: t(21) }));
    assert!(
        transmits(&mut host).is_empty(),
        "no rebirth while disconnected"
    );
    let node = host.node(&g(), &e()).unwrap();
    assert_eq!(
        (node.presence(), node.held_messages()),
        (Presence::AwaitingRebirth, 0)
    );
    assert_eq!(quality(&host, None, "Temp"), (Quality::Stale, t(21)));
    assert_eq!(quality(&host, Some(&d()), "Level"), (Quality::Stale, t(21)));
    assert_eq!(
        host.device(&g(), &e(), &d()).unwrap().presence(),
        Presence::AwaitingRebirth
    );
    assert_eq!(host.poll_timeout(), None);

    host.connect(t(30));
    host.handle_connected(t(31));
    drain(&mut host);
    host.handle_publish(t(32), NDATA, &data(5, T0, vec![]));
    assert_eq!(rebirth_requests(&transmits(&mut host)).len(), 1);
}

/// tck-id-payloads-metric-datatype-value: a value that does not fit the birth's datatype, and
/// tck-id-topics-nbirth-metric-reqs: an alias the birth does not have — each reported, left out,
/// and a rebirth asked for, while the rest of the message is processed.
#[test]
fn unresolvable_metrics_are_violations_and_ask_for_a_rebirth() {
    let mut host = born(config());
    let ndata = data(
        2,
        T0,
        vec![
            Metric::aliased(99, 1.0).with_timestamp(T0),
            Metric::aliased(1, Value::Boolean(true)).with_timestamp(T0),
            Metric::aliased(1, 30.0).with_timestamp(T0),
        ],
    );
    host.handle_publish(t(20), NDATA, &ndata);
    let (sent, seen) = drain(&mut host);
    let rules: Vec<_> = seen
        .iter()
        .filter_map(|ev| match ev {
            HostEvent::Violation { tck_id, .. } => Some(*tck_id),
            _ => None,
        })
        .collect();
    assert_eq!(
        rules,
        [
            "topics-nbirth-metric-reqs",
            "payloads-metric-datatype-value"
        ]
    );
    assert_eq!(metric_events(&seen)[0].3, ["Temp"]);
    assert_eq!(
        host.metric(&g(), &e(), None, "Temp").unwrap().value,
        Some(Value::Double(30.0))
    );
    assert_eq!(rebirth_requests(&sent).len(), 1);
    assert!(seen.contains(&HostEvent::RebirthRequested {
        group: g(),
        node: e(),
        reason: RebirthReason::UnresolvedMetric
    }));
}

/// Historical metrics (SPARKPLUG.md 3.7) are reported but do not change the live value; a
/// Quality property is taken as the metric's quality.
#[test]
fn historical_values_and_quality_properties() {
    let mut host = born(config());
    let bad = crate::PropertySet::new().with(
        crate::property::QUALITY,
        crate::PropertyValue::new(Quality::Bad.code()),
    );
    let ddata = data(
        2,
        T0,
        vec![
            Metric::aliased(10, 1u16)
                .with_timestamp(T0 - 1000)
                .historical(),
            Metric::aliased(11, true)
                .with_timestamp(T0)
                .with_properties(bad),
        ],
    );
    host.handle_publish(t(20), DDATA, &ddata);
    let seen = events(&mut host);
    let HostEvent::Metrics {
        metrics, device, ..
    } = &seen[0]
    else {
        panic!("{seen:?}")
    };
    assert_eq!(device, &Some(d()));
    assert!(metrics[0].is_historical());
    assert_eq!(metrics[1].quality(), Quality::Bad);
    assert_eq!(
        host.metric(&g(), &e(), Some(&d()), "Level").unwrap().value,
        Some(Value::UInt16(7))
    );
    assert_eq!(quality(&host, Some(&d()), "Valve"), (Quality::Bad, t(20)));
}

/// Validation runs on every message: rule breaks are events naming their tck id, the message is
/// still used. An NDATA without seq (tck-id-payloads-sequence-num-always-included) is processed
/// out of sequence; a datatype in DATA (tck-id-payloads-metric-datatype-not-req) is a
/// recommendation.
#[test]
fn rule_breaks_are_reported_and_tolerated() {
    let mut host = born(config());
    let no_seq = Payload::new(T0)
        .with_metric(Metric::new("Temp", 1.0).with_timestamp(T0))
        .encode_to_vec()
        .unwrap();
    host.handle_publish(t(20), NDATA, &no_seq);
    let seen = events(&mut host);
    let violations: Vec<_> = seen
        .iter()
        .filter_map(|ev| match ev {
            HostEvent::Violation {
                tck_id,
                recommendation,
                message_type,
                ..
            } => Some((*tck_id, *recommendation, *message_type)),
            _ => None,
        })
        .collect();
    let ndata = Some(crate::topic::MessageType::NData);
    assert!(violations.contains(&("payloads-sequence-num-always-included", false, ndata)));
    assert!(violations.contains(&("payloads-metric-datatype-not-req", true, ndata)));
    assert_eq!(
        metric_events(&seen),
        [("NDATA".to_owned(), None, true, vec!["Temp".to_owned()])]
    );
}

/// tck-id-payloads-alias-uniqueness: aliases are unique across the node and all its devices; a
/// DBIRTH reusing one is reported (and still used for its own device).
#[test]
fn dbirth_aliases_must_not_clash_with_the_node_or_other_devices() {
    let mut host = born(config());
    let clash = data(
        2,
        T0,
        vec![Metric::new("Speed", 1.0).with_alias(1).with_timestamp(T0)],
    );
    host.handle_publish(t(20), "spBv1.0/G1/DBIRTH/E1/D2", &clash);
    let clash = data(
        3,
        T0,
        vec![Metric::new("Flow", 1.0).with_alias(11).with_timestamp(T0)],
    );
    host.handle_publish(t(21), "spBv1.0/G1/DBIRTH/E1/D3", &clash);
    let details: Vec<_> = events(&mut host)
        .into_iter()
        .filter_map(|ev| match ev {
            HostEvent::Violation {
                tck_id: "payloads-alias-uniqueness",
                detail,
                device,
                ..
            } => Some((device.map(|d| d.into_string()), detail)),
            _ => None,
        })
        .collect();
    assert_eq!(details.len(), 2);
    assert_eq!(details[0].0.as_deref(), Some("D2"));
    assert!(details[0].1.contains("\"Temp\""), "{}", details[0].1);
    assert!(details[1].1.contains("D1/Valve"), "{}", details[1].1);
    assert!(
        host.device(&g(), &e(), &DeviceId::new("D2").unwrap())
            .unwrap()
            .is_online()
    );
}
