//! The channels between a runner and the application: requests in through a [`Handle`],
//! events out through an [`EventSink`] with its overflow policy.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::config::{EventOverflow, MqttConfig};
use super::error::{ConnectionError, RunnerStopped};
use crate::session::Timestamp;

/// A request from a handle, applied to the state machine at `now`.
pub(crate) type Apply<T> = Box<dyn FnOnce(&mut T, Timestamp) + Send>;

pub(crate) enum Command<T> {
    Apply(Apply<T>),
    Shutdown,
}

/// What a runner tells the application: its state machine's events, and its own.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RunnerEvent<E> {
    /// An event of the state machine ([`EdgeEvent`](crate::session::EdgeEvent) or
    /// [`HostEvent`](crate::session::HostEvent)).
    Session(E),
    /// The broker accepted the CONNECT; the state machine's subscriptions and births follow.
    Connected {
        /// The broker, as `host:port`.
        broker: String,
    },
    /// A connection attempt failed or the connection broke; the runner tries again after
    /// `reconnect_in`.
    ConnectionLost {
        /// What went wrong.
        error: Arc<ConnectionError>,
        /// The back-off delay before the next attempt.
        reconnect_in: Duration,
    },
    /// The event channel was full and this many events were dropped
    /// ([`EventOverflow::DropNewest`]).
    EventsDropped {
        /// How many events, since the last such report.
        count: u64,
    },
}

/// The receiving end of a runner's events.
pub type EventReceiver<E> = mpsc::Receiver<RunnerEvent<E>>;

/// The sending side of the requests to a runner; the public handles wrap it.
pub(crate) struct Handle<T> {
    tx: mpsc::Sender<Command<T>>,
    dropped: Arc<AtomicU64>,
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle {
            tx: self.tx.clone(),
            dropped: Arc::clone(&self.dropped),
        }
    }
}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("stopped", &self.tx.is_closed())
            .field("dropped_events", &self.dropped.load(Ordering::Relaxed))
            .finish()
    }
}

