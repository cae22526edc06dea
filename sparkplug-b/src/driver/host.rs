//! The host application runner: a [`HostApplication`] on a broker.

use tokio::task::JoinHandle;

use super::channel::{EventReceiver, Handle};
use super::config::MqttConfig;
use super::error::{DriverError, RequestError, RunnerStopped};
use super::runner::{Machine, Runner};
use crate::Value;
use crate::session::host::{CommandError, OwnStateResponse};
use crate::session::{ConnectOptions, HostApplication, HostEvent, Timestamp, Transmit};
use crate::topic::{DeviceId, EdgeNodeId, GroupId};

impl Machine for HostApplication {
    type Inner = HostApplication;
    type Event = HostEvent;
    // The host's STATE death is published before leaving; its Will (older timestamp) must not
    // replace that retained message.
    const WILL_ON_SHUTDOWN: bool = false;

    fn inner(&mut self) -> &mut HostApplication {
        self
    }

    fn connect(&mut self, now: Timestamp) -> ConnectOptions {
        HostApplication::connect(self, now)
    }

    fn handle_connected(&mut self, now: Timestamp) {
        HostApplication::handle_connected(self, now);
    }

    fn handle_publish(&mut self, now: Timestamp, topic: &str, payload: &[u8]) {
        HostApplication::handle_publish(self, now, topic, payload);
    }

    fn handle_disconnected(&mut self, now: Timestamp) {
        HostApplication::handle_disconnected(self, now);
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        HostApplication::handle_timeout(self, now);
    }

    fn shutdown(&mut self, now: Timestamp) {
        HostApplication::shutdown(self, now);
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        HostApplication::poll_transmit(self)
    }

    fn poll_event(&mut self) -> Option<HostEvent> {
        let event = HostApplication::poll_event(self);
        if let Some(HostEvent::OwnStateOffline {
            timestamp,
            current,
            response,
        }) = &event
        {
            log_own_state_offline(*timestamp, *current, *response);
        }
        event
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        HostApplication::poll_timeout(self)
    }
}

/// An offline STATE of the host's own, for the log: a warning unless it was a stale Will.
fn log_own_state_offline(timestamp: u64, current: Timestamp, response: OwnStateResponse) {
    let current = current.as_millis();
    match response {
        OwnStateResponse::NewSession { next_timestamp } => tracing::warn!(
            offline_timestamp = timestamp,
            birth_timestamp = current,
            next_timestamp = next_timestamp.as_millis(),
            "An offline STATE for this host that it did not publish (forged, or another client \
             with the same host id): the edge nodes went offline; starting a new MQTT session \
             with a newer STATE birth."
        ),
        OwnStateResponse::RepublishedBirth if timestamp < current => tracing::debug!(
            offline_timestamp = timestamp,
            birth_timestamp = current,
            "A stale offline STATE for this host (an earlier session's Will); published the \
             birth again."
        ),
        _ => tracing::warn!(
            offline_timestamp = timestamp,
            birth_timestamp = current,
            ?response,
            "An offline STATE for this host that it did not publish; edge nodes waiting for it \
             may have gone offline."
        ),
    }
}

/// Runs a [`HostApplication`] on an MQTT broker: connects with the STATE Will, publishes the
/// STATE birth after each CONNACK, reconnects with back-off, fires the reorder timers, and
/// applies the requests of its [`HostHandle`]s.
///
/// ```no_run
/// use sparkplug_b::driver::{HostRunner, MqttConfig, RunnerEvent};
/// use sparkplug_b::session::{HostApplication, HostConfig, HostEvent};
/// use sparkplug_b::topic::HostId;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let host = HostApplication::new(HostConfig::new(HostId::new("scada")?));
/// let mqtt = MqttConfig::new("mqtt://127.0.0.1:1883".parse()?);
/// let (runner, handle, mut events) = HostRunner::new(host, mqtt);
/// let task = runner.spawn();
/// while let Some(event) = events.recv().await {
///     if let RunnerEvent::Session(HostEvent::NodeOnline { group, node, .. }) = event {
///         handle.request_rebirth(&group, &node).await?;
///         break;
///     }
/// }
/// handle.shutdown().await; // STATE offline, then DISCONNECT
/// task.await??;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct HostRunner {
    runner: Runner<HostApplication>,
}

