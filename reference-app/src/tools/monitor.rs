//! `reference-app monitor`: subscribes to `spBv1.0/#` on a broker and grades what it sees with
//! the conformance monitor of `sparkplug-b`. Findings print as they are made, the report at the
//! end (Ctrl-C or `--seconds`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::output::{self, Reader};
use anyhow::{Context, Result};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use sparkplug_b::Payload;
use sparkplug_b::driver::BrokerUrl;
use sparkplug_b::monitor::{Monitor, MonitorConfig};
use sparkplug_b::session::Timestamp;

use crate::cli::MonitorArgs;
use crate::config::AppConfig;

fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Timestamp::from_millis(ms)
}

/// Runs the subcommand against the configured broker (`--mqtt-url`, or the embedded broker's
/// address when another process of this app runs it).
pub(crate) async fn run(config: &AppConfig, args: &MonitorArgs) -> Result<()> {
    let url: BrokerUrl = if config.mqtt.embedded() {
        let addr = config.mqtt.broker_addr;
        BrokerUrl::new(addr.ip().to_string(), addr.port())
    } else {
        config
            .mqtt
            .url
            .parse()
            .context("--mqtt-url is not a broker URL")?
    };
    let client_id = format!("iceplant-monitor-{}", std::process::id());
    let mut options = MqttOptions::new(client_id, url.host(), url.port());
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(16 << 20, 16 << 20);
    if let (Some(user), Some(password)) = (&config.mqtt.username, &config.mqtt.password) {
        options.set_credentials(user, password);
    }
    let (client, mut eventloop) = AsyncClient::new(options, 1000);
    client.subscribe("spBv1.0/#", QoS::AtLeastOnce).await?;
    eprintln!(
        "monitor: watching spBv1.0/# on {}:{}",
        url.host(),
        url.port()
    );

    let mut monitor = Monitor::new(MonitorConfig::default());
    let stop = tokio::time::sleep(Duration::from_secs(args.seconds.unwrap_or(u64::MAX / 4)));
    tokio::pin!(stop);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            () = &mut stop => break,
            event = eventloop.poll() => match event {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let qos = p.qos as u8;
                    monitor.handle_message(now(), &p.topic, &p.payload, qos, p.retain);
                    // The reader of `--traffic | head` has what it wanted once it leaves.
                    if args.traffic && print_traffic(&p.topic, &p.payload)? == Reader::Gone {
                        return Ok(());
                    }
                    while let Some(finding) = monitor.poll_finding() {
                        eprintln!("{finding}");
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    eprintln!("monitor: connection error: {e}; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
    output::print(&format!("{}\n", monitor.report()))?;
    Ok(())
}

fn print_traffic(topic: &str, payload: &[u8]) -> Result<Reader> {
    let body = if topic.starts_with("spBv1.0/STATE/") {
        String::from_utf8_lossy(payload).into_owned()
    } else {
        match Payload::decode(payload) {
            Ok(p) => p.to_json(),
            Err(e) => format!("<undecodable: {e}>"),
        }
    };
    output::print(&format!("{topic} {body}\n"))
}
