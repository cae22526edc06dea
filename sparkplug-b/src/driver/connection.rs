//! One MQTT connection over rumqttc, MQTT 3.1.1 or 5.
//!
//! rumqttc's `EventLoop::poll` is not cancel-safe, so it runs in a task of its own that
//! forwards what happens as [`Incoming`] values; the runner sends through the client's
//! non-blocking `try_*` calls and never awaits rumqttc. A connection is used for one MQTT
//! session only: the task stops at the first error or after our DISCONNECT, and the runner
//! opens a new connection, with new options and a new Will, for the next session. Dropping a
//! [`Connection`] aborts its task, which closes the socket without a DISCONNECT.

use rumqttc::v5::mqttbytes::v5 as v5p;
use rumqttc::{Event, NetworkOptions, Outgoing, Packet};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::config::MqttConfig;
use super::error::{ConnectionError, DriverError};
use super::url::MqttVersion;
use crate::session::{ConnectOptions, Transmit};

/// What the connection task reports, in order.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// The broker accepted the CONNECT.
    ConnAck,
    /// A message arrived.
    Publish { topic: String, payload: Vec<u8> },
    /// A PUBLISH went out with this packet id (0 for QoS 0), in the order they were sent.
    Sent(u16),
    /// The PUBACK (QoS 1) or PUBCOMP (QoS 2) of this packet id arrived.
    Acked(u16),
    /// Our DISCONNECT went out; the task has ended.
    Disconnected,
    /// The connection failed or broke; the task has ended.
    Closed(ConnectionError),
}

/// Why a transmit was not handed to rumqttc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy;

