//! An in-memory MQTT broker with the semantics Sparkplug relies on.
//!
//! It models the application-level behaviour of an MQTT server, not its packets: sessions keyed
//! by client id, topic filter matching, retained messages, Wills and clean sessions. It never
//! loses, duplicates or reorders a message; the [`Sim`](super::Sim) injects those faults.

use std::collections::BTreeMap;

use sparkplug_b::session::{ConnectOptions, DisconnectReason, Publish, QoS, Subscription, Will};

use super::topic;

/// The MQTT protocol version a peer's connection speaks. It only changes what a DISCONNECT does
/// to the Will (SPARKPLUG.md 1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum MqttVersion {
    /// MQTT 3.1.1: any DISCONNECT packet discards the Will.
    #[default]
    V311,
    /// MQTT 5: a DISCONNECT with reason code 0x04 "Disconnect with Will Message" publishes it.
    V5,
}

/// The MQTT 5 DISCONNECT reason code a transport sends for `reason`.
///
/// Sparkplug requires 0x04 "Disconnect with Will Message" for the edge node's clean shutdown
/// (`tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt50`); the edge node also
/// disconnects with its NDEATH already published when the primary host goes offline, so the same
/// code applies. A reason this harness does not know yet gets 0x00 "Normal disconnection".
pub(crate) fn mqtt5_reason_code(reason: DisconnectReason) -> u8 {
    match reason {
        DisconnectReason::Shutdown | DisconnectReason::PrimaryHostOffline => 0x04,
        _ => 0x00,
    }
}

/// Who made a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The named peer (or test pseudo-client) published it.
    Peer(String),
    /// The broker published the Will of the named peer's connection.
    Will(String),
}

/// An application message inside the broker: a PUBLISH received from a client, or a Will.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    /// The topic name.
    pub(crate) topic: String,
    /// The payload bytes.
    pub(crate) payload: Vec<u8>,
    /// The QoS it was published with.
    pub(crate) qos: QoS,
    /// The retain flag it was published with.
    pub(crate) retain: bool,
    /// Who made it.
    pub(crate) origin: Origin,
}

impl Message {
    /// The message `peer` published.
    pub(crate) fn published(peer: &str, publish: Publish) -> Self {
        Message {
            topic: publish.topic,
            payload: publish.payload,
            qos: publish.qos,
            retain: publish.retain,
            origin: Origin::Peer(peer.to_owned()),
        }
    }

    /// The Will of `peer`'s connection, as the broker publishes it.
    pub(crate) fn will(peer: &str, will: Will) -> Self {
        Message {
            topic: will.topic,
            payload: will.payload,
            qos: will.qos,
            retain: will.retain,
            origin: Origin::Will(peer.to_owned()),
        }
    }
}

/// One PUBLISH from the broker to one subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delivery {
    /// The receiving peer.
    pub(crate) to: String,
    /// The topic name.
    pub(crate) topic: String,
    /// The payload bytes.
    pub(crate) payload: Vec<u8>,
    /// The delivered QoS: the lower of the published QoS and the subscription's.
    pub(crate) qos: QoS,
    /// The retain flag as delivered: set only when the message comes from the retained store
    /// because of a new subscription (MQTT 3.1.1 3.3.1.3; MQTT 5 with Retain As Published 0).
    pub(crate) retain: bool,
    /// Who made the message.
    pub(crate) origin: Origin,
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Close {
    /// The client sent DISCONNECT for this reason.
    Disconnect(DisconnectReason),
    /// The network connection was lost (or the keep-alive expired) without a DISCONNECT.
    Dropped,
    /// Another connection with the same client id took the session over (MQTT 3.1.1 3.1.4).
    TakenOver {
        /// The peer whose CONNECT took the session over.
        by: String,
    },
}

/// A connected client's session. Sparkplug sessions are always clean, so it lives exactly as
/// long as the connection.
#[derive(Debug)]
struct Session {
    client_id: String,
    peer: String,
    version: MqttVersion,
    will: Will,
    subscriptions: Vec<Subscription>,
}

/// The broker: connected sessions and the retained message store.
///
/// Deliveries come out in a deterministic order: sessions in the order they connected, retained
/// messages in topic order.
#[derive(Debug, Default)]
pub(crate) struct Broker {
    sessions: Vec<Session>,
    retained: BTreeMap<String, Message>,
}

impl Broker {
    /// An empty broker.
    pub(crate) fn new() -> Self {
        Broker::default()
    }

    /// The peer holding the session of `client_id`, if one is connected.
    pub(crate) fn peer_of_client(&self, client_id: &str) -> Option<&str> {
        self.sessions
            .iter()
            .find(|s| s.client_id == client_id)
            .map(|s| s.peer.as_str())
    }

    /// Whether `peer` has a connection.
    pub(crate) fn is_connected(&self, peer: &str) -> bool {
        self.session(peer).is_some()
    }

    /// The subscriptions of `peer`'s session; `None` when it is not connected.
    pub(crate) fn subscriptions(&self, peer: &str) -> Option<&[Subscription]> {
        self.session(peer).map(|s| s.subscriptions.as_slice())
    }

    /// The retained message on `topic`.
    pub(crate) fn retained(&self, topic: &str) -> Option<&Message> {
        self.retained.get(topic)
    }

    /// Every retained message, in topic order.
    pub(crate) fn retained_messages(&self) -> impl Iterator<Item = &Message> {
        self.retained.values()
    }

