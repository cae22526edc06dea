//! The options shared by both runners: broker, credentials, TLS, keep-alive, back-off, channels.

use core::fmt;
use core::time::Duration;

use super::error::DriverError;
use super::url::BrokerUrl;
use crate::session::QoS;

/// A user name and password for the MQTT CONNECT. `Debug` does not show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// How long to wait before reconnecting: exponential, capped, jittered.
///
/// After the `n`th failed attempt in a row (a lost connection counts as the first), the runner
/// waits `min(max, initial * 2^(n-1))`, shortened by a random fraction of up to `jitter` of it,
/// so that many clients cut off together do not come back together. A CONNACK resets `n`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Backoff {
    /// The first delay. Default 500 ms.
    pub initial: Duration,
    /// The longest delay. Default 30 s.
    pub max: Duration,
    /// The largest fraction (0 to 1) taken off a delay at random. Default 0.5.
    pub jitter: f64,
    /// Give up after this many failed attempts in a row; `None` (the default) never gives up.
    pub max_attempts: Option<u32>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            jitter: 0.5,
            max_attempts: None,
        }
    }
}

impl Backoff {
    /// Sets the first and the longest delay (builder style).
    pub fn with_delays(mut self, initial: Duration, max: Duration) -> Self {
        self.initial = initial;
        self.max = max.max(initial);
        self
    }

    /// Sets the jitter fraction, clamped to 0..=1 (builder style).
    pub fn with_jitter(mut self, jitter: f64) -> Self {
        self.jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        self
    }

    /// Sets how many failed attempts in a row make the runner give up (builder style).
    pub fn with_max_attempts(mut self, attempts: Option<u32>) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The delay after the `attempt`th failure in a row (from 1), with `random` in `0..1`
    /// choosing the jitter.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let full = self
            .initial
            .saturating_mul(1u32 << doublings)
            .min(self.max.max(self.initial));
        let cut = (self.jitter.clamp(0.0, 1.0) * random.clamp(0.0, 1.0)).min(1.0);
        full.mul_f64(1.0 - cut)
    }
}

/// What a runner does with an event when the application's event channel is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum EventOverflow {
    /// Drop the event and count it; the count is reported by a
    /// [`RunnerEvent::EventsDropped`](super::RunnerEvent::EventsDropped) as soon as there is
    /// room again, and by the handles' `dropped_events()`. The runner never waits on the
    /// application. The default.
    #[default]
    DropNewest,
    /// Wait until the application takes events. Nothing is lost, but while the runner waits it
    /// reads nothing from the broker and sends no keep-alive, and a task that both drains the
    /// events and awaits a handle request can deadlock: drain events in a task of their own.
    Wait,
}

