//! The simulation: named peers joined by one [`Broker`], driven on a simulated [`Clock`].

use core::any::{Any, type_name};
use std::collections::VecDeque;

use sparkplug_b::session::{Publish, Timestamp};

mod drive;

pub(crate) use drive::NotIdle;

use super::Peer;
use super::broker::{Broker, Close, Delivery, Message, MqttVersion};
use super::clock::Clock;
use super::fault::{Action, Faults};
use super::record::{Event, Log};

/// How many steps (a transmit, a delivery or a timeout) one settling may take before the
/// simulation is declared stuck. Sparkplug scenarios take a few dozen.
pub(crate) const DEFAULT_STEP_LIMIT: usize = 10_000;

/// [`Peer`] plus the `Any` access that hands the concrete type back to the test. Implemented for
/// every peer, so a peer type only implements [`Peer`].
trait AnyPeer: Peer {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<P: Peer> AnyPeer for P {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// A peer and its side of the simulated connection.
struct Slot {
    name: String,
    type_name: &'static str,
    peer: Box<dyn AnyPeer>,
    version: MqttVersion,
    connected: bool,
    /// Deliveries routed to this peer and not handed over yet.
    inbox: VecDeque<Delivery>,
}

/// A deterministic world of Sparkplug peers: an in-memory MQTT broker, a simulated clock, named
/// peers, fault injection and a recording of the wire.
///
/// Nothing happens on its own: [`Sim::connect`], [`Sim::drop_connection`] and [`Sim::inject`]
/// only queue their consequences; [`Sim::run_until_idle`] and [`Sim::advance`] deliver them.
/// Delivery takes no simulated time. Peers are polled in the order they were added, so every
/// run of a test is identical.
///
/// ```ignore
/// let mut sim = Sim::new();
/// sim.add_peer("host", HostApplication::new(host_config));
/// sim.add_peer("edge", EdgeNode::new(edge_config));
/// sim.connect("host");
/// sim.run_until_idle();
/// sim.connect("edge");
/// sim.run_until_idle();
/// assert_eq!(sim.log().session_publishes("host")[0].topic, "spBv1.0/STATE/h1");
/// sim.drop_connection("edge"); // NDEATH Will fires
/// sim.advance(Duration::from_secs(5));
/// let host = sim.peer_mut::<HostApplication>("host");
/// ```
pub(crate) struct Sim {
    clock: Clock,
    broker: Broker,
    slots: Vec<Slot>,
    faults: Faults,
    log: Log,
    step_limit: usize,
}

impl Default for Sim {
    fn default() -> Self {
        Sim::new()
    }
}

impl Sim {
    /// An empty simulation with the clock at [`START`](super::START).
    pub(crate) fn new() -> Self {
        Sim::with_clock(Clock::default())
    }

    /// An empty simulation with the given clock.
    pub(crate) fn with_clock(clock: Clock) -> Self {
        Sim {
            clock,
            broker: Broker::new(),
            slots: Vec::new(),
            faults: Faults::default(),
            log: Log::default(),
            step_limit: DEFAULT_STEP_LIMIT,
        }
    }

    /// The current simulated time.
    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Sets how many steps one settling may take (see [`NotIdle`]).
    pub(crate) fn set_step_limit(&mut self, steps: usize) {
        self.step_limit = steps;
    }

    /// Adds a disconnected peer speaking MQTT 3.1.1.
    ///
    /// # Panics
    /// When the name is taken.
    #[track_caller]
    pub(crate) fn add_peer<P: Peer>(&mut self, name: &str, peer: P) {
        assert!(
            self.slots.iter().all(|s| s.name != name),
            "there already is a peer named {name}"
        );
        self.slots.push(Slot {
            name: name.to_owned(),
            type_name: type_name::<P>(),
            peer: Box::new(peer),
            version: MqttVersion::default(),
            connected: false,
            inbox: VecDeque::new(),
        });
    }

    /// Sets the MQTT version of `name`'s next connections.
    #[track_caller]
    pub(crate) fn set_mqtt_version(&mut self, name: &str, version: MqttVersion) {
        let i = self.index(name);
        self.slots[i].version = version;
    }

    /// The peer `name` as its concrete type.
    ///
    /// # Panics
    /// When there is no such peer or it is of another type.
    #[track_caller]
    pub(crate) fn peer<P: Peer>(&self, name: &str) -> &P {
        let slot = &self.slots[self.index(name)];
        slot.peer
            .as_any()
            .downcast_ref()
            .unwrap_or_else(|| wrong_type::<P>(name, slot.type_name))
    }

