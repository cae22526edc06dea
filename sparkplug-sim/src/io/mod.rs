//! The simulator on a real broker: tokio + rumqttc around the deterministic [`Scenario`].
//!
//! One task owns the scenario and maps the wall clock to the simulated one (real time or
//! fast-forward); each node's connection runs rumqttc's event loop in a task of its own
//! (`connection.rs`). The task advances the scenario when something is due, carries its
//! actions to the connections without ever waiting on them, and feeds back CONNACKs,
//! commands and lost connections.

mod clock;
mod connection;
mod stats;

pub use clock::Speed;
pub use connection::OpenError;
pub use stats::StatsSnapshot;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sparkplug_b::driver::{BrokerUrl, MqttConfig, UrlError};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::MqttOverride;
use crate::scenario::{Action, Scenario};
use clock::SimClock;
use connection::{Connection, Incoming, Report};
use stats::Shared;

/// How to run a scenario on a broker.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RunOptions {
    /// The broker and MQTT settings of nodes whose entry names no broker.
    pub mqtt: MqttConfig,
    /// Real time or fast-forward.
    pub speed: Speed,
    /// How many requests each connection's rumqttc channel holds; a publish that finds it
    /// full is dropped and counted (`send_failures`). Default 1024.
    pub request_capacity: usize,
    /// How long a clean disconnect waits for rumqttc to send what it holds. Default 2 s.
    pub shutdown_grace: Duration,
}

impl RunOptions {
    /// Real time on `mqtt`'s broker.
    pub fn new(mqtt: MqttConfig) -> Self {
        RunOptions {
            mqtt,
            speed: Speed::RealTime,
            request_capacity: 1024,
            shutdown_grace: Duration::from_secs(2),
        }
    }

    /// Sets the speed (builder style).
    pub fn with_speed(mut self, speed: Speed) -> Self {
        self.speed = speed;
        self
    }

    /// Sets the per-connection request capacity (builder style).
    pub fn with_request_capacity(mut self, capacity: usize) -> Self {
        self.request_capacity = capacity.max(1);
        self
    }
}

/// Why a run could not start or went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// A node's broker URL does not parse.
    #[error("node {node}: bad broker URL: {source}")]
    Url {
        /// The node id.
        node: String,
        /// Why.
        source: UrlError,
    },
    /// A node's CA file could not be read.
    #[error("node {node}: cannot read CA file {path}: {source}")]
    CaFile {
        /// The node id.
        node: String,
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A connection could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The run's task panicked or was cancelled.
    #[error("the simulator task ended abnormally")]
    Task,
}

/// What a finished run leaves.
#[derive(Debug)]
#[non_exhaustive]
pub struct Finished {
    /// The final statistics.
    pub stats: StatsSnapshot,
    /// The scenario as it ended (every node shut down).
    pub scenario: Scenario,
}

/// A scenario ready to run on a broker.
#[derive(Debug)]
pub struct Simulator {
    scenario: Scenario,
    options: RunOptions,
}

/// A request to run on the scenario inside the running simulator.
type Inspect = Box<dyn FnOnce(&mut Scenario) + Send>;

/// A running simulator: statistics, access to the scenario, and a way to stop it.
#[derive(Debug)]
pub struct SimHandle {
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    requests: mpsc::Sender<Inspect>,
    join: JoinHandle<Result<Finished, RunError>>,
}

impl SimHandle {
    /// The statistics now.
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.snapshot()
    }

    /// Runs `f` on the scenario inside the simulator (read a plant, inject a fault) and
    /// returns its result; `None` when the simulator has stopped.
    pub async fn inspect<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Scenario) -> R + Send + 'static,
    ) -> Option<R> {
        let (tx, rx) = oneshot::channel();
        let request: Inspect = Box::new(move |s| {
            let _ = tx.send(f(s));
        });
        self.requests.send(request).await.ok()?;
        rx.await.ok()
    }

    /// The last reason a connection closed or failed, if any did.
    pub fn last_connection_error(&self) -> Option<String> {
        self.shared.last_error()
    }

    /// Whether the simulator has stopped.
    pub fn is_finished(&self) -> bool {
        self.join.is_finished()
    }

    /// Every node publishes its NDEATH and disconnects; returns the final statistics and the
    /// scenario as it ended.
    pub async fn stop(mut self) -> Result<Finished, RunError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.join).await.map_err(|_| RunError::Task)?
    }
}

