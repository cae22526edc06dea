//! What the brokers the suite runs on meet of the TCK's eleven broker assertions
//! (`conformance-mqtt-*`, SPARKPLUG.md section 5, D1), checked with a plain MQTT 3.1.1 client.
//!
//! A Sparkplug compliant broker must carry QoS 0 and QoS 1, Will messages (with retain and
//! QoS 1) and retained messages; a Sparkplug *aware* broker also keeps every node's latest
//! NBIRTH and DBIRTH as retained messages under `$sparkplug/certificates/`. The embedded
//! rumqttd is checked to be compliant and not aware (docs/TCK.md says what follows for its
//! users); the broker of `SPARKPLUG_TEST_MQTT_URL` (Mosquitto in CI) is checked to be
//! compliant, and whether it is aware is printed, not required.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, QoS};
use sparkplug_b::driver::BrokerUrl;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout_at};

use crate::support::{WAIT, unique};

/// How long a client waits for a message that an aware broker would send and a plain one
/// never does.
const QUIET: Duration = Duration::from_millis(1500);

/// What one broker was seen to do, assertion by assertion.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Findings {
    /// `tck-id-conformance-mqtt-qos0`: a QoS 0 publish reaches a QoS 0 subscriber.
    pub(crate) qos0: bool,
    /// `tck-id-conformance-mqtt-qos1`: a QoS 1 publish is acknowledged and delivered at QoS 1.
    pub(crate) qos1: bool,
    /// `tck-id-conformance-mqtt-will-messages`: a QoS 1 retained Will is published when its
    /// client drops the connection without DISCONNECT, at QoS 1, and kept as retained.
    pub(crate) will_messages: bool,
    /// `tck-id-conformance-mqtt-retained`: a retained message reaches a later subscriber with
    /// the retain flag, and an empty retained publish clears it.
    pub(crate) retained: bool,
    /// `tck-id-conformance-mqtt-aware-store`, `tck-id-conformance-mqtt-aware-nbirth-mqtt-topic`,
    /// `tck-id-conformance-mqtt-aware-nbirth-mqtt-retain`: an NBIRTH is offered again, retained,
    /// on `$sparkplug/certificates/spBv1.0/G/NBIRTH/E`.
    pub(crate) aware_nbirth: bool,
    /// `tck-id-conformance-mqtt-aware-dbirth-mqtt-topic`,
    /// `tck-id-conformance-mqtt-aware-dbirth-mqtt-retain`: the same for a DBIRTH, on
    /// `$sparkplug/certificates/spBv1.0/G/DBIRTH/E/D`.
    pub(crate) aware_dbirth: bool,
}

impl Findings {
    /// `tck-id-conformance-mqtt-aware-basic`: an aware broker is also a compliant one.
    pub(crate) fn compliant(&self) -> bool {
        self.qos0 && self.qos1 && self.will_messages && self.retained
    }

    /// Sparkplug aware: compliant, and keeps births under `$sparkplug/certificates/`.
    pub(crate) fn aware(&self) -> bool {
        self.compliant() && self.aware_nbirth && self.aware_dbirth
    }
}

/// Runs every check against the broker at `url` (MQTT 3.1.1, whatever version `url` names).
///
/// `tck-id-conformance-mqtt-aware-ndeath-timestamp` (an aware broker MAY rewrite an NDEATH's
/// timestamp) is a permission, not a behaviour a client can require, and is not checked.
pub(crate) async fn check(url: &BrokerUrl) -> Findings {
    let prefix = unique("conformance");
    Findings {
        qos0: delivered(url, &format!("{prefix}/qos0"), QoS::AtMostOnce).await,
        qos1: delivered(url, &format!("{prefix}/qos1"), QoS::AtLeastOnce).await,
        will_messages: will_is_published_and_retained(url, &format!("{prefix}/will")).await,
        retained: retained_then_cleared(url, &format!("{prefix}/retained")).await,
        aware_nbirth: birth_is_certified(url, &prefix, None).await,
        aware_dbirth: birth_is_certified(url, &prefix, Some("D")).await,
    }
}

