//! The errors of the driver: one type per operation.
//!
//! A broken connection is not an error of [`run`](super::EdgeNodeRunner::run): the runner
//! reports it as [`RunnerEvent::ConnectionLost`](super::RunnerEvent::ConnectionLost) and
//! reconnects. `run` only fails when it gives up ([`DriverError`]).

use std::error::Error as StdError;

/// Why a broker URL was refused by [`BrokerUrl`](super::BrokerUrl)'s `FromStr`. The URLs it
/// holds have their password masked ([`redact_url`](super::redact_url)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// No `scheme://` in front.
    #[error("broker URL {0:?} has no scheme: write mqtt://host:port")]
    MissingScheme(String),
    /// A scheme other than `mqtt`, `tcp`, `mqtts`, `ssl`, `mqtt5`, `mqtts5`.
    #[error("broker URL scheme {0:?} is not one of mqtt, tcp, mqtts, ssl, mqtt5, mqtts5")]
    UnsupportedScheme(String),
    /// Nothing between `://` and the port.
    #[error("broker URL {0:?} has no host")]
    MissingHost(String),
    /// The port is not a number from 1 to 65535.
    #[error("broker URL port {0:?} is not a number from 1 to 65535")]
    InvalidPort(String),
    /// A path, query, fragment or user info: credentials go in
    /// [`MqttConfig::with_credentials`](super::MqttConfig::with_credentials).
    #[error("broker URL {0:?} may only hold scheme://host:port")]
    UnexpectedPart(String),
}

/// An MQTT connection attempt failed or an established connection broke.
#[derive(Debug, thiserror::Error)]
#[error("MQTT connection to {broker} failed")]
pub struct ConnectionError {
    broker: String,
    #[source]
    source: Box<dyn StdError + Send + Sync>,
}

impl ConnectionError {
    pub(crate) fn new(broker: String, source: impl StdError + Send + Sync + 'static) -> Self {
        ConnectionError {
            broker,
            source: Box::new(source),
        }
    }

    /// The broker, as `host:port`.
    pub fn broker(&self) -> &str {
        &self.broker
    }
}

/// Why a runner stopped other than by a clean shutdown.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// [`Backoff::max_attempts`](super::Backoff::max_attempts) connection attempts in a row
    /// failed.
    #[error("gave up after {attempts} connection attempts in a row failed")]
    GaveUp {
        /// How many attempts failed.
        attempts: u32,
        /// The last failure.
        #[source]
        last: ConnectionError,
    },
    /// The platform's root certificates could not be loaded for an `mqtts` connection (set a
    /// CA with [`MqttConfig::with_ca_pem`](super::MqttConfig::with_ca_pem) instead).
    #[error("the platform's TLS root certificates could not be loaded")]
    TlsRoots,
}

/// The runner behind a handle has stopped (shut down, failed, or its task was dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the Sparkplug MQTT runner has stopped")]
pub struct RunnerStopped;

/// Why a request through a handle failed: the state machine refused it (`Rejected`, with the
/// state machine's own error), or the runner is gone.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError<E: StdError + 'static> {
    /// The state machine refused the request.
    #[error(transparent)]
    Rejected(E),
    /// The runner has stopped.
    #[error(transparent)]
    Stopped(#[from] RunnerStopped),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::edge::UnknownDevice;
    use crate::topic::DeviceId;

    #[test]
    fn errors_keep_their_source() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = ConnectionError::new("127.0.0.1:1".into(), io);
        assert_eq!(e.broker(), "127.0.0.1:1");
        assert_eq!(
            e.source().map(ToString::to_string).as_deref(),
            Some("refused")
        );
        let gave_up = DriverError::GaveUp {
            attempts: 3,
            last: e,
        };
        assert!(gave_up.source().is_some());
        let rejected: RequestError<UnknownDevice> =
            RequestError::Rejected(UnknownDevice(DeviceId::new("d").unwrap()));
        assert!(rejected.to_string().contains("not attached"));
        let stopped: RequestError<UnknownDevice> = RunnerStopped.into();
        assert_eq!(stopped, RequestError::Stopped(RunnerStopped));
    }
}