impl Simulator {
    /// A simulator for `scenario`.
    pub fn new(scenario: Scenario, options: RunOptions) -> Self {
        Simulator { scenario, options }
    }

    /// Starts the run in a task of the current tokio runtime.
    pub fn spawn(self) -> SimHandle {
        let shared = Arc::new(Shared::new(self.scenario.node_count()));
        let (stop_tx, stop_rx) = oneshot::channel();
        let (req_tx, req_rx) = mpsc::channel(16);
        let s = shared.clone();
        let join = tokio::spawn(async move {
            self.run_inner(
                async {
                    let _ = stop_rx.await;
                },
                s,
                req_rx,
            )
            .await
        });
        SimHandle {
            shared,
            stop: Some(stop_tx),
            requests: req_tx,
            join,
        }
    }

    /// Runs until `shutdown` completes, then publishes every node's NDEATH and returns the
    /// final statistics and the scenario.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<Finished, RunError> {
        let shared = Arc::new(Shared::new(self.scenario.node_count()));
        let (_keep, req_rx) = mpsc::channel(1);
        self.run_inner(shutdown, shared, req_rx).await
    }

    async fn run_inner(
        self,
        shutdown: impl Future<Output = ()>,
        shared: Arc<Shared>,
        mut requests: mpsc::Receiver<Inspect>,
    ) -> Result<Finished, RunError> {
        let Simulator {
            mut scenario,
            options,
        } = self;
        let configs = node_configs(&scenario, &options.mqtt)?;
        let clock = SimClock::new(scenario.start(), options.speed);
        let node_count = scenario.node_count();
        let (inbox_tx, mut inbox) = mpsc::channel::<Report>(8192);
        let mut io = Io {
            conns: (0..node_count).map(|_| None).collect(),
            generation: 0,
            configs,
            inbox: inbox_tx,
            capacity: options.request_capacity,
            grace: options.shutdown_grace,
            send_failures: 0,
            connected: vec![false; node_count],
            last_error: None,
            leaving: Vec::new(),
            failed_at: vec![None; node_count],
        };
        tokio::pin!(shutdown);
        let mut online_at = Instant::now();
        loop {
            let now = clock.now();
            if let Some(due) = scenario.next_wake() {
                if due <= now {
                    let lag = clock.wall_between(due, now);
                    shared.record_lag(lag);
                }
            }
            scenario.advance(now);
            io.execute(&mut scenario)?;
            shared.update(&scenario, io.send_failures, io.online());
            if let Some(e) = io.last_error.take() {
                shared.set_error(e);
            }
            if online_at.elapsed() >= Duration::from_millis(200) {
                online_at = Instant::now();
                shared.set_online(scenario.online_count());
            }
            let wake = scenario
                .next_wake()
                .map_or(Instant::now() + Duration::from_secs(1), |t| {
                    clock.instant_of(t)
                });
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some(report) = inbox.recv() => {
                    io.report(&mut scenario, &clock, report);
                    // Take what else is waiting without going round the loop for each.
                    for _ in 0..1024 {
                        match inbox.try_recv() {
                            Ok(report) => io.report(&mut scenario, &clock, report),
                            Err(_) => break,
                        }
                    }
                }
                Some(request) = requests.recv() => request(&mut scenario),
                () = tokio::time::sleep_until(wake) => {}
            }
        }
        scenario.shutdown(clock.now());
        io.execute(&mut scenario)?;
        shared.update(&scenario, io.send_failures, io.online());
        shared.set_online(0);
        let grace = options.shutdown_grace;
        for conn in io.conns.iter_mut() {
            if let Some(c) = conn.take() {
                io.leaving.push(c.leave(grace));
            }
        }
        // Each leaving connection ends by itself within the grace period.
        for task in io.leaving.drain(..) {
            let _ = task.await;
        }
        Ok(Finished {
            stats: shared.snapshot(),
            scenario,
        })
    }
}