/// A connected client whose event loop runs in a task; messages arrive on the receiver.
struct Client {
    client: AsyncClient,
    messages: tokio::sync::mpsc::UnboundedReceiver<rumqttc::Publish>,
    /// Messages that arrived while waiting for another topic, kept for a later `next_on`.
    pending: Vec<rumqttc::Publish>,
    acks: tokio::sync::mpsc::UnboundedReceiver<u16>,
    task: JoinHandle<()>,
}

impl Client {
    async fn connect(url: &BrokerUrl, will: Option<LastWill>) -> Self {
        let mut options = MqttOptions::new(unique("c"), url.host(), url.port());
        options.set_keep_alive(Duration::from_secs(30));
        options.set_clean_session(true);
        if let Some(will) = will {
            options.set_last_will(will);
        }
        let (client, mut eventloop) = AsyncClient::new(options, 16);
        let (tx, messages) = tokio::sync::mpsc::unbounded_channel();
        let (ack_tx, acks) = tokio::sync::mpsc::unbounded_channel();
        let (connected_tx, connected) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let mut connected_tx = Some(connected_tx);
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        if let Some(c) = connected_tx.take() {
                            let _ = c.send(());
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let _ = tx.send(p);
                    }
                    Ok(Event::Incoming(Packet::PubAck(a))) => {
                        let _ = ack_tx.send(a.pkid);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        eprintln!("conformance client: {e}");
                        return;
                    }
                }
            }
        });
        tokio::time::timeout(WAIT, connected)
            .await
            .expect("the broker answers CONNECT in time")
            .expect("the client connected");
        Self {
            client,
            messages,
            pending: Vec::new(),
            acks,
            task,
        }
    }

    /// Subscribes and returns once the subscription holds: a broker handles one client's
    /// packets in order, so when a probe published after a second SUBSCRIBE comes back, the
    /// first is in place. False when the probe never comes back (rumqttd, for one, closes the
    /// connection of a client that subscribes to a `$` topic).
    #[must_use]
    async fn subscribe(&mut self, filter: &str, qos: QoS) -> bool {
        self.client
            .subscribe(filter, qos)
            .await
            .expect("subscribe queued");
        let probe = format!("{}/probe", unique("p"));
        self.client
            .subscribe(&probe, QoS::AtLeastOnce)
            .await
            .expect("subscribe queued");
        self.client
            .publish(&probe, QoS::AtLeastOnce, false, "probe")
            .await
            .expect("publish queued");
        self.next_on(&probe, WAIT).await.is_some()
    }

    /// The next message on `topic`, skipping others, or `None` after `within`.
    async fn next_on(&mut self, topic: &str, within: Duration) -> Option<rumqttc::Publish> {
        if let Some(i) = self.pending.iter().position(|p| p.topic == topic) {
            return Some(self.pending.remove(i));
        }
        let deadline = Instant::now() + within;
        loop {
            match timeout_at(deadline, self.messages.recv()).await {
                Ok(Some(p)) if p.topic == topic => return Some(p),
                Ok(Some(p)) => self.pending.push(p),
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// Drops the TCP connection without DISCONNECT, the way a crashed client goes.
    fn crash(self) {
        self.task.abort();
    }

    async fn disconnect(self) {
        let _ = self.client.disconnect().await;
        let _ = tokio::time::timeout(WAIT, self.task).await;
    }
}

async fn delivered(url: &BrokerUrl, topic: &str, qos: QoS) -> bool {
    let mut subscriber = Client::connect(url, None).await;
    let subscribed = subscriber.subscribe(topic, qos).await;
    let mut publisher = Client::connect(url, None).await;
    publisher
        .client
        .publish(topic, qos, false, "x")
        .await
        .expect("publish queued");
    let acked = match qos {
        QoS::AtMostOnce => true,
        _ => timeout_at(Instant::now() + WAIT, publisher.acks.recv())
            .await
            .is_ok(),
    };
    let got = subscriber.next_on(topic, WAIT).await;
    let ok = subscribed && acked && got.is_some_and(|p| p.qos == qos && &p.payload[..] == b"x");
    publisher.disconnect().await;
    subscriber.disconnect().await;
    ok
}

async fn will_is_published_and_retained(url: &BrokerUrl, topic: &str) -> bool {
    let mut subscriber = Client::connect(url, None).await;
    let subscribed = subscriber.subscribe(topic, QoS::AtLeastOnce).await;
    let will = LastWill::new(topic, "gone", QoS::AtLeastOnce, true);
    let doomed = Client::connect(url, Some(will)).await;
    doomed.crash();
    let live = subscriber.next_on(topic, WAIT).await;
    let live_ok = live.is_some_and(|p| p.qos == QoS::AtLeastOnce && &p.payload[..] == b"gone");
    let mut late = Client::connect(url, None).await;
    let late_subscribed = late.subscribe(topic, QoS::AtLeastOnce).await;
    let kept = late.next_on(topic, WAIT).await;
    let kept_ok = kept.is_some_and(|p| p.retain && &p.payload[..] == b"gone");
    clear_retained(&late, topic).await;
    late.disconnect().await;
    subscriber.disconnect().await;
    subscribed && late_subscribed && live_ok && kept_ok
}

async fn retained_then_cleared(url: &BrokerUrl, topic: &str) -> bool {
    let mut publisher = Client::connect(url, None).await;
    publisher
        .client
        .publish(topic, QoS::AtLeastOnce, true, "kept")
        .await
        .expect("publish queued");
    let acked = timeout_at(Instant::now() + WAIT, publisher.acks.recv())
        .await
        .is_ok();
    let mut first = Client::connect(url, None).await;
    let first_subscribed = first.subscribe(topic, QoS::AtLeastOnce).await;
    let kept = first
        .next_on(topic, WAIT)
        .await
        .is_some_and(|p| p.retain && &p.payload[..] == b"kept");
    first.disconnect().await;
    clear_retained(&publisher, topic).await;
    let _ = timeout_at(Instant::now() + WAIT, publisher.acks.recv()).await;
    let mut second = Client::connect(url, None).await;
    let second_subscribed = second.subscribe(topic, QoS::AtLeastOnce).await;
    let cleared = second.next_on(topic, QUIET).await.is_none();
    second.disconnect().await;
    publisher.disconnect().await;
    acked && first_subscribed && kept && second_subscribed && cleared
}

async fn clear_retained(client: &Client, topic: &str) {
    client
        .client
        .publish(topic, QoS::AtLeastOnce, true, Vec::<u8>::new())
        .await
        .expect("publish queued");
}

/// Publishes a birth (NBIRTH, or DBIRTH of `device`) and asks whether the broker offers it
/// retained under `$sparkplug/certificates/`.
async fn birth_is_certified(url: &BrokerUrl, prefix: &str, device: Option<&str>) -> bool {
    let group = prefix.replace('/', "_");
    let topic = match device {
        None => format!("spBv1.0/{group}/NBIRTH/E"),
        Some(d) => format!("spBv1.0/{group}/DBIRTH/E/{d}"),
    };
    let certificate = format!("$sparkplug/certificates/{topic}");
    let publisher = Client::connect(url, None).await;
    // An empty payload would do for a broker that only stores; a real birth costs nothing.
    let birth = sparkplug_b::Payload {
        timestamp: Some(1),
        seq: Some(0),
        ..Default::default()
    };
    publisher
        .client
        .publish(
            &topic,
            QoS::AtMostOnce,
            false,
            birth.encode_to_vec().expect("encodes"),
        )
        .await
        .expect("publish queued");
    let mut late = Client::connect(url, None).await;
    let subscribed = late.subscribe(&certificate, QoS::AtLeastOnce).await;
    let offered = subscribed
        && late
            .next_on(&certificate, QUIET)
            .await
            .is_some_and(|p| p.retain);
    if offered {
        clear_retained(&late, &certificate).await;
    }
    late.disconnect().await;
    publisher.disconnect().await;
    offered
}
