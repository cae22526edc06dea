//! The recording of everything that crossed the simulated wire, for scenario assertions such as
//! "the first publish of the host's session is its STATE birth" or "the NCMD subscription was
//! made before the NBIRTH".

use core::fmt;

use sparkplug_b::session::{ConnectOptions, Publish, Subscription, Timestamp};

use super::broker::{Close, Delivery, Message, MqttVersion, Origin};

/// One thing that happened, with the simulated time it happened at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// When.
    pub(crate) at: Timestamp,
    /// What.
    pub(crate) event: Event,
}

/// What happened on the wire (or to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// A peer sent CONNECT (with its Will); the CONNACK follows at once.
    Connect {
        /// The peer.
        peer: String,
        /// Client id and Will.
        options: ConnectOptions,
        /// The protocol version of the connection.
        version: MqttVersion,
    },
    /// A peer sent SUBSCRIBE.
    Subscribe {
        /// The peer.
        peer: String,
        /// The filters and requested QoS, as sent.
        subscriptions: Vec<Subscription>,
    },
    /// A peer (or a test, through [`Sim::inject`](super::Sim::inject)) sent PUBLISH.
    Publish {
        /// The sender.
        peer: String,
        /// Topic, payload, QoS and retain as sent.
        publish: Publish,
    },
    /// A connection ended.
    Disconnect {
        /// The peer.
        peer: String,
        /// How.
        close: Close,
        /// Whether the broker published the Will because of it.
        will_published: bool,
    },
    /// The broker published a connection's Will (the next event on the wire after the
    /// [`Event::Disconnect`] that caused it).
    Will {
        /// Whose Will.
        peer: String,
        /// The Will message.
        message: Message,
    },
    /// A peer was handed a PUBLISH (`handle_publish`).
    Deliver(Delivery),
    /// A delivery was on its way when its receiver's connection ended; it is lost.
    Lost(Delivery),
    /// A peer's timer fired (`handle_timeout`).
    Timeout {
        /// The peer.
        peer: String,
    },
    /// A fault rule withheld this message from the broker.
    Held(Message),
    /// A held message reached the broker.
    Released(Message),
    /// A fault rule dropped this message.
    Dropped(Message),
}

/// Everything that happened, in order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Log {
    entries: Vec<Entry>,
}

impl Log {
    /// Appends an entry.
    pub(crate) fn push(&mut self, at: Timestamp, event: Event) {
        self.entries.push(Entry { at, event });
    }

    /// Every entry, oldest first; the index of an entry is its position on the wire.
    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// How many entries there are: a mark for [`Log::since`].
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing happened yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries from index `mark` on.
    pub(crate) fn since(&self, mark: usize) -> &[Entry] {
        &self.entries[mark.min(self.entries.len())..]
    }

    /// The index of the first entry whose event satisfies `predicate`.
    pub(crate) fn position(&self, predicate: impl Fn(&Event) -> bool) -> Option<usize> {
        self.entries.iter().position(|e| predicate(&e.event))
    }

    /// The index of the first PUBLISH `peer` sent on `topic`.
    pub(crate) fn publish_index(&self, peer: &str, topic: &str) -> Option<usize> {
        self.position(|e| matches!(e, Event::Publish { peer: p, publish } if p == peer && publish.topic == topic))
    }

    /// The index of the first SUBSCRIBE of `peer` that contains `filter`.
    pub(crate) fn subscribe_index(&self, peer: &str, filter: &str) -> Option<usize> {
        self.position(|e| {
            matches!(e, Event::Subscribe { peer: p, subscriptions } if p == peer
                && subscriptions.iter().any(|s| s.filter == filter))
        })
    }

    /// Every CONNECT of `peer`, oldest first.
    pub(crate) fn connects(&self, peer: &str) -> Vec<&ConnectOptions> {
        self.events()
            .filter_map(|e| match e {
                Event::Connect {
                    peer: p, options, ..
                } if p == peer => Some(options),
                _ => None,
            })
            .collect()
    }

