//! Seq ordering, the reorder timeout, rebirth requests and hostile input.

use proptest::prelude::*;

use super::*;
use crate::session::host::{Presence, RebirthReason};
use crate::session::{BdSeq, Seq};
use crate::topic::MessageType;

fn gaps(events: &[HostEvent]) -> Vec<(u8, u8)> {
    events
        .iter()
        .filter_map(|ev| match ev {
            HostEvent::SeqGap {
                expected,
                received,
                bd_seq,
                ..
            } => {
                assert_eq!(*bd_seq, Some(BdSeq::new(3)));
                Some((expected.value(), received.value()))
            }
            _ => None,
        })
        .collect()
}

fn seqs(events: &[HostEvent]) -> Vec<(Option<u8>, bool)> {
    metric_events(events)
        .into_iter()
        .map(|(_, seq, oos, _)| (seq, oos))
        .collect()
}

/// tck-id-operational-behavior-host-reordering-param,
/// tck-id-operational-behavior-host-reordering-start,
/// tck-id-operational-behavior-host-reordering-rebirth: the TCK's MessageOrderingTest — three good
/// DDATA, one withheld, the next
/// sent: the timer starts, and on expiry the host asks for a rebirth and delivers what it held.
#[test]
fn an_unfilled_gap_times_out_into_a_rebirth() {
    let mut host = born(config());
    for (i, seq) in [2u8, 3, 4].into_iter().enumerate() {
        host.handle_publish(t(100 + i as u64), DDATA, &level(seq, seq.into()));
    }
    // 5 is withheld.
    host.handle_publish(t(200), DDATA, &level(6, 6));
    host.handle_publish(t(300), NDATA, &data(7, T0, vec![]));
    let (sent, seen) = drain(&mut host);
    assert!(sent.is_empty());
    assert_eq!(
        seqs(&seen),
        [(Some(2), false), (Some(3), false), (Some(4), false)]
    );
    assert_eq!(gaps(&seen), [(5, 6)]);
    assert_eq!(host.node(&g(), &e()).unwrap().held_messages(), 2);
    assert_eq!(host.poll_timeout(), Some(t(1200)));

    host.handle_timeout(t(1199));
    assert_eq!(drain(&mut host), (vec![], vec![]));
    host.handle_timeout(t(1200));
    let (sent, seen) = drain(&mut host);
    assert_eq!(seqs(&seen), [(Some(6), true), (Some(7), true)]);
    assert_eq!(rebirth_requests(&sent).len(), 1);
    assert!(seen.contains(&HostEvent::RebirthRequested {
        group: g(),
        node: e(),
        reason: RebirthReason::ReorderTimeout {
            expected: Seq::new(5)
        }
    }));
    assert_eq!(host.poll_timeout(), None);
    assert_eq!(
        host.metric(&g(), &e(), Some(&d()), "Level").unwrap().value,
        Some(Value::UInt16(6))
    );

    // The rebirth answers: NBIRTH seq 0 resynchronises, nothing is held, no timer.
    host.handle_publish(t(1300), NBIRTH, &nbirth(0, 3, T0 + 1300));
    host.handle_publish(t(1301), DBIRTH, &dbirth(1, T0 + 1301));
    host.handle_publish(t(1302), DDATA, &level(2, 2));
    let seen = events(&mut host);
    assert!(gaps(&seen).is_empty());
    assert_eq!(
        host.node(&g(), &e()).unwrap().expected_seq(),
        Some(Seq::new(3))
    );
}

/// tck-id-operational-behavior-host-reordering-rebirth: the reorder timeout's rebirth request
/// is a MUST and is never held back by the rate limit, even right after another request.
#[test]
fn a_reorder_timeout_rebirth_is_never_suppressed() {
    let mut host = born(config());
    host.request_rebirth(t(100), &g(), &e()).unwrap();
    drain(&mut host);
    // Within the 5 s interval of that request, a gap opens and times out.
    host.handle_publish(t(200), DDATA, &level(3, 3));
    host.handle_timeout(t(1200));
    let (sent, seen) = drain(&mut host);
    assert_eq!(rebirth_requests(&sent).len(), 1, "{seen:?}");
    assert!(seen.contains(&HostEvent::RebirthRequested {
        group: g(),
        node: e(),
        reason: RebirthReason::ReorderTimeout {
            expected: Seq::new(2)
        }
    }));
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, HostEvent::RebirthSuppressed { .. }))
    );
}

/// tck-id-operational-behavior-host-reordering-rebirth: an NBIRTH answers the earlier request,
/// so the rate limit starts afresh: a gap right after it is asked about at once.
#[test]
fn an_nbirth_resets_the_rebirth_rate_limit() {
    let mut host = born(config().with_reorder_timeout(Duration::ZERO));
    host.request_rebirth(t(100), &g(), &e()).unwrap();
    host.handle_publish(t(200), NBIRTH, &nbirth(0, 3, T0 + 200));
    host.handle_publish(t(201), DBIRTH, &dbirth(1, T0 + 201));
    drain(&mut host);
    host.handle_publish(t(300), DDATA, &level(4, 4));
    let (sent, seen) = drain(&mut host);
    assert_eq!(gaps(&seen), [(2, 4)]);
    assert_eq!(rebirth_requests(&sent).len(), 1, "{seen:?}");
}

