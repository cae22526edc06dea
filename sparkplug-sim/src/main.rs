//! `sparkplug-sim`: runs a scenario of simulated Sparkplug B edge nodes against a broker.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use sparkplug_b::driver::{BrokerUrl, MqttConfig};
use sparkplug_b::session::Timestamp;
use sparkplug_sim::config::{GeneratorConfig, ScenarioConfig};
use sparkplug_sim::{RunOptions, Scenario, Simulator, Speed};

/// Simulates Sparkplug B edge nodes: ice plants and generic nodes, with fault injection.
///
/// Without --config it runs one ice plant. The flags add plants and generic nodes to the
/// scenario file's and override its broker.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The scenario file (TOML); see sparkplug-sim/examples/scenario.toml.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The seed of every random choice: the same seed gives the same messages.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Ice plants to add (group IcePlant, nodes Plant1..N).
    #[arg(long)]
    plants: Option<u32>,
    /// Generic edge nodes to add (group Sim, nodes Node1..N), with --devices and --metrics.
    #[arg(long, default_value_t = 0)]
    nodes: u32,
    /// Devices per generic node.
    #[arg(long, default_value_t = 10)]
    devices: u32,
    /// Double metrics (random walks) per device of the generic nodes.
    #[arg(long, default_value_t = 10)]
    metrics: u32,
    /// Publish every ice plant's compressors as instances of a `Compressor` template (UDT)
    /// defined in the NBIRTH, like `templates = true` in each `[[plant]]`.
    #[arg(long)]
    templates: bool,
    /// Samples per second of each metric of the added plants and generic nodes.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// The broker: mqtt://, mqtts:// (TLS), mqtt5://, mqtts5://. Overrides the file's. Give it
    /// more than once, or comma-separated, for redundant servers: the nodes connect to the
    /// first and walk through the others in this order (round-robin) when a server fails,
    /// or their Primary Host is offline or not online there within 30 s.
    #[arg(long, value_delimiter = ',')]
    mqtt_url: Vec<String>,
    /// MQTT user name.
    #[arg(long)]
    username: Option<String>,
    /// MQTT password.
    #[arg(long)]
    password: Option<String>,
    /// PEM file of CA certificates for TLS.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Primary Host id the added nodes wait for before their births.
    #[arg(long)]
    primary_host: Option<String>,
    /// Run simulated time this many times faster than real time.
    #[arg(long)]
    fast_forward: Option<f64>,
    /// Stop after this many seconds (wall time); default: until Ctrl-C.
    #[arg(long)]
    duration: Option<f64>,
    /// Seconds between status lines on stderr; 0 for none.
    #[arg(long, default_value_t = 5.0)]
    status_every: f64,
}