impl<T: Send + 'static> Handle<T> {
    /// Runs `f` on the state machine inside the runner and returns its result.
    pub(crate) async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut T, Timestamp) -> R + Send + 'static,
    ) -> Result<R, RunnerStopped> {
        let (reply, result) = oneshot::channel();
        let apply: Apply<T> = Box::new(move |machine, now| {
            // The caller may have given up waiting; the request was applied all the same.
            let _ = reply.send(f(machine, now));
        });
        self.tx
            .send(Command::Apply(apply))
            .await
            .map_err(|_| RunnerStopped)?;
        result.await.map_err(|_| RunnerStopped)
    }

    /// Asks for a clean shutdown and waits until the runner has stopped.
    pub(crate) async fn shutdown(&self) {
        if self.tx.send(Command::Shutdown).await.is_ok() {
            self.tx.closed().await;
        }
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.tx.is_closed()
    }

    pub(crate) fn dropped_events(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The request and event channels of a runner: the handle, the runner's end of the requests,
/// the runner's end of the events and the application's.
pub(crate) fn channels<T, E>(
    config: &MqttConfig,
) -> (
    Handle<T>,
    mpsc::Receiver<Command<T>>,
    EventSink<E>,
    EventReceiver<E>,
) {
    let (command_tx, commands) = mpsc::channel(config.command_capacity.max(1));
    let (event_tx, events) = mpsc::channel(config.event_capacity.max(1));
    let dropped = Arc::new(AtomicU64::new(0));
    let handle = Handle {
        tx: command_tx,
        dropped: Arc::clone(&dropped),
    };
    let sink = EventSink {
        tx: event_tx,
        overflow: config.event_overflow,
        unreported: 0,
        dropped,
    };
    (handle, commands, sink, events)
}

/// The application's end of the event channel, with the overflow policy.
pub(crate) struct EventSink<E> {
    tx: mpsc::Sender<RunnerEvent<E>>,
    overflow: EventOverflow,
    /// Dropped and not yet reported.
    unreported: u64,
    dropped: Arc<AtomicU64>,
}

impl<E> EventSink<E> {
    pub(crate) async fn emit(&mut self, event: RunnerEvent<E>) {
        if self.overflow == EventOverflow::Wait {
            // A closed channel means the application does not want events.
            let _ = self.tx.send(event).await;
            return;
        }
        if self.unreported > 0 {
            let report = RunnerEvent::EventsDropped {
                count: self.unreported,
            };
            match self.tx.try_send(report) {
                Ok(()) => self.unreported = 0,
                Err(mpsc::error::TrySendError::Full(_)) => return self.drop_one(),
                Err(mpsc::error::TrySendError::Closed(_)) => return,
            }
        }
        match self.tx.try_send(event) {
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => {}
            Err(mpsc::error::TrySendError::Full(_)) => self.drop_one(),
        }
    }

    fn drop_one(&mut self) {
        if self.unreported == 0 {
            tracing::warn!("The application does not keep up with events; dropping some.");
        }
        self.unreported += 1;
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sink(capacity: usize, overflow: EventOverflow) -> (EventSink<u32>, EventReceiver<u32>) {
        let (tx, rx) = mpsc::channel(capacity);
        let sink = EventSink {
            tx,
            overflow,
            unreported: 0,
            dropped: Arc::new(AtomicU64::new(0)),
        };
        (sink, rx)
    }

    fn session(event: Option<RunnerEvent<u32>>) -> Option<u32> {
        match event {
            Some(RunnerEvent::Session(n)) => Some(n),
            _ => None,
        }
    }

    /// DropNewest: a full channel drops and counts; the count is reported first when there
    /// is room again.
    #[tokio::test]
    async fn a_full_channel_drops_and_reports_the_count() {
        let (mut sink, mut rx) = sink(2, EventOverflow::DropNewest);
        for n in 0..4 {
            sink.emit(RunnerEvent::Session(n)).await;
        }
        assert_eq!(sink.dropped.load(Ordering::Relaxed), 2);
        assert_eq!(session(rx.recv().await), Some(0));
        assert_eq!(session(rx.recv().await), Some(1));
        sink.emit(RunnerEvent::Session(4)).await;
        assert!(matches!(
            rx.recv().await,
            Some(RunnerEvent::EventsDropped { count: 2 })
        ));
        assert_eq!(session(rx.recv().await), Some(4));
        assert_eq!(sink.unreported, 0);
        // Room for the report only: it goes first, the event is dropped and counted anew.
        sink.emit(RunnerEvent::Session(5)).await;
        sink.emit(RunnerEvent::Session(6)).await;
        sink.emit(RunnerEvent::Session(7)).await;
        assert_eq!(session(rx.recv().await), Some(5));
        assert_eq!(session(rx.recv().await), Some(6));
        sink.emit(RunnerEvent::Session(8)).await;
        sink.emit(RunnerEvent::Session(9)).await;
        assert!(matches!(
            rx.recv().await,
            Some(RunnerEvent::EventsDropped { count: 1 })
        ));
        assert_eq!(session(rx.recv().await), Some(8));
        assert_eq!(sink.dropped.load(Ordering::Relaxed), 4);
        // Nobody listening: nothing is counted as dropped.
        drop(rx);
        sink.emit(RunnerEvent::Session(10)).await;
        assert_eq!(sink.dropped.load(Ordering::Relaxed), 4);
    }

    /// Wait: nothing is lost; the sender waits for room.
    #[tokio::test]
    async fn wait_loses_nothing() {
        let (mut sink, mut rx) = sink(1, EventOverflow::Wait);
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(n) = session(rx.recv().await) {
                got.push(n);
            }
            got
        });
        for n in 0..5 {
            sink.emit(RunnerEvent::Session(n)).await;
        }
        drop(sink);
        assert_eq!(reader.await.unwrap(), vec![0, 1, 2, 3, 4]);
    }
}
