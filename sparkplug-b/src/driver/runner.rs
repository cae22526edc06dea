//! The loop both runners share, around any sans-IO state machine with the
//! `connect`/`handle_*`/`poll_*` contract.
//!
//! ```text
//!   loop {
//!     connect(now) ─► new rumqttc EventLoop with a clean session and this Will
//!     session:  CONNACK ─► handle_connected      PUBLISH ─► handle_publish
//!               handle request ─► apply          poll_timeout reached ─► handle_timeout
//!               after each step: poll_transmit ─► SUBSCRIBE / PUBLISH / leave,
//!                                poll_event ─► the application's channel
//!     leave:    Disconnect(reason) ─► wait for the PUBACKs, then DISCONNECT
//!     lost:     handle_disconnected, back-off (requests still applied), again
//!   }
//! ```

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::channel::{Command, EventReceiver, EventSink, Handle, RunnerEvent, channels};
use super::clock;
use super::config::MqttConfig;
use super::connection::{Connection, Incoming};
use super::error::{ConnectionError, DriverError};
use super::url::MqttVersion;
use crate::session::{ConnectOptions, DisconnectReason, QoS, Timestamp, Transmit};

/// A state machine as the runner drives it.
pub(crate) trait Machine: Send + 'static {
    /// What the handles' requests act on.
    type Inner: Send + 'static;
    /// What the state machine reports.
    type Event: Send + 'static;
    /// With MQTT 5, whether a clean shutdown leaves without a DISCONNECT, so that the broker
    /// publishes the Will as reason code 0x04 would (rumqttc can only send reason 0x00, which
    /// discards it).
    const WILL_ON_SHUTDOWN: bool;

    fn inner(&mut self) -> &mut Self::Inner;
    fn connect(&mut self, now: Timestamp) -> ConnectOptions;
    fn handle_connected(&mut self, now: Timestamp);
    fn handle_publish(&mut self, now: Timestamp, topic: &str, payload: &[u8]);
    fn handle_disconnected(&mut self, now: Timestamp);
    fn handle_timeout(&mut self, now: Timestamp);
    fn shutdown(&mut self, now: Timestamp);
    fn poll_transmit(&mut self) -> Option<Transmit>;
    fn poll_event(&mut self) -> Option<Self::Event>;
    fn poll_timeout(&self) -> Option<Timestamp>;
}

/// How a session ended.
enum End {
    /// Clean shutdown: stop.
    Shutdown,
    /// Left on the state machine's request: connect again at once, to the next server of the
    /// list or to the same one.
    Reconnect { next_server: bool },
    /// Failed or broke: back off, then connect again.
    Lost {
        error: ConnectionError,
        connected: bool,
    },
}

fn end_for(reason: DisconnectReason) -> End {
    match reason {
        DisconnectReason::Shutdown => End::Shutdown,
        // A new session of the host, with a newer STATE timestamp: the server is fine.
        DisconnectReason::NewSession => End::Reconnect { next_server: false },
        _ => End::Reconnect { next_server: true },
    }
}

/// What the runner tracks of one MQTT session.
#[derive(Default)]
struct Session {
    /// CONNACK received.
    connected: bool,
    /// Transmits rumqttc had no room for yet, in order.
    outbox: VecDeque<Transmit>,
    /// The QoS of each publish handed to rumqttc that has not gone out yet, in order.
    unsent: VecDeque<QoS>,
    /// Packet ids of QoS 1 and 2 publishes awaiting their acknowledgement.
    unacked: HashSet<u16>,
    /// The state machine asked to disconnect, and by when it must be done.
    leaving: Option<(DisconnectReason, Instant)>,
    disconnect_sent: bool,
}

impl Session {
    /// Everything handed over was sent and acknowledged.
    fn drained(&self) -> bool {
        self.outbox.is_empty() && self.unsent.is_empty() && self.unacked.is_empty()
    }
}

/// The loop around a state machine.
pub(crate) struct Runner<M: Machine> {
    machine: M,
    config: MqttConfig,
    commands: mpsc::Receiver<Command<M::Inner>>,
    events: EventSink<M::Event>,
    /// A CONNACK to report before the state machine's next events.
    pending_connected: Option<String>,
    stopping: bool,
    rng: u64,
}

impl<M: Machine> fmt::Debug for Runner<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("broker", &self.config.broker)
            .field("stopping", &self.stopping)
            .finish_non_exhaustive()
    }
}

