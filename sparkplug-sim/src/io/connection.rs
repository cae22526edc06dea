//! One node's MQTT connection over rumqttc (3.1.1 or 5), lean enough for thousands.
//!
//! rumqttc's event loop runs in a task of its own and reports to the simulator's one inbox,
//! tagged with the node and a generation number so that reports of an old connection are
//! told apart. The simulator sends with the client's non-blocking `try_*` calls and never
//! waits on rumqttc. Dropping a [`Connection`] aborts its task, which closes the socket
//! without DISCONNECT: the broker publishes the Will.

use std::time::Duration;

use rumqttc::v5::mqttbytes::v5 as v5p;
use rumqttc::{Event, Packet};
use sparkplug_b::driver::{MqttConfig, MqttVersion};
use sparkplug_b::session::{ConnectOptions, Publish, Subscription};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What a connection task reports.
#[derive(Debug)]
pub(crate) enum Incoming {
    ConnAck,
    Publish { topic: String, payload: Vec<u8> },
    Closed(String),
}

/// A report: node index, connection generation, what happened.
pub(crate) type Report = (usize, u64, Incoming);

enum Client {
    V4(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

/// One connection attempt and its session.
pub(crate) struct Connection {
    client: Client,
    task: JoinHandle<()>,
    pub(crate) generation: u64,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The platform's TLS root certificates could not be loaded.
    #[error("cannot load the platform's TLS root certificates")]
    TlsRoots,
}

/// Why a transmit was not handed to rumqttc: its request channel is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy;

impl Connection {
    /// Starts connecting with a clean session, the client id and the Will of `options`.
    pub(crate) fn open(
        config: &MqttConfig,
        options: ConnectOptions,
        node: usize,
        generation: u64,
        capacity: usize,
        inbox: mpsc::Sender<Report>,
        delay: Duration,
    ) -> Result<Self, OpenError> {
        let transport = config.transport().map_err(|_| OpenError::TlsRoots)?;
        let host = config.broker.host().to_owned();
        let port = config.broker.port();
        let will = options.will;
        let keep_alive = Duration::from_secs(config.keep_alive.as_secs().max(5));
        let timeout = config.connect_timeout.as_secs().max(1);
        let (client, task) = match config.broker.version() {
            MqttVersion::V5 => {
                let mut o = rumqttc::v5::MqttOptions::new(options.client_id, host, port);
                let max = u32::try_from(config.max_packet_size).unwrap_or(u32::MAX);
                o.set_clean_start(true)
                    .set_session_expiry_interval(Some(0))
                    .set_keep_alive(keep_alive)
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
                let (client, eventloop) = rumqttc::v5::AsyncClient::new(o, capacity);
                let task = tokio::spawn(drive_v5(eventloop, inbox, node, generation, delay));
                (Client::V5(client), task)
            }
            _ => {
                let mut o = rumqttc::MqttOptions::new(options.client_id, host, port);
                o.set_clean_session(true)
                    .set_keep_alive(keep_alive)
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
                let (client, mut eventloop) = rumqttc::AsyncClient::new(o, capacity);
                let mut network = rumqttc::NetworkOptions::new();
                network.set_connection_timeout(timeout);
                eventloop.set_network_options(network);
                let task = tokio::spawn(drive_v4(eventloop, inbox, node, generation, delay));
                (Client::V4(client), task)
            }
        };
        Ok(Connection {
            client,
            task,
            generation,
        })
    }

    pub(crate) fn try_subscribe(&self, subs: &[Subscription]) -> Result<(), Busy> {
        if subs.is_empty() {
            return Ok(());
        }
        let ok = match &self.client {
            Client::V4(c) => c
                .try_subscribe_many(subs.iter().map(|s| {
                    rumqttc::SubscribeFilter::new(s.filter.clone(), rumqttc::QoS::from(s.qos))
                }))
                .is_ok(),
            Client::V5(c) => c
                .try_subscribe_many(subs.iter().map(|s| {
                    v5p::Filter::new(s.filter.clone(), rumqttc::v5::mqttbytes::QoS::from(s.qos))
                }))
                .is_ok(),
        };
        if ok { Ok(()) } else { Err(Busy) }
    }

    pub(crate) fn try_publish(&self, p: Publish) -> Result<(), Busy> {
        let ok = match &self.client {
            Client::V4(c) => c
                .try_publish(p.topic, rumqttc::QoS::from(p.qos), p.retain, p.payload)
                .is_ok(),
            Client::V5(c) => c
                .try_publish(
                    p.topic,
                    rumqttc::v5::mqttbytes::QoS::from(p.qos),
                    p.retain,
                    p.payload,
                )
                .is_ok(),
        };
        if ok { Ok(()) } else { Err(Busy) }
    }

    pub(crate) fn try_disconnect(&self) -> Result<(), Busy> {
        let ok = match &self.client {
            Client::V4(c) => c.try_disconnect().is_ok(),
            Client::V5(c) => c.try_disconnect().is_ok(),
        };
        if ok { Ok(()) } else { Err(Busy) }
    }

    /// Lets the task run until rumqttc has sent what it holds (a DISCONNECT ends it), for at
    /// most `grace`, then drops the connection.
    pub(crate) fn leave(mut self, grace: Duration) -> JoinHandle<()> {
        let task = std::mem::replace(&mut self.task, tokio::spawn(async {}));
        tokio::spawn(async move {
            let abort = task.abort_handle();
            if tokio::time::timeout(grace, task).await.is_err() {
                abort.abort();
            }
            drop(self);
        })
    }
}

async fn drive_v4(
    mut eventloop: rumqttc::EventLoop,
    inbox: mpsc::Sender<Report>,
    node: usize,
    generation: u64,
    delay: Duration,
) {
    tokio::time::sleep(delay).await;
    loop {
        let report = match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => Incoming::ConnAck,
            Ok(Event::Incoming(Packet::Publish(p))) => Incoming::Publish {
                topic: p.topic,
                payload: p.payload.to_vec(),
            },
            Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => {
                Incoming::Closed("disconnected".into())
            }
            Ok(_) => continue,
            Err(e) => Incoming::Closed(e.to_string()),
        };
        let last = matches!(report, Incoming::Closed(_));
        if inbox.send((node, generation, report)).await.is_err() || last {
            return;
        }
    }
}

async fn drive_v5(
    mut eventloop: rumqttc::v5::EventLoop,
    inbox: mpsc::Sender<Report>,
    node: usize,
    generation: u64,
    delay: Duration,
) {
    tokio::time::sleep(delay).await;
    use rumqttc::v5::Event as E5;
    use v5p::Packet as P5;
    loop {
        let report = match eventloop.poll().await {
            Ok(E5::Incoming(P5::ConnAck(_))) => Incoming::ConnAck,
            Ok(E5::Incoming(P5::Publish(p))) => Incoming::Publish {
                topic: String::from_utf8_lossy(&p.topic).into_owned(),
                payload: p.payload.to_vec(),
            },
            Ok(E5::Outgoing(rumqttc::Outgoing::Disconnect)) => {
                Incoming::Closed("disconnected".into())
            }
            Ok(_) => continue,
            Err(e) => Incoming::Closed(e.to_string()),
        };
        let last = matches!(report, Incoming::Closed(_));
        if inbox.send((node, generation, report)).await.is_err() || last {
            return;
        }
    }
}
