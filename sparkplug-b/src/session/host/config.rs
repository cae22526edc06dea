//! The configuration of a host application.

use core::time::Duration;

use crate::topic::HostId;
use crate::{DecodeOptions, EncodeOptions};

/// How a [`HostApplication`](super::HostApplication) behaves. Build one with
/// [`HostConfig::new`] and the `with_*` setters.
///
/// ```
/// use core::time::Duration;
/// use sparkplug_b::session::host::HostConfig;
/// use sparkplug_b::topic::HostId;
///
/// let config = HostConfig::new(HostId::new("scada-primary")?)
///     .with_reorder_timeout(Duration::from_secs(2))
///     .with_rebirth_min_interval(Duration::from_secs(10));
/// assert_eq!(config.client_id, "scada-primary");
/// # Ok::<(), sparkplug_b::topic::IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostConfig {
    /// The Sparkplug host id: the STATE topic is `spBv1.0/STATE/<host_id>`.
    pub host_id: HostId,
    /// The MQTT client id. Default: the host id.
    pub client_id: String,
    /// How long an out-of-order message waits for the ones before it before the host gives up
    /// and asks for a rebirth (`tck-id-operational-behavior-host-reordering-param`). Zero turns
    /// reordering off: gaps are reported and messages processed at once. Default 2 s.
    pub reorder_timeout: Duration,
    /// How many out-of-order messages one edge node may have held at a time; one more and the
    /// host gives up as on a timeout. Default 64.
    pub max_held_messages: usize,
    /// The least time between two automatic rebirth requests to the same edge node, so that
    /// several hosts cannot cause a rebirth storm (SPARKPLUG.md 2.3). The node's NBIRTH
    /// starts the interval afresh, and a reorder timeout's request is never held back (the
    /// spec requires it). Default 5 s.
    pub rebirth_min_interval: Duration,
    /// What `online:false` on the host's own STATE topic makes the host do (see
    /// [`OwnStateOffline`]). Default [`OwnStateOffline::NewSession`].
    pub own_state_offline: OwnStateOffline,
    /// How many edge nodes known only from messages other than a birth (data or deaths before
    /// any NBIRTH, malformed births, junk with random node ids) the host tracks; past it, it
    /// forgets the oldest ([`HostStats::unborn_nodes_evicted`](super::HostStats)). Default
    /// 1024.
    pub max_unborn_nodes: usize,
    /// How commands (NCMD, DCMD) are encoded.
    pub encode_options: EncodeOptions,
    /// How received payloads are decoded (limits against hostile input).
    pub decode_options: DecodeOptions,
}

/// What a host application does when `online:false` arrives on its own STATE topic
/// (SPARKPLUG.md 2.6) while it is online.
///
/// Such a message is either the host's own Will from an earlier session, retained by the
/// broker (its timestamp is older than the current birth's, and edge nodes ignore it), or a
/// message some other client published. The second kind is the dangerous one: with a timestamp
/// no older than the current birth's, every edge node that waits for this host takes it as the
/// host going offline, publishes its NDEATH and reconnects; and since the edge nodes accept a
/// birth only if its timestamp is no older than the last STATE they saw, the Sparkplug 3.0
/// answer (the same birth again) leaves them waiting for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum OwnStateOffline {
    /// An offline STATE older than the current birth is answered with the birth again (same
    /// timestamp), as in Sparkplug 3.0. One that is not older ends the MQTT session
    /// ([`DisconnectReason::NewSession`](crate::session::DisconnectReason::NewSession)): the
    /// next session's Will and STATE birth carry a timestamp newer than both the clock and the
    /// offline message, so the edge nodes accept it and are born again. This is the rule of the
    /// specification's development branch (disconnect and reconnect with a new timestamp).
    #[default]
    NewSession,
    /// Always answered with the birth again, with the same timestamp: the Sparkplug 3.0 rule
    /// (`tck-id-message-flow-hid-sparkplug-state-message-delivered`), as the 3.0 TCK checks
    /// it. A forged offline STATE keeps the edge nodes offline until the host restarts.
    RepublishSameTimestamp,
    /// Only reported
    /// ([`HostEvent::OwnStateOffline`](super::HostEvent::OwnStateOffline)); the application
    /// decides.
    Report,
}

impl HostConfig {
    /// The defaults for `host_id`.
    pub fn new(host_id: HostId) -> Self {
        HostConfig {
            client_id: host_id.as_str().to_owned(),
            host_id,
            reorder_timeout: Duration::from_secs(2),
            max_held_messages: 64,
            rebirth_min_interval: Duration::from_secs(5),
            own_state_offline: OwnStateOffline::default(),
            max_unborn_nodes: 1024,
            encode_options: EncodeOptions::default(),
            decode_options: DecodeOptions::default(),
        }
    }

    /// Sets the MQTT client id (builder style).
    pub fn with_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// Sets the reorder timeout; zero turns reordering off (builder style).
    pub fn with_reorder_timeout(mut self, timeout: Duration) -> Self {
        self.reorder_timeout = timeout;
        self
    }

    /// Sets how many out-of-order messages a node may have held (builder style).
    pub fn with_max_held_messages(mut self, max: usize) -> Self {
        self.max_held_messages = max;
        self
    }

    /// Sets the least time between automatic rebirth requests to a node (builder style).
    pub fn with_rebirth_min_interval(mut self, interval: Duration) -> Self {
        self.rebirth_min_interval = interval;
        self
    }

    /// Sets what an offline STATE of the host's own makes it do (builder style).
    pub fn with_own_state_offline(mut self, policy: OwnStateOffline) -> Self {
        self.own_state_offline = policy;
        self
    }

    /// Sets how many never-born edge nodes the host tracks (builder style).
    pub fn with_max_unborn_nodes(mut self, max: usize) -> Self {
        self.max_unborn_nodes = max;
        self
    }

    /// Sets how commands are encoded (builder style).
    pub fn with_encode_options(mut self, options: EncodeOptions) -> Self {
        self.encode_options = options;
        self
    }

    /// Sets how received payloads are decoded (builder style).
    pub fn with_decode_options(mut self, options: DecodeOptions) -> Self {
        self.decode_options = options;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tck-id-operational-behavior-host-reordering-param: the reorder timeout is configurable.
    #[test]
    fn defaults_and_setters() {
        let id = HostId::new("h1").unwrap();
        let config = HostConfig::new(id.clone());
        assert_eq!(config.client_id, "h1");
        assert_eq!(config.own_state_offline, OwnStateOffline::NewSession);
        assert_eq!(config.reorder_timeout, Duration::from_secs(2));
        let config = config
            .with_client_id("c")
            .with_reorder_timeout(Duration::ZERO)
            .with_max_held_messages(3)
            .with_rebirth_min_interval(Duration::ZERO)
            .with_own_state_offline(OwnStateOffline::Report)
            .with_encode_options(EncodeOptions::default().with_uint32_in_long_value(true))
            .with_decode_options(DecodeOptions::default().with_max_depth(4));
        assert_eq!(
            (
                config.client_id.as_str(),
                config.reorder_timeout,
                config.max_held_messages
            ),
            ("c", Duration::ZERO, 3)
        );
        assert_eq!(config.own_state_offline, OwnStateOffline::Report);
        assert!(config.encode_options.uint32_in_long_value);
        assert_eq!((config.decode_options.max_depth, config.host_id), (4, id));
    }
}
