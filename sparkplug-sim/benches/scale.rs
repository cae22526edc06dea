//! The scale benchmark: N edge nodes × M devices × K metrics against a real broker.
//!
//! ```text
//! cargo bench -p sparkplug-sim --bench scale -- --nodes 1000 --devices 10 --metrics 50 \
//!     --period-ms 1000 --duration 30 --mqtt-url mqtt://127.0.0.1:1883 [--verify]
//! ```
//!
//! Prints, per second, the simulator's status line, then the totals over the measured window
//! (after `--warmup` seconds): metrics/s achieved against metrics/s scheduled, messages/s,
//! the worst lag behind the schedule, samples skipped for lag, publishes dropped for a full
//! client queue, and the resident memory per simulated metric. With `--verify` a subscriber
//! on the same broker counts the metrics that actually came through.

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sparkplug_b::PayloadView;
use sparkplug_b::driver::{BrokerUrl, MqttConfig, clock};
use sparkplug_sim::config::ScenarioConfig;
use sparkplug_sim::{RunOptions, Scenario, Simulator, StatsSnapshot};

struct Args {
    nodes: u32,
    devices: u32,
    metrics: u32,
    period_ms: u64,
    duration: f64,
    warmup: f64,
    url: String,
    verify: bool,
}

fn args() -> Args {
    let mut a = Args {
        nodes: 1000,
        devices: 10,
        metrics: 50,
        period_ms: 1000,
        duration: 30.0,
        warmup: 5.0,
        url: "mqtt://127.0.0.1:1883".into(),
        verify: false,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let v = argv.get(i + 1).cloned().unwrap_or_default();
        match argv[i].as_str() {
            "--nodes" => a.nodes = v.parse().unwrap_or(a.nodes),
            "--devices" => a.devices = v.parse().unwrap_or(a.devices),
            "--metrics" => a.metrics = v.parse().unwrap_or(a.metrics),
            "--period-ms" => a.period_ms = v.parse().unwrap_or(a.period_ms),
            "--duration" => a.duration = v.parse().unwrap_or(a.duration),
            "--warmup" => a.warmup = v.parse().unwrap_or(a.warmup),
            "--mqtt-url" => a.url = v,
            "--verify" => {
                a.verify = true;
                i += 1;
                continue;
            }
            // `cargo bench` passes --bench; ignore what is not ours.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    a
}

/// Resident set size of this process, bytes.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Counts metrics of `group`'s data messages arriving at the broker.
fn subscriber(url: &BrokerUrl, group: &str, count: Arc<AtomicU64>) {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    let mut o = MqttOptions::new(
        format!("bench-verify-{}", std::process::id()),
        url.host(),
        url.port(),
    );
    o.set_keep_alive(Duration::from_secs(30));
    o.set_max_packet_size(16 << 20, 16 << 20);
    let (client, mut eventloop) = AsyncClient::new(o, 100);
    let filter = format!("spBv1.0/{group}/#");
    tokio::spawn(async move {
        let _ = client.subscribe(filter, QoS::AtMostOnce).await;
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if p.topic.contains("DATA/") {
                        let n = PayloadView::new(&p.payload).map_or(0, |v| v.metric_count());
                        count.fetch_add(n as u64, Ordering::Relaxed);
                    }
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a = args();
    let rss_base = rss();
    let group = format!("Bench{}", std::process::id());
    let text = format!(
        "[[node]]\ngroup = \"{group}\"\nnode = \"Node{{n}}\"\ncount = {}\ndevices = {}\nstore_forward_capacity = 0\n\
         [[node.metric]]\nname = \"Value{{i}}\"\ncount = {}\nperiod_ms = {}\n\
         generator = {{ kind = \"random_walk\", start = 0.0, step = 1.0, min = -1000.0, max = 1000.0 }}\n",
        a.nodes, a.devices, a.metrics, a.period_ms
    );
    let config: ScenarioConfig = match text.parse() {
        Ok(c) => c,
        Err(e) => return eprintln!("bad parameters: {e}"),
    };
    let built = Instant::now();
    let scenario = match Scenario::from_config(&config, 1, clock::now()) {
        Ok(s) => s,
        Err(e) => return eprintln!("bad parameters: {e}"),
    };
    let build_time = built.elapsed();
    let metrics = scenario.metric_count();
    let scheduled = scenario.scheduled_rate();
    let rss_built = rss();
    let url: BrokerUrl = match a.url.parse() {
        Ok(u) => u,
        Err(e) => return eprintln!("--mqtt-url: {e}"),
    };
    println!(
        "scale: {} nodes x {} devices x {} metrics = {metrics} metrics, period {} ms, {scheduled:.0} metrics/s scheduled, broker {}",
        a.nodes, a.devices, a.metrics, a.period_ms, a.url
    );
    println!(
        "scale: built in {:.2} s; RSS {:.1} MiB before, {:.1} MiB after building",
        build_time.as_secs_f64(),
        rss_base as f64 / 1048576.0,
        rss_built as f64 / 1048576.0
    );
    let received = Arc::new(AtomicU64::new(0));
    if a.verify {
        subscriber(&url, &group, received.clone());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let options = RunOptions::new(MqttConfig::new(url).with_keep_alive(Duration::from_secs(60)));
    let handle = Simulator::new(scenario, options).spawn();
    let start = Instant::now();
    let mut last = handle.stats();
    let mut at_warm: Option<(StatsSnapshot, u64)> = None;
    let mut warm_max_lag = Duration::ZERO;
    while start.elapsed().as_secs_f64() < a.duration {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = handle.stats();
        println!("{}", now.status_line(&last));
        if start.elapsed().as_secs_f64() >= a.warmup {
            match &at_warm {
                None => at_warm = Some((now, received.load(Ordering::Relaxed))),
                Some(_) => warm_max_lag = warm_max_lag.max(now.lag),
            }
        }
        last = now;
    }
    let end = handle.stats();
    let got = received.load(Ordering::Relaxed);
    let rss_run = rss();
    let Some((warm, got_warm)) = at_warm else {
        return eprintln!("--duration must exceed --warmup");
    };
    let secs = end.elapsed.saturating_sub(warm.elapsed).as_secs_f64();
    let achieved = end.metrics_per_sec(&warm);
    println!("---");
    println!(
        "window: {secs:.1} s after {:.0} s warm-up; nodes online {}/{}",
        a.warmup, end.online, end.nodes
    );
    println!(
        "metrics/s: {achieved:.0} achieved, {scheduled:.0} scheduled ({:.1} %)",
        100.0 * achieved / scheduled
    );
    println!("messages/s: {:.0}", end.messages_per_sec(&warm));
    println!(
        "lag: max {} ms in the window (max {} ms overall); samples skipped for lag: {}; publishes dropped: {}",
        warm_max_lag.as_millis(),
        end.max_lag.as_millis(),
        end.counters.missed_samples - warm.counters.missed_samples,
        end.send_failures
    );
    if a.verify {
        println!(
            "broker delivered to a subscriber: {:.0} metrics/s ({:.1} % of published)",
            (got - got_warm) as f64 / secs,
            100.0 * (got - got_warm) as f64
                / (end.counters.metrics - warm.counters.metrics).max(1) as f64
        );
    }
    println!(
        "memory: RSS {:.1} MiB running; {:.0} bytes per metric built ({:.0} running)",
        rss_run as f64 / 1048576.0,
        (rss_built - rss_base) as f64 / metrics as f64,
        (rss_run - rss_base) as f64 / metrics as f64
    );
    let _ = handle.stop().await;
}
