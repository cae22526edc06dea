//! The embedded MQTT broker (rumqttd) for running on defaults with nothing installed.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

/// Why the embedded broker did not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BrokerError {
    /// Something already listens on the address, most likely another MQTT broker.
    #[error(
        "cannot start the embedded MQTT broker: {addr} is already in use (another broker?). \
         Use that broker with --mqtt-url mqtt://{addr}, or move the embedded one with \
         --broker-addr"
    )]
    AddressInUse {
        /// The address.
        addr: SocketAddr,
    },
    /// The address cannot be bound for another reason.
    #[error("cannot start the embedded MQTT broker on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// It did not accept connections in time.
    #[error("the embedded MQTT broker did not start listening on {addr} within {waited:?}")]
    NotListening {
        /// The address.
        addr: SocketAddr,
        /// How long we waited.
        waited: Duration,
    },
}

/// Starts rumqttd on `addr` (MQTT 3.1.1) in a thread of its own and waits until it accepts
/// connections. The broker lives as long as the process.
pub(crate) fn start(addr: SocketAddr, max_connections: usize) -> Result<SocketAddr, BrokerError> {
    // rumqttd reports a taken port only in its log; probing first gives the user a real error.
    match TcpListener::bind(addr) {
        Ok(probe) => drop(probe),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            return Err(BrokerError::AddressInUse { addr });
        }
        Err(source) => return Err(BrokerError::Bind { addr, source }),
    }
    let server = ServerSettings {
        name: "v4".to_owned(),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 10_000,
            max_payload_size: 1 << 20,
            max_inflight_count: 500,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let config = Config {
        id: 0,
        router: RouterConfig {
            max_connections,
            max_outgoing_packet_count: 1000,
            max_segment_size: 16 << 20,
            max_segment_count: 10,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([("1".to_owned(), server)])),
        ..Config::default()
    };
    std::thread::Builder::new()
        .name("rumqttd".to_owned())
        .spawn(move || {
            let mut broker = Broker::new(config);
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "The embedded MQTT broker stopped.");
            }
        })
        .map_err(|source| BrokerError::Bind { addr, source })?;
    let waited = Duration::from_secs(10);
    let deadline = Instant::now() + waited;
    while !answers_mqtt(addr) {
        if Instant::now() > deadline {
            return Err(BrokerError::NotListening { addr, waited });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(addr)
}

/// An MQTT 3.1.1 CONNECT (clean session, keep-alive 10 s, client id `iceplant-probe`).
const PROBE_CONNECT: &[u8] = &[
    0x10, 26, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 10, 0, 14, b'i', b'c', b'e', b'p', b'l',
    b'a', b'n', b't', b'-', b'p', b'r', b'o', b'b', b'e',
];

/// Whether a broker on `addr` accepts an MQTT session: CONNECT, a CONNACK that accepts, then
/// DISCONNECT. A complete session rather than a bare TCP connect, which the broker would log
/// as an error.
fn answers_mqtt(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut connack = [0u8; 4];
    let accepted = stream.write_all(PROBE_CONNECT).is_ok()
        && stream.read_exact(&mut connack).is_ok()
        && connack[0] == 0x20
        && connack[3] == 0;
    // DISCONNECT, so the broker sees a clean end of the session.
    let _ = stream.write_all(&[0xE0, 0]);
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_port_says_so_and_suggests_mqtt_url() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        let err = start(addr, 10).unwrap_err();
        assert!(matches!(err, BrokerError::AddressInUse { .. }));
        assert!(err.to_string().contains("--mqtt-url"), "{err}");
    }

    #[test]
    fn it_accepts_connections_once_started() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        start(addr, 10).unwrap();
        assert!(answers_mqtt(addr), "an MQTT session is accepted");
    }

    #[test]
    fn a_listener_that_does_not_speak_mqtt_is_not_a_broker() {
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        assert!(!answers_mqtt(silent.local_addr().unwrap()));
    }
}
