//! Driving the simulation: settling at one instant, letting time pass, and carrying transmits,
//! Wills and faults to the broker and the peers.

use core::fmt;
use core::time::Duration;

use sparkplug_b::session::{Timestamp, Transmit};

use super::Sim;
use crate::harness::broker::{Close, Delivery, Message};
use crate::harness::fault::Action;
use crate::harness::record::Event;

/// The simulation did not become idle: the peers keep talking to each other, a peer keeps
/// returning transmits, or a timer stays due after `handle_timeout`.
#[derive(Debug, Clone)]
pub(crate) struct NotIdle {
    /// The step limit that was reached.
    pub(crate) steps: usize,
    /// The last entries of the log, formatted.
    pub(crate) recent: String,
}

impl fmt::Display for NotIdle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the simulation did not become idle within {} steps (peers ping-ponging, a peer that \
             never stops transmitting, or a timer still due after handle_timeout); the last \
             events:\n{}",
            self.steps, self.recent
        )
    }
}

impl std::error::Error for NotIdle {}

impl Sim {
    /// Moves everything that can move at the current time until nothing does: due timers fire,
    /// every connected peer's transmits reach the broker, deliveries reach the peers.
    ///
    /// # Panics
    /// With the recent log when it takes more than the step limit (see [`NotIdle`]).
    #[track_caller]
    pub(crate) fn run_until_idle(&mut self) {
        if let Err(stuck) = self.try_run_until_idle() {
            panic!("{stuck}");
        }
    }

    /// [`Sim::run_until_idle`], returning the failure instead of panicking.
    pub(crate) fn try_run_until_idle(&mut self) -> Result<(), NotIdle> {
        let mut steps = 0;
        loop {
            let mut moved = self.fire_due_timers(&mut steps)?;
            for i in 0..self.slots.len() {
                while self.slots[i].connected {
                    let Some(transmit) = self.slots[i].peer.poll_transmit() else {
                        break;
                    };
                    self.step(&mut steps)?;
                    self.process(i, transmit);
                    moved = true;
                }
            }
            for i in 0..self.slots.len() {
                while let Some(delivery) = self.slots[i].inbox.pop_front() {
                    self.step(&mut steps)?;
                    let now = self.now();
                    self.slots[i]
                        .peer
                        .handle_publish(now, &delivery.topic, &delivery.payload);
                    self.log.push(now, Event::Deliver(delivery));
                    moved = true;
                }
            }
            if !moved {
                return Ok(());
            }
        }
    }

    /// Lets `duration` of simulated time pass: the clock jumps from one due timer to the next,
    /// in time order (peers due at the same instant in the order they were added), each
    /// `handle_timeout` getting its deadline as `now`, and the world settles after each.
    #[track_caller]
    pub(crate) fn advance(&mut self, duration: Duration) {
        let to = self.now().saturating_add(duration);
        self.advance_to(to);
    }

    /// [`Sim::advance`] up to the time `to`.
    #[track_caller]
    pub(crate) fn advance_to(&mut self, to: Timestamp) {
        self.run_until_idle();
        while let Some(deadline) = self.next_timeout().filter(|&t| t <= to) {
            self.clock.advance_to(deadline);
            self.run_until_idle();
        }
        self.clock.advance_to(to);
        self.run_until_idle();
    }

    /// The earliest deadline among all peers.
    pub(crate) fn next_timeout(&self) -> Option<Timestamp> {
        self.slots
            .iter()
            .filter_map(|s| s.peer.poll_timeout())
            .min()
    }

    fn step(&self, steps: &mut usize) -> Result<(), NotIdle> {
        *steps += 1;
        if *steps > self.step_limit {
            return Err(NotIdle {
                steps: self.step_limit,
                recent: self.log.tail(12),
            });
        }
        Ok(())
    }

    /// Fires `handle_timeout` on every peer whose deadline is now or earlier, earliest first.
    fn fire_due_timers(&mut self, steps: &mut usize) -> Result<bool, NotIdle> {
        let now = self.now();
        let mut due: Vec<(Timestamp, usize)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.peer.poll_timeout().filter(|&t| t <= now).map(|t| (t, i)))
            .collect();
        due.sort();
        for &(_, i) in &due {
            self.step(steps)?;
            self.log.push(
                now,
                Event::Timeout {
                    peer: self.slots[i].name.clone(),
                },
            );
            self.slots[i].peer.handle_timeout(now);
        }
        Ok(!due.is_empty())
    }

    /// Carries out one transmit of peer `i`.
    fn process(&mut self, i: usize, transmit: Transmit) {
        let now = self.now();
        let name = self.slots[i].name.clone();
        match transmit {
            Transmit::Subscribe(subscriptions) => {
                let retained = self.broker.subscribe(&name, &subscriptions);
                self.log.push(
                    now,
                    Event::Subscribe {
                        peer: name,
                        subscriptions,
                    },
                );
                self.enqueue(retained);
            }
            Transmit::Publish(publish) => {
                self.log.push(
                    now,
                    Event::Publish {
                        peer: name.clone(),
                        publish: publish.clone(),
                    },
                );
                self.ingress(Message::published(&name, publish));
            }
            Transmit::Disconnect(reason) => self.close(i, Close::Disconnect(reason)),
            other => panic!("{name} sent {other:?}, which this harness does not know"),
        }
    }

    /// Ends peer `i`'s connection: the broker forgets its session and may publish its Will,
    /// deliveries on their way are lost, and the peer is told. A peer that asked for the
    /// DISCONNECT is told too, as a transport reports the closed connection either way.
    pub(super) fn close(&mut self, i: usize, close: Close) {
        let now = self.now();
        let name = self.slots[i].name.clone();
        let will = self.broker.disconnect(&name, &close);
        self.log.push(
            now,
            Event::Disconnect {
                peer: name.clone(),
                close,
                will_published: will.is_some(),
            },
        );
        let slot = &mut self.slots[i];
        slot.connected = false;
        for lost in slot.inbox.drain(..) {
            self.log.push(now, Event::Lost(lost));
        }
        if let Some(message) = will {
            self.log.push(
                now,
                Event::Will {
                    peer: name,
                    message: message.clone(),
                },
            );
            self.ingress(message);
        }
        self.slots[i].peer.handle_disconnected(now);
    }

    /// A message on its way to the broker: fault rules first, then routing.
    pub(super) fn ingress(&mut self, message: Message) {
        let now = self.now();
        match self.faults.take(&message.topic) {
            Some(Action::Hold) => {
                self.log.push(now, Event::Held(message.clone()));
                self.faults.hold(message);
            }
            Some(Action::Drop) => self.log.push(now, Event::Dropped(message)),
            None => {
                let deliveries = self.broker.publish(message);
                self.enqueue(deliveries);
            }
        }
    }

    pub(super) fn enqueue(&mut self, deliveries: Vec<Delivery>) {
        for delivery in deliveries {
            let i = self.index(&delivery.to);
            self.slots[i].inbox.push_back(delivery);
        }
    }
}
