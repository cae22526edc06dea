//! [`Report`]: what the monitor has seen of each edge node, device and host application.

use core::fmt;
use std::collections::BTreeMap;

use crate::topic::{DeviceId, EdgeNodeId, GroupId, HostId};

use super::finding::{Finding, Severity};

/// Whether a node, device or host is online, as far as its messages show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Status {
    /// Seen, but neither its birth nor its death (the monitor started during its session).
    Unknown,
    /// Its birth was the last word.
    Online,
    /// Its death was the last word (for a device: also its node's death or new birth).
    Offline,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Unknown => "UNKNOWN",
            Status::Online => "ONLINE",
            Status::Offline => "OFFLINE",
        })
    }
}

/// Violations and observations counted by TCK assertion id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Tally {
    /// Messages seen.
    pub messages: u64,
    /// MUST and SHOULD violations in its own messages, by id.
    pub violations: BTreeMap<&'static str, u64>,
    /// Violations in commands addressed to it (sent by some host), by id.
    pub command_violations: BTreeMap<&'static str, u64>,
    /// Observations (not violations), by id.
    pub observations: BTreeMap<&'static str, u64>,
}

impl Tally {
    pub(super) fn add(&mut self, finding: &Finding) {
        let command = finding.message_type.is_some_and(|t| t.is_command());
        let map = match finding.severity {
            Severity::Info => &mut self.observations,
            _ if command => &mut self.command_violations,
            _ => &mut self.violations,
        };
        *map.entry(finding.tck_id).or_default() += 1;
    }

    /// Whether no violation was seen (observations aside).
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty() && self.command_violations.is_empty()
    }
}

/// One edge node.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct NodeReport {
    /// The group id.
    pub group: GroupId,
    /// The edge node id.
    pub node: EdgeNodeId,
    /// Online, offline or unknown.
    pub status: Status,
    /// The bdSeq of its current (or, offline, its last) session, when seen.
    pub bd_seq: Option<i64>,
    /// The seq of its last message of the seq stream, when known.
    pub seq: Option<u8>,
    /// NBIRTHs seen.
    pub births: u64,
    /// `Node Control/Rebirth` requests addressed to it.
    pub rebirth_requests: u64,
    /// Counts of its own messages (device messages are counted by each device).
    pub tally: Tally,
    /// Its devices, by id.
    pub devices: Vec<DeviceReport>,
}

/// One device.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct DeviceReport {
    /// The device id.
    pub device: DeviceId,
    /// Online, offline or unknown.
    pub status: Status,
    /// Counts of its messages.
    pub tally: Tally,
}

/// One host application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct HostReport {
    /// The Sparkplug host id.
    pub host: HostId,
    /// Online, offline or unknown.
    pub status: Status,
    /// The timestamp of its last STATE birth (its CONNECT time), when seen.
    pub birth_timestamp: Option<u64>,
    /// Whether a retained delivery of its online STATE was seen, which proves the birth was
    /// published with retain set.
    pub retain_observed: bool,
    /// Counts of its STATE messages.
    pub tally: Tally,
}

/// Everything the monitor has seen, by edge node and host, sorted by id.
///
/// `Display` renders it for humans; with the `serde` feature it serializes to JSON for the
/// REST API and the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Report {
    /// Messages handled.
    pub messages: u64,
    /// Messages outside the `spBv1.0/` namespace, ignored.
    pub ignored: u64,
    /// Findings produced, violations and observations.
    pub findings: u64,
    /// Findings dropped from the queue because nobody polled them (still counted here).
    pub dropped_findings: u64,
    /// Nodes, devices and hosts no longer tracked to stay within the configured bounds.
    pub evicted: u64,
    /// Violations by topics that do not parse, by id.
    pub topics: Tally,
    /// The tracked edge nodes.
    pub edge_nodes: Vec<NodeReport>,
    /// The tracked host applications.
    pub hosts: Vec<HostReport>,
}

impl Report {
    /// Whether no violation was seen anywhere.
    pub fn is_clean(&self) -> bool {
        self.topics.is_clean()
            && self.hosts.iter().all(|h| h.tally.is_clean())
            && self
                .edge_nodes
                .iter()
                .all(|n| n.tally.is_clean() && n.devices.iter().all(|d| d.tally.is_clean()))
    }
}

fn counts(f: &mut fmt::Formatter<'_>, indent: &str, tally: &Tally) -> fmt::Result {
    for (label, map) in [
        ("violations", &tally.violations),
        ("command violations", &tally.command_violations),
        ("observations", &tally.observations),
    ] {
        if !map.is_empty() {
            write!(f, "{indent}{label}:")?;
            for (id, n) in map {
                write!(f, " {id} x{n}")?;
            }
            writeln!(f)?;
        }
    }
    Ok(())
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} messages ({} outside spBv1.0), {} findings ({} dropped), {} trackers evicted",
            self.messages, self.ignored, self.findings, self.dropped_findings, self.evicted
        )?;
        if self.topics.messages > 0 {
            writeln!(f, "invalid topics: {}", self.topics.messages)?;
            counts(f, "  ", &self.topics)?;
        }
        for n in &self.edge_nodes {
            write!(f, "edge node {}/{}: {}", n.group, n.node, n.status)?;
            if let Some(bd) = n.bd_seq {
                write!(f, ", bdSeq {bd}")?;
            }
            if let Some(seq) = n.seq {
                write!(f, ", seq {seq}")?;
            }
            writeln!(
                f,
                ", {} messages, {} births, {} rebirth requests",
                n.tally.messages, n.births, n.rebirth_requests
            )?;
            counts(f, "  ", &n.tally)?;
            for d in &n.devices {
                writeln!(
                    f,
                    "  device {}: {}, {} messages",
                    d.device, d.status, d.tally.messages
                )?;
                counts(f, "    ", &d.tally)?;
            }
        }
        for h in &self.hosts {
            write!(f, "host {}: {}", h.host, h.status)?;
            if let Some(ts) = h.birth_timestamp {
                write!(f, ", birth timestamp {ts}")?;
            }
            if h.retain_observed {
                f.write_str(", retain observed")?;
            }
            writeln!(f, ", {} messages", h.tally.messages)?;
            counts(f, "  ", &h.tally)?;
        }
        Ok(())
    }
}
