//! Hostile and broken traffic (issue 12): what it may cost is bounded, and it is counted.

use super::*;
use crate::session::BdSeq;
use crate::session::host::MAX_VIOLATIONS_PER_MESSAGE;

fn violations(events: &[HostEvent]) -> Vec<&HostEvent> {
    events
        .iter()
        .filter(|e| matches!(e, HostEvent::Violation { .. }))
        .collect()
}

/// tck-id-payloads-alias-uniqueness and the alias rules: one NDATA with 50,000 metrics of
/// unknown aliases gives MAX_VIOLATIONS_PER_MESSAGE violations one by one and one more with
/// the count of the rest, not 50,000 events; every one is counted.
#[test]
fn a_message_full_of_bad_metrics_costs_a_bounded_number_of_events() {
    let mut host = born(config());
    let metrics = (0..50_000u64)
        .map(|i| Metric::aliased(1_000 + i, 1.0).with_timestamp(T0 + 20))
        .collect();
    host.handle_publish(t(20), NDATA, &data(1, T0 + 20, metrics));
    let seen = events(&mut host);
    let found = violations(&seen);
    assert_eq!(found.len(), MAX_VIOLATIONS_PER_MESSAGE + 1);
    let HostEvent::Violation { detail, .. } = found[MAX_VIOLATIONS_PER_MESSAGE] else {
        unreachable!()
    };
    let rest = 50_000 - MAX_VIOLATIONS_PER_MESSAGE;
    assert!(
        detail.starts_with(&format!("{rest} more violations in this message")),
        "{detail}"
    );
    let stats = host.stats();
    assert_eq!(stats.violations, 50_000);
    assert_eq!(stats.violations_summarised, rest as u64);
    // The next message has its own budget.
    host.handle_publish(
        t(21),
        NDATA,
        &data(
            2,
            T0 + 21,
            vec![Metric::aliased(999, 1.0).with_timestamp(T0 + 21)],
        ),
    );
    assert_eq!(violations(&events(&mut host)).len(), 1);
}

/// Edge nodes known only from junk (data before any birth, undecodable births, random ids)
/// are bounded: past `max_unborn_nodes` the oldest are forgotten; a born node never is.
#[test]
fn nodes_that_exist_only_in_junk_are_bounded() {
    let mut host = born(config().with_max_unborn_nodes(8));
    for i in 0..100 {
        let topic = format!("spBv1.0/G1/NDATA/junk{i}");
        host.handle_publish(t(20 + i), &topic, b"\xff\x00not a payload");
    }
    let (sent, _) = drain(&mut host);
    let ncmds = publishes(&sent)
        .iter()
        .filter(|p| p.topic.contains("/NCMD/junk"))
        .count();
    assert_eq!(
        ncmds,
        crate::session::host::MAX_UNBORN_REBIRTHS,
        "bounded NCMDs to junk"
    );
    let stats = host.stats();
    assert_eq!(stats.undecodable_payloads, 100);
    assert_eq!((stats.unborn_nodes, stats.unborn_nodes_evicted), (8, 92));
    let known: Vec<String> = host.nodes().map(|(_, e, _)| e.to_string()).collect();
    assert_eq!(known.len(), 9, "{known:?}");
    assert!(known.contains(&"E1".to_owned()), "the born node stays");
    assert!(known.contains(&"junk99".to_owned()) && !known.contains(&"junk0".to_owned()));
    // A junk node that is born after all is a node: it no longer counts as unborn.
    host.handle_publish(t(200), "spBv1.0/G1/NBIRTH/junk99", &nbirth(0, 0, T0 + 200));
    assert_eq!(host.stats().unborn_nodes, 7);
    assert!(
        host.node(&g(), &EdgeNodeId::new("junk99").unwrap())
            .unwrap()
            .is_online()
    );
}

/// tck-id-topic-structure-namespace-unique-edge-node-descriptor,
/// tck-id-intro-edge-node-id-uniqueness: an NBIRTH with another bdSeq while the node's
/// session is live (a second client with the same node id) is raised and counted; the new
/// birth is taken. A rebirth (same bdSeq) and a birth after a death are not duplicates.
#[test]
fn a_second_birth_while_the_session_is_live_is_a_duplicate() {
    let mut host = born(config());
    host.handle_publish(t(20), NBIRTH, &nbirth(0, 3, T0 + 20));
    assert!(
        !events(&mut host)
            .iter()
            .any(|e| matches!(e, HostEvent::DuplicateNodeBirth { .. })),
        "a rebirth of the same session"
    );
    host.handle_publish(t(30), NBIRTH, &nbirth(0, 9, T0 + 30));
    let seen = events(&mut host);
    assert!(seen.contains(&HostEvent::DuplicateNodeBirth {
        group: g(),
        node: e(),
        current_bd_seq: Some(BdSeq::new(3)),
        new_bd_seq: Some(BdSeq::new(9)),
        session_since: t(20),
        at: t(30),
    }));
    assert_eq!(host.stats().duplicate_births, 1);
    assert_eq!(host.node(&g(), &e()).unwrap().bd_seq(), Some(BdSeq::new(9)));
    let death = Payload::new(T0 + 40)
        .with_metric(Metric::new("bdSeq", 9i64))
        .encode_to_vec()
        .unwrap();
    host.handle_publish(t(40), NDEATH, &death);
    host.handle_publish(t(41), NBIRTH, &nbirth(0, 10, T0 + 41));
    assert_eq!(host.stats().duplicate_births, 1, "a birth after a death");
}

/// tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline: a
/// forged NDEATH with the wrong bdSeq is ignored, and counted.
#[test]
fn a_forged_ndeath_is_ignored_and_counted() {
    let mut host = born(config());
    let forged = Payload::new(T0 + 20)
        .with_metric(Metric::new("bdSeq", 4i64))
        .encode_to_vec()
        .unwrap();
    host.handle_publish(t(20), NDEATH, &forged);
    assert!(host.node(&g(), &e()).unwrap().is_online());
    assert_eq!(host.stats().stale_ndeaths_ignored, 1);
}
