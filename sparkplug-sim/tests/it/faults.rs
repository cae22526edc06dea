//! Each fault is seen by the host application as the right event.

use std::time::Duration;

use sparkplug_b::session::Timestamp;
use sparkplug_b::session::host::{HostEvent, RebirthReason};
use sparkplug_b::topic::MessageType;
use sparkplug_sim::config::FaultKind;
use sparkplug_sim::{Loopback, SimEvent};

use crate::support::{count, loopback, scenario};

/// One generic node, one device, a metric that changes every second.
const ONE: &str = r#"
[[node]]
group = "G"
node = "N1"
devices = 1
[[node.metric]]
name = "Walk"
generator = { kind = "random_walk", start = 0.0, step = 1.0 }
"#;

/// Runs ten seconds, injects `kind`, runs `after` more; returns the host's events since the
/// injection.
fn with_fault(kind: FaultKind, after: u64) -> (Loopback, Vec<(Timestamp, HostEvent)>) {
    let mut lb = loopback(scenario(ONE, 1));
    lb.run_for(Duration::from_secs(10));
    lb.take_host_events();
    lb.inject(Some(0), &kind);
    lb.run_for(Duration::from_secs(after));
    let events = lb.take_host_events();
    (lb, events)
}

fn rebirths(events: &[(Timestamp, HostEvent)], want: impl Fn(&RebirthReason) -> bool) -> usize {
    count(
        events,
        |e| matches!(e, HostEvent::RebirthRequested { reason, .. } if want(reason)),
    )
}

fn births(events: &[(Timestamp, HostEvent)]) -> usize {
    count(events, |e| matches!(e, HostEvent::NodeOnline { .. }))
}

/// tck-id-operational-behavior-host-reordering-start and
/// tck-id-operational-behavior-host-reordering-rebirth: a skipped seq is a gap; when the
/// reorder timeout passes the host asks for a rebirth, and the node is born again.
#[test]
fn skip_seq_is_a_gap_then_a_rebirth() {
    let (_, events) = with_fault(FaultKind::SkipSeq, 5);
    assert_eq!(
        count(&events, |e| matches!(e, HostEvent::SeqGap { .. })),
        1,
        "{events:#?}"
    );
    assert_eq!(
        rebirths(&events, |r| matches!(
            r,
            RebirthReason::ReorderTimeout { .. }
        )),
        1
    );
    assert_eq!(births(&events), 1);
}

/// tck-id-payloads-sequence-num-incrementing: a repeated seq is delivered out of sequence.
#[test]
fn repeat_seq_is_delivered_out_of_sequence() {
    let (_, events) = with_fault(FaultKind::RepeatSeq, 3);
    let late = count(&events, |e| {
        matches!(
            e,
            HostEvent::Metrics {
                out_of_sequence: true,
                ..
            }
        )
    });
    assert_eq!(late, 1, "{events:#?}");
}

/// tck-id-operational-behavior-host-reordering-success: two swapped messages are a gap that
/// fills; both are delivered in order and no rebirth is needed.
#[test]
fn reorder_is_a_gap_that_fills() {
    let (_, events) = with_fault(FaultKind::Reorder, 5);
    assert_eq!(
        count(&events, |e| matches!(e, HostEvent::SeqGap { .. })),
        1,
        "{events:#?}"
    );
    assert_eq!(rebirths(&events, |_| true), 0, "{events:#?}");
    assert_eq!(
        count(&events, |e| matches!(
            e,
            HostEvent::Metrics {
                out_of_sequence: true,
                ..
            }
        )),
        0
    );
}

/// A payload that does not decode is a violation and a rebirth request.
#[test]
fn malformed_payload_is_a_violation_and_a_rebirth() {
    let (_, events) = with_fault(FaultKind::MalformedPayload, 3);
    assert!(
        count(&events, |e| matches!(e, HostEvent::Violation { .. })) >= 1,
        "{events:#?}"
    );
    assert_eq!(
        rebirths(&events, |r| matches!(
            r,
            RebirthReason::MalformedPayload(MessageType::DData)
        )),
        1
    );
    assert_eq!(births(&events), 1);
}

/// tck-id-topics-dbirth-metric-reqs: an alias the birth did not declare makes the host ask
/// for a rebirth.
#[test]
fn unknown_alias_is_a_rebirth_request() {
    let (_, events) = with_fault(FaultKind::UnknownAlias, 3);
    assert_eq!(
        rebirths(&events, |r| matches!(r, RebirthReason::UnresolvedMetric)),
        1,
        "{events:#?}"
    );
    assert_eq!(births(&events), 1);
}

/// tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline: a
/// connection dropped without NDEATH makes the broker publish the Will, and the host takes
/// the node offline; it comes back with a new bdSeq.
#[test]
fn drop_connection_is_node_offline_by_will() {
    let (lb, events) = with_fault(FaultKind::DropConnection, 5);
    let offline: Vec<_> = events
        .iter()
        .filter_map(|(_, e)| match e {
            HostEvent::NodeOffline { bd_seq, .. } => Some(bd_seq.map(|b| b.value())),
            _ => None,
        })
        .collect();
    assert_eq!(offline, [Some(0)], "{events:#?}");
    let online: Vec<_> = events
        .iter()
        .filter_map(|(_, e)| match e {
            HostEvent::NodeOnline { bd_seq, .. } => Some(bd_seq.map(|b| b.value())),
            _ => None,
        })
        .collect();
    assert_eq!(online, [Some(1)]);
    let will = lb
        .published()
        .iter()
        .filter(|(_, p)| p.topic.contains("/NDEATH/"))
        .count();
    assert_eq!(will, 1);
}

