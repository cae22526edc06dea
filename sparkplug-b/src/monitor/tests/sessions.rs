//! Whole sessions of the crate's own edge node and host application: conforming traffic gives
//! no violation.

use super::*;
use crate::DataType;
use crate::session::{EdgeNode, EdgeNodeConfig, HostApplication, HostConfig, MetricSpec};
use crate::topic::{DeviceId, EdgeNodeId, GroupId, HostId};

fn drain_edge(edge: &mut EdgeNode) -> Vec<Transmit> {
    core::iter::from_fn(|| edge.poll_transmit()).collect()
}

fn drain_host(host: &mut HostApplication) -> Vec<Transmit> {
    core::iter::from_fn(|| host.poll_transmit()).collect()
}

/// tck-id-payloads-sequence-num-incrementing, tck-id-topics-nbirth-bdseq-increment,
/// tck-id-payloads-ndeath-bdseq, tck-id-host-topic-phid-birth-payload: an edge node with a
/// device, aliases, data, a rebirth requested by a host, a lost connection (its Will) and a
/// new session, all graded clean.
#[test]
fn a_conforming_edge_node_and_host_give_no_violation() {
    let mut h = Harness::new();
    let group = GroupId::new("G").unwrap();
    let node_id = EdgeNodeId::new("E").unwrap();
    let device = DeviceId::new("D").unwrap();
    let t = |ms: u64| Timestamp::from_millis(T0 + ms);

    let mut host = HostApplication::new(HostConfig::new(HostId::new("scada").unwrap()));
    let _will = host.connect(t(0));
    host.handle_connected(t(0));
    deliver(&mut h, drain_host(&mut host));

    let config = EdgeNodeConfig::new(group.clone(), node_id.clone()).with_aliases(true);
    let mut edge = EdgeNode::new(config, None);
    edge.add_node_metric(t(0), MetricSpec::with_initial("Temp", 1.5))
        .unwrap();
    let specs = [MetricSpec::new("Speed", DataType::Int32)];
    edge.add_device(t(0), device.clone(), specs).unwrap();
    let will = edge.connect(t(1)).will;
    edge.handle_connected(t(1));
    deliver(&mut h, drain_edge(&mut edge));
    for i in 0..300u32 {
        edge.set_metric(t(10 + u64::from(i)), None, "Temp", f64::from(i))
            .unwrap();
        edge.set_metric(t(10 + u64::from(i)), Some(&device), "Speed", i as i32)
            .unwrap();
        edge.flush(t(10 + u64::from(i)));
        deliver(&mut h, drain_edge(&mut edge));
    }

    host.request_rebirth(t(400), &group, &node_id).unwrap();
    for (topic, payload) in deliver(&mut h, drain_host(&mut host)) {
        edge.handle_publish(t(400), &topic, &payload);
    }
    edge.handle_timeout(t(5_000));
    deliver(&mut h, drain_edge(&mut edge));
    edge.set_metric(t(5_001), None, "Temp", -1.0).unwrap();
    edge.flush(t(5_001));
    deliver(&mut h, drain_edge(&mut edge));

    // The connection breaks: the broker publishes the Will; the next session has bdSeq + 1.
    edge.handle_disconnected(t(6_000));
    h.raw(&will.topic, &will.payload, 1, false);
    let _ = edge.connect(t(7_000));
    edge.handle_connected(t(7_000));
    deliver(&mut h, drain_edge(&mut edge));

    let findings = h.findings();
    let violations: Vec<_> = findings.iter().filter(|f| f.is_violation()).collect();
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(
        findings
            .iter()
            .any(|f| f.tck_id == "operational-behavior-data-commands-ncmd-rebirth-name")
    );
    let report = h.monitor.report();
    assert!(report.is_clean(), "{report}");
    let node = h.node();
    assert_eq!(node.status, Status::Online);
    assert_eq!(
        (node.bd_seq, node.births, node.rebirth_requests),
        (Some(1), 3, 1)
    );
    assert_eq!(node.devices[0].status, Status::Online);
    assert_eq!(report.hosts[0].status, Status::Online);
}