    /// Accepts the CONNECT of `peer` with a clean session and registers its Will.
    ///
    /// # Panics
    /// When `peer` is already connected, or another session holds the client id: the caller
    /// must first end that one with [`Close::TakenOver`] (its Will fires).
    #[track_caller]
    pub(crate) fn connect(&mut self, peer: &str, options: &ConnectOptions, version: MqttVersion) {
        assert!(!self.is_connected(peer), "{peer} is already connected");
        if let Some(holder) = self.peer_of_client(&options.client_id) {
            panic!(
                "client id {:?} is held by {holder}; take the session over first",
                options.client_id
            );
        }
        assert!(
            topic::is_valid_topic_name(&options.will.topic),
            "{peer} registered a Will on the invalid topic {:?}",
            options.will.topic
        );
        self.sessions.push(Session {
            client_id: options.client_id.clone(),
            peer: peer.to_owned(),
            version,
            will: options.will.clone(),
            subscriptions: Vec::new(),
        });
    }

    /// Ends `peer`'s connection and forgets its session (clean session: subscriptions are
    /// gone). Returns the Will when the broker must publish it: always on a drop or a takeover;
    /// on a DISCONNECT only with MQTT 5 and reason code 0x04.
    ///
    /// # Panics
    /// When `peer` is not connected.
    #[track_caller]
    pub(crate) fn disconnect(&mut self, peer: &str, close: &Close) -> Option<Message> {
        let index = self
            .sessions
            .iter()
            .position(|s| s.peer == peer)
            .unwrap_or_else(|| panic!("{peer} is not connected"));
        let session = self.sessions.remove(index);
        let will_fires = match close {
            Close::Dropped | Close::TakenOver { .. } => true,
            Close::Disconnect(reason) => {
                session.version == MqttVersion::V5 && mqtt5_reason_code(*reason) == 0x04
            }
        };
        will_fires.then(|| Message::will(peer, session.will))
    }

    /// Adds (or replaces, for a filter already subscribed) the subscriptions of `peer`, and
    /// returns the retained messages matching them.
    ///
    /// Each retained message matching any filter of this SUBSCRIBE is delivered once, at the
    /// highest QoS among those filters. (Some brokers send one copy per matching filter.)
    ///
    /// # Panics
    /// When `peer` is not connected or a filter is invalid (a real broker closes the connection;
    /// here it is a bug in the peer).
    #[track_caller]
    pub(crate) fn subscribe(
        &mut self,
        peer: &str,
        subscriptions: &[Subscription],
    ) -> Vec<Delivery> {
        for sub in subscriptions {
            assert!(
                topic::is_valid_filter(&sub.filter),
                "{peer} subscribed to the invalid topic filter {:?}",
                sub.filter
            );
        }
        let session = self
            .sessions
            .iter_mut()
            .find(|s| s.peer == peer)
            .unwrap_or_else(|| panic!("{peer} subscribed while not connected"));
        for sub in subscriptions {
            match session
                .subscriptions
                .iter_mut()
                .find(|s| s.filter == sub.filter)
            {
                Some(existing) => existing.qos = sub.qos,
                None => session.subscriptions.push(sub.clone()),
            }
        }
        self.retained
            .values()
            .filter_map(|message| {
                let granted = max_matching_qos(subscriptions, &message.topic)?;
                Some(Delivery {
                    to: peer.to_owned(),
                    topic: message.topic.clone(),
                    payload: message.payload.clone(),
                    qos: message.qos.min(granted),
                    retain: true,
                    origin: message.origin.clone(),
                })
            })
            .collect()
    }

    /// Takes a message from a client (or a Will), updates the retained store and returns one
    /// delivery per connected session with a matching subscription (including the publisher's
    /// own: MQTT 3.1.1 has no No Local).
    ///
    /// A retained message with an empty payload clears the retained message of its topic and
    /// is still delivered to current subscribers (MQTT 3.1.1 3.3.1.3). A client subscribed with
    /// overlapping filters gets one copy, at the highest QoS among them.
    ///
    /// # Panics
    /// When the topic name is invalid.
    #[track_caller]
    pub(crate) fn publish(&mut self, message: Message) -> Vec<Delivery> {
        assert!(
            topic::is_valid_topic_name(&message.topic),
            "{:?} published to the invalid topic name {:?}",
            message.origin,
            message.topic
        );
        if message.retain {
            if message.payload.is_empty() {
                self.retained.remove(&message.topic);
            } else {
                self.retained.insert(message.topic.clone(), message.clone());
            }
        }
        self.sessions
            .iter()
            .filter_map(|session| {
                let granted = max_matching_qos(&session.subscriptions, &message.topic)?;
                Some(Delivery {
                    to: session.peer.clone(),
                    topic: message.topic.clone(),
                    payload: message.payload.clone(),
                    qos: message.qos.min(granted),
                    retain: false,
                    origin: message.origin.clone(),
                })
            })
            .collect()
    }

    fn session(&self, peer: &str) -> Option<&Session> {
        self.sessions.iter().find(|s| s.peer == peer)
    }
}

/// The highest QoS among the subscriptions whose filter matches `topic`; `None` when none does.
fn max_matching_qos(subscriptions: &[Subscription], topic: &str) -> Option<QoS> {
    subscriptions
        .iter()
        .filter(|s| topic::matches(&s.filter, topic))
        .map(|s| s.qos)
        .max()
}