/// The connections and what they need.
struct Io {
    conns: Vec<Option<Connection>>,
    generation: u64,
    configs: Vec<Arc<MqttConfig>>,
    inbox: mpsc::Sender<Report>,
    capacity: usize,
    grace: Duration,
    send_failures: u64,
    connected: Vec<bool>,
    last_error: Option<String>,
    /// Connections finishing a clean disconnect.
    leaving: Vec<JoinHandle<()>>,
    /// When each node's last connection attempt failed, if it did.
    failed_at: Vec<Option<Instant>>,
}

/// The least wall time between a failed connection attempt and the next.
const RETRY_GAP: Duration = Duration::from_secs(1);

impl Io {
    fn online(&self) -> usize {
        self.connected.iter().filter(|c| **c).count()
    }

    /// Carries out every action the scenario queued.
    fn execute(&mut self, scenario: &mut Scenario) -> Result<(), RunError> {
        while let Some(action) = scenario.poll_action() {
            let node = action.node();
            match action {
                Action::Connect { options, .. } => {
                    self.generation += 1;
                    let Some(config) = self.configs.get(node) else {
                        continue;
                    };
                    // After a failed attempt, wait at least RETRY_GAP of wall time before the
                    // next, however fast simulated time runs.
                    let delay = self
                        .failed_at
                        .get(node)
                        .copied()
                        .flatten()
                        .map_or(Duration::ZERO, |t| {
                            (t + RETRY_GAP).saturating_duration_since(Instant::now())
                        });
                    let conn = Connection::open(
                        config,
                        options,
                        node,
                        self.generation,
                        self.capacity,
                        self.inbox.clone(),
                        delay,
                    )?;
                    if let Some(slot) = self.conns.get_mut(node) {
                        // Replacing an old connection drops it: its socket closes.
                        *slot = Some(conn);
                    }
                }
                Action::Subscribe { subscriptions, .. } => {
                    if let Some(Some(c)) = self.conns.get(node) {
                        if c.try_subscribe(&subscriptions).is_err() {
                            self.send_failures += 1;
                        }
                    }
                }
                Action::Publish { publish, .. } => match self.conns.get(node) {
                    Some(Some(c)) => {
                        if c.try_publish(publish).is_err() {
                            self.send_failures += 1;
                        }
                    }
                    _ => self.send_failures += 1,
                },
                Action::Disconnect { .. } => {
                    if let Some(c) = self.conns.get_mut(node).and_then(Option::take) {
                        let _ = c.try_disconnect();
                        self.leaving.retain(|t| !t.is_finished());
                        self.leaving.push(c.leave(self.grace));
                    }
                    self.set_connected(node, false);
                }
                Action::Drop { .. } => {
                    if let Some(slot) = self.conns.get_mut(node) {
                        *slot = None;
                    }
                    self.set_connected(node, false);
                }
            }
        }
        Ok(())
    }

    fn set_connected(&mut self, node: usize, on: bool) {
        if let Some(c) = self.connected.get_mut(node) {
            *c = on;
        }
    }

    /// A connection task's report.
    fn report(
        &mut self,
        scenario: &mut Scenario,
        clock: &SimClock,
        (node, generation, incoming): Report,
    ) {
        let current = self
            .conns
            .get(node)
            .and_then(Option::as_ref)
            .is_some_and(|c| c.generation == generation);
        if !current {
            return;
        }
        let now = clock.now();
        match incoming {
            Incoming::ConnAck => {
                if let Some(f) = self.failed_at.get_mut(node) {
                    *f = None;
                }
                self.set_connected(node, true);
                scenario.handle_connected(node, now);
            }
            Incoming::Publish { topic, payload } => {
                scenario.handle_publish(node, now, &topic, &payload)
            }
            Incoming::Closed(why) => {
                self.last_error = Some(why);
                let never_up = !self.connected.get(node).copied().unwrap_or(false);
                if let (true, Some(f)) = (never_up, self.failed_at.get_mut(node)) {
                    *f = Some(Instant::now());
                }
                if let Some(slot) = self.conns.get_mut(node) {
                    *slot = None;
                }
                self.set_connected(node, false);
                scenario.handle_connection_lost(node, now);
            }
        }
    }
}

