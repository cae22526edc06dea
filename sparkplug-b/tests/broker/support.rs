//! Brokers, ids and bounded waits for the scenarios.

use std::collections::HashMap;
use std::fmt::Debug;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};
use sparkplug_b::driver::{BrokerUrl, EventReceiver, MqttVersion, RunnerEvent};
use sparkplug_b::session::HostEvent;
use tokio::time::{Instant, timeout_at};

/// The longest any single wait may take.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// The embedded broker's listeners.
pub(crate) struct Rumqttd {
    pub(crate) v4: BrokerUrl,
    pub(crate) v5: BrokerUrl,
}

/// A loopback port nothing listens on (at the time of asking).
pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

fn settings(name: &str, port: u16) -> ServerSettings {
    ServerSettings {
        name: name.to_owned(),
        listen: SocketAddr::from(([127, 0, 0, 1], port)),
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 10_000,
            max_payload_size: 1 << 20,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    }
}

/// Starts a rumqttd broker on these loopback ports (MQTT 3.1.1 and, if given, 5) in a thread
/// of its own, and waits until it accepts connections.
pub(crate) fn start_rumqttd(v4: u16, v5: Option<u16>) {
    let config = Config {
        id: 0,
        router: RouterConfig {
            max_connections: 100,
            max_outgoing_packet_count: 200,
            max_segment_size: 1 << 20,
            max_segment_count: 10,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([("1".to_owned(), settings("v4", v4))])),
        v5: v5.map(|port| HashMap::from([("1".to_owned(), settings("v5", port))])),
        ..Config::default()
    };
    std::thread::spawn(move || {
        let mut broker = Broker::new(config);
        if let Err(e) = broker.start() {
            eprintln!("rumqttd stopped: {e}");
        }
    });
    for port in std::iter::once(v4).chain(v5) {
        let deadline = std::time::Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "rumqttd did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The broker shared by the tests of this binary, started on first use.
pub(crate) fn rumqttd() -> &'static Rumqttd {
    static BROKER: OnceLock<Rumqttd> = OnceLock::new();
    BROKER.get_or_init(|| {
        let (v4, v5) = (free_port(), free_port());
        start_rumqttd(v4, Some(v5));
        Rumqttd {
            v4: BrokerUrl::new("127.0.0.1", v4),
            v5: BrokerUrl::new("127.0.0.1", v5).with_version(MqttVersion::V5),
        }
    })
}

/// The broker of `SPARKPLUG_TEST_MQTT_URL`, or `None` with a note when it is unset.
pub(crate) fn env_broker(test: &str) -> Option<BrokerUrl> {
    match std::env::var("SPARKPLUG_TEST_MQTT_URL") {
        Ok(url) if !url.is_empty() => Some(
            url.parse()
                .expect("SPARKPLUG_TEST_MQTT_URL is a broker URL"),
        ),
        _ => {
            eprintln!("{test}: skipped, SPARKPLUG_TEST_MQTT_URL is not set");
            None
        }
    }
}

/// An id no earlier run used: `<prefix><pid>x<ms>x<n>`.
pub(crate) fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{}x{ms}x{n}", std::process::id())
}

/// Reads events until `pick` returns `Some`; panics after [`WAIT`] or when the runner stops.
pub(crate) async fn wait_for<E: Debug, T>(
    events: &mut EventReceiver<E>,
    what: &str,
    mut pick: impl FnMut(RunnerEvent<E>) -> Option<T>,
) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        match timeout_at(deadline, events.recv()).await {
            Ok(Some(event)) => {
                if let Some(found) = pick(event) {
                    return found;
                }
            }
            Ok(None) => panic!("the runner stopped while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

/// Waits for the host's STATE birth: from then on the host is subscribed and online.
pub(crate) async fn host_state_birth(events: &mut EventReceiver<HostEvent>) {
    wait_for(events, "the host's STATE birth", |e| {
        matches!(
            e,
            RunnerEvent::Session(HostEvent::StateBirthPublished { .. })
        )
        .then_some(())
    })
    .await;
}

/// Awaits a future for at most [`WAIT`].
pub(crate) async fn bounded<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Clears the retained STATE a scenario's host left on the broker, so that runs against a
/// long-lived broker do not pile them up. Best effort, bounded.
pub(crate) async fn clear_state(url: &BrokerUrl, host: &sparkplug_b::topic::HostId) {
    use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};
    let mut options = MqttOptions::new(unique("clear"), url.host(), url.port());
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut eventloop) = AsyncClient::new(options, 10);
    let topic = format!("spBv1.0/STATE/{host}");
    if client
        .publish(topic, QoS::AtLeastOnce, true, Vec::new())
        .await
        .is_err()
    {
        return;
    }
    let done = async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    let _ = client.try_disconnect();
                }
                Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    let _ = tokio::time::timeout(WAIT, done).await;
}

/// A Mosquitto of the test's own (`mosquitto -c FILE`, anonymous, on a free loopback port),
/// killed when dropped, so that a test can take a server away.
pub(crate) struct Mosquitto {
    child: std::process::Child,
    dir: std::path::PathBuf,
    pub(crate) url: BrokerUrl,
}

impl Mosquitto {
    /// Starts one and waits until it accepts connections; `None` with a note when there is
    /// no `mosquitto` binary.
    pub(crate) fn start(test: &str) -> Option<Mosquitto> {
        let port = free_port();
        let dir = std::env::temp_dir().join(unique("sparkplug-mosquitto-"));
        std::fs::create_dir_all(&dir).expect("a directory for the Mosquitto config");
        let file = dir.join("mosquitto.conf");
        std::fs::write(
            &file,
            format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"),
        )
        .expect("the Mosquitto config");
        let child = match std::process::Command::new("mosquitto")
            .arg("-c")
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                eprintln!("{test}: skipped, no mosquitto binary ({e})");
                let _ = std::fs::remove_dir_all(&dir);
                return None;
            }
        };
        let mosquitto = Mosquitto {
            child,
            dir,
            url: BrokerUrl::new("127.0.0.1", port),
        };
        let deadline = std::time::Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "mosquitto did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(mosquitto)
    }

    /// Kills the broker (a server going away without a word) and waits for it to end.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