/// tck-id-operational-behavior-host-reordering-success: the missing message arrives after half
/// the timeout: everything is delivered in seq order, the timer is cancelled, no rebirth.
#[test]
fn a_gap_filled_in_time_is_delivered_in_order_without_a_rebirth() {
    let mut host = born(config());
    host.handle_publish(t(100), DDATA, &level(3, 3));
    host.handle_publish(t(110), DDATA, &level(4, 4));
    assert_eq!(host.poll_timeout(), Some(t(1100)));
    host.handle_publish(t(600), DDATA, &level(2, 2));
    let (sent, seen) = drain(&mut host);
    assert!(sent.is_empty());
    assert_eq!(gaps(&seen), [(2, 3)]);
    assert_eq!(
        seqs(&seen),
        [(Some(2), false), (Some(3), false), (Some(4), false)]
    );
    assert_eq!(host.poll_timeout(), None);
    host.handle_timeout(t(5000));
    assert_eq!(drain(&mut host), (vec![], vec![]));
    // Held messages keep their receive time.
    let received: Vec<_> = seen
        .iter()
        .filter_map(|ev| match ev {
            HostEvent::Metrics { received_at, .. } => Some(*received_at),
            _ => None,
        })
        .collect();
    assert_eq!(received, [t(600), t(100), t(110)]);
    assert_eq!(
        host.metric(&g(), &e(), Some(&d()), "Level").unwrap().value,
        Some(Value::UInt16(4))
    );
}

/// A zero reorder timeout: the gap is reported, the message processed at once (out of
/// sequence), and a rebirth asked for.
#[test]
fn without_reordering_gaps_are_processed_at_once() {
    let mut host = born(config().with_reorder_timeout(Duration::ZERO));
    host.handle_publish(t(100), DDATA, &level(4, 4));
    let (sent, seen) = drain(&mut host);
    assert_eq!(gaps(&seen), [(2, 4)]);
    assert_eq!(seqs(&seen), [(Some(4), true)]);
    assert_eq!(rebirth_requests(&sent).len(), 1);
    assert_eq!(host.poll_timeout(), None);
    host.handle_publish(t(101), DDATA, &level(5, 5));
    assert_eq!(seqs(&events(&mut host)), [(Some(5), false)]);
}

/// tck-id-payloads-sequence-num-incrementing: 255 is followed by 0, across node and device
/// messages (one counter per edge node).
#[test]
fn the_seq_wraps_across_node_and_device_messages() {
    let mut host = online(config());
    host.handle_publish(t(1), NBIRTH, &nbirth(253, 3, T0));
    host.handle_publish(t(2), DBIRTH, &dbirth(254, T0));
    host.handle_publish(t(3), NDATA, &data(255, T0, vec![]));
    host.handle_publish(t(4), DDATA, &level(0, 1));
    host.handle_publish(t(5), DDEATH, &ddeath(1, T0 + 5));
    host.handle_publish(t(6), NDATA, &data(2, T0, vec![]));
    let seen = events(&mut host);
    assert!(gaps(&seen).is_empty());
    assert_eq!(
        seqs(&seen),
        [
            (Some(253), false),
            (Some(254), false),
            (Some(255), false),
            (Some(0), false),
            (Some(2), false)
        ]
    );
}

/// Memory stays bounded: past the configured number of held messages the host gives up as on a
/// timeout.
#[test]
fn the_reorder_buffer_is_bounded() {
    let mut host = born(config().with_max_held_messages(3));
    for seq in 3..=6u8 {
        host.handle_publish(t(100), NDATA, &data(seq, T0, vec![]));
        assert!(host.node(&g(), &e()).unwrap().held_messages() <= 3);
    }
    let (sent, seen) = drain(&mut host);
    assert_eq!(
        seqs(&seen),
        [
            (Some(3), true),
            (Some(4), true),
            (Some(5), true),
            (Some(6), true)
        ]
    );
    assert_eq!(rebirth_requests(&sent).len(), 1);
    assert!(seen.contains(&HostEvent::RebirthRequested {
        group: g(),
        node: e(),
        reason: RebirthReason::ReorderBufferFull
    }));
    assert_eq!(host.poll_timeout(), None);
}

