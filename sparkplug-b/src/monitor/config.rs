//! What the monitor is told about its own subscription, and the bounds on what it keeps.

use core::time::Duration;

use crate::DecodeOptions;

/// Configuration of a [`Monitor`](super::Monitor).
///
/// ```
/// use sparkplug_b::monitor::{Monitor, MonitorConfig};
///
/// let config = MonitorConfig::default()
///     .with_subscription_qos(1)
///     .with_max_edge_nodes(10_000);
/// let monitor = Monitor::new(config);
/// # drop(monitor);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MonitorConfig {
    /// The maximum QoS the monitor's subscription to `spBv1.0/#` asked for (and was granted).
    /// A broker delivers each message at min(publish QoS, subscription QoS), so STATE messages
    /// delivered at QoS 0 prove a QoS 0 publish only when this is at least 1. Default 1.
    pub subscription_qos: u8,
    /// How many edge nodes are tracked at once; past it the least recently seen one is dropped
    /// (and reported). Default 4096.
    pub max_edge_nodes: usize,
    /// How many devices of one edge node are tracked at once; past it the least recently seen
    /// one is dropped (and reported). Default 1024.
    pub max_devices_per_node: usize,
    /// How many host applications are tracked at once; past it the least recently seen one is
    /// dropped (and reported). Default 256.
    pub max_hosts: usize,
    /// How many findings wait for [`Monitor::poll_finding`](super::Monitor::poll_finding);
    /// past it the oldest is dropped (the [`Report`](super::Report) still counts it).
    /// Default 10 000.
    pub max_pending_findings: usize,
    /// The largest birth whose metrics are remembered to check later data against; a larger
    /// birth is graded on its own but its data is not resolved. Default 65 536 metrics.
    pub max_metrics_per_birth: usize,
    /// When set, a payload timestamp further than this from the receive time is reported
    /// (`tck-id-payloads-timestamp-in-UTC`, as the TCK's UTC window), and so are metric
    /// timestamps of metrics that are not historical (`tck-id-payloads-metric-timestamp-in-UTC`,
    /// one finding per message). Off by default: it grades the edge's clock against the
    /// monitor's.
    pub utc_window: Option<Duration>,
    /// Limits of the payload decoder.
    pub decode: DecodeOptions,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            subscription_qos: 1,
            max_edge_nodes: 4096,
            max_devices_per_node: 1024,
            max_hosts: 256,
            max_pending_findings: 10_000,
            max_metrics_per_birth: 65_536,
            utc_window: None,
            decode: DecodeOptions::default(),
        }
    }
}

impl MonitorConfig {
    /// Sets [`MonitorConfig::subscription_qos`] (builder style).
    pub fn with_subscription_qos(mut self, qos: u8) -> Self {
        self.subscription_qos = qos;
        self
    }

    /// Sets [`MonitorConfig::max_edge_nodes`] (builder style).
    pub fn with_max_edge_nodes(mut self, max: usize) -> Self {
        self.max_edge_nodes = max;
        self
    }

    /// Sets [`MonitorConfig::max_devices_per_node`] (builder style).
    pub fn with_max_devices_per_node(mut self, max: usize) -> Self {
        self.max_devices_per_node = max;
        self
    }

    /// Sets [`MonitorConfig::max_hosts`] (builder style).
    pub fn with_max_hosts(mut self, max: usize) -> Self {
        self.max_hosts = max;
        self
    }

    /// Sets [`MonitorConfig::max_pending_findings`] (builder style).
    pub fn with_max_pending_findings(mut self, max: usize) -> Self {
        self.max_pending_findings = max;
        self
    }

    /// Sets [`MonitorConfig::max_metrics_per_birth`] (builder style).
    pub fn with_max_metrics_per_birth(mut self, max: usize) -> Self {
        self.max_metrics_per_birth = max;
        self
    }

    /// Sets [`MonitorConfig::utc_window`] (builder style).
    pub fn with_utc_window(mut self, window: Option<Duration>) -> Self {
        self.utc_window = window;
        self
    }

    /// Sets [`MonitorConfig::decode`] (builder style).
    pub fn with_decode_options(mut self, options: DecodeOptions) -> Self {
        self.decode = options;
        self
    }
}
