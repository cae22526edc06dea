//! The edge node runner: an [`EdgeNode`] on a broker.

use core::convert::Infallible;

use tokio::task::JoinHandle;

use super::channel::{EventReceiver, Handle};
use super::config::MqttConfig;
use super::error::{DriverError, RequestError, RunnerStopped};
use super::runner::{Chain, Machine, Runner};
use crate::Value;
use crate::session::edge::{AddDeviceError, MetricSpecError, SetMetricError, UnknownDevice};
use crate::session::{
    BdSeq, BdSeqStore, ConnectOptions, EdgeEvent, EdgeNode, MetricSpec, Timestamp, Transmit,
};
use crate::topic::DeviceId;

/// A [`BdSeqStore`] in memory: bdSeq counts on across reconnects but starts over with the
/// process. For tests and for nodes whose hosts do not check bdSeq across restarts; use
/// [`FileBdSeqStore`](crate::session::FileBdSeqStore) otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryBdSeqStore {
    last: Option<BdSeq>,
}

impl BdSeqStore for MemoryBdSeqStore {
    type Error = Infallible;

    fn load(&mut self) -> Result<Option<BdSeq>, Infallible> {
        Ok(self.last)
    }

    fn save(&mut self, bd_seq: BdSeq) -> Result<(), Infallible> {
        self.last = Some(bd_seq);
        Ok(())
    }
}

/// The edge node and where its bdSeq is kept.
struct EdgeMachine<S> {
    node: EdgeNode,
    store: S,
}

impl<S: BdSeqStore + Send + 'static> Machine for EdgeMachine<S> {
    type Inner = EdgeNode;
    type Event = EdgeEvent;
    // MQTT 5 wants DISCONNECT with reason 0x04 "with Will message"; leaving without one has
    // the same effect on the broker.
    const WILL_ON_SHUTDOWN: bool = true;

    fn inner(&mut self) -> &mut EdgeNode {
        &mut self.node
    }

    fn connect(&mut self, now: Timestamp) -> ConnectOptions {
        let options = self.node.connect(now);
        let bd_seq = self.node.bd_seq();
        if let Err(error) = self.store.save(bd_seq) {
            // The session goes on: only a restart would repeat this bdSeq.
            tracing::error!(%bd_seq, error = %Chain(&error), "The bdSeq could not be saved.");
        }
        options
    }

    fn handle_connected(&mut self, now: Timestamp) {
        self.node.handle_connected(now);
    }

    fn handle_publish(&mut self, now: Timestamp, topic: &str, payload: &[u8]) {
        self.node.handle_publish(now, topic, payload);
    }

    fn handle_disconnected(&mut self, now: Timestamp) {
        self.node.handle_disconnected(now);
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        self.node.handle_timeout(now);
    }

    fn shutdown(&mut self, now: Timestamp) {
        self.node.shutdown(now);
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.node.poll_transmit()
    }

    fn poll_event(&mut self) -> Option<EdgeEvent> {
        self.node.poll_event()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.node.poll_timeout()
    }
}

/// Runs an [`EdgeNode`] on an MQTT broker: connects with the NDEATH Will, saves each new
/// bdSeq, reconnects with back-off, and applies the requests of its [`EdgeNodeHandle`]s.
///
/// Build the node first, with the bdSeq of its last CONNECT from the store, and give it its
/// metrics and devices so that the first births carry them:
///
/// ```no_run
/// use sparkplug_b::driver::{EdgeNodeRunner, MqttConfig, RunnerEvent, clock};
/// use sparkplug_b::session::{BdSeqStore, EdgeNode, EdgeNodeConfig, FileBdSeqStore, MetricSpec};
/// use sparkplug_b::topic::{EdgeNodeId, GroupId};
/// use sparkplug_b::DataType;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let mut store = FileBdSeqStore::new("plant1.bdseq");
/// let config = EdgeNodeConfig::new(GroupId::new("IcePlant")?, EdgeNodeId::new("Plant1")?);
/// let mut node = EdgeNode::new(config, store.load()?);
/// node.add_node_metric(clock::now(), MetricSpec::new("Brine/Temp", DataType::Double))?;
///
/// let mqtt = MqttConfig::new("mqtt://127.0.0.1:1883".parse()?);
/// let (runner, handle, mut events) = EdgeNodeRunner::new(node, mqtt, store);
/// let task = runner.spawn();
/// handle.set_metric(None, "Brine/Temp", -8.5).await?;
/// handle.flush().await?;
/// while let Some(event) = events.recv().await {
///     if let RunnerEvent::Session(event) = event {
///         println!("{event:?}");
///     }
/// #   break;
/// }
/// handle.shutdown().await; // NDEATH, then DISCONNECT
/// task.await??;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct EdgeNodeRunner<S: BdSeqStore + Send + 'static> {
    runner: Runner<EdgeMachine<S>>,
}

