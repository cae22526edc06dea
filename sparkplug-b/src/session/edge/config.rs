//! The configuration of an edge node.

use core::time::Duration;

use crate::EncodeOptions;
use crate::topic::{EdgeNodeId, GroupId, HostId};

/// How an [`EdgeNode`](super::EdgeNode) identifies itself and behaves.
///
/// ```
/// use core::time::Duration;
/// use sparkplug_b::session::EdgeNodeConfig;
/// use sparkplug_b::topic::{EdgeNodeId, GroupId, HostId};
///
/// let config = EdgeNodeConfig::new(GroupId::new("IcePlant")?, EdgeNodeId::new("Plant1")?)
///     .with_primary_host(HostId::new("scada")?)
///     .with_aliases(true)
///     .with_rebirth_debounce(Duration::from_secs(2))
///     .with_store_forward_capacity(50_000);
/// assert_eq!(config.client_id, "IcePlant-Plant1");
/// # Ok::<(), sparkplug_b::topic::IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EdgeNodeConfig {
    /// The Sparkplug group id.
    pub group: GroupId,
    /// The edge node id.
    pub node: EdgeNodeId,
    /// The Primary Host Application to wait for before publishing births
    /// (`tck-id-message-flow-edge-node-birth-publish-phid-wait`); `None` publishes births right
    /// after connecting. Default `None`.
    pub primary_host: Option<HostId>,
    /// The MQTT client id. Default `<group>-<node>`.
    pub client_id: String,
    /// Whether metrics get aliases: births then carry name and alias, data carries the alias
    /// alone (`tck-id-payloads-alias-data-cmd-requirement`). Default `false`.
    pub aliases: bool,
    /// Encoder switches (where UInt32 values go).
    pub encode: EncodeOptions,
    /// The least time between two birth sequences caused by rebirth requests. A request that
    /// comes sooner is not dropped: it is honoured when the window ends. Default 1 s.
    pub rebirth_debounce: Duration,
    /// How many metric values store and forward keeps while the node cannot publish live
    /// (disconnected, or the Primary Host offline); the oldest are dropped beyond it.
    /// 0 turns store and forward off. Default 10 000.
    pub store_forward_capacity: usize,
    /// The most stored metric values published in one historical NDATA or DDATA.
    /// Default 500.
    pub store_forward_batch: usize,
    /// How long the node waits, connected, for its Primary Host's STATE `online:true` before
    /// it leaves the server (NDEATH, then
    /// [`DisconnectReason::PrimaryHostWaitExpired`](crate::session::DisconnectReason)) so that
    /// the driver walks to the next server of its list (SPARKPLUG.md 2.6,
    /// `tck-id-operational-behavior-primary-application-state-with-multiple-servers-walk`).
    /// `None` waits for ever. Only used with a Primary Host. Default 30 s.
    pub primary_host_wait: Option<Duration>,
}

impl EdgeNodeConfig {
    /// A configuration with the defaults given on each field.
    pub fn new(group: GroupId, node: EdgeNodeId) -> Self {
        EdgeNodeConfig {
            client_id: format!("{group}-{node}"),
            group,
            node,
            primary_host: None,
            aliases: false,
            encode: EncodeOptions::default(),
            rebirth_debounce: Duration::from_secs(1),
            store_forward_capacity: 10_000,
            store_forward_batch: 500,
            primary_host_wait: Some(Duration::from_secs(30)),
        }
    }

    /// Sets the Primary Host Application to wait for (builder style).
    pub fn with_primary_host(mut self, host: HostId) -> Self {
        self.primary_host = Some(host);
        self
    }

    /// Sets the MQTT client id (builder style).
    pub fn with_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// Turns aliases on or off (builder style).
    pub fn with_aliases(mut self, on: bool) -> Self {
        self.aliases = on;
        self
    }

    /// Sets the encoder switches (builder style).
    pub fn with_encode_options(mut self, options: EncodeOptions) -> Self {
        self.encode = options;
        self
    }

    /// Sets how long to wait for the Primary Host on a server before walking to the next one;
    /// `None` or zero waits for ever (builder style).
    pub fn with_primary_host_wait(mut self, wait: Option<Duration>) -> Self {
        self.primary_host_wait = wait.filter(|w| !w.is_zero());
        self
    }

    /// Sets the rebirth debounce delay (builder style).
    pub fn with_rebirth_debounce(mut self, delay: Duration) -> Self {
        self.rebirth_debounce = delay;
        self
    }

    /// Sets the store-and-forward capacity in metric values, 0 for none (builder style).
    pub fn with_store_forward_capacity(mut self, capacity: usize) -> Self {
        self.store_forward_capacity = capacity;
        self
    }

    /// Sets how many stored values go in one historical message, at least 1 (builder style).
    pub fn with_store_forward_batch(mut self, batch: usize) -> Self {
        self.store_forward_batch = batch.max(1);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_builders() {
        let c = EdgeNodeConfig::new(GroupId::new("G").unwrap(), EdgeNodeId::new("E").unwrap());
        assert_eq!(c.client_id, "G-E");
        assert!(!c.aliases && c.primary_host.is_none());
        assert_eq!(c.rebirth_debounce, Duration::from_secs(1));
        let c = c
            .with_client_id("x")
            .with_store_forward_batch(0)
            .with_store_forward_capacity(0)
            .with_encode_options(EncodeOptions::default().with_uint32_in_long_value(true));
        assert_eq!(c.client_id, "x");
        assert_eq!(c.store_forward_batch, 1);
        assert_eq!(c.store_forward_capacity, 0);
        assert!(c.encode.uint32_in_long_value);
    }
}