/// SPARKPLUG.md 2.3: data before a birth asks for a rebirth, at most once per interval per node.
#[test]
fn data_before_birth_asks_for_rate_limited_rebirths() {
    let mut host = online(config());
    host.handle_publish(t(10), NDATA, &data(7, T0, vec![]));
    host.handle_publish(t(11), DDATA, &level(8, 1));
    let (sent, seen) = drain(&mut host);
    let requests = rebirth_requests(&sent);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].timestamp, Some(T0 + 10));
    assert_eq!(
        seen,
        [
            HostEvent::RebirthRequested {
                group: g(),
                node: e(),
                reason: RebirthReason::MessageBeforeBirth(MessageType::NData)
            },
            HostEvent::RebirthSuppressed {
                group: g(),
                node: e(),
                reason: RebirthReason::MessageBeforeBirth(MessageType::DData)
            },
        ]
    );
    assert_eq!(
        host.node(&g(), &e()).unwrap().presence(),
        Presence::AwaitingRebirth
    );
    // Another node is limited on its own.
    host.handle_publish(t(12), "spBv1.0/G1/NDATA/E2", &data(1, T0, vec![]));
    assert_eq!(transmits(&mut host).len(), 1);
    host.handle_publish(t(10 + 5000), NDATA, &data(9, T0, vec![]));
    assert_eq!(rebirth_requests(&transmits(&mut host)).len(), 1);
    // An NDEATH for a node never seen born is no reason to act.
    host.handle_publish(t(6000), NDEATH, &ndeath(0));
    assert!(matches!(
        events(&mut host).last(),
        Some(HostEvent::StaleNdeathIgnored {
            current_bd_seq: None,
            ..
        })
    ));
}

/// A payload that does not decode is a violation and asks for a rebirth; an undecodable NDEATH
/// only the violation.
#[test]
fn malformed_payloads_are_violations() {
    let mut host = born(config());
    host.handle_publish(t(20), NDATA, &[0x12, 0x05, 0x0a]);
    let (sent, seen) = drain(&mut host);
    assert_eq!(rebirth_requests(&sent).len(), 1);
    assert!(matches!(
        &seen[0],
        HostEvent::Violation {
            tck_id: "topics-ndata-payload",
            message_type: Some(MessageType::NData),
            ..
        }
    ));
    assert!(seen.contains(&HostEvent::RebirthRequested {
        group: g(),
        node: e(),
        reason: RebirthReason::MalformedPayload(MessageType::NData)
    }));
    host.handle_publish(t(21), NDEATH, &[0xff]);
    let (sent, seen) = drain(&mut host);
    assert!(sent.is_empty());
    assert_eq!(seen.len(), 1);
    assert!(host.node(&g(), &e()).unwrap().is_online());
}

/// tck-id-topic-structure: a malformed topic in the namespace is a violation; other topics,
/// and commands of other hosts, are none of the host's business.
#[test]
fn topics_outside_the_rules() {
    let mut host = online(config());
    host.handle_publish(t(1), "spBv1.0/G1/FOO/E1", b"");
    host.handle_publish(t(1), "spBv1.0/G1/NDATA", b"");
    // tck-id-intro-group-id-chars, tck-id-intro-edge-node-id-chars: ids MQTT does not allow.
    host.handle_publish(t(1), "spBv1.0/a\u{1}b/NBIRTH/E1", b"");
    host.handle_publish(t(1), "spBv1.0/G1/NDATA/E\u{fffe}", b"");
    host.handle_publish(t(1), "other/topic", b"");
    host.handle_publish(t(1), "spBv1.0/G1/NCMD/E1", b"\xff");
    host.handle_publish(t(1), "spBv1.0/G1/DCMD/E1/D1", b"\xff");
    let (sent, seen) = drain(&mut host);
    assert!(sent.is_empty());
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|ev| matches!(
        ev,
        HostEvent::Violation {
            tck_id: "topic-structure",
            group: None,
            ..
        }
    )));
    assert_eq!(host.nodes().count(), 0);
}

/// Before the CONNACK, messages are not processed and no timer runs.
#[test]
fn nothing_is_processed_while_disconnected() {
    let mut host = HostApplication::new(config());
    host.handle_publish(t(1), NBIRTH, &nbirth(0, 0, T0));
    host.handle_timeout(t(2));
    host.handle_disconnected(t(3));
    assert_eq!(drain(&mut host), (vec![], vec![]));
    assert!(host.node(&g(), &e()).is_none());
}

const TOPICS: [&str; 8] = [
    NBIRTH,
    NDEATH,
    NDATA,
    DBIRTH,
    DDATA,
    DDEATH,
    "spBv1.0/STATE/host1",
    "spBv1.0/G1/NDATA/E2",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Never panic on anything from the network; memory per node stays bounded.
    #[test]
    fn hostile_input_never_panics(
        messages in prop::collection::vec(
            (0..TOPICS.len(), prop::collection::vec(any::<u8>(), 0..64), 0u64..3000),
            0..40,
        ),
        seqs in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut host = born(config().with_max_held_messages(4));
        let mut now = 100;
        for (i, (topic, bytes, step)) in messages.into_iter().enumerate() {
            now += step;
            host.handle_publish(t(now), TOPICS[topic], &bytes);
            // Also well-formed messages with arbitrary seqs.
            if let Some(&seq) = seqs.get(i) {
                host.handle_publish(t(now), DDATA, &level(seq, seq.into()));
            }
            if let Some(due) = host.poll_timeout() {
                if due <= t(now) {
                    host.handle_timeout(t(now));
                }
            }
            for (_, _, node) in host.nodes() {
                prop_assert!(node.held_messages() <= 4);
            }
            drain(&mut host);
        }
        host.handle_timeout(t(now + 10_000));
        prop_assert_eq!(host.poll_timeout(), None);
    }
}