impl HostRunner {
    /// A runner for `host` on the broker of `mqtt`; with a handle to it and the receiver of
    /// its events. Nothing happens until [`HostRunner::run`] (or [`HostRunner::spawn`]).
    pub fn new(
        host: HostApplication,
        mqtt: MqttConfig,
    ) -> (Self, HostHandle, EventReceiver<HostEvent>) {
        let (runner, handle, events) = Runner::new(host, mqtt);
        (HostRunner { runner }, HostHandle { handle }, events)
    }

    /// Runs until a clean shutdown ([`HostHandle::shutdown`], or every handle dropped):
    /// `Ok(())`. Fails only when it gives up connecting ([`DriverError`]).
    pub async fn run(self) -> Result<(), DriverError> {
        self.runner.run().await
    }

    /// Runs on a new tokio task.
    pub fn spawn(self) -> JoinHandle<Result<(), DriverError>> {
        tokio::spawn(self.run())
    }
}

/// [`HostRunner::new`] then [`HostRunner::spawn`].
pub fn run_host(
    host: HostApplication,
    mqtt: MqttConfig,
) -> (
    HostHandle,
    EventReceiver<HostEvent>,
    JoinHandle<Result<(), DriverError>>,
) {
    let (runner, handle, events) = HostRunner::new(host, mqtt);
    (handle, events, runner.spawn())
}

/// Requests to a running host application; cheap to clone. Each request is applied to the
/// [`HostApplication`] inside the runner, in order, and answers with its own result. Dropping
/// every handle shuts the runner down cleanly.
#[derive(Debug, Clone)]
pub struct HostHandle {
    handle: Handle<HostApplication>,
}

impl HostHandle {
    /// [`HostApplication::write_metric`]: an NCMD (`device: None`) or DCMD writing `value`
    /// to a metric named as in its birth.
    pub async fn write_metric(
        &self,
        group: &GroupId,
        node: &EdgeNodeId,
        device: Option<&DeviceId>,
        name: &str,
        value: impl Into<Value>,
    ) -> Result<(), RequestError<CommandError>> {
        let (group, node, device) = (group.clone(), node.clone(), device.cloned());
        let (name, value) = (name.to_owned(), value.into());
        self.handle
            .call(move |host, now| {
                host.write_metric(now, &group, &node, device.as_ref(), &name, value)
            })
            .await?
            .map_err(RequestError::Rejected)
    }

    /// [`HostApplication::request_rebirth`]: an NCMD `Node Control/Rebirth` = true.
    pub async fn request_rebirth(
        &self,
        group: &GroupId,
        node: &EdgeNodeId,
    ) -> Result<(), RequestError<CommandError>> {
        let (group, node) = (group.clone(), node.clone());
        self.handle
            .call(move |host, now| host.request_rebirth(now, &group, &node))
            .await?
            .map_err(RequestError::Rejected)
    }

    /// Reads the host's view inside the runner: nodes, devices, metrics and their quality.
    pub async fn inspect<R: Send + 'static>(
        &self,
        f: impl FnOnce(&HostApplication) -> R + Send + 'static,
    ) -> Result<R, RunnerStopped> {
        self.handle.call(move |host, _| f(host)).await
    }

    /// Shuts down cleanly and waits until the runner has stopped: STATE
    /// `{"online":false,...}` at QoS 1, retained, its PUBACK (at most
    /// [`MqttConfig::shutdown_timeout`]), then DISCONNECT. Returns at once if the runner has
    /// already stopped.
    pub async fn shutdown(&self) {
        self.handle.shutdown().await;
    }

    /// Whether the runner has stopped.
    pub fn is_stopped(&self) -> bool {
        self.handle.is_stopped()
    }

    /// How many events were dropped because the event channel was full.
    pub fn dropped_events(&self) -> u64 {
        self.handle.dropped_events()
    }
}
