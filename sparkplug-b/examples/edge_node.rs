//! A Sparkplug B edge node on an MQTT broker: a few changing metrics every second, one
//! device, commands applied, rebirth on request, and a clean NDEATH on Ctrl-C.
//!
//! ```text
//! cargo run -p sparkplug-b --features tokio --example edge_node -- \
//!     --mqtt-url mqtt://127.0.0.1:1883 --group G --node N \
//!     [--device Pump1] [--primary-host H] [--username U --password P] [--bdseq-file PATH]
//! ```
//!
//! Node metrics `Temperature` (Double), `Counter` (Int64) and `Setpoint` (Double, writable);
//! device metrics `Speed` (Int32) and `Running` (Boolean, writable). A write from a host
//! (NCMD/DCMD) is applied and reported back as data. The bdSeq is kept in `--bdseq-file`
//! (default: `sparkplug-<group>-<node>.bdseq` in the temporary directory). Status lines go to
//! standard error. Bad arguments print the usage and exit with status 2.

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use sparkplug_b::driver::{
    BrokerUrl, EdgeNodeHandle, EdgeNodeRunner, MqttConfig, RunnerEvent, clock,
};
use sparkplug_b::session::{
    BdSeqStore, EdgeEvent, EdgeNode, EdgeNodeConfig, FileBdSeqStore, MetricSpec,
};
use sparkplug_b::topic::{DeviceId, EdgeNodeId, GroupId, HostId};

const USAGE: &str = "usage: edge_node --mqtt-url URL --group G --node N [--device D] \
[--primary-host H] [--username U --password P] [--bdseq-file PATH]
  URL: mqtt://host[:port] | mqtts://... (TLS) | mqtt5://... | mqtts5://... (MQTT 5)";

struct Args {
    url: BrokerUrl,
    group: GroupId,
    node: EdgeNodeId,
    device: DeviceId,
    primary_host: Option<HostId>,
    credentials: Option<(String, String)>,
    bdseq_file: Option<PathBuf>,
}

/// The arguments; `Ok(None)` for `--help`.
fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let (mut url, mut group, mut node, mut device) = (None, None, None, None);
    let (mut primary_host, mut username, mut password, mut bdseq_file) = (None, None, None, None);
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn Error| format!("{flag} {value:?}: {e}");
        match flag.as_str() {
            "--mqtt-url" => url = Some(value.parse::<BrokerUrl>().map_err(|e| bad(&e))?),
            "--group" => group = Some(GroupId::new(value.clone()).map_err(|e| bad(&e))?),
            "--node" => node = Some(EdgeNodeId::new(value.clone()).map_err(|e| bad(&e))?),
            "--device" => device = Some(DeviceId::new(value.clone()).map_err(|e| bad(&e))?),
            "--primary-host" => {
                primary_host = Some(HostId::new(value.clone()).map_err(|e| bad(&e))?);
            }
            "--username" => username = Some(value),
            "--password" => password = Some(value),
            "--bdseq-file" => bdseq_file = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    let credentials = match (username, password) {
        (Some(u), Some(p)) => Some((u, p)),
        (None, None) => None,
        _ => return Err("--username and --password go together".to_owned()),
    };
    Ok(Some(Args {
        url: url.ok_or("--mqtt-url is required")?,
        group: group.ok_or("--group is required")?,
        node: node.ok_or("--node is required")?,
        device: match device {
            Some(d) => d,
            None => DeviceId::new("Pump1").map_err(|e| e.to_string())?,
        },
        primary_host,
        credentials,
        bdseq_file,
    }))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            eprintln!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let path = args.bdseq_file.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("sparkplug-{}-{}.bdseq", args.group, args.node))
    });
    let mut store = FileBdSeqStore::new(path);
    let mut config = EdgeNodeConfig::new(args.group, args.node);
    if let Some(host) = args.primary_host {
        config = config.with_primary_host(host);
    }
    let mut node = EdgeNode::new(config, store.load()?);
    let now = clock::now();
    node.add_node_metrics(
        now,
        [
            MetricSpec::with_initial("Temperature", 20.0),
            MetricSpec::with_initial("Counter", 0i64),
            MetricSpec::with_initial("Setpoint", 21.0),
        ],
    )?;
    let device = args.device;
    node.add_device(
        now,
        device.clone(),
        [
            MetricSpec::with_initial("Speed", 1500i32),
            MetricSpec::with_initial("Running", true),
        ],
    )?;

    let mut mqtt = MqttConfig::new(args.url);
    if let Some((user, password)) = args.credentials {
        mqtt = mqtt.with_credentials(user, password);
    }
    eprintln!(
        "edge node: connecting to {} (bdSeq file {})",
        mqtt.broker,
        store.path().display()
    );
    let (runner, handle, mut events) = EdgeNodeRunner::new(node, mqtt, store);
    let task = runner.spawn();

    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut counter = 0i64;
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            _ = tick.tick() => {
                counter += 1;
                update(&handle, &device, counter).await?;
            }
            event = events.recv() => match event {
                None => break,
                Some(RunnerEvent::Session(EdgeEvent::Command { device, name, value })) => {
                    eprintln!("edge node: command {name} = {value:?} (device {device:?})");
                    // The node does not change a metric by itself: apply the write, report it.
                    match handle.set_metric(device.as_ref(), &name, value).await {
                        Ok(()) => handle.flush().await?,
                        Err(e) => eprintln!("edge node: command refused: {e}"),
                    }
                }
                Some(RunnerEvent::Session(EdgeEvent::RebirthRequested)) => {
                    eprintln!("edge node: rebirth requested; NBIRTH and DBIRTH follow");
                }
                Some(event) => eprintln!("edge node: {event:?}"),
            }
        }
    }
    eprintln!("edge node: shutting down (NDEATH, then DISCONNECT)");
    handle.shutdown().await;
    task.await??;
    Ok(())
}

/// New values every second: a slow sine for the temperature and the pump speed, a counter.
async fn update(
    handle: &EdgeNodeHandle,
    device: &DeviceId,
    counter: i64,
) -> Result<(), Box<dyn Error>> {
    let t = counter as f64;
    let temperature = 20.0 + 2.0 * (t / 10.0).sin();
    handle
        .set_metric(None, "Temperature", (temperature * 100.0).round() / 100.0)
        .await?;
    handle.set_metric(None, "Counter", counter).await?;
    let speed = 1500 + (100.0 * (t / 7.0).sin()) as i32;
    handle.set_metric(Some(device), "Speed", speed).await?;
    handle.flush().await?;
    Ok(())
}
