//! Interoperability with an independent implementation: the Python package `pysparkplug`
//! (0.6.1), over the broker of `SPARKPLUG_TEST_MQTT_URL`.
//!
//! The pysparkplug side runs as a child process (`tests/interop/*.py`) started with the Python
//! of `SPARKPLUG_INTEROP_PYTHON` (default `python3`). Without `SPARKPLUG_TEST_MQTT_URL`, or
//! without a Python that imports `pysparkplug`, the tests print a note and pass; with
//! `SPARKPLUG_INTEROP_REQUIRED` set, a missing pysparkplug fails them instead. Every wait is
//! bounded and the child is killed on every path ([`Script`] kills it on drop).
//!
//! What pysparkplug 0.6.1 does against the specification, as these tests observe it (they
//! assert it, so that a change on either side shows):
//! - its clean NDEATH carries the bdSeq of the *next* session (its NBIRTH and Will carry 0, the
//!   NDEATH it publishes before DISCONNECT 1: `payloads-ndeath-bdseq`), so a host that checks
//!   bdSeq ignores it as the late death of another session, and after that clean disconnect
//!   (no Will) the node stays online there until its next NBIRTH;
//! - its NBIRTH has no `Node Control/Rebirth` metric (`payloads-nbirth-rebirth-req`): the
//!   library neither adds it nor handles rebirth NCMDs; our host reports it;
//! - its NDATA and DDATA metrics carry their datatype (`payloads-metric-datatype-not-req`, a
//!   SHOULD NOT); our host reports it as a recommendation;
//! - its decoder rejects Int8 and Int16 values sign-extended into `int_value` (the Tahu
//!   encoding, SPARKPLUG.md 3.2) with an `OverflowError` on the whole message: negative Int8 and
//!   Int16 values from Tahu-style encoders (this crate's included) cannot be read by it.
//!   Its encoder truncates them to their width instead (Int8 −5 → 251), which this crate reads.
//!
//! Seen outside these tests, not asserted: pysparkplug registers its NDEATH Will and publishes
//! its own NDEATH at QoS 0 (`payloads-ndeath-will-message-qos`; our host cannot see QoS); its
//! decoder drops the timestamp of every NDEATH (`NDeath.decode` tests `HasField` the wrong way
//! round); and its edge node cannot decode an NCMD whose metric has no datatype, as
//! `payloads-metric-datatype-not-req` recommends and our host's rebirth request sends: the
//! exception ends its MQTT network thread.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value as Json, json};
use sparkplug_b::driver::{
    Backoff, BrokerUrl, DriverError, EventReceiver, HostHandle, MemoryBdSeqStore, MqttConfig,
    RunnerEvent, clock, run_edge_node, run_host,
};
use sparkplug_b::session::host::{DeviceOfflineCause, MetricUpdate, Presence};
use sparkplug_b::session::{
    BdSeq, EdgeEvent, EdgeNode, EdgeNodeConfig, HostApplication, HostConfig, HostEvent, MetricSpec,
};
use sparkplug_b::topic::{DeviceId, EdgeNodeId, GroupId, HostId, MessageType};
use sparkplug_b::{DataType, Quality, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout_at};

use crate::support::{WAIT, bounded, clear_state, env_broker, host_state_birth, unique, wait_for};

const PYTHON: &str = "SPARKPLUG_INTEROP_PYTHON";
const REQUIRED: &str = "SPARKPLUG_INTEROP_REQUIRED";

fn mqtt(url: &BrokerUrl) -> MqttConfig {
    MqttConfig::new(url.clone())
        .with_keep_alive(Duration::from_secs(5))
        .with_connect_timeout(Duration::from_secs(2))
        .with_backoff(
            Backoff::default().with_delays(Duration::from_millis(50), Duration::from_millis(500)),
        )
}