/// A data message before the births, after a reconnect, is one the host has no birth for:
/// it asks for a rebirth (tck-id-topics-dbirth-metric-reqs).
#[test]
fn data_before_birth_is_a_rebirth_request() {
    let (lb, events) = with_fault(FaultKind::DataBeforeBirth, 5);
    assert_eq!(
        rebirths(&events, |r| matches!(
            r,
            RebirthReason::MessageBeforeBirth(_)
        )),
        1,
        "{events:#?}"
    );
    // On the wire: NDEATH (Will), then a data message, then the births.
    let after_death: Vec<&str> = lb
        .published()
        .iter()
        .map(|(_, p)| p.topic.split('/').nth(2).unwrap_or(""))
        .skip_while(|v| *v != "NDEATH")
        .take(3)
        .collect();
    assert_eq!(after_death, ["NDEATH", "DDATA", "NBIRTH"]);
    assert!(lb.host().is_online("G", "N1"));
}

/// Clock skew shifts the timestamps the host stores, and ends after its duration.
#[test]
fn clock_skew_shifts_metric_timestamps() {
    let skew = FaultKind::ClockSkew {
        skew_ms: -3_600_000,
        duration_s: Some(3.0),
    };
    let (_, events) = with_fault(skew, 6);
    let offsets: Vec<i64> = events
        .iter()
        .filter_map(|(at, e)| match e {
            HostEvent::Metrics { metrics, .. } => {
                let t = metrics.first()?.timestamp()?;
                Some(t as i64 - at.as_millis() as i64)
            }
            _ => None,
        })
        .collect();
    assert!(offsets.contains(&-3_600_000), "{offsets:?}");
    assert!(offsets.last().is_some_and(|o| *o == 0), "{offsets:?}");
}

/// Flapping: as many offline/online pairs at the host as cycles.
#[test]
fn flapping_is_repeated_offline_online() {
    let flap = FaultKind::Flapping {
        cycles: 3,
        interval_s: 3.0,
    };
    let (_, events) = with_fault(flap, 15);
    assert_eq!(
        count(&events, |e| matches!(e, HostEvent::NodeOffline { .. })),
        3,
        "{events:#?}"
    );
    assert_eq!(births(&events), 3);
}

/// Store and forward: while offline the values are kept; after the births they reach the
/// host as historical metrics (SPARKPLUG.md 2.6, `is_historical`).
#[test]
fn store_forward_burst_arrives_as_history() {
    let burst = FaultKind::StoreForwardBurst { duration_s: 10.0 };
    let (lb, events) = with_fault(burst, 15);
    assert_eq!(
        count(&events, |e| matches!(e, HostEvent::NodeOffline { .. })),
        1
    );
    let historical: usize = events
        .iter()
        .map(|(_, e)| match e {
            HostEvent::Metrics { metrics, .. } => {
                metrics.iter().filter(|m| m.is_historical()).count()
            }
            _ => 0,
        })
        .sum();
    assert!(
        (9..=11).contains(&historical),
        "{historical} historical values"
    );
    assert!(lb.host().is_online("G", "N1"));
}

/// Every fault is reported to the application as injected.
#[test]
fn scheduled_faults_fire_at_their_time() {
    let text = format!(
        "{ONE}\n[[fault]]\nat_s = 5\nnode = \"N1\"\nkind = \"skip_seq\"\n[[fault]]\nat_s = 7\nkind = \"drop_connection\"\n"
    );
    let mut lb = loopback(scenario(&text, 1));
    lb.run_for(Duration::from_secs(4));
    assert!(
        !lb.take_sim_events()
            .iter()
            .any(|e| matches!(e, SimEvent::FaultInjected { .. }))
    );
    lb.run_for(Duration::from_secs(10));
    let kinds: Vec<&str> = lb
        .take_sim_events()
        .iter()
        .filter_map(|e| match e {
            SimEvent::FaultInjected { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, ["skip_seq", "drop_connection"]);
    assert_eq!(lb.scenario().counters().faults, 2);
}

/// tck-id-payloads-propertyset-quality-value-type, tck-id-payloads-propertyset-quality-value-value:
/// a failed sensor is published BAD (the `Quality` property) and the host sees BAD; once the
/// fault is over the next reading is GOOD again.
#[test]
fn failed_sensor_is_published_bad() {
    use sparkplug_b::Quality;
    let kind = FaultKind::FailedSensor {
        metric: Some("Device1/Walk".into()),
        duration_s: 5.0,
    };
    let (mut lb, events) = with_fault(kind, 3);
    let bad = events.iter().any(|(_, e)| match e {
        HostEvent::Metrics { metrics, .. } => metrics
            .iter()
            .any(|m| m.name() == "Walk" && m.quality() == Quality::Bad),
        _ => false,
    });
    assert!(bad, "a BAD update reached the host");
    let quality = |lb: &Loopback| {
        let app = lb.host().app();
        let g = sparkplug_b::topic::GroupId::new("G").unwrap();
        let n = sparkplug_b::topic::EdgeNodeId::new("N1").unwrap();
        let d = sparkplug_b::topic::DeviceId::new("Device1").unwrap();
        app.metric(&g, &n, Some(&d), "Walk").unwrap().quality
    };
    assert_eq!(quality(&lb), Quality::Bad);
    lb.run_for(Duration::from_secs(5));
    assert_eq!(quality(&lb), Quality::Good);
}