impl<S: BdSeqStore + Send + 'static> EdgeNodeRunner<S> {
    /// A runner for `node` on the broker of `mqtt`, saving bdSeq to `store`; with a handle to
    /// it and the receiver of its events. Nothing happens until [`EdgeNodeRunner::run`] (or
    /// [`EdgeNodeRunner::spawn`]).
    pub fn new(
        node: EdgeNode,
        mqtt: MqttConfig,
        store: S,
    ) -> (Self, EdgeNodeHandle, EventReceiver<EdgeEvent>) {
        let (runner, handle, events) = Runner::new(EdgeMachine { node, store }, mqtt);
        (EdgeNodeRunner { runner }, EdgeNodeHandle { handle }, events)
    }

    /// Runs until a clean shutdown ([`EdgeNodeHandle::shutdown`], or every handle dropped):
    /// `Ok(())`. Fails only when it gives up connecting ([`DriverError`]).
    pub async fn run(self) -> Result<(), DriverError> {
        self.runner.run().await
    }

    /// Runs on a new tokio task.
    pub fn spawn(self) -> JoinHandle<Result<(), DriverError>> {
        tokio::spawn(self.run())
    }
}

/// [`EdgeNodeRunner::new`] then [`EdgeNodeRunner::spawn`].
pub fn run_edge_node<S: BdSeqStore + Send + 'static>(
    node: EdgeNode,
    mqtt: MqttConfig,
    store: S,
) -> (
    EdgeNodeHandle,
    EventReceiver<EdgeEvent>,
    JoinHandle<Result<(), DriverError>>,
) {
    let (runner, handle, events) = EdgeNodeRunner::new(node, mqtt, store);
    (handle, events, runner.spawn())
}

/// Requests to a running edge node; cheap to clone. Each request is applied to the
/// [`EdgeNode`] inside the runner, in order, with the time it is applied at, and answers with
/// the state machine's own result. Dropping every handle shuts the runner down cleanly.
#[derive(Debug, Clone)]
pub struct EdgeNodeHandle {
    handle: Handle<EdgeNode>,
}

impl EdgeNodeHandle {
    /// [`EdgeNode::set_metric`]: records a new value, published by the next
    /// [`EdgeNodeHandle::flush`].
    pub async fn set_metric(
        &self,
        device: Option<&DeviceId>,
        name: &str,
        value: impl Into<Value>,
    ) -> Result<(), RequestError<SetMetricError>> {
        let (device, name, value) = (device.cloned(), name.to_owned(), value.into());
        self.handle
            .call(move |node, now| node.set_metric(now, device.as_ref(), &name, value))
            .await?
            .map_err(RequestError::Rejected)
    }

    /// [`EdgeNode::set_metric_null`]: records that a metric is now null.
    pub async fn set_metric_null(
        &self,
        device: Option<&DeviceId>,
        name: &str,
    ) -> Result<(), RequestError<SetMetricError>> {
        let (device, name) = (device.cloned(), name.to_owned());
        self.handle
            .call(move |node, now| node.set_metric_null(now, device.as_ref(), &name))
            .await?
            .map_err(RequestError::Rejected)
    }

    /// [`EdgeNode::flush`]: publishes what changed as NDATA and DDATA, or keeps it for store
    /// and forward while the node is not online.
    pub async fn flush(&self) -> Result<(), RunnerStopped> {
        self.handle.call(|node, now| node.flush(now)).await
    }

    /// [`EdgeNode::add_node_metrics`]: adds node metrics, with a new birth sequence while
    /// online.
    pub async fn add_node_metrics(
        &self,
        specs: Vec<MetricSpec>,
    ) -> Result<(), RequestError<MetricSpecError>> {
        self.handle
            .call(move |node, now| node.add_node_metrics(now, specs))
            .await?
            .map_err(RequestError::Rejected)
    }

    /// [`EdgeNode::add_device`]: attaches a device; its DBIRTH follows while online.
    pub async fn add_device(
        &self,
        device: DeviceId,
        specs: Vec<MetricSpec>,
    ) -> Result<(), RequestError<AddDeviceError>> {
        self.handle
            .call(move |node, now| node.add_device(now, device, specs))
            .await?
            .map_err(RequestError::Rejected)
    }

    /// [`EdgeNode::remove_device`]: detaches a device, with its DDEATH while online.
    pub async fn remove_device(&self, device: DeviceId) -> Result<(), RequestError<UnknownDevice>> {
        self.handle
            .call(move |node, now| node.remove_device(now, &device))
            .await?
            .map_err(RequestError::Rejected)
    }

    /// Reads the node inside the runner: its state, metric values, devices.
    pub async fn inspect<R: Send + 'static>(
        &self,
        f: impl FnOnce(&EdgeNode) -> R + Send + 'static,
    ) -> Result<R, RunnerStopped> {
        self.handle.call(move |node, _| f(node)).await
    }

    /// Shuts down cleanly and waits until the runner has stopped: NDEATH at QoS 1, its PUBACK
    /// (at most [`MqttConfig::shutdown_timeout`]), then DISCONNECT. With MQTT 5 the
    /// connection is closed without DISCONNECT instead, so that the broker also publishes the
    /// Will, as reason code 0x04 asks. Returns at once if the runner has already stopped.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_remembers() {
        let mut store = MemoryBdSeqStore::default();
        assert_eq!(store.load(), Ok(None));
        store.save(BdSeq::new(3)).unwrap();
        assert_eq!(store.load(), Ok(Some(BdSeq::new(3))));
    }
}
