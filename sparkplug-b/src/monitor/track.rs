//! Starting and stopping to track edge nodes and hosts, within the configured bounds, and
//! their reports.

use std::collections::HashMap;

use crate::session::Timestamp;
use crate::topic::{HostId, MessageType};

use super::NodeKey;
use super::edge::NodeTracker;
use super::finding::{CAPACITY, Finding, Severity, Subject};
use super::host::HostTracker;
use super::report::{DeviceReport, HostReport, NodeReport};

fn finding(
    now: Timestamp,
    subject: Subject,
    severity: Severity,
    tck_id: &'static str,
    detail: String,
) -> Finding {
    Finding {
        at: now,
        subject,
        tck_id,
        severity,
        message_type: None,
        detail,
    }
}

/// Makes sure `key` is tracked, dropping the least recently seen node beyond `max`; a new
/// node whose ids differ from another's only in case is reported
/// (`tck-id-case-sensitivity-sparkplug-ids`). Returns how many nodes were dropped.
pub(super) fn ensure_node(
    nodes: &mut HashMap<NodeKey, NodeTracker>,
    out: &mut Vec<Finding>,
    now: Timestamp,
    key: &NodeKey,
    max: usize,
) -> u64 {
    if nodes.contains_key(key) {
        return 0;
    }
    let mut evicted = 0;
    if nodes.len() >= max.max(1) {
        if let Some(old) = nodes
            .iter()
            .min_by_key(|(_, n)| n.last_seen)
            .map(|(k, _)| k.clone())
        {
            nodes.remove(&old);
            let detail = format!("no longer tracked: max_edge_nodes = {max}");
            let subject = Subject::EdgeNode {
                group: old.group,
                node: old.node,
            };
            out.push(finding(now, subject, Severity::Info, CAPACITY, detail));
            evicted = 1;
        }
    }
    let lower = (
        key.group.as_str().to_lowercase(),
        key.node.as_str().to_lowercase(),
    );
    let clash = nodes.iter().find_map(|(k, n)| {
        if k.group != key.group && n.lower.0 == lower.0 {
            Some(format!(
                "group ids {:?} and {:?} differ only in case",
                key.group.as_str(),
                k.group.as_str()
            ))
        } else if k.group == key.group && k.node != key.node && n.lower.1 == lower.1 {
            Some(format!(
                "edge node ids {:?} and {:?} differ only in case",
                key.node.as_str(),
                k.node.as_str()
            ))
        } else {
            None
        }
    });
    if let Some(detail) = clash {
        let subject = Subject::EdgeNode {
            group: key.group.clone(),
            node: key.node.clone(),
        };
        out.push(finding(
            now,
            subject,
            Severity::Should,
            "case-sensitivity-sparkplug-ids",
            detail,
        ));
    }
    nodes.insert(key.clone(), NodeTracker::new(now, lower));
    evicted
}

/// [`ensure_node`] for hosts.
pub(super) fn ensure_host(
    hosts: &mut HashMap<HostId, HostTracker>,
    out: &mut Vec<Finding>,
    now: Timestamp,
    id: &HostId,
    max: usize,
) -> u64 {
    if hosts.contains_key(id) {
        return 0;
    }
    let mut evicted = 0;
    if hosts.len() >= max.max(1) {
        if let Some(old) = hosts
            .iter()
            .min_by_key(|(_, h)| h.last_seen)
            .map(|(k, _)| k.clone())
        {
            hosts.remove(&old);
            let detail = format!("no longer tracked: max_hosts = {max}");
            out.push(finding(
                now,
                Subject::Host { id: old },
                Severity::Info,
                CAPACITY,
                detail,
            ));
            evicted = 1;
        }
    }
    let lower = id.as_str().to_lowercase();
    if let Some((other, _)) = hosts.iter().find(|(_, h)| h.lower == lower) {
        let detail = format!(
            "host ids {:?} and {:?} differ only in case",
            id.as_str(),
            other.as_str()
        );
        let mut f = finding(
            now,
            Subject::Host { id: id.clone() },
            Severity::Should,
            "case-sensitivity-sparkplug-ids",
            detail,
        );
        f.message_type = Some(MessageType::State);
        out.push(f);
    }
    hosts.insert(id.clone(), HostTracker::new(now, lower));
    evicted
}

pub(super) fn node_report(key: &NodeKey, node: &NodeTracker) -> NodeReport {
    let mut devices: Vec<DeviceReport> = node
        .devices
        .iter()
        .map(|(id, d)| DeviceReport {
            device: id.clone(),
            status: d.status,
            tally: d.tally.clone(),
        })
        .collect();
    devices.sort_by(|a, b| a.device.cmp(&b.device));
    NodeReport {
        group: key.group.clone(),
        node: key.node.clone(),
        status: node.status,
        bd_seq: node.bd_seq,
        seq: node.seq.map(|s| s.value()),
        births: node.births,
        rebirth_requests: node.rebirth_requests,
        tally: node.tally.clone(),
        devices,
    }
}

pub(super) fn host_report(id: &HostId, host: &HostTracker) -> HostReport {
    HostReport {
        host: id.clone(),
        status: host.status,
        birth_timestamp: host.birth_timestamp,
        retain_observed: host.retain_observed,
        tally: host.tally.clone(),
    }
}