/// The MQTT side of a runner: broker, credentials, TLS, timing and channel sizes.
///
/// The client id and the Will come from the state machine
/// ([`EdgeNodeConfig::client_id`](crate::session::EdgeNodeConfig::client_id),
/// [`HostConfig::client_id`](crate::session::HostConfig::client_id)). Sessions are always
/// clean.
///
/// ```
/// use core::time::Duration;
/// use sparkplug_b::driver::{Backoff, MqttConfig};
///
/// let config = MqttConfig::new("mqtts://broker.example".parse()?)
///     .with_credentials("plant", "secret")
///     .with_keep_alive(Duration::from_secs(15))
///     .with_backoff(Backoff::default().with_max_attempts(Some(10)));
/// assert!(!format!("{config:?}").contains("secret"));
/// # Ok::<(), sparkplug_b::driver::UrlError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MqttConfig {
    /// The broker, the transport (TCP or TLS) and the protocol version.
    pub broker: BrokerUrl,
    /// Further brokers, tried in turn after `broker` (then `broker` again): a runner moves to
    /// the next one after a connection attempt fails, and an edge node also when its Primary
    /// Host goes offline, is not online within
    /// [`EdgeNodeConfig::primary_host_wait`](crate::session::edge::EdgeNodeConfig) (default
    /// 30 s) or an NCMD writes `Node Control/Next Server` = true (SPARKPLUG.md 2.6: NDEATH,
    /// disconnect, next server, round-robin; one server at a time). Default none.
    pub servers: Vec<BrokerUrl>,
    /// The MQTT keep-alive: whole seconds, at least 1 s, 0 for none. Default 30 s.
    pub keep_alive: Duration,
    /// The user name and password, if the broker wants them. Default none.
    pub credentials: Option<Credentials>,
    /// PEM certificates of the certificate authorities to trust for TLS; `None` (the default)
    /// trusts the platform's root certificates.
    pub ca_pem: Option<Vec<u8>>,
    /// The largest MQTT packet sent or received, in bytes. Default 8 MiB.
    pub max_packet_size: usize,
    /// How long a connection attempt (TCP, TLS and CONNACK) may take. Default 10 s.
    pub connect_timeout: Duration,
    /// The reconnect delays.
    pub backoff: Backoff,
    /// The capacity of the event channel to the application. Default 1024.
    pub event_capacity: usize,
    /// What happens when the event channel is full. Default [`EventOverflow::DropNewest`].
    pub event_overflow: EventOverflow,
    /// The capacity of the request channel from the handles. Default 64.
    pub command_capacity: usize,
    /// How long a clean shutdown (or a move away from an offline Primary Host) waits for the
    /// death message's PUBACK and the DISCONNECT. Default 5 s.
    pub shutdown_timeout: Duration,
}

impl MqttConfig {
    /// The defaults given on each field, for `broker`.
    pub fn new(broker: BrokerUrl) -> Self {
        MqttConfig {
            broker,
            servers: Vec::new(),
            keep_alive: Duration::from_secs(30),
            credentials: None,
            ca_pem: None,
            max_packet_size: 8 * 1024 * 1024,
            connect_timeout: Duration::from_secs(10),
            backoff: Backoff::default(),
            event_capacity: 1024,
            event_overflow: EventOverflow::default(),
            command_capacity: 64,
            shutdown_timeout: Duration::from_secs(5),
        }
    }

    /// Sets the brokers tried after `broker`, in turn (builder style).
    pub fn with_servers(mut self, servers: impl IntoIterator<Item = BrokerUrl>) -> Self {
        self.servers = servers.into_iter().collect();
        self
    }

    /// Every broker in the order they are tried: `broker`, then `servers`.
    pub fn rotation(&self) -> Vec<BrokerUrl> {
        std::iter::once(self.broker.clone())
            .chain(self.servers.iter().cloned())
            .collect()
    }

    /// Sets the keep-alive (builder style).
    pub fn with_keep_alive(mut self, keep_alive: Duration) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    /// Sets the user name and password (builder style).
    pub fn with_credentials(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials {
            username: username.into(),
            password: password.into(),
        });
        self
    }

    /// Trusts these PEM CA certificates for TLS instead of the platform's (builder style).
    pub fn with_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// Sets the largest packet size (builder style).
    pub fn with_max_packet_size(mut self, bytes: usize) -> Self {
        self.max_packet_size = bytes;
        self
    }

    /// Sets the connection timeout (builder style).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the reconnect back-off (builder style).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sets the event channel's capacity (at least 1) and overflow policy (builder style).
    pub fn with_events(mut self, capacity: usize, overflow: EventOverflow) -> Self {
        self.event_capacity = capacity.max(1);
        self.event_overflow = overflow;
        self
    }

    /// Sets the request channel's capacity, at least 1 (builder style).
    pub fn with_command_capacity(mut self, capacity: usize) -> Self {
        self.command_capacity = capacity.max(1);
        self
    }

    /// Sets how long a clean shutdown may take (builder style).
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// The keep-alive as rumqttc takes it: 0, or whole seconds and at least one.
    pub(crate) fn keep_alive_secs(&self) -> Duration {
        match self.keep_alive.as_secs() {
            0 if self.keep_alive.is_zero() => Duration::ZERO,
            secs => Duration::from_secs(secs.max(1)),
        }
    }
}