impl<M: Machine> Runner<M> {
    pub(crate) fn new(
        machine: M,
        config: MqttConfig,
    ) -> (Self, Handle<M::Inner>, EventReceiver<M::Event>) {
        let (handle, commands, sink, events) = channels(&config);
        let seed = clock::now().as_millis() ^ u64::from(std::process::id()).rotate_left(32);
        let runner = Runner {
            machine,
            events: sink,
            config,
            commands,
            pending_connected: None,
            stopping: false,
            rng: seed | 1,
        };
        (runner, handle, events)
    }

    /// Runs until a clean shutdown (`Ok`) or until it gives up (`Err`).
    pub(crate) async fn run(mut self) -> Result<(), DriverError> {
        let mut failures: u32 = 0;
        let rotation = self.config.rotation();
        let mut server = 0;
        loop {
            self.config.broker = rotation[server].clone();
            let options = self.machine.connect(clock::now());
            tracing::debug!(
                broker = %self.config.broker,
                client_id = %options.client_id,
                will = %options.will.topic,
                "Connecting to the broker."
            );
            let connection = Connection::open(&self.config, options)?;
            match self.session(connection).await {
                End::Shutdown => {
                    self.drain_events().await;
                    tracing::debug!(broker = %self.config.broker, "Shut down cleanly.");
                    return Ok(());
                }
                End::Reconnect { next_server } => {
                    failures = 0;
                    if next_server {
                        // The Primary Host went offline, did not come online in time, or an NCMD
                        // asked for the next server: the next server (SPARKPLUG.md 2.6).
                        server = (server + 1) % rotation.len();
                    }
                    if self.stopping {
                        // Asked to shut down while leaving: nothing more to publish.
                        self.machine.handle_disconnected(clock::now());
                        self.drain_events().await;
                        return Ok(());
                    }
                }
                End::Lost { error, connected } => {
                    if !connected {
                        server = (server + 1) % rotation.len();
                    }
                    self.machine.handle_disconnected(clock::now());
                    failures = if connected {
                        1
                    } else {
                        failures.saturating_add(1)
                    };
                    self.drain_events().await;
                    let random = self.random();
                    let backoff = &self.config.backoff;
                    if backoff.max_attempts.is_some_and(|max| failures >= max) {
                        tracing::error!(attempts = failures, error = %Chain(&error), "Giving up on the broker.");
                        return Err(DriverError::GaveUp {
                            attempts: failures,
                            last: error,
                        });
                    }
                    let delay = backoff.delay(failures, random);
                    tracing::warn!(
                        error = %Chain(&error),
                        attempt = failures,
                        reconnect_in = ?delay,
                        "The MQTT connection failed; reconnecting after a back-off."
                    );
                    let error = Arc::new(error);
                    self.events
                        .emit(RunnerEvent::ConnectionLost {
                            error,
                            reconnect_in: delay,
                        })
                        .await;
                    if !self.idle(delay).await {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Waits out a back-off, still applying requests. False when asked to shut down.
    async fn idle(&mut self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            tokio::select! {
                () = sleep_until(until) => return true,
                command = self.commands.recv() => self.command(command),
            }
            // Nothing can be published while disconnected; `connect` discards any leftovers.
            self.drain_events().await;
            if self.stopping {
                return false;
            }
        }
    }

    /// One MQTT session, from CONNECT to its end.
    async fn session(&mut self, mut conn: Connection) -> End {
        let mut s = Session::default();
        loop {
            self.pump(&conn, &mut s);
            self.drain_events().await;
            if let Some((reason, _)) = s.leaving {
                if !s.connected {
                    return end_for(reason);
                }
                if s.drained() && !s.disconnect_sent {
                    let v5 = self.config.broker.version() == MqttVersion::V5;
                    if v5 && M::WILL_ON_SHUTDOWN && reason == DisconnectReason::Shutdown {
                        return end_for(reason);
                    }
                    s.disconnect_sent = conn.try_disconnect().is_ok();
                }
            } else if self.stopping {
                // The shutdown asked for no DISCONNECT: nothing was connected.
                return End::Shutdown;
            }
            let timer = self
                .machine
                .poll_timeout()
                .map(|t| clock::instant_at(t, clock::now()));
            let leave_by = s.leaving.map(|(_, by)| by);
            let never = Instant::now() + Duration::from_secs(86_400);
            tokio::select! {
                report = conn.recv() => {
                    if let Some(end) = self.report(&mut s, report) {
                        return end;
                    }
                }
                command = self.commands.recv(), if !self.stopping && s.leaving.is_none() => {
                    self.command(command);
                }
                () = sleep_until(timer.unwrap_or(never)), if timer.is_some() => {
                    self.machine.handle_timeout(clock::now());
                }
                () = sleep_until(leave_by.unwrap_or(never)), if leave_by.is_some() => {
                    tracing::warn!(
                        broker = %self.config.broker,
                        "The broker did not acknowledge the last messages in time; closing the connection."
                    );
                    return s.leaving.map_or(End::Shutdown, |(reason, _)| end_for(reason));
                }
            }
        }
    }

    /// Acts on a report of the connection task; `Some` when the session is over.
    fn report(&mut self, s: &mut Session, report: Option<Incoming>) -> Option<End> {
        let now = clock::now();
        match report {
            Some(Incoming::ConnAck) => {
                s.connected = true;
                tracing::info!(broker = %self.config.broker, "Connected to the broker.");
                let broker = self.config.broker.address();
                // Emitted after the state machine's own events of this step, in pump order.
                self.machine.handle_connected(now);
                self.pending_connected = Some(broker);
            }
            Some(Incoming::Publish { topic, payload }) => {
                self.machine.handle_publish(now, &topic, &payload);
            }
            Some(Incoming::Sent(pkid)) => {
                if let Some(qos) = s.unsent.pop_front() {
                    if qos != QoS::AtMostOnce {
                        s.unacked.insert(pkid);
                    }
                }
            }
            Some(Incoming::Acked(pkid)) => {
                s.unacked.remove(&pkid);
            }
            Some(Incoming::Disconnected) => {
                return Some(
                    s.leaving
                        .map_or(End::Shutdown, |(reason, _)| end_for(reason)),
                );
            }
            Some(Incoming::Closed(error)) => {
                return Some(match s.leaving {
                    Some((reason, _)) => end_for(reason),
                    None if self.stopping => End::Shutdown,
                    None => End::Lost {
                        error,
                        connected: s.connected,
                    },
                });
            }
            None => {
                // The connection task ended without a word: it panicked or was cancelled.
                let error = std::io::Error::other("the MQTT connection task ended");
                return Some(End::Lost {
                    error: ConnectionError::new(self.config.broker.address(), error),
                    connected: s.connected,
                });
            }
        }
        None
    }

    fn command(&mut self, command: Option<Command<M::Inner>>) {
        match command {
            Some(Command::Apply(apply)) => apply(self.machine.inner(), clock::now()),
            // All handles dropped: nobody can ask any more, so leave cleanly.
            Some(Command::Shutdown) | None => {
                if !self.stopping {
                    tracing::debug!(broker = %self.config.broker, "Shutting down.");
                    self.stopping = true;
                    self.machine.shutdown(clock::now());
                }
            }
        }
    }

    /// Moves the state machine's transmits to rumqttc, as far as it has room.
    fn pump(&mut self, conn: &Connection, s: &mut Session) {
        while let Some(transmit) = self.machine.poll_transmit() {
            match transmit {
                Transmit::Disconnect(reason) => {
                    if s.leaving.is_none() {
                        let by = Instant::now() + self.config.shutdown_timeout;
                        s.leaving = Some((reason, by));
                    }
                }
                other if s.leaving.is_none() => s.outbox.push_back(other),
                other => tracing::debug!(?other, "Dropped a transmit queued after a disconnect."),
            }
        }
        while let Some(transmit) = s.outbox.front() {
            if conn.try_send(transmit).is_err() {
                // rumqttc's channel is full; the next report of the connection frees room.
                break;
            }
            if let Transmit::Publish(p) = transmit {
                s.unsent.push_back(p.qos);
            }
            s.outbox.pop_front();
        }
    }

    async fn drain_events(&mut self) {
        if let Some(broker) = self.pending_connected.take() {
            self.events.emit(RunnerEvent::Connected { broker }).await;
        }
        while let Some(event) = self.machine.poll_event() {
            self.events.emit(RunnerEvent::Session(event)).await;
        }
    }

    /// A number in `0..1` for the back-off jitter (xorshift64; no need for a real RNG).
    fn random(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// An error with its sources, `a: b: c`, for logs.
pub(crate) struct Chain<'a>(pub(crate) &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_chained_for_logs() {
        let io = std::io::Error::other("reset");
        let e = ConnectionError::new("h:1".into(), io);
        assert_eq!(
            Chain(&e).to_string(),
            "MQTT connection to h:1 failed: reset"
        );
    }
}