    /// Every subscription `peer` made, flattened, oldest first.
    pub(crate) fn subscriptions(&self, peer: &str) -> Vec<&Subscription> {
        self.events()
            .filter_map(|e| match e {
                Event::Subscribe {
                    peer: p,
                    subscriptions,
                } if p == peer => Some(subscriptions),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Every PUBLISH `peer` sent, oldest first.
    pub(crate) fn publishes(&self, peer: &str) -> Vec<&Publish> {
        publishes_of(self.events(), peer)
    }

    /// The PUBLISHes `peer` sent since its last CONNECT (all of them if it never connected):
    /// the current MQTT session.
    pub(crate) fn session_publishes(&self, peer: &str) -> Vec<&Publish> {
        let start = self
            .entries
            .iter()
            .rposition(|e| matches!(&e.event, Event::Connect { peer: p, .. } if p == peer))
            .unwrap_or(0);
        publishes_of(self.since(start).iter().map(|e| &e.event), peer)
    }

    /// Every PUBLISH handed to `peer`, oldest first.
    pub(crate) fn deliveries(&self, peer: &str) -> Vec<&Delivery> {
        self.events()
            .filter_map(|e| match e {
                Event::Deliver(d) if d.to == peer => Some(d),
                _ => None,
            })
            .collect()
    }

    /// Every Will the broker published, oldest first.
    pub(crate) fn wills(&self) -> Vec<&Message> {
        self.events()
            .filter_map(|e| match e {
                Event::Will { message, .. } => Some(message),
                _ => None,
            })
            .collect()
    }

    /// The last `n` entries, one per line, for failure messages.
    pub(crate) fn tail(&self, n: usize) -> String {
        let start = self.entries.len().saturating_sub(n);
        self.entries[start..]
            .iter()
            .enumerate()
            .map(|(i, e)| format!("  #{} {e}\n", start + i))
            .collect()
    }

    fn events(&self) -> impl Iterator<Item = &Event> {
        self.entries.iter().map(|e| &e.event)
    }
}

fn publishes_of<'a>(events: impl Iterator<Item = &'a Event>, peer: &str) -> Vec<&'a Publish> {
    events
        .filter_map(|e| match e {
            Event::Publish { peer: p, publish } if p == peer => Some(publish),
            _ => None,
        })
        .collect()
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.at)?;
        match &self.event {
            Event::Connect {
                peer,
                options,
                version,
            } => write!(
                f,
                "{peer} CONNECT {version:?} client_id={:?} will={} {}",
                options.client_id,
                options.will.topic,
                Bytes(&options.will.payload)
            ),
            Event::Subscribe {
                peer,
                subscriptions,
            } => {
                write!(f, "{peer} SUBSCRIBE")?;
                subscriptions
                    .iter()
                    .try_for_each(|s| write!(f, " {} {:?}", s.filter, s.qos))
            }
            Event::Publish { peer, publish } => write!(
                f,
                "{peer} PUBLISH {} {:?} retain={} {}",
                publish.topic,
                publish.qos,
                publish.retain,
                Bytes(&publish.payload)
            ),
            Event::Disconnect {
                peer,
                close,
                will_published,
            } => write!(f, "{peer} {close:?} will_published={will_published}"),
            Event::Will { peer, message } => write!(f, "broker WILL of {peer} {}", Msg(message)),
            Event::Deliver(d) => write!(f, "{} <- {}", d.to, Dlv(d)),
            Event::Lost(d) => write!(f, "{} lost {}", d.to, Dlv(d)),
            Event::Timeout { peer } => write!(f, "{peer} timeout"),
            Event::Held(m) => write!(f, "held {}", Msg(m)),
            Event::Released(m) => write!(f, "released {}", Msg(m)),
            Event::Dropped(m) => write!(f, "dropped {}", Msg(m)),
        }
    }
}

/// A payload, readable when it is short printable UTF-8 (STATE JSON, test strings).
struct Bytes<'a>(&'a [u8]);

impl fmt::Display for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match core::str::from_utf8(self.0) {
            Ok(text) if text.len() <= 80 && !text.chars().any(char::is_control) => {
                write!(f, "{text:?}")
            }
            _ => write!(f, "<{} bytes>", self.0.len()),
        }
    }
}

struct Msg<'a>(&'a Message);

impl fmt::Display for Msg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{} {:?} retain={} {} from {}",
            m.topic,
            m.qos,
            m.retain,
            Bytes(&m.payload),
            OriginName(&m.origin)
        )
    }
}

struct Dlv<'a>(&'a Delivery);

impl fmt::Display for Dlv<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{} {:?} retain={} {} from {}",
            d.topic,
            d.qos,
            d.retain,
            Bytes(&d.payload),
            OriginName(&d.origin)
        )
    }
}

struct OriginName<'a>(&'a Origin);

impl fmt::Display for OriginName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Origin::Peer(p) => f.write_str(p),
            Origin::Will(p) => write!(f, "the Will of {p}"),
        }
    }
}
