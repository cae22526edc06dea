//! Two small scripted peers standing in for the Sparkplug state machines.

use std::collections::{BTreeSet, VecDeque};

use sparkplug_b::session::{ConnectOptions, Publish, QoS, Subscription, Timestamp, Transmit, Will};

use crate::harness::impl_peer;

/// A peer that does what the test tells it: it sends its `on_connect` transmits after every
/// CONNACK and whatever the test [`send`](Scripted::send)s, remembers what it receives, and has
/// timers the test sets.
pub(super) struct Scripted {
    client_id: String,
    will: Will,
    on_connect: Vec<Transmit>,
    pub(super) outbox: VecDeque<Transmit>,
    received: Vec<(Timestamp, String, Vec<u8>)>,
    pub(super) timers: BTreeSet<Timestamp>,
    pub(super) fired: Vec<Timestamp>,
    pub(super) connected: u32,
    pub(super) disconnected: u32,
}

impl Scripted {
    pub(super) fn new(client_id: &str) -> Self {
        Scripted {
            client_id: client_id.to_owned(),
            will: Will {
                topic: format!("will/{client_id}"),
                payload: b"dead".to_vec(),
                qos: QoS::AtLeastOnce,
                retain: false,
            },
            on_connect: Vec::new(),
            outbox: VecDeque::new(),
            received: Vec::new(),
            timers: BTreeSet::new(),
            fired: Vec::new(),
            connected: 0,
            disconnected: 0,
        }
    }

    pub(super) fn with_will(mut self, topic: &str, payload: &str, retain: bool) -> Self {
        self.will = Will {
            topic: topic.to_owned(),
            payload: payload.as_bytes().to_vec(),
            qos: QoS::AtLeastOnce,
            retain,
        };
        self
    }

    pub(super) fn on_connect(mut self, transmit: Transmit) -> Self {
        self.on_connect.push(transmit);
        self
    }

    pub(super) fn send(&mut self, transmit: Transmit) {
        self.outbox.push_back(transmit);
    }

    /// What arrived, as `topic=payload`.
    pub(super) fn received(&self) -> Vec<String> {
        self.received
            .iter()
            .map(|(_, topic, payload)| format!("{topic}={}", String::from_utf8_lossy(payload)))
            .collect()
    }

    fn connect(&mut self, _now: Timestamp) -> ConnectOptions {
        ConnectOptions {
            client_id: self.client_id.clone(),
            will: self.will.clone(),
        }
    }

    fn handle_connected(&mut self, _now: Timestamp) {
        self.connected += 1;
        self.outbox.extend(self.on_connect.iter().cloned());
    }

    fn handle_disconnected(&mut self, _now: Timestamp) {
        self.disconnected += 1;
    }

    fn handle_publish(&mut self, now: Timestamp, topic: &str, payload: &[u8]) {
        self.received
            .push((now, topic.to_owned(), payload.to_vec()));
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        while self.timers.first().is_some_and(|&t| t <= now) {
            self.timers.pop_first();
            self.fired.push(now);
        }
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.outbox.pop_front()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.timers.first().copied()
    }
}

impl_peer!(Scripted);

/// A peer that answers every message on `listen` with one on `answer`: two of them ping-pong
/// forever.
pub(super) struct Echo {
    client_id: String,
    listen: String,
    answer: String,
    pub(super) outbox: VecDeque<Transmit>,
}

impl Echo {
    pub(super) fn new(client_id: &str, listen: &str, answer: &str) -> Self {
        Echo {
            client_id: client_id.to_owned(),
            listen: listen.to_owned(),
            answer: answer.to_owned(),
            outbox: VecDeque::new(),
        }
    }

    fn connect(&mut self, _now: Timestamp) -> ConnectOptions {
        ConnectOptions {
            client_id: self.client_id.clone(),
            will: Will {
                topic: format!("will/{}", self.client_id),
                payload: Vec::new(),
                qos: QoS::AtMostOnce,
                retain: false,
            },
        }
    }

    fn handle_connected(&mut self, _now: Timestamp) {
        self.outbox
            .push_back(subscribe(&self.listen, QoS::AtMostOnce));
    }

    fn handle_disconnected(&mut self, _now: Timestamp) {}

    fn handle_publish(&mut self, _now: Timestamp, _topic: &str, payload: &[u8]) {
        self.outbox.push_back(publish(
            &self.answer,
            &String::from_utf8_lossy(payload),
            false,
        ));
    }

    fn handle_timeout(&mut self, _now: Timestamp) {}

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.outbox.pop_front()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        None
    }
}

impl_peer!(Echo);

pub(super) fn publish(topic: &str, payload: &str, retain: bool) -> Transmit {
    Transmit::Publish(Publish {
        topic: topic.to_owned(),
        payload: payload.as_bytes().to_vec(),
        qos: QoS::AtLeastOnce,
        retain,
    })
}

pub(super) fn subscribe(filter: &str, qos: QoS) -> Transmit {
    Transmit::Subscribe(vec![Subscription {
        filter: filter.to_owned(),
        qos,
    }])
}