enum Client {
    V4(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

/// One MQTT connection attempt and, if it succeeds, its session.
pub(crate) struct Connection {
    client: Client,
    incoming: mpsc::Receiver<Incoming>,
    task: JoinHandle<()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How many requests may wait in rumqttc's channel before `try_*` reports [`Busy`].
const REQUEST_CAPACITY: usize = 128;
/// How many reports may wait for the runner before the connection task stops reading.
const INCOMING_CAPACITY: usize = 64;

impl Connection {
    /// Starts connecting with a clean session, the client id and the Will of `options`.
    pub(crate) fn open(config: &MqttConfig, options: ConnectOptions) -> Result<Self, DriverError> {
        let transport = config.transport()?;
        let broker = config.broker.address();
        let (tx, incoming) = mpsc::channel(INCOMING_CAPACITY);
        let host = config.broker.host().to_owned();
        let port = config.broker.port();
        let timeout = config.connect_timeout.as_secs().max(1);
        let will = options.will;
        let (client, task) = match config.broker.version() {
            MqttVersion::V311 => {
                let mut o = rumqttc::MqttOptions::new(options.client_id, host, port);
                o.set_clean_session(true)
                    .set_keep_alive(config.keep_alive_secs())
                    .set_max_packet_size(config.max_packet_size, config.max_packet_size)
                    .set_transport(transport)
                    .set_last_will(rumqttc::LastWill::new(
                        will.topic,
                        will.payload,
                        rumqttc::QoS::from(will.qos),
                        will.retain,
                    ));
                if let Some(c) = &config.credentials {
                    o.set_credentials(c.username.clone(), c.password.clone());
                }
                let (client, mut eventloop) = rumqttc::AsyncClient::new(o, REQUEST_CAPACITY);
                let mut network = NetworkOptions::new();
                network.set_connection_timeout(timeout);
                eventloop.set_network_options(network);
                let task = tokio::spawn(drive_v4(eventloop, tx, broker));
                (Client::V4(client), task)
            }
            MqttVersion::V5 => {
                let mut o = rumqttc::v5::MqttOptions::new(options.client_id, host, port);
                let max = u32::try_from(config.max_packet_size).unwrap_or(u32::MAX);
                o.set_clean_start(true)
                    .set_session_expiry_interval(Some(0))
                    .set_keep_alive(config.keep_alive_secs())
                    .set_max_packet_size(Some(max))
                    .set_connection_timeout(timeout)
                    .set_transport(transport)
                    .set_last_will(v5p::LastWill::new(
                        will.topic,
                        will.payload,
                        rumqttc::v5::mqttbytes::QoS::from(will.qos),
                        will.retain,
                        None,
                    ));
                if let Some(c) = &config.credentials {
                    o.set_credentials(c.username.clone(), c.password.clone());
                }
                let (client, eventloop) = rumqttc::v5::AsyncClient::new(o, REQUEST_CAPACITY);
                let task = tokio::spawn(drive_v5(eventloop, tx, broker));
                (Client::V5(client), task)
            }
        };
        Ok(Connection {
            client,
            incoming,
            task,
        })
    }

    /// The next report; `None` once the task has ended and everything was read.
    pub(crate) async fn recv(&mut self) -> Option<Incoming> {
        self.incoming.recv().await
    }

    /// Hands a subscription or publish to rumqttc without waiting. `Disconnect` is not a
    /// transmit here: see [`Connection::try_disconnect`].
    pub(crate) fn try_send(&self, transmit: &Transmit) -> Result<(), Busy> {
        let sent = match (transmit, &self.client) {
            // rumqttc refuses an empty SUBSCRIBE as if its channel were full.
            (Transmit::Subscribe(subs), _) if subs.is_empty() => true,
            (Transmit::Subscribe(subs), Client::V4(c)) => c
                .try_subscribe_many(subs.iter().map(|s| {
                    rumqttc::SubscribeFilter::new(s.filter.clone(), rumqttc::QoS::from(s.qos))
                }))
                .is_ok(),
            (Transmit::Subscribe(subs), Client::V5(c)) => c
                .try_subscribe_many(subs.iter().map(|s| {
                    v5p::Filter::new(s.filter.clone(), rumqttc::v5::mqttbytes::QoS::from(s.qos))
                }))
                .is_ok(),
            (Transmit::Publish(p), Client::V4(c)) => c
                .try_publish(
                    p.topic.clone(),
                    rumqttc::QoS::from(p.qos),
                    p.retain,
                    p.payload.clone(),
                )
                .is_ok(),
            (Transmit::Publish(p), Client::V5(c)) => c
                .try_publish(
                    p.topic.clone(),
                    rumqttc::v5::mqttbytes::QoS::from(p.qos),
                    p.retain,
                    p.payload.clone(),
                )
                .is_ok(),
            // Disconnects are not sent through here; nothing else exists today.
            _ => true,
        };
        if sent { Ok(()) } else { Err(Busy) }
    }

    /// Asks rumqttc to send a DISCONNECT (MQTT 5: reason 0x00, which discards the Will).
    pub(crate) fn try_disconnect(&self) -> Result<(), Busy> {
        let sent = match &self.client {
            Client::V4(c) => c.try_disconnect().is_ok(),
            Client::V5(c) => c.try_disconnect().is_ok(),
        };
        if sent { Ok(()) } else { Err(Busy) }
    }
}

/// The report for a packet both versions share; `None` for the ones the runner ignores.
fn outgoing(out: Outgoing) -> Option<Incoming> {
    match out {
        Outgoing::Publish(pkid) => Some(Incoming::Sent(pkid)),
        Outgoing::Disconnect => Some(Incoming::Disconnected),
        _ => None,
    }
}

async fn drive_v4(mut eventloop: rumqttc::EventLoop, tx: mpsc::Sender<Incoming>, broker: String) {
    loop {
        let report = match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => Some(Incoming::ConnAck),
            Ok(Event::Incoming(Packet::Publish(p))) => Some(Incoming::Publish {
                topic: p.topic,
                payload: p.payload.to_vec(),
            }),
            Ok(Event::Incoming(Packet::PubAck(a))) => Some(Incoming::Acked(a.pkid)),
            Ok(Event::Incoming(Packet::PubComp(a))) => Some(Incoming::Acked(a.pkid)),
            Ok(Event::Incoming(Packet::SubAck(s))) => {
                if s.return_codes
                    .contains(&rumqttc::SubscribeReasonCode::Failure)
                {
                    tracing::warn!(%broker, codes = ?s.return_codes, "The broker refused a subscription.");
                }
                None
            }
            Ok(Event::Incoming(_)) => None,
            Ok(Event::Outgoing(out)) => outgoing(out),
            Err(e) => Some(Incoming::Closed(ConnectionError::new(broker.clone(), e))),
        };
        if !forward(&tx, report).await {
            return;
        }
    }
}

async fn drive_v5(
    mut eventloop: rumqttc::v5::EventLoop,
    tx: mpsc::Sender<Incoming>,
    broker: String,
) {
    use rumqttc::v5::Event as E5;
    use v5p::Packet as P5;
    loop {
        let report = match eventloop.poll().await {
            Ok(E5::Incoming(P5::ConnAck(_))) => Some(Incoming::ConnAck),
            Ok(E5::Incoming(P5::Publish(p))) => Some(Incoming::Publish {
                topic: String::from_utf8_lossy(&p.topic).into_owned(),
                payload: p.payload.to_vec(),
            }),
            Ok(E5::Incoming(P5::PubAck(a))) => Some(Incoming::Acked(a.pkid)),
            Ok(E5::Incoming(P5::PubComp(a))) => Some(Incoming::Acked(a.pkid)),
            Ok(E5::Incoming(P5::SubAck(s))) => {
                let ok = |c: &v5p::SubscribeReasonCode| {
                    matches!(c, v5p::SubscribeReasonCode::Success(_))
                };
                if !s.return_codes.iter().all(ok) {
                    tracing::warn!(%broker, codes = ?s.return_codes, "The broker refused a subscription.");
                }
                None
            }
            Ok(E5::Incoming(_)) => None,
            Ok(E5::Outgoing(out)) => outgoing(out),
            Err(e) => Some(Incoming::Closed(ConnectionError::new(broker.clone(), e))),
        };
        if !forward(&tx, report).await {
            return;
        }
    }
}

/// Sends `report` to the runner; false when the task must end (the runner is gone, or the
/// report ends the connection).
async fn forward(tx: &mpsc::Sender<Incoming>, report: Option<Incoming>) -> bool {
    let Some(report) = report else {
        return true;
    };
    let last = matches!(report, Incoming::Disconnected | Incoming::Closed(_));
    tx.send(report).await.is_ok() && !last
}
