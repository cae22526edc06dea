//! Counters of what the simulator did.

/// Running totals since the scenario was built. All counts are of what the simulator handed
/// to its transport (after fault injection).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// Messages published (births, data, deaths).
    pub messages: u64,
    /// Payload bytes published.
    pub bytes: u64,
    /// Metric values in the published NDATA and DDATA messages.
    pub metrics: u64,
    /// NBIRTH and DBIRTH messages published.
    pub births: u64,
    /// Values sampled from the plants and generators.
    pub samples: u64,
    /// Samples skipped because the simulation fell more than a period behind.
    pub missed_samples: u64,
    /// Faults injected.
    pub faults: u64,
    /// Commands (NCMD/DCMD metrics) that changed a setpoint or a writable metric.
    pub commands_applied: u64,
    /// Commands refused (unknown, read-only, or a bad value).
    pub commands_rejected: u64,
}