/// The MQTT configuration for brokers in walking order: the first is `broker`, the rest
/// `servers`.
fn mqtt_config(urls: &[String]) -> anyhow::Result<MqttConfig> {
    let mut brokers = Vec::with_capacity(urls.len());
    for url in urls.iter().map(|u| u.trim()).filter(|u| !u.is_empty()) {
        let broker: BrokerUrl = url.parse().with_context(|| format!("broker URL {url:?}"))?;
        brokers.push(broker);
    }
    let mut brokers = brokers.into_iter();
    let first = brokers
        .next()
        .context("--mqtt-url: at least one broker URL")?;
    Ok(MqttConfig::new(first).with_servers(brokers))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut config = match &args.config {
        Some(path) => ScenarioConfig::from_file(path)?,
        None => ScenarioConfig::default(),
    };
    add_from_flags(&mut config, &args)?;
    apply_templates_flag(&mut config, &args);
    let start = config
        .simulation
        .start_time_ms
        .map_or_else(sparkplug_b::driver::clock::now, Timestamp::from_millis);
    let scenario = Scenario::from_config(&config, args.seed, start)?;
    let urls = if args.mqtt_url.is_empty() {
        vec![
            config
                .simulation
                .mqtt_url
                .clone()
                .unwrap_or_else(|| "mqtt://127.0.0.1:1883".to_owned()),
        ]
    } else {
        args.mqtt_url.clone()
    };
    let mut mqtt = mqtt_config(&urls)?;
    let url = urls.join(",");
    let username = args.username.clone().or(config.simulation.username.clone());
    let password = args.password.clone().or(config.simulation.password.clone());
    if let Some(u) = username {
        mqtt = mqtt.with_credentials(u, password.unwrap_or_default());
    }
    let ca = args
        .ca_file
        .clone()
        .or(config.simulation.ca_file.as_ref().map(PathBuf::from));
    if let Some(path) = ca {
        let pem = std::fs::read(&path).with_context(|| format!("CA file {}", path.display()))?;
        mqtt = mqtt.with_ca_pem(pem);
    }
    let speed = match args.fast_forward {
        Some(f) if f > 0.0 && f.is_finite() => Speed::FastForward(f),
        Some(f) => anyhow::bail!("--fast-forward {f}: must be a number > 0"),
        None => Speed::RealTime,
    };
    eprintln!(
        "sparkplug-sim: {} nodes, {} metrics, {:.0} metrics/s scheduled, broker {url}, seed {}",
        scenario.node_count(),
        scenario.metric_count(),
        scenario.scheduled_rate(),
        args.seed
    );
    let handle = Simulator::new(scenario, RunOptions::new(mqtt).with_speed(speed)).spawn();
    let deadline = args.duration.map(Duration::from_secs_f64);
    let began = tokio::time::Instant::now();
    let every = Duration::from_secs_f64(if args.status_every > 0.0 {
        args.status_every
    } else {
        3600.0
    });
    let mut ticker = tokio::time::interval(every);
    ticker.tick().await;
    let mut last = handle.stats();
    loop {
        let stop_at = deadline.map(|d| began + d);
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            () = sleep_until_opt(stop_at) => break,
            _ = ticker.tick() => {
                let now = handle.stats();
                if args.status_every > 0.0 {
                    eprintln!("{}", now.status_line(&last));
                    if now.connected == 0 {
                        if let Some(e) = handle.last_connection_error() {
                            eprintln!("  last connection error: {e}");
                        }
                    }
                }
                last = now;
                if handle.is_finished() {
                    break;
                }
            }
        }
    }
    let fin = handle.stop().await?.stats;
    eprintln!(
        "sparkplug-sim: stopped after {:.1} s: {} messages, {} metrics, {} faults, {} commands applied, {} dropped, max lag {} ms",
        fin.elapsed.as_secs_f64(),
        fin.counters.messages,
        fin.counters.metrics,
        fin.counters.faults,
        fin.counters.commands_applied,
        fin.send_failures,
        fin.max_lag.as_millis()
    );
    Ok(())
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Adds the plants and generic nodes of the flags to the scenario.
fn add_from_flags(config: &mut ScenarioConfig, args: &Args) -> anyhow::Result<()> {
    if !(args.rate.is_finite() && args.rate > 0.0) {
        anyhow::bail!("--rate {}: must be a number > 0", args.rate);
    }
    let period_ms = ((1000.0 / args.rate).round() as u64).max(1);
    let host = args
        .primary_host
        .as_ref()
        .map(|h| format!("primary_host = {h:?}\n"))
        .unwrap_or_default();
    let plants = match args.plants {
        Some(n) => n,
        None if config.node_count() == 0 && args.nodes == 0 => 1,
        None => 0,
    };
    let mut extra = String::new();
    if plants > 0 {
        extra.push_str(&format!(
            "[[plant]]\ngroup = \"IcePlant\"\nnode = \"Plant{{n}}\"\ncount = {plants}\nperiod_ms = {period_ms}\n{host}"
        ));
    }
    if args.nodes > 0 {
        extra.push_str(&format!(
            "[[node]]\ngroup = \"Sim\"\nnode = \"Node{{n}}\"\ncount = {}\ndevices = {}\n{host}[[node.metric]]\nname = \"Value{{i}}\"\ncount = {}\nperiod_ms = {period_ms}\n",
            args.nodes, args.devices, args.metrics
        ));
    }
    if extra.is_empty() {
        return Ok(());
    }
    let mut added: ScenarioConfig = extra.parse()?;
    for node in &mut added.nodes {
        for m in &mut node.metrics {
            m.generator = GeneratorConfig::RandomWalk {
                start: 0.0,
                step: 1.0,
                min: -1000.0,
                max: 1000.0,
            };
        }
    }
    config.plants.append(&mut added.plants);
    config.nodes.append(&mut added.nodes);
    Ok(())
}

/// `--templates`: every plant publishes its compressors as template instances.
fn apply_templates_flag(config: &mut ScenarioConfig, args: &Args) {
    if args.templates {
        for plant in &mut config.plants {
            plant.templates = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--mqtt-url a,b --mqtt-url c`: the walking order a, b, c.
    #[test]
    fn mqtt_urls_give_the_walking_order() {
        let args = Args::try_parse_from([
            "sparkplug-sim",
            "--mqtt-url",
            "mqtt://a:1883,mqtt5://b:1884",
            "--mqtt-url",
            "mqtt://c:1885",
        ])
        .unwrap();
        let mqtt = mqtt_config(&args.mqtt_url).unwrap();
        let order: Vec<String> = mqtt
            .rotation()
            .iter()
            .map(|b| format!("{}:{}", b.host(), b.port()))
            .collect();
        assert_eq!(order, ["a:1883", "b:1884", "c:1885"]);
        assert!(mqtt_config(&[]).is_err());
        assert!(mqtt_config(&["nope://x".to_owned()]).is_err());
    }
}
