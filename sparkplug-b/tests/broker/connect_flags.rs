//! The CONNECT packets the runners send, read byte by byte by a listener that plays the broker
//! just long enough to see them: Clean Session (MQTT 3.1.1), Clean Start and a Session Expiry
//! Interval of 0 (MQTT 5), for the edge node and the host application.

use std::time::Duration;

use sparkplug_b::driver::{
    Backoff, BrokerUrl, MemoryBdSeqStore, MqttConfig, MqttVersion, run_edge_node, run_host,
};
use sparkplug_b::session::{EdgeNode, EdgeNodeConfig, HostApplication, HostConfig};
use sparkplug_b::topic::{EdgeNodeId, GroupId, HostId};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use crate::support::{WAIT, unique};

/// What a CONNECT packet says about the session.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SessionFlags {
    /// The protocol level: 4 for MQTT 3.1.1, 5 for MQTT 5.
    pub(crate) level: u8,
    /// Bit 1 of the connect flags: Clean Session (3.1.1) or Clean Start (5).
    pub(crate) clean: bool,
    /// MQTT 5's Session Expiry Interval; absent means 0.
    pub(crate) session_expiry: Option<u32>,
}

/// Starts `start` against a listener on a free loopback port and returns the flags of the
/// first CONNECT it sends. What `start` returns (the runner's handles) lives until then, so
/// the runner does not shut down before it connects.
async fn first_connect<G>(
    version: MqttVersion,
    start: impl FnOnce(MqttConfig) -> G,
) -> SessionFlags {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("local address").port();
    let url = BrokerUrl::new("127.0.0.1", port).with_version(version);
    let runner = start(
        MqttConfig::new(url)
            .with_connect_timeout(Duration::from_secs(2))
            .with_backoff(
                Backoff::default()
                    .with_delays(Duration::from_millis(50), Duration::from_millis(200)),
            ),
    );
    let (mut socket, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .expect("the runner connects in time")
        .expect("accept");
    let mut header = [0u8; 1];
    socket
        .read_exact(&mut header)
        .await
        .expect("a fixed header");
    assert_eq!(header[0], 0x10, "the first packet is a CONNECT");
    let length = read_varint(&mut socket).await;
    let mut body = vec![0u8; length as usize];
    socket
        .read_exact(&mut body)
        .await
        .expect("the whole CONNECT");
    drop(runner);
    parse_connect(&body)
}

async fn read_varint(socket: &mut tokio::net::TcpStream) -> u32 {
    let (mut value, mut shift) = (0u32, 0);
    loop {
        let byte = socket.read_u8().await.expect("a length byte");
        value |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return value;
        }
        shift += 7;
        assert!(shift <= 21, "a remaining length of at most four bytes");
    }
}

/// The variable header of a CONNECT: protocol name, level, flags, keep alive, and (MQTT 5) the
/// properties, of which only the Session Expiry Interval (0x11) matters here.
fn parse_connect(body: &[u8]) -> SessionFlags {
    assert_eq!(&body[..6], b"\x00\x04MQTT", "protocol name");
    let level = body[6];
    let clean = body[7] & 0x02 != 0;
    let mut session_expiry = None;
    if level == 5 {
        let (props_len, mut at) = varint(&body[10..]);
        at += 10;
        let end = at + props_len as usize;
        while at < end {
            let id = body[at];
            at += 1;
            match id {
                0x11 => {
                    let bytes: [u8; 4] = body[at..at + 4].try_into().expect("four bytes");
                    session_expiry = Some(u32::from_be_bytes(bytes));
                    at += 4;
                }
                // Receive Maximum, Topic Alias Maximum: two bytes.
                0x21 | 0x22 => at += 2,
                // Maximum Packet Size: four bytes.
                0x27 => at += 4,
                // Request Response / Problem Information: one byte.
                0x17 | 0x19 => at += 1,
                other => panic!("a CONNECT property this test does not read: {other:#x}"),
            }
        }
    }
    SessionFlags {
        level,
        clean,
        session_expiry,
    }
}

fn varint(bytes: &[u8]) -> (u32, usize) {
    let (mut value, mut shift, mut used) = (0u32, 0, 0);
    for &byte in bytes {
        used += 1;
        value |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    (value, used)
}

/// MQTT 3.1.1 with Clean Session set.
#[track_caller]
fn assert_clean_v311(flags: &SessionFlags) {
    let expected = SessionFlags {
        level: 4,
        clean: true,
        session_expiry: None,
    };
    assert_eq!(*flags, expected);
}

/// MQTT 5 with Clean Start set and a Session Expiry Interval of 0 (absent means 0).
#[track_caller]
fn assert_clean_v5(flags: &SessionFlags) {
    assert_eq!((flags.level, flags.clean), (5, true));
    assert_eq!(
        flags.session_expiry.unwrap_or(0),
        0,
        "Session Expiry Interval 0"
    );
}

fn edge_node() -> EdgeNode {
    let config = EdgeNodeConfig::new(
        GroupId::new(unique("G")).expect("group id"),
        EdgeNodeId::new("N1").expect("edge node id"),
    )
    .with_client_id(unique("ec"));
    EdgeNode::new(config, None)
}

fn host() -> HostApplication {
    HostApplication::new(
        HostConfig::new(HostId::new(unique("H")).expect("host id")).with_client_id(unique("hc")),
    )
}

/// tck-id-principles-persistence-clean-session-311: an edge node connects with Clean
/// Session set under MQTT 3.1.1.
#[tokio::test]
async fn edge_node_v311_connects_with_a_clean_session() {
    let flags = first_connect(MqttVersion::V311, |mqtt| {
        run_edge_node(edge_node(), mqtt, MemoryBdSeqStore::default())
    })
    .await;
    assert_clean_v311(&flags);
}

/// tck-id-principles-persistence-clean-session-50: an edge node connects with Clean Start
/// set and a Session Expiry Interval of 0 under MQTT 5.
#[tokio::test]
async fn edge_node_v5_connects_with_clean_start_and_no_session_expiry() {
    let flags = first_connect(MqttVersion::V5, |mqtt| {
        run_edge_node(edge_node(), mqtt, MemoryBdSeqStore::default())
    })
    .await;
    assert_clean_v5(&flags);
}

/// tck-id-message-flow-phid-sparkplug-clean-session-311: a host application connects with
/// Clean Session set under MQTT 3.1.1.
#[tokio::test]
async fn host_v311_connects_with_a_clean_session() {
    let flags = first_connect(MqttVersion::V311, |mqtt| run_host(host(), mqtt)).await;
    assert_clean_v311(&flags);
}

/// tck-id-message-flow-phid-sparkplug-clean-session-50: a host application connects with
/// Clean Start set and a Session Expiry Interval of 0 under MQTT 5.
#[tokio::test]
async fn host_v5_connects_with_clean_start_and_no_session_expiry() {
    let flags = first_connect(MqttVersion::V5, |mqtt| run_host(host(), mqtt)).await;
    assert_clean_v5(&flags);
}