fn script_path(name: &str) -> String {
    format!("{}/tests/interop/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The broker and the Python to run pysparkplug with, or `None` after a note: the test is
/// skipped. Panics when pysparkplug is missing and `SPARKPLUG_INTEROP_REQUIRED` is set.
fn interop_setup(test: &str) -> Option<(BrokerUrl, String)> {
    let url = env_broker(test)?;
    let python = std::env::var(PYTHON)
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".to_owned());
    match pysparkplug_version(&python) {
        Ok(version) => {
            eprintln!("{test}: pysparkplug {version} ({python})");
            Some((url, python))
        }
        Err(why) if std::env::var_os(REQUIRED).is_some_and(|v| !v.is_empty()) => {
            panic!("{test}: {REQUIRED} is set, but pysparkplug is not usable: {why}")
        }
        Err(why) => {
            eprintln!("{test}: skipped, pysparkplug is not usable ({why}); set {PYTHON}");
            None
        }
    }
}

/// `python -c "import pysparkplug"`, bounded.
fn pysparkplug_version(python: &str) -> Result<String, String> {
    let mut child = Command::new(python)
        .args(["-c", "import pysparkplug; print(pysparkplug.__version__)"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    let deadline = std::time::Instant::now() + WAIT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{python} did not answer within {WAIT:?}"));
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    let (mut out, mut err) = (String::new(), String::new());
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    if status.success() {
        Ok(out.trim().to_owned())
    } else {
        Err(err.lines().last().unwrap_or("import failed").to_owned())
    }
}

/// A running pysparkplug script: its stdout lines come through a channel, its stderr is kept
/// and printed when it is dropped, and dropping it kills it.
struct Script {
    name: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Script {
    fn spawn(python: &str, name: &'static str, args: &[&str]) -> Script {
        let mut child = Command::new(python)
            .arg(script_path(name))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python} {name}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut err_pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = err_pipe.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdin = child.stdin.take();
        Script {
            name,
            child,
            stdin,
            lines,
            stderr,
        }
    }

    /// The next JSON line on its stdout, `None` at its end; panics after `deadline`.
    async fn next(&mut self, deadline: Instant, what: &str) -> Option<Json> {
        match timeout_at(deadline, self.lines.recv()).await {
            Ok(Some(line)) => Some(
                serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {line}", self.name)),
            ),
            Ok(None) => None,
            Err(_) => panic!("{}: timed out waiting for {what}", self.name),
        }
    }

    /// Reads lines until one matches `pick`; every line read is also pushed to `seen`.
    async fn wait_line(
        &mut self,
        what: &str,
        seen: &mut Vec<Json>,
        pick: impl Fn(&Json) -> bool,
    ) -> Json {
        let deadline = Instant::now() + WAIT;
        loop {
            let Some(line) = self.next(deadline, what).await else {
                panic!("{}: ended while waiting for {what}", self.name);
            };
            seen.push(line.clone());
            if pick(&line) {
                return line;
            }
        }
    }

    /// Writes a line to its stdin.
    fn tell(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Waits (bounded) for it to exit.
    async fn exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "{}: did not exit", self.name);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills it at once (SIGKILL: its sockets close without an MQTT DISCONNECT).
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        self.kill();
        let stderr = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        if !stderr.is_empty() {
            eprintln!("--- {} stderr ---\n{stderr}--- end ---", self.name);
        }
    }
}

/// The group a host event is about.
fn group_of(event: &HostEvent) -> Option<&GroupId> {
    match event {
        HostEvent::NodeOnline { group, .. }
        | HostEvent::NodeOffline { group, .. }
        | HostEvent::DeviceOnline { group, .. }
        | HostEvent::DeviceOffline { group, .. }
        | HostEvent::Metrics { group, .. }
        | HostEvent::SeqGap { group, .. }
        | HostEvent::RebirthRequested { group, .. }
        | HostEvent::RebirthSuppressed { group, .. }
        | HostEvent::StaleNdeathIgnored { group, .. } => Some(group),
        HostEvent::Violation { group, .. } => group.as_ref(),
        _ => None,
    }
}

/// Reads the host's events of `group` into `seen` until one matches `done`, at most [`WAIT`].
async fn collect_until(
    events: &mut EventReceiver<HostEvent>,
    group: &GroupId,
    seen: &mut Vec<HostEvent>,
    what: &str,
    done: impl Fn(&HostEvent) -> bool,
) {
    wait_for(events, what, |e| match e {
        RunnerEvent::Session(e) if group_of(&e) == Some(group) => {
            let found = done(&e);
            seen.push(e);
            found.then_some(())
        }
        _ => None,
    })
    .await;
}

/// The metrics of the host's `Metrics` events of this type (and device), in order.
fn metrics_of(
    seen: &[HostEvent],
    kind: MessageType,
    of_device: Option<&DeviceId>,
) -> Vec<(Option<u8>, Vec<MetricUpdate>)> {
    seen.iter()
        .filter_map(|e| match e {
            HostEvent::Metrics {
                message_type,
                device,
                seq,
                metrics,
                out_of_sequence,
                ..
            } if *message_type == kind && device.as_ref() == of_device => {
                assert!(!out_of_sequence, "{kind:?} delivered out of sequence");
                Some((seq.map(|s| s.value()), metrics.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Asserts that `metrics` are exactly `expected` (name, datatype and typed value).
fn assert_metrics(what: &str, metrics: &[MetricUpdate], expected: &[(&str, Value)]) {
    let got: BTreeMap<String, (Option<DataType>, Option<Value>)> = metrics
        .iter()
        .map(|m| {
            let name = m.name().to_owned();
            (name, (Some(m.datatype()), m.value().cloned()))
        })
        .collect();
    let want: BTreeMap<String, (Option<DataType>, Option<Value>)> = expected
        .iter()
        .map(|(name, v)| ((*name).to_owned(), (Some(v.data_type()), Some(v.clone()))))
        .collect();
    assert_eq!(got, want, "{what}");
    assert!(
        metrics.iter().all(|m| m.quality() == Quality::Good),
        "{what}: quality"
    );
}

/// Metrics by name with their typed values, as sent.
type Expected = Vec<(&'static str, Value)>;

/// What pysparkplug's edge node (`py_edge_node.py`) publishes, as our host should read it.
struct PyEdge;

impl PyEdge {
    fn nbirth() -> Expected {
        vec![
            ("Temp", Value::Double(20.5)),
            ("Count", Value::Int64(-9_000_000_000)),
            ("Running", Value::Boolean(true)),
            ("Mode", Value::String("auto".into())),
            ("Offset8", Value::Int8(-5)),
            ("Offset16", Value::Int16(-1234)),
            ("Offset32", Value::Int32(-100_000)),
            ("Big32", Value::UInt32(4_000_000_000)),
            ("Small8", Value::UInt8(200)),
            ("Ratio", Value::Float(1.5)),
            ("bdSeq", Value::Int64(0)),
        ]
    }

    fn dbirth() -> Expected {
        vec![
            ("Speed", Value::Int32(1200)),
            ("Level", Value::Int8(-128)),
            ("Serial", Value::UInt32(u32::MAX)),
            ("On", Value::Boolean(false)),
        ]
    }

    fn ndata() -> [Expected; 2] {
        [
            vec![
                ("Temp", Value::Double(21.25)),
                ("Offset8", Value::Int8(i8::MIN)),
                ("Offset16", Value::Int16(i16::MIN)),
                ("Big32", Value::UInt32(u32::MAX)),
            ],
            vec![
                ("Count", Value::Int64(42)),
                ("Running", Value::Boolean(false)),
                ("Mode", Value::String("manual".into())),
                ("Offset32", Value::Int32(i32::MIN)),
            ],
        ]
    }

    fn ddata() -> Expected {
        vec![
            ("Speed", Value::Int32(-1200)),
            ("Level", Value::Int8(127)),
            ("Serial", Value::UInt32(0)),
            ("On", Value::Boolean(true)),
        ]
    }
}

/// The ids of one run against pysparkplug.
struct Ids {
    group: GroupId,
    node: EdgeNodeId,
    device: DeviceId,
    host: HostId,
}

impl Ids {
    fn new() -> Self {
        Ids {
            group: GroupId::new(unique("Gpy")).unwrap(),
            node: EdgeNodeId::new("PyNode").unwrap(),
            device: DeviceId::new("Pump1").unwrap(),
            host: HostId::new(unique("Hpy")).unwrap(),
        }
    }
}

/// Our host with pysparkplug's edge node online.
struct PyEdgeRun {
    host: HostHandle,
    events: EventReceiver<HostEvent>,
    task: JoinHandle<Result<(), DriverError>>,
    script: Script,
    /// The host's events of the run's group so far.
    seen: Vec<HostEvent>,
}

/// Our host, and pysparkplug's edge node born and through its data: the host's events so far
/// are in `seen`; every assertion on births and data is made.
async fn py_edge_node_online(test: &str, url: &BrokerUrl, python: &str, ids: &Ids) -> PyEdgeRun {
    let host = HostApplication::new(HostConfig::new(ids.host.clone()).with_client_id(unique("hc")));
    let (host, mut events, task) = run_host(host, mqtt(url));
    host_state_birth(&mut events).await;

    let port = url.port().to_string();
    let mut script = Script::spawn(
        python,
        "py_edge_node.py",
        &[
            url.host(),
            &port,
            ids.group.as_str(),
            ids.node.as_str(),
            "25",
        ],
    );
    let mut seen = Vec::new();
    let mut lines = Vec::new();
    script
        .wait_line("its data", &mut lines, |l| l["event"] == "data_sent")
        .await;
    collect_until(
        &mut events,
        &ids.group,
        &mut seen,
        "pysparkplug's second NDATA",
        |e| {
            matches!(e, HostEvent::Metrics { message_type: MessageType::NData, metrics, .. }
                if metrics.iter().any(|m| m.name() == "Count"))
        },
    )
    .await;
    for event in &seen {
        if let HostEvent::Violation { .. } = event {
            eprintln!("{test}: our host reports about pysparkplug: {event:?}");
        }
    }

    // Births: the node and its device online, with the names, datatypes and values sent.
    let online: Vec<_> = seen
        .iter()
        .filter_map(|e| match e {
            HostEvent::NodeOnline { node, bd_seq, .. } if *node == ids.node => Some(*bd_seq),
            _ => None,
        })
        .collect();
    assert_eq!(online, [Some(BdSeq::new(0))], "one NBIRTH, bdSeq 0");
    assert!(
        seen.iter().any(|e| matches!(e,
            HostEvent::DeviceOnline { node, device, .. }
                if *node == ids.node && *device == ids.device)),
        "no DBIRTH: {seen:#?}"
    );
    let nbirth = metrics_of(&seen, MessageType::NBirth, None);
    assert_eq!(nbirth.len(), 1);
    assert_eq!(nbirth[0].0, Some(0), "NBIRTH seq");
    assert_metrics("NBIRTH", &nbirth[0].1, &PyEdge::nbirth());
    let dbirth = metrics_of(&seen, MessageType::DBirth, Some(&ids.device));
    assert_eq!(dbirth.len(), 1);
    assert_metrics("DBIRTH", &dbirth[0].1, &PyEdge::dbirth());

    // Data: typed by the births, seq continuous, no gap.
    let ndata = metrics_of(&seen, MessageType::NData, None);
    let ddata = metrics_of(&seen, MessageType::DData, Some(&ids.device));
    assert_eq!((ndata.len(), ddata.len()), (2, 1));
    let [first, second] = PyEdge::ndata();
    assert_metrics("NDATA 1", &ndata[0].1, &first);
    assert_metrics("DDATA", &ddata[0].1, &PyEdge::ddata());
    assert_metrics("NDATA 2", &ndata[1].1, &second);
    let seqs: Vec<_> = seen
        .iter()
        .filter_map(|e| match e {
            HostEvent::Metrics { seq, .. } => Some(seq.map(|s| s.value())),
            _ => None,
        })
        .collect();
    assert_eq!(seqs, [Some(0), Some(1), Some(2), Some(3), Some(4)], "seq");
    assert!(
        !seen.iter().any(|e| matches!(
            e,
            HostEvent::SeqGap { .. }
                | HostEvent::RebirthRequested { .. }
                | HostEvent::RebirthSuppressed { .. }
        )),
        "{seen:#?}"
    );
    check_violations(&seen);

    // The host's own view, read through `inspect`.
    let (group, node, device) = (ids.group.clone(), ids.node.clone(), ids.device.clone());
    let view = host
        .inspect(move |h| {
            let n = h.node(&group, &node)?;
            let d = n.device(&device)?;
            let typed = |m: &sparkplug_b::session::host::MetricState| {
                (m.name.clone(), m.datatype, m.value.clone(), m.quality)
            };
            Some((
                n.is_online(),
                n.bd_seq(),
                d.is_online(),
                n.metrics().map(typed).collect::<Vec<_>>(),
                d.metrics().map(typed).collect::<Vec<_>>(),
            ))
        })
        .await
        .unwrap()
        .expect("the host knows the node and its device");
    assert!(view.0 && view.2, "node and device online");
    assert_eq!(view.1, Some(BdSeq::new(0)));
    let latest = |birth: Expected, updates: &[Expected]| {
        let mut values: Vec<(String, DataType, Option<Value>, Quality)> = birth
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v.data_type(), Some(v), Quality::Good))
            .collect();
        for (name, value) in updates.iter().flatten() {
            let slot = values.iter_mut().find(|s| s.0 == *name).unwrap();
            slot.2 = Some(value.clone());
        }
        values
    };
    assert_eq!(view.3, latest(PyEdge::nbirth(), &PyEdge::ndata()));
    assert_eq!(view.4, latest(PyEdge::dbirth(), &[PyEdge::ddata()]));
    PyEdgeRun {
        host,
        events,
        task,
        script,
        seen,
    }
}

/// Whether a violation our host reported is one of pysparkplug 0.6.1's documented deviations:
/// an NBIRTH without `Node Control/Rebirth` (a MUST), or datatypes in NDATA/DDATA metrics (a
/// SHOULD NOT).
fn known_deviation(event: &HostEvent) -> bool {
    matches!(
        event,
        HostEvent::Violation {
            tck_id: "payloads-nbirth-rebirth-req",
            message_type: Some(MessageType::NBirth),
            recommendation: false,
            ..
        } | HostEvent::Violation {
            tck_id: "payloads-metric-datatype-not-req",
            message_type: Some(MessageType::NData | MessageType::DData),
            recommendation: true,
            ..
        }
    )
}

/// Every violation our host reported is a documented pysparkplug deviation, and the NBIRTH's
/// missing `Node Control/Rebirth` was reported.
fn check_violations(seen: &[HostEvent]) {
    for event in seen {
        if let HostEvent::Violation { .. } = event {
            assert!(
                known_deviation(event),
                "a violation not known as pysparkplug's: {event:?}"
            );
        }
    }
    assert!(
        seen.iter().any(|e| matches!(
            e,
            HostEvent::Violation {
                tck_id: "payloads-nbirth-rebirth-req",
                ..
            }
        )),
        "our host did not flag the NBIRTH without Node Control/Rebirth"
    );
}

/// pysparkplug's edge node → our host: NBIRTH with Double, Int64, Boolean, String, negative
/// Int8/Int16/Int32, UInt32, UInt8 and Float metrics, a DBIRTH, NDATA and DDATA, then its clean
/// NDEATH. Our host reads every value typed by the births (signed integers truncated to their
/// width by pysparkplug, UInt32 above 2^31), sees seq 0.. without a gap, and ignores the NDEATH
/// because its bdSeq is not the NBIRTH's (pysparkplug's deviation).
///
/// tck ids: `topics-nbirth-seq-num`, `payloads-nbirth-bdseq`, `payloads-metric-datatype-req`,
/// `payloads-nbirth-rebirth-req`, `payloads-metric-datatype-not-req`,
/// `payloads-sequence-num-incrementing`, `topics-dbirth-seq`, `topics-ndata-seq-num`,
/// `topics-ddata-seq-num`, `payloads-ndeath-bdseq`,
/// `operational-behavior-edge-node-termination-host-action-ndeath-node-offline`.
#[tokio::test]
async fn pysparkplug_edge_node_to_our_host() {
    const TEST: &str = "pysparkplug_edge_node_to_our_host";
    let Some((url, python)) = interop_setup(TEST) else {
        return;
    };
    let ids = Ids::new();
    let PyEdgeRun {
        host,
        mut events,
        task,
        mut script,
        mut seen,
    } = py_edge_node_online(TEST, &url, &python, &ids).await;

    // Its clean disconnect: NDEATH, then DISCONNECT.
    script.tell("disconnect");
    collect_until(&mut events, &ids.group, &mut seen, "the NDEATH", |e| {
        matches!(
            e,
            HostEvent::StaleNdeathIgnored { .. } | HostEvent::NodeOffline { .. }
        )
    })
    .await;
    let mut lines = Vec::new();
    script
        .wait_line("its disconnect", &mut lines, |l| {
            l["event"] == "disconnected"
        })
        .await;
    assert!(script.exit().await.success());
    let death = seen.last().unwrap();
    eprintln!("{TEST}: pysparkplug's NDEATH gave {death:?}");
    // pysparkplug 0.6.1 puts the next session's bdSeq in the NDEATH it publishes itself.
    assert!(
        matches!(death, HostEvent::StaleNdeathIgnored {
            node,
            ndeath_bd_seq: Some(n),
            current_bd_seq: Some(c),
            ..
        } if *node == ids.node && n.value() == 1 && c.value() == 0),
        "{death:?}"
    );
    let (group, node) = (ids.group.clone(), ids.node.clone());
    let presence = host
        .inspect(move |h| h.node(&group, &node).map(|n| n.presence()))
        .await
        .unwrap();
    assert_eq!(
        presence,
        Some(Presence::Online),
        "the ignored NDEATH left it online"
    );
    check_violations(&seen);
    bounded("the host's shutdown", host.shutdown()).await;
    bounded("the host's task", task).await.unwrap().unwrap();
    clear_state(&url, &ids.host).await;
}

/// pysparkplug's edge node → our host, then the process is killed: the broker publishes
/// pysparkplug's Will, an NDEATH with the NBIRTH's bdSeq, and our host marks the node and its
/// device offline and every metric STALE, keeping the last values.
///
/// tck ids: `payloads-ndeath-will-message`, `topics-nbirth-bdseq-matching`,
/// `operational-behavior-edge-node-termination-host-action-ndeath-node-offline`,
/// `operational-behavior-edge-node-termination-host-action-ndeath-node-tags-stale`,
/// `operational-behavior-edge-node-termination-host-action-ndeath-devices-offline`,
/// `operational-behavior-edge-node-termination-host-action-ndeath-devices-tags-stale`.
#[tokio::test]
async fn pysparkplug_edge_node_will_to_our_host() {
    const TEST: &str = "pysparkplug_edge_node_will_to_our_host";
    let Some((url, python)) = interop_setup(TEST) else {
        return;
    };
    let ids = Ids::new();
    let PyEdgeRun {
        host,
        mut events,
        task,
        mut script,
        mut seen,
    } = py_edge_node_online(TEST, &url, &python, &ids).await;

    script.kill();
    // NodeOffline, then DeviceOffline of each of its devices.
    collect_until(
        &mut events,
        &ids.group,
        &mut seen,
        "the Will's NDEATH",
        |e| {
            matches!(
                e,
                HostEvent::DeviceOffline { .. } | HostEvent::StaleNdeathIgnored { .. }
            )
        },
    )
    .await;
    let deaths: Vec<_> = seen
        .iter()
        .filter(|e| {
            matches!(
                e,
                HostEvent::NodeOffline { .. }
                    | HostEvent::DeviceOffline { .. }
                    | HostEvent::StaleNdeathIgnored { .. }
            )
        })
        .collect();
    assert!(
        matches!(deaths.as_slice(), [
            HostEvent::NodeOffline { node, bd_seq: Some(b), .. },
            HostEvent::DeviceOffline { device, cause: DeviceOfflineCause::NodeDeath, .. },
        ] if *node == ids.node && b.value() == 0 && *device == ids.device),
        "{deaths:#?}"
    );
    let (group, node, device) = (ids.group.clone(), ids.node.clone(), ids.device.clone());
    let view = host
        .inspect(move |h| {
            let n = h.node(&group, &node)?;
            let d = n.device(&device)?;
            let stale = n
                .metrics()
                .chain(d.metrics())
                .all(|m| m.quality == Quality::Stale && m.value.is_some());
            Some((n.presence(), d.presence(), stale))
        })
        .await
        .unwrap();
    assert_eq!(view, Some((Presence::Offline, Presence::Offline, true)));
    check_violations(&seen);
    bounded("the host's shutdown", host.shutdown()).await;
    bounded("the host's task", task).await.unwrap().unwrap();
    clear_state(&url, &ids.host).await;
}

/// A value as pysparkplug's decoder gives it in `py_host.py`'s JSON.
fn json_of(value: &Value) -> Json {
    match value {
        Value::Int8(v) => json!(v),
        Value::Int16(v) => json!(v),
        Value::Int32(v) => json!(v),
        Value::Int64(v) => json!(v),
        Value::UInt8(v) => json!(v),
        Value::UInt16(v) => json!(v),
        Value::UInt32(v) => json!(v),
        Value::UInt64(v) => json!(v),
        Value::Float(v) => json!(f64::from(*v)),
        Value::Double(v) => json!(v),
        Value::Boolean(v) => json!(v),
        Value::String(v) => json!(v),
        other => panic!("no JSON form for {other:?} in this test"),
    }
}

/// Our edge node's metrics in this test: node, then device `Pump1`.
fn our_births() -> (Expected, Expected) {
    let node = vec![
        ("Temp", Value::Double(20.5)),
        ("Count", Value::Int64(-9_000_000_000)),
        ("Running", Value::Boolean(true)),
        ("Mode", Value::String("auto".into())),
        ("Offset8", Value::Int8(5)),
        ("Offset16", Value::Int16(1234)),
        ("Offset32", Value::Int32(-100_000)),
        ("Big32", Value::UInt32(4_000_000_000)),
        ("Small8", Value::UInt8(200)),
        ("Ratio", Value::Float(1.5)),
    ];
    let device = vec![
        ("Speed", Value::Int32(1200)),
        ("Level", Value::Int8(100)),
        ("Serial", Value::UInt32(u32::MAX)),
        ("On", Value::Boolean(false)),
    ];
    (node, device)
}

/// One message of `py_host.py`: its metrics by name as (alias, datatype code, value).
fn py_metrics(line: &Json) -> BTreeMap<String, (Json, u64, Json)> {
    line["metrics"]
        .as_array()
        .unwrap_or_else(|| panic!("no metrics: {line}"))
        .iter()
        .map(|m| {
            let name = m["name"]
                .as_str()
                .unwrap_or_else(|| panic!("{m}"))
                .to_owned();
            assert_eq!(m["is_null"], false, "{m}");
            (
                name,
                (
                    m["alias"].clone(),
                    m["datatype"].as_u64().unwrap(),
                    m["value"].clone(),
                ),
            )
        })
        .collect()
}

/// Asserts that pysparkplug decoded `line` as a `kind` message with exactly `expected`, each
/// with the alias of its birth (`aliases`, by name; `None` for no alias).
fn assert_py(
    line: &Json,
    kind: &str,
    expected: &[(&str, Value)],
    aliases: &BTreeMap<String, Json>,
) {
    assert_eq!(line["message_type"], kind, "{line}");
    assert!(line.get("error").is_none(), "pysparkplug failed: {line}");
    let got = py_metrics(line);
    let want: BTreeMap<String, (Json, u64, Json)> = expected
        .iter()
        .map(|(name, v)| {
            let alias = aliases.get(*name).cloned().unwrap_or(Json::Null);
            (
                (*name).to_owned(),
                (alias, u64::from(v.data_type().code()), json_of(v)),
            )
        })
        .collect();
    assert_eq!(got, want, "{kind}: {line}");
}

/// Our edge node (aliases on) → pysparkplug's client: NBIRTH, DBIRTH, NDATA, DDATA and NDEATH
/// decoded by pysparkplug with our names, datatypes and values, data resolved by pysparkplug
/// through the births' aliases, seq continuous. Negative Int8 and Int16 values, which we
/// sign-extend as Tahu does, make pysparkplug reject the whole message (its deviation,
/// asserted with the raw `int_value`s); the messages after it decode again.
///
/// tck ids: `payloads-alias-birth-requirement`, `payloads-alias-data-cmd-requirement`,
/// `payloads-alias-uniqueness`, `payloads-nbirth-rebirth-req`, `topics-nbirth-seq-num`,
/// `payloads-sequence-num-incrementing`, `topics-ndeath-payload`, `payloads-ndeath-bdseq`,
/// `operational-behavior-edge-node-intentional-disconnect-ndeath`.
#[tokio::test]
async fn our_edge_node_to_pysparkplug() {
    const TEST: &str = "our_edge_node_to_pysparkplug";
    let Some((url, python)) = interop_setup(TEST) else {
        return;
    };
    let ids = Ids::new();
    let port = url.port().to_string();
    let mut script = Script::spawn(
        &python,
        "py_host.py",
        &[url.host(), &port, ids.group.as_str(), "25"],
    );
    let mut lines = Vec::new();
    script
        .wait_line("its subscription", &mut lines, |l| l["event"] == "ready")
        .await;
    lines.clear();

    let (node_metrics, device_metrics) = our_births();
    let config = EdgeNodeConfig::new(ids.group.clone(), ids.node.clone())
        .with_client_id(unique("ec"))
        .with_aliases(true);
    let mut node = EdgeNode::new(config, None);
    let now = clock::now();
    node.add_node_metrics(
        now,
        node_metrics
            .iter()
            .map(|(n, v)| MetricSpec::with_initial(*n, v.clone())),
    )
    .unwrap();
    node.add_device(
        now,
        ids.device.clone(),
        device_metrics
            .iter()
            .map(|(n, v)| MetricSpec::with_initial(*n, v.clone())),
    )
    .unwrap();
    let (edge, mut edge_events, edge_task) =
        run_edge_node(node, mqtt(&url), MemoryBdSeqStore::default());
    wait_for(&mut edge_events, "the edge's births", |e| {
        matches!(e, RunnerEvent::Session(EdgeEvent::Online)).then_some(())
    })
    .await;

    let pump = Some(&ids.device);
    let ndata1 = vec![
        ("Temp", Value::Double(21.25)),
        ("Count", Value::Int64(42)),
        ("Running", Value::Boolean(false)),
        ("Mode", Value::String("manual".into())),
        ("Offset32", Value::Int32(i32::MIN)),
        ("Big32", Value::UInt32(u32::MAX)),
    ];
    let ddata1 = vec![
        ("Speed", Value::Int32(-1200)),
        ("Serial", Value::UInt32(0)),
        ("On", Value::Boolean(true)),
    ];
    let ndata_negative = vec![
        ("Offset8", Value::Int8(-5)),
        ("Offset16", Value::Int16(-1234)),
    ];
    let ndata3 = vec![("Temp", Value::Double(22.5)), ("Offset8", Value::Int8(127))];
    for (device, metrics) in [
        (None, &ndata1),
        (pump, &ddata1),
        (None, &ndata_negative),
        (None, &ndata3),
    ] {
        for (name, value) in metrics {
            edge.set_metric(device, name, value.clone()).await.unwrap();
        }
        edge.flush().await.unwrap();
    }
    bounded("the edge's shutdown", edge.shutdown()).await;
    bounded("the edge's task", edge_task)
        .await
        .unwrap()
        .unwrap();

    script
        .wait_line("our NDEATH", &mut lines, |l| l["message_type"] == "NDEATH")
        .await;
    script.kill();
    for line in &lines {
        eprintln!("{TEST}: pysparkplug decoded {line}");
    }
    let [
        nbirth,
        dbirth,
        ndata1_line,
        ddata1_line,
        negative,
        ndata3_line,
        ndeath,
    ] = <[Json; 7]>::try_from(lines.clone()).unwrap_or_else(|l| panic!("7 messages: {l:#?}"));

    // Births: names, aliases (unique, none on bdSeq and Node Control/Rebirth), datatypes,
    // values.
    let mut aliases = BTreeMap::new();
    for line in [&nbirth, &dbirth] {
        for (name, (alias, ..)) in py_metrics(line) {
            if !alias.is_null() {
                assert!(
                    !aliases.values().any(|a| *a == alias),
                    "alias reused: {line}"
                );
                aliases.insert(name, alias);
            }
        }
    }
    let mut expected_nbirth = node_metrics.clone();
    expected_nbirth.push(("bdSeq", Value::Int64(0)));
    expected_nbirth.push(("Node Control/Rebirth", Value::Boolean(false)));
    assert_eq!(aliases.len(), node_metrics.len() + device_metrics.len());
    assert_py(&nbirth, "NBIRTH", &expected_nbirth, &aliases);
    assert_py(&dbirth, "DBIRTH", &device_metrics, &aliases);
    assert_eq!(
        dbirth["topic"],
        format!("spBv1.0/{}/DBIRTH/{}/Pump1", ids.group, ids.node)
    );

    // Data: pysparkplug resolved the aliases and datatypes through the births.
    assert_py(&ndata1_line, "NDATA", &ndata1, &aliases);
    assert_py(&ddata1_line, "DDATA", &ddata1, &aliases);
    assert_py(&ndata3_line, "NDATA", &ndata3, &aliases);

    // pysparkplug 0.6.1 rejects sign-extended Int8/Int16 (its deviation); on the wire they
    // are the Tahu encoding, by alias only.
    assert_eq!(negative["message_type"], "NDATA");
    let error = negative["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("OverflowError"), "{negative}");
    let raw: Vec<(Json, Json, Json)> = negative["raw"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert!(m["name"].is_null() && m["datatype"].is_null(), "{m}");
            (m["alias"].clone(), m["field"].clone(), m["value"].clone())
        })
        .collect();
    assert_eq!(
        raw,
        [
            (
                aliases["Offset8"].clone(),
                json!("int_value"),
                json!(0xffff_fffb_u32)
            ),
            (
                aliases["Offset16"].clone(),
                json!("int_value"),
                json!(0xffff_fb2e_u32)
            ),
        ]
    );

    // seq 0, 1, 2, ... across node and device messages; none on the NDEATH.
    let seqs: Vec<Json> = [
        &nbirth,
        &dbirth,
        &ndata1_line,
        &ddata1_line,
        &negative,
        &ndata3_line,
    ]
    .iter()
    .map(|l| l["seq"].clone())
    .collect();
    assert_eq!(seqs, (0..6).map(|s| json!(s)).collect::<Vec<_>>());

    // NDEATH: the bdSeq of the NBIRTH, delivered at QoS 1.
    assert_eq!(ndeath["seq"], Json::Null);
    assert_eq!(ndeath["qos"], 1, "{ndeath}");
    assert_py(
        &ndeath,
        "NDEATH",
        &[("bdSeq", Value::Int64(0))],
        &BTreeMap::new(),
    );
}
