//! What the host application counted: [`HostStats`].

/// Counts of what the host application saw that did not become data: undecodable payloads,
/// ignored deaths, rule violations, duplicate births, and the edge nodes it stopped tracking.
/// Read with [`HostApplication::stats`](super::HostApplication::stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostStats {
    /// Payloads that did not decode (edge node messages and STATE bodies).
    pub undecodable_payloads: u64,
    /// NDEATHs ignored because their bdSeq is not the current NBIRTH's (a late Will, or a
    /// forged death) or the node was never born.
    pub stale_ndeaths_ignored: u64,
    /// Rule violations found (every one, reported or summed up).
    pub violations: u64,
    /// Of those, the ones not reported one by one but summed up in one more
    /// [`HostEvent::Violation`](super::HostEvent::Violation) of their message (more than
    /// [`MAX_VIOLATIONS_PER_MESSAGE`](super::MAX_VIOLATIONS_PER_MESSAGE) in one message).
    pub violations_summarised: u64,
    /// NBIRTHs for an edge node whose session was live (a second client with the same node
    /// id, or a duplicated birth): see
    /// [`HostEvent::DuplicateNodeBirth`](super::HostEvent::DuplicateNodeBirth).
    pub duplicate_births: u64,
    /// Edge nodes known only from messages other than a birth that the host stopped tracking,
    /// oldest first, to stay within
    /// [`HostConfig::max_unborn_nodes`](super::HostConfig::max_unborn_nodes).
    pub unborn_nodes_evicted: u64,
    /// Edge nodes known now that were never born (gauge).
    pub unborn_nodes: u64,
}