    /// The peer `name` as its concrete type, to call its own methods and poll its events.
    ///
    /// Anything it queues (a publish, a disconnect) goes out at the next
    /// [`run_until_idle`](Sim::run_until_idle).
    ///
    /// # Panics
    /// When there is no such peer or it is of another type.
    #[track_caller]
    pub(crate) fn peer_mut<P: Peer>(&mut self, name: &str) -> &mut P {
        let i = self.index(name);
        let slot = &mut self.slots[i];
        let type_name = slot.type_name;
        slot.peer
            .as_any_mut()
            .downcast_mut()
            .unwrap_or_else(|| wrong_type::<P>(name, type_name))
    }

    /// Whether `name` has a broker connection.
    #[track_caller]
    pub(crate) fn is_connected(&self, name: &str) -> bool {
        self.slots[self.index(name)].connected
    }

    /// The broker, to look at sessions, subscriptions and retained messages.
    pub(crate) fn broker(&self) -> &Broker {
        &self.broker
    }

    /// Everything that happened so far.
    pub(crate) fn log(&self) -> &Log {
        &self.log
    }

    /// Connects `name`: asks it for its CONNECT (`connect`), registers its Will with a clean
    /// session, and gives it the CONNACK (`handle_connected`). A connected peer holding the same
    /// client id is kicked first, and its Will fires (session takeover).
    ///
    /// # Panics
    /// When `name` is already connected.
    #[track_caller]
    pub(crate) fn connect(&mut self, name: &str) {
        let i = self.index(name);
        assert!(!self.slots[i].connected, "{name} is already connected");
        let now = self.now();
        let version = self.slots[i].version;
        let options = self.slots[i].peer.connect(now);
        self.log.push(
            now,
            Event::Connect {
                peer: name.to_owned(),
                options: options.clone(),
                version,
            },
        );
        if let Some(holder) = self.broker.peer_of_client(&options.client_id) {
            let holder = self.index(holder);
            self.close(
                holder,
                Close::TakenOver {
                    by: name.to_owned(),
                },
            );
        }
        self.broker.connect(name, &options, version);
        self.slots[i].connected = true;
        self.slots[i].peer.handle_connected(now);
    }

    /// Breaks `name`'s connection without a DISCONNECT (network loss, keep-alive timeout): the
    /// broker publishes its Will, deliveries on their way to it are lost, and it is told
    /// (`handle_disconnected`).
    ///
    /// # Panics
    /// When `name` is not connected.
    #[track_caller]
    pub(crate) fn drop_connection(&mut self, name: &str) {
        let i = self.index(name);
        assert!(self.slots[i].connected, "{name} is not connected");
        self.close(i, Close::Dropped);
    }

    /// Publishes `publish` as the pseudo-client `from` (a test standing in for a peer that is
    /// not simulated, e.g. a TCK host sending STATE). It goes through the fault rules and the
    /// broker like any PUBLISH.
    pub(crate) fn inject(&mut self, from: &str, publish: Publish) {
        self.log.push(
            self.now(),
            Event::Publish {
                peer: from.to_owned(),
                publish: publish.clone(),
            },
        );
        self.ingress(Message::published(from, publish));
    }

    /// Withholds the next message (PUBLISH or Will) whose topic matches `filter` from the broker
    /// until [`Sim::release_held`]: it is neither routed nor retained meanwhile.
    #[track_caller]
    pub(crate) fn hold_next(&mut self, filter: &str) {
        self.faults.arm(filter, Action::Hold);
    }

    /// Loses the next message (PUBLISH or Will) whose topic matches `filter`.
    #[track_caller]
    pub(crate) fn drop_next(&mut self, filter: &str) {
        self.faults.arm(filter, Action::Drop);
    }

    /// The messages currently withheld, in the order they were caught.
    pub(crate) fn held(&self) -> &[Message] {
        self.faults.held()
    }

    /// How many `hold_next`/`drop_next` rules have not caught a message yet.
    pub(crate) fn armed_faults(&self) -> usize {
        self.faults.armed()
    }

    /// Hands every withheld message to the broker, in the order they were caught, routing them to
    /// the subscribers of now, then runs until idle.
    #[track_caller]
    pub(crate) fn release_held(&mut self) {
        for message in self.faults.release() {
            self.log.push(self.now(), Event::Released(message.clone()));
            let deliveries = self.broker.publish(message);
            self.enqueue(deliveries);
        }
        self.run_until_idle();
    }

    #[track_caller]
    fn index(&self, name: &str) -> usize {
        self.slots
            .iter()
            .position(|s| s.name == name)
            .unwrap_or_else(|| {
                let names: Vec<&str> = self.slots.iter().map(|s| s.name.as_str()).collect();
                panic!("no peer named {name}; the peers are {names:?}")
            })
    }
}

#[track_caller]
fn wrong_type<P>(name: &str, actual: &str) -> ! {
    panic!("{name} is a {actual}, not a {}", type_name::<P>())
}