impl MqttConfig {
    /// The rumqttc transport of this configuration: TCP, or TLS with [`MqttConfig::ca_pem`] or
    /// the platform's roots. For transports of one's own built on rumqttc (the simulator's is
    /// one) that want the same TLS rules as the runners.
    pub fn transport(&self) -> Result<rumqttc::Transport, DriverError> {
        if !self.broker.tls() {
            return Ok(rumqttc::Transport::tcp());
        }
        match &self.ca_pem {
            Some(ca) => Ok(rumqttc::Transport::tls(ca.clone(), None, None)),
            // rumqttc panics when the platform's roots cannot be read; keep that out of the caller.
            None => std::panic::catch_unwind(std::panic::AssertUnwindSafe(
                rumqttc::Transport::tls_with_default_config,
            ))
            .map_err(|_| DriverError::TlsRoots),
        }
    }
}

impl From<QoS> for rumqttc::QoS {
    fn from(qos: QoS) -> Self {
        match qos {
            QoS::AtMostOnce => rumqttc::QoS::AtMostOnce,
            QoS::AtLeastOnce => rumqttc::QoS::AtLeastOnce,
            QoS::ExactlyOnce => rumqttc::QoS::ExactlyOnce,
        }
    }
}

impl From<QoS> for rumqttc::v5::mqttbytes::QoS {
    fn from(qos: QoS) -> Self {
        match qos {
            QoS::AtMostOnce => rumqttc::v5::mqttbytes::QoS::AtMostOnce,
            QoS::AtLeastOnce => rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
            QoS::ExactlyOnce => rumqttc::v5::mqttbytes::QoS::ExactlyOnce,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitters() {
        let b = Backoff::default()
            .with_delays(Duration::from_millis(100), Duration::from_secs(1))
            .with_jitter(0.5);
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(100));
        assert_eq!(b.delay(2, 0.0), Duration::from_millis(200));
        assert_eq!(b.delay(4, 0.0), Duration::from_millis(800));
        assert_eq!(b.delay(5, 0.0), Duration::from_secs(1));
        assert_eq!(b.delay(u32::MAX, 0.0), Duration::from_secs(1));
        assert_eq!(b.delay(1, 1.0), Duration::from_millis(50));
        assert_eq!(b.delay(0, 0.0), Duration::from_millis(100));
        assert_eq!(Backoff::default().with_jitter(f64::NAN).jitter, 0.0);
        assert_eq!(Backoff::default().with_jitter(7.0).jitter, 1.0);
    }

    #[test]
    fn config_defaults_and_keep_alive_rounding() {
        let c = MqttConfig::new(BrokerUrl::new("h", 1883))
            .with_keep_alive(Duration::from_millis(300))
            .with_events(0, EventOverflow::Wait)
            .with_command_capacity(0)
            .with_ca_pem(b"pem".to_vec())
            .with_max_packet_size(10)
            .with_connect_timeout(Duration::from_secs(1))
            .with_shutdown_timeout(Duration::from_secs(1))
            .with_backoff(Backoff::default().with_max_attempts(Some(2)));
        assert_eq!(c.keep_alive_secs(), Duration::from_secs(1));
        assert_eq!((c.event_capacity, c.command_capacity), (1, 1));
        assert_eq!(c.event_overflow, EventOverflow::Wait);
        let c = c.with_keep_alive(Duration::ZERO);
        assert_eq!(c.keep_alive_secs(), Duration::ZERO);
        let c = c.with_keep_alive(Duration::from_millis(2500));
        assert_eq!(c.keep_alive_secs(), Duration::from_secs(2));
        let creds = format!("{:?}", c.with_credentials("u", "pw").credentials);
        assert!(creds.contains("\"u\"") && !creds.contains("pw"));
    }
}