/// The MQTT settings of every node: the default, or its entry's override.
fn node_configs(scenario: &Scenario, base: &MqttConfig) -> Result<Vec<Arc<MqttConfig>>, RunError> {
    let shared = Arc::new(base.clone());
    let mut cache: HashMap<*const MqttOverride, Arc<MqttConfig>> = HashMap::new();
    let mut out = Vec::with_capacity(scenario.node_count());
    for i in 0..scenario.node_count() {
        let Some(o) = scenario.node_mqtt(i) else {
            out.push(shared.clone());
            continue;
        };
        let key: *const MqttOverride = o;
        if let Some(c) = cache.get(&key) {
            out.push(c.clone());
            continue;
        }
        let node = scenario
            .node_id(i)
            .map(|(_, n)| n.to_owned())
            .unwrap_or_default();
        let mut c = base.clone();
        if let Some(url) = &o.url {
            let broker: BrokerUrl = url.parse().map_err(|source| RunError::Url {
                node: node.clone(),
                source,
            })?;
            // A node of its own broker does not walk the shared servers.
            c.broker = broker;
            c.servers.clear();
        }
        if let (Some(u), Some(p)) = (&o.username, &o.password) {
            c = c.with_credentials(u.clone(), p.clone());
        } else if let Some(u) = &o.username {
            c = c.with_credentials(u.clone(), String::new());
        }
        if let Some(path) = &o.ca_file {
            let pem = std::fs::read(path).map_err(|source| RunError::CaFile {
                node: node.clone(),
                path: path.clone(),
                source,
            })?;
            c = c.with_ca_pem(pem);
        }
        let c = Arc::new(c);
        cache.insert(key, c.clone());
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ScenarioConfig;
    use sparkplug_b::session::Timestamp;

    fn scenario(text: &str) -> Scenario {
        let config: ScenarioConfig = text.parse().unwrap();
        Scenario::from_config(&config, 1, Timestamp::from_millis(0)).unwrap()
    }

    #[test]
    fn per_node_brokers_override_the_default() {
        let s = scenario(
            "[[node]]\ngroup = \"G\"\nnode = \"A\"\n[[node]]\ngroup = \"G\"\nnode = \"B{n}\"\ncount = 2\n\
             mqtt = { url = \"mqtts5://broker.example:8884\", username = \"u\", password = \"p\" }\n",
        );
        let base = MqttConfig::new(BrokerUrl::new("127.0.0.1", 1883));
        let configs = node_configs(&s, &base).unwrap();
        assert_eq!(configs[0].broker, base.broker);
        assert_eq!(configs[1].broker.port(), 8884);
        assert!(configs[1].broker.tls());
        assert!(
            Arc::ptr_eq(&configs[1], &configs[2]),
            "one config per entry"
        );
        assert_eq!(
            configs[2].credentials.as_ref().map(|c| c.username.as_str()),
            Some("u")
        );
    }

    #[test]
    fn bad_node_brokers_are_errors() {
        let base = MqttConfig::new(BrokerUrl::new("127.0.0.1", 1883));
        let s = scenario("[[node]]\ngroup = \"G\"\nnode = \"A\"\nmqtt = { url = \"http://x\" }\n");
        assert!(matches!(node_configs(&s, &base), Err(RunError::Url { .. })));
        let s = scenario(
            "[[node]]\ngroup = \"G\"\nnode = \"A\"\nmqtt = { ca_file = \"/nonexistent.pem\" }\n",
        );
        assert!(matches!(
            node_configs(&s, &base),
            Err(RunError::CaFile { .. })
        ));
    }
}
